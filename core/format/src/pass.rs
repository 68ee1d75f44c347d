//! The DP1 pass: a CWT claims set about one holder, signed by an issuer as a COSE_Sign1.

use ciborium::Value;
use coset::cwt::{ClaimName, ClaimsSet, Timestamp};
use coset::{CborSerializable, iana};
use sha2::{Digest, Sha256};

use crate::cbor::{self, IntMap, invalid};
use crate::cose::Signed;
use crate::error::FormatError;
use crate::holder_key::HolderPublicKey;
use crate::keys::{KeyId, SigningKey, VerifyingKey};
use crate::status_list::{STATUS_CLAIM, StatusReference, split_status_claim};

/// Private CWT claim holding the Doorpass details (display name, birth date, kind, renew-after).
pub const DP_CLAIM: i64 = -65537;
/// Largest pass accepted, in bytes. A QR code cannot carry more than about 2.9 kB anyway.
pub const MAX_PASS_LEN: usize = 4096;
/// Largest display name accepted, in bytes of UTF-8.
pub const MAX_DISPLAY_NAME_LEN: usize = 64;
/// Length of a pass id (`cti`), in bytes.
pub const PASS_ID_LEN: usize = 16;

/// What the pass attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassKind {
    /// Vaccination (1).
    Vaccination,
    /// Recovery from the illness (2).
    Recovery,
    /// Medical exemption (3).
    MedicalExemption,
    /// A negative test (4).
    NegativeTest,
}

impl PassKind {
    /// Every kind, in code order.
    pub const ALL: [PassKind; 4] = [
        PassKind::Vaccination,
        PassKind::Recovery,
        PassKind::MedicalExemption,
        PassKind::NegativeTest,
    ];

    /// The number DP1 uses for this kind.
    pub fn code(self) -> u64 {
        match self {
            PassKind::Vaccination => 1,
            PassKind::Recovery => 2,
            PassKind::MedicalExemption => 3,
            PassKind::NegativeTest => 4,
        }
    }

    /// The kind with DP1 number `code`, if any.
    pub fn from_code(code: u64) -> Option<Self> {
        PassKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The short name used on command lines and in CSV files.
    pub fn short_name(self) -> &'static str {
        match self {
            PassKind::Vaccination => "vaccination",
            PassKind::Recovery => "recovery",
            PassKind::MedicalExemption => "exemption",
            PassKind::NegativeTest => "test",
        }
    }

    /// The kind with short name `name` (as printed by [`PassKind::short_name`]).
    pub fn from_short_name(name: &str) -> Option<Self> {
        PassKind::ALL.into_iter().find(|k| k.short_name() == name)
    }

    /// A label for people, e.g. "Vaccination".
    pub fn label(self) -> &'static str {
        match self {
            PassKind::Vaccination => "Vaccination",
            PassKind::Recovery => "Recovery",
            PassKind::MedicalExemption => "Medical exemption",
            PassKind::NegativeTest => "Negative test",
        }
    }
}

/// Everything a pass says, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassClaims {
    /// `iss`: the issuer's id, which must match the trust list entry of the signing key.
    pub issuer_id: String,
    /// `iat`: when the pass was issued (seconds since the Unix epoch).
    pub issued_at: u64,
    /// `nbf`: the pass is valid from this moment on.
    pub not_before: u64,
    /// `exp`: the pass is valid until just before this moment.
    pub expires_at: u64,
    /// `cti`: 16 random bytes naming this pass.
    pub pass_id: [u8; PASS_ID_LEN],
    /// `cnf`: the holder's public key (Ed25519 or P-256); rotating presentations are signed with its
    /// private half, by the algorithm of its kind.
    pub holder_key: HolderPublicKey,
    /// The holder's name as shown at the door.
    pub display_name: String,
    /// The holder's birth date, `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// What the pass attests.
    pub kind: PassKind,
    /// From this moment on the wallet should renew the pass (set by the issuer).
    pub renew_after: u64,
    /// Where the pass's revocation status is published, if it has one.
    pub status: Option<StatusReference>,
    /// Whether an attestation showed the holder key to be in secure hardware (`dp` key 5; absent
    /// for unattested keys, so such passes keep their bytes).
    pub key_assurance: crate::KeyAssurance,
}

impl PassClaims {
    /// Checks the rules every pass must follow; the same rules apply when issuing and when reading.
    pub fn validate(&self) -> Result<(), FormatError> {
        if self.issuer_id.is_empty() {
            return Err(invalid("iss", "empty"));
        }
        if self.display_name.trim().is_empty() {
            return Err(invalid("display name", "empty"));
        }
        if self.display_name.len() > MAX_DISPLAY_NAME_LEN {
            return Err(invalid(
                "display name",
                &format!("longer than {MAX_DISPLAY_NAME_LEN} bytes"),
            ));
        }
        if self.display_name.chars().any(char::is_control) {
            return Err(invalid("display name", "contains control characters"));
        }
        if !is_birth_date(&self.birth_date) {
            return Err(invalid("birth date", "not YYYY-MM-DD or YYYY"));
        }
        if self.not_before >= self.expires_at {
            return Err(invalid("exp", "not after nbf"));
        }
        if self.renew_after > self.expires_at {
            return Err(invalid("renew-after", "after exp"));
        }
        if let Some(status) = &self.status {
            status.validate()?;
        }
        Ok(())
    }

    /// The pass id as lower-case hex.
    pub fn pass_id_hex(&self) -> String {
        crate::keys::hex(&self.pass_id)
    }

    fn to_cbor(&self) -> Vec<u8> {
        let cnf = Value::Map(vec![(cbor::key(1), self.holder_key.to_cose_key())]);
        let mut dp = vec![
            (cbor::key(1), Value::Text(self.display_name.clone())),
            (cbor::key(2), Value::Text(self.birth_date.clone())),
            (cbor::key(3), cbor::uint(self.kind.code())),
            (cbor::key(4), cbor::uint(self.renew_after)),
        ];
        if self.key_assurance.is_hardware_bound() {
            dp.push((cbor::key(5), cbor::uint(self.key_assurance.code().into())));
        }
        let dp = Value::Map(dp);
        // Claim keys 1, 4, 5, 6, 7, 8, (65535,) -65537: coset writes them in this order, which is
        // the deterministic order (positive integers before negative ones, shorter ones first).
        let mut rest = vec![(ClaimName::Assigned(iana::CwtClaimName::Cnf), cnf)];
        if let Some(status) = &self.status {
            rest.push((ClaimName::PrivateUse(STATUS_CLAIM), status.to_cbor()));
        }
        rest.push((ClaimName::PrivateUse(DP_CLAIM), dp));
        let claims = ClaimsSet {
            issuer: Some(self.issuer_id.clone()),
            expiration_time: Some(timestamp(self.expires_at)),
            not_before: Some(timestamp(self.not_before)),
            issued_at: Some(timestamp(self.issued_at)),
            cwt_id: Some(self.pass_id.to_vec()),
            rest,
            ..ClaimsSet::default()
        };
        claims.to_vec().unwrap_or_default()
    }

    fn from_cbor(bytes: &[u8]) -> Result<Self, FormatError> {
        let (bytes, status) = split_status_claim(bytes)?;
        let status = status.map(StatusReference::from_cbor).transpose()?;
        let claims = ClaimsSet::from_slice(&bytes)?;
        let issuer_id = claims.issuer.ok_or(FormatError::MissingClaim("iss"))?;
        let expires_at = seconds(claims.expiration_time, "exp")?;
        let not_before = seconds(claims.not_before, "nbf")?;
        let issued_at = seconds(claims.issued_at, "iat")?;
        let pass_id = claims.cwt_id.ok_or(FormatError::MissingClaim("cti"))?;
        let pass_id: [u8; PASS_ID_LEN] = pass_id
            .as_slice()
            .try_into()
            .map_err(|_| invalid("cti", "not 16 bytes"))?;
        let mut cnf = None;
        let mut dp = None;
        for (name, value) in claims.rest {
            match name {
                ClaimName::Assigned(iana::CwtClaimName::Cnf) => cnf = Some(value),
                ClaimName::PrivateUse(DP_CLAIM) => dp = Some(value),
                _ => {} // Unknown claims are ignored, as CWT allows.
            }
        }
        let holder_key = holder_key_from_cnf(cnf.ok_or(FormatError::MissingClaim("cnf"))?)?;
        let mut dp = IntMap::new(dp.ok_or(FormatError::MissingClaim("dp"))?, "dp")?;
        let display_name = dp.text(1, "display name")?;
        let birth_date = dp.text(2, "birth date")?;
        let kind_code = dp.uint(3, "pass kind")?;
        let kind = PassKind::from_code(kind_code)
            .ok_or_else(|| invalid("pass kind", &format!("unknown kind {kind_code}")))?;
        let renew_after = dp.uint(4, "renew-after")?;
        // A number this version does not know is read as no assurance: a door requiring hardware
        // keys refuses rather than trusts what it cannot interpret.
        let key_assurance = dp
            .optional_uint(5, "key assurance")?
            .and_then(crate::KeyAssurance::from_code)
            .unwrap_or(crate::KeyAssurance::Unattested);
        let claims = PassClaims {
            key_assurance,
            issuer_id,
            issued_at,
            not_before,
            expires_at,
            pass_id,
            holder_key,
            display_name,
            birth_date,
            kind,
            renew_after,
            status,
        };
        claims.validate()?;
        Ok(claims)
    }
}

fn holder_key_from_cnf(cnf: Value) -> Result<HolderPublicKey, FormatError> {
    let mut cnf = IntMap::new(cnf, "cnf")?;
    HolderPublicKey::from_cose_key(cnf.map(1, "cnf COSE_Key")?)
}

fn timestamp(secs: u64) -> Timestamp {
    Timestamp::WholeSeconds(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn seconds(t: Option<Timestamp>, name: &'static str) -> Result<u64, FormatError> {
    match t.ok_or(FormatError::MissingClaim(name))? {
        Timestamp::WholeSeconds(s) => u64::try_from(s).map_err(|_| invalid(name, "negative")),
        Timestamp::FractionalSeconds(_) => Err(invalid(name, "not whole seconds")),
    }
}

/// Draws a renew-after time uniformly in the last third of `[not_before, expires_at)`, so that
/// wallets renewing the same day's passes spread their requests out instead of arriving together.
pub fn draw_renew_after(not_before: u64, expires_at: u64, rng: &mut impl rand::Rng) -> u64 {
    let lifetime = expires_at.saturating_sub(not_before);
    let start = not_before + lifetime - lifetime / 3;
    if start >= expires_at {
        start
    } else {
        rng.gen_range(start..expires_at)
    }
}

/// 16 random bytes for a new pass id.
pub fn new_pass_id() -> [u8; PASS_ID_LEN] {
    rand::random()
}

/// Whether `s` is `YYYY-MM-DD` (a real calendar date) or `YYYY`.
pub fn is_birth_date(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    // Only ASCII can be a date; checking first also keeps the byte slices below on char boundaries.
    if !s.is_ascii() {
        return false;
    }
    match s.len() {
        4 => digits(s),
        10 => {
            let (y, m, d) = (&s[0..4], &s[5..7], &s[8..10]);
            if !(digits(y) && digits(m) && digits(d) && &s[4..5] == "-" && &s[7..8] == "-") {
                return false;
            }
            let (year, month, day): (u32, u32, u32) = (
                y.parse().unwrap_or(0),
                m.parse().unwrap_or(0),
                d.parse().unwrap_or(0),
            );
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let days = match month {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

/// A signed pass: its exact bytes, its decoded claims, and the issuer key id that signed it.
///
/// Parsing checks structure only; whether the signature is good is asked of
/// [`Pass::verify_issuer_signature`] with a key from the trust list.
#[derive(Debug, Clone)]
pub struct Pass {
    bytes: Vec<u8>,
    signed: Signed,
    claims: PassClaims,
}

impl Pass {
    /// Issues a pass: checks `claims` and signs them with the issuer's key.
    pub fn issue(claims: &PassClaims, issuer_key: &SigningKey) -> Result<Pass, FormatError> {
        claims.validate()?;
        let bytes = crate::cose::sign(claims.to_cbor(), issuer_key);
        Pass::parse(&bytes)
    }

    /// Reads a pass from its COSE_Sign1 bytes (tagged or not), without checking the signature.
    pub fn parse(bytes: &[u8]) -> Result<Pass, FormatError> {
        if bytes.len() > MAX_PASS_LEN {
            return Err(FormatError::TooLong {
                len: bytes.len(),
                max: MAX_PASS_LEN,
            });
        }
        let signed = Signed::parse(bytes)?;
        let claims = PassClaims::from_cbor(&signed.payload)?;
        Ok(Pass {
            bytes: bytes.to_vec(),
            signed,
            claims,
        })
    }

    /// The exact bytes of the pass, as signed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded claims.
    pub fn claims(&self) -> &PassClaims {
        &self.claims
    }

    /// The key id of the issuer key that signed the pass.
    pub fn issuer_key_id(&self) -> KeyId {
        self.signed.kid
    }

    /// Whether the issuer signature checks against `issuer_key`.
    pub fn verify_issuer_signature(&self, issuer_key: &VerifyingKey) -> bool {
        self.signed.verify(issuer_key)
    }

    /// SHA-256 of the pass bytes, as bound into every rotating presentation.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// Whether the pass is inside its validity window at `now`: `nbf <= now < exp`.
    pub fn is_valid_at(&self, now: u64) -> bool {
        self.claims.not_before <= now && now < self.claims.expires_at
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::generate_signing_key;

    pub(crate) fn sample_claims(holder: &VerifyingKey) -> PassClaims {
        PassClaims {
            key_assurance: crate::KeyAssurance::Unattested,
            issuer_id: "KR-KDCA".into(),
            issued_at: 1_800_000_000,
            not_before: 1_800_000_000,
            expires_at: 1_800_000_000 + 30 * 86_400,
            pass_id: [9; 16],
            holder_key: (*holder).into(),
            display_name: "Kim Minji".into(),
            birth_date: "1990-04-01".into(),
            kind: PassKind::Vaccination,
            renew_after: 1_800_000_000 + 25 * 86_400,
            status: None,
        }
    }

    #[test]
    fn issue_then_parse_round_trips() {
        let issuer = generate_signing_key();
        let holder = generate_signing_key();
        let claims = sample_claims(&holder.verifying_key());
        let pass = Pass::issue(&claims, &issuer).unwrap();
        assert_eq!(pass.bytes()[0], 0xd2, "tagged COSE_Sign1");
        let parsed = Pass::parse(pass.bytes()).unwrap();
        assert_eq!(parsed.claims(), &claims);
        assert!(parsed.verify_issuer_signature(&issuer.verifying_key()));
        assert!(!parsed.verify_issuer_signature(&holder.verifying_key()));
        assert_eq!(parsed.issuer_key_id(), KeyId::of(&issuer.verifying_key()));
        // Untagged form is accepted as well.
        assert!(
            Pass::parse(&pass.bytes()[1..])
                .unwrap()
                .verify_issuer_signature(&issuer.verifying_key())
        );
    }

    #[test]
    fn encoding_is_deterministic_and_matches_the_spec_layout() {
        let issuer = SigningKey::from_bytes(&[1; 32]);
        let holder = SigningKey::from_bytes(&[2; 32]);
        let claims = sample_claims(&holder.verifying_key());
        let a = Pass::issue(&claims, &issuer).unwrap();
        let b = Pass::issue(&claims, &issuer).unwrap();
        assert_eq!(a.bytes(), b.bytes());
        // Payload keys in deterministic order: 1, 4, 5, 6, 7, 8, -65537.
        let Value::Map(map) = cbor::decode(&claims.to_cbor()).unwrap() else {
            panic!("payload is a map")
        };
        let keys: Vec<i128> = map
            .iter()
            .map(|(k, _)| i128::from(k.as_integer().unwrap()))
            .collect();
        assert_eq!(keys, vec![1, 4, 5, 6, 7, 8, -65537]);
    }

    #[test]
    fn a_forged_non_ascii_birth_date_is_refused_not_a_panic() {
        // A door parses the claims before it can check the signature, so anyone can put any text
        // there: swap the birth date's bytes for ten bytes that are not ten ASCII characters.
        let issuer = generate_signing_key();
        let claims = sample_claims(&generate_signing_key().verifying_key());
        let pass = Pass::issue(&claims, &issuer).unwrap();
        for forged in ["abc\u{e9}-1-01", "1990-0\u{e9}-1", "\u{1F600}\u{1F600}-1"] {
            assert_eq!(forged.len(), claims.birth_date.len());
            let bytes = replace_once(
                pass.bytes(),
                claims.birth_date.as_bytes(),
                forged.as_bytes(),
            );
            assert!(
                matches!(
                    Pass::parse(&bytes),
                    Err(FormatError::InvalidClaim {
                        claim: "birth date",
                        ..
                    })
                ),
                "{forged}"
            );
        }
    }

    fn replace_once(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = haystack
            .windows(from.len())
            .position(|w| w == from)
            .expect("present");
        [&haystack[..at], to, &haystack[at + from.len()..]].concat()
    }

    #[test]
    fn invalid_claims_are_refused_at_issue() {
        let issuer = generate_signing_key();
        let holder = generate_signing_key().verifying_key();
        let mut c = sample_claims(&holder);
        c.birth_date = "1990-02-30".into();
        assert!(matches!(
            Pass::issue(&c, &issuer),
            Err(FormatError::InvalidClaim {
                claim: "birth date",
                ..
            })
        ));
        let mut c = sample_claims(&holder);
        c.expires_at = c.not_before;
        assert!(Pass::issue(&c, &issuer).is_err());
        let mut c = sample_claims(&holder);
        c.display_name = "x".repeat(65);
        assert!(Pass::issue(&c, &issuer).is_err());
    }

    #[test]
    fn renew_after_is_in_the_last_third() {
        let mut rng = rand::thread_rng();
        for _ in 0..1000 {
            let r = draw_renew_after(300, 600, &mut rng);
            assert!((400..600).contains(&r), "{r}");
        }
        assert_eq!(draw_renew_after(5, 5, &mut rng), 5);
    }

    #[test]
    fn birth_dates() {
        for ok in ["1990", "2000-02-29", "1999-12-31"] {
            assert!(is_birth_date(ok), "{ok}");
        }
        for bad in [
            "",
            "199",
            "1900-02-29",
            "1990-13-01",
            "1990-1-01",
            "1990/01/01",
            "abcd",
            "1990-00-10",
            // Ten bytes that are not ten ASCII characters: byte slices would split a character.
            "abcé-1-01",
            "1990-0é-1",
            "😀😀-1",
        ] {
            assert!(!is_birth_date(bad), "{bad}");
        }
    }
}
