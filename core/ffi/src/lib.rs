//! Doorpass for phone apps: the wallet and the door verifier, exported through uniffi to Kotlin
//! (`org.doorpass.core`) and Swift (`DoorpassCore`).
//!
//! This crate only wraps: every exported object is a facade over a core type, every record a copy of
//! a core record in FFI-friendly types (owned strings, `u32`/`u64`, no paths or key types), and every
//! error becomes one [`DoorpassError`] an app can act on. Network calls are `suspend` in Kotlin and
//! `async` in Swift; they run on a runtime this crate owns and finish even if the caller stops
//! waiting, so a cancelled call never leaves a refresh token half-spent.
//!
//! Times are Unix seconds by the device clock; the core corrects them with the issuer's clock and
//! reports the correction in [`ClockStatus`]. Codes follow the app's [`BootClock`] (or the system's)
//! when the device clock was set away from the time kept since the issuer's last answer.
//!
//! On Android the app first calls `PlatformTls.init(context)` (`android_tls`, a plain JNI function):
//! the platform's TLS verifier needs the app's `Context` before the first HTTPS call.

uniffi::setup_scaffolding!();

mod anchor;
#[cfg(target_os = "android")]
mod android_tls;
mod boot_clock;
mod check_log;
mod door;
mod door_records;
mod error;
mod holder_signer;
mod logger;
mod records;
mod runtime;
mod secrets;
mod wallet;

pub use anchor::Anchor;
pub use boot_clock::{BootClock, BootClockReading};
pub use check_log::CheckLogSummary;
pub use door::{DoorConfig, DoorVerifier};
pub use door_records::*;
pub use error::{DoorpassError, SecretStoreFailure};
pub use holder_signer::{
    CreatedKey, HolderKeyAlgorithm, HolderSigner, HolderSignerFailure, PlatformAttestation,
    SoftwareP256Signer, app_attest_client_data_hash,
};
pub use logger::{LogLevel, Logger, set_logger};
pub use records::*;
pub use secrets::SecretStore;
pub use wallet::{Wallet, WalletConfig};
