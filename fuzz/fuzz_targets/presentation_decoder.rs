//! Fuzzes everything a door does with a scanned code: text → presentation → pass → verdict.
#![no_main]

use std::sync::LazyLock;

use doorpass_format::keys::SigningKey;
use doorpass_format::{Pass, Presentation, TrustList, TrustListContent, TrustedIssuer, Verifier, VerifierPolicy};
use libfuzzer_sys::fuzz_target;

/// One verifier for the whole run: signing and checking a trust list per input would dominate.
static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    let anchor = SigningKey::from_bytes(&[1; 32]);
    let issuer = SigningKey::from_bytes(&[2; 32]);
    let tl = TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![TrustedIssuer::new(issuer.verifying_key(), "FUZZ", 0, u64::MAX)],
    }
    .sign(&anchor);
    let tl = TrustList::verify(&tl, &anchor.verifying_key()).expect("own list verifies");
    let policy = VerifierPolicy { allow_static: true, ..VerifierPolicy::default() };
    Verifier::new(tl, policy)
});

fuzz_target!(|data: &[u8]| {
    let _ = Presentation::from_cbor(data);
    let _ = Pass::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = VERIFIER.verify_qr_text(text, 1_800_000_000);
    }
});
