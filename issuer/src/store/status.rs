//! Status lists in the database: each pass's entry, revocations, and what the serving process reads
//! to sign its lists (docs/revocation.md).

use super::StoreError;
use super::records::RevokeSelector;
use super::tx::Tx;

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

/// The key that orders a node's entries, as lists record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListKey {
    /// Its id ([`crate::secrets::status_key_id`]).
    pub id: [u8; 8],
    /// Whether a list that records no key (started before lists recorded one) may be continued and
    /// claimed ([`crate::secrets::IssuerSecrets::continues_unclaimed_lists`]).
    pub claims_unclaimed: bool,
}

/// Reserves the next `want` counters (fewer at the end of a list) in the newest list with room
/// that `key` orders, starting a new list when the newest is full or ordered by another key (so a
/// changed key never places new passes over entries already handed out). Every node reserves its
/// blocks this way, so two nodes never hand out the same entry; counters of a block a node never used
/// (it stopped) are skipped, never reused.
pub fn reserve_status_block(
    tx: &mut dyn Tx,
    want: u64,
    entries_per_list: u64,
    key: ListKey,
) -> Result<StatusBlock, StoreError> {
    tx.lock_status_allocation()?;
    let newest = tx.newest_list()?;
    let continued = newest.filter(|n| {
        n.next_counter < entries_per_list
            && match n.key_id {
                Some(id) => id == key.id,
                None => key.claims_unclaimed,
            }
    });
    let (list, start) = match continued {
        Some(n) => {
            if n.key_id.is_none() {
                tx.claim_list(n.list, &key.id)?;
            }
            (n.list, n.next_counter)
        }
        None => {
            let list = newest.map_or(1, |n| n.list + 1);
            tx.create_list(list, &key.id)?;
            (list, 0)
        }
    };
    let end = start.saturating_add(want).min(entries_per_list);
    tx.set_next_counter(list, end)?;
    Ok(StatusBlock { list, start, end })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Durability, SqliteTx, open_connection};

    const OURS: ListKey = ListKey {
        id: [1; 8],
        claims_unclaimed: false,
    };

    /// A database holding list 1 from before lists recorded their key, 5 entries handed out.
    fn with_a_list_from_before(dir: &std::path::Path) -> rusqlite::Connection {
        let conn = open_connection(&dir.join("db"), Durability::Process).unwrap();
        conn.execute(
            "INSERT INTO status_lists (list_id, next_counter) VALUES (1, 5)",
            [],
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_list_is_continued_only_by_the_key_that_orders_it() {
        let dir = tempfile::tempdir().unwrap();
        let conn = with_a_list_from_before(dir.path());
        let tx: &mut dyn Tx = &mut SqliteTx(&conn);
        // A key that may not claim it starts a new list, which it then continues.
        let block = reserve_status_block(tx, 10, 100, OURS).unwrap();
        assert_eq!((block.list, block.start, block.end), (2, 0, 10));
        let block = reserve_status_block(tx, 10, 100, OURS).unwrap();
        assert_eq!((block.list, block.start), (2, 10));
        // Another key (a replaced secrets file, a node with another copy) never continues it.
        let other = ListKey {
            id: [2; 8],
            claims_unclaimed: true,
        };
        let block = reserve_status_block(tx, 10, 100, other).unwrap();
        assert_eq!((block.list, block.start), (3, 0));
    }

    #[test]
    fn a_migrated_folder_claims_the_list_it_was_filling() {
        let dir = tempfile::tempdir().unwrap();
        let conn = with_a_list_from_before(dir.path());
        let tx: &mut dyn Tx = &mut SqliteTx(&conn);
        let claiming = ListKey {
            claims_unclaimed: true,
            ..OURS
        };
        let block = reserve_status_block(tx, 10, 100, claiming).unwrap();
        assert_eq!((block.list, block.start, block.end), (1, 5, 15));
        // Claimed: from now on it is this key's list, for nodes that may not claim too.
        let block = reserve_status_block(tx, 10, 100, OURS).unwrap();
        assert_eq!((block.list, block.start), (1, 15));
    }
}
