//! What both door benchmarks share: criterion settings, the pass and the trust list.

use std::time::Duration;

use criterion::Criterion;
use doorpass_format::pass::{PassClaims, PassKind};
use doorpass_format::{
    SigningKey, StatusReference, TrustList, TrustListContent, TrustedIssuer, VerifyingKey,
};

/// The benchmarks' clock.
pub const NOW: u64 = 1_800_000_100;

/// `samples` samples over 4 s each, after 1 s of warm-up.
pub fn criterion(samples: usize) -> Criterion {
    Criterion::default()
        .sample_size(samples)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
}

/// A pass for `holder` with a 20-byte name, as in the QR size budget, naming `status` if given.
pub fn claims(holder: VerifyingKey, status: Option<StatusReference>) -> PassClaims {
    PassClaims {
        key_assurance: doorpass_format::KeyAssurance::Unattested,
        issuer_id: "KR-KDCA".into(),
        issued_at: NOW - 100,
        not_before: NOW - 100,
        expires_at: NOW + 30 * 86_400,
        pass_id: [5; 16],
        holder_key: holder.into(),
        display_name: "이서연 Lee Seoyun".into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: NOW + 25 * 86_400,
        status,
    }
}

/// A trust list holding `issuer`, signed by `anchor`: its content and the checked list.
pub fn trust_list(anchor: &SigningKey, issuer: &SigningKey) -> (TrustListContent, TrustList) {
    let content = TrustListContent {
        version: 1,
        issued_at: NOW,
        next_update: NOW,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            "KR-KDCA",
            0,
            u64::MAX,
        )],
    };
    let list = TrustList::verify(&content.sign(anchor), &anchor.verifying_key()).unwrap();
    (content, list)
}
