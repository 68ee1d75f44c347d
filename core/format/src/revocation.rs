//! The door's revocation check: the newest status list it holds per URI, and what it says about
//! one pass. Works offline on whatever lists were fetched last; says how old they are.

use std::collections::HashMap;

use crate::pass::PassClaims;
use crate::status_list::{StatusListError, StatusListToken};
use crate::trust_list::TrustListContent;

/// Default oldest status list (by its `iat`) a door uses before it says "not checked": 72 hours.
pub const DEFAULT_MAX_STATUS_LIST_AGE_SECONDS: u64 = 72 * 3600;

/// What the door knows about a valid pass's revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationCheck {
    /// The pass names no status list: it cannot be revoked.
    NotRevocable,
    /// The pass's list was checked and does not revoke it.
    NotRevoked {
        /// Age of the list used (now − its `iat`), seconds.
        list_age_seconds: u64,
    },
    /// The pass's list is missing, too old, or too short for its index: revocation not checked.
    NotChecked {
        /// Age of the list held for the pass's URI, if one is held.
        list_age_seconds: Option<u64>,
    },
}

/// Why a fetched status list was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListUpdateError {
    /// Not a valid status list for this trust list.
    #[error(transparent)]
    Invalid(#[from] StatusListError),
    /// Older than the list already held for its URI (no rollback).
    #[error(
        "older than the status list already held for {uri} (issued {held_iat}, this one {iat})"
    )]
    Older {
        /// The list's URI.
        uri: String,
        /// `iat` of the held list.
        held_iat: u64,
        /// `iat` of the refused one.
        iat: u64,
    },
}

/// The newest verified status list per URI.
#[derive(Debug, Clone, Default)]
pub struct StatusLists {
    by_uri: HashMap<String, StatusListToken>,
}

impl StatusLists {
    /// Verifies `bytes` against `trust` and keeps the list unless one with a later `iat` is held
    /// for its URI. Returns the list's URI. A list with the same `iat` replaces the held one only if
    /// it is the same list; otherwise the held one stays and this one is refused as older.
    pub fn update(
        &mut self,
        bytes: &[u8],
        trust: &TrustListContent,
    ) -> Result<String, StatusListUpdateError> {
        let token = StatusListToken::parse(bytes)
            .map_err(StatusListError::from)?
            .verify(trust)?;
        if let Some(held) = self.by_uri.get(&token.uri)
            && (held.issued_at > token.issued_at
                || (held.issued_at == token.issued_at && held != &token))
        {
            return Err(StatusListUpdateError::Older {
                uri: token.uri,
                held_iat: held.issued_at,
                iat: token.issued_at,
            });
        }
        let uri = token.uri.clone();
        self.by_uri.insert(uri.clone(), token);
        Ok(uri)
    }

    /// The list held for `uri`.
    pub fn get(&self, uri: &str) -> Option<&StatusListToken> {
        self.by_uri.get(uri)
    }

    /// The URIs of the lists held.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.by_uri.keys().map(String::as_str)
    }

    /// Whether the pass with `claims` is revoked (`Err(())`) or what is known otherwise, at `now`,
    /// using only lists at most `max_age_seconds` old.
    pub fn check(
        &self,
        claims: &PassClaims,
        now: u64,
        max_age_seconds: u64,
    ) -> Result<RevocationCheck, Revoked> {
        let Some(reference) = &claims.status else {
            return Ok(RevocationCheck::NotRevocable);
        };
        let Some(list) = self.by_uri.get(&reference.uri) else {
            return Ok(RevocationCheck::NotChecked {
                list_age_seconds: None,
            });
        };
        let age = now.saturating_sub(list.issued_at);
        match list.list.is_revoked(reference.index) {
            // A revocation is believed however old the list: a pass never becomes valid again.
            Some(true) => Err(Revoked {
                list_age_seconds: age,
            }),
            Some(false) if age <= max_age_seconds => Ok(RevocationCheck::NotRevoked {
                list_age_seconds: age,
            }),
            _ => Ok(RevocationCheck::NotChecked {
                list_age_seconds: Some(age),
            }),
        }
    }
}

/// The pass is revoked in its status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    /// Age of the list that says so, seconds.
    pub list_age_seconds: u64,
}

#[cfg(test)]
#[path = "revocation_tests.rs"]
mod tests;
