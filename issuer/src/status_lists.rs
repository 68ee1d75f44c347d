//! The issuer's status lists (docs/revocation.md): entries handed to new passes, and the signed
//! lists served at `GET /v1/status/{list}`.
//!
//! **Entries.** Each list has [`ENTRIES_PER_LIST`] entries. The n-th pass given an entry in a list
//! gets entry `P(n)`, where `P` is a permutation of the list's entries keyed by the issuer's
//! status-entries secret (`secrets.key`, [`crate::secrets`]; a 4-round Feistel network on 20 bits):
//! entries are spread over the whole list in an order only the issuer knows, and two passes never
//! share one. The secret does not change with the signing key, and each list records which secret
//! orders it, so a list is never continued in another order. Counters are reserved in the database
//! in blocks of [`BLOCK`] (`store::reserve_status_block`), so several nodes never hand out the same
//! one; when a list is full the next one starts.
//!
//! **Serving.** A task reads the lists every [`POLL`]. When a list's version rose (a revocation,
//! from any node or from `doorpass issuer revoke`) or its token is [`RESIGN_AFTER`] old, it signs
//! the list and stores the token in the database unless another node stored one first; every node
//! then serves the stored bytes. So a revocation is served within about a second, signing is done
//! once per change, never per request, and all nodes serve identical bytes (a CDN can cache them).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use doorpass_format::keys::SigningKey;
use doorpass_format::status_list::{StatusList, StatusListToken, StatusReference};
use sha2::{Digest, Sha256};

use crate::keys::IssuerKeys;
use crate::secrets::status_key_id;
use crate::store::{
    self, ListKey, ListRow, PublishedToken, StatusBlock, StatusEntry, Store, StoreError, TokenStamp,
};

/// Entries in each list (2^20): at least the 100,000 the format asks for, 128 KiB before compression.
pub const ENTRIES_PER_LIST: u64 = 1 << 20;
const INDEX_BITS: u32 = 20;
/// Counters a node reserves at a time. Those of a block it never uses (it stopped) are skipped.
pub const BLOCK: u64 = 1024;
/// How long a reader may keep a token before fetching it again (`ttl`, and `Cache-Control`), unless
/// [`crate::issuance::Lifetimes::status_list`] says otherwise.
pub const STATUS_LIST_TTL: Duration = Duration::from_secs(300);
/// A token's `exp`: readers should not use it longer than this after it was signed.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How often the lists are read.
const POLL: Duration = Duration::from_secs(1);
/// Unchanged lists are signed again this often, so their `iat` stays recent.
const RESIGN_AFTER: Duration = Duration::from_secs(3600);
/// The route lists are served under.
pub const STATUS_PATH_PREFIX: &str = "/v1/status/";

/// Hands out status-list entries to new passes, from blocks reserved in the database.
pub struct StatusAllocator {
    key: [u8; 32],
    list_key: ListKey,
    base_url: OnceLock<String>,
    /// What is left of the block in use (`start` is the next counter).
    block: tokio::sync::Mutex<Option<StatusBlock>>,
}

impl StatusAllocator {
    /// An allocator keyed from the issuer's status-entries secret. List URIs are `base_url` + the
    /// list number; without one, [`StatusAllocator::default_base_url`] sets it once the listening
    /// address is known.
    pub fn new(keys: &IssuerKeys, base_url: Option<String>) -> Self {
        let configured = OnceLock::new();
        if let Some(base) = base_url {
            let _ = configured.set(base);
        }
        StatusAllocator {
            key: Sha256::new()
                .chain_update(b"doorpass status-list entries")
                .chain_update(keys.status_secret)
                .finalize()
                .into(),
            list_key: ListKey {
                id: status_key_id(&keys.status_secret).0,
                claims_unclaimed: keys.continues_unclaimed_lists,
            },
            base_url: configured,
            block: tokio::sync::Mutex::new(None),
        }
    }

    /// The next entry, and the reference a pass carries for it; reserves a new block in `store`
    /// when the current one is used up.
    pub async fn allocate(
        &self,
        store: &Store,
    ) -> Result<(StatusEntry, StatusReference), StoreError> {
        let mut block = self.block.lock().await;
        let current = match *block {
            Some(b) if b.start < b.end => b,
            _ => {
                let key = self.list_key;
                store
                    .call(move |tx| store::reserve_status_block(tx, BLOCK, ENTRIES_PER_LIST, key))
                    .await?
            }
        };
        *block = Some(StatusBlock {
            start: current.start + 1,
            ..current
        });
        drop(block);
        let entry = StatusEntry {
            list: current.list,
            counter: current.start,
            index: permute(&self.key, current.list, current.start),
        };
        Ok((entry, self.reference(&entry)))
    }

    /// The reference a pass carries for `entry`.
    pub fn reference(&self, entry: &StatusEntry) -> StatusReference {
        StatusReference {
            index: entry.index,
            uri: self.uri(entry.list),
        }
    }

    /// Sets the base URL, unless one was configured: `http://ADDR/v1/status/` (`https://` when it
    /// serves TLS) for the address the issuer listens on.
    pub fn default_base_url(&self, addr: std::net::SocketAddr, tls: bool) {
        let scheme = if tls { "https" } else { "http" };
        let _ = self
            .base_url
            .set(format!("{scheme}://{addr}{STATUS_PATH_PREFIX}"));
    }

    /// The URI of list `list`.
    pub fn uri(&self, list: u64) -> String {
        let base = self
            .base_url
            .get()
            .map_or(STATUS_PATH_PREFIX, String::as_str);
        format!("{base}{list}")
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
    /// Its `ETag` (quoted; from the list and the token's `iat`): the same on every node.
    pub etag: String,
    /// The token's `iat`, which tells a stored token apart from the served one.
    issued_at: u64,
}

/// The signed lists, by number, kept current by [`Publisher`].
pub struct StatusPublisher {
    lists: RwLock<HashMap<u64, Arc<Published>>>,
    ttl: Duration,
}

impl Default for StatusPublisher {
    fn default() -> Self {
        Self::with_ttl(STATUS_LIST_TTL)
    }
}

impl StatusPublisher {
    /// No lists yet; readers may keep them for `ttl` (the tokens' `ttl` and `Cache-Control`).
    pub fn with_ttl(ttl: Duration) -> Self {
        StatusPublisher {
            lists: RwLock::default(),
            ttl,
        }
    }

    /// How long readers may keep a list before fetching it again.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The served token of list `list`, if there is such a list.
    pub fn get(&self, list: u64) -> Option<Arc<Published>> {
        self.lists
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&list)
            .cloned()
    }

    /// Whether the token with this `iat` is the one served for `list`.
    fn serves(&self, list: u64, issued_at: u64) -> bool {
        self.get(list).is_some_and(|p| p.issued_at == issued_at)
    }

    fn serve(&self, list: u64, token: PublishedToken) {
        let issued_at = token.stamp.issued_at;
        self.lists
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                list,
                Arc::new(Published {
                    bytes: token.bytes,
                    etag: format!("\"sl-{list}-{issued_at}\""),
                    issued_at,
                }),
            );
    }
}

/// Keeps a [`StatusPublisher`] current: signs what changed, stores it, serves what is stored.
pub struct Publisher {
    store: Store,
    signing_key: SigningKey,
    allocator: Arc<StatusAllocator>,
    served: Arc<StatusPublisher>,
    clock: crate::clock::Clock,
}

impl Publisher {
    /// Publishes every list once into `served` (so the first request finds them).
    pub async fn start(
        store: Store,
        signing_key: SigningKey,
        allocator: Arc<StatusAllocator>,
        served: Arc<StatusPublisher>,
        clock: crate::clock::Clock,
    ) -> Result<Publisher, StoreError> {
        let publisher = Publisher {
            store,
            signing_key,
            allocator,
            served,
            clock,
        };
        publisher.refresh(publisher.clock.now()).await?;
        Ok(publisher)
    }

    /// Keeps the lists current until the task is aborted; failures are logged once per run of
    /// them.
    pub async fn run(self) {
        let mut failing = false;
        loop {
            tokio::time::sleep(POLL).await;
            match self.refresh(self.clock.now()).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    eprintln!("doorpass-issuer: publishing status lists failed: {e}");
                }
                Err(_) => {}
            }
        }
    }

    /// Signs the lists whose version changed or whose token is old, stores them, and serves
    /// what is stored. Token bytes are read only when the stored stamp differs from the one
    /// served.
    async fn refresh(&self, now: u64) -> Result<(), StoreError> {
        let mut rows = self.store.read(|tx| tx.status_lists()).await?;
        if rows.is_empty() {
            // A new database: list 1 exists from its first block; serve it empty from the start.
            let key = self.allocator.list_key;
            self.store
                .call(move |tx| store::reserve_status_block(tx, 0, ENTRIES_PER_LIST, key))
                .await?;
            rows = self.store.read(|tx| tx.status_lists()).await?;
        }
        for row in rows {
            // A token signed under another base URL (this node's is configured differently, or
            // it changed) names the list by a URI this node's passes do not carry: sign again.
            let (list, uri) = (row.list, self.allocator.uri(row.list));
            let token = match &row.published {
                Some(stamp)
                    if stamp.version == row.version
                        && stamp.uri == uri
                        && now < stamp.issued_at + RESIGN_AFTER.as_secs() =>
                {
                    if self.served.serves(list, stamp.issued_at) {
                        continue;
                    }
                    self.store.read(move |tx| tx.published_token(list)).await?
                }
                _ => Some(self.sign_and_store(&row, uri, now).await?),
            };
            if let Some(token) = token {
                self.served.serve(list, token);
            }
        }
        Ok(())
    }

    /// Signs `row`'s list and stores the token, unless another node stored one since `row` was
    /// read (then that one is served: every node serves the same bytes).
    async fn sign_and_store(
        &self,
        row: &ListRow,
        uri: String,
        now: u64,
    ) -> Result<PublishedToken, StoreError> {
        let list = row.list;
        let revoked = self.store.read(move |tx| tx.revoked_entries(list)).await?;
        let replacing = row.published.as_ref().map(|t| t.issued_at);
        // `iat` only ever rises for a list, even if a clock steps back.
        let issued_at = replacing.map_or(now, |at| now.max(at + 1));
        let (key, sub, ttl) = (self.signing_key.clone(), uri.clone(), self.served.ttl);
        let bytes = tokio::task::spawn_blocking(move || {
            let mut bits = StatusList::new(ENTRIES_PER_LIST as usize);
            for index in revoked {
                bits.revoke(index);
            }
            StatusListToken {
                uri: sub,
                issued_at,
                expires_at: Some(issued_at + TOKEN_LIFETIME.as_secs()),
                ttl: Some(ttl.as_secs()),
                list: bits,
            }
            .sign(&key)
        })
        .await
        .map_err(|e| StoreError::Database(format!("signing a status list failed: {e}")))?;
        let token = Arc::new(PublishedToken {
            stamp: TokenStamp {
                version: row.version,
                issued_at,
                uri,
            },
            bytes,
        });
        let stored = token.clone();
        let won = self
            .store
            .call(move |tx| tx.publish_token(list, &stored, replacing))
            .await?;
        let token = Arc::unwrap_or_clone(token);
        if won {
            return Ok(token);
        }
        let winner = self.store.read(move |tx| tx.published_token(list)).await?;
        Ok(winner.unwrap_or(token))
    }
}

/// Revokes the passes `selector` names, in one transaction; every node serving the lists signs and
/// serves the changed ones within about a second.
pub async fn revoke(
    store: &Store,
    selector: store::RevokeSelector,
    reason: Option<String>,
    now: u64,
) -> Result<store::Revoked, StoreError> {
    store
        .call(move |tx| store::revoke_passes(tx, &selector, reason.as_deref(), now))
        .await
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
