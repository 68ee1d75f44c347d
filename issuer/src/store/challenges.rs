//! Enrolment challenges: the one-time code sent to a subject, its tries, and redeeming it.

use super::StoreError;
use super::records::{ChallengeRecord, ChallengeState};
use super::tokens::{Exchange, StoredAnswer, open_stored_answer};
use super::tx::Tx;

/// The per-subject limit on wrong codes, over all of the subject's challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCap {
    /// Wrong codes allowed within `window_secs`; the next try waits until the oldest leaves it.
    pub max_failures: u32,
    /// Length of the sliding window, seconds.
    pub window_secs: u64,
}

/// The per-subject limit on enrolment starts (each sends the subject a message), counted in the
/// database from the challenges started, so that it holds over every node together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartCap {
    /// Starts allowed within `window_secs`; the next waits until the oldest leaves the window.
    pub max_starts: u32,
    /// Length of the sliding window, seconds; at most [`MAX_START_WINDOW_SECS`], which challenges
    /// are kept for.
    pub window_secs: u64,
}

/// The longest [`StartCap`] window: a challenge is kept at least an hour past its code's expiry
/// ([`sweep`]), so at least an hour after its start.
pub const MAX_START_WINDOW_SECS: u64 = 3600;

/// Where `subject` stands against its [`FailureCap`] at `now` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectFailures {
    /// Wrong codes it may still send now.
    pub left: u32,
    /// When it may try again, if it has used them all.
    pub locked_until: Option<u64>,
}

/// Counts `subject`'s wrong codes within the window, in one query.
pub fn subject_failures(
    tx: &mut dyn Tx,
    subject: &str,
    now: u64,
    cap: FailureCap,
) -> Result<SubjectFailures, StoreError> {
    let since = now.saturating_sub(cap.window_secs);
    // The newest failures, at most as many as the cap: the last of them, once there are that many,
    // is the one whose leaving the window frees a try.
    let newest = tx.newest_failures(subject, since, cap.max_failures)?;
    let counted = u32::try_from(newest.len()).unwrap_or(u32::MAX);
    let locked_until = (counted >= cap.max_failures)
        .then(|| newest.last())
        .flatten()
        .map(|oldest| oldest.saturating_add(cap.window_secs).max(now + 1));
    Ok(SubjectFailures {
        left: cap.max_failures.saturating_sub(counted),
        locked_until,
    })
}

/// Deletes challenges that expired more than an hour ago, and wrong codes older than
/// `failure_window_secs` (they no longer count).
pub fn sweep(tx: &mut dyn Tx, now: u64, failure_window_secs: u64) -> Result<(), StoreError> {
    tx.sweep(
        now.saturating_sub(3600),
        now.saturating_sub(failure_window_secs),
    )
}

/// What [`open_challenge`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The challenge is stored; whether the subject is a registered holder (only then is a code
    /// sent), and the subject's older open challenges it replaced.
    Open {
        /// The subject is registered.
        known: bool,
        /// The challenges closed as [`ChallengeState::Replaced`].
        replaced: Vec<[u8; 16]>,
    },
    /// The subject has used up its wrong codes ([`FailureCap`]); nothing was stored.
    SubjectLocked {
        /// When it may try again, Unix seconds.
        until: u64,
    },
    /// The subject has been sent as many codes as its [`StartCap`] allows; nothing was stored.
    TooManyStarts {
        /// When it may start again, Unix seconds.
        until: u64,
    },
}

/// Opens a challenge for `c.subject` unless it has used up its wrong codes or its starts
/// (`starts`, if any), closing the subject's older open ones ([`ChallengeState::Replaced`]): only
/// the newest code works, so starting again never adds guesses. Holds the subject's lock, so two
/// starts at once, on one node or several, never leave two open nor pass the start cap.
pub fn open_challenge(
    tx: &mut dyn Tx,
    id: &[u8; 16],
    c: &ChallengeRecord,
    now: u64,
    cap: FailureCap,
    starts: Option<StartCap>,
) -> Result<Opened, StoreError> {
    tx.lock_subject(&c.subject)?;
    if let Some(until) = subject_failures(tx, &c.subject, now, cap)?.locked_until {
        return Ok(Opened::SubjectLocked { until });
    }
    if let Some(starts) = starts {
        let since = now.saturating_sub(starts.window_secs);
        let newest = tx.newest_starts(&c.subject, since, starts.max_starts)?;
        if u32::try_from(newest.len()).unwrap_or(u32::MAX) >= starts.max_starts {
            // The oldest of them leaving the window frees a start.
            let oldest = newest.last().copied().unwrap_or(now);
            let until = oldest.saturating_add(starts.window_secs).max(now + 1);
            return Ok(Opened::TooManyStarts { until });
        }
    }
    let known = tx.holder(&c.subject)?.is_some();
    let replaced = tx.replace_open_challenges(&c.subject)?;
    tx.insert_challenge(id, c, now)?;
    Ok(Opened::Open { known, replaced })
}

/// What [`redeem_challenge`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// No such challenge, or it was already used (and this is not a retry that may be answered
    /// again).
    Unknown,
    /// The challenge was completed moments ago with this code, and the refresh token it gave out is
    /// still unused: the answer was lost on its way, and here it is again, unchanged. Nothing new was
    /// issued.
    Repeated(Box<StoredAnswer>),
    /// Closed after too many wrong codes.
    Locked,
    /// Closed because a newer challenge was started for the same subject.
    Replaced,
    /// The subject has used up its wrong codes ([`FailureCap`]); no code is checked until then.
    SubjectLocked {
        /// Unix seconds.
        until: u64,
    },
    /// The code is too old.
    Expired,
    /// A wrong code, counted; this many tries are left (0: this one locked the challenge, or the
    /// subject until `subject_locked_until`).
    WrongCode {
        /// Tries left: the fewer of this challenge's and the subject's.
        attempts_left: u32,
        /// When the subject's cap is reached by this failure: when it may try again.
        subject_locked_until: Option<u64>,
    },
    /// The right code, but no pass could be issued; nothing changed.
    NotIssuable,
    /// The right code: the challenge is used and the pass and its refresh token are recorded.
    Issued,
}

/// The limits a redemption is decided under.
#[derive(Debug, Clone, Copy)]
pub struct RedeemRules {
    /// Wrong codes allowed per challenge; the last one locks it.
    pub max_attempts: u32,
    /// Wrong codes allowed per subject.
    pub cap: FailureCap,
    /// How long after a completion a retry of it still gets the same answer, seconds.
    pub retry_grace_secs: u64,
}

/// A code as presented, in the two forms a redemption needs.
#[derive(Debug, Clone, Copy)]
pub struct PresentedCode {
    /// Its keyed hash ([`crate::codes::code_hash`]), compared with the stored one.
    pub hash: [u8; 32],
    /// What the refresh token given out is sealed under for a retry
    /// ([`crate::codes::completion_seal_key`]).
    pub seal_key: [u8; 32],
}

/// Checks a presented code against a challenge and acts on it, in one transaction holding the
/// subject's lock (the challenge is read again under it), so concurrent guesses, on one node or
/// several, are counted one by one and can never exceed `rules.max_attempts` per challenge nor
/// `rules.cap` per subject between them.
///
/// `presented.hash` is compared in constant time, and only while the subject is under its cap. A wrong code is counted against
/// the challenge (the `max_attempts`-th locks it) and the subject. The right code marks the challenge
/// used, records `issued` (the pass and its refresh token, which is kept sealed under
/// `presented.seal_key`) and revokes every older refresh-token chain and pass of the subject (a new
/// phone cuts off the old one), all or nothing; with `issued` `None` (no pass could be made) nothing
/// changes.
///
/// The right code for a challenge already used, within `rules.retry_grace_secs` of its use and while the
/// refresh token it gave out is unused, is a retry whose answer was lost: the same answer is given
/// again ([`Redemption::Repeated`]). Otherwise a used challenge is [`Redemption::Unknown`], and a
/// wrong code for it is not counted.
pub fn redeem_challenge(
    tx: &mut dyn Tx,
    id: &[u8; 16],
    now: u64,
    rules: RedeemRules,
    presented: &PresentedCode,
    issued: Option<Exchange<'_>>,
) -> Result<Redemption, StoreError> {
    let RedeemRules {
        max_attempts, cap, ..
    } = rules;
    let Some(subject) = tx.challenge(id)?.map(|c| c.subject) else {
        return Ok(Redemption::Unknown);
    };
    tx.lock_subject(&subject)?;
    let Some(c) = tx.challenge(id)? else {
        return Ok(Redemption::Unknown);
    };
    match c.state {
        ChallengeState::Used if crate::codes::same(&presented.hash, &c.code_hash) => {
            return Ok(lost_answer(tx, id, now, rules, presented)?
                .map_or(Redemption::Unknown, |a| Redemption::Repeated(Box::new(a))));
        }
        ChallengeState::Used => return Ok(Redemption::Unknown),
        ChallengeState::Replaced => return Ok(Redemption::Replaced),
        ChallengeState::Locked => return Ok(Redemption::Locked),
        ChallengeState::Open if c.attempts >= max_attempts => return Ok(Redemption::Locked),
        ChallengeState::Open => {}
    }
    if now >= c.expires_at {
        return Ok(Redemption::Expired);
    }
    if let Some(until) = subject_failures(tx, &c.subject, now, cap)?.locked_until {
        return Ok(Redemption::SubjectLocked { until });
    }
    if !crate::codes::same(&presented.hash, &c.code_hash) {
        let attempts = c.attempts + 1;
        let state = if attempts >= max_attempts {
            ChallengeState::Locked
        } else {
            ChallengeState::Open
        };
        tx.set_challenge(id, attempts, state)?;
        tx.record_failure(&c.subject, now)?;
        let subject = subject_failures(tx, &c.subject, now, cap)?;
        return Ok(Redemption::WrongCode {
            attempts_left: max_attempts.saturating_sub(attempts).min(subject.left),
            subject_locked_until: subject.locked_until,
        });
    }
    let Some(Exchange { record, successor }) = issued else {
        return Ok(Redemption::NotIssuable);
    };
    let sealed = crate::codes::seal_successor(&presented.seal_key, successor);
    tx.mark_challenge_used(id, now, &record.token_hash, &sealed)?;
    tx.revoke_subject_tokens(&c.subject)?;
    tx.insert_issued(record)?;
    // The subject's older passes, on the old phone, are withdrawn at the doors too.
    super::revoke_passes(
        tx,
        &super::RevokeSelector::SubjectExcept(c.subject.clone(), record.pass_id),
        Some("re-enrolled"),
        now,
    )?;
    Ok(Redemption::Issued)
}

/// The answer a used challenge gave, if giving it again is still allowed: within the grace from its
/// use, with the refresh token it gave out unused (not renewed, not revoked).
fn lost_answer(
    tx: &mut dyn Tx,
    id: &[u8; 16],
    now: u64,
    rules: RedeemRules,
    presented: &PresentedCode,
) -> Result<Option<StoredAnswer>, StoreError> {
    let Some(used) = tx.completion_retry(id)? else {
        return Ok(None);
    };
    if now >= used.used_at.saturating_add(rules.retry_grace_secs) {
        return Ok(None);
    }
    Ok(open_stored_answer(
        used.row,
        &presented.seal_key,
        &used.token_hash,
    ))
}
