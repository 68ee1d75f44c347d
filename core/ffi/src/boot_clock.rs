//! The app's boot clock, called back from Rust with each issuer answer and each code: Android's
//! `SystemClock.elapsedRealtime()`, iOS's `clock_gettime(CLOCK_MONOTONIC)` (both count sleep), with
//! an id of the current boot.

use std::sync::Arc;

use doorpass_wallet::boot_clock::{BootClock as CoreBootClock, BootReading};

/// One reading of the device's boot clock.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BootClockReading {
    /// Milliseconds since the device started, counting time asleep (Android
    /// `SystemClock.elapsedRealtime()`; iOS `clock_gettime(CLOCK_MONOTONIC)`, which counts sleep
    /// on Darwin). Never the wall clock.
    pub elapsed_millis: u64,
    /// What names this boot, so a restart is seen even when the new reading is larger than an old
    /// one: Android `Settings.Global.BOOT_COUNT`, iOS `kern.bootsessionuuid`. Empty when unknown
    /// (a restart is then seen only by a smaller reading). At most 64 characters.
    pub boot_id: String,
}

/// A clock the user cannot set, that counts since the device started, asleep or awake. The wallet
/// reads it with each issuer answer and each code, and draws codes for "issuer time of the last
/// answer + elapsed since" when the device clock disagrees by more than the doors' tolerance (a
/// clock set ahead to photograph codes for later). Must be quick: it is read for every code.
#[uniffi::export(with_foreign)]
pub trait BootClock: Send + Sync {
    /// The boot clock now.
    fn read(&self) -> BootClockReading;
}

/// The app's boot clock, as the core's.
pub(crate) struct ForeignBootClock(pub(crate) Arc<dyn BootClock>);

impl CoreBootClock for ForeignBootClock {
    fn read(&self) -> Option<BootReading> {
        let reading = self.0.read();
        Some(BootReading {
            elapsed_millis: reading.elapsed_millis,
            boot_id: reading.boot_id,
        })
    }
}
