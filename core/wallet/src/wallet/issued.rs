//! Accepting what the issuer sends: a new pass is checked before it replaces the one in hand, and the
//! new refresh token is kept first.

use super::*;

impl Wallet {
    /// Checks a freshly issued pass: it parses, its issuer and signature check against the trust list
    /// (fetched or refreshed first if needed), and it is bound to one of `holders`.
    pub(super) async fn accept_issued(
        &self,
        issued: &IssuedPass,
        holders: &[HolderPublicKey],
        device_now: u64,
    ) -> Result<Pass, WalletError> {
        let invalid = |detail: String| WalletError::InvalidFromIssuer { detail };
        let bytes = b64_vec(&issued.pass, MAX_PASS_LEN)
            .ok_or_else(|| invalid("the pass is not base64url".into()))?;
        let pass = Pass::parse(&bytes).map_err(|e| invalid(e.to_string()))?;
        if !holders.contains(&pass.claims().holder_key) {
            return Err(invalid("the pass is bound to another key".into()));
        }
        let (known, due) = {
            let inner = self.lock();
            let now = inner.state.clock.corrected(device_now);
            match inner.trust.list() {
                Some(tl) => (
                    tl.issuer(pass.issuer_key_id()).is_some(),
                    tl.is_due_for_update(now),
                ),
                None => (false, true),
            }
        };
        if !known || due {
            // Opportunistic when the key is known; required when it is not.
            if let Err(e) = self.fetch_trust_list(device_now).await
                && !known
            {
                return Err(e);
            }
        }
        let trust_list = self
            .lock()
            .trust
            .list()
            .cloned()
            .ok_or_else(|| invalid("no trust list".into()))?;
        Verifier::new(trust_list, VerifierPolicy::default())
            .check_pass(&pass, None)
            .map_err(|r| invalid(format!("the pass does not verify: {r}")))?;
        if b64_fixed::<32>(&issued.refresh_token).is_none() {
            return Err(invalid(
                "the refresh token is not 32 bytes of base64url".into(),
            ));
        }
        Ok(pass)
    }

    /// Keeps a slot's new refresh token in secure storage, replacing the spent one. A malformed token
    /// is not kept (the check of the answer refuses it anyway).
    pub(super) fn keep_refresh_token(&self, slot: &str, token: &str) -> Result<(), WalletError> {
        if let Some(token) = b64_fixed::<32>(token) {
            let name = secret_name(&self.identity.wallet_id, slot, REFRESH);
            self.secrets.set(&name, &token)?;
        }
        Ok(())
    }

    /// Stores a new pass for a slot whose refresh token was already kept
    /// ([`Wallet::keep_refresh_token`]): a copy of the pass it replaces, then the pass file (atomic),
    /// then metadata. A crash at any point leaves the previous pass or the new one, never none; a pass
    /// file damaged later falls back to the copy.
    pub(super) fn store_issued(
        &self,
        inner: &mut Inner,
        id: &str,
        meta: SlotMeta,
        pass: Pass,
        holder: HolderKey,
    ) -> Result<(), WalletError> {
        if let Some(previous) = inner.slots.get(id).and_then(|s| s.pass.as_ref()) {
            self.files
                .save_previous_pass(id, previous.bytes())
                .map_err(|e| WalletError::storage("pass", e))?;
        }
        self.files
            .save_pass(id, pass.bytes())
            .map_err(|e| WalletError::storage("pass", e))?;
        self.files
            .save_meta(id, &meta)
            .map_err(|e| WalletError::storage("pass metadata", e))?;
        inner.qr_cache.retain(|(slot, _), _| slot != id);
        inner.slots.insert(
            id.to_string(),
            Slot {
                meta,
                pass: Some(pass),
                holder: Some(holder),
            },
        );
        Ok(())
    }
}
