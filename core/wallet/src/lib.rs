//! Doorpass wallet: everything on a phone that needs storage or the network.
//!
//! Modules, one concept each:
//! - [`wallet`]: the holder's wallet — enrolment, the offline pass cache, QR codes, renewal,
//!   re-authentication.
//! - [`trust_cache`]: the cached trust list of a wallet or a door verifier (last good copy, no
//!   rollback, its age).
//! - [`door`]: a door verifier that keeps its own trust list and status lists.
//! - [`check_log`]: the door's log of checks per 10-minute bucket, for inspections.
//! - [`door_display`]: what a door in queue mode signals and shows (initials, birth day).
//! - [`holder_signer`]: the holder key a wallet signs through (software, or the platform's
//!   [`holder_signer::PlatformSigner`]) and normalising platform ECDSA signatures.
//! - [`key_attestation`]: the new, attested key a completion carries when the issuer asks for
//!   key attestation.
//! - [`status_cache`]: status lists (revocation) kept on the device, per list URI.
//! - [`issuer_client`]: the issuer API client, over an [`transport::HttpTransport`]
//!   ([`reqwest_transport`] by default).
//! - [`tls`]: which certificates the issuer may show (platform roots, a test build's extra
//!   roots, SPKI pins) and why one was refused ([`tls_verifier`] checks them).
//! - [`secret_store`]: where secrets live (`keyring_store` for the platform keystores).
//! - [`renewal_plan`]: how long a background renewal may wait for good conditions (unmetered
//!   network, charging) before it runs on any network.
//! - [`clock`], [`retry`]: time correction and backoff.
//! - [`boot_clock`]: the clock that counts since boot, which nobody sets, for the time codes are
//!   drawn for.

pub mod boot_clock;
pub mod check_log;
pub mod clock;
pub mod door;
pub mod door_display;
pub mod holder_signer;
pub mod issuer_client;
pub mod key_attestation;
#[cfg(feature = "platform-keystore")]
pub mod keyring_store;
#[cfg(feature = "http")]
pub mod peak_hours;
pub mod renewal_plan;
pub mod reqwest_transport;
pub mod retry;
pub mod secret_store;
pub mod status_cache;
pub mod tls;
#[cfg(feature = "http")]
pub mod tls_verifier;
pub mod transport;
pub mod trust_cache;
pub mod wallet;

pub use doorpass_format as format;
