//! Quiet renewal: a refresh token and a holder proof are traded for the next pass before the current
//! one expires, with backoff and the issuer's `Retry-After` honoured; refusals lead to re-authentication.

use super::*;
use crate::peak_hours;

/// Seconds to wait (plus up to as many again, at random) when another process holds the wallet.
pub const IN_USE_RETRY_SECONDS: u64 = 15;

impl Wallet {
    /// Renews every pass that is due (or expired, or whose file was damaged). Passes waiting out a
    /// `Retry-After` or backoff are not sent; call again at [`Wallet::next_renewal_at`].
    pub async fn renew_due(&self, device_now: u64) -> Vec<PassRenewal> {
        let ids: Vec<String> = self.lock().slots.keys().cloned().collect();
        let mut out = Vec::new();
        for id in ids {
            let outcome = match self.renew_pass(&id, device_now, false).await {
                Ok(outcome) => outcome,
                // Another process is renewing this wallet right now: look again shortly.
                Err(WalletError::InUse) => RenewalOutcome::Waiting {
                    retry_at: device_now
                        .saturating_add(IN_USE_RETRY_SECONDS)
                        .saturating_add(rand::random::<u64>() % IN_USE_RETRY_SECONDS),
                },
                // Removed, wiped or closed meanwhile: nothing left to renew through this handle.
                Err(WalletError::UnknownPass { .. } | WalletError::Wiped | WalletError::Closed) => {
                    continue;
                }
                // Failed on this device (storage, secure storage): back off as after an issuer
                // failure, so a scheduler does not spin.
                Err(e) => {
                    log::warn!("renewal of pass {id} failed on this device: {e}");
                    match self.schedule_retry(&id, e.to_string(), None, device_now, Duration::ZERO)
                    {
                        Ok(outcome) => outcome,
                        Err(_) => continue,
                    }
                }
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
        let _across_processes = self.exclusive().await?;
        let (now, meta, renew_after, expires_at) = {
            let mut inner = self.live()?;
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
                slot.pass.as_ref().map(|p| p.claims().expires_at),
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
        // The issuer's busy hours: wait for their end, unless the pass would expire meanwhile
        // (within a day) or the user asked for this renewal.
        if !force
            && let Some(expires_at) = expires_at
            && let Some(until) = peak_hours::hold_renewal_until(&meta.peak_hours, now, expires_at)
        {
            return Ok(RenewalOutcome::Waiting {
                retry_at: device_now.saturating_add(until - now),
            });
        }
        let wallet_id = &self.identity.wallet_id;
        let Some(token) = self.secrets.get(&secret_name(wallet_id, id, REFRESH))? else {
            return self.require_reauth(id, "no refresh token is stored");
        };
        let token: [u8; 32] = token.try_into().map_err(|_| WalletError::SecretStore {
            detail: "the stored refresh token is damaged".into(),
        })?;
        let key = self.load_holder_key(id, meta.holder_key, meta.platform_key.as_ref())?;
        let proof = key.sign(&doorpass_format::api::renewal_proof_message(&token))?;
        let started = Instant::now();
        let result = self.client()?.renew_with_proof(&token, &proof).await;
        let device_after = device_now.saturating_add(started.elapsed().as_secs());
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => return self.renewal_failed(id, e, device_now, started.elapsed()),
        };
        // From this answer on, the old token is spent: keep the new one before anything else can
        // fail (the pass check below may need the network), so the next attempt can use it.
        self.keep_refresh_token(id, &answer.value.refresh_token)?;
        if let Some(t) = answer.server_time {
            let boot = self.boot_reading();
            self.lock().state.clock.sync(t, device_after, boot.as_ref());
        }
        let pass = match self
            .accept_issued(&answer.value, &[key.public_key()], device_after)
            .await
        {
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
        if let Some(windows) = &answer.value.peak_hours {
            meta.peak_hours = peak_hours::sanitize(windows);
        }
        let (expires_at, renew_after) = (pass.claims().expires_at, pass.claims().renew_after);
        self.store_issued(&mut inner, id, meta, pass, key)?;
        write_json(&self.layout.state(), &inner.state)
            .map_err(|e| WalletError::storage("state", e))?;
        log::info!("pass {id} renewed; it expires at {expires_at}");
        Ok(RenewalOutcome::Renewed {
            expires_at,
            renew_after,
        })
    }

    pub(super) fn renewal_failed(
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
        log::info!("renewal of pass {id} deferred: {error}");
        self.schedule_retry(id, error.to_string(), retry_after, device_now, took)
    }

    /// Counts a failed attempt for pass `id` and schedules the next one: backoff with jitter, never
    /// sooner than the issuer's `retry_after`, counted from when the failure was known.
    pub(super) fn schedule_retry(
        &self,
        id: &str,
        reason: String,
        retry_after: Option<Duration>,
        device_now: u64,
        took: Duration,
    ) -> Result<RenewalOutcome, WalletError> {
        let mut inner = self.live()?;
        let slot = inner
            .slots
            .get_mut(id)
            .ok_or_else(|| WalletError::UnknownPass { id: id.to_string() })?;
        slot.meta.failures = slot.meta.failures.saturating_add(1);
        let delay = self
            .retry
            .delay(slot.meta.failures, retry_after, &mut rand::thread_rng());
        // Count from when the answer came, rounded up (at least a second, so a caller never retries
        // at once), plus a second for clock granularity after a Retry-After.
        let retry_at = device_now
            .saturating_add(((took + delay).as_secs_f64().ceil() as u64).max(1))
            .saturating_add(u64::from(retry_after.is_some()));
        slot.meta.next_attempt_at = retry_at;
        slot.meta.last_error = Some(reason.clone());
        // Best effort: the schedule also holds in memory for this process.
        if let Err(e) = self.files.save_meta(id, &slot.meta) {
            log::warn!("could not save the renewal schedule of pass {id}: {e}");
        }
        Ok(RenewalOutcome::Deferred {
            retry_at,
            reason,
            retry_after: retry_after.map(|d| d.as_secs()),
        })
    }

    pub(super) fn require_reauth(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<RenewalOutcome, WalletError> {
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
    /// scheduler; `None` when nothing is scheduled (no passes, or all need re-authentication). The
    /// `run_at` of [`Wallet::renewal_plan`], before it is brought up to the present.
    pub fn next_renewal_at(&self) -> Option<u64> {
        self.plan().map(|plan| plan.run_at)
    }
}
