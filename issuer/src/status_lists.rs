//! The issuer's status lists (docs/revocation.md): entries handed to new passes, and the signed
//! lists served at `GET /v1/status/{list}`.
//!
//! **Entries.** Each list has [`ENTRIES_PER_LIST`] entries. The n-th pass given an entry in a list
//! gets entry `P(n)`, where `P` is a permutation of the list's entries keyed by a secret derived from
//! the issuer key (a 4-round Feistel network on 20 bits): entries are spread over the whole list in
//! an order only the issuer knows, and two passes never share one. When a list is full the next one
//! starts. Counters live in memory and resume after a restart from the database.
//!
//! **Serving.** A thread of its own reads the lists' versions every [`POLL`] on a read-only
//! connection; it signs a list again when its version rose (a revocation, from this process or from
//! `doorpass issuer revoke`) or when the served token is [`RESIGN_AFTER`] old, so a revocation is
//! served within about a second and signing is done once per change, never per request.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use doorpass_format::keys::SigningKey;
use doorpass_format::status_list::{StatusList, StatusListToken, StatusReference};
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use crate::store::{self, StatusEntry, StoreError};

/// Entries in each list (2^20): at least the 100,000 the format asks for, 128 KiB before compression.
pub const ENTRIES_PER_LIST: u64 = 1 << 20;
const INDEX_BITS: u32 = 20;
/// How long a reader may keep a token before fetching it again (`ttl`, and `Cache-Control`).
pub const STATUS_LIST_TTL: Duration = Duration::from_secs(300);
/// A token's `exp`: readers should not use it longer than this after it was signed.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How often versions are read.
const POLL: Duration = Duration::from_secs(1);
/// Unchanged lists are signed again this often, so their `iat` stays recent.
const RESIGN_AFTER: Duration = Duration::from_secs(3600);
/// The route lists are served under.
pub const STATUS_PATH_PREFIX: &str = "/v1/status/";

/// Hands out status-list entries to new passes.
pub struct StatusAllocator {
    key: [u8; 32],
    base_url: OnceLock<String>,
    next: Mutex<(u64, u64)>,
}

impl StatusAllocator {
    /// Resumes after the entries recorded in `conn`. List URIs are `base_url` + the list number;
    /// without one, [`StatusAllocator::default_base_url`] sets it once the listening address is
    /// known.
    pub fn open(
        conn: &Connection,
        issuer_secret: &[u8; 32],
        base_url: Option<String>,
    ) -> Result<Self, StoreError> {
        let next = store::next_status_entry(conn)?;
        let configured = OnceLock::new();
        if let Some(base) = base_url {
            let _ = configured.set(base);
        }
        Ok(StatusAllocator {
            key: Sha256::new()
                .chain_update(b"doorpass status-list entries")
                .chain_update(issuer_secret)
                .finalize()
                .into(),
            base_url: configured,
            next: Mutex::new(next),
        })
    }

    /// The next entry, and the reference a pass carries for it.
    pub fn allocate(&self) -> (StatusEntry, StatusReference) {
        let (list, counter) = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            if next.1 >= ENTRIES_PER_LIST {
                *next = (next.0 + 1, 0);
            }
            let taken = *next;
            next.1 += 1;
            taken
        };
        let entry = StatusEntry {
            list,
            counter,
            index: permute(&self.key, list, counter),
        };
        (entry, self.reference(&entry))
    }

    /// The reference a pass carries for `entry`.
    pub fn reference(&self, entry: &StatusEntry) -> StatusReference {
        StatusReference {
            index: entry.index,
            uri: self.uri(entry.list),
        }
    }

    /// Sets the base URL, unless one was configured: `http://ADDR/v1/status/` for the address the
    /// issuer listens on.
    pub fn default_base_url(&self, addr: std::net::SocketAddr) {
        let _ = self
            .base_url
            .set(format!("http://{addr}{STATUS_PATH_PREFIX}"));
    }

    /// The URI of list `list`.
    pub fn uri(&self, list: u64) -> String {
        let base = self
            .base_url
            .get()
            .map_or(STATUS_PATH_PREFIX, String::as_str);
        format!("{base}{list}")
    }

    /// The list entries are being handed out from.
    pub fn current_list(&self) -> u64 {
        self.next.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

/// `counter`'s entry in `list`: a keyed permutation of `[0, 2^20)` (4 Feistel rounds of 10 bits).
fn permute(key: &[u8; 32], list: u64, counter: u64) -> u64 {
    let half = INDEX_BITS / 2;
    let mask = (1u64 << half) - 1;
    let (mut left, mut right) = ((counter >> half) & mask, counter & mask);
    for round in 0u8..4 {
        let f = Sha256::new()
            .chain_update(key)
            .chain_update(list.to_be_bytes())
            .chain_update([round])
            .chain_update(right.to_be_bytes())
            .finalize();
        let f = u64::from(u16::from_be_bytes([f[0], f[1]])) & mask;
        (left, right) = (right, left ^ f);
    }
    (left << half) | right
}

/// A signed list as served.
pub struct Published {
    /// The token's bytes.
    pub bytes: Vec<u8>,
    /// Its `ETag` (quoted).
    pub etag: String,
}

/// The signed lists, by number, kept current by a thread of their own.
pub struct StatusPublisher {
    lists: RwLock<HashMap<u64, Arc<Published>>>,
    stop: AtomicBool,
}

impl StatusPublisher {
    /// The served token of list `list`, if there is such a list.
    pub fn get(&self, list: u64) -> Option<Arc<Published>> {
        self.lists
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&list)
            .cloned()
    }
}

/// Owns the publishing thread; [`PublisherThread::stop`] ends it.
pub struct PublisherThread {
    publisher: Arc<StatusPublisher>,
    handle: Option<JoinHandle<()>>,
}

impl PublisherThread {
    /// Signs every list once (so the first request finds them), then starts the thread.
    pub fn start(
        db: &Path,
        signing_key: SigningKey,
        allocator: Arc<StatusAllocator>,
    ) -> Result<(Arc<StatusPublisher>, PublisherThread), StoreError> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let publisher = Arc::new(StatusPublisher {
            lists: RwLock::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let mut signer = Signer {
            conn,
            signing_key,
            allocator,
            signed: HashMap::new(),
        };
        signer.refresh(&publisher, crate::unix_now())?;
        let shared = publisher.clone();
        let handle = std::thread::Builder::new()
            .name("doorpass-status".into())
            .spawn(move || {
                let mut failing = false;
                while !shared.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(POLL);
                    match signer.refresh(&shared, crate::unix_now()) {
                        Ok(()) => failing = false,
                        Err(e) if !failing => {
                            failing = true;
                            eprintln!("doorpass-issuer: signing status lists failed: {e}");
                        }
                        Err(_) => {}
                    }
                }
            })
            .map_err(|e| StoreError::Sqlite(format!("cannot start the status thread: {e}")))?;
        Ok((
            publisher.clone(),
            PublisherThread {
                publisher,
                handle: Some(handle),
            },
        ))
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.publisher.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// What the publishing thread holds: its connection, the key, and per list the version and time it
/// last signed.
struct Signer {
    conn: Connection,
    signing_key: SigningKey,
    allocator: Arc<StatusAllocator>,
    signed: HashMap<u64, (u64, u64)>,
}

impl Signer {
    /// Signs the lists whose version changed or whose token is old, and publishes them.
    fn refresh(&mut self, publisher: &StatusPublisher, now: u64) -> Result<(), StoreError> {
        let mut versions = store::status_list_versions(&self.conn)?;
        let current = self.allocator.current_list();
        if !versions.iter().any(|(list, _)| *list == current) {
            versions.push((current, 0));
        }
        for (list, version) in versions {
            let fresh = self
                .signed
                .get(&list)
                .is_some_and(|&(v, at)| v == version && now < at + RESIGN_AFTER.as_secs());
            if fresh {
                continue;
            }
            // `iat` only ever rises for a list, even if the clock steps back.
            let issued_at = self
                .signed
                .get(&list)
                .map_or(now, |&(_, at)| now.max(at + 1));
            let published = self.sign(list, issued_at)?;
            publisher
                .lists
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(list, Arc::new(published));
            self.signed.insert(list, (version, issued_at));
        }
        Ok(())
    }

    fn sign(&self, list: u64, issued_at: u64) -> Result<Published, StoreError> {
        let mut bits = StatusList::new(ENTRIES_PER_LIST as usize);
        for index in store::revoked_entries(&self.conn, list)? {
            bits.revoke(index);
        }
        let bytes = StatusListToken {
            uri: self.allocator.uri(list),
            issued_at,
            expires_at: Some(issued_at + TOKEN_LIFETIME.as_secs()),
            ttl: Some(STATUS_LIST_TTL.as_secs()),
            list: bits,
        }
        .sign(&self.signing_key);
        Ok(Published {
            bytes,
            etag: format!("\"sl-{list}-{issued_at}\""),
        })
    }
}

/// Revokes the passes `selector` names in the database at `db`, in one transaction (it waits for a
/// running issuer's writer, which then serves the changed lists within about a second).
pub fn revoke(
    db: &Path,
    selector: &store::RevokeSelector,
    reason: Option<&str>,
    now: u64,
) -> Result<store::Revoked, StoreError> {
    let mut conn = store::open_connection(db, store::Durability::default())?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let revoked = store::revoke_passes(&tx, selector, reason, now)?;
    tx.commit()?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_a_permutation_scattered_over_the_list() {
        let key = [3; 32];
        let mut seen = vec![false; ENTRIES_PER_LIST as usize];
        for counter in 0..ENTRIES_PER_LIST {
            let index = permute(&key, 1, counter);
            assert!(index < ENTRIES_PER_LIST);
            assert!(
                !std::mem::replace(&mut seen[index as usize], true),
                "{index} twice"
            );
        }
        // Consecutive passes land far apart, and another list orders them differently.
        let first: Vec<u64> = (0..4).map(|c| permute(&key, 1, c)).collect();
        assert!(first.windows(2).all(|w| w[0].abs_diff(w[1]) > 1));
        assert_ne!(
            first,
            (0..4).map(|c| permute(&key, 2, c)).collect::<Vec<_>>()
        );
    }
}
