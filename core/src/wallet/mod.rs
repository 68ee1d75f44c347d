//! The holder's wallet: first authentication, an offline cache of signed passes, quiet spread-out
//! renewal, re-authentication, and QR codes that never need the network.
//!
//! A [`Wallet`] lives in a folder (see [`files`]) and keeps secrets — holder private keys and refresh
//! tokens — in a [`SecretStore`]. Showing a code ([`Wallet::current_qr`]) reads only what is already
//! on the device. Network calls (enrolment, renewal, trust-list refresh) are async and never remove
//! the pass in hand when they fail.

mod error;
pub mod files;
mod records;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use error::WalletError;
pub use files::PassFiles;
pub use records::*;

use crate::api::{IssuedPass, b64, b64_fixed, b64_vec};
use crate::atomic_file::{Checked, write_atomic};
use crate::clock::{ClockRecord, ClockStatus};
use crate::dates::{format_date, format_duration};
use crate::issuer_client::{IssuerClient, IssuerError};
use crate::keys::{SigningKey, VerifyingKey, generate_signing_key};
use crate::pass::{MAX_PASS_LEN, Pass};
use crate::presentation::{Presentation, STEP_SECONDS, seconds_until_rotation};
use crate::qr::{ErrorCorrection, QrMatrix};
use crate::retry::RetryPolicy;
use crate::secret_store::SecretStore;
use crate::trust_list::TrustList;
use crate::verifier::{Verdict, Verifier, VerifierPolicy};
use files::{FORMAT, Identity, Layout, PendingRecord, SlotMeta, StateFile, read_json, write_json};

/// Longest subject accepted (as the issuer does).
const MAX_SUBJECT_LEN: usize = 128;

struct Slot {
    meta: SlotMeta,
    pass: Option<Pass>,
    holder: Option<SigningKey>,
}

struct Inner {
    state: StateFile,
    trust_list: Option<TrustList>,
    slots: BTreeMap<String, Slot>,
    problems: Vec<StorageProblem>,
    qr_cache: HashMap<(String, bool), QrView>,
}

/// A pass wallet in a folder. Safe to share between threads; network operations on one wallet run
/// one at a time (a refresh token must never be used twice).
pub struct Wallet {
    layout: Layout,
    files: PassFiles,
    identity: Identity,
    anchor: VerifyingKey,
    /// Built on first network use, so that opening a wallet to show a code does no TLS set-up.
    client: std::sync::OnceLock<IssuerClient>,
    http_timeout: Duration,
    allow_plain_http: bool,
    secrets: Arc<dyn SecretStore>,
    retry: RetryPolicy,
    inner: Mutex<Inner>,
    network: tokio::sync::Mutex<()>,
}

fn problem(file: &Path, moved_to: &Path, reason: String) -> StorageProblem {
    StorageProblem {
        file: file.display().to_string(),
        moved_to: moved_to.display().to_string(),
        reason,
    }
}

impl Wallet {
    /// Opens the wallet in `home`. With `setup`, a missing wallet is created (and an existing one must
    /// pin the same anchor; a different issuer URL replaces the stored one). Damaged files are set aside
    /// and listed by [`Wallet::problems`]; opening never touches the network.
    pub fn open(
        home: &Path,
        secrets: Arc<dyn SecretStore>,
        setup: Option<WalletSetup>,
        options: WalletOptions,
    ) -> Result<Wallet, WalletError> {
        if let Some(setup) = &setup {
            check_issuer_url(&setup.issuer_url, options.allow_plain_http)?;
        }
        let layout = Layout {
            home: home.to_path_buf(),
        };
        let mut problems = Vec::new();
        let identity = match load_identity(&layout, &mut problems)? {
            Some(mut identity) => {
                if let Some(setup) = &setup {
                    if identity.anchor != b64(setup.anchor.as_bytes()) {
                        return Err(WalletError::AnchorMismatch);
                    }
                    if identity.issuer_url != setup.issuer_url {
                        identity.issuer_url = setup.issuer_url.clone();
                        save_identity(&layout, &identity)?;
                    }
                }
                identity
            }
            None => {
                let setup = setup.ok_or(WalletError::NotSetUp)?;
                crate::atomic_file::create_private_dir(home)
                    .map_err(|e| WalletError::storage("creating the wallet folder", e))?;
                let identity = Identity {
                    format: FORMAT,
                    wallet_id: crate::keys::hex(&rand::random::<[u8; 8]>()),
                    issuer_url: setup.issuer_url,
                    anchor: b64(setup.anchor.as_bytes()),
                    created_at: unix_now(),
                };
                save_identity(&layout, &identity)?;
                identity
            }
        };
        let anchor = b64_fixed::<32>(&identity.anchor)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| WalletError::Storage {
                detail: "the pinned anchor in identity.json is not a key".into(),
            })?;
        let files = PassFiles::new(home);
        files
            .prepare()
            .map_err(|e| WalletError::storage("passes folder", e))?;
        crate::atomic_file::remove_stale_temp_files(home)
            .map_err(|e| WalletError::storage("wallet folder", e))?;

        let state = match read_json::<StateFile>(&layout.state())
            .map_err(|e| WalletError::storage("state", e))?
        {
            Checked::Good(state) => state,
            Checked::Missing => StateFile::default(),
            Checked::SetAside { moved_to, reason } => {
                problems.push(problem(&layout.state(), &moved_to, reason));
                StateFile::default()
            }
        };
        let trust_list = match crate::atomic_file::read_checked(&layout.trust_list(), |b| {
            TrustList::verify(b, &anchor).map_err(|e| e.to_string())
        })
        .map_err(|e| WalletError::storage("trust list", e))?
        {
            Checked::Good(tl) => Some(tl),
            Checked::Missing => None,
            Checked::SetAside { moved_to, reason } => {
                problems.push(problem(&layout.trust_list(), &moved_to, reason));
                None
            }
        };
        let mut slots = BTreeMap::new();
        for id in files
            .slots()
            .map_err(|e| WalletError::storage("passes folder", e))?
        {
            let meta_path = files.meta_path(&id);
            let meta = match read_json::<SlotMeta>(&meta_path)
                .map_err(|e| WalletError::storage("pass metadata", e))?
            {
                Checked::Good(meta) => meta,
                missing_or_damaged => {
                    if let Checked::SetAside { moved_to, reason } = missing_or_damaged {
                        problems.push(problem(&meta_path, &moved_to, reason));
                    }
                    // Rebuild it now, so the pass is found again on the next open. The subject is
                    // known if this slot's enrolment is the one still pending (a crash between the
                    // pass and its metadata); otherwise re-authentication asks for it again.
                    let subject = state
                        .pending
                        .as_ref()
                        .filter(|p| p.slot == id)
                        .map(|p| p.subject.clone())
                        .unwrap_or_default();
                    let meta = SlotMeta {
                        subject,
                        ..SlotMeta::default()
                    };
                    files
                        .save_meta(&id, &meta)
                        .map_err(|e| WalletError::storage("pass metadata", e))?;
                    meta
                }
            };
            let check = |bytes: &[u8]| check_stored_pass(bytes, trust_list.as_ref());
            let pass = match files
                .load_pass(&id, check)
                .map_err(|e| WalletError::storage("pass", e))?
            {
                Checked::Good(pass) => Some(pass),
                missing_or_damaged => {
                    if let Checked::SetAside { moved_to, reason } = missing_or_damaged {
                        problems.push(problem(&files.pass_path(&id), &moved_to, reason));
                    }
                    // The pass held before the last renewal still opens doors until it expires.
                    match files
                        .load_previous_pass(&id, check)
                        .map_err(|e| WalletError::storage("pass", e))?
                    {
                        Checked::Good(previous) => {
                            files
                                .save_pass(&id, previous.bytes())
                                .map_err(|e| WalletError::storage("pass", e))?;
                            Some(previous)
                        }
                        Checked::Missing => None,
                        Checked::SetAside { moved_to, reason } => {
                            let path = files.previous_pass_path(&id);
                            problems.push(problem(&path, &moved_to, reason));
                            None
                        }
                    }
                }
            };
            slots.insert(
                id,
                Slot {
                    meta,
                    pass,
                    holder: None,
                },
            );
        }
        let inner = Inner {
            state,
            trust_list,
            slots,
            problems,
            qr_cache: HashMap::new(),
        };
        Ok(Wallet {
            layout,
            files,
            identity,
            anchor,
            client: std::sync::OnceLock::new(),
            http_timeout: options.http_timeout,
            allow_plain_http: options.allow_plain_http,
            secrets,
            retry: options.retry,
            inner: Mutex::new(inner),
            network: tokio::sync::Mutex::new(()),
        })
    }

    fn client(&self) -> Result<&IssuerClient, WalletError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        check_issuer_url(&self.identity.issuer_url, self.allow_plain_http)?;
        let client =
            IssuerClient::new(&self.identity.issuer_url, self.http_timeout).map_err(|e| {
                WalletError::InvalidInput {
                    detail: e.to_string(),
                }
            })?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Holds this wallet's issuer conversation against other processes (a refresh token must never be
    /// spent twice); released when the returned file is dropped.
    fn exclusive(&self) -> Result<std::fs::File, WalletError> {
        let path = self.layout.lock();
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| WalletError::storage("the wallet lock", e))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(WalletError::InUse),
            Err(std::fs::TryLockError::Error(e)) => Err(WalletError::storage("the wallet lock", e)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The issuer this wallet talks to.
    pub fn issuer_url(&self) -> &str {
        &self.identity.issuer_url
    }

    /// Damaged files found and set aside when the wallet was opened.
    pub fn problems(&self) -> Vec<StorageProblem> {
        self.lock().problems.clone()
    }

    /// Where the wallet as a whole stands.
    pub fn state(&self) -> WalletState {
        let inner = self.lock();
        if let Some(p) = &inner.state.pending {
            return WalletState::AwaitingCode(pending_view(p));
        }
        match inner.slots.len() {
            0 => WalletState::NotEnrolled,
            n => WalletState::Ready { passes: n },
        }
    }

    /// Every pass, in a stable order.
    pub fn passes(&self, device_now: u64) -> Vec<PassSummary> {
        let inner = self.lock();
        let now = inner.state.clock.corrected(device_now);
        inner
            .slots
            .iter()
            .map(|(id, slot)| summary(id, slot, now))
            .collect()
    }

    /// The clock as the wallet sees it.
    pub fn clock_status(&self) -> ClockStatus {
        self.lock().state.clock.status()
    }

    /// The cached trust list's version and age, if one is cached.
    pub fn trust_list_status(&self, device_now: u64) -> Option<TrustListStatus> {
        let inner = self.lock();
        let now = inner.state.clock.corrected(device_now);
        inner.trust_list.as_ref().map(|tl| trust_status(tl, now))
    }

    /// The QR code for a pass (`id` may be omitted when there is one pass). Never touches the
    /// network; repeated calls within one 30-second step return the cached code.
    pub fn current_qr(
        &self,
        id: Option<&str>,
        device_now: u64,
        static_code: bool,
    ) -> Result<QrView, WalletError> {
        let mut inner = self.lock();
        if inner.state.clock.observe(device_now) {
            let _ = write_json(&self.layout.state(), &inner.state); // best effort: never block the code
        }
        let now = inner.state.clock.corrected(device_now);
        let id = resolve_slot(&inner, id)?;
        let step = now / STEP_SECONDS;
        let key = (id.clone(), static_code);
        if let Some(mut view) = inner
            .qr_cache
            .get(&key)
            .filter(|v| static_code || v.step == step)
            .cloned()
        {
            // The code is cached; what it says about the pass (state, label) is not: a static code
            // kept for days must not go on announcing a pass that has since expired.
            if let Some(slot) = inner.slots.get(&id)
                && let Some(pass) = &slot.pass
            {
                refresh_view(&mut view, pass, slot_state(slot, now), now);
            }
            return Ok(view);
        }
        let slot = inner
            .slots
            .get_mut(&id)
            .ok_or_else(|| WalletError::UnknownPass { id: id.clone() })?;
        let state = slot_state(slot, now);
        let pass = slot.pass.clone().ok_or(WalletError::PassMissing)?;
        let holder = match &slot.holder {
            Some(k) => k.clone(),
            None => {
                let k = load_holder_key(self.secrets.as_ref(), &self.identity.wallet_id, &id)?;
                if k.verifying_key() != pass.claims().holder_key {
                    return Err(WalletError::SecretStore {
                        detail: "the holder key in secure storage does not match this pass".into(),
                    });
                }
                slot.holder = Some(k.clone());
                k
            }
        };
        let presentation = if static_code {
            Presentation::fixed(pass.bytes())
        } else {
            Presentation::rotating(pass.bytes(), &holder, now)
        };
        let qr_text = presentation.to_qr_text();
        let matrix = QrMatrix::encode(&qr_text, ErrorCorrection::Medium).map_err(|e| {
            WalletError::InvalidFromIssuer {
                detail: e.to_string(),
            }
        })?;
        let c = pass.claims();
        let mut view = QrView {
            pass_id: id.clone(),
            qr_text,
            matrix,
            step,
            seconds_until_rotation: 0,
            is_static: static_code,
            state,
            display_name: c.display_name.clone(),
            expires_at: c.expires_at,
            accessible_label: String::new(),
        };
        refresh_view(&mut view, &pass, state, now);
        inner.qr_cache.insert(key, view.clone());
        Ok(view)
    }

    /// Checks a code at the door, offline, against the cached trust list and the corrected time.
    pub fn verify_qr(
        &self,
        text: &str,
        device_now: u64,
        policy: VerifierPolicy,
    ) -> Result<Verdict, WalletError> {
        let inner = self.lock();
        let trust_list = inner.trust_list.clone().ok_or(WalletError::InvalidInput {
            detail: "no trust list is cached yet; connect once to fetch it".into(),
        })?;
        let now = inner.state.clock.corrected(device_now);
        drop(inner);
        Ok(Verifier::new(trust_list, policy).verify_qr_text(text, now))
    }

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
            let inner = self.lock();
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
            None => (crate::keys::hex(&rand::random::<[u8; 4]>()), false, None),
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
        let mut inner = self.lock();
        if let Some(t) = answer.server_time {
            inner.state.clock.sync(t, device_now);
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

    /// Abandons the enrolment waiting for a code, if any.
    pub fn cancel_authentication(&self) -> Result<(), WalletError> {
        let mut inner = self.lock();
        if let Some(old) = inner.state.pending.take() {
            self.forget_unused_slot_key(&inner, &old.slot);
            write_json(&self.layout.state(), &inner.state)
                .map_err(|e| WalletError::storage("state", e))?;
        }
        Ok(())
    }

    fn forget_unused_slot_key(&self, inner: &Inner, slot: &str) {
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
            .lock()
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
                    let _ = self.cancel_authentication();
                }
                return Err(err);
            }
        };
        let device_after = device_now.saturating_add(started.elapsed().as_secs());
        if let Some(t) = answer.server_time {
            self.lock().state.clock.sync(t, device_after);
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
        Ok(summary(&pending.slot, &inner.slots[&pending.slot], now))
    }

    /// Renews every pass that is due (or expired, or whose file was damaged). Passes waiting out a
    /// `Retry-After` or backoff are not sent; call again at [`Wallet::next_renewal_at`].
    pub async fn renew_due(&self, device_now: u64) -> Vec<PassRenewal> {
        let ids: Vec<String> = self.lock().slots.keys().cloned().collect();
        let mut out = Vec::new();
        for id in ids {
            let outcome = match self.renew_pass(&id, device_now, false).await {
                Ok(outcome) => outcome,
                Err(e) => RenewalOutcome::Deferred {
                    retry_at: device_now,
                    reason: e.to_string(),
                    retry_after: None,
                },
            };
            if !matches!(outcome, RenewalOutcome::NotDue { .. }) {
                out.push(PassRenewal {
                    pass_id: id,
                    outcome,
                });
            }
        }
        out
    }

    /// Renews one pass: when due, or now with `force` (a user's "renew now"). Backoff and the issuer's
    /// `Retry-After` are honoured either way. A failure never removes the pass in hand.
    pub async fn renew_pass(
        &self,
        id: &str,
        device_now: u64,
        force: bool,
    ) -> Result<RenewalOutcome, WalletError> {
        let _net = self.network.lock().await;
        let _across_processes = self.exclusive()?;
        let (now, meta, renew_after) = {
            let mut inner = self.lock();
            inner.state.clock.observe(device_now);
            let now = inner.state.clock.corrected(device_now);
            let slot = inner
                .slots
                .get(id)
                .ok_or_else(|| WalletError::UnknownPass { id: id.to_string() })?;
            (
                now,
                slot.meta.clone(),
                slot.pass.as_ref().map(|p| p.claims().renew_after),
            )
        };
        if meta.reauth_required {
            return Ok(RenewalOutcome::ReauthRequired {
                reason: meta.reauth_reason.unwrap_or_default(),
            });
        }
        if let Some(renew_after) = renew_after
            && !force
            && now < renew_after
        {
            return Ok(RenewalOutcome::NotDue { renew_after });
        }
        if device_now < meta.next_attempt_at {
            return Ok(RenewalOutcome::Waiting {
                retry_at: meta.next_attempt_at,
            });
        }
        let wallet_id = &self.identity.wallet_id;
        let Some(token) = self.secrets.get(&secret_name(wallet_id, id, REFRESH))? else {
            return self.require_reauth(id, "no refresh token is stored");
        };
        let token: [u8; 32] = token.try_into().map_err(|_| WalletError::SecretStore {
            detail: "the stored refresh token is damaged".into(),
        })?;
        let key = load_holder_key(self.secrets.as_ref(), wallet_id, id)?;
        let started = Instant::now();
        let result = self.client()?.renew(&token, &key).await;
        let device_after = device_now.saturating_add(started.elapsed().as_secs());
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => return self.renewal_failed(id, e, device_now, started.elapsed()),
        };
        // From this answer on, the old token is spent: keep the new one before anything else can
        // fail (the pass check below may need the network), so the next attempt can use it.
        self.keep_refresh_token(id, &answer.value.refresh_token)?;
        if let Some(t) = answer.server_time {
            self.lock().state.clock.sync(t, device_after);
        }
        let pass = match self.accept_issued(&answer.value, &key, device_after).await {
            Ok(pass) => pass,
            Err(e) => {
                return self.renewal_failed(
                    id,
                    IssuerError::Protocol(e.to_string()),
                    device_now,
                    started.elapsed(),
                );
            }
        };
        let mut inner = self.lock();
        let mut meta = meta;
        meta.failures = 0;
        meta.next_attempt_at = 0;
        meta.last_error = None;
        let (expires_at, renew_after) = (pass.claims().expires_at, pass.claims().renew_after);
        self.store_issued(&mut inner, id, meta, pass, key)?;
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        Ok(RenewalOutcome::Renewed {
            expires_at,
            renew_after,
        })
    }

    fn renewal_failed(
        &self,
        id: &str,
        error: IssuerError,
        device_now: u64,
        took: Duration,
    ) -> Result<RenewalOutcome, WalletError> {
        let refused = matches!(
            WalletError::from(error.clone()),
            WalletError::ReauthRequired | WalletError::NotEligible
        );
        if refused {
            return self.require_reauth(id, &error.to_string());
        }
        let retry_after = match &error {
            IssuerError::Busy { retry_after, .. } => *retry_after,
            _ => None,
        };
        let mut inner = self.lock();
        let slot = inner
            .slots
            .get_mut(id)
            .ok_or_else(|| WalletError::UnknownPass { id: id.to_string() })?;
        slot.meta.failures = slot.meta.failures.saturating_add(1);
        let delay = self
            .retry
            .delay(slot.meta.failures, retry_after, &mut rand::thread_rng());
        // Count from when the answer came, rounded up, plus a second for clock granularity.
        let retry_at = device_now
            .saturating_add((took + delay).as_secs_f64().ceil() as u64)
            .saturating_add(u64::from(retry_after.is_some()));
        slot.meta.next_attempt_at = retry_at;
        slot.meta.last_error = Some(error.to_string());
        self.files
            .save_meta(id, &slot.meta)
            .map_err(|e| WalletError::storage("pass metadata", e))?;
        Ok(RenewalOutcome::Deferred {
            retry_at,
            reason: error.to_string(),
            retry_after: retry_after.map(|d| d.as_secs()),
        })
    }

    fn require_reauth(&self, id: &str, reason: &str) -> Result<RenewalOutcome, WalletError> {
        let mut inner = self.lock();
        let slot = inner
            .slots
            .get_mut(id)
            .ok_or_else(|| WalletError::UnknownPass { id: id.to_string() })?;
        slot.meta.reauth_required = true;
        slot.meta.reauth_reason = Some(reason.to_string());
        self.files
            .save_meta(id, &slot.meta)
            .map_err(|e| WalletError::storage("pass metadata", e))?;
        inner.qr_cache.retain(|(slot, _), _| slot != id);
        Ok(RenewalOutcome::ReauthRequired {
            reason: reason.to_string(),
        })
    }

    /// When the wallet next wants to renew something (device time), for the shell's background
    /// scheduler; `None` when nothing is scheduled (no passes, or all need re-authentication).
    pub fn next_renewal_at(&self) -> Option<u64> {
        let inner = self.lock();
        let offset = inner.state.clock.offset_seconds.unwrap_or(0);
        inner
            .slots
            .values()
            .filter(|s| !s.meta.reauth_required)
            .map(|s| {
                let due = s
                    .pass
                    .as_ref()
                    .map_or(0, |p| p.claims().renew_after.saturating_add_signed(-offset));
                due.max(s.meta.next_attempt_at)
            })
            .min()
    }

    /// Fetches the trust list and keeps it if it is newer (never older: no rollback).
    pub async fn refresh_trust_list(
        &self,
        device_now: u64,
    ) -> Result<TrustListStatus, WalletError> {
        let _net = self.network.lock().await;
        self.fetch_trust_list(device_now).await
    }

    async fn fetch_trust_list(&self, device_now: u64) -> Result<TrustListStatus, WalletError> {
        let answer = self.client()?.trust_list().await?;
        let list = TrustList::verify(&answer.value, &self.anchor).map_err(|e| {
            WalletError::InvalidFromIssuer {
                detail: e.to_string(),
            }
        })?;
        let mut inner = self.lock();
        if let Some(t) = answer.server_time {
            inner.state.clock.sync(t, device_now);
        }
        let now = inner.state.clock.corrected(device_now);
        if let Some(cached) = &inner.trust_list {
            if list.version() < cached.version() {
                // An older list (a stale cache or a rollback attempt) is ignored; ours stays.
                return Ok(trust_status(cached, now));
            }
            list.may_replace(cached)
                .map_err(|e| WalletError::InvalidFromIssuer {
                    detail: e.to_string(),
                })?;
        }
        write_atomic(&self.layout.trust_list(), list.bytes(), false)
            .map_err(|e| WalletError::storage("trust list", e))?;
        let status = trust_status(&list, now);
        inner.trust_list = Some(list);
        Ok(status)
    }

    /// Checks a freshly issued pass: it parses, its issuer and signature check against the trust list
    /// (fetched or refreshed first if needed), and it is bound to `holder`.
    async fn accept_issued(
        &self,
        issued: &IssuedPass,
        holder: &SigningKey,
        device_now: u64,
    ) -> Result<Pass, WalletError> {
        let invalid = |detail: String| WalletError::InvalidFromIssuer { detail };
        let bytes = b64_vec(&issued.pass, MAX_PASS_LEN)
            .ok_or_else(|| invalid("the pass is not base64url".into()))?;
        let pass = Pass::parse(&bytes).map_err(|e| invalid(e.to_string()))?;
        if pass.claims().holder_key != holder.verifying_key() {
            return Err(invalid("the pass is bound to another key".into()));
        }
        let (known, due) = {
            let inner = self.lock();
            let now = inner.state.clock.corrected(device_now);
            match &inner.trust_list {
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
            .trust_list
            .clone()
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
    fn keep_refresh_token(&self, slot: &str, token: &str) -> Result<(), WalletError> {
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
    fn store_issued(
        &self,
        inner: &mut Inner,
        id: &str,
        meta: SlotMeta,
        pass: Pass,
        holder: SigningKey,
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

    /// Removes a pass and its secrets from this device.
    pub fn remove_pass(&self, id: &str) -> Result<(), WalletError> {
        let mut inner = self.lock();
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
        inner.slots.remove(id);
        inner.qr_cache.retain(|(slot, _), _| slot != id);
        Ok(())
    }

    /// Deletes every pass, secret and file of this wallet.
    pub fn wipe(self) -> Result<(), WalletError> {
        let inner = self.lock();
        let mut slots: Vec<String> = inner.slots.keys().cloned().collect();
        slots.extend(inner.state.pending.as_ref().map(|p| p.slot.clone()));
        drop(inner);
        for slot in slots {
            for kind in [HOLDER, REFRESH] {
                self.secrets
                    .delete(&secret_name(&self.identity.wallet_id, &slot, kind))?;
            }
        }
        let home = &self.layout.home;
        let io = |e: std::io::Error| WalletError::storage("wiping", e);
        match std::fs::remove_dir_all(self.layout.passes()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
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
        Ok(())
    }

    /// The clock record (for diagnostics).
    pub fn clock_record(&self) -> ClockRecord {
        self.lock().state.clock.clone()
    }
}

/// The wallet's identity from its file, or from the second copy when the first is missing or
/// damaged (the identity names every secret of the wallet: losing it would orphan them all).
fn load_identity(
    layout: &Layout,
    problems: &mut Vec<StorageProblem>,
) -> Result<Option<Identity>, WalletError> {
    let read =
        |path: &Path| read_json::<Identity>(path).map_err(|e| WalletError::storage("identity", e));
    let primary = read(&layout.identity())?;
    if let Checked::Good(identity) = primary {
        return Ok(Some(identity));
    }
    let backup = read(&layout.identity_backup())?;
    if let Checked::SetAside { moved_to, reason } = &primary {
        problems.push(problem(&layout.identity(), moved_to, reason.clone()));
    }
    match backup {
        Checked::Good(identity) => {
            write_json(&layout.identity(), &identity)
                .map_err(|e| WalletError::storage("identity", e))?;
            Ok(Some(identity))
        }
        Checked::Missing if matches!(primary, Checked::Missing) => Ok(None),
        Checked::Missing => Err(WalletError::Storage {
            detail: format!(
                "the wallet identity file was damaged and has no second copy; it was moved to {}",
                problems
                    .last()
                    .map_or(String::new(), |p| p.moved_to.clone())
            ),
        }),
        Checked::SetAside { moved_to, reason } => Err(WalletError::Storage {
            detail: format!(
                "both copies of the wallet identity are damaged ({reason}); moved to {}",
                moved_to.display()
            ),
        }),
    }
}

/// Writes the identity and then its second copy, each atomically.
fn save_identity(layout: &Layout, identity: &Identity) -> Result<(), WalletError> {
    for path in [layout.identity(), layout.identity_backup()] {
        write_json(&path, identity).map_err(|e| WalletError::storage("identity", e))?;
    }
    Ok(())
}

/// An issuer URL the wallet may send secrets to: https, or plain http to this machine, or plain
/// http anywhere when the caller allowed it (QA against a test issuer on the LAN).
fn check_issuer_url(url: &str, allow_plain_http: bool) -> Result<(), WalletError> {
    let insecure = url.starts_with("http://");
    if !(insecure || url.starts_with("https://")) {
        return Err(WalletError::InvalidInput {
            detail: format!("not an issuer URL (http:// or https://): {url}"),
        });
    }
    if insecure && !allow_plain_http && !IssuerClient::is_loopback_url(url) {
        return Err(WalletError::InvalidInput {
            detail: format!(
                "{url} is plain http to another machine: refresh tokens would cross the network \
                 unencrypted; use https (or allow plain http for a test issuer)"
            ),
        });
    }
    Ok(())
}

const HOLDER: &str = "holder-key";
const REFRESH: &str = "refresh-token";

fn secret_name(wallet_id: &str, slot: &str, kind: &str) -> String {
    format!("doorpass/{wallet_id}/{slot}/{kind}")
}

fn load_holder_key(
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

fn check_stored_pass(bytes: &[u8], trust_list: Option<&TrustList>) -> Result<Pass, String> {
    let pass = Pass::parse(bytes).map_err(|e| e.to_string())?;
    if let Some(tl) = trust_list {
        Verifier::new(tl.clone(), VerifierPolicy::default())
            .check_pass(&pass, None)
            .map_err(|r| r.to_string())?;
    }
    Ok(pass)
}

fn resolve_slot(inner: &Inner, id: Option<&str>) -> Result<String, WalletError> {
    match id {
        Some(id) if inner.slots.contains_key(id) => Ok(id.to_string()),
        Some(id) => Err(WalletError::UnknownPass { id: id.to_string() }),
        None => match inner.slots.len() {
            0 => Err(WalletError::NotSetUp),
            1 => Ok(inner.slots.keys().next().cloned().unwrap_or_default()),
            _ => Err(WalletError::PassNotChosen),
        },
    }
}

fn slot_state(slot: &Slot, now: u64) -> PassState {
    if slot.meta.reauth_required {
        return PassState::ReauthRequired;
    }
    match &slot.pass {
        None => PassState::Missing,
        Some(p) if now >= p.claims().expires_at => PassState::Expired,
        Some(p) if now >= p.claims().renew_after => PassState::RenewDue,
        Some(_) => PassState::Active,
    }
}

fn summary(id: &str, slot: &Slot, now: u64) -> PassSummary {
    PassSummary {
        id: id.to_string(),
        subject: slot.meta.subject.clone(),
        state: slot_state(slot, now),
        details: slot.pass.as_ref().map(|p| {
            let c = p.claims();
            PassDetails {
                pass_id: c.pass_id_hex(),
                display_name: c.display_name.clone(),
                birth_date: c.birth_date.clone(),
                kind: c.kind,
                issued_at: c.issued_at,
                expires_at: c.expires_at,
                renew_after: c.renew_after,
            }
        }),
        next_renewal_attempt: (slot.meta.next_attempt_at > 0).then_some(slot.meta.next_attempt_at),
        last_renewal_error: slot.meta.last_error.clone(),
    }
}

fn pending_view(p: &PendingRecord) -> PendingEnrolment {
    PendingEnrolment {
        subject: p.subject.clone(),
        code_length: p.code_length,
        expires_at: p.expires_at,
        reauthentication: p.reauth,
    }
}

fn trust_status(tl: &TrustList, now: u64) -> TrustListStatus {
    TrustListStatus {
        version: tl.version(),
        age_seconds: tl.age_seconds(now),
        update_due: tl.is_due_for_update(now),
    }
}

/// Brings the parts of a view that change within a step up to `now`: countdown, state and label.
fn refresh_view(view: &mut QrView, pass: &Pass, state: PassState, now: u64) {
    view.seconds_until_rotation = if view.is_static {
        0
    } else {
        seconds_until_rotation(now)
    };
    view.state = state;
    view.accessible_label = accessible_label(pass, state, view, now);
}

fn rotation_sentence(view: &QrView) -> String {
    if view.is_static {
        " Printed code: it does not change.".into()
    } else {
        format!(
            " The code changes in {} seconds.",
            view.seconds_until_rotation
        )
    }
}

fn accessible_label(pass: &Pass, state: PassState, view: &QrView, now: u64) -> String {
    let c = pass.claims();
    let expired = now >= c.expires_at;
    let status = match state {
        PassState::Active | PassState::RenewDue => {
            format!("Valid until {}.", format_date(c.expires_at))
        }
        PassState::Expired => format!("Expired on {}.", format_date(c.expires_at)),
        PassState::ReauthRequired if expired => format!(
            "Expired on {}; sign in again to get a new pass.",
            format_date(c.expires_at)
        ),
        PassState::ReauthRequired => format!(
            "Valid until {}; sign in again to keep it.",
            format_date(c.expires_at)
        ),
        PassState::Missing => String::new(),
    };
    format!(
        "{} pass for {}, born {}. {status}{}",
        c.kind.label(),
        c.display_name,
        c.birth_date,
        rotation_sentence(view)
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// "in 3 days", for people.
pub fn describe_in(secs_from_now: i64) -> String {
    if secs_from_now >= 0 {
        format!("in {}", format_duration(secs_from_now as u64))
    } else {
        format!("{} ago", format_duration(secs_from_now.unsigned_abs()))
    }
}
