//! Changing the published trust list with the offline anchor: re-signing it before its planned
//! update, and rotating the issuer key. Both read the anchor's private key from its own folder
//! ([`AnchorDir`]) and write only the serving folder.

use std::path::Path;

use doorpass_format::atomic_file::write_atomic;
use doorpass_format::keys::{self, KeyId, SigningKey};
use doorpass_format::verifier::DEFAULT_MAX_PASS_LIFETIME_SECONDS;
use doorpass_format::{TrustList, TrustListContent, TrustedIssuer};

use crate::keys::{
    AnchorDir, ISSUER_KEY_DAYS, IssuerDir, IssuerKeys, IssuerKeysError, TRUST_LIST_REFRESH_DAYS,
    io_error,
};

const DAY: u64 = 86_400;

/// What a new trust list says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Its version (one more than the list it replaces).
    pub version: u64,
    /// When wallets and doors should expect the next one, Unix seconds.
    pub next_update: u64,
    /// The issuer key now signing passes.
    pub signing_key: KeyId,
    /// The key it replaced, listed until now for passes it already signed (rotation only).
    pub retired_key: Option<KeyId>,
}

/// Signs the same trust list again as the next version, with a new planned update, so that wallets
/// and doors do not report it stale. Keys whose passes can no longer be valid anywhere are dropped.
pub fn sign_trust_list(
    dir: &Path,
    anchor: &AnchorDir,
    now: u64,
) -> Result<Published, IssuerKeysError> {
    let (anchor_key, serving) = open_with_anchor(dir, anchor)?;
    let current = &serving.trust_list;
    let signing_key = KeyId::of(&serving.signing_key.verifying_key());
    let issuers = still_useful(&current.content().issuers, now);
    publish(dir, &anchor_key, current, issuers, now)?;
    Ok(Published {
        version: current.version() + 1,
        next_update: now + TRUST_LIST_REFRESH_DAYS * DAY,
        signing_key,
        retired_key: None,
    })
}

/// Replaces the issuer key: a new key is listed from now on, the old one stays listed only for
/// passes it signed until now, and the serving folder gets the new key. The new list is written
/// before the new key, so an interruption leaves a folder that still loads (or, at worst, an old
/// key that may no longer sign: run the rotation again). Restart the service to sign with the new
/// key; until then, its passes are refused at doors that have the new list.
pub fn rotate_issuer_key(
    dir: &Path,
    anchor: &AnchorDir,
    now: u64,
) -> Result<Published, IssuerKeysError> {
    let files = IssuerDir::at(dir);
    let (anchor_key, serving) = open_with_anchor(dir, anchor)?;
    let current = &serving.trust_list;
    let old_id = KeyId::of(&serving.signing_key.verifying_key());
    let old_entry = current
        .issuer(old_id)
        .ok_or(IssuerKeysError::NotListed(old_id))?
        .clone();
    let new_key = keys::generate_signing_key();
    let mut issuers = still_useful(&current.content().issuers, now);
    for entry in issuers.iter_mut().filter(|e| e.key_id == old_id) {
        entry.not_after = entry.not_after.min(now);
    }
    issuers.push(TrustedIssuer::new(
        new_key.verifying_key(),
        &old_entry.issuer_id,
        now,
        now + ISSUER_KEY_DAYS * DAY,
    ));
    publish(dir, &anchor_key, current, issuers, now)?;
    keys::write_private_key(&files.issuer_key, &new_key)?;
    keys::write_public_key(&files.issuer_pub, &new_key.verifying_key())?;
    Ok(Published {
        version: current.version() + 1,
        next_update: now + TRUST_LIST_REFRESH_DAYS * DAY,
        signing_key: KeyId::of(&new_key.verifying_key()),
        retired_key: Some(old_id),
    })
}

/// The anchor's private key, checked against the anchor the serving folder pins, and the serving
/// folder itself as the service loads it (trust list verified, issuer key listed).
fn open_with_anchor(
    dir: &Path,
    anchor: &AnchorDir,
) -> Result<(SigningKey, IssuerKeys), IssuerKeysError> {
    let serving = IssuerKeys::load(dir)?;
    let anchor_key = keys::read_private_key(&anchor.key)?;
    if anchor_key.verifying_key() != serving.anchor {
        return Err(IssuerKeysError::AnchorMismatch {
            anchor_dir: anchor.dir.display().to_string(),
            found: KeyId::of(&anchor_key.verifying_key()),
            pinned: KeyId::of(&serving.anchor),
        });
    }
    Ok((anchor_key, serving))
}

/// The entries whose passes may still be valid somewhere: listed for issuance until a time less than
/// a maximum pass lifetime ago.
fn still_useful(issuers: &[TrustedIssuer], now: u64) -> Vec<TrustedIssuer> {
    issuers
        .iter()
        .filter(|e| {
            e.not_after
                .saturating_add(DEFAULT_MAX_PASS_LIFETIME_SECONDS)
                >= now
        })
        .cloned()
        .collect()
}

/// Signs and writes the next version of the list.
fn publish(
    dir: &Path,
    anchor_key: &SigningKey,
    current: &TrustList,
    issuers: Vec<TrustedIssuer>,
    now: u64,
) -> Result<(), IssuerKeysError> {
    let path = IssuerDir::at(dir).trust_list;
    let content = TrustListContent {
        version: current.version() + 1,
        issued_at: now.max(current.content().issued_at),
        next_update: now + TRUST_LIST_REFRESH_DAYS * DAY,
        issuers,
    };
    write_atomic(&path, &content.sign(anchor_key), false).map_err(io_error(&path))
}
