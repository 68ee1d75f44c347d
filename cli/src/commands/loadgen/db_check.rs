//! Checking the passes a run received against the issuer's database, and reading record files.

use std::path::Path;

use anyhow::{Context, Result};

use crate::commands::database::using_store;

/// Result of checking received passes against the database.
pub struct DbReport {
    pub(super) received: usize,
    pub(super) unique: usize,
    pub(super) present: usize,
    pub(super) missing: usize,
    pub(super) in_database: u64,
    /// Refresh-token chains with two usable tokens (a fork).
    pub(super) forked_chains: u64,
}

impl DbReport {
    /// What disagrees between the passes received and the database (empty when all is well): every
    /// pass received must be recorded, none twice, and nothing else recorded.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.missing > 0 {
            problems.push(format!(
                "{} received pass(es) missing from the database",
                self.missing
            ));
        }
        if self.forked_chains > 0 {
            problems.push(format!(
                "{} refresh-token chain(s) forked",
                self.forked_chains
            ));
        }
        if self.received != self.unique {
            problems.push(format!(
                "{} pass id(s) received more than once",
                self.received - self.unique
            ));
        }
        if self.in_database != self.unique as u64 {
            problems.push(format!(
                "the database records {} passes but {} unique passes were received",
                self.in_database, self.unique
            ));
        }
        problems
    }

    pub(super) fn line(&self) -> String {
        format!(
            "database: {} passes recorded; received {} ({} unique), {} present, {} missing; {} \
             forked chains",
            self.in_database,
            self.received,
            self.unique,
            self.present,
            self.missing,
            self.forked_chains
        )
    }
}

pub(super) fn read_record(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect())
}

/// Checks `pass_ids` against the database `db` (a SQLite file or a `postgres://` URL), in one read.
pub(super) async fn check_db(db: &str, pass_ids: &[String]) -> Result<DbReport> {
    let unique: std::collections::BTreeSet<&String> = pass_ids.iter().collect();
    let ids: Vec<[u8; 16]> = unique.iter().filter_map(|id| parse_pass_id(id)).collect();
    let database = doorpass_issuer::store::Database::parse(db);
    let (present, in_database, forked_chains) = using_store(&database, |store| async move {
        let counts = store
            .read(move |tx| {
                let mut present = 0;
                for id in &ids {
                    if tx.pass_exists(id)? {
                        present += 1;
                    }
                }
                Ok((present, tx.pass_count()?, tx.forked_chains()?))
            })
            .await?;
        Ok(counts)
    })
    .await?;
    Ok(DbReport {
        received: pass_ids.len(),
        unique: unique.len(),
        present,
        missing: unique.len() - present,
        in_database,
        forked_chains,
    })
}

/// A pass id from its 32 hex digits; `None` for anything else (a record file is user input).
fn parse_pass_id(id: &str) -> Option<[u8; 16]> {
    let digits = id.as_bytes();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_ids_parse_without_panicking() {
        assert_eq!(
            parse_pass_id("000102030405060708090a0b0c0d0e0f").unwrap()[15],
            15
        );
        assert_eq!(parse_pass_id("zz0102030405060708090a0b0c0d0e0f"), None);
        assert_eq!(
            parse_pass_id("é000102030405060708090a0b0c0d0e"),
            None,
            "multi-byte text of the same length"
        );
        assert_eq!(parse_pass_id("00"), None);
    }

    #[test]
    fn database_disagreements_are_problems() {
        let report = |received, unique, present, in_database| DbReport {
            received,
            unique,
            present,
            missing: unique - present,
            in_database,
            forked_chains: 0,
        };
        assert!(report(5, 5, 5, 5).problems().is_empty());
        assert_eq!(report(5, 5, 4, 5).problems().len(), 1, "one missing");
        assert_eq!(report(5, 5, 5, 6).problems().len(), 1, "one extra");
        assert_eq!(report(6, 5, 5, 5).problems().len(), 1, "one duplicate");
    }
}
