//! Door benchmarks: what the holder's phone and the verifier do for each code.
//!
//! - `present_rotating_plus_qr_matrix`: sign a fresh holder proof, encode the QR text and build the QR
//!   module matrix (what a wallet does once per 30-s step; redraws within a step reuse it).
//! - `verify_rotating`: decode and fully check a rotating code against a trust list.
//! - `floor_two_ed25519_verifications`: the two bare signature checks any verifier must do (issuer
//!   signature over the pass, holder proof), on messages of the same sizes — the floor for `verify`.
//! - `p256_verify_rotating`: the same check for a pass bound to a P-256 holder key (issue 22: the
//!   proof is ES256, the point compressed in the pass, so the door decompresses it).
//! - `p256_floor_ed25519_plus_p256_verifications`: its floor, one bare Ed25519 verification (the
//!   issuer) plus one bare ES256 verification (the holder, with ring, as the door does) on a key
//!   already decompressed. Goal: `p256_verify_rotating` ≤ 1.25 × this floor.
//!
//! Run: `cargo bench -p doorpass-format --bench door`. Figures: docs/performance.md.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use doorpass_format::holder_key::{HolderSigner, P256SigningKey};
use doorpass_format::keys::{Signature, SigningKey};
use doorpass_format::pass::Pass;
use doorpass_format::presentation::proof_message;
use doorpass_format::qr::{ErrorCorrection, QrMatrix};
use doorpass_format::{Presentation, Verifier, VerifierPolicy};
use ed25519_dalek::Signer;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

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

    // Issue 22: the same pass bound to a P-256 holder key, and its floor.
    let phone = P256SigningKey::from_slice(&[4; 32]).unwrap();
    let p256_claims = doorpass_format::PassClaims {
        key_assurance: doorpass_format::KeyAssurance::Unattested,
        holder_key: phone.holder_public_key(),
        ..claims.clone()
    };
    let p256_pass = Pass::issue(&p256_claims, &issuer).unwrap();
    let p256_text = Presentation::rotating(p256_pass.bytes(), &phone, NOW).to_qr_text();
    assert!(verifier.verify_qr_text(&p256_text, NOW).is_valid());
    let p256_tbs = vec![0x5a; p256_pass.bytes().len() - 64];
    let p256_issuer_sig = issuer.sign(&p256_tbs);
    let p256_proof_msg = proof_message(&p256_pass.digest(), NOW / 30);
    let p256_proof_sig = phone.sign_holder_message(&p256_proof_msg);
    let phone_point = phone.verifying_key().to_encoded_point(false);
    let phone_pub = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, phone_point.as_bytes());

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
    g.bench_function("p256_verify_rotating", |b| {
        b.iter(|| verifier.verify_qr_text(black_box(&p256_text), NOW))
    });
    g.bench_function("p256_floor_ed25519_plus_p256_verifications", |b| {
        b.iter(|| {
            issuer_pub
                .verify_strict(black_box(&p256_tbs), &p256_issuer_sig)
                .unwrap();
            phone_pub
                .verify(black_box(&p256_proof_msg), &p256_proof_sig)
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
