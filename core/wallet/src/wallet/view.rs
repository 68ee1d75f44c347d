//! What the screen shows: the QR code for a pass (offline, cached per 30-second step) with its
//! accessibility label, and a door check against the cached trust list.

use super::*;
use sha2::Digest as _;

impl Wallet {
    /// The QR code for a pass (`id` may be omitted when there is one pass). Never touches the
    /// network; repeated calls within one 30-second step return the cached code.
    ///
    /// The code (and the state and label shown with it) is for the corrected device time, unless the
    /// boot clock says the device clock is off by more than the doors' tolerance: then it is for the
    /// issuer's time of the last answer plus the time elapsed since (see [`crate::clock`]), and
    /// [`ClockStatus::device_clock_ignored_seconds`] says by how much the device clock was off.
    pub fn current_qr(
        &self,
        id: Option<&str>,
        device_now: u64,
        static_code: bool,
    ) -> Result<QrView, WalletError> {
        let boot = self.boot_reading();
        let mut inner = self.live()?;
        if inner.state.clock.observe(device_now) {
            let _ = write_json(&self.layout.state(), &inner.state); // best effort: never block the code
        }
        let time = inner.state.clock.code_time(device_now, boot.as_ref());
        if time.device_clock_ignored_seconds.is_some()
            && inner.state.clock.device_clock_ignored_seconds.is_none()
        {
            log::info!(
                "the device clock is {} s off the time kept since the issuer's last answer: codes \
                 are drawn for the latter",
                time.device_clock_ignored_seconds.unwrap_or(0)
            );
        }
        inner.state.clock.device_clock_ignored_seconds = time.device_clock_ignored_seconds;
        let now = time.now;
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
                let state = slot_state(slot, &inner.revocations, now);
                if state == PassState::Revoked {
                    return Err(WalletError::PassRevoked);
                }
                refresh_view(&mut view, pass, state, now);
            }
            return Ok(view);
        }
        let Inner {
            slots, revocations, ..
        } = &mut *inner;
        let slot = slots
            .get_mut(&id)
            .ok_or_else(|| WalletError::UnknownPass { id: id.clone() })?;
        let state = slot_state(slot, revocations, now);
        // A revoked pass shows no code: the holder is told to authenticate again instead.
        if state == PassState::Revoked {
            return Err(WalletError::PassRevoked);
        }
        let pass = slot.pass.clone().ok_or(WalletError::PassMissing)?;
        let holder = match &slot.holder {
            Some(k) => k.clone(),
            None => {
                let k = self.load_holder_key(
                    &id,
                    slot.meta.holder_key,
                    slot.meta.platform_key.as_ref(),
                )?;
                if k.public_key() != pass.claims().holder_key {
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
            let step = doorpass_format::presentation::step_at(now);
            let digest: [u8; 32] = sha2::Sha256::digest(pass.bytes()).into();
            let proof =
                holder.sign(&doorpass_format::presentation::proof_message(&digest, step))?;
            Presentation::Rotating {
                pass: pass.bytes().to_vec(),
                step,
                proof,
            }
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
    /// Refused with [`WalletError::ClockUntrustworthy`] while the device clock is known to have been
    /// turned back (seen now or before, until the next sync with the issuer): a verdict on such a
    /// clock could call an expired pass valid.
    pub fn verify_qr(
        &self,
        text: &str,
        device_now: u64,
        policy: VerifierPolicy,
    ) -> Result<Verdict, WalletError> {
        let mut inner = self.lock();
        if inner.state.clock.observe(device_now) && !inner.wiped {
            let _ = write_json(&self.layout.state(), &inner.state); // best effort, as for a code
        }
        if inner.state.clock.turned_back {
            return Err(WalletError::ClockUntrustworthy {
                detail: "this device's clock was turned back since the wallet last saw it; renew a pass \
                         now (or sign in) so the issuer's time can set it right"
                    .into(),
            });
        }
        let trust_list = inner
            .trust
            .list()
            .cloned()
            .ok_or(WalletError::InvalidInput {
                detail: "no trust list is cached yet; connect once to fetch it".into(),
            })?;
        let now = inner.state.clock.corrected(device_now);
        drop(inner);
        Ok(Verifier::new(trust_list, policy).verify_qr_text(text, now))
    }
}

/// Brings the parts of a view that change within a step up to `now`: countdown, state and label.
pub(super) fn refresh_view(view: &mut QrView, pass: &Pass, state: PassState, now: u64) {
    view.seconds_until_rotation = if view.is_static {
        0
    } else {
        seconds_until_rotation(now)
    };
    view.state = state;
    view.accessible_label = accessible_label(pass, state, view, now);
}

pub(super) fn rotation_sentence(view: &QrView) -> String {
    if view.is_static {
        " Printed code: it does not change.".into()
    } else {
        format!(
            " The code changes in {} seconds.",
            view.seconds_until_rotation
        )
    }
}

pub(super) fn accessible_label(pass: &Pass, state: PassState, view: &QrView, now: u64) -> String {
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
        PassState::Revoked => "Revoked by its issuer; sign in again to get a new pass.".into(),
    };
    format!(
        "{} pass for {}, born {}. {status}{}",
        c.kind.label(),
        c.display_name,
        c.birth_date,
        rotation_sentence(view)
    )
}
