//! The QR size budget from DESIGN.md, measured with a 20-byte UTF-8 display name.
//!
//! DESIGN.md says a static code fits version 10 at ECC M. It cannot: the fixed content of a pass (issuer
//! signature 64 B, holder key 32 B, pass id 16 B, key id 8 B) plus a 20-byte name and a birth date is
//! already 150 bytes, CBOR/COSE framing adds about 65, and Base45 turns 215 bytes into 323 characters
//! (+4 for `DP1:`), more than version 10-M's 311. The static code therefore needs version 11 (362
//! characters at M); see docs/qr-size.md.

use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
use doorpass_format::keys::generate_signing_key;
use doorpass_format::pass::{Pass, PassClaims, PassKind};
use doorpass_format::qr::{ErrorCorrection, QrMatrix};
use doorpass_format::{KeyAssurance, Presentation, StatusReference};

fn pass_with_name(name: &str, issuer_id: &str) -> (Pass, doorpass_format::SigningKey) {
    pass_with(name, issuer_id, None)
}

fn pass_with(
    name: &str,
    issuer_id: &str,
    status: Option<StatusReference>,
) -> (Pass, doorpass_format::SigningKey) {
    let holder = generate_signing_key();
    (pass_for(&holder, name, issuer_id, status), holder)
}

/// A pass bound to `holder` (Ed25519 or P-256).
fn pass_for(
    holder: &impl HolderSigner,
    name: &str,
    issuer_id: &str,
    status: Option<StatusReference>,
) -> Pass {
    attested_pass_for(holder, name, issuer_id, status, KeyAssurance::Unattested)
}

/// A pass bound to `holder` whose key an attestation showed to be as `key_assurance` says.
fn attested_pass_for(
    holder: &impl HolderSigner,
    name: &str,
    issuer_id: &str,
    status: Option<StatusReference>,
    key_assurance: KeyAssurance,
) -> Pass {
    let issuer = generate_signing_key();
    let now = 1_800_000_000;
    let claims = PassClaims {
        key_assurance,
        issuer_id: issuer_id.into(),
        issued_at: now,
        not_before: now,
        expires_at: now + 365 * 86_400,
        pass_id: rand::random(),
        holder_key: holder.holder_public_key(),
        display_name: name.into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::NegativeTest,
        renew_after: now + 300 * 86_400,
        status,
    };
    Pass::issue(&claims, &issuer).unwrap()
}

#[test]
fn rotating_code_with_20_byte_name_fits_version_13_at_m() {
    for name in [
        "이서연 Lee Seoyun",
        "Maximilian Schneider",
        "ABCDEFGHIJKLMNOPQRST",
    ] {
        assert_eq!(name.len(), 20);
        let (pass, holder) = pass_with_name(name, "KR-KDCA");
        let text = Presentation::rotating(pass.bytes(), &holder, 1_800_000_123).to_qr_text();
        let qr = QrMatrix::encode(&text, ErrorCorrection::Medium).unwrap();
        assert!(
            qr.version() <= 13,
            "{name}: version {} for {} characters",
            qr.version(),
            text.len()
        );
    }
}

#[test]
fn static_code_with_20_byte_name_fits_version_11_at_m() {
    let (pass, _) = pass_with_name("이서연 Lee Seoyun", "KR-KDCA");
    let text = Presentation::fixed(pass.bytes()).to_qr_text();
    let qr = QrMatrix::encode(&text, ErrorCorrection::Medium).unwrap();
    assert!(
        qr.version() <= 11,
        "version {} for {} characters",
        qr.version(),
        text.len()
    );
    // Version 10-M holds 311 alphanumeric characters; the static code needs more (see module docs).
    assert!(
        text.len() > 311,
        "if this fails, DESIGN.md's version-10 claim became true: tighten the bound"
    );
}

/// The QR version (ECC M) `text` needs in alphanumeric mode alone: the bound every code of its
/// length meets. The encoder may do better where the Base45 text happens to hold runs of digits
/// (numeric segments), which depends on the random keys and signatures: measuring that made the
/// figures below vary from run to run. The length of a DP1 text does not.
fn alphanumeric_version(text: &str) -> usize {
    let same_length_without_digits = "A".repeat(text.len());
    let bound = QrMatrix::encode(&same_length_without_digits, ErrorCorrection::Medium).unwrap();
    let shipped = QrMatrix::encode(text, ErrorCorrection::Medium).unwrap();
    assert!(
        shipped.version() <= bound.version(),
        "the shipped code must never need more than alphanumeric mode alone"
    );
    usize::from(bound.version())
}

/// The QR version of a rotating code with a 20-byte name and a status claim naming `uri`, at an
/// index that needs the largest encoding a list of up to 2^24 entries can (4 bytes).
fn rotating_version_with_status(uri: &str) -> (usize, usize) {
    let status = StatusReference {
        index: (1 << 24) - 1,
        uri: uri.into(),
    };
    let (pass, holder) = pass_with("이서연 Lee Seoyun", "KR-KDCA", Some(status));
    let text = Presentation::rotating(pass.bytes(), &holder, 1_800_000_123).to_qr_text();
    (text.len(), alphanumeric_version(&text))
}

#[test]
fn rotating_code_with_a_status_claim_fits_version_14_at_m() {
    // A short list URI as an issuer would publish it (docs/qr-size.md).
    let (chars, version) = rotating_version_with_status("https://kdca.kr/s/1");
    assert!(version <= 14, "version {version} for {chars} characters");
    // And the longest URI that still fits version 14, so the docs' figure is checked too.
    let longest = (1..=64)
        .take_while(|&n| {
            rotating_version_with_status(&format!("https://{}", "a".repeat(n))).1 <= 14
        })
        .last()
        .map_or(0, |n| n + 8);
    assert_eq!(
        longest, LONGEST_STATUS_URI_AT_VERSION_14,
        "update docs/qr-size.md"
    );
}

/// The longest list URI a rotating code with a 20-byte name fits in version 14-M (docs/qr-size.md).
const LONGEST_STATUS_URI_AT_VERSION_14: usize = 21;

/// The QR text length and version (M) of a rotating code with a P-256 holder key (issue 22), a
/// 20-byte name and a status claim naming `uri` at a 4-byte index.
fn p256_rotating_with_status(name: &str, uri: &str) -> (usize, usize) {
    let phone = generate_p256_signing_key();
    let status = StatusReference {
        index: (1 << 24) - 1,
        uri: uri.into(),
    };
    let pass = pass_for(&phone, name, "KR-KDCA", Some(status));
    let text = Presentation::rotating(pass.bytes(), &phone, 1_800_000_123).to_qr_text();
    (text.len(), alphanumeric_version(&text))
}

#[test]
fn rotating_code_with_a_p256_holder_key_and_a_status_claim_fits_version_14_at_m() {
    for name in [
        "이서연 Lee Seoyun",
        "Maximilian Schneider",
        "ABCDEFGHIJKLMNOPQRST",
    ] {
        assert_eq!(name.len(), 20);
        let (chars, version) = p256_rotating_with_status(name, "https://kdca.kr/s/1");
        assert!(
            version <= 14,
            "{name}: version {version} for {chars} characters"
        );
        // The compressed point costs 2 bytes more than an Ed25519 key (kty 2, and `-3: bool`), so
        // 3 characters of Base45: the figure docs/qr-size.md gives.
        let (ed_chars, _) = rotating_version_with_status("https://kdca.kr/s/1");
        assert_eq!(
            chars,
            ed_chars + P256_EXTRA_CHARACTERS,
            "update docs/qr-size.md"
        );
    }
    let longest = (1..=64)
        .take_while(|&n| {
            p256_rotating_with_status("이서연 Lee Seoyun", &format!("https://{}", "a".repeat(n))).1
                <= 14
        })
        .last()
        .map_or(0, |n| n + 8);
    assert_eq!(
        longest, LONGEST_STATUS_URI_AT_VERSION_14_P256,
        "update docs/qr-size.md"
    );
}

/// Characters a P-256 holder key adds to a rotating code (docs/qr-size.md).
const P256_EXTRA_CHARACTERS: usize = 3;
/// The longest list URI a rotating code with a P-256 holder key fits in version 14-M.
const LONGEST_STATUS_URI_AT_VERSION_14_P256: usize = 19;

/// The QR text length and version (M) of a rotating code with a P-256 holder key whose assurance
/// claim (`dp` key 5, issue 22 part 3) says `key_assurance`, a 20-byte name and a status claim
/// naming `uri` at a 4-byte index.
fn attested_p256_rotating_with_status(key_assurance: KeyAssurance, uri: &str) -> (usize, usize) {
    let phone = generate_p256_signing_key();
    let status = StatusReference {
        index: (1 << 24) - 1,
        uri: uri.into(),
    };
    let pass = attested_pass_for(
        &phone,
        "이서연 Lee Seoyun",
        "KR-KDCA",
        Some(status),
        key_assurance,
    );
    let text = Presentation::rotating(pass.bytes(), &phone, 1_800_000_123).to_qr_text();
    (text.len(), alphanumeric_version(&text))
}

#[test]
fn rotating_code_with_a_p256_key_its_assurance_and_a_status_claim_fits_version_14_at_m() {
    // The assurance claim costs 3 characters, so the list URI must be 2 bytes shorter than for an
    // unattested P-256 pass: `https://kdca.kr/1` (17 bytes) fits where `https://kdca.kr/s/1`
    // (19) no longer does (docs/qr-size.md).
    let uri = "https://kdca.kr/1";
    assert_eq!(uri.len(), LONGEST_STATUS_URI_AT_VERSION_14_ATTESTED_P256);
    let (unattested, _) = attested_p256_rotating_with_status(KeyAssurance::Unattested, uri);
    for assurance in [
        KeyAssurance::AndroidTee,
        KeyAssurance::AndroidStrongBox,
        KeyAssurance::AppleAppAttest,
    ] {
        let (chars, version) = attested_p256_rotating_with_status(assurance, uri);
        assert!(
            version <= 14,
            "{assurance:?}: version {version} for {chars} characters"
        );
        // `5: n` is 2 bytes of CBOR: 3 characters of Base45 (docs/qr-size.md).
        assert_eq!(
            chars,
            unattested + ASSURANCE_EXTRA_CHARACTERS,
            "update docs/qr-size.md"
        );
    }
    let longest = (1..=64)
        .take_while(|&n| {
            attested_p256_rotating_with_status(
                KeyAssurance::AndroidStrongBox,
                &format!("https://{}", "a".repeat(n)),
            )
            .1 <= 14
        })
        .last()
        .map_or(0, |n| n + 8);
    assert_eq!(
        longest, LONGEST_STATUS_URI_AT_VERSION_14_ATTESTED_P256,
        "update docs/qr-size.md"
    );
}

/// Characters the key assurance claim adds to a rotating code when the key is attested.
const ASSURANCE_EXTRA_CHARACTERS: usize = 3;
/// The longest list URI a rotating code with an attested P-256 holder key fits in version 14-M.
const LONGEST_STATUS_URI_AT_VERSION_14_ATTESTED_P256: usize = 17;
