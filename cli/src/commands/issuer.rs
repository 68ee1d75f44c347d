//! `doorpass issuer init` and `doorpass issuer mint`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use doorpass_format::keys;
use doorpass_format::pass::{Pass, PassClaims, PassKind, draw_renew_after, new_pass_id};
use doorpass_issuer::keys::{IssuerKeys, init_dir};

use crate::output::{now_or, write_file};
use crate::{KindArg, MintArgs};

const DAY: u64 = 86_400;

/// Creates the keys and the first trust list.
pub fn init(dir: &Path, issuer_id: &str, force: bool) -> Result<ExitCode> {
    if issuer_id.is_empty() {
        bail!("--issuer-id must not be empty");
    }
    let (anchor, issuer) = init_dir(dir, issuer_id, now_or(None), force)?;
    eprintln!(
        "issuer {issuer_id}: anchor {anchor} and issuer key {issuer} in {}; trust list version 1",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn kind(arg: KindArg) -> PassKind {
    match arg {
        KindArg::Vaccination => PassKind::Vaccination,
        KindArg::Recovery => PassKind::Recovery,
        KindArg::Exemption => PassKind::MedicalExemption,
        KindArg::Test => PassKind::NegativeTest,
    }
}

/// Mints one pass.
pub fn mint(args: &MintArgs) -> Result<ExitCode> {
    if args.valid_days == 0 {
        bail!("--valid-days must be at least 1");
    }
    let issuer = IssuerKeys::load(&args.dir)?;
    let holder_key = keys::read_public_key(&args.holder_pub)?;
    let now = now_or(args.at);
    let expires_at = args
        .valid_days
        .checked_mul(DAY)
        .and_then(|secs| now.checked_add(secs))
        .context("--valid-days (with --at) reaches past the year 292 billion; choose fewer days")?;
    let kid = doorpass_format::KeyId::of(&issuer.signing_key.verifying_key());
    if !issuer.trust_list.issuer(kid).is_some_and(|e| e.covers(now)) {
        bail!(
            "the issuer key is not valid at {now} in {}/trust-list.cose; a pass issued now would be refused at every door",
            args.dir.display()
        );
    }
    let claims = PassClaims {
        issuer_id: issuer.issuer_id,
        issued_at: now,
        not_before: now,
        expires_at,
        pass_id: new_pass_id(),
        holder_key,
        display_name: args.name.clone(),
        birth_date: args.birth_date.clone(),
        kind: kind(args.kind),
        renew_after: draw_renew_after(now, expires_at, &mut rand::thread_rng()),
    };
    let pass =
        Pass::issue(&claims, &issuer.signing_key).context("the pass details are not valid")?;
    write_file(&args.out, pass.bytes())?;
    eprintln!(
        "wrote {} ({} bytes): pass {} for {}, valid until {expires_at}",
        args.out.display(),
        pass.bytes().len(),
        claims.pass_id_hex(),
        claims.display_name
    );
    Ok(ExitCode::SUCCESS)
}
