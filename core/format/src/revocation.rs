//! The door's revocation check: the newest status list it holds per issuer and URI, and what it
//! says about one pass. Works offline on whatever lists were fetched last; says how old they are.

use std::collections::HashMap;

use crate::pass::PassClaims;
use crate::status_list::StatusListToken;
use crate::status_list_binding::{StatusListBinding, StatusListError, VerifiedStatusList};
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

/// Which list: the issuer its key is listed for, and its URI (`sub`). Lists are kept per issuer,
/// so a key of one issuer never stands in for another issuer's list under the same URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusListId {
    /// The issuer whose passes the list speaks for.
    pub issuer_id: String,
    /// The list's URI, as passes name it.
    pub uri: String,
}

impl StatusListId {
    /// The list a pass with `claims` names, if it names one.
    pub fn of_pass(claims: &PassClaims) -> Option<Self> {
        claims.status.as_ref().map(|s| StatusListId {
            issuer_id: claims.issuer_id.clone(),
            uri: s.uri.clone(),
        })
    }

    /// What a fetch of this list expects of the answer.
    pub fn binding(&self) -> StatusListBinding<'_> {
        StatusListBinding::fetched(&self.issuer_id, &self.uri)
    }
}

/// Why a fetched status list was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListUpdateError {
    /// Not a valid status list for this trust list and origin (see [`StatusListError`]).
    #[error(transparent)]
    Invalid(#[from] StatusListError),
    /// Older than the list already held for its issuer and URI (no rollback).
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

/// The newest verified status list per issuer and URI.
#[derive(Debug, Clone, Default)]
pub struct StatusLists {
    by_id: HashMap<StatusListId, StatusListToken>,
}

impl StatusLists {
    /// Verifies `bytes` against `trust` and what is known of its origin (`binding`) at `now`, and
    /// keeps the list unless one with a later `iat` is held for its issuer and URI. Returns which
    /// list it is. A list with the same `iat` replaces the held one only if it is the same list;
    /// otherwise the held one stays and this one is refused as older.
    pub fn update(
        &mut self,
        bytes: &[u8],
        trust: &TrustListContent,
        binding: StatusListBinding<'_>,
        now: u64,
    ) -> Result<StatusListId, StatusListUpdateError> {
        let verified = StatusListToken::parse(bytes)
            .map_err(StatusListError::from)?
            .verify(trust, binding, Some(now))?;
        self.keep(verified)
    }

    /// Takes back a list this device accepted before (read from its own files, after a restart or
    /// with a new trust list): checked like [`StatusLists::update`] with a given list, except that
    /// its `iat` and `exp` are not compared with the clock again.
    pub fn restore(
        &mut self,
        bytes: &[u8],
        trust: &TrustListContent,
    ) -> Result<StatusListId, StatusListUpdateError> {
        let verified = StatusListToken::parse(bytes)
            .map_err(StatusListError::from)?
            .verify(trust, StatusListBinding::given(), None)?;
        self.keep(verified)
    }

    fn keep(
        &mut self,
        verified: VerifiedStatusList,
    ) -> Result<StatusListId, StatusListUpdateError> {
        let VerifiedStatusList {
            issuer_id, token, ..
        } = verified;
        let id = StatusListId {
            issuer_id,
            uri: token.uri.clone(),
        };
        if let Some(held) = self.by_id.get(&id)
            && (held.issued_at > token.issued_at
                || (held.issued_at == token.issued_at && held != &token))
        {
            return Err(StatusListUpdateError::Older {
                uri: token.uri,
                held_iat: held.issued_at,
                iat: token.issued_at,
            });
        }
        self.by_id.insert(id.clone(), token);
        Ok(id)
    }

    /// The list held for `id`.
    pub fn get(&self, id: &StatusListId) -> Option<&StatusListToken> {
        self.by_id.get(id)
    }

    /// Which lists are held.
    pub fn ids(&self) -> impl Iterator<Item = &StatusListId> {
        self.by_id.keys()
    }

    /// Whether the pass with `claims` is revoked (`Err(())`) or what is known otherwise, at `now`,
    /// using only lists at most `max_age_seconds` old.
    pub fn check(
        &self,
        claims: &PassClaims,
        now: u64,
        max_age_seconds: u64,
    ) -> Result<RevocationCheck, Revoked> {
        let (Some(reference), Some(id)) = (&claims.status, StatusListId::of_pass(claims)) else {
            return Ok(RevocationCheck::NotRevocable);
        };
        let Some(list) = self.by_id.get(&id) else {
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
