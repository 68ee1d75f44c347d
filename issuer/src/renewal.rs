//! `POST /v1/renew`: a single-use refresh token plus proof of key possession, traded for a new pass
//! and the next token. Reusing a token revokes its whole chain.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use doorpass_core::api::{IssuedPass, RenewRequest, b64_fixed, error_code, renewal_proof_message};
use doorpass_core::keys::VerifyingKey;

use crate::codes::token_hash;
use crate::enrolment::parse_proof;
use crate::error::{ApiError, ApiJson};
use crate::issuance::issue;
use crate::metrics::Issuance;
use crate::service::AppState;
use crate::store::{self, TokenState};
use crate::unix_now;

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
    let (record, holder) = state
        .store
        .call(move |c| {
            let Some(record) = store::refresh_token(c, &hash)? else {
                return Ok((None, None));
            };
            let holder = store::holder(c, &record.subject)?;
            Ok((Some(record), holder))
        })
        .await?;
    let record = record.ok_or_else(|| {
        refused(
            error_code::INVALID_REFRESH_TOKEN,
            "unknown refresh token; authenticate again",
        )
    })?;
    let holder_key = VerifyingKey::from_bytes(&record.holder_key).map_err(ApiError::internal)?;
    // The proof comes first, so that only the holder can trigger reuse revocation.
    if holder_key
        .verify_strict(&renewal_proof_message(&token), &proof)
        .is_err()
    {
        return Err(refused(
            error_code::BAD_PROOF,
            "the proof is not a signature by the holder key over this token",
        ));
    }
    let family = record.family;
    match record.state {
        TokenState::Active => {}
        TokenState::Used => {
            state
                .store
                .call(move |c| store::revoke_family(c, &family))
                .await?;
            return Err(reused());
        }
        TokenState::Revoked => {
            return Err(refused(
                error_code::INVALID_REFRESH_TOKEN,
                "this refresh token was revoked; authenticate again",
            ));
        }
    }
    let now = unix_now();
    if now >= record.expires_at {
        return Err(refused(
            error_code::REFRESH_TOKEN_EXPIRED,
            "the refresh token has expired; authenticate again",
        ));
    }
    let holder = holder.ok_or_else(ApiError::not_eligible)?;
    let issued = issue(
        &state.keys,
        &state.lifetimes,
        &holder,
        &holder_key,
        family,
        now,
    )?;
    let new_record = issued.record;
    let rotated = state
        .store
        .call(move |c| {
            let rotated = store::rotate_refresh_token(c, &hash, &new_record)?;
            if !rotated {
                // Another request used this token first: treat as reuse.
                store::revoke_family(c, &family)?;
            }
            Ok(rotated)
        })
        .await?;
    if !rotated {
        return Err(reused());
    }
    state
        .metrics
        .record_issuance(Issuance::Renewal, started.elapsed());
    Ok(Json(issued.answer))
}

fn reused() -> ApiError {
    refused(
        error_code::REFRESH_TOKEN_REUSED,
        "this refresh token was already used; all tokens of this pass are revoked; authenticate again",
    )
}
