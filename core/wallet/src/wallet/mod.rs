//! The holder's wallet: first authentication, an offline cache of signed passes, quiet spread-out
//! renewal, re-authentication, and QR codes that never need the network.
//!
//! A [`Wallet`] lives in a folder (see [`files`]) and keeps secrets — holder private keys and refresh
//! tokens — in a [`SecretStore`]. Showing a code ([`Wallet::current_qr`]) reads only what is already
//! on the device. Network calls (enrolment, renewal, trust-list refresh) are async and never remove
//! the pass in hand when they fail.

mod attest;
mod close;
mod enrol;
mod error;
pub mod files;
mod issued;
mod lock;
mod open;
mod records;
mod remove;
mod renew;
mod schedule;
mod secrets;
mod status;
mod trust;
mod view;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use error::{CodeEnd, WalletError};
pub use files::PassFiles;
pub use lock::{LOCK_RETRY_STEP, LOCK_WAIT};
pub use records::*;

pub use crate::renewal_plan::RenewalPlan;

use crate::boot_clock::{BootClock, BootReading};
use crate::clock::{ClockRecord, ClockStatus};
use crate::holder_signer::{
    HolderKey, HolderKeyStorage, NewHolderKeys, PlatformKey, PlatformKeyRecord, PlatformSigner,
};
use crate::issuer_client::{IssuerClient, IssuerError};
use crate::retry::RetryPolicy;
use crate::secret_store::SecretStore;
use crate::transport::HttpTransport;
use crate::trust_cache::{SetAside, TrustCacheError, TrustListCache};
use doorpass_format::api::{IssuedPass, b64, b64_fixed, b64_vec};
use doorpass_format::atomic_file::Checked;
use doorpass_format::dates::{format_date, format_duration, unix_now};
use doorpass_format::holder_key::{HolderPublicKey, generate_p256_signing_key};
use doorpass_format::keys::{VerifyingKey, generate_signing_key};
use doorpass_format::pass::{MAX_PASS_LEN, Pass};
use doorpass_format::presentation::{Presentation, STEP_SECONDS, seconds_until_rotation};
use doorpass_format::qr::{ErrorCorrection, QrMatrix};
use doorpass_format::trust_list::TrustList;
use doorpass_format::verifier::{Verdict, Verifier, VerifierPolicy};
use files::{
    FORMAT, Identity, Layout, PendingRecord, ReceivedAnswer, SlotMeta, StateFile, read_json,
    write_json,
};
use secrets::{HOLDER, REFRESH, secret_name};

/// Longest subject accepted (as the issuer does).
const MAX_SUBJECT_LEN: usize = 128;

struct Slot {
    meta: SlotMeta,
    pass: Option<Pass>,
    holder: Option<HolderKey>,
}

struct Inner {
    state: StateFile,
    trust: TrustListCache,
    /// The trust-list floor recorded in the identity files (the cache's own floor may be ahead of it
    /// until [`Wallet::record_trust_floor`] has written it).
    trust_floor: u64,
    slots: BTreeMap<String, Slot>,
    problems: Vec<StorageProblem>,
    qr_cache: HashMap<(String, bool), QrView>,
    /// The status lists held, as files.
    status_files: crate::status_cache::StatusListFiles,
    /// The same lists, verified against the trust list: what they say about the passes.
    revocations: doorpass_format::StatusLists,
    /// Set by [`Wallet::wipe`]: every later call fails with [`WalletError::Wiped`].
    wiped: bool,
    /// Set by [`Wallet::close`]: every later call that can fail fails with
    /// [`WalletError::Closed`].
    closed: bool,
}

/// A pass wallet in a folder. Safe to share between threads; network operations on one wallet run
/// one at a time (a refresh token must never be used twice).
pub struct Wallet {
    layout: Layout,
    files: PassFiles,
    identity: Identity,
    /// Built on first network use, so that opening a wallet to show a code does no TLS set-up.
    client: std::sync::OnceLock<IssuerClient>,
    http_timeout: Duration,
    tls: crate::tls::TlsTrust,
    transport: Option<Arc<dyn HttpTransport>>,
    allow_plain_http: bool,
    secrets: Arc<dyn SecretStore>,
    retry: RetryPolicy,
    boot_clock: Option<Arc<dyn BootClock>>,
    /// Which holder key new enrolments make (and the platform signer, if any).
    holder_keys: NewHolderKeys,
    inner: Mutex<Inner>,
    network: tokio::sync::Mutex<()>,
}

impl Wallet {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state, for calls that may write: refused once the wallet was wiped, so nothing recreates
    /// its files, and once this handle was closed, so it never writes over what a newer handle on
    /// the same folder wrote.
    fn live(&self) -> Result<MutexGuard<'_, Inner>, WalletError> {
        let inner = self.lock();
        if inner.wiped {
            return Err(WalletError::Wiped);
        }
        if inner.closed {
            return Err(WalletError::Closed);
        }
        Ok(inner)
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
            .map(|(id, slot)| summary(id, slot, &inner.revocations, now))
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
        inner.trust.status(now)
    }

    /// The clock record (for diagnostics).
    pub fn clock_record(&self) -> ClockRecord {
        self.lock().state.clock.clone()
    }

    /// The boot clock now, if there is one (read before taking the state lock: it may call into
    /// the app).
    fn boot_reading(&self) -> Option<BootReading> {
        self.boot_clock
            .as_ref()
            .and_then(|clock| clock.read())
            .map(BootReading::sanitized)
    }
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

fn slot_state(slot: &Slot, revocations: &doorpass_format::StatusLists, now: u64) -> PassState {
    if let Some(pass) = &slot.pass
        && revocations.check(pass.claims(), now, u64::MAX).is_err()
    {
        return PassState::Revoked;
    }
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

fn summary(
    id: &str,
    slot: &Slot,
    revocations: &doorpass_format::StatusLists,
    now: u64,
) -> PassSummary {
    PassSummary {
        id: id.to_string(),
        subject: slot.meta.subject.clone(),
        state: slot_state(slot, revocations, now),
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

/// "in 3 days", for people.
pub fn describe_in(secs_from_now: i64) -> String {
    if secs_from_now >= 0 {
        format!("in {}", format_duration(secs_from_now as u64))
    } else {
        format!("{} ago", format_duration(secs_from_now.unsigned_abs()))
    }
}
