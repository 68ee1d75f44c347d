//! Taking passes off the device: one pass, or the whole wallet.

use super::*;

impl Wallet {
    /// Removes a pass and its secrets from this device. Refused with [`WalletError::InUse`] while
    /// this wallet talks to the issuer (a renewal could otherwise store the pass again).
    pub fn remove_pass(&self, id: &str) -> Result<(), WalletError> {
        let _net = self.network.try_lock().map_err(|_| WalletError::InUse)?;
        let _across_processes = self.exclusive_blocking()?;
        let mut inner = self.live()?;
        if !inner.slots.contains_key(id) {
            return Err(WalletError::UnknownPass { id: id.to_string() });
        }
        for kind in [HOLDER, REFRESH] {
            self.secrets
                .delete(&secret_name(&self.identity.wallet_id, id, kind))?;
        }
        self.files
            .remove(id)
            .map_err(|e| WalletError::storage("pass", e))?;
        let removed = inner.slots.remove(id);
        inner.qr_cache.retain(|(slot, _), _| slot != id);
        if let Some(key) = removed.and_then(|s| s.meta.platform_key) {
            self.release_platform_key(&inner, &key.key_id);
        }
        Ok(())
    }

    /// Deletes every pass, secret and file of this wallet, once any issuer call under way has ended.
    /// Every later call on this wallet fails with [`WalletError::Wiped`].
    pub async fn wipe(&self) -> Result<(), WalletError> {
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive().await?;
        let (slots, platform_keys) = {
            let mut inner = self.live()?;
            inner.wiped = true;
            let taken = std::mem::take(&mut inner.slots);
            let mut platform_keys: Vec<String> = taken
                .values()
                .filter_map(|s| s.meta.platform_key.as_ref().map(|k| k.key_id.clone()))
                .collect();
            let mut slots: Vec<String> = taken.into_keys().collect();
            if let Some(pending) = inner.state.pending.take() {
                platform_keys.extend(pending.platform_key_ids().map(String::from));
                slots.push(pending.slot);
            }
            inner.qr_cache.clear();
            (slots, platform_keys)
        };
        for slot in slots {
            for kind in [HOLDER, REFRESH] {
                self.secrets
                    .delete(&secret_name(&self.identity.wallet_id, &slot, kind))?;
            }
        }
        // The platform's keys of this wallet go too (a wiped wallet must leave no key behind).
        for key_id in platform_keys {
            self.delete_platform_key(&key_id);
        }
        let home = &self.layout.home;
        let io = |e: std::io::Error| WalletError::storage("wiping", e);
        for dir in [self.layout.passes(), self.layout.status_lists()] {
            match std::fs::remove_dir_all(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        for entry in std::fs::read_dir(home).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ours = [
                "identity.json",
                "identity.backup.json",
                "lock",
                "state.json",
                "trust-list.cose",
                "secrets.json",
            ]
            .iter()
            .any(|f| name == *f || name.starts_with(&format!("{f}.")));
            if ours && path.is_file() {
                std::fs::remove_file(&path).map_err(io)?;
            }
        }
        let _ = std::fs::remove_dir(home); // only if now empty
        log::info!("wallet wiped");
        Ok(())
    }
}
