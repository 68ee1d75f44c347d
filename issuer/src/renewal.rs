//! `POST /v1/renew`: a single-use refresh token plus proof of key possession, traded for a new pass
//! and the next token. Reusing a token revokes its whole chain, except for a retry shortly after,
//! whose answer was lost: it gets the same answer again (see [`crate::store::renew_token`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use doorpass_format::api::{
    IssuedPass, RenewRequest, b64_fixed, error_code, renewal_proof_message,
};

use crate::codes::token_hash;
use crate::error::{ApiError, ApiJson};
use crate::issuance::{Tentative, answer_recorded};
use crate::metrics::Issuance;
use crate::proof::{check_proof, parse_proof, stored_holder_key};
use crate::state::AppState;
use crate::store::{self, Exchange, Renewal, TokenState};

fn refused(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Renews a pass.
pub async fn renew(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<RenewRequest>,
) -> Result<Json<IssuedPass>, ApiError> {
    let started = Instant::now();
    let token = b64_fixed::<32>(&req.refresh_token)
        .ok_or_else(|| ApiError::bad_request("refresh_token must be base64url (32 bytes)"))?;
    let proof = parse_proof(&req.proof)?;
    let hash = token_hash(&token);
    // A first read finds the holder key (for the proof) and the holder (for the pass). The decision
    // is taken again, in one call, by `renew_token`.
    let (record, holder) = state
        .store
        .read(move |c| {
            let Some(record) = c.refresh_token(&hash)? else {
                return Ok((None, None));
            };
            let holder = c.holder(&record.subject)?;
            Ok((Some(record), holder))
        })
        .await?;
    let record = record.ok_or_else(unknown)?;
    let holder_key = stored_holder_key(&record.holder_key)?;
    // The proof comes first, so that only the holder can trigger reuse revocation.
    check_proof(
        &holder_key,
        &renewal_proof_message(&token),
        &proof,
        "this token",
    )?;
    let now = state.clock.now();
    match record.state {
        TokenState::Revoked => return Err(revoked()),
        TokenState::Active if now >= record.expires_at => return Err(expired()),
        _ => {}
    }
    // Sign the pass now (it is cheap); it is kept only if the exchange below happens. A used or
    // superseded token can only be a retry (answered with what it got before) or reuse, so it is not
    // worth signing for.
    let Tentative {
        record: new_record,
        answer,
        refusal,
        token: successor,
    } = if matches!(record.state, TokenState::Used | TokenState::Superseded) {
        Tentative::default()
    } else {
        // The next pass keeps the chain's key and what its attestation showed of it.
        state
            .sign_tentative(
                holder.as_ref(),
                &holder_key,
                record.key_assurance,
                record.family,
                now,
            )
            .await?
    };
    let grace = state.lifetimes.retry_grace.as_secs();
    let outcome = state
        .store
        .call(move |c| {
            let exchange = new_record
                .as_ref()
                .zip(successor.as_ref())
                .map(|(record, successor)| Exchange { record, successor });
            store::renew_token(c, &token, now, grace, exchange)
        })
        .await?;
    match outcome {
        Renewal::Unknown => Err(unknown()),
        Renewal::Revoked => Err(revoked()),
        Renewal::Expired => Err(expired()),
        Renewal::Reused => Err(reused()),
        Renewal::NotIssuable => Err(refusal.unwrap_or_else(ApiError::not_eligible)),
        Renewal::Renewed => answer_recorded(answer, &state.metrics, Issuance::Renewal, started),
        Renewal::Repeated(stored) => Ok(Json(IssuedPass {
            peak_hours: Some(state.renew_timing.peak_windows(now)),
            ..stored.into_issued_pass()
        })),
    }
}

fn unknown() -> ApiError {
    refused(
        error_code::INVALID_REFRESH_TOKEN,
        "unknown refresh token; authenticate again",
    )
}

fn revoked() -> ApiError {
    refused(
        error_code::INVALID_REFRESH_TOKEN,
        "this refresh token was revoked; authenticate again",
    )
}

fn expired() -> ApiError {
    refused(
        error_code::REFRESH_TOKEN_EXPIRED,
        "the refresh token has expired; authenticate again",
    )
}

fn reused() -> ApiError {
    refused(
        error_code::REFRESH_TOKEN_REUSED,
        "this refresh token was already used; all tokens of this pass are revoked; authenticate again",
    )
}
