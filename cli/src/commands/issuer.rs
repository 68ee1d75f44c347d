//! `doorpass issuer init`, `rotate-key`, `sign-trust-list` and `mint`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use doorpass_format::KeyAssurance;
use doorpass_format::pass::{Pass, PassClaims, PassKind, draw_renew_after, new_pass_id};
use doorpass_issuer::keys::{AnchorDir, IssuerKeys, init_dir};
use doorpass_issuer::trust_publishing::{self, Published};

use crate::output::{now_or, write_file};
use crate::{KeyAssuranceArg, KindArg, MintArgs};

const DAY: u64 = 86_400;

/// Creates the keys and the first trust list.
pub fn init(
    dir: &Path,
    anchor_dir: Option<&Path>,
    issuer_id: &str,
    force: bool,
) -> Result<ExitCode> {
    if issuer_id.is_empty() {
        bail!("--issuer-id must not be empty");
    }
    let offline = AnchorDir::for_issuer(dir, anchor_dir);
    let (anchor, issuer) = init_dir(dir, &offline, issuer_id, now_or(None), force)?;
    eprintln!(
        "issuer {issuer_id}: issuer key {issuer} and trust list version 1 in {}; the anchor's \
         private key ({anchor}) in {}: keep that folder offline, it is needed only to rotate keys \
         and re-sign the trust list",
        dir.display(),
        offline.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Rotates the issuer key.
pub fn rotate_key(dir: &Path, anchor_dir: Option<&Path>) -> Result<ExitCode> {
    let offline = AnchorDir::for_issuer(dir, anchor_dir);
    let published = trust_publishing::rotate_issuer_key(dir, &offline, now_or(None))?;
    report(dir, &published);
    eprintln!("restart `doorpass issuer serve` so that it signs with the new key");
    Ok(ExitCode::SUCCESS)
}

/// Re-signs the trust list as a new version.
pub fn sign_trust_list(dir: &Path, anchor_dir: Option<&Path>) -> Result<ExitCode> {
    let offline = AnchorDir::for_issuer(dir, anchor_dir);
    let published = trust_publishing::sign_trust_list(dir, &offline, now_or(None))?;
    report(dir, &published);
    Ok(ExitCode::SUCCESS)
}

fn report(dir: &Path, p: &Published) {
    let retired = p
        .retired_key
        .map(|k| format!("; {k} now only vouches for passes it already signed"))
        .unwrap_or_default();
    eprintln!(
        "trust list version {} in {} (next update planned at {}); signing key {}{retired}",
        p.version,
        dir.display(),
        p.next_update,
        p.signing_key
    );
}

fn kind(arg: KindArg) -> PassKind {
    match arg {
        KindArg::Vaccination => PassKind::Vaccination,
        KindArg::Recovery => PassKind::Recovery,
        KindArg::Exemption => PassKind::MedicalExemption,
        KindArg::Test => PassKind::NegativeTest,
    }
}

fn key_assurance(arg: KeyAssuranceArg) -> KeyAssurance {
    match arg {
        KeyAssuranceArg::Unattested => KeyAssurance::Unattested,
        KeyAssuranceArg::AndroidTee => KeyAssurance::AndroidTee,
        KeyAssuranceArg::AndroidStrongbox => KeyAssurance::AndroidStrongBox,
        KeyAssuranceArg::AppleAppAttest => KeyAssurance::AppleAppAttest,
    }
}

/// Mints one pass.
pub fn mint(args: &MintArgs) -> Result<ExitCode> {
    if args.valid_days == 0 {
        bail!("--valid-days must be at least 1");
    }
    let issuer = IssuerKeys::load(&args.dir)?;
    let holder_key = crate::commands::holder::read_holder_public_key(&args.holder_pub)?;
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
        key_assurance: key_assurance(args.key_assurance),
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
        status: None,
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
