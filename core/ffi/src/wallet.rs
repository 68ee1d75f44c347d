//! The holder's wallet, for the pass screen, enrolment and background renewal.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use doorpass_wallet::holder_signer::NewHolderKeys;
use doorpass_wallet::keyring_store::KeyringSecretStore;
use doorpass_wallet::secret_store::SecretStore as CoreSecretStore;
use doorpass_wallet::tls::TlsTrust;
use doorpass_wallet::wallet::{Wallet as CoreWallet, WalletOptions, WalletSetup};

use crate::anchor::Anchor;
use crate::boot_clock::{BootClock, ForeignBootClock};
use crate::error::DoorpassError;
use crate::holder_signer::{ForeignHolderSigner, HolderSigner};
use crate::records::{
    ClockStatus, PassRenewal, PassSummary, PendingEnrolment, QrView, RenewalOutcome, RenewalPlan,
    StorageProblem, TrustListStatus, WalletState,
};
use crate::runtime::run;
use crate::secrets::{ForeignSecretStore, SecretStore};

/// The keyring service name secrets are filed under when the platform store is used.
const KEYRING_SERVICE: &str = "doorpass";

/// Where a wallet's issuer is and which anchor it pins.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WalletConfig {
    /// The issuer's base URL, `https://…` (plain `http://` only to this device, or with
    /// `allow_plain_http`).
    pub issuer_url: String,
    /// The trust anchor pinned in the app.
    pub anchor: Anchor,
    /// Allow plain http to an issuer on another machine (QA builds against a test issuer only).
    pub allow_plain_http: bool,
    /// Time limit of one issuer call in seconds; 0 for the default (10 s).
    pub http_timeout_seconds: u32,
    /// Let `issuer_url` replace a different issuer URL the wallet in this folder recorded (the issuer
    /// moved). When false, opening such a wallet fails with `InvalidInput` naming the recorded URL.
    pub replace_issuer_url: bool,
    /// Root certificates (PEM) trusted beside the platform's, for test and QA builds against a
    /// test issuer. Production builds leave it empty.
    #[uniffi(default = [])]
    pub extra_root_certificates_pem: Vec<String>,
    /// SHA-256 pins of the issuer's public key (base64 of the SubjectPublicKeyInfo digest): empty
    /// for none, else at least two (the key in use and a backup). Read docs/security.md first.
    #[uniffi(default = [])]
    pub issuer_key_pins: Vec<String>,
}

/// A pass wallet kept in a folder of the app. Showing a code never needs the network; network calls
/// run one at a time per wallet.
#[derive(uniffi::Object)]
pub struct Wallet {
    inner: Arc<CoreWallet>,
}

#[uniffi::export]
impl Wallet {
    /// Opens the wallet in the folder `home`, creating it if missing. Secrets go to `secret_store`, or
    /// to the platform keystore (Keychain, Android Keystore) when it is `None`. A wallet created for
    /// another issuer URL opens only with `replace_issuer_url` (else `InvalidInput`). Never touches
    /// the network; damaged files are set aside and listed by `problems()`.
    ///
    /// `holder_signer` is the app's hardware-backed holder key (Android Keystore, Secure Enclave):
    /// new enrolments bind it, and a pass with a software key moves to it at its next
    /// authentication; `None` keeps software Ed25519 keys in the secret store. A pass bound to the
    /// signer's key needs it to show a code (else `KeystoreUnavailable`).
    ///
    /// `boot_clock` is the device's clock since boot (Android `SystemClock.elapsedRealtime()`, iOS
    /// `clock_gettime(CLOCK_MONOTONIC)`), with which codes stay on the true time when someone sets
    /// the device clock ahead or back; `None` reads the system's own where the core can (Linux,
    /// Android, Apple systems).
    #[uniffi::constructor(default(boot_clock = None, holder_signer = None))]
    pub fn open(
        home: String,
        config: WalletConfig,
        secret_store: Option<Arc<dyn SecretStore>>,
        boot_clock: Option<Arc<dyn BootClock>>,
        holder_signer: Option<Arc<dyn HolderSigner>>,
    ) -> Result<Arc<Self>, DoorpassError> {
        let secrets: Arc<dyn CoreSecretStore> = match secret_store {
            Some(store) => Arc::new(ForeignSecretStore(store)),
            None => Arc::new(KeyringSecretStore::connect(KEYRING_SERVICE).map_err(|e| {
                DoorpassError::KeystoreUnavailable {
                    detail: e.to_string(),
                }
            })?),
        };
        let setup = WalletSetup {
            issuer_url: config.issuer_url,
            anchor: config.anchor.key()?,
            replace_issuer: config.replace_issuer_url,
        };
        let mut options = WalletOptions {
            allow_plain_http: config.allow_plain_http,
            tls: TlsTrust {
                extra_roots_pem: config.extra_root_certificates_pem,
                spki_pins: config.issuer_key_pins,
            },
            ..WalletOptions::default()
        };
        if config.http_timeout_seconds > 0 {
            options.http_timeout = Duration::from_secs(config.http_timeout_seconds.into());
        }
        if let Some(clock) = boot_clock {
            options.boot_clock = Some(Arc::new(ForeignBootClock(clock)));
        }
        if let Some(signer) = holder_signer {
            options.holder_keys = NewHolderKeys::Platform(Arc::new(ForeignHolderSigner(signer)));
        }
        let inner = CoreWallet::open(&PathBuf::from(home), secrets, Some(setup), options)?;
        Ok(Arc::new(Wallet {
            inner: Arc::new(inner),
        }))
    }

    /// Where the wallet as a whole stands.
    pub fn state(&self) -> WalletState {
        self.inner.state().into()
    }

    /// Every pass, in a stable order.
    pub fn passes(&self, now: u64) -> Vec<PassSummary> {
        self.inner.passes(now).into_iter().map(Into::into).collect()
    }

    /// The QR code to show for a pass (`pass_id` may be `None` when there is one pass). Works offline;
    /// call again when `seconds_until_rotation` runs out.
    pub fn current_qr(
        &self,
        pass_id: Option<String>,
        now: u64,
        static_code: bool,
    ) -> Result<QrView, DoorpassError> {
        Ok(self
            .inner
            .current_qr(pass_id.as_deref(), now, static_code)?
            .into())
    }

    /// Asks the issuer to send a one-time code to `subject` (a phone number or id). A subject that
    /// already has a pass here re-authenticates it.
    pub async fn start_enrolment(
        &self,
        subject: String,
        now: u64,
    ) -> Result<PendingEnrolment, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.begin_authentication(&subject, now).await?.into()) }).await
    }

    /// Asks for a new code for the pass `pass_id`, to re-authenticate it (same holder key; the pass in
    /// hand stays until the new one arrives).
    pub async fn reauthenticate(
        &self,
        pass_id: String,
        now: u64,
    ) -> Result<PendingEnrolment, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.begin_reauthentication(&pass_id, now).await?.into()) }).await
    }

    /// Trades the code the person received for a pass, checks it and stores it.
    pub async fn complete_enrolment(
        &self,
        code: String,
        now: u64,
    ) -> Result<PassSummary, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.complete_authentication(&code, now).await?.into()) }).await
    }

    /// Abandons the enrolment waiting for a code, if any. Fails with `InUse` while a network call of
    /// this wallet is under way (e.g. the code being traded for a pass): try again once it ended.
    pub fn cancel_enrolment(&self) -> Result<(), DoorpassError> {
        Ok(self.inner.cancel_authentication()?)
    }

    /// Renews every pass that is due; passes waiting out a failure or a `Retry-After` are skipped.
    /// For the background scheduler: wake again at `next_renewal_at()`.
    pub async fn renew_if_due(&self, now: u64) -> Result<Vec<PassRenewal>, DoorpassError> {
        self.inner.ensure_open()?;
        let wallet = self.inner.clone();
        let renewals = run(async move { Ok(wallet.renew_due(now).await) }).await?;
        Ok(renewals.into_iter().map(Into::into).collect())
    }

    /// Renews one pass now, whether due or not (a person's "renew now"); backoff and `Retry-After`
    /// still apply.
    pub async fn renew_now(
        &self,
        pass_id: String,
        now: u64,
    ) -> Result<RenewalOutcome, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.renew_pass(&pass_id, now, true).await?.into()) }).await
    }

    /// When the wallet next wants to renew something (device time), or `None`.
    pub fn next_renewal_at(&self) -> Option<u64> {
        self.inner.next_renewal_at()
    }

    /// The background renewal's plan at `now` (device seconds): queue one run from `run_at` that
    /// waits for good conditions (unmetered network and charging, or external power) and one from
    /// `relax_at` on any network; whichever runs first renews, the other finds nothing due. `None`
    /// when nothing is scheduled (no passes, or all need re-authentication).
    pub fn renewal_plan(&self, now: u64) -> Option<RenewalPlan> {
        self.inner.renewal_plan(now).map(Into::into)
    }

    /// Fetches the trust list and keeps it if newer (never older, not even after the cached copy was
    /// damaged). Fails with `InUse` when another process still talks to the issuer for this wallet
    /// after a wait of up to 2 s. Does
    /// not set the clock (only enrolment and renewal answers do).
    pub async fn refresh_trust_list(&self, now: u64) -> Result<TrustListStatus, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.refresh_trust_list(now).await?.into()) }).await
    }

    /// Fetches the status lists (revocation) of the passes, where missing or past their `ttl`.
    /// Never needed to show a code: call it in background work. Returns how many were updated.
    pub async fn refresh_status_lists(&self, now: u64) -> Result<u32, DoorpassError> {
        let wallet = self.inner.clone();
        run(async move {
            let updated = wallet.refresh_status_lists(now).await?;
            Ok(u32::try_from(updated).unwrap_or(u32::MAX))
        })
        .await
    }

    /// The cached trust list's version and age, if one is cached.
    pub fn trust_list_status(&self, now: u64) -> Option<TrustListStatus> {
        self.inner.trust_list_status(now).map(Into::into)
    }

    /// The wallet's clock against the issuer's.
    pub fn clock_status(&self) -> ClockStatus {
        self.inner.clock_status().into()
    }

    /// Damaged files found and set aside when the wallet was opened.
    pub fn problems(&self) -> Vec<StorageProblem> {
        self.inner.problems().into_iter().map(Into::into).collect()
    }

    /// Removes a pass and its secrets from this device.
    pub fn remove_pass(&self, pass_id: String) -> Result<(), DoorpassError> {
        Ok(self.inner.remove_pass(&pass_id)?)
    }

    /// Deletes every pass, secret and file of this wallet, after any network call under way has
    /// finished. Every later call on this object fails with `Wiped`.
    pub async fn wipe(&self) -> Result<(), DoorpassError> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.wipe().await?) }).await
    }

    /// Closes this handle, for an app that replaces it with a new one on the same folder: waits
    /// for the issuer call under way on it (a renewal, an enrolment) to end and store what it
    /// received, then refuses every later call that can fail with `InUse` (call through the new
    /// handle instead); `state()` and `passes()` keep answering what was last known. Open the new
    /// handle after this returns: it then reads everything this one wrote. Closing twice is not an
    /// error. Kotlin calls it `closeAndWait()` (a suspend function): uniffi's own `close()` there
    /// only releases the object, without waiting.
    pub async fn close(&self) -> Result<(), DoorpassError> {
        let wallet = self.inner.clone();
        run(async move {
            wallet.close().await;
            Ok(())
        })
        .await
    }
}
