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
    /// The platform's key, when the wallet was opened with a platform signer.
    pub(super) fn platform_key(&self) -> Result<Option<HolderKey>, WalletError> {
        match &self.holder_keys {
            NewHolderKeys::Platform(signer) => {
                Ok(Some(HolderKey::Platform(PlatformKey::new(signer.clone())?)))
            }
            _ => Ok(None),
        }
    }

    /// The holder key of pass `slot`, kept as `storage` says: a software key from secure storage,
    /// or the platform's.
    pub(super) fn load_holder_key(
        &self,
        slot: &str,
        storage: HolderKeyStorage,
    ) -> Result<HolderKey, WalletError> {
        if storage == HolderKeyStorage::Platform {
            return self.platform_key()?.ok_or_else(|| WalletError::HolderKey {
                detail: format!(
                    "the holder key of pass {slot} is kept by the platform, \
                     and no platform signer was given"
                ),
            });
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

    /// A new holder key for pass `slot`, as the wallet's options choose; a software key is written
    /// to secure storage first. Returns the key and whether a secret was written.
    pub(super) fn new_holder_key(&self, slot: &str) -> Result<(HolderKey, bool), WalletError> {
        let key = match &self.holder_keys {
            NewHolderKeys::SoftwareEd25519 => HolderKey::Ed25519(generate_signing_key()),
            NewHolderKeys::SoftwareP256 => HolderKey::P256(generate_p256_signing_key()),
            NewHolderKeys::Platform(signer) => {
                return Ok((
                    HolderKey::Platform(PlatformKey::new(signer.clone())?),
                    false,
                ));
            }
        };
        if let Some(bytes) = key.secret_bytes() {
            self.secrets
                .set(&secret_name(&self.identity.wallet_id, slot, HOLDER), &bytes)?;
        }
        Ok((key, true))
    }
}
