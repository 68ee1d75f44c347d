//! Fuzzes what a door or a wallet does with fetched status-list bytes: parse the token, inflate its
//! list (bounded), check it against the trust list, look up entries.
#![no_main]

use std::sync::LazyLock;

use doorpass_format::keys::SigningKey;
use doorpass_format::status_list::{StatusList, StatusListToken};
use doorpass_format::{StatusListBinding, TrustListContent, TrustedIssuer};
use libfuzzer_sys::fuzz_target;

static TRUST: LazyLock<TrustListContent> = LazyLock::new(|| TrustListContent {
    version: 1,
    issued_at: 0,
    next_update: 0,
    issuers: vec![TrustedIssuer::new(SigningKey::from_bytes(&[2; 32]).verifying_key(), "FUZZ", 0, u64::MAX)],
});

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = StatusList::from_compressed(data) {
        let _ = list.is_revoked(data.len() as u64);
    }
    if let Ok(signed) = StatusListToken::parse(data) {
        let index = signed.unverified().list.len() as u64 / 2;
        if let Ok(verified) = signed.verify(&TRUST, StatusListBinding::given(), None) {
            let _ = verified.token.list.is_revoked(index);
        }
    }
});
