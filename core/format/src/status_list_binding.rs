//! Whether a status list may be believed: signed by a key the trust list holds **for the issuer
//! whose passes name it**, valid (by the trust list's window) when the list says it was made, made
//! no later than now, not expired, and — when it was fetched — carrying the URI it was fetched from.
//!
//! A signature alone is not enough: the trust list holds keys of several issuers, and keys rotated
//! out stay listed for as long as passes they signed may live. Without these checks any such key
//! could serve a list under another issuer's URI with an `iat` far ahead, and every genuine list
//! would then be refused as older.

use crate::status_list::{SignedStatusList, StatusListToken};
use crate::trust_list::{TrustListContent, TrustedIssuer};
use crate::{FormatError, KeyId};

/// How far a status list's `iat` may be ahead of the reader's clock (the issuer's and the device's
/// clocks differ a little): 10 minutes, the same bound as a door's clock behind its trust list.
pub const STATUS_LIST_CLOCK_SKEW_SECONDS: u64 = 600;

/// What a status list is expected to be, known from where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusListBinding<'a> {
    /// The URI it was fetched from: its `sub` must be this. `None` for a list given as bytes (a
    /// file, a bundle, another device): it is then bound to its own `sub`.
    pub uri: Option<&'a str>,
    /// The issuer whose passes name the list: its key must be listed for this issuer. `None` for a
    /// list given as bytes: the issuer is the one the trust list holds its key for (and a key listed
    /// for several issuers is refused).
    pub issuer_id: Option<&'a str>,
}

impl<'a> StatusListBinding<'a> {
    /// A list fetched from `uri` because passes of `issuer_id` name it.
    pub fn fetched(issuer_id: &'a str, uri: &'a str) -> Self {
        StatusListBinding {
            uri: Some(uri),
            issuer_id: Some(issuer_id),
        }
    }

    /// A list given as bytes, with nothing known about where it came from.
    pub fn given() -> Self {
        StatusListBinding::default()
    }
}

/// A status list that passed [`SignedStatusList::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The issuer the signing key is listed for: the list speaks only for this issuer's passes.
    pub issuer_id: String,
    /// The key that signed it.
    pub key_id: KeyId,
    /// The claims.
    pub token: StatusListToken,
}

/// Why a parsed status list token is not accepted. Every variant leaves the list held before (if
/// any) in place; all but [`StatusListError::IssuedInFuture`] mean the list will never be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// The token is not a well-formed status list token.
    #[error("not a status list: {0}")]
    Malformed(#[from] FormatError),
    /// No issuer key of the trust list has this key id.
    #[error("the status list is signed by a key the trust list does not hold")]
    UnknownKey,
    /// The signature does not check against the named key.
    #[error("the status list's signature does not check")]
    BadSignature,
    /// The key is listed, but not for the issuer whose passes name this list (another issuer's
    /// key standing in for it).
    #[error("the status list is signed by a key not listed for {expected}, whose passes name it")]
    WrongIssuer {
        /// The issuer whose passes name the list.
        expected: String,
    },
    /// The list was given without its issuer, and its key is listed for several issuers: whose
    /// passes it speaks for cannot be told.
    #[error("the status list's key is listed for several issuers; fetch it for one of them")]
    AmbiguousIssuer,
    /// The key is listed for the issuer, but its trust-list window does not cover the list's `iat`
    /// (e.g. a key rotated out before the list says it was made).
    #[error("the status list's key was not trusted at its issue time {issued_at}")]
    KeyNotValidAtIssuance {
        /// The list's `iat`.
        issued_at: u64,
    },
    /// The list's `sub` is not the URI it was fetched from.
    #[error("the status list fetched from {expected} says it is {found}")]
    WrongUri {
        /// The URI fetched.
        expected: String,
        /// The token's `sub`.
        found: String,
    },
    /// The list says it was made later than now (beyond [`STATUS_LIST_CLOCK_SKEW_SECONDS`]). Either
    /// a list made to outrank every genuine one, or this device's clock is far behind: check it.
    #[error("the status list says it was made at {issued_at}, after now ({now})")]
    IssuedInFuture {
        /// The list's `iat`.
        issued_at: u64,
        /// The reader's time.
        now: u64,
    },
    /// The list's `exp` has passed: fetch a newer one.
    #[error("the status list expired at {expired_at}")]
    Expired {
        /// The list's `exp`.
        expired_at: u64,
    },
}

impl SignedStatusList {
    /// Checks the list against the trust list and what is known of its origin (`binding`), at
    /// `now`. `now` is `None` only for lists this device already accepted with a clock and kept
    /// (read back from its own files): then `iat` and `exp` are not compared with the clock again.
    pub fn verify(
        self,
        trust: &TrustListContent,
        binding: StatusListBinding<'_>,
        now: Option<u64>,
    ) -> Result<VerifiedStatusList, StatusListError> {
        let kid = self.signed.kid;
        let listed: Vec<&TrustedIssuer> =
            trust.issuers.iter().filter(|i| i.key_id == kid).collect();
        if listed.is_empty() {
            return Err(StatusListError::UnknownKey);
        }
        let signing: Vec<&TrustedIssuer> = listed
            .into_iter()
            .filter(|i| self.signed.verify(&i.public_key))
            .collect();
        if signing.is_empty() {
            return Err(StatusListError::BadSignature);
        }
        let for_issuer: Vec<&TrustedIssuer> = match binding.issuer_id {
            Some(expected) => signing
                .into_iter()
                .filter(|i| i.issuer_id == expected)
                .collect(),
            None => signing,
        };
        if for_issuer.is_empty() {
            return Err(StatusListError::WrongIssuer {
                expected: binding.issuer_id.unwrap_or_default().to_string(),
            });
        }
        let issued_at = self.token.issued_at;
        let in_window: Vec<&TrustedIssuer> = for_issuer
            .into_iter()
            .filter(|i| i.covers(issued_at))
            .collect();
        let Some(entry) = in_window.first() else {
            return Err(StatusListError::KeyNotValidAtIssuance { issued_at });
        };
        if in_window.iter().any(|i| i.issuer_id != entry.issuer_id) {
            return Err(StatusListError::AmbiguousIssuer);
        }
        if let Some(expected) = binding.uri
            && self.token.uri != expected
        {
            return Err(StatusListError::WrongUri {
                expected: expected.to_string(),
                found: self.token.uri,
            });
        }
        if let Some(now) = now {
            if issued_at > now.saturating_add(STATUS_LIST_CLOCK_SKEW_SECONDS) {
                return Err(StatusListError::IssuedInFuture { issued_at, now });
            }
            if let Some(expired_at) = self.token.expires_at
                && now >= expired_at
            {
                return Err(StatusListError::Expired { expired_at });
            }
        }
        Ok(VerifiedStatusList {
            issuer_id: entry.issuer_id.clone(),
            key_id: kid,
            token: self.token,
        })
    }
}

#[cfg(test)]
#[path = "status_list_binding_tests.rs"]
mod tests;
