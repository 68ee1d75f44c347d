//! Names of the wallet's secrets in secure storage, and reading a holder key back.

use super::*;

/// The holder's private key of a pass.
pub(super) const HOLDER: &str = "holder-key";
/// The refresh token of a pass.
pub(super) const REFRESH: &str = "refresh-token";

pub(super) fn secret_name(wallet_id: &str, slot: &str, kind: &str) -> String {
    format!("doorpass/{wallet_id}/{slot}/{kind}")
}

pub(super) fn load_holder_key(
    secrets: &dyn SecretStore,
    wallet_id: &str,
    slot: &str,
) -> Result<SigningKey, WalletError> {
    let bytes = secrets
        .get(&secret_name(wallet_id, slot, HOLDER))?
        .ok_or_else(|| WalletError::SecretStore {
            detail: format!(
                "the holder key of pass {slot} is not in {}",
                secrets.describe()
            ),
        })?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| WalletError::SecretStore {
        detail: "the stored holder key is damaged".into(),
    })?;
    Ok(SigningKey::from_bytes(&bytes))
}
