//! The issuer folder, its database and its private key are for the issuer's account alone: they are
//! created that way (folder 0700, files 0600), and the issuer refuses to start when they are not.
//! SQLite creates the database's `-wal` and `-shm` files with the database's own mode. Elsewhere
//! than Unix these checks do nothing.

use std::path::Path;

/// Folder mode the issuer creates and expects.
pub const DIR_MODE: u32 = 0o700;
/// File mode the issuer creates and expects.
pub const FILE_MODE: u32 = 0o600;

/// A path that group or others may read or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenToOthers {
    /// The folder or file.
    pub path: String,
    /// Its permission bits.
    pub mode: u32,
    /// The mode it should have ([`DIR_MODE`] or [`FILE_MODE`]).
    pub fix: u32,
}

/// Creates `dir` (and missing parents) with mode [`DIR_MODE`], and sets `dir` itself to that mode if
/// it already existed.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// Creates the empty file `path` with mode [`FILE_MODE`] if it does not exist (SQLite takes an empty
/// file as an empty database).
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks that group and others can neither read nor write `path` (a folder when `dir`); a path
/// that does not exist passes (opening it fails later with its own message).
pub fn check_private(path: &Path, dir: bool) -> Result<(), OpenToOthers> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o066 != 0 {
                return Err(OpenToOthers {
                    path: path.display().to_string(),
                    mode,
                    fix: if dir { DIR_MODE } else { FILE_MODE },
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_loose_modes_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "an existing folder is made private");
        let file = dir.join("f");
        create_private_file(&file).unwrap();
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(check_private(&dir, true).is_ok());
        assert!(check_private(&file, false).is_ok());
        assert!(check_private(&dir.join("missing"), false).is_ok());
        for (loose, fixed) in [(0o640, 0o600), (0o604, 0o600), (0o620, 0o600)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(loose)).unwrap();
            let err = check_private(&file, false).unwrap_err();
            assert_eq!((err.mode, err.fix), (loose, fixed));
        }
        // Execute for group or others reveals nothing; reading or writing does.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        assert!(check_private(&dir, true).is_ok());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(check_private(&dir, true).unwrap_err().fix, 0o700);
    }
}
