//! The P-256 holder-key test vectors (issue 22): a pass whose `cnf` is a compressed P-256 point and
//! codes whose holder proof is ES256, plus the ways such a code or pass is wrong. Deterministic:
//! fixed keys and RFC 6979 nonces.

use anyhow::{Context, Result, anyhow};
use coset::cbor::Value;
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, TaggedCborSerializable};
use doorpass_format::holder_key::{HolderSigner, P256SigningKey};
use doorpass_format::keys::SigningKey;
use doorpass_format::pass::Pass;
use doorpass_format::presentation::{proof_message, step_at};
use doorpass_format::{HolderPublicKey, Presentation};
// RustCrypto's `Signer`, which ed25519-dalek's issuer keys implement too.
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::{Digest, Sha256};

use super::vectors::{T0, claims_for};

/// One case: (name, QR text, verify at, allow static, expected verdict).
pub(super) type Case = (&'static str, String, u64, bool, &'static str);

/// The P-256 cases and the pass files they use.
pub(super) struct P256Vectors {
    /// The cases, appended after the Ed25519 ones.
    pub cases: Vec<Case>,
    /// `passes/<name>.cose` files.
    pub passes: Vec<(&'static str, Vec<u8>)>,
    /// The phone's public key, compressed SEC1 hex (the pass's `cnf`).
    pub holder_public_hex: String,
}

/// A P-256 test key derived from a label (never use such keys outside tests).
fn p256_test_key(label: &str) -> Result<P256SigningKey> {
    let seed = Sha256::digest(format!("doorpass test vector P-256 key: {label}"));
    P256SigningKey::from_slice(&seed).map_err(|_| anyhow!("label {label} gives no P-256 scalar"))
}

/// Writes `pass` again with its payload changed by `edit`, signed by `issuer` (a well-signed pass
/// whose content no DP1 issuer would write).
fn resign(pass: &[u8], issuer: &SigningKey, edit: impl FnOnce(&mut Vec<u8>)) -> Result<Vec<u8>> {
    let sign1 = CoseSign1::from_tagged_slice(pass).map_err(|e| anyhow!("{e:?}"))?;
    let mut payload = sign1.payload.context("pass has no payload")?;
    edit(&mut payload);
    CoseSign1Builder::new()
        .protected(sign1.protected.header)
        .payload(payload)
        .create_signature(b"", |tbs| issuer.sign(tbs).to_bytes().to_vec())
        .build()
        .to_tagged_vec()
        .map_err(|e| anyhow!("{e:?}"))
}

/// Where the compressed key's x coordinate (32 bytes) starts in a pass payload: after
/// `-2 (0x21): bstr 32 (0x58 0x20)`.
fn x_offset(payload: &[u8], x: &[u8]) -> Option<usize> {
    let needle = [&[0x21, 0x58, 0x20][..], x].concat();
    payload
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + 3)
}

/// An x coordinate with no point on P-256 (x³ − 3x + b is not a square), found deterministically.
fn x_not_on_curve() -> Result<[u8; 32]> {
    (0u8..=255)
        .map(|i| {
            let mut x = [0u8; 32];
            x[31] = i;
            x
        })
        .find(|x| HolderPublicKey::from_bytes(&[&[0x02][..], x].concat()).is_err())
        .context("no x off the curve")
}

/// A rotating code for `pass` at `at` carrying `proof` as given (any length).
fn code_with_proof(pass: &[u8], at: u64, proof: Vec<u8>) -> Result<String> {
    let array = Value::Array(vec![
        Value::Bytes(pass.to_vec()),
        Value::Integer(step_at(at).into()),
        Value::Bytes(proof),
    ]);
    let bytes = array.to_vec().map_err(|e| anyhow!("{e:?}"))?;
    Ok(format!("DP1:{}", base45::encode(bytes)))
}

/// Builds the P-256 cases, with passes signed by `issuer`; `ed25519_pass` is a valid pass bound to
/// the Ed25519 `ed25519_holder`.
pub(super) fn vectors(
    issuer: &SigningKey,
    ed25519_pass: &[u8],
    ed25519_holder: &SigningKey,
) -> Result<P256Vectors> {
    let phone = p256_test_key("phone")?;
    let other_phone = p256_test_key("another phone")?;
    let public = phone.holder_public_key();
    let compressed = public.to_bytes();
    let at = T0 + 100;

    let valid = Pass::issue(&claims_for(public, "Kim Minji", T0, 0x21), issuer)?
        .bytes()
        .to_vec();
    let x = &compressed[1..];
    let off_curve = x_not_on_curve()?;
    let not_on_curve = resign(&valid, issuer, |payload| {
        if let Some(start) = x_offset(payload, x) {
            payload[start..start + 32].copy_from_slice(&off_curve);
        }
    })?;
    let uncompressed_y = p256::PublicKey::from_sec1_bytes(&compressed)
        .map_err(|_| anyhow!("the phone key is on the curve"))?
        .to_encoded_point(false)
        .y()
        .context("an uncompressed point has y")?
        .to_vec();
    let uncompressed = resign(&valid, issuer, |payload| {
        if let Some(start) = x_offset(payload, x) {
            // `-3: true|false` (0x22 0xf5|0xf4) becomes `-3: bstr 32 y`.
            let y_at = start + 32;
            let y = [&[0x22, 0x58, 0x20][..], &uncompressed_y].concat();
            payload.splice(y_at..y_at + 2, y);
        }
    })?;
    // Each forged pass must differ from the valid one, or an edit above found nothing.
    anyhow::ensure!(
        not_on_curve != valid && uncompressed != valid,
        "edit missed"
    );

    let good = Presentation::rotating(&valid, &phone, at);
    let Presentation::Rotating { proof, .. } = &good else {
        anyhow::bail!("rotating");
    };
    let der = p256::ecdsa::Signature::from_slice(proof)?.to_der();
    let signature = p256::ecdsa::Signature::from_slice(proof)?;
    let (r, s) = signature.split_scalars();
    let high_s = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes())?;
    // Plain ECDSA accepts the twin; a DP1 door must not.
    let digest: [u8; 32] = Sha256::digest(&valid).into();
    let message = proof_message(&digest, step_at(at));
    p256::ecdsa::signature::Verifier::verify(phone.verifying_key(), &message, &high_s)?;

    let cases: Vec<Case> = vec![
        ("p256_valid_rotating", good.to_qr_text(), at, false, "valid"),
        (
            "p256_wrong_holder_key",
            Presentation::rotating(&valid, &other_phone, at).to_qr_text(),
            at,
            false,
            "bad_holder_proof",
        ),
        (
            "p256_der_signature",
            code_with_proof(&valid, at, der.as_bytes().to_vec())?,
            at,
            false,
            "malformed",
        ),
        (
            "p256_high_s_signature",
            code_with_proof(&valid, at, high_s.to_bytes().to_vec())?,
            at,
            false,
            "bad_holder_proof",
        ),
        (
            "p256_point_not_on_curve",
            Presentation::rotating(&not_on_curve, &phone, at).to_qr_text(),
            at,
            false,
            "malformed",
        ),
        (
            "p256_uncompressed_point_refused",
            Presentation::rotating(&uncompressed, &phone, at).to_qr_text(),
            at,
            false,
            "malformed",
        ),
        (
            "p256_proof_for_an_ed25519_pass",
            Presentation::rotating(ed25519_pass, &phone, at).to_qr_text(),
            at,
            false,
            "bad_holder_proof",
        ),
        (
            "ed25519_proof_for_a_p256_pass",
            Presentation::rotating(&valid, ed25519_holder, at).to_qr_text(),
            at,
            false,
            "bad_holder_proof",
        ),
    ];
    Ok(P256Vectors {
        cases,
        passes: vec![
            ("p256-valid", valid),
            ("p256-point-not-on-curve", not_on_curve),
            ("p256-uncompressed-point", uncompressed),
        ],
        holder_public_hex: doorpass_format::keys::hex(&compressed),
    })
}
