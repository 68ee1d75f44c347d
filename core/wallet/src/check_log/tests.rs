use super::*;
use crate::door_display::DoorSignal;

const T0: u64 = 1_800_000_000; // 2027-01-15T08:00:00Z, a bucket start
const DAY: u64 = 86_400;

fn valid(at: u64) -> Check {
    Check {
        at,
        signal: DoorSignal::Valid,
        refusal: None,
        trust_list_age_seconds: 7_200,
        status_list_age_seconds: Some(3_600),
    }
}

fn refused(at: u64, reason: &str) -> Check {
    Check {
        signal: DoorSignal::Refused,
        refusal: REFUSAL_CODES.iter().position(|c| *c == reason),
        ..valid(at)
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_line_round_trips_and_any_changed_byte_is_refused() {
    let mut bucket = Bucket::empty(T0);
    bucket.add(&valid(T0));
    bucket.add(&refused(T0 + 5, "expired"));
    let line = bucket.to_line();
    assert_eq!(line.len(), RECORD_LEN);
    let body = &line.as_bytes()[..RECORD_LEN - 1];
    assert_eq!(Bucket::from_line(body), Some(bucket));
    for i in [0, 25, RECORD_LEN - 3] {
        let mut damaged = body.to_vec();
        damaged[i] = if damaged[i] == b'1' { b'2' } else { b'1' };
        assert_eq!(Bucket::from_line(&damaged), None, "byte {i}");
    }
    assert_eq!(Bucket::from_line(&body[..RECORD_LEN - 10]), None);
}

#[test]
fn every_refusal_has_its_own_column_named_by_its_code() {
    use doorpass_format::verifier::Refusal;
    let all = [
        Refusal::Malformed { detail: "x".into() },
        Refusal::UnknownIssuer { key_id: "k".into() },
        Refusal::BadSignature,
        Refusal::IssuerKeyNotValidAtIssuance,
        Refusal::LifetimeTooLong {
            lifetime_seconds: 1,
            max_seconds: 0,
        },
        Refusal::NotYetValid { not_before: 1 },
        Refusal::Expired { expired_at: 1 },
        Refusal::StaleStep {
            step: 1,
            current_step: 9,
        },
        Refusal::FutureStep {
            step: 9,
            current_step: 1,
        },
        Refusal::BadHolderProof,
        Refusal::StaticRefused,
        Refusal::Revoked {
            list_age_seconds: 1,
        },
        Refusal::RevocationNotChecked {
            list_age_seconds: None,
        },
        Refusal::NotRevocable,
        Refusal::KeyNotHardwareBound,
    ];
    for (i, refusal) in all.iter().enumerate() {
        assert_eq!(bucket::refusal_index(refusal), i);
        assert_eq!(REFUSAL_CODES[i], refusal.code());
    }
}

#[test]
fn checks_survive_a_crash_and_a_reopen_counts_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    log.record(&valid(T0)).unwrap();
    log.record(&refused(T0 + 1, "revoked")).unwrap();
    log.record(&valid(T0 + BUCKET_SECONDS)).unwrap();
    // A crash: no destructor, no fsync; the system releases the lock. What `record` wrote is
    // in the file.
    drop(log._lock.take());
    std::mem::forget(log);
    let mut log = CheckLog::open(&path).unwrap();
    let summary = log.summary(T0, T0 + 3_600);
    assert_eq!((summary.checked, summary.valid, summary.refused), (3, 2, 1));
    assert_eq!(summary.refusal_reasons(), vec![("revoked", 1)]);
    log.record(&valid(T0 + BUCKET_SECONDS + 1)).unwrap();
    drop(log);
    let log = CheckLog::open(&path).unwrap();
    assert_eq!(log.summary(T0, T0 + 3_600).checked, 4);
    assert_eq!(
        file_len(&path),
        (HEADER.len() + 2 * RECORD_LEN) as u64,
        "one line per bucket"
    );
}

#[test]
fn a_torn_tail_or_a_damaged_line_loses_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    for bucket in 0..4 {
        for _ in 0..=bucket {
            log.record(&valid(T0 + bucket * BUCKET_SECONDS)).unwrap();
        }
    }
    drop(log);
    // A torn tail: the last bucket's line was half written.
    let full = file_len(&path);
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(full - RECORD_LEN as u64 / 2).unwrap();
    drop(file);
    let mut log = CheckLog::open(&path).unwrap();
    assert_eq!(log.summary(0, T0 + DAY).checked, 1 + 2 + 3);
    log.record(&valid(T0 + 4 * BUCKET_SECONDS)).unwrap();
    drop(log);
    // A damaged line in the middle (the second bucket's count altered).
    let mut bytes = std::fs::read(&path).unwrap();
    let second = HEADER.len() + RECORD_LEN;
    bytes[second + 30] = b'7';
    std::fs::write(&path, &bytes).unwrap();
    let log = CheckLog::open(&path).unwrap();
    let starts: Vec<u64> = log.buckets(T0 + DAY).map(|b| b.start).collect();
    assert_eq!(
        starts,
        vec![T0, T0 + 2 * BUCKET_SECONDS, T0 + 4 * BUCKET_SECONDS]
    );
    assert_eq!(log.summary(0, T0 + DAY).checked, 1 + 3 + 1);
    drop(log);
    // The file was rewritten clean: garbage appended later is skipped the same way.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"\x00\xffnot a line\n12")
        .unwrap();
    let log = CheckLog::open(&path).unwrap();
    assert_eq!(log.summary(0, T0 + DAY).checked, 5);
    assert!(log.failure().is_none());
}

#[test]
fn the_file_grows_by_buckets_never_by_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    for i in 0..10_000 {
        log.record(&refused(T0 + i % BUCKET_SECONDS, "stale_step"))
            .unwrap();
    }
    assert_eq!(file_len(&path), (HEADER.len() + RECORD_LEN) as u64);
    let summary = log.summary(T0, T0 + BUCKET_SECONDS);
    assert_eq!((summary.checked, summary.refused), (10_000, 10_000));
    assert_eq!(summary.refusal_reasons(), vec![("stale_step", 10_000)]);
}

#[test]
fn buckets_older_than_90_days_go_from_reports_and_then_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    for day in 0..100 {
        log.record(&valid(T0 + day * DAY)).unwrap();
        log.record(&valid(T0 + day * DAY + 1)).unwrap();
        assert!(file_len(&path) <= max_file_len());
    }
    let now = T0 + 99 * DAY + 1;
    let kept: Vec<u64> = log.buckets(now).map(|b| b.start).collect();
    assert_eq!(kept.len(), 91, "day 9 to day 99");
    assert_eq!(kept[0], T0 + 9 * DAY);
    assert_eq!(log.csv(now).lines().count(), 1 + 91);
    // In the file, at most the one day of slack past 90 days.
    assert!(file_len(&path) <= (HEADER.len() + 93 * RECORD_LEN) as u64);
    drop(log);
    let bytes = std::fs::read(&path).unwrap();
    let (slots, skipped) = parse(&bytes);
    assert!(!skipped);
    assert!(*slots.keys().next().unwrap() >= T0 + 8 * DAY);
}

#[test]
fn a_log_that_cannot_be_written_counts_in_memory_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should be: nothing can open it, whoever runs the test.
    let path = dir.path().join(CHECK_LOG_FILE);
    std::fs::create_dir(&path).unwrap();
    let mut log = CheckLog::open_or_in_memory(&path);
    assert!(log.failure().is_some());
    let failure = log.record(&valid(T0)).unwrap_err();
    assert_eq!(failure.checks, 1);
    log.record(&valid(T0 + 1)).unwrap_err();
    let summary = log.summary(T0, T0 + 60);
    assert_eq!(summary.checked, 2);
    assert_eq!(summary.failure.unwrap().checks, 2);
}

#[test]
fn a_write_that_failed_is_retried_and_heals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    log.record(&valid(T0)).unwrap();
    // The file handle is swapped for one opened read-only: writes fail as on a read-only disk.
    let writable = std::mem::replace(&mut log.file, Ok(File::open(&path).unwrap()));
    assert!(log.record(&valid(T0 + 1)).is_err());
    assert!(log.record(&valid(T0 + BUCKET_SECONDS)).is_err());
    assert_eq!(log.failure().unwrap().checks, 2);
    log.file = writable;
    log.record(&valid(T0 + BUCKET_SECONDS + 1)).unwrap();
    assert!(log.failure().is_none());
    drop(log);
    let log = CheckLog::open(&path).unwrap();
    assert_eq!(log.summary(T0, T0 + DAY).checked, 4);
}

#[test]
fn the_summary_counts_the_period_and_the_csv_every_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CheckLog::open(&dir.path().join(CHECK_LOG_FILE)).unwrap();
    log.record(&valid(T0 - DAY)).unwrap();
    log.record(&refused(T0 + 1, "expired")).unwrap();
    log.record(&refused(T0 + 2, "expired")).unwrap();
    log.record(&refused(T0 + 700, "revoked")).unwrap();
    log.record(&Check {
        signal: DoorSignal::CheckId,
        trust_list_age_seconds: 9_000,
        status_list_age_seconds: None,
        ..valid(T0 + 1_300)
    })
    .unwrap();
    let summary = log.summary(T0, T0 + 2_000);
    assert_eq!(
        (
            summary.since,
            summary.checked,
            summary.valid,
            summary.check_id,
            summary.refused
        ),
        (T0, 4, 0, 1, 3)
    );
    assert_eq!(
        summary.refusal_reasons(),
        vec![("expired", 2), ("revoked", 1)]
    );
    assert_eq!(summary.trust_list_age_seconds, Some(9_000));
    assert_eq!(summary.status_list_age_seconds, None);
    assert_eq!(log.summary(T0 + 3_000, T0 + 4_000).checked, 0);

    let csv = log.csv(T0 + 2_000);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], csv_header().trim_end());
    assert!(
        rows[0].starts_with("bucket_start,bucket_start_unix,valid,check_id,refused,malformed,")
    );
    assert!(rows[0].ends_with(",key_not_hardware_bound,trust_list_age_s,status_list_age_s"));
    assert_eq!(rows.len(), 1 + 4);
    assert_eq!(
        rows[1],
        "2027-01-14T08:00:00Z,1799913600,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7200,3600"
    );
    assert_eq!(
        rows[2],
        "2027-01-15T08:00:00Z,1800000000,0,0,2,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,7200,3600"
    );
    assert!(rows[4].starts_with("2027-01-15T08:20:00Z,1800001200,0,1,0,"));
    assert!(rows[4].ends_with(",9000,"));
    assert_eq!(report::rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(report::rfc3339_utc(0), "1970-01-01T00:00:00Z");
}

#[test]
fn a_clock_turned_back_counts_into_its_own_older_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CHECK_LOG_FILE);
    let mut log = CheckLog::open(&path).unwrap();
    log.record(&valid(T0 + 3_600)).unwrap();
    log.record(&valid(T0)).unwrap();
    log.record(&valid(T0 + 3_600)).unwrap();
    log.record(&valid(T0 + 1)).unwrap();
    drop(log);
    let log = CheckLog::open(&path).unwrap();
    let counts: Vec<(u64, u64)> = log.buckets(T0 + DAY).map(|b| (b.start, b.valid)).collect();
    assert_eq!(counts, vec![(T0, 2), (T0 + 3_600, 2)]);
}
