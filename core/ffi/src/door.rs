//! The door verifier, for staff checking passes: offline checks against a cached trust list.

use std::path::PathBuf;
use std::sync::Arc;

use doorpass_format::verifier::VerifierPolicy;
use doorpass_wallet::door::DoorVerifier as CoreDoor;
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::tls::TlsTrust;

use crate::anchor::Anchor;
use crate::check_log::CheckLogSummary;
use crate::door_records::{StatusListStatus, VerificationResult};
use crate::error::DoorpassError;
use crate::records::TrustListStatus;
use crate::runtime::run;

/// How a door checks codes and where it refreshes its trust list.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DoorConfig {
    /// The issuer to fetch the trust list from, if any (the list is signed, so any copy will do).
    pub issuer_url: Option<String>,
    /// Accept static (printed) codes, which cannot prove they come from the holder's phone.
    pub allow_static_codes: bool,
    /// Clock difference tolerated between the phone and the door, in seconds; 0 for the default (60).
    pub clock_tolerance_seconds: u32,
    /// Longest pass lifetime (expiry minus issuance) accepted, in days; 0 for the default (400).
    #[uniffi(default = 0)]
    pub max_pass_lifetime_days: u32,
    /// Oldest status list used to say a pass is not revoked, in hours; 0 for the default (72).
    #[uniffi(default = 0)]
    pub max_status_list_age_hours: u32,
    /// Refuse a revocable pass whose status list is missing or too old (otherwise it is accepted
    /// and marked "revocation not checked").
    #[uniffi(default = false)]
    pub require_revocation_check: bool,
    /// Refuse a pass that names no status list, which can never be revoked (with
    /// `require_revocation_check`, only passes known not to be revoked are accepted).
    #[uniffi(default = false)]
    pub refuse_unrevocable: bool,
    /// Refuse a pass whose holder key the issuer did not find attested in a phone's secure
    /// hardware (Android TEE or StrongBox, Apple App Attest): `KeyNotHardwareBound`.
    #[uniffi(default = false)]
    pub require_hardware_key: bool,
    /// Root certificates (PEM) trusted beside the platform's when fetching lists, for test and QA
    /// builds. Production builds leave it empty.
    #[uniffi(default = [])]
    pub extra_root_certificates_pem: Vec<String>,
    /// SHA-256 pins of the issuer's public key (base64): empty for none, else at least two.
    #[uniffi(default = [])]
    pub issuer_key_pins: Vec<String>,
}

impl DoorConfig {
    /// The policy these settings ask for (0 means the default).
    fn policy(&self) -> VerifierPolicy {
        let mut policy = VerifierPolicy {
            allow_static: self.allow_static_codes,
            ..VerifierPolicy::default()
        };
        if self.clock_tolerance_seconds > 0 {
            policy.clock_tolerance_seconds = self.clock_tolerance_seconds.into();
        }
        if self.max_pass_lifetime_days > 0 {
            policy.max_pass_lifetime_seconds = u64::from(self.max_pass_lifetime_days) * 86_400;
        }
        if self.max_status_list_age_hours > 0 {
            policy.max_status_list_age_seconds = u64::from(self.max_status_list_age_hours) * 3600;
        }
        policy.require_revocation_check = self.require_revocation_check;
        policy.refuse_unrevocable = self.refuse_unrevocable;
        policy.require_hardware_key = self.require_hardware_key;
        policy
    }
}

/// A door verifier keeping its trust list in a folder of the app.
#[derive(uniffi::Object)]
pub struct DoorVerifier {
    inner: Arc<CoreDoor>,
    client: Option<IssuerClient>,
}

#[uniffi::export]
impl DoorVerifier {
    /// Opens the verifier kept in the folder `dir` (created if missing), pinned to `anchor`. A cached
    /// list that no longer checks is set aside; the verifier then needs a new list.
    #[uniffi::constructor]
    pub fn open(
        dir: String,
        anchor: Anchor,
        config: DoorConfig,
    ) -> Result<Arc<Self>, DoorpassError> {
        let (inner, set_aside) =
            CoreDoor::open(&PathBuf::from(dir), anchor.key()?, config.policy())?;
        if let Some(set_aside) = set_aside {
            log::warn!(
                "the cached trust list was damaged and moved to {}: {}",
                set_aside.moved_to.display(),
                set_aside.reason
            );
        }
        let tls = TlsTrust {
            extra_roots_pem: config.extra_root_certificates_pem,
            spki_pins: config.issuer_key_pins,
        };
        let client = match config.issuer_url {
            Some(url) => Some(
                IssuerClient::over_https_trusting(&url, DEFAULT_TIMEOUT, &tls).map_err(|e| {
                    DoorpassError::InvalidInput {
                        detail: e.to_string(),
                    }
                })?,
            ),
            None => None,
        };
        Ok(Arc::new(DoorVerifier {
            inner: Arc::new(inner),
            client,
        }))
    }

    /// Changes what this door accepts from the next code on, as door staff set it: everything in
    /// `config` except `issuer_url`, which stays the one given at `open`. The lists held stay.
    pub fn set_config(&self, config: DoorConfig) {
        self.inner.set_policy(config.policy());
    }

    /// Offers a signed trust list (bundled with the app, or copied from another device). It is kept
    /// only if the anchor signed it and it is not older than the cached one.
    pub fn update_trust_list(
        &self,
        list: Vec<u8>,
        now: u64,
    ) -> Result<TrustListStatus, DoorpassError> {
        Ok(self.inner.update_trust_list(&list, now)?.into())
    }

    /// Fetches the trust list from the issuer given at `open`.
    pub async fn refresh_trust_list(&self, now: u64) -> Result<TrustListStatus, DoorpassError> {
        let client = self.client.clone().ok_or(DoorpassError::InvalidInput {
            detail: "this door verifier was opened without an issuer URL".into(),
        })?;
        let door = self.inner.clone();
        run(async move { Ok(door.refresh_trust_list(&client, now).await?.into()) }).await
    }

    /// Offers a signed status list (bundled, or copied from another device). It is kept, as the
    /// list its `sub` names for the issuer its key is listed for, if it verifies against the trust
    /// list (the key's window covers its `iat`, which is not ahead of `now`; not expired) and is not
    /// older than the one held. Lists the door fetches itself are also bound to the URI fetched.
    pub fn update_status_list(
        &self,
        list: Vec<u8>,
        now: u64,
    ) -> Result<StatusListStatus, DoorpassError> {
        Ok(StatusListStatus::at(
            &self.inner.update_status_list(&list, now)?,
            now,
        ))
    }

    /// Fetches the status lists whose `ttl` has passed and those named by passes checked here
    /// that are not held yet. A failure leaves the held lists as they were.
    pub async fn refresh_status_lists(
        &self,
        now: u64,
    ) -> Result<Vec<StatusListStatus>, DoorpassError> {
        let client = self.client.clone().ok_or(DoorpassError::InvalidInput {
            detail: "this door verifier was opened without an issuer URL".into(),
        })?;
        let door = self.inner.clone();
        run(async move {
            let held = door.refresh_status_lists(&client, now).await?;
            Ok(held.iter().map(|h| StatusListStatus::at(h, now)).collect())
        })
        .await
    }

    /// The status lists held, and how old each is.
    pub fn status_lists(&self, now: u64) -> Vec<StatusListStatus> {
        self.inner
            .status_lists()
            .iter()
            .map(|h| StatusListStatus::at(h, now))
            .collect()
    }

    /// Checks a scanned code at `now` (this device's clock). Never touches the network. Every
    /// check is counted in the door's check log (in its folder) before this returns; a log that
    /// cannot be written costs no verdict (`check_log_summary` reports it).
    pub fn verify(&self, qr_text: String, now: u64) -> Result<VerificationResult, DoorpassError> {
        Ok(self.inner.verify(&qr_text, now)?.into())
    }

    /// Summary of the checks from `since` (the shell passes local midnight for "today") to `now`.
    /// `Storage` when checks counted could not all be written to the log file (a read-only or full
    /// disk): show it; the door keeps checking and every check retries the write.
    pub fn check_log_summary(
        &self,
        since: u64,
        now: u64,
    ) -> Result<CheckLogSummary, DoorpassError> {
        Ok(self.inner.check_log_summary(since, now)?.into())
    }

    /// The whole log (90 days) as CSV, one row per 10-minute bucket, header first
    /// (docs/door-log.md has the columns).
    pub fn check_log_csv(&self, now: u64) -> Result<String, DoorpassError> {
        Ok(self.inner.check_log_csv(now))
    }

    /// The cached trust list's version and age, if one is cached.
    pub fn trust_list_status(&self, now: u64) -> Option<TrustListStatus> {
        self.inner.trust_list_status(now).map(Into::into)
    }
}
