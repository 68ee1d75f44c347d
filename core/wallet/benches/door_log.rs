//! The door in queue mode: scanned text → verdict → log entry, as `DoorVerifier::verify` does it.
//!
//! - `check_and_log_same_bucket`: one check of a rotating code, counted in the check log; the
//!   checks fall in one 10-minute bucket, so each rewrites its bucket's line in place (no fsync).
//! - `check_and_log_new_bucket_each_time`: the same with every check in a new bucket (a static
//!   code, the clock 10 minutes on each time), so each one fsyncs the log: the price of a sync
//!   per check, which the log pays only once per bucket.
//! - `check_without_log`: the offline verifier alone on the same code, the floor of the above.
//! - `queue/ten_thousand_checks_in_a_row`: 10,000 logged checks of valid codes back to back
//!   (throughput in checks); afterwards the log is asserted to be its header and one line.
//!
//! Run: `cargo bench -p doorpass-wallet --bench door_log`. Figures: docs/door-log.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use doorpass_format::pass::{Pass, PassClaims, PassKind};
use doorpass_format::{
    Presentation, SigningKey, TrustList, TrustListContent, TrustedIssuer, Verifier, VerifierPolicy,
};
use doorpass_wallet::check_log::{CHECK_LOG_FILE, HEADER, RECORD_LEN};
use doorpass_wallet::door::DoorVerifier;

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

fn bench(c: &mut Criterion) {
    let anchor = SigningKey::from_bytes(&[1; 32]);
    let issuer = SigningKey::from_bytes(&[2; 32]);
    let holder = SigningKey::from_bytes(&[3; 32]);
    let trust = TrustListContent {
        version: 1,
        issued_at: NOW - 3_600,
        next_update: NOW + DAY,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            "KR-KDCA",
            0,
            u64::MAX,
        )],
    }
    .sign(&anchor);
    let claims = PassClaims {
        key_assurance: doorpass_format::KeyAssurance::Unattested,
        issuer_id: "KR-KDCA".into(),
        issued_at: NOW - DAY,
        not_before: NOW - DAY,
        expires_at: NOW + 390 * DAY,
        pass_id: [5; 16],
        holder_key: holder.verifying_key().into(),
        display_name: "이서연 Lee Seoyun".into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: NOW + 300 * DAY,
        status: None,
    };
    let pass = Pass::issue(&claims, &issuer).unwrap();
    let rotating = Presentation::rotating(pass.bytes(), &holder, NOW).to_qr_text();
    let printed = Presentation::fixed(pass.bytes()).to_qr_text();
    let policy = VerifierPolicy {
        allow_static: true,
        ..VerifierPolicy::default()
    };
    let open = || {
        let dir = tempfile::tempdir().unwrap();
        let (door, _) = DoorVerifier::open(dir.path(), anchor.verifying_key(), policy).unwrap();
        door.update_trust_list(&trust, NOW).unwrap();
        (dir, door)
    };

    let (_dir, door) = open();
    assert!(door.verify(&rotating, NOW).unwrap().is_valid());
    c.bench_function("check_and_log_same_bucket", |b| {
        b.iter(|| door.verify(black_box(&rotating), NOW).unwrap())
    });

    let (_dir, door) = open();
    let mut at = NOW;
    c.bench_function("check_and_log_new_bucket_each_time", |b| {
        b.iter(|| {
            at += 600;
            door.verify(black_box(&printed), at).unwrap()
        })
    });

    let verifier = Verifier::new(
        TrustList::verify(&trust, &anchor.verifying_key()).unwrap(),
        policy,
    );
    c.bench_function("check_without_log", |b| {
        b.iter(|| verifier.verify_qr_text(black_box(&rotating), NOW))
    });

    let mut group = c.benchmark_group("queue");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(10);
    // Each iteration is 10,000 checks: one per sample is plenty.
    group.sampling_mode(SamplingMode::Flat);
    let (dir, door) = open();
    group.bench_function("ten_thousand_checks_in_a_row", |b| {
        b.iter(|| {
            for i in 0..10_000 {
                let verdict = door.verify(black_box(&rotating), NOW + i % 30).unwrap();
                assert!(verdict.is_valid());
            }
        })
    });
    group.finish();
    // Every round's 10,000 valid checks fell in one bucket: one line, whatever the count.
    let len = std::fs::metadata(dir.path().join(CHECK_LOG_FILE))
        .unwrap()
        .len();
    assert_eq!(len, (HEADER.len() + RECORD_LEN) as u64);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
