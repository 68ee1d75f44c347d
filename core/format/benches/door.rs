//! Door benchmarks: what the holder's phone and the verifier do for each code.
//!
//! - `present_rotating_plus_qr_matrix`: sign a fresh holder proof, encode the QR text and build the QR
//!   module matrix (what a wallet does once per 30-s step; redraws within a step reuse it).
//! - `verify_rotating`: decode and fully check a rotating code against a trust list.
//! - `floor_two_ed25519_verifications`: the two bare signature checks any verifier must do (issuer
//!   signature over the pass, holder proof), on messages of the same sizes — the floor for `verify`.
//!
//! Run: `cargo bench -p doorpass-format --bench door`. Figures: docs/performance.md.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use doorpass_format::keys::{Signature, SigningKey};
use doorpass_format::pass::Pass;
use doorpass_format::presentation::proof_message;
use doorpass_format::qr::{ErrorCorrection, QrMatrix};
use doorpass_format::{Presentation, Verifier, VerifierPolicy};
use ed25519_dalek::Signer;

use support::NOW;

fn bench(c: &mut Criterion) {
    let anchor = SigningKey::from_bytes(&[1; 32]);
    let issuer = SigningKey::from_bytes(&[2; 32]);
    let holder = SigningKey::from_bytes(&[3; 32]);
    let claims = support::claims(holder.verifying_key(), None);
    let pass = Pass::issue(&claims, &issuer).unwrap();
    let verifier = Verifier::new(
        support::trust_list(&anchor, &issuer).1,
        VerifierPolicy::default(),
    );
    let text = Presentation::rotating(pass.bytes(), &holder, NOW).to_qr_text();
    assert!(verifier.verify_qr_text(&text, NOW).is_valid());

    // Floor inputs: a message the size of the pass's Sig_structure and the 51-byte proof message.
    let tbs = vec![0x5a; pass.bytes().len() - 64];
    let issuer_sig = issuer.sign(&tbs);
    let proof_msg = proof_message(&pass.digest(), NOW / 30);
    let proof_sig: Signature = holder.sign(&proof_msg);
    let (issuer_pub, holder_pub) = (issuer.verifying_key(), holder.verifying_key());

    let mut g = c.benchmark_group("door");
    g.bench_function("present_rotating_plus_qr_matrix", |b| {
        b.iter(|| {
            let text = Presentation::rotating(black_box(pass.bytes()), &holder, NOW).to_qr_text();
            QrMatrix::encode(&text, ErrorCorrection::Medium).unwrap()
        })
    });
    g.bench_function("verify_rotating", |b| {
        b.iter(|| verifier.verify_qr_text(black_box(&text), NOW))
    });
    g.bench_function("floor_two_ed25519_verifications", |b| {
        b.iter(|| {
            issuer_pub
                .verify_strict(black_box(&tbs), &issuer_sig)
                .unwrap();
            holder_pub
                .verify_strict(black_box(&proof_msg), &proof_sig)
                .unwrap();
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion(60);
    targets = bench
}
criterion_main!(benches);
