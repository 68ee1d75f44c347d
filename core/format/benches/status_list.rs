//! Status-list benchmarks (docs/revocation.md), on a list of 2^20 entries with 1 % revoked:
//!
//! - `lookup`: one entry's status in an inflated list (what a door adds to each check).
//! - `verify_rotating_with_status_check`: a full door check of a pass that names the list.
//! - `parse_and_verify_list`: reading a fetched token (signature, inflating 128 KiB) — per fetch.
//! - `compress_and_sign_list`: the issuer's work per change of a list.
//!
//! The setup prints the token's size. Run: `cargo bench -p doorpass-format --bench status_list`.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use doorpass_format::pass::Pass;
use doorpass_format::{
    Presentation, SigningKey, StatusList, StatusListBinding, StatusListToken, StatusReference,
    Verifier, VerifierPolicy,
};
use rand::{Rng, SeedableRng};

use support::NOW;
const ENTRIES: usize = 1 << 20;
const URI: &str = "https://kdca.kr/s/1";

fn bench(c: &mut Criterion) {
    let anchor = SigningKey::from_bytes(&[1; 32]);
    let issuer = SigningKey::from_bytes(&[2; 32]);
    let holder = SigningKey::from_bytes(&[3; 32]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut list = StatusList::new(ENTRIES);
    while list.revoked_count() < ENTRIES / 100 {
        list.revoke(rng.gen_range(0..ENTRIES as u64));
    }
    let token = StatusListToken {
        uri: URI.into(),
        issued_at: NOW - 60,
        expires_at: Some(NOW + 86_400),
        ttl: Some(300),
        list: list.clone(),
    };
    let signed = token.sign(&issuer);
    eprintln!(
        "status list: {} entries, {} revoked: token {} bytes (list {} bytes inflated)",
        list.len(),
        list.revoked_count(),
        signed.len(),
        list.len() / 8
    );
    let (trust, trust_list) = support::trust_list(&anchor, &issuer);
    let mut verifier = Verifier::new(trust_list, VerifierPolicy::default());
    verifier
        .update_status_list(&signed, StatusListBinding::given(), NOW)
        .unwrap();
    let index = (0..ENTRIES as u64)
        .find(|&i| list.is_revoked(i) == Some(false))
        .unwrap();
    let claims = support::claims(
        holder.verifying_key(),
        Some(StatusReference {
            index,
            uri: URI.into(),
        }),
    );
    let pass = Pass::issue(&claims, &issuer).unwrap();
    let text = Presentation::rotating(pass.bytes(), &holder, NOW).to_qr_text();
    assert!(verifier.verify_qr_text(&text, NOW).is_valid());

    let mut g = c.benchmark_group("status_list");
    g.bench_function("lookup", |b| b.iter(|| list.is_revoked(black_box(index))));
    g.bench_function("verify_rotating_with_status_check", |b| {
        b.iter(|| verifier.verify_qr_text(black_box(&text), NOW))
    });
    g.bench_function("parse_and_verify_list", |b| {
        b.iter(|| {
            StatusListToken::parse(black_box(&signed))
                .unwrap()
                .verify(&trust, StatusListBinding::given(), Some(NOW))
                .unwrap()
        })
    });
    g.bench_function("compress_and_sign_list", |b| {
        b.iter(|| token.sign(black_box(&issuer)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion(20);
    targets = bench
}
criterion_main!(benches);
