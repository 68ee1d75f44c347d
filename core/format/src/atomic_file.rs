//! Files that are either wholly old or wholly new: write to a temporary file, fsync it, rename it over
//! the target, fsync the folder. A damaged file found on reading is moved aside, never deleted.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Suffix of temporary files; leftovers from a crash are removed by [`remove_stale_temp_files`].
pub const TEMP_SUFFIX: &str = ".tmp";
/// Marker in the name of files moved aside as damaged.
pub const CORRUPT_MARKER: &str = ".corrupt-";

/// Writes `bytes` to `path` atomically and durably. With `private`, the file is readable only by its
/// owner (mode 0600 on Unix).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    // A name of its own per write, so two writers (two processes on one folder) never share one.
    let temp = dir.join(format!(
        "{}.{:016x}{TEMP_SUFFIX}",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&temp)?;
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
    }
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates a folder (and its parents) that only its owner can enter (mode 0700 on Unix): wallet
/// folders hold names and birth dates.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Flushes a folder's entries (the rename) to disk. A no-op where folders cannot be opened.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// What reading a checked file found.
#[derive(Debug)]
pub enum Checked<T> {
    /// No such file.
    Missing,
    /// The file is good.
    Good(T),
    /// The file failed its check and was moved to `moved_to`.
    SetAside {
        /// Where the damaged file now is.
        moved_to: PathBuf,
        /// Why it failed.
        reason: String,
    },
}

/// Reads `path` and runs `check` on its bytes; a file that fails is moved aside.
pub fn read_checked<T>(
    path: &Path,
    check: impl FnOnce(&[u8]) -> Result<T, String>,
) -> io::Result<Checked<T>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Checked::Missing),
        Err(e) => return Err(e),
    };
    match check(&bytes) {
        Ok(value) => Ok(Checked::Good(value)),
        Err(reason) => {
            let moved_to = set_aside(path)?;
            Ok(Checked::SetAside { moved_to, reason })
        }
    }
}

/// Moves a damaged file out of the way, keeping it for inspection: `NAME.corrupt-UNIXTIME[-N]`.
pub fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut target = path.with_file_name(format!("{name}{CORRUPT_MARKER}{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{name}{CORRUPT_MARKER}{stamp}-{n}"));
        n += 1;
    }
    fs::rename(path, &target)?;
    Ok(target)
}

/// Temporary files younger than this may belong to a write still under way in another process.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes temporary files a crash left in `dir` (their targets are intact by construction). Only
/// files older than [`STALE_TEMP_AGE`] are removed, so another process's write is never cut short.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let old_enough = || {
            fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= STALE_TEMP_AGE)
        };
        if path.is_file() && path.to_string_lossy().ends_with(TEMP_SUFFIX) && old_enough() {
            fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replace_and_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_atomic(&path, b"one", true).unwrap();
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let good = read_checked(&path, |b| {
            if b == b"two" {
                Ok(2)
            } else {
                Err("bad".into())
            }
        })
        .unwrap();
        assert!(matches!(good, Checked::Good(2)));
        let bad = read_checked(&path, |_| Err::<(), _>("damaged".to_string())).unwrap();
        let Checked::SetAside { moved_to, reason } = bad else {
            panic!("expected set aside")
        };
        assert_eq!(reason, "damaged");
        assert!(!path.exists() && moved_to.exists());
        assert!(moved_to.to_string_lossy().contains(".corrupt-"));
        assert!(matches!(
            read_checked(&path, |_| Ok(())).unwrap(),
            Checked::Missing
        ));
        // Nothing else is left behind by writing.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        // A fresh temp file may be another writer's; an old one is a crash's leftover.
        let fresh = dir.path().join("x.json.1.tmp");
        let stale = dir.path().join("x.json.2.tmp");
        fs::write(&fresh, b"half").unwrap();
        fs::write(&stale, b"half").unwrap();
        backdate(&stale, STALE_TEMP_AGE * 2);
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 1);
        assert!(fresh.exists() && !stale.exists());
    }

    fn backdate(path: &Path, by: std::time::Duration) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - by)
            .unwrap();
    }
}
