//! Making a pass for a registered holder, with the refresh token that renews it.

use std::time::Duration;

use doorpass_format::api::{IssuedPass, b64};
use doorpass_format::holder_key::HolderPublicKey;
use doorpass_format::keys::{KeyId, hex};
use doorpass_format::pass::{Pass, PassClaims, PassKind, new_pass_id};

use crate::renew_timing::RenewTiming;
use doorpass_format::{KeyAssurance, StatusReference};

use crate::codes::{new_refresh_token, token_hash};
use crate::keys::IssuerKeys;
use crate::store::{HolderRecord, IssuedRecord, StatusEntry};

/// Lifetimes the issuer gives out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// How long a pass is valid (capped by the holder's eligibility).
    pub pass: Duration,
    /// How long after the pass expires its refresh token still renews it.
    pub refresh_grace: Duration,
    /// How long a one-time code is valid.
    pub code: Duration,
    /// How long after a renewal a retry with the old token still gets the same answer (a lost answer
    /// is presumed); counted from the renewal, never extended. Past it, the old token is reuse.
    pub retry_grace: Duration,
    /// How long a door, wallet or cache may keep a status list before fetching it again: its
    /// token's `ttl`, and the `Cache-Control: max-age` it is served with.
    pub status_list: Duration,
}

/// Longest [`Lifetimes::retry_grace`] allowed: a copied token and proof replay at most this long.
pub const MAX_RETRY_GRACE: Duration = Duration::from_secs(3600);

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            pass: Duration::from_secs(30 * 86_400),
            refresh_grace: Duration::from_secs(60 * 86_400),
            code: Duration::from_secs(300),
            retry_grace: Duration::from_secs(900),
            status_list: crate::status_lists::STATUS_LIST_TTL,
        }
    }
}

/// Why no pass can be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueRefusal {
    /// The holder's eligibility has ended.
    NotEligible,
    /// The holder record cannot be put in a pass (e.g. a bad birth date).
    BadRecord(String),
    /// The issuer key may not sign now: the trust list accepts its passes only when issued between
    /// these times, so anything it signed would be refused at every door. The operator must rotate
    /// the key (or publish a trust list that covers it).
    KeyOutsideWindow {
        /// First issuance time the trust list accepts for this key.
        not_before: u64,
        /// Last issuance time the trust list accepts for this key.
        not_after: u64,
    },
}

impl From<IssueRefusal> for crate::error::ApiError {
    fn from(refusal: IssueRefusal) -> Self {
        match refusal {
            IssueRefusal::NotEligible => crate::error::ApiError::not_eligible(),
            IssueRefusal::BadRecord(e) => {
                crate::error::ApiError::internal(format!("holder record: {e}"))
            }
            IssueRefusal::KeyOutsideWindow {
                not_before,
                not_after,
            } => crate::error::ApiError::internal(format!(
                "the issuer key may sign only between {not_before} and {not_after} (trust list); \
                 rotate it"
            )),
        }
    }
}

/// A signed pass, what to store about it, and what to answer.
pub struct Issued {
    /// The database record (pass + refresh token hash).
    pub record: IssuedRecord,
    /// The answer for the wallet (contains the refresh token: never log it).
    pub answer: IssuedPass,
    /// The new refresh token (a secret: never log it), to seal for a retried renewal.
    pub token: [u8; 32],
}

/// A pass signed before the one database call that decides whether it is kept (signing is cheap; the
/// decision must be a single call so concurrent requests cannot both win): what to store and answer,
/// or why no pass can be issued. Empty when the caller already knows it will not be kept.
#[derive(Default)]
pub struct Tentative {
    /// The record to store if the call accepts it.
    pub record: Option<IssuedRecord>,
    /// The answer to send if it does (contains the refresh token: never log it).
    pub answer: Option<IssuedPass>,
    /// Why no pass could be signed: the holder is gone or no longer eligible.
    pub refusal: Option<crate::error::ApiError>,
    /// The new refresh token, when a pass was signed (a secret: never log it).
    pub token: Option<[u8; 32]>,
}

impl Tentative {
    /// Signs a pass for `holder`, if there still is one (see [`issue`]), bound to `key` with its
    /// assurance, with its status-list `entry` (from [`crate::status_lists::StatusAllocator::allocate`]).
    pub fn sign(
        keys: &IssuerKeys,
        lifetimes: (&Lifetimes, &RenewTiming),
        entry: Option<(StatusEntry, StatusReference)>,
        holder: Option<&HolderRecord>,
        key: (&HolderPublicKey, KeyAssurance),
        family: [u8; 16],
        now: u64,
    ) -> Self {
        let issued = holder.map(|h| issue(keys, lifetimes, h, key, family, entry, now));
        let refusal = match issued {
            Some(Ok(issued)) => {
                return Tentative {
                    record: Some(issued.record),
                    answer: Some(issued.answer),
                    refusal: None,
                    token: Some(issued.token),
                };
            }
            Some(Err(refusal)) => refusal.into(),
            None => crate::error::ApiError::not_eligible(),
        };
        Tentative {
            refusal: Some(refusal),
            ..Tentative::default()
        }
    }
}

/// The answer for a pass the store call has recorded, counted in the issuance-latency metric (from
/// `started`, the request's start).
pub fn answer_recorded(
    answer: Option<IssuedPass>,
    metrics: &crate::metrics::Metrics,
    kind: crate::metrics::Issuance,
    started: std::time::Instant,
) -> Result<axum::Json<IssuedPass>, crate::error::ApiError> {
    let answer = answer
        .ok_or_else(|| crate::error::ApiError::internal("a pass was recorded without an answer"))?;
    metrics.record_issuance(kind, started.elapsed());
    Ok(axum::Json(answer))
}

/// Signs a pass for `holder`, bound to `holder_key` with the assurance an attestation gave it (or
/// [`KeyAssurance::Unattested`]), in refresh-token chain `family`, to be renewed as `timing` has it.
pub fn issue(
    keys: &IssuerKeys,
    (lifetimes, timing): (&Lifetimes, &RenewTiming),
    holder: &HolderRecord,
    (holder_key, key_assurance): (&HolderPublicKey, KeyAssurance),
    family: [u8; 16],
    status: Option<(StatusEntry, StatusReference)>,
    now: u64,
) -> Result<Issued, IssueRefusal> {
    let (entry, reference) = status.unzip();
    let kid = KeyId::of(&keys.signing_key.verifying_key());
    if let Some(entry) = keys.trust_list.issuer(kid)
        && !entry.covers(now)
    {
        return Err(IssueRefusal::KeyOutsideWindow {
            not_before: entry.not_before,
            not_after: entry.not_after,
        });
    }
    let expires_at = (now + lifetimes.pass.as_secs()).min(holder.eligible_until);
    if expires_at <= now {
        return Err(IssueRefusal::NotEligible);
    }
    let kind = PassKind::from_code(holder.kind)
        .ok_or_else(|| IssueRefusal::BadRecord("unknown pass kind".into()))?;
    let claims = PassClaims {
        key_assurance,
        issuer_id: keys.issuer_id.clone(),
        issued_at: now,
        not_before: now,
        expires_at,
        pass_id: new_pass_id(),
        holder_key: *holder_key,
        display_name: holder.display_name.clone(),
        birth_date: holder.birth_date.clone(),
        kind,
        renew_after: timing.draw_renew_after(now, expires_at, &mut rand::thread_rng()),
        status: reference,
    };
    let pass = Pass::issue(&claims, &keys.signing_key)
        .map_err(|e| IssueRefusal::BadRecord(e.to_string()))?;
    let token = new_refresh_token();
    let token_expires_at = expires_at + lifetimes.refresh_grace.as_secs();
    let record = IssuedRecord {
        pass_id: claims.pass_id,
        subject: holder.subject.clone(),
        holder_key: holder_key.to_bytes(),
        family,
        issued_at: now,
        expires_at,
        renew_after: claims.renew_after,
        pass: pass.bytes().to_vec(),
        token_hash: token_hash(&token),
        token_expires_at,
        status: entry,
        key_assurance,
    };
    let answer = IssuedPass {
        pass: b64(pass.bytes()),
        refresh_token: b64(&token),
        pass_id: hex(&claims.pass_id),
        expires_at,
        renew_after: claims.renew_after,
        refresh_expires_at: token_expires_at,
        peak_hours: Some(timing.peak_windows(now)),
    };
    Ok(Issued {
        record,
        answer,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::trust_list::{TrustList, TrustListContent, TrustedIssuer};

    /// Keys whose trust list accepts passes issued between `not_before` and `not_after`.
    fn keys_with_window(not_before: u64, not_after: u64) -> IssuerKeys {
        let anchor = generate_signing_key();
        let signing_key = generate_signing_key();
        let list = TrustListContent {
            version: 1,
            issued_at: not_before,
            next_update: not_before + 86_400,
            issuers: vec![TrustedIssuer::new(
                signing_key.verifying_key(),
                "KR-TEST",
                not_before,
                not_after,
            )],
        }
        .sign(&anchor);
        IssuerKeys {
            signing_key,
            issuer_id: "KR-TEST".into(),
            trust_list: TrustList::verify(&list, &anchor.verifying_key()).unwrap(),
            anchor: anchor.verifying_key(),
            code_secret: [7; 32],
            status_secret: [8; 32],
            continues_unclaimed_lists: false,
        }
    }

    #[test]
    fn a_key_outside_its_trusted_window_signs_nothing() {
        let holder = HolderRecord {
            subject: "s".into(),
            display_name: "Kim Minji".into(),
            birth_date: "1990-04-01".into(),
            kind: 1,
            eligible_until: 2_000_000_000,
        };
        let holder_key = generate_signing_key().verifying_key().into();
        let keys = keys_with_window(1_700_000_000, 1_800_000_000);
        let sign = |now| {
            issue(
                &keys,
                (&Lifetimes::default(), &RenewTiming::default()),
                &holder,
                (&holder_key, KeyAssurance::Unattested),
                [1; 16],
                None,
                now,
            )
        };
        assert!(sign(1_750_000_000).is_ok());
        for now in [1_699_999_999, 1_800_000_001] {
            assert_eq!(
                sign(now).err(),
                Some(IssueRefusal::KeyOutsideWindow {
                    not_before: 1_700_000_000,
                    not_after: 1_800_000_000
                }),
                "signing at {now}"
            );
        }
    }
}
