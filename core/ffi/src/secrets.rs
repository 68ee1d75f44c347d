//! A secret store written by the app (Android Keystore, iOS Keychain, or anything else), called back
//! from Rust for holder keys and refresh tokens.

use std::sync::Arc;

use doorpass_wallet::secret_store::{SecretStore as CoreSecretStore, SecretStoreError};

use crate::error::SecretStoreFailure;

/// Where the wallet keeps its secrets when the app supplies the store. Values are small (at most 4 KiB)
/// and secret: never log them.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// The secret called `name`, or `None` if nothing is stored under it.
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreFailure>;
    /// Stores `secret` under `name`, replacing what was there.
    fn set(&self, name: String, secret: Vec<u8>) -> Result<(), SecretStoreFailure>;
    /// Deletes `name`; deleting what is not there is not an error.
    fn delete(&self, name: String) -> Result<(), SecretStoreFailure>;
    /// A short description for people, e.g. "Android Keystore (StrongBox)".
    fn describe(&self) -> String;
}

/// The app's store, as the core's secret store.
pub(crate) struct ForeignSecretStore(pub(crate) Arc<dyn SecretStore>);

impl CoreSecretStore for ForeignSecretStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        Ok(self.0.get(name.to_string())?)
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        Ok(self.0.set(name.to_string(), secret.to_vec())?)
    }
    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        Ok(self.0.delete(name.to_string())?)
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
}
