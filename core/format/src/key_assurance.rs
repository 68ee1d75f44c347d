//! How strongly a pass's holder key is bound to a phone's secure hardware, as the issuer found it
//! from a key attestation at enrolment, and carried in the pass so that doors can show it and a
//! door's policy can require it.

use serde::{Deserialize, Serialize};

/// What the issuer knows of where a pass's holder key lives.
///
/// Only an attestation the issuer checked tells it: a key that came without one (software keys,
/// phones without secure hardware, issuers with attestation off, passes issued before it existed)
/// is [`KeyAssurance::Unattested`], whatever the phone may have used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAssurance {
    /// No checked attestation: the key may be in software.
    Unattested,
    /// An Android Keystore key in the phone's trusted execution environment (TEE), attested.
    AndroidTee,
    /// An Android Keystore key in a StrongBox secure element, attested.
    AndroidStrongBox,
    /// A Secure Enclave key of a genuine app instance on an Apple device, vouched for by App Attest.
    AppleAppAttest,
}

impl KeyAssurance {
    /// Every value, weakest first.
    pub const ALL: [KeyAssurance; 4] = [
        KeyAssurance::Unattested,
        KeyAssurance::AndroidTee,
        KeyAssurance::AndroidStrongBox,
        KeyAssurance::AppleAppAttest,
    ];

    /// Its number in the pass (0 = unattested, 1 = Android TEE, 2 = StrongBox, 3 = App Attest).
    pub fn code(self) -> u8 {
        match self {
            KeyAssurance::Unattested => 0,
            KeyAssurance::AndroidTee => 1,
            KeyAssurance::AndroidStrongBox => 2,
            KeyAssurance::AppleAppAttest => 3,
        }
    }

    /// The value for a number in a pass; `None` for numbers this version does not know.
    pub fn from_code(code: u64) -> Option<KeyAssurance> {
        KeyAssurance::ALL
            .into_iter()
            .find(|a| u64::from(a.code()) == code)
    }

    /// Whether an attestation showed the key to be in secure hardware.
    pub fn is_hardware_bound(self) -> bool {
        self != KeyAssurance::Unattested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for a in KeyAssurance::ALL {
            assert_eq!(KeyAssurance::from_code(a.code().into()), Some(a));
        }
        assert_eq!(KeyAssurance::from_code(4), None);
        assert!(!KeyAssurance::Unattested.is_hardware_bound());
        assert!(KeyAssurance::AndroidStrongBox.is_hardware_bound());
    }
}
