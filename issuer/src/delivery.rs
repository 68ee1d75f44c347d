//! Delivering one-time codes to subjects.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Sends a one-time code to a subject (by SMS, e-mail, a letter…). Implementations must not log the code.
pub trait CodeDelivery: Send + Sync {
    /// Sends `code` to `subject`. A failure is reported to the operator; the client is not told, so
    /// the answer does not reveal who is registered.
    fn deliver(&self, subject: &str, code: &str) -> Result<(), String>;
}

/// Dev mode: keeps the last code per subject in memory, readable over `GET /dev/otp/{subject}`.
#[derive(Default)]
pub struct DevDelivery {
    last: Mutex<HashMap<String, String>>,
}

impl DevDelivery {
    /// The last code sent to `subject`.
    pub fn last_code(&self, subject: &str) -> Option<String> {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(subject)
            .cloned()
    }
}

impl CodeDelivery for DevDelivery {
    fn deliver(&self, subject: &str, code: &str) -> Result<(), String> {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(subject.to_string(), code.to_string());
        Ok(())
    }
}

/// Production default: appends `{"subject":…,"code":…}` lines to an outbox file (mode 0600) that the
/// operator's SMS or mail gateway consumes and truncates.
pub struct OutboxDelivery {
    path: PathBuf,
    lock: Mutex<()>,
}

impl OutboxDelivery {
    /// An outbox at `path`.
    pub fn new(path: PathBuf) -> Self {
        OutboxDelivery {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl CodeDelivery for OutboxDelivery {
    fn deliver(&self, subject: &str, code: &str) -> Result<(), String> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let line = serde_json::json!({ "subject": subject, "code": code }).to_string();
        options
            .open(&self.path)
            .and_then(|mut f| writeln!(f, "{line}"))
            .map_err(|e| format!("writing to the outbox {}: {e}", self.path.display()))
    }
}
