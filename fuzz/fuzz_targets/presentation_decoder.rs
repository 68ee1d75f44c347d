//! Fuzzes everything a door does with a scanned code: text → presentation → pass → verdict.
#![no_main]

use doorpass_core::keys::SigningKey;
use doorpass_core::{Pass, Presentation, TrustList, TrustListContent, TrustedIssuer, Verifier, VerifierPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Presentation::from_cbor(data);
    let _ = Pass::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
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
        let _ = Verifier::new(tl, policy).verify_qr_text(text, 1_800_000_000);
    }
});
