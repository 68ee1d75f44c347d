//! Status lists in the database: each pass's entry, revocations, and what the serving process reads
//! to sign its lists (docs/revocation.md).

use super::StoreError;
use super::tx::Tx;

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

/// A run of counters of one list reserved by one node: `start..end` are its to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusBlock {
    /// The list.
    pub list: u64,
    /// First counter of the block.
    pub start: u64,
    /// One past the last.
    pub end: u64,
}

/// Reserves the next `want` counters (fewer at the end of a list) in the newest list with room,
/// starting a new list when the newest is full. Every node reserves its blocks this way, so two
/// nodes never hand out the same entry; counters of a block a node never used (it stopped) are
/// skipped, never reused.
pub fn reserve_status_block(
    tx: &mut dyn Tx,
    want: u64,
    entries_per_list: u64,
) -> Result<StatusBlock, StoreError> {
    tx.lock_status_allocation()?;
    let (list, start) = match tx.newest_list()? {
        Some((list, next)) if next < entries_per_list => (list, next),
        newest => {
            let list = newest.map_or(1, |(list, _)| list + 1);
            tx.create_list(list)?;
            (list, 0)
        }
    };
    let end = start.saturating_add(want).min(entries_per_list);
    tx.set_next_counter(list, end)?;
    Ok(StatusBlock { list, start, end })
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

/// What a revocation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    /// Passes now revoked in their status lists.
    pub listed: usize,
    /// Passes issued before status lists existed: marked revoked and their renewal stopped, but
    /// doors cannot learn of it (they expire as before).
    pub unlisted: usize,
}

/// Revokes the selected passes that are still valid and not revoked yet: marks them, stops their
/// refresh-token chains (a revoked pass is never renewed), and raises the version of each list
/// touched so the serving process signs it again.
pub fn revoke_passes(
    tx: &mut dyn Tx,
    selector: &RevokeSelector,
    reason: Option<&str>,
    now: u64,
) -> Result<Revoked, StoreError> {
    // Under the locks of the subjects found (in order, so two revocations never wait on each
    // other), read again: a renewal or re-enrolment committed meanwhile is seen.
    let mut subjects: Vec<String> = tx
        .revocable_passes(selector, now)?
        .into_iter()
        .map(|p| p.subject)
        .collect();
    subjects.sort();
    subjects.dedup();
    for subject in &subjects {
        tx.lock_subject(subject)?;
    }
    let mut revoked = Revoked::default();
    for pass in tx.revocable_passes(selector, now)? {
        tx.mark_pass_revoked(&pass.pass_id, now, reason)?;
        tx.revoke_family(&pass.family)?;
        match pass.list {
            Some(list) => {
                tx.bump_list_version(list)?;
                revoked.listed += 1;
            }
            None => revoked.unlisted += 1,
        }
    }
    Ok(revoked)
}
