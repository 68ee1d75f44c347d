//! `doorpass present`.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use doorpass_format::holder_key::HolderSigner as _;
use doorpass_format::presentation::seconds_until_rotation;
use doorpass_format::{Pass, Presentation};

use crate::PresentArgs;
use crate::commands::holder::read_holder_private_key;
use crate::output::{now_or, read_file, write_qr};

/// Shows a pass as a QR code.
pub fn run(args: &PresentArgs) -> Result<ExitCode> {
    let pass_bytes = read_file(&args.pass)?;
    let pass = Pass::parse(&pass_bytes)
        .with_context(|| format!("{} is not a DP1 pass", args.pass.display()))?;
    let holder_key = read_holder_private_key(&args.holder_key)?;
    if holder_key.holder_public_key() != pass.claims().holder_key {
        bail!(
            "{} is not the holder key this pass is bound to",
            args.holder_key.display()
        );
    }
    let now = now_or(args.at);
    let presentation = if args.fixed {
        Presentation::fixed(pass.bytes())
    } else {
        Presentation::rotating(pass.bytes(), &holder_key, now)
    };
    let text = presentation.to_qr_text();
    let matrix = write_qr(&text, args.format, args.out.as_deref())?;
    let rotation = if args.fixed {
        "static".to_string()
    } else {
        format!("rotates in {} s", seconds_until_rotation(now))
    };
    eprintln!(
        "QR version {} (ECC M, {}x{} modules, {} characters), {rotation}",
        matrix.version(),
        matrix.size(),
        matrix.size(),
        text.len()
    );
    Ok(ExitCode::SUCCESS)
}
