//! The holders' phones: one real wallet core [`Wallet`] per holder, each in a folder of its own,
//! with its secrets in one shared in-memory store and its requests through one shared (counting)
//! transport. Enrolment is the core's code flow; renewal is the core's `renew_due`, asked only
//! when the wallet's own plan (`next_renewal_at`) says it is time.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use doorpass_format::keys::VerifyingKey;
use doorpass_wallet::issuer_client::IssuerClient;
use doorpass_wallet::secret_store::{MemorySecretStore, SecretStore};
use doorpass_wallet::transport::HttpTransport;
use doorpass_wallet::wallet::{RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup};

use super::issuer::subject;

/// How one enrolment ended.
pub(super) enum Enrolled {
    /// The pass is in the wallet; the wallet next wants to renew at this time (device time).
    Done(Option<u64>),
    /// The issuer shed it (admission control): try again after this many seconds.
    Busy(u64),
    /// It failed otherwise (counted and reported; the holder is not tried again).
    Failed(String),
}

/// What one call of `renew_due` did.
#[derive(Default, Clone, Copy)]
pub(super) struct Renewals {
    /// Passes renewed.
    pub(super) renewed: u64,
    /// Attempts deferred (refused with `Retry-After`, or failed), to be tried again by the wallet.
    pub(super) deferred: u64,
    /// Passes whose holder must authenticate again.
    pub(super) reauth: u64,
}

/// Every holder's wallet, created at its first enrolment.
pub(super) struct Population {
    root: tempfile::TempDir,
    wallets: Vec<OnceLock<Wallet>>,
    secrets: Arc<dyn SecretStore>,
    transport: Arc<dyn HttpTransport>,
    codes: IssuerClient,
    url: String,
    anchor: VerifyingKey,
}

impl Population {
    /// `holders` wallets-to-be for the issuer at `url` pinning `anchor`, in folders under the
    /// system's temporary folder (`TMPDIR`).
    pub(super) fn new(
        holders: usize,
        url: &str,
        anchor: VerifyingKey,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Population> {
        Ok(Population {
            root: tempfile::tempdir().context("making the wallets' folder")?,
            wallets: (0..holders).map(|_| OnceLock::new()).collect(),
            secrets: Arc::new(MemorySecretStore::default()),
            codes: IssuerClient::new(url, transport.clone())
                .map_err(|e| anyhow::anyhow!("the issuer URL {url}: {e}"))?,
            transport,
            url: url.to_string(),
            anchor,
        })
    }

    fn home(&self, i: usize) -> PathBuf {
        self.root.path().join(i.to_string())
    }

    fn wallet(&self, i: usize) -> Result<&Wallet, WalletError> {
        if let Some(w) = self.wallets.get(i).and_then(OnceLock::get) {
            return Ok(w);
        }
        let setup = WalletSetup {
            issuer_url: self.url.clone(),
            anchor: self.anchor,
            replace_issuer: false,
        };
        let options = WalletOptions {
            transport: Some(self.transport.clone()),
            boot_clock: None,
            ..WalletOptions::default()
        };
        let wallet = Wallet::open(&self.home(i), self.secrets.clone(), Some(setup), options)?;
        let slot = self.wallets.get(i).ok_or(WalletError::InvalidInput {
            detail: format!("no holder {i}"),
        })?;
        let _ = slot.set(wallet);
        slot.get().ok_or(WalletError::Closed)
    }

    /// Holder `i` enrols at `now` (device time, which is the issuer's): asks for a code, reads it
    /// from the dev route (standing in for the text message), and completes.
    pub(super) async fn enrol(&self, i: usize, now: u64) -> Enrolled {
        let busy = |e: &WalletError| match e {
            WalletError::IssuerBusy { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let wallet = match self.wallet(i) {
            Ok(w) => w,
            Err(e) => return Enrolled::Failed(format!("opening wallet {i}: {e}")),
        };
        let subject = subject(i);
        if let Err(e) = wallet.begin_authentication(&subject, now).await {
            return busy(&e).map_or_else(|| Enrolled::Failed(e.to_string()), Enrolled::Busy);
        }
        let code = match self.codes.dev_code(&subject).await {
            Ok(code) => code,
            Err(e) => return Enrolled::Failed(format!("reading the code: {e}")),
        };
        match wallet.complete_authentication(&code, now).await {
            Ok(_) => Enrolled::Done(wallet.next_renewal_at()),
            Err(e) => busy(&e).map_or_else(|| Enrolled::Failed(e.to_string()), Enrolled::Busy),
        }
    }

    /// Holder `i`'s wallet renews whatever it finds due at `now` and, after a renewal, refreshes
    /// its status lists as the shells' background job does (best effort); returns what happened
    /// and when it next wants to renew (device time), if it has a wallet.
    pub(super) async fn renew(&self, i: usize, now: u64) -> (Renewals, Option<u64>) {
        let Some(wallet) = self.wallets.get(i).and_then(OnceLock::get) else {
            return (Renewals::default(), None);
        };
        let mut done = Renewals::default();
        for r in wallet.renew_due(now).await {
            match r.outcome {
                RenewalOutcome::Renewed { .. } => done.renewed += 1,
                RenewalOutcome::Deferred { .. } => done.deferred += 1,
                RenewalOutcome::ReauthRequired { .. } => done.reauth += 1,
                RenewalOutcome::NotDue { .. } | RenewalOutcome::Waiting { .. } => {}
            }
        }
        if done.renewed > 0 {
            // Best effort, as in the shells: a failure keeps the lists held.
            let _ = wallet.refresh_status_lists(now).await;
        }
        (done, wallet.next_renewal_at())
    }
}
