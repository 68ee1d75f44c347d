//! `POST /v1/enrolment/start` and `POST /v1/enrolment/complete`: one-time code plus proof of key
//! possession, traded for a pass and a refresh token.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use doorpass_format::api::{
    CHALLENGE_ID_LEN, EnrolmentCompleteRequest, EnrolmentStartRequest, EnrolmentStartResponse,
    IssuedPass, b64, b64_fixed, enrolment_proof_message, error_code,
};

use crate::admission::NotReserved;
use crate::attestation::attestation_challenge;
use crate::client_address::ClientAddress;
use crate::codes::{CODE_LENGTH, code_hash, completion_seal_key, is_code_shaped, new_code, same};
use crate::error::{ApiError, ApiJson};
use crate::holders::is_valid_subject;
use crate::issuance::{Tentative, answer_recorded};
use crate::metrics::Issuance;
use crate::proof::{check_proof, parse_holder_key, parse_proof, stored_holder_key};
use crate::state::AppState;
use crate::store::{
    self, ChallengeRecord, ChallengeState, Exchange, FailureCap, Opened, PresentedCode,
    RedeemRules, Redemption,
};

/// Wrong codes allowed per challenge; the last one locks it.
pub const MAX_ATTEMPTS: u32 = 5;

/// Wrong codes allowed per subject, over all its challenges: 10 a day. With 10⁶ codes, the best an
/// attacker gets is one chance in 100,000 a day per subject (docs/security.md).
pub const DEFAULT_FAILURE_CAP: FailureCap = FailureCap {
    max_failures: 10,
    window_secs: 86_400,
};

/// Starts an enrolment: records a challenge and sends a code if the subject is registered.
pub async fn start(
    State(state): State<Arc<AppState>>,
    Extension(ClientAddress(client)): Extension<ClientAddress>,
    ApiJson(req): ApiJson<EnrolmentStartRequest>,
) -> Result<(StatusCode, Json<EnrolmentStartResponse>), ApiError> {
    if !is_valid_subject(&req.subject) {
        return Err(ApiError::bad_request(
            "subject must be 1 to 128 characters without control characters",
        ));
    }
    let holder_key = parse_holder_key(&req.holder_key)?;
    let challenge_id: [u8; CHALLENGE_ID_LEN] = rand::random();
    let code = new_code();
    let now = state.clock.now();
    let record = ChallengeRecord {
        subject: req.subject.clone(),
        holder_key: holder_key.to_bytes(),
        code_hash: code_hash(&state.keys.code_secret, &challenge_id, &code),
        expires_at: now + state.lifetimes.code.as_secs(),
        attempts: 0,
        state: ChallengeState::Open,
    };
    // No code is sent unless its completion can be served (docs/issuer.md, "Admission by
    // criticality"); a reservation left behind by a dropped request ends with the code's lifetime.
    match state
        .admission
        .reserve_completion(challenge_id, client, record.expires_at, now)
    {
        Ok(()) => {}
        Err(NotReserved::Overloaded(retry_after)) => return Err(ApiError::overloaded(retry_after)),
        Err(NotReserved::ClientShareUsed(wait)) => {
            state.metrics.record_rate_limited();
            return Err(ApiError::rate_limited(
                wait,
                "from this address: too many enrolments started and not completed",
            ));
        }
    }
    // A subject that has used up its wrong codes, or its starts, gets no new code (and no message)
    // until then. Unknown subjects get a challenge too (no code is sent), so the answer does not
    // reveal who is registered — eligibility is health data.
    let (cap, starts) = (state.code_failure_cap, state.subject_starts);
    let started = state
        .store
        .call(move |c| store::open_challenge(c, &challenge_id, &record, now, cap, starts))
        .await;
    let known = match started {
        Ok(Opened::Open { known, replaced }) => {
            // Only the newest code works: the older challenges are owed nothing (those started on
            // another node are released there when they end or expire).
            for old in &replaced {
                state.admission.completion_ended(old);
            }
            known
        }
        Ok(Opened::SubjectLocked { until }) => {
            state.admission.completion_ended(&challenge_id);
            return Err(too_many_wrong_codes(until, now));
        }
        Ok(Opened::TooManyStarts { until }) => {
            state.admission.completion_ended(&challenge_id);
            state.metrics.record_rate_limited();
            return Err(ApiError::rate_limited(
                until.saturating_sub(now).max(1),
                "for this subject",
            ));
        }
        Err(e) => {
            state.admission.completion_ended(&challenge_id);
            return Err(e.into());
        }
    };
    // No code goes to an unknown subject, so no completion is owed for it: the service's capacity
    // is freed now (a map update, the same time whoever the subject is), so that the answer (202)
    // and its timing stay those of a registered subject's. The start still counts against its
    // client's share, as a registered subject's does, so the share tells nothing either.
    if !known {
        state.admission.completion_not_owed(&challenge_id);
    }
    if known && let Err(e) = state.delivery.deliver(&req.subject, &code) {
        eprintln!("doorpass-issuer: code delivery failed: {e}");
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(EnrolmentStartResponse {
            challenge_id: b64(&challenge_id),
            expires_in: state.lifetimes.code.as_secs(),
            code_length: CODE_LENGTH,
            attestation_challenge: state.attestation.offers_challenge().then(|| {
                b64(&attestation_challenge(
                    &state.keys.code_secret,
                    &challenge_id,
                ))
            }),
        }),
    ))
}

/// Completes an enrolment: checks the proof (and a key attestation's, by the mode:
/// [`crate::attestation::completion`]), then — in one database call, so that concurrent guesses
/// are counted one by one — the code, and issues a pass and a refresh token. The pass binds the
/// attested key when its attestation checks, else the start's key.
pub async fn complete(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<EnrolmentCompleteRequest>,
) -> Result<Json<IssuedPass>, ApiError> {
    let started = Instant::now();
    let challenge_id = b64_fixed::<CHALLENGE_ID_LEN>(&req.challenge_id)
        .ok_or_else(|| ApiError::bad_request("challenge_id must be base64url (16 bytes)"))?;
    let proof = parse_proof(&req.proof)?;
    if !is_code_shaped(&req.code) {
        return Err(ApiError::bad_request(format!(
            "code must be {CODE_LENGTH} digits"
        )));
    }
    // A first read finds the holder key (for the proof) and the holder (for the pass). Its view of
    // the challenge only allows answering early; the decision is taken again in `redeem_challenge`.
    let (challenge, holder) = state
        .store
        .read(move |c| {
            let Some(challenge) = c.challenge(&challenge_id)? else {
                return Ok((None, None));
            };
            let holder = c.holder(&challenge.subject)?;
            Ok((Some(challenge), holder))
        })
        .await?;
    let challenge = challenge.ok_or_else(unknown)?;
    let now = state.clock.now();
    let presented = code_hash(&state.keys.code_secret, &challenge_id, &req.code);
    let right_code = same(&presented, &challenge.code_hash);
    let ended = match challenge.state {
        // A used challenge with its right code may be a retry whose answer was lost: decided below.
        ChallengeState::Used if right_code => None,
        ChallengeState::Used => Some(unknown()),
        ChallengeState::Replaced => Some(replaced()),
        ChallengeState::Locked => Some(locked()),
        ChallengeState::Open if now >= challenge.expires_at => Some(expired()),
        ChallengeState::Open => None,
    };
    if let Some(refusal) = ended {
        state.admission.completion_ended(&challenge_id);
        return Err(refusal);
    }
    let holder_key = stored_holder_key(&challenge.holder_key)?;
    let message = enrolment_proof_message(&challenge_id, &challenge.holder_key);
    check_proof(&holder_key, &message, &proof, "this challenge")?;
    let attestation =
        state
            .attestation
            .screen(req.attestation.as_ref(), &challenge_id, &state.metrics)?;
    // Sign the pass now (it is cheap) and keep it only if the code is accepted below. The code hash
    // never changes, so a code that is already wrong here is not worth signing for (it is still
    // counted by the call below), nor is a used challenge (it can only be answered again, with the
    // answer stored for it: a retry's attestation is not checked again). The attestation is
    // checked only here, for a pass about to be signed.
    let Tentative {
        record,
        answer,
        refusal,
        token,
    } = if right_code && challenge.state == ChallengeState::Open {
        let bound = state.attestation.decide(
            attestation,
            &holder_key,
            &state.keys.code_secret,
            &challenge_id,
            now,
            &state.metrics,
        )?;
        let family: [u8; 16] = rand::random();
        // (No holder here is only reachable if it was removed while the challenge was open.)
        state
            .sign_tentative(holder.as_ref(), &bound.key, bound.assurance, family, now)
            .await?
    } else {
        Tentative::default()
    };
    let rules = RedeemRules {
        max_attempts: MAX_ATTEMPTS,
        cap: state.code_failure_cap,
        retry_grace_secs: state.lifetimes.retry_grace.as_secs(),
    };
    let presented = PresentedCode {
        hash: presented,
        seal_key: completion_seal_key(&state.keys.code_secret, &challenge_id, &req.code),
    };
    let outcome = state
        .store
        .call(move |c| {
            let exchange = record
                .as_ref()
                .zip(token.as_ref())
                .map(|(record, successor)| Exchange { record, successor });
            store::redeem_challenge(c, &challenge_id, now, rules, &presented, exchange)
        })
        .await?;
    // Only a wrong code with tries left keeps the challenge (and its reserved completion) open.
    let open = matches!(
        outcome,
        Redemption::WrongCode {
            attempts_left: 1..,
            subject_locked_until: None
        }
    );
    if !open {
        state.admission.completion_ended(&challenge_id);
    }
    match outcome {
        Redemption::Unknown => Err(unknown()),
        Redemption::Replaced => Err(replaced()),
        Redemption::SubjectLocked { until }
        | Redemption::WrongCode {
            subject_locked_until: Some(until),
            ..
        } => Err(too_many_wrong_codes(until, now)),
        Redemption::Locked
        | Redemption::WrongCode {
            attempts_left: 0, ..
        } => Err(locked()),
        Redemption::Expired => Err(expired()),
        Redemption::WrongCode { attempts_left, .. } => Err(ApiError {
            attempts_left: Some(attempts_left),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                error_code::INVALID_CODE,
                format!("wrong code; {attempts_left} tries left"),
            )
        }),
        Redemption::NotIssuable => Err(refusal.unwrap_or_else(ApiError::not_eligible)),
        Redemption::Issued => answer_recorded(answer, &state.metrics, Issuance::Enrolment, started),
        Redemption::Repeated(stored) => Ok(Json(IssuedPass {
            peak_hours: Some(state.renew_timing.peak_windows(now)),
            ..stored.into_issued_pass()
        })),
    }
}

fn unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        error_code::UNKNOWN_CHALLENGE,
        "no open challenge with this id; start again",
    )
}

fn replaced() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        error_code::UNKNOWN_CHALLENGE,
        "a newer code was sent for this subject; enter that one",
    )
}

/// 429 with `Retry-After` until `until`, and the time (UTC) in words for people.
fn too_many_wrong_codes(until: u64, now: u64) -> ApiError {
    let (hour, minute) = ((until % 86_400) / 3600, (until % 3600) / 60);
    ApiError {
        retry_after: Some(until.saturating_sub(now).max(1)),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            error_code::RATE_LIMITED,
            format!(
                "too many wrong codes for this subject; try again at {hour:02}:{minute:02} UTC"
            ),
        )
    }
}

fn expired() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        error_code::CHALLENGE_EXPIRED,
        "the code has expired; start again",
    )
}

fn locked() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        error_code::CHALLENGE_LOCKED,
        format!("{MAX_ATTEMPTS} wrong codes: this challenge is closed; start again"),
    )
}
