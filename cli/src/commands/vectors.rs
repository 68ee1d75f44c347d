//! `doorpass vectors`: the DP1 test vectors, generated from fixed keys so that every run writes the
//! same bytes (Ed25519 signatures are deterministic).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use doorpass_format::keys::{self, SigningKey};
use doorpass_format::pass::{Pass, PassClaims, PassKind};
use doorpass_format::{
    HolderPublicKey, Presentation, StatusList, StatusListToken, StatusReference, TrustListContent,
    TrustedIssuer,
};
use serde_json::json;

use crate::output::write_file;

/// Time the vectors are built around: 2027-01-15T08:00:00Z, a multiple of the 30-s step.
pub const T0: u64 = 1_800_000_000;
pub(super) const DAY: u64 = 86_400;
pub(super) const ISSUER_ID: &str = "KR-KDCA-TEST";
/// The status list of the vectors, and the entries its two revocable passes use.
const STATUS_URI: &str = "https://kdca.kr/s/1";
const REVOKED_ENTRY: u64 = 77_777;
const CLEAR_ENTRY: u64 = 4_242;

/// A test key derived from a label (never use such keys outside tests).
pub(super) fn test_key(label: &str) -> SigningKey {
    use sha2::Digest;
    SigningKey::from_bytes(
        &sha2::Sha256::digest(format!("doorpass test vector key: {label}")).into(),
    )
}

fn claims(holder: &SigningKey, name: &str, not_before: u64, id: u8) -> PassClaims {
    claims_for(holder.verifying_key().into(), name, not_before, id)
}

/// The claims of a vector pass bound to any holder key (Ed25519 or P-256).
pub(super) fn claims_for(
    holder: HolderPublicKey,
    name: &str,
    not_before: u64,
    id: u8,
) -> PassClaims {
    PassClaims {
        key_assurance: doorpass_format::KeyAssurance::Unattested,
        issuer_id: ISSUER_ID.into(),
        issued_at: T0,
        not_before,
        expires_at: T0 + 30 * DAY,
        pass_id: [id; 16],
        holder_key: holder,
        display_name: name.into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: T0 + 25 * DAY,
        status: None,
    }
}

/// Writes the vectors into `out`.
pub fn write(out: &Path) -> Result<ExitCode> {
    let anchor = test_key("anchor");
    let issuer = test_key("issuer");
    let old_issuer = test_key("retired issuer");
    let stranger = test_key("unlisted issuer");
    let holder = test_key("holder");
    let other_holder = test_key("another phone");

    let trust_list = TrustListContent {
        version: 7,
        issued_at: T0 - DAY,
        next_update: T0 + 6 * DAY,
        issuers: vec![
            TrustedIssuer::new(
                issuer.verifying_key(),
                ISSUER_ID,
                T0 - 365 * DAY,
                T0 + 5 * 365 * DAY,
            ),
            TrustedIssuer::new(
                old_issuer.verifying_key(),
                ISSUER_ID,
                T0 - 400 * DAY,
                T0 - 100 * DAY,
            ),
        ],
    }
    .sign(&anchor);

    let issue = |c: &PassClaims, key: &SigningKey| Pass::issue(c, key).map(|p| p.bytes().to_vec());
    let valid = issue(&claims(&holder, "Kim Minji", T0, 0x11), &issuer)?;
    // 20 bytes of UTF-8: the size budget in DESIGN.md is stated for this length.
    let long_name = issue(&claims(&holder, "이서연 Lee Seoyun", T0, 0x12), &issuer)?;
    let future = issue(&claims(&holder, "Kim Minji", T0 + 10 * DAY, 0x13), &issuer)?;
    let unknown = issue(&claims(&holder, "Kim Minji", T0, 0x14), &stranger)?;
    let old_key = issue(&claims(&holder, "Kim Minji", T0, 0x15), &old_issuer)?;
    // Valid for 401 days: longer than a verifier's default maximum of 400 (a misused issuer key).
    let mut long_claims = claims(&holder, "Kim Minji", T0, 0x16);
    long_claims.expires_at = T0 + 401 * DAY;
    let too_long = issue(&long_claims, &issuer)?;
    // Two passes naming the status list: one whose entry it revokes, one whose entry is clear.
    let with_status = |id: u8, index: u64| {
        let mut c = claims(&holder, "Kim Minji", T0, id);
        c.status = Some(StatusReference {
            index,
            uri: STATUS_URI.into(),
        });
        issue(&c, &issuer)
    };
    let revoked = with_status(0x17, REVOKED_ENTRY)?;
    let revocable = with_status(0x18, CLEAR_ENTRY)?;
    let mut entries = StatusList::new(100_000);
    entries.revoke(REVOKED_ENTRY);
    let status_list = StatusListToken {
        uri: STATUS_URI.into(),
        issued_at: T0,
        // Unexpired at every case's time (the latest is just after the passes expire), since a
        // door refuses to take an expired list.
        expires_at: Some(T0 + 31 * DAY),
        ttl: Some(300),
        list: entries,
    }
    .sign(&issuer);
    let mut tampered = valid.clone();
    let at = tampered
        .windows(9)
        .position(|w| w == b"Kim Minji")
        .context("name not found in pass")?;
    tampered[at] = b'L'; // "Lim Minji": still a well-formed pass, but no longer the signed one.

    let exp = T0 + 30 * DAY;
    let rotating =
        |pass: &[u8], key: &SigningKey, at: u64| Presentation::rotating(pass, key, at).to_qr_text();
    let fixed = |pass: &[u8]| Presentation::fixed(pass).to_qr_text();
    let good = rotating(&valid, &holder, T0 + 100);
    let truncated = good[..good.len() / 2].to_string();
    // (name, QR text, verify at, allow static, expected verdict)
    let cases: Vec<(&str, String, u64, bool, &str)> = vec![
        ("valid_rotating", good.clone(), T0 + 100, false, "valid"),
        (
            "valid_rotating_20_byte_name",
            rotating(&long_name, &holder, T0 + 100),
            T0 + 100,
            false,
            "valid",
        ),
        (
            "valid_static_when_allowed",
            fixed(&valid),
            T0 + 100,
            true,
            "valid",
        ),
        (
            "static_refused_by_default",
            fixed(&valid),
            T0 + 100,
            false,
            "static_refused",
        ),
        (
            "clock_skew_within_tolerance",
            good.clone(),
            T0 + 155,
            false,
            "valid",
        ),
        (
            "stale_step_screenshot",
            good.clone(),
            T0 + 220,
            false,
            "stale_step",
        ),
        (
            "future_step",
            rotating(&valid, &holder, T0 + 300),
            T0 + 100,
            false,
            "future_step",
        ),
        (
            "expired",
            rotating(&valid, &holder, exp + 10),
            exp + 10,
            false,
            "expired",
        ),
        (
            "not_yet_valid",
            rotating(&future, &holder, T0 + 100),
            T0 + 100,
            false,
            "not_yet_valid",
        ),
        (
            "bad_holder_proof",
            rotating(&valid, &other_holder, T0 + 100),
            T0 + 100,
            false,
            "bad_holder_proof",
        ),
        (
            "bad_issuer_signature",
            rotating(&tampered, &holder, T0 + 100),
            T0 + 100,
            false,
            "bad_signature",
        ),
        (
            "unknown_issuer",
            rotating(&unknown, &holder, T0 + 100),
            T0 + 100,
            false,
            "unknown_issuer",
        ),
        (
            "issuer_key_retired_before_issuance",
            rotating(&old_key, &holder, T0 + 100),
            T0 + 100,
            false,
            "issuer_key_not_valid_at_issuance",
        ),
        (
            "lifetime_longer_than_policy",
            rotating(&too_long, &holder, T0 + 100),
            T0 + 100,
            false,
            "lifetime_too_long",
        ),
        (
            "revoked_in_status_list",
            rotating(&revoked, &holder, T0 + 100),
            T0 + 100,
            false,
            "revoked",
        ),
        (
            "valid_not_revoked_in_status_list",
            rotating(&revocable, &holder, T0 + 100),
            T0 + 100,
            false,
            "valid",
        ),
        (
            "malformed_wrong_prefix",
            good.replacen("DP1:", "HC1:", 1),
            T0 + 100,
            false,
            "malformed",
        ),
        (
            "malformed_not_base45",
            "DP1:!!!!".into(),
            T0 + 100,
            false,
            "malformed",
        ),
        (
            "malformed_truncated",
            truncated,
            T0 + 100,
            false,
            "malformed",
        ),
    ];
    // Issue 22: P-256 holder keys, appended so the Ed25519 cases keep their places.
    let p256 = super::vectors_p256::vectors(&issuer, &valid, &holder)?;
    let mut cases = cases;
    cases.extend(p256.cases);

    std::fs::create_dir_all(out.join("passes"))
        .with_context(|| format!("creating {}", out.display()))?;
    keys::write_public_key(&out.join("anchor.pub.pem"), &anchor.verifying_key())?;
    keys::write_private_key(&out.join("anchor.key"), &anchor)?;
    keys::write_private_key(&out.join("issuer.key"), &issuer)?;
    keys::write_private_key(&out.join("holder.key"), &holder)?;
    keys::write_public_key(&out.join("holder.pub.pem"), &holder.verifying_key())?;
    write_file(&out.join("trust-list.cose"), &trust_list)?;
    write_file(&out.join("status-list.cose"), &status_list)?;
    for (name, bytes) in [
        ("valid", &valid),
        ("valid-20-byte-name", &long_name),
        ("not-yet-valid", &future),
        ("unknown-issuer", &unknown),
        ("retired-issuer-key", &old_key),
        ("tampered", &tampered),
        ("lifetime-401-days", &too_long),
        ("revoked", &revoked),
        ("revocable", &revocable),
    ] {
        write_file(&out.join("passes").join(format!("{name}.cose")), bytes)?;
    }
    for (name, bytes) in &p256.passes {
        write_file(&out.join("passes").join(format!("{name}.cose")), bytes)?;
    }
    let cases: Vec<_> = cases
        .into_iter()
        .map(|(name, qr, at, allow_static, expected)| {
            json!({ "name": name, "qr_text": qr, "at": at, "allow_static": allow_static,
                    "tolerance": 60, "expected": expected })
        })
        .collect();
    let manifest = json!({
        "format": "DP1",
        "generated_by": "cargo run -p doorpass -- vectors --out tests/vectors",
        "anchor": "anchor.pub.pem",
        "trust_list": "trust-list.cose",
        "status_list": "status-list.cose",
        "p256_holder_public_key": p256.holder_public_hex,
        "cases": cases,
    });
    write_file(
        &out.join("cases.json"),
        format!("{}\n", serde_json::to_string_pretty(&manifest)?).as_bytes(),
    )?;
    eprintln!(
        "wrote {} cases to {}",
        manifest["cases"].as_array().map_or(0, Vec::len),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
