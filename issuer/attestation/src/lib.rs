//! Key attestation checks for the issuer: does a holder key live in a phone's secure hardware?
//!
//! Two platforms, one question each:
//! - [`android`]: an Android Keystore attestation chain (leaf first) up to a configured root
//!   (Google's hardware attestation roots in production), whose leaf certifies the holder key and
//!   whose KeyDescription extension carries the issuer's challenge, a hardware security level
//!   (TEE or StrongBox), the sign purpose and a key generated (not imported) in hardware.
//! - [`apple`]: an App Attest attestation object up to Apple's App Attestation root, for the
//!   configured app (team id + bundle id), with counter 0, in the configured environment, whose
//!   client data hash binds the issuer's challenge and the holder key.
//!
//! [`roots`] holds the production roots bundled in the crate and loaders for operator files.
//! With the `testing` feature, [`testing`] builds attestations under a test root.
//!
//! Everything here is pure: bytes and a time in, an [`doorpass_format::KeyAssurance`] or an
//! [`AttestationError`] out. Nothing panics on input.

pub mod android;
pub mod apple;
mod chain;
mod der;
mod error;
mod key_description;
pub mod roots;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::AttestationError;
