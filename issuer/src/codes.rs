//! One-time codes and refresh tokens: generation, keyed hashing and constant-time comparison.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Digits in a one-time code.
pub const CODE_LENGTH: u32 = 6;

/// A fresh one-time code, uniformly random.
pub fn new_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Whether `code` has the shape of a one-time code (so garbage does not cost a try).
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == CODE_LENGTH as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// The stored form of a code: SHA-256 over a server secret, the challenge id and the code. Without the
/// secret, a stolen database does not give the 10⁶ possible codes away.
pub fn code_hash(secret: &[u8; 32], challenge_id: &[u8; 16], code: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(secret)
        .chain_update(challenge_id)
        .chain_update(code.as_bytes())
        .finalize()
        .into()
}

/// Compares two hashes in constant time.
pub fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// A fresh refresh token (32 random bytes).
pub fn new_refresh_token() -> [u8; 32] {
    rand::rngs::OsRng.r#gen()
}

/// The stored form of a refresh token. Tokens are 256 random bits, so a plain hash suffices.
pub fn token_hash(token: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// Seals `successor` (the token a renewal gave out) under a key derived from `used` (the token it
/// replaced), or opens such a seal: the same XOR both ways. The database stores only hashes of tokens,
/// so only whoever presents `used` again can recover `successor`. Each key seals exactly one token (a
/// token is exchanged once), which is what makes a one-time pad from SHA-256 sound here; the result
/// is checked against the successor's stored hash after opening.
pub fn seal_successor(used: &[u8; 32], successor: &[u8; 32]) -> [u8; 32] {
    let pad: [u8; 32] = Sha256::new()
        .chain_update(b"doorpass successor seal v1")
        .chain_update(used)
        .finalize()
        .into();
    std::array::from_fn(|i| successor[i] ^ pad[i])
}

/// The key a completed enrolment's refresh token is sealed under ([`seal_successor`]) so that a retry
/// of the same completion whose answer was lost can be answered again: derived from the server's code
/// secret, the challenge and the code. The database holds only the code's keyed hash, under another
/// label, so neither it nor a stolen database opens the seal.
pub fn completion_seal_key(secret: &[u8; 32], challenge_id: &[u8; 16], code: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"doorpass completion seal v1")
        .chain_update(secret)
        .chain_update(challenge_id)
        .chain_update(code.as_bytes())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hash_per_challenge() {
        for _ in 0..100 {
            assert!(is_code_shaped(&new_code()));
        }
        assert!(!is_code_shaped("12345a") && !is_code_shaped("1234567"));
        let s = [1; 32];
        assert_ne!(
            code_hash(&s, &[1; 16], "123456"),
            code_hash(&s, &[2; 16], "123456")
        );
        assert!(same(
            &code_hash(&s, &[1; 16], "123456"),
            &code_hash(&s, &[1; 16], "123456")
        ));
        assert_ne!(new_refresh_token(), new_refresh_token());
    }

    #[test]
    fn a_sealed_successor_opens_only_with_the_used_token() {
        let (used, successor) = (new_refresh_token(), new_refresh_token());
        let sealed = seal_successor(&used, &successor);
        assert_ne!(sealed, successor);
        assert_eq!(seal_successor(&used, &sealed), successor);
        assert_ne!(seal_successor(&new_refresh_token(), &sealed), successor);
    }

    #[test]
    fn a_completion_seal_key_needs_the_secret_the_challenge_and_the_code() {
        let key = completion_seal_key(&[1; 32], &[2; 16], "123456");
        assert_ne!(key, code_hash(&[1; 32], &[2; 16], "123456"));
        assert_ne!(key, completion_seal_key(&[9; 32], &[2; 16], "123456"));
        assert_ne!(key, completion_seal_key(&[1; 32], &[3; 16], "123456"));
        assert_ne!(key, completion_seal_key(&[1; 32], &[2; 16], "123457"));
    }
}
