//! The platform's secure storage through the keyring family: Apple Keychain, Android Keystore, Linux
//! kernel keyutils, Windows Credential Manager (feature `platform-keystore`, on by default).

use crate::secret_store::{SecretStore, SecretStoreError};

/// The platform's secure storage through `keyring-core` and the store for this target.
pub struct KeyringSecretStore {
    service: String,
    platform: &'static str,
}

impl KeyringSecretStore {
    /// Connects to this platform's keystore under `service` and proves it works (a probe secret is
    /// written, read back and deleted). Fails with [`SecretStoreError::Unavailable`] where no keystore
    /// is reachable, e.g. Linux without a session keyring, and with [`SecretStoreError::Failed`] when
    /// the keystore is there but the probe failed (possibly for a moment): a caller may fall back to
    /// another store on the first, never on the second.
    pub fn connect(service: &str) -> Result<Self, SecretStoreError> {
        let platform = install_platform_store()?;
        let store = KeyringSecretStore {
            service: service.to_string(),
            platform,
        };
        let probe = "doorpass-probe";
        let named = |e: SecretStoreError| match e {
            SecretStoreError::Unavailable(reason) => {
                SecretStoreError::Unavailable(format!("{platform}: {reason}"))
            }
            SecretStoreError::Failed(reason) => {
                SecretStoreError::Failed(format!("{platform}: {reason}"))
            }
        };
        store.set(probe, b"probe").map_err(named)?;
        let back = store.get(probe).map_err(named)?;
        store.delete(probe).map_err(named)?;
        if back.as_deref() != Some(b"probe".as_slice()) {
            return Err(SecretStoreError::Failed(format!(
                "{platform}: a probe secret did not read back"
            )));
        }
        Ok(store)
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry, SecretStoreError> {
        keyring_core::Entry::new(&self.service, name).map_err(|e| map_keyring_error(&e))
    }
}

fn map_keyring_error(e: &keyring_core::Error) -> SecretStoreError {
    match e {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::PlatformFailure(_) => {
            SecretStoreError::Unavailable(e.to_string())
        }
        _ => SecretStoreError::Failed(e.to_string()),
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(&e)),
        }
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(|e| map_keyring_error(&e))
    }
    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(&e)),
        }
    }
    fn describe(&self) -> String {
        self.platform.to_string()
    }
}

/// Makes this target's keyring store the default one (once per process); returns its name.
fn install_platform_store() -> Result<&'static str, SecretStoreError> {
    static INSTALLED: std::sync::OnceLock<Result<&'static str, SecretStoreError>> =
        std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let unavailable = |e: keyring_core::Error| SecretStoreError::Unavailable(e.to_string());
            #[cfg(target_os = "linux")]
            {
                keyring_core::set_default_store(
                    linux_keyutils_keyring_store::Store::new().map_err(unavailable)?,
                );
                Ok("Linux kernel keyring (keyutils)")
            }
            #[cfg(any(target_os = "macos", target_os = "ios"))]
            {
                keyring_core::set_default_store(
                    apple_native_keyring_store::protected::Store::new().map_err(unavailable)?,
                );
                Ok("Apple Keychain")
            }
            #[cfg(target_os = "android")]
            {
                keyring_core::set_default_store(
                    android_native_keyring_store::Store::new().map_err(unavailable)?,
                );
                Ok("Android Keystore")
            }
            #[cfg(windows)]
            {
                keyring_core::set_default_store(
                    windows_native_keyring_store::Store::new().map_err(unavailable)?,
                );
                Ok("Windows Credential Manager")
            }
            #[cfg(not(any(
                target_os = "linux",
                target_os = "macos",
                target_os = "ios",
                target_os = "android",
                windows
            )))]
            {
                let _ = unavailable;
                Err(SecretStoreError::Unavailable(
                    "no keystore is supported on this platform".into(),
                ))
            }
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real kernel keyring: reachable only inside a session keyring (`keyctl session -`, as
    /// scripts/test.sh runs the tests). Outside one, connecting must fail as Unavailable, never
    /// silently succeed.
    #[cfg(target_os = "linux")]
    #[test]
    fn linux_keyutils_store_round_trips_or_reports_unavailable() {
        match KeyringSecretStore::connect("doorpass-unit-test") {
            Ok(store) => {
                assert!(store.describe().contains("keyutils"));
                crate::secret_store::tests::round_trip(&store);
                store.delete("b").unwrap();
            }
            Err(SecretStoreError::Unavailable(reason)) => {
                assert!(
                    std::env::var_os("DOORPASS_REQUIRE_KEYRING").is_none(),
                    "keyring required: {reason}"
                );
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
}
