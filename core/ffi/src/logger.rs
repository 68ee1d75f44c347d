//! The core's log lines, handed to the app's logger (logcat, os_log). Lines never carry secrets.

use std::sync::{Arc, OnceLock, RwLock};

/// How much the core logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Failures.
    Error,
    /// Problems worked around (a damaged file set aside, a refused list).
    Warn,
    /// Milestones (a pass renewed, a trust list updated).
    Info,
    /// Details for QA.
    Debug,
}

/// Receives the core's log lines.
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    /// One line: its level, the core module it came from, and the message.
    fn log(&self, level: LogLevel, target: String, message: String);
}

static APP_LOGGER: RwLock<Option<Arc<dyn Logger>>> = RwLock::new(None);

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let logger = APP_LOGGER.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(logger) = logger {
            let level = match record.level() {
                log::Level::Error => LogLevel::Error,
                log::Level::Warn => LogLevel::Warn,
                log::Level::Info => LogLevel::Info,
                log::Level::Debug | log::Level::Trace => LogLevel::Debug,
            };
            logger.log(
                level,
                record.target().to_string(),
                record.args().to_string(),
            );
        }
    }

    fn flush(&self) {}
}

/// Sends the core's log lines at `max_level` and above to `logger`, replacing any earlier one.
#[uniffi::export]
pub fn set_logger(logger: Arc<dyn Logger>, max_level: LogLevel) {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    // Another Rust logger may already be installed in the process; then ours is not, and says so.
    let installed = *INSTALLED.get_or_init(|| log::set_logger(&Forwarder).is_ok());
    *APP_LOGGER.write().unwrap_or_else(|p| p.into_inner()) = Some(logger.clone());
    log::set_max_level(match max_level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
    });
    if !installed {
        logger.log(
            LogLevel::Warn,
            "doorpass_ffi".into(),
            "another logger is installed in this process; core lines go there".into(),
        );
    }
}
