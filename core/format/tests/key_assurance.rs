//! The key assurance claim (`dp` key 5, issue 22 part 3) in passes and at doors: each assurance
//! round-trips; an unattested pass is encoded as before the claim existed (no key 5); a number
//! this version does not know reads as unattested; and a door that requires a hardware-bound key
//! refuses an unattested pass and accepts an attested one.

use coset::cwt::{ClaimName, ClaimsSet};
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
use doorpass_format::keys::{KeyId, SigningKey, generate_signing_key};
use doorpass_format::pass::{DP_CLAIM, Pass, PassClaims, PassKind};
use doorpass_format::trust_list::{TrustList, TrustListContent, TrustedIssuer};
use doorpass_format::{KeyAssurance, Presentation, Refusal, Verdict, Verifier, VerifierPolicy};
use ed25519_dalek::Signer;

const NOW: u64 = 1_800_000_000;

fn claims(holder: &impl HolderSigner, key_assurance: KeyAssurance) -> PassClaims {
    PassClaims {
        key_assurance,
        issuer_id: "KR-KDCA".into(),
        issued_at: NOW,
        not_before: NOW,
        expires_at: NOW + 30 * 86_400,
        pass_id: [5; 16],
        holder_key: holder.holder_public_key(),
        display_name: "Kim Minji".into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: NOW + 20 * 86_400,
        status: None,
    }
}

/// The `dp` claim of a pass's payload, as CBOR map entries.
fn dp_entries(pass: &Pass) -> Vec<(ciborium::Value, ciborium::Value)> {
    let payload = CoseSign1::from_tagged_slice(pass.bytes())
        .unwrap()
        .payload
        .unwrap();
    let claims = ClaimsSet::from_slice(&payload).unwrap();
    claims
        .rest
        .into_iter()
        .find_map(|(name, value)| match (name, value) {
            (ClaimName::PrivateUse(DP_CLAIM), ciborium::Value::Map(entries)) => Some(entries),
            _ => None,
        })
        .expect("a dp claim")
}

fn dp_keys(pass: &Pass) -> Vec<i128> {
    dp_entries(pass)
        .iter()
        .map(|(k, _)| k.as_integer().unwrap().into())
        .collect()
}

/// Signs `payload` as the issuer signs passes (COSE_Sign1, EdDSA, the key's id in the protected
/// header), for passes this version would not write.
fn sign_payload(payload: Vec<u8>, issuer: &SigningKey) -> Vec<u8> {
    let protected = HeaderBuilder::new()
        .algorithm(coset::iana::Algorithm::EdDSA)
        .key_id(KeyId::of(&issuer.verifying_key()).0.to_vec())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |tbs| issuer.sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .unwrap()
}

/// A door trusting `issuer`, with `policy`.
fn door(issuer: &SigningKey, policy: VerifierPolicy) -> Verifier {
    let anchor = generate_signing_key();
    let list = TrustListContent {
        version: 1,
        issued_at: NOW - 86_400,
        next_update: NOW + 86_400,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            "KR-KDCA",
            NOW - 86_400,
            NOW + 365 * 86_400,
        )],
    }
    .sign(&anchor);
    Verifier::new(
        TrustList::verify(&list, &anchor.verifying_key()).unwrap(),
        policy,
    )
}

#[test]
fn a_pass_with_each_key_assurance_round_trips() {
    let issuer = generate_signing_key();
    let phone = generate_p256_signing_key();
    for assurance in KeyAssurance::ALL {
        let pass = Pass::issue(&claims(&phone, assurance), &issuer).unwrap();
        let read = Pass::parse(pass.bytes()).unwrap();
        assert_eq!(read.claims().key_assurance, assurance);
        assert_eq!(read.claims(), &claims(&phone, assurance));
        let has_key_5 = dp_keys(&read).contains(&5);
        assert_eq!(
            has_key_5,
            assurance != KeyAssurance::Unattested,
            "{assurance:?}"
        );
    }
}

#[test]
fn an_unattested_pass_is_encoded_as_before_without_key_5() {
    let issuer = generate_signing_key();
    let phone = generate_p256_signing_key();
    let unattested = Pass::issue(&claims(&phone, KeyAssurance::Unattested), &issuer).unwrap();
    assert_eq!(dp_keys(&unattested), [1, 2, 3, 4]);
    // An attested pass differs only by `5: code` at the end of `dp`: the map header (4 → 5
    // entries) and 2 bytes. Signing is deterministic (Ed25519), so the unattested pass's payload is
    // the attested one's without those — the bytes passes had before the claim existed.
    let tee = Pass::issue(&claims(&phone, KeyAssurance::AndroidTee), &issuer).unwrap();
    assert_eq!(dp_keys(&tee), [1, 2, 3, 4, 5]);
    let mut without = dp_entries(&tee);
    assert_eq!(
        without.pop(),
        Some((ciborium::Value::from(5), ciborium::Value::from(1)))
    );
    assert_eq!(without, dp_entries(&unattested));
    assert_eq!(tee.bytes().len(), unattested.bytes().len() + 2);
}

#[test]
fn an_assurance_number_this_version_does_not_know_reads_as_unattested() {
    let issuer = generate_signing_key();
    let phone = generate_p256_signing_key();
    let tee = Pass::issue(&claims(&phone, KeyAssurance::AndroidTee), &issuer).unwrap();
    // The same pass with `dp` key 5 = 9, a number from a later version, signed by the issuer.
    let payload = CoseSign1::from_tagged_slice(tee.bytes())
        .unwrap()
        .payload
        .unwrap();
    let mut claims_set = ClaimsSet::from_slice(&payload).unwrap();
    for (name, value) in &mut claims_set.rest {
        if let (ClaimName::PrivateUse(DP_CLAIM), ciborium::Value::Map(entries)) = (name, value) {
            for (key, value) in entries.iter_mut() {
                if key.as_integer() == Some(5.into()) {
                    *value = ciborium::Value::from(9);
                }
            }
        }
    }
    let bytes = sign_payload(claims_set.to_vec().unwrap(), &issuer);
    let pass = Pass::parse(&bytes).unwrap();
    assert!(dp_keys(&pass).contains(&5));
    assert_eq!(pass.claims().key_assurance, KeyAssurance::Unattested);
    // A door that requires hardware keys refuses it rather than trust what it cannot read.
    let strict = door(
        &issuer,
        VerifierPolicy {
            require_hardware_key: true,
            ..VerifierPolicy::default()
        },
    );
    let text = Presentation::rotating(pass.bytes(), &phone, NOW + 60).to_qr_text();
    assert!(matches!(
        strict.verify_qr_text(&text, NOW + 60),
        Verdict::Refused(Refusal::KeyNotHardwareBound)
    ));
    // Any other door accepts it (unattested).
    let door = door(&issuer, VerifierPolicy::default());
    match door.verify_qr_text(&text, NOW + 60) {
        Verdict::Valid(p) => assert_eq!(p.key_assurance, KeyAssurance::Unattested),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_door_requiring_a_hardware_key_refuses_an_unattested_pass_and_accepts_strongbox() {
    let issuer = generate_signing_key();
    let phone = generate_p256_signing_key();
    let policy = VerifierPolicy {
        require_hardware_key: true,
        ..VerifierPolicy::default()
    };
    let strict = door(&issuer, policy);
    let relaxed = door(&issuer, VerifierPolicy::default());
    let at = NOW + 60;
    let code = |assurance| {
        let pass = Pass::issue(&claims(&phone, assurance), &issuer).unwrap();
        Presentation::rotating(pass.bytes(), &phone, at).to_qr_text()
    };
    let unattested = code(KeyAssurance::Unattested);
    match strict.verify_qr_text(&unattested, at) {
        Verdict::Refused(refusal) => {
            assert_eq!(refusal, Refusal::KeyNotHardwareBound);
            assert_eq!(refusal.code(), "key_not_hardware_bound");
        }
        other => panic!("{other:?}"),
    }
    match relaxed.verify_qr_text(&unattested, at) {
        Verdict::Valid(p) => assert_eq!(p.key_assurance, KeyAssurance::Unattested),
        other => panic!("{other:?}"),
    }
    for assurance in [
        KeyAssurance::AndroidStrongBox,
        KeyAssurance::AndroidTee,
        KeyAssurance::AppleAppAttest,
    ] {
        match strict.verify_qr_text(&code(assurance), at) {
            Verdict::Valid(p) => assert_eq!(p.key_assurance, assurance),
            other => panic!("{assurance:?}: {other:?}"),
        }
    }
}
