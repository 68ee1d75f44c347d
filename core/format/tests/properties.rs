//! Property tests: round trips, tamper evidence, and decoders that never panic.

use doorpass_format::keys::SigningKey;
use doorpass_format::pass::{Pass, PassClaims, PassKind};
use doorpass_format::presentation::STEP_SECONDS;
use doorpass_format::verifier::MAX_CODE_AGE_SECONDS;
use doorpass_format::{
    Presentation, TrustList, TrustListContent, TrustedIssuer, Verdict, Verifier, VerifierPolicy,
};
use proptest::prelude::*;

fn birth_date() -> impl Strategy<Value = String> {
    prop_oneof![
        (1900u32..2030).prop_map(|y| format!("{y:04}")),
        (1900u32..2030, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    ]
}

prop_compose! {
    fn claims()(
        holder_seed in any::<[u8; 32]>(),
        issuer_id in "[A-Z]{2}-[A-Z0-9]{1,12}",
        name in "\\PC{1,20}",
        birth_date in birth_date(),
        kind in 1u64..=4,
        not_before in 0u64..4_000_000_000,
        lifetime in 1u64..399 * 86_400, // + issued_before: within the default 400-day maximum
        issued_before in 0u64..86_400,
        renew_fraction in 0u64..=100,
        pass_id in any::<[u8; 16]>(),
    ) -> PassClaims {
        let expires_at = not_before + lifetime;
        PassClaims {
            key_assurance: doorpass_format::KeyAssurance::Unattested,
            issuer_id,
            issued_at: not_before.saturating_sub(issued_before),
            not_before,
            expires_at,
            pass_id,
            holder_key: SigningKey::from_bytes(&holder_seed).verifying_key().into(),
            display_name: name,
            birth_date,
            kind: PassKind::from_code(kind).unwrap(),
            renew_after: not_before + lifetime * renew_fraction / 100,
        status: None,
        }
    }
}

fn issuer() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn verifier_for(issuer: &SigningKey, issuer_id: &str) -> Verifier {
    let anchor = SigningKey::from_bytes(&[7; 32]);
    let tl = TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            issuer_id,
            0,
            u64::MAX,
        )],
    }
    .sign(&anchor);
    Verifier::new(
        TrustList::verify(&tl, &anchor.verifying_key()).unwrap(),
        VerifierPolicy::default(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_pass_round_trips(claims in claims()) {
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let pass = Pass::issue(&claims, &issuer()).unwrap();
        let back = Pass::parse(pass.bytes()).unwrap();
        prop_assert_eq!(back.claims(), &claims);
        prop_assert!(back.verify_issuer_signature(&issuer().verifying_key()));
    }

    #[test]
    fn any_presentation_round_trips_and_verifies(claims in claims(), offset in 0u64..1_000_000, holder_seed in any::<[u8; 32]>()) {
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let mut claims = claims;
        let holder = SigningKey::from_bytes(&holder_seed);
        claims.holder_key = holder.verifying_key().into();
        let pass = Pass::issue(&claims, &issuer()).unwrap();
        let now = claims.not_before + offset % (claims.expires_at - claims.not_before);
        let p = Presentation::rotating(pass.bytes(), &holder, now);
        let back = Presentation::from_qr_text(&p.to_qr_text()).unwrap();
        prop_assert_eq!(&back, &p);
        let verdict = verifier_for(&issuer(), &claims.issuer_id).verify(&back, now);
        prop_assert!(verdict.is_valid(), "{:?}", verdict);
        // One step too late beyond the tolerance is refused.
        let later = now + 60 + 2 * STEP_SECONDS;
        if later < claims.expires_at {
            prop_assert_eq!(verifier_for(&issuer(), &claims.issuer_id).verify(&back, later).code(), "stale_step");
        }
    }

    #[test]
    fn any_single_byte_change_to_a_signed_pass_is_refused(claims in claims(), index in any::<prop::sample::Index>(), xor in 1u8..=255) {
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let issuer = issuer();
        let pass = Pass::issue(&claims, &issuer).unwrap();
        let mut bytes = pass.bytes().to_vec();
        let i = index.index(bytes.len());
        bytes[i] ^= xor;
        // Either it no longer parses, or its signature no longer checks under the issuer key.
        let refused = match Pass::parse(&bytes) {
            Err(_) => true,
            Ok(p) => !p.verify_issuer_signature(&issuer.verifying_key()),
        };
        prop_assert!(refused, "byte {} ^ {:#x} still verifies", i, xor);
        // And a verifier refuses it as a static code.
        let mut v = verifier_for(&issuer, &claims.issuer_id);
        v = Verifier::new(v.trust_list().clone(), VerifierPolicy { allow_static: true, ..VerifierPolicy::default() });
        let verdict = v.verify(&Presentation::fixed(&bytes), claims.not_before);
        prop_assert!(matches!(verdict, Verdict::Refused(_)), "{:?}", verdict);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Pass::parse(&bytes);
        let _ = Presentation::from_cbor(&bytes);
        let _ = TrustList::verify(&bytes, &issuer().verifying_key());
        let _ = doorpass_format::StatusList::from_compressed(&bytes);
        if let Ok(list) = doorpass_format::StatusListToken::parse(&bytes) {
            let _ = list.unverified().list.is_revoked(bytes.len() as u64);
        }
        let text = format!("DP1:{}", base45_like(&bytes));
        let _ = verifier_for(&issuer(), "X").verify_qr_text(&text, 0);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = Presentation::from_qr_text(&text);
        let _ = Presentation::from_qr_text(&format!("DP1:{text}"));
        let _ = verifier_for(&issuer(), "X").verify_qr_text(&text, 0);
    }

    #[test]
    fn truncated_or_altered_status_lists_are_refused_not_panics(
        revoked in prop::collection::vec(0u64..100_000, 0..50),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut list = doorpass_format::StatusList::new(100_000);
        revoked.iter().for_each(|&i| { list.revoke(i); });
        let token = doorpass_format::StatusListToken {
            uri: "https://i.example/s/1".into(),
            issued_at: 1,
            expires_at: None,
            ttl: Some(300),
            list,
        };
        let bytes = token.sign(&issuer());
        let cut = cut.index(bytes.len());
        prop_assert!(doorpass_format::StatusListToken::parse(&bytes[..cut]).is_err());
        let mut flipped = bytes.clone();
        flipped[flip.index(bytes.len())] ^= 0x10;
        let trust = doorpass_format::TrustListContent {
            version: 1, issued_at: 0, next_update: 0,
            issuers: vec![doorpass_format::TrustedIssuer::new(issuer().verifying_key(), "X", 0, u64::MAX)],
        };
        let verified = doorpass_format::StatusListToken::parse(&flipped).map(|s| {
            s.verify(&trust, doorpass_format::StatusListBinding::given(), None)
        });
        prop_assert!(!matches!(verified, Ok(Ok(_))), "an altered list must not verify");
    }

    #[test]
    fn truncated_valid_codes_are_malformed_not_panics(claims in claims(), cut in any::<prop::sample::Index>()) {
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let holder = SigningKey::from_bytes(&[3; 32]);
        let mut claims = claims;
        claims.holder_key = holder.verifying_key().into();
        let pass = Pass::issue(&claims, &issuer()).unwrap();
        let text = Presentation::rotating(pass.bytes(), &holder, claims.not_before).to_qr_text();
        let cut = 4 + cut.index(text.len() - 4);
        let verdict = verifier_for(&issuer(), &claims.issuer_id).verify_qr_text(&text[..cut], claims.not_before);
        prop_assert_eq!(verdict.code(), "malformed");
    }
}

/// Arbitrary bytes mapped onto the Base45 alphabet, so the decoder gets past the text layer.
fn base45_like(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % 45] as char)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// What docs and the README promise: a code is accepted until 90 s after its step begins, and
    /// refused from then on (issue 20: the docs said "about a minute").
    #[test]
    fn a_code_is_accepted_until_exactly_90_s_after_its_step_begins(claims in claims(), into_step in 0u64..STEP_SECONDS) {
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let mut claims = claims;
        let holder = SigningKey::from_bytes(&[3; 32]);
        claims.holder_key = holder.verifying_key().into();
        let step_start = (claims.not_before / STEP_SECONDS + 1) * STEP_SECONDS;
        prop_assume!(step_start + MAX_CODE_AGE_SECONDS < claims.expires_at);
        let pass = Pass::issue(&claims, &issuer()).unwrap();
        let drawn = Presentation::rotating(pass.bytes(), &holder, step_start + into_step);
        let door = verifier_for(&issuer(), &claims.issuer_id);
        prop_assert_eq!(MAX_CODE_AGE_SECONDS, 90);
        prop_assert!(door.verify(&drawn, step_start + MAX_CODE_AGE_SECONDS - 1).is_valid());
        prop_assert_eq!(door.verify(&drawn, step_start + MAX_CODE_AGE_SECONDS).code(), "stale_step");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Issue 22: a pass bound to a P-256 key round trips and its codes verify; any change to the
    /// ES256 proof is refused (never valid, never a panic).
    #[test]
    fn p256_codes_verify_and_any_changed_proof_is_refused(
        claims in claims(),
        seed in any::<[u8; 32]>(),
        offset in 0u64..1_000_000,
        index in 0usize..64,
        xor in 1u8..=255,
    ) {
        use doorpass_format::holder_key::{HolderSigner, P256SigningKey};
        prop_assume!(claims.display_name.trim() != "" && !claims.display_name.chars().any(char::is_control));
        let Ok(phone) = P256SigningKey::from_slice(&seed) else {
            return Ok(()); // zero or not below the group order: not a key
        };
        let mut claims = claims;
        claims.holder_key = phone.holder_public_key();
        let pass = Pass::issue(&claims, &issuer()).unwrap();
        let parsed = Pass::parse(pass.bytes()).unwrap();
        prop_assert_eq!(parsed.claims(), &claims);
        let now = claims.not_before + offset % (claims.expires_at - claims.not_before);
        let code = Presentation::rotating(pass.bytes(), &phone, now);
        let door = verifier_for(&issuer(), &claims.issuer_id);
        let back = Presentation::from_qr_text(&code.to_qr_text()).unwrap();
        prop_assert!(door.verify(&back, now).is_valid());
        let Presentation::Rotating { pass: bytes, step, mut proof } = back else {
            unreachable!("a rotating code")
        };
        proof[index] ^= xor;
        let changed = Presentation::Rotating { pass: bytes, step, proof };
        prop_assert_eq!(door.verify(&changed, now).code(), "bad_holder_proof");
    }

    /// Any 33 bytes that look like a compressed point are a key or a refusal, never a panic.
    #[test]
    fn any_compressed_point_is_a_key_or_a_refusal(odd in any::<bool>(), x in any::<[u8; 32]>()) {
        let bytes = [&[if odd { 0x03 } else { 0x02 }][..], &x].concat();
        match doorpass_format::HolderPublicKey::from_bytes(&bytes) {
            Ok(key) => prop_assert_eq!(key.to_bytes(), bytes),
            Err(e) => prop_assert_eq!(e, doorpass_format::HolderKeyError::PointNotOnCurve),
        }
    }
}
