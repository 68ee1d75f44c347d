//! [`Tx`] in PostgreSQL's SQL. Each call runs one prepared (and per-connection cached) statement
//! on the transaction, from the blocking thread the whole transaction runs on.

use deadpool_postgres::Transaction;
use tokio::runtime::Handle;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::StoreError;
use crate::store::records::{
    ChallengeRecord, ChallengeState, CompletionRetry, HolderRecord, IssuedRecord, ListRow,
    NewestList, PublishedToken, RetryRow, RevocablePass, RevokeSelector, StatusEntry, TokenRecord,
    TokenStamp, TokenState, int, key_assurance, uint,
};
use crate::store::tx::Tx;

/// A PostgreSQL transaction, driven from a blocking thread through the runtime's handle.
pub struct PgTx<'a, 'c> {
    /// The open transaction.
    pub tx: &'a Transaction<'c>,
    /// The runtime the connection lives on.
    pub rt: Handle,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// A fixed-size key or hash read from a `bytea` column.
fn fixed<const N: usize>(row: &Row, column: usize) -> Result<[u8; N], StoreError> {
    let bytes: Vec<u8> = row.try_get(column)?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        StoreError::Database(format!(
            "column {column}: {} bytes where {N} were expected",
            b.len()
        ))
    })
}

fn fixed_opt<const N: usize>(row: &Row, column: usize) -> Result<Option<[u8; N]>, StoreError> {
    let bytes: Option<Vec<u8>> = row.try_get(column)?;
    Ok(bytes.and_then(|b| b.try_into().ok()))
}

impl PgTx<'_, '_> {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let tx = self.tx;
        Ok(self.rt.block_on(async {
            let statement = tx.prepare_cached(sql).await?;
            tx.query(&statement, params).await
        })?)
    }

    fn row(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        let tx = self.tx;
        Ok(self.rt.block_on(async {
            let statement = tx.prepare_cached(sql).await?;
            tx.execute(&statement, params).await
        })?)
    }
}

/// The advisory-lock key of status-list allocation (subjects' keys are hashes of the subject).
const STATUS_ALLOCATION_LOCK: i64 = 0x646f_6f72_7374_6174;

impl Tx for PgTx<'_, '_> {
    fn lock_subject(&mut self, subject: &str) -> Result<(), StoreError> {
        self.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&subject],
        )?;
        Ok(())
    }

    fn lock_status_allocation(&mut self) -> Result<(), StoreError> {
        self.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&STATUS_ALLOCATION_LOCK],
        )?;
        Ok(())
    }

    fn holder(&mut self, subject: &str) -> Result<Option<HolderRecord>, StoreError> {
        self.row(
            "SELECT subject, display_name, birth_date, kind, eligible_until FROM holders
             WHERE subject = $1",
            &[&subject],
        )?
        .map(|r| {
            Ok(HolderRecord {
                subject: r.try_get(0)?,
                display_name: r.try_get(1)?,
                birth_date: r.try_get(2)?,
                kind: uint(r.try_get(3)?),
                eligible_until: uint(r.try_get(4)?),
            })
        })
        .transpose()
    }

    fn upsert_holder(&mut self, h: &HolderRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO holders (subject, display_name, birth_date, kind, eligible_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subject) DO UPDATE SET display_name = excluded.display_name,
             birth_date = excluded.birth_date, kind = excluded.kind,
             eligible_until = excluded.eligible_until",
            &[
                &h.subject,
                &h.display_name,
                &h.birth_date,
                &int(h.kind),
                &int(h.eligible_until),
            ],
        )?;
        Ok(())
    }

    fn challenge(&mut self, id: &[u8; 16]) -> Result<Option<ChallengeRecord>, StoreError> {
        self.row(
            "SELECT subject, holder_key, code_hash, expires_at, attempts, state FROM challenges
             WHERE id = $1",
            &[&&id[..]],
        )?
        .map(|r| {
            Ok(ChallengeRecord {
                subject: r.try_get(0)?,
                holder_key: r.try_get(1)?,
                code_hash: fixed(&r, 2)?,
                expires_at: uint(r.try_get(3)?),
                attempts: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(u32::MAX),
                state: ChallengeState::from_db(r.try_get(5)?),
            })
        })
        .transpose()
    }

    fn replace_open_challenges(&mut self, subject: &str) -> Result<Vec<[u8; 16]>, StoreError> {
        self.rows(
            "UPDATE challenges SET state = 3 WHERE subject = $1 AND state = 0 RETURNING id",
            &[&subject],
        )?
        .iter()
        .map(|r| fixed(r, 0))
        .collect()
    }

    fn insert_challenge(
        &mut self,
        id: &[u8; 16],
        c: &ChallengeRecord,
        created_at: u64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO challenges (id, subject, holder_key, code_hash, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &&id[..],
                &c.subject,
                &&c.holder_key[..],
                &&c.code_hash[..],
                &int(c.expires_at),
                &int(created_at),
            ],
        )?;
        Ok(())
    }

    fn newest_starts(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError> {
        self.rows(
            "SELECT created_at FROM challenges WHERE subject = $1 AND created_at > $2
             ORDER BY created_at DESC LIMIT $3",
            &[&subject, &int(since), &i64::from(limit)],
        )?
        .iter()
        .map(|r| Ok(uint(r.try_get(0)?)))
        .collect()
    }

    fn set_challenge(
        &mut self,
        id: &[u8; 16],
        attempts: u32,
        state: ChallengeState,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE challenges SET attempts = $2, state = $3 WHERE id = $1",
            &[&&id[..], &i64::from(attempts), &state.to_db()],
        )?;
        Ok(())
    }

    fn mark_challenge_used(
        &mut self,
        id: &[u8; 16],
        used_at: u64,
        token_hash: &[u8; 32],
        sealed: &[u8; 32],
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE challenges SET state = 1, used_at = $2, issued_token_hash = $3,
                                   token_sealed = $4
             WHERE id = $1",
            &[&&id[..], &int(used_at), &&token_hash[..], &&sealed[..]],
        )?;
        Ok(())
    }

    fn completion_retry(&mut self, id: &[u8; 16]) -> Result<Option<CompletionRetry>, StoreError> {
        self.row(
            "SELECT c.used_at, c.issued_token_hash, c.token_sealed, n.state, n.family,
                    n.expires_at, p.pass_id, p.pass, p.expires_at, p.renew_after
             FROM challenges c
             JOIN refresh_tokens n ON n.token_hash = c.issued_token_hash
             JOIN passes p ON p.pass_id = n.pass_id
             WHERE c.id = $1 AND c.used_at IS NOT NULL",
            &[&&id[..]],
        )?
        .map(|r| {
            Ok(CompletionRetry {
                used_at: uint(r.try_get(0)?),
                token_hash: fixed(&r, 1)?,
                row: RetryRow {
                    sealed: fixed_opt(&r, 2)?,
                    successor_state: TokenState::from_db(r.try_get(3)?),
                    successor_family: fixed(&r, 4)?,
                    successor_expires_at: uint(r.try_get(5)?),
                    pass_id: fixed(&r, 6)?,
                    pass: r.try_get(7)?,
                    pass_expires_at: uint(r.try_get(8)?),
                    renew_after: uint(r.try_get(9)?),
                },
            })
        })
        .transpose()
    }

    fn newest_failures(
        &mut self,
        subject: &str,
        since: u64,
        limit: u32,
    ) -> Result<Vec<u64>, StoreError> {
        self.rows(
            "SELECT failed_at FROM code_failures WHERE subject = $1 AND failed_at > $2
             ORDER BY failed_at DESC LIMIT $3",
            &[&subject, &int(since), &i64::from(limit)],
        )?
        .iter()
        .map(|r| Ok(uint(r.try_get(0)?)))
        .collect()
    }

    fn record_failure(&mut self, subject: &str, at: u64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO code_failures (subject, failed_at) VALUES ($1, $2)",
            &[&subject, &int(at)],
        )?;
        Ok(())
    }

    fn sweep(&mut self, challenges_before: u64, failures_until: u64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM challenges WHERE expires_at < $1",
            &[&int(challenges_before)],
        )?;
        self.execute(
            "DELETE FROM code_failures WHERE failed_at <= $1",
            &[&int(failures_until)],
        )?;
        Ok(())
    }

    fn refresh_token(&mut self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        self.row(
            "SELECT family, subject, holder_key, expires_at, state, successor_hash, used_at,
                    key_assurance
             FROM refresh_tokens WHERE token_hash = $1",
            &[&&hash[..]],
        )?
        .map(|r| {
            Ok(TokenRecord {
                family: fixed(&r, 0)?,
                subject: r.try_get(1)?,
                holder_key: r.try_get(2)?,
                expires_at: uint(r.try_get(3)?),
                state: TokenState::from_db(r.try_get(4)?),
                successor_hash: fixed_opt(&r, 5)?,
                used_at: r.try_get::<_, Option<i64>>(6)?.map(uint),
                key_assurance: key_assurance(r.try_get(7)?),
            })
        })
        .transpose()
    }

    fn mark_token_used(
        &mut self,
        hash: &[u8; 32],
        successor_hash: &[u8; 32],
        used_at: u64,
        sealed: &[u8; 32],
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE refresh_tokens SET state = 1, successor_hash = $2, used_at = $3,
             successor_sealed = $4 WHERE token_hash = $1",
            &[
                &&hash[..],
                &&successor_hash[..],
                &int(used_at),
                &&sealed[..],
            ],
        )?;
        Ok(())
    }

    fn revoke_family(&mut self, family: &[u8; 16]) -> Result<usize, StoreError> {
        let changed = self.execute(
            "UPDATE refresh_tokens SET state = 2 WHERE family = $1",
            &[&&family[..]],
        )?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    fn revoke_subject_tokens(&mut self, subject: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE refresh_tokens SET state = 2 WHERE subject = $1 AND state != 2",
            &[&subject],
        )?;
        Ok(())
    }

    fn retry_row(&mut self, used_hash: &[u8; 32]) -> Result<Option<RetryRow>, StoreError> {
        self.row(
            "SELECT s.successor_sealed, n.state, n.family, n.expires_at, p.pass_id, p.pass,
                    p.expires_at, p.renew_after
             FROM refresh_tokens s
             JOIN refresh_tokens n ON n.token_hash = s.successor_hash
             JOIN passes p ON p.pass_id = n.pass_id
             WHERE s.token_hash = $1",
            &[&&used_hash[..]],
        )?
        .map(|r| {
            Ok(RetryRow {
                sealed: fixed_opt(&r, 0)?,
                successor_state: TokenState::from_db(r.try_get(1)?),
                successor_family: fixed(&r, 2)?,
                successor_expires_at: uint(r.try_get(3)?),
                pass_id: fixed(&r, 4)?,
                pass: r.try_get(5)?,
                pass_expires_at: uint(r.try_get(6)?),
                renew_after: uint(r.try_get(7)?),
            })
        })
        .transpose()
    }

    fn insert_issued(&mut self, r: &IssuedRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO passes (pass_id, subject, holder_key, family, issued_at, expires_at,
                                 renew_after, pass, status_list, status_counter, status_idx)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &&r.pass_id[..],
                &r.subject,
                &&r.holder_key[..],
                &&r.family[..],
                &int(r.issued_at),
                &int(r.expires_at),
                &int(r.renew_after),
                &r.pass,
                &r.status.map(|e| int(e.list)),
                &r.status.map(|e| int(e.counter)),
                &r.status.map(|e| int(e.index)),
            ],
        )?;
        self.execute(
            "INSERT INTO refresh_tokens (token_hash, family, subject, holder_key, expires_at,
                                         pass_id, key_assurance)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &&r.token_hash[..],
                &&r.family[..],
                &r.subject,
                &&r.holder_key[..],
                &int(r.token_expires_at),
                &&r.pass_id[..],
                &i64::from(r.key_assurance.code()),
            ],
        )?;
        Ok(())
    }

    fn pass_count(&mut self) -> Result<u64, StoreError> {
        let row = self.row("SELECT count(*) FROM passes", &[])?;
        Ok(row.map_or(Ok(0), |r| r.try_get::<_, i64>(0).map(uint))?)
    }

    fn pass_exists(&mut self, pass_id: &[u8; 16]) -> Result<bool, StoreError> {
        Ok(self
            .row("SELECT 1 FROM passes WHERE pass_id = $1", &[&&pass_id[..]])?
            .is_some())
    }

    fn forked_chains(&mut self) -> Result<u64, StoreError> {
        let row = self.row(
            "SELECT count(*) FROM (SELECT family FROM refresh_tokens WHERE state = 0 GROUP BY family HAVING count(*) > 1) AS forks",
            &[],
        )?;
        Ok(row.map_or(Ok(0), |r| r.try_get::<_, i64>(0).map(uint))?)
    }

    fn revocable_passes(
        &mut self,
        selector: &RevokeSelector,
        now: u64,
    ) -> Result<Vec<RevocablePass>, StoreError> {
        const SELECT: &str = "SELECT pass_id, family, subject, status_list FROM passes
                              WHERE revoked_at IS NULL AND expires_at > $1 AND ";
        let now = int(now);
        let rows = match selector {
            RevokeSelector::Pass(id) => {
                self.rows(&format!("{SELECT}pass_id = $2"), &[&now, &&id[..]])?
            }
            RevokeSelector::Subject(subject) => {
                self.rows(&format!("{SELECT}subject = $2"), &[&now, subject])?
            }
            RevokeSelector::SubjectExcept(subject, keep) => self.rows(
                &format!("{SELECT}subject = $2 AND pass_id != $3"),
                &[&now, subject, &&keep[..]],
            )?,
        };
        rows.iter()
            .map(|r| {
                Ok(RevocablePass {
                    pass_id: fixed(r, 0)?,
                    family: fixed(r, 1)?,
                    subject: r.try_get(2)?,
                    list: r.try_get::<_, Option<i64>>(3)?.map(uint),
                })
            })
            .collect()
    }

    fn mark_pass_revoked(
        &mut self,
        pass_id: &[u8; 16],
        at: u64,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE passes SET revoked_at = $2, revoked_reason = $3 WHERE pass_id = $1",
            &[&&pass_id[..], &int(at), &reason],
        )?;
        Ok(())
    }

    fn bump_list_version(&mut self, list: u64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO status_lists (list_id, version) VALUES ($1, 1)
             ON CONFLICT (list_id) DO UPDATE SET version = status_lists.version + 1",
            &[&int(list)],
        )?;
        Ok(())
    }

    fn status_lists(&mut self) -> Result<Vec<ListRow>, StoreError> {
        self.rows(
            "SELECT list_id, version, token_version, token_issued_at, token_uri
             FROM status_lists ORDER BY list_id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(ListRow {
                list: uint(r.try_get(0)?),
                version: uint(r.try_get(1)?),
                published: TokenStamp::from_columns(r.try_get(2)?, r.try_get(3)?, r.try_get(4)?),
            })
        })
        .collect()
    }

    fn published_token(&mut self, list: u64) -> Result<Option<PublishedToken>, StoreError> {
        let Some(r) = self.row(
            "SELECT token, token_version, token_issued_at, token_uri FROM status_lists
             WHERE list_id = $1",
            &[&int(list)],
        )?
        else {
            return Ok(None);
        };
        let bytes: Option<Vec<u8>> = r.try_get(0)?;
        let stamp = TokenStamp::from_columns(r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        Ok(bytes
            .zip(stamp)
            .map(|(bytes, stamp)| PublishedToken { stamp, bytes }))
    }

    fn newest_list(&mut self) -> Result<Option<NewestList>, StoreError> {
        self.row(
            "SELECT list_id, next_counter, key_id FROM status_lists ORDER BY list_id DESC LIMIT 1",
            &[],
        )?
        .map(|r| {
            Ok(NewestList {
                list: uint(r.try_get(0)?),
                next_counter: uint(r.try_get(1)?),
                key_id: fixed_opt(&r, 2)?,
            })
        })
        .transpose()
    }

    fn create_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO status_lists (list_id, key_id) VALUES ($1, $2)",
            &[&int(list), &&key_id[..]],
        )?;
        Ok(())
    }

    fn claim_list(&mut self, list: u64, key_id: &[u8; 8]) -> Result<(), StoreError> {
        self.execute(
            "UPDATE status_lists SET key_id = $2 WHERE list_id = $1",
            &[&int(list), &&key_id[..]],
        )?;
        Ok(())
    }

    fn set_next_counter(&mut self, list: u64, next: u64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE status_lists SET next_counter = $2 WHERE list_id = $1",
            &[&int(list), &int(next)],
        )?;
        Ok(())
    }

    fn revoked_entries(&mut self, list: u64) -> Result<Vec<u64>, StoreError> {
        self.rows(
            "SELECT status_idx FROM passes WHERE status_list = $1 AND revoked_at IS NOT NULL",
            &[&int(list)],
        )?
        .iter()
        .map(|r| Ok(uint(r.try_get(0)?)))
        .collect()
    }

    fn pass_status_entry(&mut self, pass_id: &[u8; 16]) -> Result<Option<StatusEntry>, StoreError> {
        self.row(
            "SELECT status_list, status_counter, status_idx FROM passes
             WHERE pass_id = $1 AND status_list IS NOT NULL",
            &[&&pass_id[..]],
        )?
        .map(|r| {
            Ok(StatusEntry {
                list: uint(r.try_get(0)?),
                counter: uint(r.try_get(1)?),
                index: uint(r.try_get(2)?),
            })
        })
        .transpose()
    }

    fn publish_token(
        &mut self,
        list: u64,
        token: &PublishedToken,
        replacing: Option<u64>,
    ) -> Result<bool, StoreError> {
        let changed = self.execute(
            "UPDATE status_lists SET token = $2, token_version = $3, token_issued_at = $4,
             token_uri = $6 WHERE list_id = $1 AND token_issued_at IS NOT DISTINCT FROM $5",
            &[
                &int(list),
                &token.bytes,
                &int(token.stamp.version),
                &int(token.stamp.issued_at),
                &replacing.map(int),
                &token.stamp.uri,
            ],
        )?;
        Ok(changed == 1)
    }
}
