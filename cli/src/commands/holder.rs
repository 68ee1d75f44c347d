//! `doorpass holder keygen`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use doorpass_format::keys;

/// The public key path next to a private key path: `KEY.pem` → `KEY.pub.pem`.
pub fn public_key_path(private: &Path) -> PathBuf {
    let name = private
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("key.pem");
    let stem = name.strip_suffix(".pem").unwrap_or(name);
    private.with_file_name(format!("{stem}.pub.pem"))
}

/// Creates a holder key pair.
pub fn keygen(out: &Path) -> Result<ExitCode> {
    if out.exists() {
        bail!(
            "{} exists already; not overwriting a private key",
            out.display()
        );
    }
    let key = keys::generate_signing_key();
    let public = public_key_path(out);
    keys::write_private_key(out, &key)?;
    keys::write_public_key(&public, &key.verifying_key())?;
    eprintln!(
        "wrote {} (private, keep it on this device) and {}",
        out.display(),
        public.display()
    );
    Ok(ExitCode::SUCCESS)
}
