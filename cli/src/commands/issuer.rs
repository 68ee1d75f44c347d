//! `doorpass issuer init` and `doorpass issuer mint`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use doorpass_core::keys::{self, KeyId, SigningKey};
use doorpass_core::pass::{Pass, PassClaims, PassKind, draw_renew_after, new_pass_id};
use doorpass_core::{TrustList, TrustListContent, TrustedIssuer};

use crate::output::{now_or, read_file, write_file};
use crate::{KindArg, MintArgs};

/// How long a fresh issuer key is listed as valid for issuance.
const ISSUER_KEY_YEARS: u64 = 5;
/// How long until the trust list's planned next update.
const TRUST_LIST_REFRESH_DAYS: u64 = 7;
const DAY: u64 = 86_400;

/// The files an issuer folder holds.
pub struct IssuerDir {
    /// Trust anchor private key.
    pub anchor_key: PathBuf,
    /// Trust anchor public key, pinned by apps and verifiers.
    pub anchor_pub: PathBuf,
    /// Issuer private key.
    pub issuer_key: PathBuf,
    /// Issuer public key.
    pub issuer_pub: PathBuf,
    /// Signed trust list.
    pub trust_list: PathBuf,
}

impl IssuerDir {
    /// The file names inside `dir`.
    pub fn at(dir: &Path) -> Self {
        IssuerDir {
            anchor_key: dir.join("anchor.key"),
            anchor_pub: dir.join("anchor.pub.pem"),
            issuer_key: dir.join("issuer.key"),
            issuer_pub: dir.join("issuer.pub.pem"),
            trust_list: dir.join("trust-list.cose"),
        }
    }
}

/// Creates the keys and the first trust list.
pub fn init(dir: &Path, issuer_id: &str, force: bool) -> Result<ExitCode> {
    if issuer_id.is_empty() {
        bail!("--issuer-id must not be empty");
    }
    let files = IssuerDir::at(dir);
    if !force && (files.anchor_key.exists() || files.issuer_key.exists()) {
        bail!(
            "{} already holds issuer keys; pass --force to replace them",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let now = now_or(None);
    let anchor = keys::generate_signing_key();
    let issuer = keys::generate_signing_key();
    let content = TrustListContent {
        version: 1,
        issued_at: now,
        next_update: now + TRUST_LIST_REFRESH_DAYS * DAY,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            issuer_id,
            now.saturating_sub(DAY),
            now + ISSUER_KEY_YEARS * 365 * DAY,
        )],
    };
    keys::write_private_key(&files.anchor_key, &anchor)?;
    keys::write_public_key(&files.anchor_pub, &anchor.verifying_key())?;
    keys::write_private_key(&files.issuer_key, &issuer)?;
    keys::write_public_key(&files.issuer_pub, &issuer.verifying_key())?;
    write_file(&files.trust_list, &content.sign(&anchor))?;
    eprintln!(
        "issuer {issuer_id}: anchor {} and issuer key {} in {}; trust list version 1",
        KeyId::of(&anchor.verifying_key()),
        KeyId::of(&issuer.verifying_key()),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// An issuer's signing key with the trust list entry that vouches for it.
pub struct LoadedIssuer {
    /// The signing key.
    pub key: SigningKey,
    /// The issuer id from the trust list.
    pub issuer_id: String,
}

/// Loads the issuer key and finds its entry in the folder's trust list.
pub fn load(dir: &Path) -> Result<LoadedIssuer> {
    let files = IssuerDir::at(dir);
    let key = keys::read_private_key(&files.issuer_key)?;
    let anchor = keys::read_public_key(&files.anchor_pub)?;
    let trust_list = TrustList::verify(&read_file(&files.trust_list)?, &anchor)
        .with_context(|| format!("checking {}", files.trust_list.display()))?;
    let kid = KeyId::of(&key.verifying_key());
    let issuer_id = trust_list
        .issuer(kid)
        .map(|i| i.issuer_id.clone())
        .ok_or_else(|| {
            anyhow!(
                "the issuer key {kid} is not in {}",
                files.trust_list.display()
            )
        })?;
    Ok(LoadedIssuer { key, issuer_id })
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
    let issuer = load(&args.dir)?;
    let holder_key = keys::read_public_key(&args.holder_pub)?;
    let now = now_or(args.at);
    let expires_at = now + args.valid_days * DAY;
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
    let pass = Pass::issue(&claims, &issuer.key).context("the pass details are not valid")?;
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
