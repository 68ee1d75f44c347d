//! First authentication and re-authentication: a one-time code is requested for a subject, then traded
//! for a pass bound to this device's holder key.

use super::*;
use doorpass_format::api::{ATTESTATION_CHALLENGE_LEN, EnrolmentStartResponse, KeyAttestation};

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
        let _across_processes = self.exclusive().await?;
        let existing = {
            let inner = self.live()?;
            inner
                .slots
                .iter()
                .find(|(_, s)| s.meta.subject == subject)
                .map(|(id, s)| (id.clone(), s.meta.holder_key, s.meta.platform_key.clone()))
        };
        let (slot, reauth, existing_key) = match existing {
            // A software key moves to a platform key when the app offers a signer (issue 22).
            Some((slot, storage, _))
                if storage != HolderKeyStorage::Platform && self.platform_signer().is_some() =>
            {
                (slot, true, None)
            }
            // Re-authentication keeps the holder key — unless secure storage (or the platform) lost
            // it (e.g. a kernel keyring after a reboot); then the pass cannot be shown anyway and a
            // new key is made.
            Some((slot, storage, platform)) => {
                let key = self.load_holder_key(&slot, storage, platform.as_ref()).ok();
                (slot, true, key)
            }
            None => (
                doorpass_format::keys::hex(&rand::random::<[u8; 4]>()),
                false,
                None,
            ),
        };
        let (key, new_key) = match existing_key {
            Some(key) => (key, false),
            None => (self.new_holder_key(&slot)?, true),
        };
        let answer = match self.start_with(subject, &key).await {
            Ok(answer) => answer,
            Err(e) => {
                // A key made just now for this attempt is not needed; a kept one stays.
                if new_key {
                    self.discard_new_key(&slot, &key);
                }
                return Err(e);
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
            holder_key: key.storage(),
            platform_key: key.platform_record(),
            attestation_challenge: answer.value.attestation_challenge,
            attested: None,
            attestation_unavailable: false,
            received: None,
        };
        let old = inner.state.pending.replace(record.clone());
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        if let Some(old) = old {
            self.forget_pending_keys(&inner, &old);
        }
        Ok(pending_view(&record))
    }

    /// Asks the issuer to send a code to `subject` for `key`; checks the attestation challenge of
    /// the answer, if any, is 32 bytes.
    async fn start_with(
        &self,
        subject: &str,
        key: &HolderKey,
    ) -> Result<crate::issuer_client::Answer<EnrolmentStartResponse>, WalletError> {
        let answer = self
            .client()?
            .start_enrolment_with_key(subject, &key.public_key())
            .await?;
        if let Some(challenge) = &answer.value.attestation_challenge
            && b64_fixed::<ATTESTATION_CHALLENGE_LEN>(challenge).is_none()
        {
            return Err(WalletError::InvalidFromIssuer {
                detail: "the attestation challenge is not 32 bytes of base64url".into(),
            });
        }
        Ok(answer)
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
        let _across_processes = self.exclusive_blocking()?;
        self.drop_pending()
    }

    /// Forgets the pending enrolment and the holder keys made for it (when no pass uses them).
    /// The caller holds the locks, or is the call that holds them.
    pub(super) fn drop_pending(&self) -> Result<(), WalletError> {
        let mut inner = self.live()?;
        if let Some(old) = inner.state.pending.take() {
            write_json(&self.layout.state(), &inner.state)
                .map_err(|e| WalletError::storage("state", e))?;
            self.forget_pending_keys(&inner, &old);
        }
        Ok(())
    }

    /// Deletes the keys of a pending enrolment that is no longer `inner`'s: its slot's software
    /// key when that slot holds no pass, and its platform keys that nothing else uses.
    fn forget_pending_keys(&self, inner: &Inner, old: &PendingRecord) {
        if !inner.slots.contains_key(&old.slot)
            && inner.state.pending.as_ref().map(|p| &p.slot) != Some(&old.slot)
        {
            let _ = self
                .secrets
                .delete(&secret_name(&self.identity.wallet_id, &old.slot, HOLDER));
        }
        for key_id in old.platform_key_ids() {
            self.release_platform_key(inner, key_id);
        }
    }

    /// Completes the code flow: trades the code for a pass, checks the pass against the trust list and
    /// the holder key, and stores it. A wrong code keeps the enrolment waiting; an expired or locked one
    /// ends it. The answer's refresh token is kept, and the answer noted, before the pass is checked:
    /// when checking fails for a passing reason (the trust list cannot be fetched, storage), the next
    /// call resumes from the answer without asking the issuer (the code it is given is then not
    /// needed). An answer lost on its way is asked for again with the same code: the issuer answers a
    /// retry with the same pass.
    pub async fn complete_authentication(
        &self,
        code: &str,
        device_now: u64,
    ) -> Result<PassSummary, WalletError> {
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive().await?;
        let pending = self
            .live()?
            .state
            .pending
            .clone()
            .ok_or(WalletError::NoPendingEnrolment)?;
        let start_key = self.load_holder_key(
            &pending.slot,
            pending.holder_key,
            pending.platform_key.as_ref(),
        )?;
        let (issued, device_after) = match &pending.received {
            Some(received) => (self.resume_answer(&pending.slot, received)?, device_now),
            None => {
                let code = checked_code(code, pending.code_length)?;
                let attestation = self.attestation_for(&pending)?;
                self.trade_code(&pending, &code, &start_key, attestation, device_now)
                    .await?
            }
        };
        // The pass binds the start key, or the attested key when the issuer took its attestation.
        let mut keys = vec![start_key];
        keys.extend(self.attested_key()?);
        let holders: Vec<HolderPublicKey> = keys.iter().map(HolderKey::public_key).collect();
        let pass = match self.accept_issued(&issued, &holders, device_after).await {
            Ok(pass) => pass,
            Err(err) => {
                if matches!(err, WalletError::InvalidFromIssuer { .. }) {
                    // An answer that can never be a pass: resuming from it would fail forever.
                    let _ = self.drop_pending();
                }
                return Err(err);
            }
        };
        let key = keys
            .into_iter()
            .find(|k| k.public_key() == pass.claims().holder_key)
            .ok_or_else(|| WalletError::InvalidFromIssuer {
                detail: "the pass is bound to another key".into(),
            })?;
        let mut inner = self.lock();
        let now = inner.state.clock.corrected(device_after);
        let previous = inner.slots.get(&pending.slot).map(|s| s.meta.clone());
        let mut meta = previous.clone().unwrap_or_else(|| SlotMeta {
            subject: pending.subject.clone(),
            created_at: now,
            ..SlotMeta::default()
        });
        meta.reauth_required = false;
        meta.reauth_reason = None;
        meta.failures = 0;
        meta.next_attempt_at = 0;
        meta.last_error = None;
        let moved_to_platform = meta.holder_key != HolderKeyStorage::Platform
            && key.storage() == HolderKeyStorage::Platform;
        meta.holder_key = key.storage();
        meta.platform_key = key.platform_record();
        self.store_issued(&mut inner, &pending.slot, meta, pass, key)?;
        let finished = inner.state.pending.take();
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        if moved_to_platform {
            // The pass now binds a platform key: its software key has nothing left to sign.
            let _ = self.secrets.delete(&secret_name(
                &self.identity.wallet_id,
                &pending.slot,
                HOLDER,
            ));
        }
        // The pass's former key, and the enrolment's key the pass did not bind, once unused.
        let former = previous.and_then(|m| m.platform_key).map(|k| k.key_id);
        let finished_ids = finished.iter().flat_map(|p| p.platform_key_ids());
        for key_id in former.iter().map(String::as_str).chain(finished_ids) {
            self.release_platform_key(&inner, key_id);
        }
        Ok(summary(
            &pending.slot,
            &inner.slots[&pending.slot],
            &inner.revocations,
            now,
        ))
    }

    /// Trades `code` for the issuer's answer, then keeps its refresh token and notes the rest in the
    /// pending enrolment, so nothing the issuer gave is lost if checking the pass fails. Returns the
    /// answer and the device time after it. `code` was checked by [`checked_code`].
    async fn trade_code(
        &self,
        pending: &PendingRecord,
        code: &str,
        key: &HolderKey,
        attestation: Option<KeyAttestation>,
        device_now: u64,
    ) -> Result<(IssuedPass, u64), WalletError> {
        let challenge_id = pending_challenge_id(pending)?;
        let proof = key.sign(&doorpass_format::api::enrolment_proof_message(
            &challenge_id,
            &key.public_key().to_bytes(),
        ))?;
        let started = Instant::now();
        let answer = match self
            .client()?
            .complete_enrolment_attested(&pending.challenge_id, code, &proof, attestation)
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
        let issued = answer.value;
        // The issuer has revoked this subject's older token chains: the new token replaces the
        // slot's spent one at once, before anything else can fail.
        self.keep_refresh_token(&pending.slot, &issued.refresh_token)?;
        let boot = self.boot_reading();
        let mut inner = self.lock();
        if let Some(t) = answer.server_time {
            inner.state.clock.sync(t, device_after, boot.as_ref());
        }
        if let Some(p) = inner.state.pending.as_mut() {
            p.received = Some(ReceivedAnswer {
                pass: issued.pass.clone(),
                pass_id: issued.pass_id.clone(),
                expires_at: issued.expires_at,
                renew_after: issued.renew_after,
                refresh_expires_at: issued.refresh_expires_at,
            });
        }
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        Ok((issued, device_after))
    }

    /// The answer noted in a pending enrolment, with its refresh token from secure storage.
    fn resume_answer(
        &self,
        slot: &str,
        received: &ReceivedAnswer,
    ) -> Result<IssuedPass, WalletError> {
        let name = secret_name(&self.identity.wallet_id, slot, REFRESH);
        let token = self
            .secrets
            .get(&name)?
            .ok_or_else(|| WalletError::InvalidFromIssuer {
                detail: "the refresh token of the answer being resumed is gone".into(),
            })?;
        Ok(IssuedPass {
            pass: received.pass.clone(),
            refresh_token: doorpass_format::api::b64(&token),
            pass_id: received.pass_id.clone(),
            expires_at: received.expires_at,
            renew_after: received.renew_after,
            refresh_expires_at: received.refresh_expires_at,
        })
    }
}

/// The code as typed, without spaces, if it has the enrolment's number of digits.
fn checked_code(code: &str, code_length: u32) -> Result<String, WalletError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != code_length as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WalletError::InvalidInput {
            detail: format!("the code is {code_length} digits"),
        });
    }
    Ok(code)
}

/// The pending enrolment's challenge id, as bytes.
pub(super) fn pending_challenge_id(
    pending: &PendingRecord,
) -> Result<[u8; doorpass_format::api::CHALLENGE_ID_LEN], WalletError> {
    b64_fixed(&pending.challenge_id).ok_or_else(|| WalletError::InvalidFromIssuer {
        detail: "the challenge id is not 16 bytes of base64url".into(),
    })
}
