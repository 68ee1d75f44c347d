//! Where a wallet keeps its secrets (holder private keys, refresh tokens).
//!
//! The platform's secure storage through the keyring family (`KeyringSecretStore`, with the default
//! `platform-keystore` feature: Apple Keychain, Android Keystore, Linux kernel keyutils, Windows
//! Credential Manager), a store the app passes in
//! (any [`SecretStore`]), a file readable only by its owner ([`FileSecretStore`]) where no OS
//! keystore is reachable and the caller chooses it, or memory ([`MemorySecretStore`]) for demos and
//! tests. The library never falls back from one to another by itself.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use doorpass_format::api::{b64, b64_vec};
use doorpass_format::atomic_file::write_atomic;

/// Longest secret stored, in bytes.
const MAX_SECRET_LEN: usize = 4096;

/// Why a secret store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretStoreError {
    /// The store cannot be reached at all (no keystore, access denied, no session keyring).
    #[error("secure storage is not reachable: {0}")]
    Unavailable(String),
    /// The store was reached but the operation failed.
    #[error("secure storage failed: {0}")]
    Failed(String),
}

/// A place for small secrets, by name. Implementations must never log the values.
pub trait SecretStore: Send + Sync {
    /// The secret called `name`, if stored.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Stores `secret` under `name`, replacing any previous one.
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError>;
    /// Deletes `name`; deleting what is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretStoreError>;
    /// A short description for people ("Linux kernel keyring", "file …").
    fn describe(&self) -> String;
}

/// Secrets in memory only; gone when the process ends.
#[derive(Default)]
pub struct MemorySecretStore {
    secrets: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl SecretStore for MemorySecretStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        Ok(self
            .secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned())
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        self.secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), secret.to_vec());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        self.secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(())
    }
    fn describe(&self) -> String {
        "memory (not kept after exit)".into()
    }
}

/// Secrets in one JSON file readable only by its owner (mode 0600), written atomically. For machines
/// without a reachable OS keystore, when the caller explicitly chooses it.
pub struct FileSecretStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSecretStore {
    /// A store in the file at `path` (created on first write).
    pub fn new(path: PathBuf) -> Self {
        FileSecretStore {
            path,
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<BTreeMap<String, String>, SecretStoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                SecretStoreError::Failed(format!("{} is damaged", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(SecretStoreError::Unavailable(format!(
                "{}: {e}",
                self.path.display()
            ))),
        }
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), SecretStoreError> {
        let bytes = serde_json::to_vec(map).map_err(|e| SecretStoreError::Failed(e.to_string()))?;
        write_atomic(&self.path, &bytes, true)
            .map_err(|e| SecretStoreError::Failed(format!("{}: {e}", self.path.display())))
    }
}

impl SecretStore for FileSecretStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SecretStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self
            .load()?
            .get(name)
            .and_then(|v| b64_vec(v, MAX_SECRET_LEN)))
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), SecretStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut map = self.load()?;
        map.insert(name.to_string(), b64(secret));
        self.save(&map)
    }
    fn delete(&self, name: &str) -> Result<(), SecretStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut map = self.load()?;
        if map.remove(name).is_some() {
            self.save(&map)?;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("file {} (mode 0600)", self.path.display())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn round_trip(store: &dyn SecretStore) {
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", &[1, 2, 3]).unwrap();
        store.set("b", &[4]).unwrap();
        assert_eq!(store.get("a").unwrap(), Some(vec![1, 2, 3]));
        store.set("a", &[9]).unwrap();
        assert_eq!(store.get("a").unwrap(), Some(vec![9]));
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        assert_eq!(store.get("a").unwrap(), None);
        assert_eq!(store.get("b").unwrap(), Some(vec![4]));
    }

    #[test]
    fn memory_and_file_stores_round_trip() {
        round_trip(&MemorySecretStore::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        round_trip(&FileSecretStore::new(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, b"{broken").unwrap();
        assert!(matches!(
            FileSecretStore::new(path).get("b"),
            Err(SecretStoreError::Failed(_))
        ));
    }
}
