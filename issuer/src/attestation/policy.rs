//! Reading the attestation trust settings: root certificates (PEM), Google's attestation status
//! list (JSON), and the App Attest app id, into the policies `doorpass-attestation` checks with.

use std::path::Path;

use doorpass_attestation::android::AndroidPolicy;
use doorpass_attestation::apple::ApplePolicy;

use super::{Attestation, AttestationConfig};

/// Largest roots or status-list file read (Google's status list is a few hundred KB).
const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

/// Why the attestation settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AttestationSetupError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A roots file holds no certificate, or one that is not PEM.
    #[error("{path} holds no PEM certificate ({detail})")]
    NoCertificate {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// The Apple root file holds more than one certificate.
    #[error("{path} holds {count} certificates; give Apple's App Attestation root alone")]
    SeveralAppleRoots {
        /// The file.
        path: String,
        /// How many it holds.
        count: usize,
    },
    /// The status list is not Google's attestation status JSON.
    #[error("{path} is not an attestation status list ({detail})")]
    BadStatusList {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// The App Attest app id is not `TEAMID.bundle.id`.
    #[error("the App Attest app id {0:?} is not TEAMID.bundle.id")]
    BadAppId(String),
}

impl Attestation {
    /// Reads the files `config` names; without them, the roots bundled with the attestation
    /// crate. With attestation off, nothing is read.
    pub fn load(config: &AttestationConfig) -> Result<Attestation, AttestationSetupError> {
        if config.mode == super::AttestationMode::Off {
            return Ok(Attestation::off());
        }
        let roots = match &config.android_roots {
            Some(path) => read_certificates(path)?,
            None => bundled_android_roots(),
        };
        if roots.is_empty() {
            eprintln!(
                "doorpass-issuer: warning: no Android attestation roots (give \
                 --android-attestation-roots): every Android key attestation will be refused"
            );
        }
        let revoked_serials = match &config.android_revocations {
            Some(path) => revoked_serials(&read_file(path)?, path)?,
            None => {
                // Leaked Android attestation keys exist and are listed by Google; without the
                // list, chains made with them are accepted.
                eprintln!(
                    "doorpass-issuer: warning: no Android attestation status list (give \
                     --android-attestation-revocations, Google's list, and restart to refresh \
                     it): attestations by revoked keys will be accepted"
                );
                Vec::new()
            }
        };
        let apple = match &config.apple_app_id {
            Some(app_id) => {
                if !is_app_id(app_id) {
                    return Err(AttestationSetupError::BadAppId(app_id.clone()));
                }
                let root = match &config.apple_root {
                    Some(path) => {
                        let mut roots = read_certificates(path)?;
                        if roots.len() > 1 {
                            return Err(AttestationSetupError::SeveralAppleRoots {
                                path: path.display().to_string(),
                                count: roots.len(),
                            });
                        }
                        roots.remove(0)
                    }
                    None => bundled_apple_root(),
                };
                if root.is_empty() {
                    eprintln!(
                        "doorpass-issuer: warning: no App Attestation root (give \
                         --apple-attestation-root): every App Attest attestation will be refused"
                    );
                }
                Some(ApplePolicy {
                    root,
                    app_id: app_id.clone(),
                    environment: config.apple_environment.into(),
                })
            }
            None => None,
        };
        Ok(Attestation {
            mode: config.mode,
            android: AndroidPolicy {
                roots,
                revoked_serials,
            },
            apple,
        })
    }
}

/// Google's hardware attestation roots as bundled with `doorpass-attestation`.
fn bundled_android_roots() -> Vec<Vec<u8>> {
    doorpass_attestation::roots::google_hardware_attestation_roots()
}

/// Apple's App Attestation root as bundled with `doorpass-attestation`.
fn bundled_apple_root() -> Vec<u8> {
    doorpass_attestation::roots::apple_app_attestation_root()
}

/// `TEAMID.bundle.id`: a team id of letters and digits, a dot, and a non-empty bundle id without
/// spaces or control characters.
fn is_app_id(text: &str) -> bool {
    match text.split_once('.') {
        Some((team, bundle)) => {
            !team.is_empty()
                && team.bytes().all(|b| b.is_ascii_alphanumeric())
                && !bundle.is_empty()
                && bundle.bytes().all(|b| b.is_ascii_graphic())
        }
        None => false,
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, AttestationSetupError> {
    let read = || -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(MAX_FILE_LEN + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_FILE_LEN {
            return Err(std::io::Error::other("the file is over 16 MiB"));
        }
        Ok(bytes)
    };
    read().map_err(|source| AttestationSetupError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The certificates of a PEM file, DER, in file order; at least one.
fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, AttestationSetupError> {
    let bytes = read_file(path)?;
    let no_certificate = |detail: String| AttestationSetupError::NoCertificate {
        path: path.display().to_string(),
        detail,
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| no_certificate("not text".into()))?;
    doorpass_attestation::roots::certificates_from_pem(text)
        .map_err(|e| no_certificate(e.to_string()))
}

/// The serials Google's attestation status list names as `REVOKED` or `SUSPENDED` (Google asks
/// verifiers to refuse both), as the attestation crate reads and compares them.
fn revoked_serials(json: &[u8], path: &Path) -> Result<Vec<String>, AttestationSetupError> {
    let bad = |detail: String| AttestationSetupError::BadStatusList {
        path: path.display().to_string(),
        detail,
    };
    let text = std::str::from_utf8(json).map_err(|_| bad("not text".into()))?;
    doorpass_attestation::roots::revoked_serials_from_status_list(text)
        .map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_and_suspended_serials_are_read_lowercase_without_leading_zeros() {
        let json = br#"{"entries": {
            "00C35848C1": {"status": "REVOKED", "reason": "KEY_COMPROMISE"},
            "8350192447815228107": {"status": "SUSPENDED"},
            "abc": {"status": "VALID"}
        }}"#;
        let mut serials = revoked_serials(json, Path::new("s.json")).unwrap();
        serials.sort();
        assert_eq!(serials, ["8350192447815228107", "c35848c1"]);
        for bad in [
            &b"[]"[..],
            b"{\"entries\": 3}",
            b"{\"entries\": {\"xyz\": {\"status\": \"REVOKED\"}}}",
            b"not json",
        ] {
            assert!(revoked_serials(bad, Path::new("s.json")).is_err());
        }
    }

    #[test]
    fn app_ids_are_team_dot_bundle() {
        assert!(is_app_id("0352187391.com.apple.example_app_attest"));
        assert!(is_app_id("ABCDE12345.org.doorpass.app"));
        for bad in [
            "",
            "org",
            ".org.doorpass",
            "TEAM.",
            "TE AM.org",
            "TEAM.org doorpass",
        ] {
            assert!(!is_app_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_roots_file_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        assert!(matches!(
            read_certificates(&empty),
            Err(AttestationSetupError::NoCertificate { .. })
        ));
        assert!(matches!(
            read_certificates(&dir.path().join("missing.pem")),
            Err(AttestationSetupError::Read { .. })
        ));
    }
}
