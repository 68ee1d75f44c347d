//! `doorpass holder keygen`, and reading holder key files of either kind (Ed25519, P-256) for
//! `issuer mint --holder-pub` and `present --holder-key`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use doorpass_format::HolderPublicKey;
use doorpass_format::holder_key::{
    HOLDER_SIGNATURE_LEN, HolderSigner, P256SigningKey, P256VerifyingKey, generate_p256_signing_key,
};
use doorpass_format::keys::{self, SigningKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};

/// The public key path next to a private key path: `KEY.pem` → `KEY.pub.pem`.
pub fn public_key_path(private: &Path) -> PathBuf {
    let name = private
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("key.pem");
    let stem = name.strip_suffix(".pem").unwrap_or(name);
    private.with_file_name(format!("{stem}.pub.pem"))
}

/// Creates a holder key pair: Ed25519, or P-256 (`es256`), in PKCS#8 and SubjectPublicKeyInfo PEM.
pub fn keygen(out: &Path, es256: bool) -> Result<ExitCode> {
    if out.exists() {
        bail!(
            "{} exists already; not overwriting a private key",
            out.display()
        );
    }
    let public = public_key_path(out);
    if es256 {
        let key = generate_p256_signing_key();
        let private = key
            .to_pkcs8_pem(LineEnding::LF)
            .context("encoding the P-256 key")?;
        let public_pem = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .context("encoding the P-256 public key")?;
        doorpass_format::atomic_file::write_atomic(out, private.as_bytes(), true)
            .with_context(|| format!("writing {}", out.display()))?;
        doorpass_format::atomic_file::write_atomic(&public, public_pem.as_bytes(), false)
            .with_context(|| format!("writing {}", public.display()))?;
    } else {
        let key = keys::generate_signing_key();
        keys::write_private_key(out, &key)?;
        keys::write_public_key(&public, &key.verifying_key())?;
    }
    eprintln!(
        "wrote {} (private, keep it on this device) and {}",
        out.display(),
        public.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A holder's private key read from a PEM file: Ed25519 or P-256.
pub enum HolderKeyFile {
    /// An Ed25519 key.
    Ed25519(SigningKey),
    /// A P-256 key.
    P256(P256SigningKey),
}

impl HolderSigner for HolderKeyFile {
    fn holder_public_key(&self) -> HolderPublicKey {
        match self {
            HolderKeyFile::Ed25519(key) => key.holder_public_key(),
            HolderKeyFile::P256(key) => key.holder_public_key(),
        }
    }

    fn sign_holder_message(&self, message: &[u8]) -> [u8; HOLDER_SIGNATURE_LEN] {
        match self {
            HolderKeyFile::Ed25519(key) => key.sign_holder_message(message),
            HolderKeyFile::P256(key) => key.sign_holder_message(message),
        }
    }
}

/// Reads a holder's PKCS#8 PEM private key, Ed25519 or P-256.
pub fn read_holder_private_key(path: &Path) -> Result<HolderKeyFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if let Ok(key) = keys::private_key_from_pem(&text) {
        return Ok(HolderKeyFile::Ed25519(key));
    }
    P256SigningKey::from_pkcs8_pem(&text)
        .map(HolderKeyFile::P256)
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: not an Ed25519 or P-256 private key (PKCS#8 PEM)",
                path.display()
            )
        })
}

/// Reads a holder's SubjectPublicKeyInfo PEM public key, Ed25519 or P-256.
pub fn read_holder_public_key(path: &Path) -> Result<HolderPublicKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if let Ok(key) = keys::public_key_from_pem(&text) {
        return Ok(HolderPublicKey::Ed25519(key));
    }
    P256VerifyingKey::from_public_key_pem(&text)
        .map(HolderPublicKey::P256)
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: not an Ed25519 or P-256 public key (SubjectPublicKeyInfo PEM)",
                path.display()
            )
        })
}
