//! First authentication and re-authentication: a one-time code is requested for a subject, then traded
//! for a pass bound to this device's holder key.

use super::*;

impl Wallet {
    /// Starts the code flow for `subject`: the issuer sends a one-time code. A subject that already has
    /// a pass here re-authenticates with the same holder key; a new subject gets a new pass slot and a
    /// new holder key. Replaces any enrolment already waiting for a code.
    pub async fn begin_authentication(
        &self,
        subject: &str,
        device_now: u64,
    ) -> Result<PendingEnrolment, WalletError> {
        let subject = subject.trim();
        if subject.is_empty()
            || subject.len() > MAX_SUBJECT_LEN
            || subject.chars().any(char::is_control)
        {
            return Err(WalletError::InvalidInput {
                detail: "enter the phone number or id the code should go to".into(),
            });
        }
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive()?;
        let existing = {
            let inner = self.live()?;
            inner
                .slots
                .iter()
                .find(|(_, s)| s.meta.subject == subject)
                .map(|(id, _)| id.clone())
        };
        let holder_name = |slot: &str| secret_name(&self.identity.wallet_id, slot, HOLDER);
        let (slot, reauth, existing_key) = match existing {
            // Re-authentication keeps the holder key — unless secure storage lost it (e.g. a kernel
            // keyring after a reboot); then the pass cannot be shown anyway and a new key is made.
            Some(slot) => {
                let key = self
                    .secrets
                    .get(&holder_name(&slot))?
                    .and_then(|b| <[u8; 32]>::try_from(b).ok());
                (slot, true, key.map(|b| SigningKey::from_bytes(&b)))
            }
            None => (
                doorpass_format::keys::hex(&rand::random::<[u8; 4]>()),
                false,
                None,
            ),
        };
        let new_key = existing_key.is_none();
        let key = match existing_key {
            Some(key) => key,
            None => {
                let key = generate_signing_key();
                self.secrets.set(&holder_name(&slot), &key.to_bytes())?;
                key
            }
        };
        let answer = match self
            .client()?
            .start_enrolment(subject, &key.verifying_key())
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                // A key made just now for this attempt is not needed; a kept one stays.
                if new_key {
                    let _ = self.secrets.delete(&holder_name(&slot));
                }
                return Err(e.into());
            }
        };
        let boot = self.boot_reading();
        let mut inner = self.lock();
        if let Some(t) = answer.server_time {
            inner.state.clock.sync(t, device_now, boot.as_ref());
        }
        let now = inner.state.clock.corrected(device_now);
        let record = PendingRecord {
            slot,
            subject: subject.to_string(),
            challenge_id: answer.value.challenge_id,
            code_length: answer.value.code_length,
            expires_at: now.saturating_add(answer.value.expires_in),
            reauth,
        };
        if let Some(old) = inner.state.pending.replace(record.clone())
            && old.slot != record.slot
        {
            self.forget_unused_slot_key(&inner, &old.slot);
        }
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        Ok(pending_view(&record))
    }

    /// Starts re-authentication of pass `id`: a new code goes to the subject it was issued to, and the
    /// pass keeps its holder key. The pass in hand stays until the new one arrives.
    pub async fn begin_reauthentication(
        &self,
        id: &str,
        device_now: u64,
    ) -> Result<PendingEnrolment, WalletError> {
        let subject = {
            let inner = self.live()?;
            let slot = inner
                .slots
                .get(id)
                .ok_or_else(|| WalletError::UnknownPass { id: id.to_string() })?;
            slot.meta.subject.clone()
        };
        if subject.is_empty() {
            return Err(WalletError::InvalidInput {
                detail:
                    "this pass lost its subject in a damaged file; enter the phone number or id"
                        .into(),
            });
        }
        self.begin_authentication(&subject, device_now).await
    }

    /// Abandons the enrolment waiting for a code, if any. Refused with [`WalletError::InUse`] while
    /// this wallet (or another process for it) talks to the issuer: a code being traded for a pass
    /// right now must not lose its enrolment (and holder key) half-way.
    pub fn cancel_authentication(&self) -> Result<(), WalletError> {
        let _net = self.network.try_lock().map_err(|_| WalletError::InUse)?;
        let _across_processes = self.exclusive()?;
        self.drop_pending()
    }

    /// Forgets the pending enrolment and the holder key made for it (when no pass uses that key).
    /// The caller holds the locks, or is the call that holds them.
    fn drop_pending(&self) -> Result<(), WalletError> {
        let mut inner = self.live()?;
        if let Some(old) = inner.state.pending.take() {
            self.forget_unused_slot_key(&inner, &old.slot);
            write_json(&self.layout.state(), &inner.state)
                .map_err(|e| WalletError::storage("state", e))?;
        }
        Ok(())
    }

    pub(super) fn forget_unused_slot_key(&self, inner: &Inner, slot: &str) {
        if !inner.slots.contains_key(slot) {
            let _ = self
                .secrets
                .delete(&secret_name(&self.identity.wallet_id, slot, HOLDER));
        }
    }

    /// Completes the code flow: trades the code for a pass, checks the pass against the trust list and
    /// the holder key, and stores it. A wrong code keeps the enrolment waiting; an expired or locked one
    /// ends it.
    pub async fn complete_authentication(
        &self,
        code: &str,
        device_now: u64,
    ) -> Result<PassSummary, WalletError> {
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive()?;
        let pending = self
            .live()?
            .state
            .pending
            .clone()
            .ok_or(WalletError::NoPendingEnrolment)?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != pending.code_length as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WalletError::InvalidInput {
                detail: format!("the code is {} digits", pending.code_length),
            });
        }
        let key = load_holder_key(
            self.secrets.as_ref(),
            &self.identity.wallet_id,
            &pending.slot,
        )?;
        let started = Instant::now();
        let answer = match self
            .client()?
            .complete_enrolment(&pending.challenge_id, &code, &key)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                let err = WalletError::from(e);
                if matches!(
                    err,
                    WalletError::CodeNoLongerValid { .. } | WalletError::NotEligible
                ) {
                    // This call holds the locks: drop the enrolment without taking them again.
                    let _ = self.drop_pending();
                }
                return Err(err);
            }
        };
        let device_after = device_now.saturating_add(started.elapsed().as_secs());
        if let Some(t) = answer.server_time {
            let boot = self.boot_reading();
            self.lock().state.clock.sync(t, device_after, boot.as_ref());
        }
        let pass = self
            .accept_issued(&answer.value, &key, device_after)
            .await?;
        let mut inner = self.lock();
        let now = inner.state.clock.corrected(device_after);
        let mut meta = inner
            .slots
            .get(&pending.slot)
            .map(|s| s.meta.clone())
            .unwrap_or_else(|| SlotMeta {
                subject: pending.subject.clone(),
                created_at: now,
                ..SlotMeta::default()
            });
        meta.reauth_required = false;
        meta.reauth_reason = None;
        meta.failures = 0;
        meta.next_attempt_at = 0;
        meta.last_error = None;
        self.keep_refresh_token(&pending.slot, &answer.value.refresh_token)?;
        self.store_issued(&mut inner, &pending.slot, meta, pass, key)?;
        inner.state.pending = None;
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        Ok(summary(
            &pending.slot,
            &inner.slots[&pending.slot],
            &inner.revocations,
            now,
        ))
    }
}
