//! Loading who is eligible from CSV: `subject,name,birth_date,kind,eligible_until`.

use std::path::Path;

use doorpass_format::dates::end_of_day;
use doorpass_format::pass::{MAX_DISPLAY_NAME_LEN, PassKind, is_birth_date};

use crate::store::{HolderRecord, Store, StoreError};

/// The header every holders CSV starts with.
pub const CSV_HEADER: [&str; 5] = ["subject", "name", "birth_date", "kind", "eligible_until"];
/// Longest subject accepted.
pub const MAX_SUBJECT_LEN: usize = 128;

/// Why an import failed. Nothing is imported unless every row is good.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{0}")]
    Io(String),
    /// The header is not `subject,name,birth_date,kind,eligible_until`.
    #[error("the first line must be \"{}\"", CSV_HEADER.join(","))]
    Header,
    /// Some rows are not valid; each message names its line.
    #[error("{} invalid row(s), nothing imported:\n{}", .0.len(), .0.join("\n"))]
    Rows(Vec<String>),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `subject` is acceptable: 1 to 128 characters, no control characters.
pub fn is_valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.len() <= MAX_SUBJECT_LEN
        && !subject.chars().any(char::is_control)
}

fn parse_row(record: &csv::StringRecord) -> Result<HolderRecord, String> {
    let field = |i: usize| record.get(i).unwrap_or("").trim();
    let subject = field(0);
    if !is_valid_subject(subject) {
        return Err(format!(
            "subject {subject:?} must be 1 to {MAX_SUBJECT_LEN} characters without control characters"
        ));
    }
    let name = field(1);
    if name.is_empty() || name.len() > MAX_DISPLAY_NAME_LEN || name.chars().any(char::is_control) {
        return Err(format!(
            "name must be 1 to {MAX_DISPLAY_NAME_LEN} bytes without control characters"
        ));
    }
    let birth_date = field(2);
    if !is_birth_date(birth_date) {
        return Err(format!(
            "birth_date {birth_date:?} is not YYYY-MM-DD or YYYY"
        ));
    }
    let kind = PassKind::from_short_name(field(3)).ok_or_else(|| {
        format!(
            "kind {:?} is not vaccination, recovery, exemption or test",
            field(3)
        )
    })?;
    let eligible_until = end_of_day(field(4))
        .ok_or_else(|| format!("eligible_until {:?} is not YYYY-MM-DD", field(4)))?;
    Ok(HolderRecord {
        subject: subject.to_string(),
        display_name: name.to_string(),
        birth_date: birth_date.to_string(),
        kind: kind.code(),
        eligible_until,
    })
}

/// Reads holders from CSV text, all or nothing. A leading UTF-8 byte-order mark (as spreadsheet
/// programs write) is ignored.
pub fn parse_csv(data: &[u8]) -> Result<Vec<HolderRecord>, ImportError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data);
    let header = reader
        .headers()
        .map_err(|e| ImportError::Io(e.to_string()))?;
    if header.iter().map(str::trim).ne(CSV_HEADER) {
        return Err(ImportError::Header);
    }
    let mut holders = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        match record
            .map_err(|e| e.to_string())
            .and_then(|r| parse_row(&r))
        {
            Ok(h) => holders.push(h),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(holders)
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// Imports holders from a CSV file into `store`, in one transaction. Returns the count.
pub async fn import_file(store: &Store, csv_path: &Path) -> Result<usize, ImportError> {
    let data = std::fs::read(csv_path)
        .map_err(|e| ImportError::Io(format!("{}: {e}", csv_path.display())))?;
    let holders = parse_csv(&data)?;
    import(store, holders).await
}

/// Writes holders into `store`, in one transaction.
pub async fn import(store: &Store, holders: Vec<HolderRecord>) -> Result<usize, ImportError> {
    let count = holders.len();
    store
        .call(move |tx| holders.iter().try_for_each(|h| tx.upsert_holder(h)))
        .await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_all_or_nothing_with_line_numbers() {
        let good = "subject,name,birth_date,kind,eligible_until\n+821012345678,Kim Minji,1990-04-01,vaccination,2030-12-31\n";
        let holders = parse_csv(good.as_bytes()).unwrap();
        assert_eq!(holders[0].kind, 1);
        let bad = format!(
            "{good}x,Bad Date,1990-13-01,test,2030-01-01\ny,Bad Kind,1990,flu,2030-01-01\n"
        );
        let err = parse_csv(bad.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("line 4") && err.contains("nothing imported"),
            "{err}"
        );
        assert!(matches!(parse_csv(b"a,b,c\n"), Err(ImportError::Header)));
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), good.as_bytes()].concat();
        assert_eq!(
            parse_csv(&with_bom).unwrap(),
            holders,
            "Excel's byte-order mark"
        );
    }
}
