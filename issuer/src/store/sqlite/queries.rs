//! [`Tx`] in SQLite's SQL: one prepared (and cached) statement per call.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreError;
use crate::store::records::{
    ChallengeRecord, ChallengeState, CompletionRetry, HolderRecord, IssuedRecord, ListRow,
    NewestList, PublishedToken, RetryRow, RevocablePass, RevokeSelector, StatusEntry, TokenRecord,
    TokenStamp, TokenState, int, key_assurance, uint,
};
use crate::store::tx::Tx;

/// A connection inside the writer's transaction (a savepoint of its group), or any other.
pub struct SqliteTx<'c>(pub &'c Connection);

/// A pass a revocation reaches, as read: id, chain, subject, list (checked into a
/// [`RevocablePass`]).
type PassRow = (Vec<u8>, Vec<u8>, String, Option<i64>);

impl Tx for SqliteTx<'_> {
    fn lock_subject(&mut self, _subject: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn lock_status_allocation(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn holder(&mut self, subject: &str) -> Result<Option<HolderRecord>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT subject, display_name, birth_date, kind, eligible_until FROM holders
                 WHERE subject = ?1",
            )?
            .query_row(params![subject], |r| {
                Ok(HolderRecord {
                    subject: r.get(0)?,
                    display_name: r.get(1)?,
                    birth_date: r.get(2)?,
                    kind: uint(r.get(3)?),
                    eligible_until: uint(r.get(4)?),
                })
            })
            .optional()?)
    }

    fn upsert_holder(&mut self, h: &HolderRecord) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO holders (subject, display_name, birth_date, kind, eligible_until)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(subject) DO UPDATE SET display_name = excluded.display_name,
                 birth_date = excluded.birth_date, kind = excluded.kind,
                 eligible_until = excluded.eligible_until",
            )?
            .execute(params![
                h.subject,
                h.display_name,
                h.birth_date,
                int(h.kind),
                int(h.eligible_until)
            ])?;
        Ok(())
    }

    fn challenge(&mut self, id: &[u8; 16]) -> Result<Option<ChallengeRecord>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT subject, holder_key, code_hash, expires_at, attempts, state FROM challenges
                 WHERE id = ?1",
            )?
            .query_row(params![&id[..]], |r| {
                Ok(ChallengeRecord {
                    subject: r.get(0)?,
                    holder_key: r.get(1)?,
                    code_hash: r.get(2)?,
                    expires_at: uint(r.get(3)?),
                    attempts: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(u32::MAX),
                    state: ChallengeState::from_db(r.get(5)?),
                })
            })
            .optional()?)
    }

    fn replace_open_challenges(&mut self, subject: &str) -> Result<Vec<[u8; 16]>, StoreError> {
        let ids = self
            .0
            .prepare_cached(
                "UPDATE challenges SET state = 3 WHERE subject = ?1 AND state = 0 RETURNING id",
            )?
            .query_map(params![subject], |r| r.get::<_, [u8; 16]>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    fn insert_challenge(
        &mut self,
        id: &[u8; 16],
        c: &ChallengeRecord,
        created_at: u64,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO challenges (id, subject, holder_key, code_hash, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                &id[..],
                c.subject,
                &c.holder_key[..],
                &c.code_hash[..],
                int(c.expires_at),
                int(created_at)
            ])?;
        Ok(())
    }

    fn newest_starts(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT created_at FROM challenges WHERE subject = ?1 AND created_at > ?2
                 ORDER BY created_at DESC LIMIT ?3",
            )?
            .query_map(params![subject, int(since), i64::from(limit)], |r| {
                r.get::<_, i64>(0).map(uint)
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn set_challenge(
        &mut self,
        id: &[u8; 16],
        attempts: u32,
        state: ChallengeState,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached("UPDATE challenges SET attempts = ?2, state = ?3 WHERE id = ?1")?
            .execute(params![&id[..], i64::from(attempts), state.to_db()])?;
        Ok(())
    }

    fn mark_challenge_used(
        &mut self,
        id: &[u8; 16],
        used_at: u64,
        token_hash: &[u8; 32],
        sealed: &[u8; 32],
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE challenges SET state = 1, used_at = ?2, issued_token_hash = ?3,
                                       token_sealed = ?4
                 WHERE id = ?1",
            )?
            .execute(params![&id[..], int(used_at), &token_hash[..], &sealed[..]])?;
        Ok(())
    }

    fn completion_retry(&mut self, id: &[u8; 16]) -> Result<Option<CompletionRetry>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT c.used_at, c.issued_token_hash, c.token_sealed, n.state, n.family,
                        n.expires_at, p.pass_id, p.pass, p.expires_at, p.renew_after
                 FROM challenges c
                 JOIN refresh_tokens n ON n.token_hash = c.issued_token_hash
                 JOIN passes p ON p.pass_id = n.pass_id
                 WHERE c.id = ?1 AND c.used_at IS NOT NULL",
            )?
            .query_row(params![&id[..]], |r| {
                Ok(CompletionRetry {
                    used_at: uint(r.get(0)?),
                    token_hash: r.get(1)?,
                    row: RetryRow {
                        sealed: r.get(2)?,
                        successor_state: TokenState::from_db(r.get(3)?),
                        successor_family: r.get(4)?,
                        successor_expires_at: uint(r.get(5)?),
                        pass_id: r.get(6)?,
                        pass: r.get(7)?,
                        pass_expires_at: uint(r.get(8)?),
                        renew_after: uint(r.get(9)?),
                    },
                })
            })
            .optional()?)
    }

    fn newest_failures(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT failed_at FROM code_failures WHERE subject = ?1 AND failed_at > ?2
                 ORDER BY failed_at DESC LIMIT ?3",
            )?
            .query_map(params![subject, int(since), i64::from(limit)], |r| {
                r.get::<_, i64>(0).map(uint)
            })?
            .collect::<Result<_, _>>()?)
    }

    fn record_failure(&mut self, subject: &str, at: u64) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO code_failures (subject, failed_at) VALUES (?1, ?2)")?
            .execute(params![subject, int(at)])?;
        Ok(())
    }

    fn sweep(&mut self, challenges_before: u64, failures_until: u64) -> Result<(), StoreError> {
        self.0.execute(
            "DELETE FROM challenges WHERE expires_at < ?1",
            params![int(challenges_before)],
        )?;
        self.0.execute(
            "DELETE FROM code_failures WHERE failed_at <= ?1",
            params![int(failures_until)],
        )?;
        Ok(())
    }

    fn refresh_token(&mut self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT family, subject, holder_key, expires_at, state, successor_hash, used_at,
                        key_assurance
                 FROM refresh_tokens WHERE token_hash = ?1",
            )?
            .query_row(params![&hash[..]], |r| {
                Ok(TokenRecord {
                    family: r.get(0)?,
                    subject: r.get(1)?,
                    holder_key: r.get(2)?,
                    expires_at: uint(r.get(3)?),
                    state: TokenState::from_db(r.get(4)?),
                    successor_hash: r.get(5)?,
                    used_at: r.get::<_, Option<i64>>(6)?.map(uint),
                    key_assurance: key_assurance(r.get(7)?),
                })
            })
            .optional()?)
    }

    fn mark_token_used(
        &mut self,
        hash: &[u8; 32],
        successor_hash: &[u8; 32],
        used_at: u64,
        sealed: &[u8; 32],
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE refresh_tokens SET state = 1, successor_hash = ?2, used_at = ?3,
                 successor_sealed = ?4 WHERE token_hash = ?1",
            )?
            .execute(params![
                &hash[..],
                &successor_hash[..],
                int(used_at),
                &sealed[..]
            ])?;
        Ok(())
    }

    fn revoke_family(&mut self, family: &[u8; 16]) -> Result<usize, StoreError> {
        Ok(self
            .0
            .prepare_cached("UPDATE refresh_tokens SET state = 2 WHERE family = ?1")?
            .execute(params![&family[..]])?)
    }

    fn revoke_subject_tokens(&mut self, subject: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE refresh_tokens SET state = 2 WHERE subject = ?1 AND state != 2",
            )?
            .execute(params![subject])?;
        Ok(())
    }

    fn retry_row(&mut self, used_hash: &[u8; 32]) -> Result<Option<RetryRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT s.successor_sealed, n.state, n.family, n.expires_at, p.pass_id, p.pass,
                        p.expires_at, p.renew_after
                 FROM refresh_tokens s
                 JOIN refresh_tokens n ON n.token_hash = s.successor_hash
                 JOIN passes p ON p.pass_id = n.pass_id
                 WHERE s.token_hash = ?1",
            )?
            .query_row(params![&used_hash[..]], |r| {
                Ok(RetryRow {
                    sealed: r.get(0)?,
                    successor_state: TokenState::from_db(r.get(1)?),
                    successor_family: r.get(2)?,
                    successor_expires_at: uint(r.get(3)?),
                    pass_id: r.get(4)?,
                    pass: r.get(5)?,
                    pass_expires_at: uint(r.get(6)?),
                    renew_after: uint(r.get(7)?),
                })
            })
            .optional()?)
    }

    fn insert_issued(&mut self, r: &IssuedRecord) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO passes (pass_id, subject, holder_key, family, issued_at, expires_at,
                                     renew_after, pass, status_list, status_counter, status_idx)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                &r.pass_id[..],
                r.subject,
                &r.holder_key[..],
                &r.family[..],
                int(r.issued_at),
                int(r.expires_at),
                int(r.renew_after),
                r.pass,
                r.status.map(|e| int(e.list)),
                r.status.map(|e| int(e.counter)),
                r.status.map(|e| int(e.index)),
            ])?;
        self.0
            .prepare_cached(
                "INSERT INTO refresh_tokens (token_hash, family, subject, holder_key, expires_at,
                                             pass_id, key_assurance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                &r.token_hash[..],
                &r.family[..],
                r.subject,
                &r.holder_key[..],
                int(r.token_expires_at),
                &r.pass_id[..],
                i64::from(r.key_assurance.code()),
            ])?;
        Ok(())
    }

    fn pass_count(&mut self) -> Result<u64, StoreError> {
        Ok(uint(self.0.query_row(
            "SELECT count(*) FROM passes",
            [],
            |r| r.get(0),
        )?))
    }

    fn pass_exists(&mut self, pass_id: &[u8; 16]) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM passes WHERE pass_id = ?1")?
            .query_row(params![&pass_id[..]], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn forked_chains(&mut self) -> Result<u64, StoreError> {
        Ok(uint(self.0.query_row(
            "SELECT count(*) FROM (SELECT family FROM refresh_tokens WHERE state = 0 GROUP BY family HAVING count(*) > 1) AS forks",
            [],
            |r| r.get(0),
        )?))
    }

    fn revocable_passes(
        &mut self,
        selector: &RevokeSelector,
        now: u64,
    ) -> Result<Vec<RevocablePass>, StoreError> {
        let (filter, subject, pass_id) = match selector {
            RevokeSelector::Pass(id) => ("pass_id = ?1", None, Some(id)),
            RevokeSelector::Subject(s) => ("subject = ?2", Some(s), None),
            RevokeSelector::SubjectExcept(s, keep) => {
                ("subject = ?2 AND pass_id != ?1", Some(s), Some(keep))
            }
        };
        let rows: Vec<PassRow> = self
            .0
            .prepare_cached(&format!(
                "SELECT pass_id, family, subject, status_list FROM passes
                 WHERE {filter} AND revoked_at IS NULL AND expires_at > ?3"
            ))?
            .query_map(params![pass_id.map(|p| &p[..]), subject, int(now)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(pass_id, family, subject, list)| {
                Some(RevocablePass {
                    pass_id: pass_id.try_into().ok()?,
                    family: family.try_into().ok()?,
                    subject,
                    list: list.map(uint),
                })
            })
            .collect())
    }

    fn mark_pass_revoked(
        &mut self,
        pass_id: &[u8; 16],
        at: u64,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE passes SET revoked_at = ?2, revoked_reason = ?3 WHERE pass_id = ?1",
            )?
            .execute(params![&pass_id[..], int(at), reason])?;
        Ok(())
    }

    fn bump_list_version(&mut self, list: u64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO status_lists (list_id, version) VALUES (?1, 1)
                 ON CONFLICT(list_id) DO UPDATE SET version = version + 1",
            )?
            .execute(params![int(list)])?;
        Ok(())
    }

    fn status_lists(&mut self) -> Result<Vec<ListRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT list_id, version, token_version, token_issued_at, token_uri
                 FROM status_lists ORDER BY list_id",
            )?
            .query_map([], |r| {
                Ok(ListRow {
                    list: uint(r.get(0)?),
                    version: uint(r.get(1)?),
                    published: TokenStamp::from_columns(r.get(2)?, r.get(3)?, r.get(4)?),
                })
            })?
            .collect::<Result<_, _>>()?)
    }

    fn published_token(&mut self, list: u64) -> Result<Option<PublishedToken>, StoreError> {
        let row = self
            .0
            .prepare_cached(
                "SELECT token, token_version, token_issued_at, token_uri FROM status_lists
                 WHERE list_id = ?1",
            )?
            .query_row(params![int(list)], |r| {
                Ok((
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    TokenStamp::from_columns(r.get(1)?, r.get(2)?, r.get(3)?),
                ))
            })
            .optional()?;
        Ok(row.and_then(|(bytes, stamp)| {
            bytes
                .zip(stamp)
                .map(|(bytes, stamp)| PublishedToken { stamp, bytes })
        }))
    }

    fn newest_list(&mut self) -> Result<Option<NewestList>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT list_id, next_counter, key_id FROM status_lists
                 ORDER BY list_id DESC LIMIT 1",
            )?
            .query_row([], |r| {
                Ok(NewestList {
                    list: uint(r.get(0)?),
                    next_counter: uint(r.get(1)?),
                    key_id: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn create_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO status_lists (list_id, key_id) VALUES (?1, ?2)")?
            .execute(params![int(list), &key_id[..]])?;
        Ok(())
    }

    fn claim_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError> {
        self.0
            .prepare_cached("UPDATE status_lists SET key_id = ?2 WHERE list_id = ?1")?
            .execute(params![int(list), &key_id[..]])?;
        Ok(())
    }

    fn set_next_counter(&mut self, list: u64, next: u64) -> Result<(), StoreError> {
        self.0
            .prepare_cached("UPDATE status_lists SET next_counter = ?2 WHERE list_id = ?1")?
            .execute(params![int(list), int(next)])?;
        Ok(())
    }

    fn revoked_entries(&mut self, list: u64) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT status_idx FROM passes WHERE status_list = ?1 AND revoked_at IS NOT NULL",
            )?
            .query_map(params![int(list)], |r| r.get::<_, i64>(0).map(uint))?
            .collect::<Result<_, _>>()?)
    }

    fn pass_status_entry(&mut self, pass_id: &[u8; 16]) -> Result<Option<StatusEntry>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT status_list, status_counter, status_idx FROM passes
                 WHERE pass_id = ?1 AND status_list IS NOT NULL",
            )?
            .query_row(params![&pass_id[..]], |r| {
                Ok(StatusEntry {
                    list: uint(r.get(0)?),
                    counter: uint(r.get(1)?),
                    index: uint(r.get(2)?),
                })
            })
            .optional()?)
    }

    fn publish_token(
        &mut self,
        list: u64,
        token: &PublishedToken,
        replacing: Option<u64>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .0
            .prepare_cached(
                "UPDATE status_lists SET token = ?2, token_version = ?3, token_issued_at = ?4,
                 token_uri = ?6 WHERE list_id = ?1 AND token_issued_at IS ?5",
            )?
            .execute(params![
                int(list),
                token.bytes,
                int(token.stamp.version),
                int(token.stamp.issued_at),
                replacing.map(int),
                token.stamp.uri
            ])?;
        Ok(changed == 1)
    }
}
