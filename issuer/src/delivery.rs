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
///
/// The file is written by a thread of its own: `deliver` only queues the line, so answering an
/// enrolment start takes the same time whether or not the subject is registered (whether someone holds
/// a health pass must not show in response times), and no request waits on the disk. Dropping the
/// outbox writes what is queued before it returns.
pub struct OutboxDelivery {
    queue: Mutex<Option<std::sync::mpsc::Sender<String>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl OutboxDelivery {
    /// An outbox at `path`.
    pub fn new(path: PathBuf) -> Self {
        let (queue, lines) = std::sync::mpsc::channel::<String>();
        let writer = std::thread::spawn(move || {
            for line in lines {
                if let Err(e) = append_line(&path, &line) {
                    // The line holds a code: say what failed, never what was being written.
                    eprintln!(
                        "doorpass-issuer: code delivery failed: writing to the outbox {}: {e}",
                        path.display()
                    );
                }
            }
        });
        OutboxDelivery {
            queue: Mutex::new(Some(queue)),
            writer: Mutex::new(Some(writer)),
        }
    }
}

fn append_line(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{line}")
}

impl CodeDelivery for OutboxDelivery {
    fn deliver(&self, subject: &str, code: &str) -> Result<(), String> {
        let line = serde_json::json!({ "subject": subject, "code": code }).to_string();
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .ok_or("the outbox is closed")?
            .send(line)
            .map_err(|_| "the outbox writer stopped".to_string())
    }
}

impl Drop for OutboxDelivery {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has written every queued line.
        drop(self.queue.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_writes_every_queued_code_privately() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        let outbox = OutboxDelivery::new(path.clone());
        for i in 0..100 {
            outbox
                .deliver(&format!("s{i}"), &format!("{i:06}"))
                .unwrap();
        }
        drop(outbox); // writes what is queued
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[42]["subject"], "s42");
        assert_eq!(lines[42]["code"], "000042");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
