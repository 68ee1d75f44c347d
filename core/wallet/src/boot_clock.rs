//! A clock that counts time since the device started, asleep or awake, and that nobody sets: what the
//! wallet measures elapsed time with since the issuer's last answer.
//!
//! The device's wall clock can be set by anyone holding the unlocked phone; a boot clock cannot. On
//! Linux and Android it is `CLOCK_BOOTTIME` (Android's `SystemClock.elapsedRealtime()`); on Apple
//! systems `CLOCK_MONOTONIC`, which counts sleep on Darwin. Shells pass their own through the FFI;
//! the CLI uses [`SystemBootClock`]; tests implement [`BootClock`] to move time or restart.

use std::sync::{Arc, OnceLock};

/// Longest boot id kept (a Linux boot id or a Darwin boot session UUID is 36 characters).
pub const MAX_BOOT_ID_LEN: usize = 64;

/// One reading of a boot clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BootReading {
    /// Milliseconds since the device started, including time asleep.
    pub elapsed_millis: u64,
    /// What names this boot (Linux `boot_id`, Darwin `kern.bootsessionuuid`, Android's boot count);
    /// empty when unknown. A different id means the device restarted.
    pub boot_id: String,
}

impl BootReading {
    /// The reading with a boot id the wallet can keep: one that is too long or holds control
    /// characters is treated as unknown (empty).
    pub fn sanitized(mut self) -> Self {
        let id = self.boot_id.trim();
        self.boot_id = if id.len() > MAX_BOOT_ID_LEN || id.chars().any(char::is_control) {
            String::new()
        } else {
            id.to_string()
        };
        self
    }
}

/// A clock that counts time since boot, asleep or awake, and that the user cannot set.
pub trait BootClock: Send + Sync {
    /// The current reading, or `None` when the clock cannot be read.
    fn read(&self) -> Option<BootReading>;
}

/// The operating system's boot clock: `CLOCK_BOOTTIME` with `/proc/sys/kernel/random/boot_id` on
/// Linux and Android, `CLOCK_MONOTONIC` with `kern.bootsessionuuid` on Apple systems.
#[derive(Debug, Default)]
pub struct SystemBootClock {
    boot_id: OnceLock<String>,
}

impl BootClock for SystemBootClock {
    fn read(&self) -> Option<BootReading> {
        let elapsed_millis = os::elapsed_millis()?;
        let boot_id = self.boot_id.get_or_init(os::boot_id).clone();
        Some(
            BootReading {
                elapsed_millis,
                boot_id,
            }
            .sanitized(),
        )
    }
}

/// The system's boot clock where this platform has one the wallet can read, else `None` (the wallet
/// then draws codes from the device clock alone).
pub fn system_boot_clock() -> Option<Arc<dyn BootClock>> {
    os::SUPPORTED.then(|| Arc::new(SystemBootClock::default()) as Arc<dyn BootClock>)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod os {
    pub const SUPPORTED: bool = true;

    pub fn elapsed_millis() -> Option<u64> {
        super::read_clock(libc::CLOCK_BOOTTIME)
    }

    pub fn boot_id() -> String {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default()
    }
}

#[cfg(target_vendor = "apple")]
mod os {
    pub const SUPPORTED: bool = true;

    /// On Darwin `CLOCK_MONOTONIC` keeps counting while the device sleeps.
    pub fn elapsed_millis() -> Option<u64> {
        super::read_clock(libc::CLOCK_MONOTONIC)
    }

    pub fn boot_id() -> String {
        let mut bytes = [0u8; 64];
        let mut size = bytes.len();
        // SAFETY: the name is a NUL-terminated string; `bytes` and `size` describe writable memory
        // of that size; nothing is written to the kernel (new value null, length 0).
        let failed = unsafe {
            libc::sysctlbyname(
                c"kern.bootsessionuuid".as_ptr(),
                bytes.as_mut_ptr().cast(),
                &mut size,
                std::ptr::null_mut(),
                0,
            )
        } != 0;
        if failed || size > bytes.len() {
            return String::new();
        }
        let value = &bytes[..size];
        let value = value.split(|b| *b == 0).next().unwrap_or_default();
        String::from_utf8_lossy(value).into_owned()
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod os {
    pub const SUPPORTED: bool = false;

    pub fn elapsed_millis() -> Option<u64> {
        None
    }

    pub fn boot_id() -> String {
        String::new()
    }
}

/// Reads a POSIX clock, in milliseconds.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn read_clock(clock: libc::clockid_t) -> Option<u64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return None;
    }
    let seconds = u64::try_from(now.tv_sec).ok()?;
    let millis = u64::try_from(now.tv_nsec).ok()? / 1_000_000;
    seconds.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    #[test]
    fn the_system_boot_clock_reads_and_never_goes_back() {
        let clock = system_boot_clock().expect("a boot clock on this platform");
        let first = clock.read().expect("readable");
        let second = clock.read().expect("readable");
        assert!(second.elapsed_millis >= first.elapsed_millis);
        assert_eq!(first.boot_id, second.boot_id);
        #[cfg(target_os = "linux")]
        assert_eq!(first.boot_id.len(), 36, "{first:?}");
    }

    #[test]
    fn an_unusable_boot_id_counts_as_unknown() {
        let id = |boot_id: &str| {
            BootReading {
                elapsed_millis: 5,
                boot_id: boot_id.into(),
            }
            .sanitized()
            .boot_id
        };
        assert_eq!(id(&"x".repeat(MAX_BOOT_ID_LEN + 1)), "");
        assert_eq!(id("a\u{0}b"), "");
        assert_eq!(id(" 7 \n"), "7");
    }
}
