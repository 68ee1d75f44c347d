//! The records the storage interface ([`super::Tx`]) reads and writes: plain data, below both the
//! interface and the decisions taken over it, so that neither the interface nor the databases
//! depend on a decision's module.

/// State of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for the code.
    Open,
    /// Completed; cannot be used again.
    Used,
    /// Closed after too many wrong codes.
    Locked,
    /// Closed because a newer challenge was started for the same subject.
    Replaced,
}

impl ChallengeState {
    /// The state as stored.
    pub fn from_db(v: i64) -> Self {
        match v {
            0 => ChallengeState::Open,
            1 => ChallengeState::Used,
            3 => ChallengeState::Replaced,
            _ => ChallengeState::Locked,
        }
    }

    /// The stored form.
    pub fn to_db(self) -> i64 {
        match self {
            ChallengeState::Open => 0,
            ChallengeState::Used => 1,
            ChallengeState::Locked => 2,
            ChallengeState::Replaced => 3,
        }
    }
}

/// A stored challenge.
#[derive(Debug, Clone)]
pub struct ChallengeRecord {
    /// Subject the code was sent to.
    pub subject: String,
    /// Holder key the pass will be bound to.
    /// (`HolderPublicKey::to_bytes`: 32 bytes for Ed25519, the 33-byte compressed point for P-256.)
    pub holder_key: Vec<u8>,
    /// Keyed hash of the code.
    pub code_hash: [u8; 32],
    /// Unix seconds.
    pub expires_at: u64,
    /// Wrong codes so far.
    pub attempts: u32,
    /// Open, used or locked.
    pub state: ChallengeState,
}

/// State of a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Usable once.
    Active,
    /// Already exchanged for a newer token.
    Used,
    /// Revoked (its chain was reused).
    Revoked,
    /// Never used, but replaced: the answer that carried it was presumed lost and its predecessor was
    /// presented again. Presenting it is reuse.
    Superseded,
}

impl TokenState {
    /// The state as stored.
    pub fn from_db(v: i64) -> Self {
        match v {
            0 => TokenState::Active,
            1 => TokenState::Used,
            3 => TokenState::Superseded,
            _ => TokenState::Revoked,
        }
    }
}

/// A stored refresh token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Chain id.
    pub family: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key the chain is bound to.
    /// (`HolderPublicKey::to_bytes`: 32 bytes for Ed25519, the 33-byte compressed point for P-256.)
    pub holder_key: Vec<u8>,
    /// What an attestation showed of that key at enrolment (renewals keep it).
    pub key_assurance: doorpass_format::KeyAssurance,
    /// Unix seconds.
    pub expires_at: u64,
    /// Active, used, revoked or superseded.
    pub state: TokenState,
    /// For a used token: the hash of the token it was last exchanged for.
    pub successor_hash: Option<[u8; 32]>,
    /// For a used token: when it was last exchanged (= when its successor was issued), Unix seconds.
    pub used_at: Option<u64>,
}

/// A pass's entry in a status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusEntry {
    /// The list's number.
    pub list: u64,
    /// How many passes were given entries in the list before this one (allocation order).
    pub counter: u64,
    /// The entry (a keyed permutation of `counter`).
    pub index: u64,
}

/// Which passes to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeSelector {
    /// One pass, by id.
    Pass([u8; 16]),
    /// Every pass of a subject.
    Subject(String),
    /// Every pass of a subject but one (a re-enrolment keeps its new pass).
    SubjectExcept(String, [u8; 16]),
}

/// A registered holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRecord {
    /// Subject (e.g. phone number).
    pub subject: String,
    /// Name shown at the door.
    pub display_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// DP1 pass kind code.
    pub kind: u64,
    /// Unix seconds after which no pass is issued and none outlives.
    pub eligible_until: u64,
}

/// A pass about to be recorded, with the refresh token that comes with it.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    /// Pass id (`cti`).
    pub pass_id: [u8; 16],
    /// Subject.
    pub subject: String,
    /// Holder key.
    /// (`HolderPublicKey::to_bytes`: 32 bytes for Ed25519, the 33-byte compressed point for P-256.)
    pub holder_key: Vec<u8>,
    /// Refresh-token family.
    pub family: [u8; 16],
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Unix seconds.
    pub renew_after: u64,
    /// The signed pass.
    pub pass: Vec<u8>,
    /// SHA-256 of the new refresh token.
    pub token_hash: [u8; 32],
    /// When the new refresh token expires.
    pub token_expires_at: u64,
    /// The pass's entry in a status list, if it has one.
    pub status: Option<StatusEntry>,
    /// What an attestation showed of the holder key; kept with the refresh token, so that
    /// renewals carry it on.
    pub key_assurance: doorpass_format::KeyAssurance,
}

/// A time, count or index as both databases store it (`i64`; past `i64::MAX` it saturates).
pub(super) fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A stored `i64` read back (a negative one, which the issuer never writes, reads as 0).
pub(super) fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A stored key assurance read back ([`doorpass_format::KeyAssurance::code`]); a number this
/// version does not know reads as unattested, as in a pass.
pub(super) fn key_assurance(code: i64) -> doorpass_format::KeyAssurance {
    u64::try_from(code)
        .ok()
        .and_then(doorpass_format::KeyAssurance::from_code)
        .unwrap_or(doorpass_format::KeyAssurance::Unattested)
}

/// What a used token's row leads to when it is presented again: its sealed successor, and the
/// successor's token and pass (for [`super::renew_token`]'s retry check).
#[derive(Debug, Clone)]
pub struct RetryRow {
    /// The successor token sealed under the used one (absent for tokens used before sealing).
    pub sealed: Option<[u8; 32]>,
    /// The successor token's state.
    pub successor_state: TokenState,
    /// The successor token's chain.
    pub successor_family: [u8; 16],
    /// When the successor token expires, Unix seconds.
    pub successor_expires_at: u64,
    /// The pass issued with the successor.
    pub pass_id: [u8; 16],
    /// Its bytes.
    pub pass: Vec<u8>,
    /// When it expires, Unix seconds.
    pub pass_expires_at: u64,
    /// When its wallet should renew, Unix seconds.
    pub renew_after: u64,
}

/// What a completed challenge leads to when its code is presented again: when it was used, the hash
/// of the refresh token it gave out, and that token's row and pass (its `sealed` is the token sealed
/// for a retry; for [`super::redeem_challenge`]'s retry check).
#[derive(Debug, Clone)]
pub struct CompletionRetry {
    /// When the challenge was used, Unix seconds.
    pub used_at: u64,
    /// Hash of the refresh token the completion gave out.
    pub token_hash: [u8; 32],
    /// That token (as a successor) and its pass.
    pub row: RetryRow,
}

/// The newest status list: its number, how far its entries are handed out, and the key that
/// orders them (`None` for a list from before lists recorded it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewestList {
    /// The list's number.
    pub list: u64,
    /// One past the highest counter reserved.
    pub next_counter: u64,
    /// Id of the ordering key that started it ([`crate::secrets::status_key_id`]).
    pub key_id: Option<[u8; 8]>,
}

/// A pass a revocation reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocablePass {
    /// Its id.
    pub pass_id: [u8; 16],
    /// Its refresh-token chain.
    pub family: [u8; 16],
    /// Its holder.
    pub subject: String,
    /// Its status list, if it has an entry in one.
    pub list: Option<u64>,
}

/// A status list's row: its version, and what was signed last for it (every node serves those same
/// bytes, read with [`super::Tx::published_token`] only when this stamp changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The list's number.
    pub list: u64,
    /// Rises with every revocation in the list.
    pub version: u64,
    /// The token stored for it, if one was signed.
    pub published: Option<TokenStamp>,
}

/// What identifies a stored status-list token, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStamp {
    /// The list version it was signed for.
    pub version: u64,
    /// Its `iat`, Unix seconds.
    pub issued_at: u64,
    /// Its `sub`: the URI passes name the list by.
    pub uri: String,
}

impl TokenStamp {
    /// The stamp from its three nullable columns (version, `iat`, URI): `None` unless all are set.
    pub fn from_columns(
        version: Option<i64>,
        issued_at: Option<i64>,
        uri: Option<String>,
    ) -> Option<TokenStamp> {
        Some(TokenStamp {
            version: u64::try_from(version?).ok()?,
            issued_at: u64::try_from(issued_at?).ok()?,
            uri: uri?,
        })
    }
}

/// A signed status-list token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedToken {
    /// What identifies it.
    pub stamp: TokenStamp,
    /// The token's bytes.
    pub bytes: Vec<u8>,
}
