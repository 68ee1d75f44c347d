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
}
