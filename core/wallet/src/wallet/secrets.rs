//! Names of the wallet's secrets in secure storage, and the holder key of a pass: read back from
//! secure storage by its recorded kind, made anew, or the platform's.

use super::*;

/// The holder's private key of a pass (software keys only; a platform key is not stored here).
pub(super) const HOLDER: &str = "holder-key";
/// The refresh token of a pass.
pub(super) const REFRESH: &str = "refresh-token";

pub(super) fn secret_name(wallet_id: &str, slot: &str, kind: &str) -> String {
    format!("doorpass/{wallet_id}/{slot}/{kind}")
}

impl Wallet {
    /// The platform signer, when the wallet was opened with one.
    pub(super) fn platform_signer(&self) -> Option<&Arc<dyn PlatformSigner>> {
        match &self.holder_keys {
            NewHolderKeys::Platform(signer) => Some(signer),
            _ => None,
        }
    }

    /// The holder key of pass `slot`, kept as `storage` says: a software key from secure storage,
    /// or the platform's key `platform`.
    pub(super) fn load_holder_key(
        &self,
        slot: &str,
        storage: HolderKeyStorage,
        platform: Option<&PlatformKeyRecord>,
    ) -> Result<HolderKey, WalletError> {
        if storage == HolderKeyStorage::Platform {
            let signer = self
                .platform_signer()
                .ok_or_else(|| WalletError::HolderKey {
                    detail: format!(
                        "the holder key of pass {slot} is kept by the platform, \
                     and no platform signer was given"
                    ),
                })?;
            let record = platform.ok_or_else(|| WalletError::HolderKey {
                detail: format!(
                    "the platform key of pass {slot} has no recorded id (made before keys had \
                     ids); authenticate again for a new key"
                ),
            })?;
            return Ok(HolderKey::Platform(PlatformKey::from_record(
                signer.clone(),
                record,
            )?));
        }
        let bytes = self
            .secrets
            .get(&secret_name(&self.identity.wallet_id, slot, HOLDER))?
            .ok_or_else(|| WalletError::SecretStore {
                detail: format!(
                    "the holder key of pass {slot} is not in {}",
                    self.secrets.describe()
                ),
            })?;
        HolderKey::from_secret(storage, &bytes).ok_or_else(|| WalletError::SecretStore {
            detail: "the stored holder key is damaged".into(),
        })
    }

    /// A new holder key for pass `slot`, as the wallet's options choose: a software key written to
    /// secure storage, or a new platform key (without attestation).
    pub(super) fn new_holder_key(&self, slot: &str) -> Result<HolderKey, WalletError> {
        let key = match &self.holder_keys {
            NewHolderKeys::SoftwareEd25519 => HolderKey::Ed25519(generate_signing_key()),
            NewHolderKeys::SoftwareP256 => HolderKey::P256(generate_p256_signing_key()),
            NewHolderKeys::Platform(signer) => {
                return Ok(HolderKey::Platform(
                    PlatformKey::create(signer.clone(), None)?.0,
                ));
            }
        };
        if let Some(bytes) = key.secret_bytes() {
            self.secrets
                .set(&secret_name(&self.identity.wallet_id, slot, HOLDER), &bytes)?;
        }
        Ok(key)
    }

    /// Deletes a key [`Wallet::new_holder_key`] made for `slot` that nothing came to use.
    pub(super) fn discard_new_key(&self, slot: &str, key: &HolderKey) {
        match key {
            HolderKey::Platform(key) => self.delete_platform_key(key.key_id()),
            _ => {
                let _ = self
                    .secrets
                    .delete(&secret_name(&self.identity.wallet_id, slot, HOLDER));
            }
        }
    }

    /// Deletes platform key `key_id` unless a pass or the pending enrolment still uses it. The
    /// caller has already updated `inner` (and its files) to no longer name the key where it
    /// should not.
    pub(super) fn release_platform_key(&self, inner: &Inner, key_id: &str) {
        if !platform_key_in_use(inner, key_id) {
            self.delete_platform_key(key_id);
        }
    }

    /// Asks the platform to delete key `key_id`; a failure is logged (the key is no longer named
    /// by anything, so it only takes space).
    pub(super) fn delete_platform_key(&self, key_id: &str) {
        if let Some(signer) = self.platform_signer()
            && let Err(e) = signer.delete_key(key_id)
        {
            log::warn!("an unused platform key could not be deleted: {e}");
        }
    }
}

/// Whether a pass or the pending enrolment names platform key `key_id`.
pub(super) fn platform_key_in_use(inner: &Inner, key_id: &str) -> bool {
    let by_pass = inner.slots.values().any(|s| {
        s.meta
            .platform_key
            .as_ref()
            .is_some_and(|k| k.key_id == key_id)
    });
    let by_pending = inner
        .state
        .pending
        .as_ref()
        .is_some_and(|p| p.platform_key_ids().any(|id| id == key_id));
    by_pass || by_pending
}
