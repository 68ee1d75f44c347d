//! `doorpass issuer serve`'s key attestation options (docs/issuer.md, "Key attestation").

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use doorpass_issuer::attestation::{AppleEnvironment, AttestationConfig, AttestationMode};

/// Key attestation at enrolment.
#[derive(Args, Clone)]
pub struct AttestationArgs {
    /// Key attestation at enrolment: off (no challenge offered; a completion carrying an
    /// attestation is refused), prefer (a pass binds an attested key when its attestation checks,
    /// else the start key, unattested), or require (no pass without an attestation that checks).
    #[arg(long, value_enum, default_value = "off")]
    pub attestation: ModeArg,
    /// Android attestation roots (PEM, one or more certificates). Default: Google's hardware
    /// attestation roots bundled with the issuer.
    #[arg(long, value_name = "PEM")]
    pub android_attestation_roots: Option<PathBuf>,
    /// Google's attestation status list (JSON, as published at
    /// https://android.googleapis.com/attestation/status): chains with a certificate listed
    /// REVOKED or SUSPENDED are refused. Read at start; restart to read it again.
    #[arg(long, value_name = "JSON")]
    pub android_attestation_revocations: Option<PathBuf>,
    /// The iOS app's App Attest id, TEAMID.BUNDLE (e.g. ABCDE12345.org.doorpass.wallet). Without
    /// it, App Attest attestations are refused (as for another app).
    #[arg(long, value_name = "TEAMID.BUNDLE")]
    pub apple_app_id: Option<String>,
    /// Apple's App Attestation root (PEM). Default: the root bundled with the issuer.
    #[arg(long, value_name = "PEM")]
    pub apple_attestation_root: Option<PathBuf>,
    /// The App Attest environment attestations must come from: production (App Store builds) or
    /// development (builds run from Xcode).
    #[arg(long, value_enum, default_value = "production")]
    pub apple_attestation_environment: EnvironmentArg,
}

/// `--attestation` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// No attestation asked for or accepted.
    Off,
    /// Attested keys recorded as such; holders without one still enrol, unattested.
    Prefer,
    /// Only attested keys enrol.
    Require,
}

/// `--apple-attestation-environment` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum EnvironmentArg {
    /// App Store builds.
    Production,
    /// Builds run from Xcode.
    Development,
}

impl AttestationArgs {
    /// The issuer's attestation settings these options describe. The trust options without a
    /// mode that checks are refused, so that a forgotten `--attestation` shows.
    pub fn config(&self) -> Result<AttestationConfig> {
        let mode = match self.attestation {
            ModeArg::Off => AttestationMode::Off,
            ModeArg::Prefer => AttestationMode::Prefer,
            ModeArg::Require => AttestationMode::Require,
        };
        let trust_given = self.android_attestation_roots.is_some()
            || self.android_attestation_revocations.is_some()
            || self.apple_app_id.is_some()
            || self.apple_attestation_root.is_some();
        if mode == AttestationMode::Off && trust_given {
            bail!(
                "attestation roots, revocations or an App Attest app id are given, but \
                 --attestation is off: add --attestation prefer or --attestation require"
            );
        }
        Ok(AttestationConfig {
            mode,
            android_roots: self.android_attestation_roots.clone(),
            android_revocations: self.android_attestation_revocations.clone(),
            apple_app_id: self.apple_app_id.clone(),
            apple_root: self.apple_attestation_root.clone(),
            apple_environment: match self.apple_attestation_environment {
                EnvironmentArg::Production => AppleEnvironment::Production,
                EnvironmentArg::Development => AppleEnvironment::Development,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        attestation: AttestationArgs,
    }

    fn config(args: &[&str]) -> Result<AttestationConfig> {
        use clap::Parser;
        let mut argv = vec!["serve"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)?.attestation.config()
    }

    #[test]
    fn attestation_is_off_unless_asked_and_its_trust_options_need_a_mode() {
        let off = config(&[]).unwrap();
        assert_eq!(off.mode, AttestationMode::Off);
        let set = config(&[
            "--attestation",
            "require",
            "--android-attestation-roots",
            "roots.pem",
            "--android-attestation-revocations",
            "status.json",
            "--apple-app-id",
            "ABCDE12345.org.doorpass.wallet",
            "--apple-attestation-root",
            "apple.pem",
            "--apple-attestation-environment",
            "development",
        ])
        .unwrap();
        assert_eq!(set.mode, AttestationMode::Require);
        assert_eq!(set.android_roots, Some(PathBuf::from("roots.pem")));
        assert_eq!(set.android_revocations, Some(PathBuf::from("status.json")));
        assert_eq!(
            set.apple_app_id.as_deref(),
            Some("ABCDE12345.org.doorpass.wallet")
        );
        assert_eq!(set.apple_root, Some(PathBuf::from("apple.pem")));
        assert_eq!(set.apple_environment, AppleEnvironment::Development);
        assert_eq!(
            config(&["--attestation", "prefer"]).unwrap().mode,
            AttestationMode::Prefer
        );
        let err = config(&["--apple-app-id", "ABCDE12345.org.doorpass.wallet"]).unwrap_err();
        assert!(err.to_string().contains("--attestation prefer"), "{err}");
        assert!(config(&["--attestation", "on"]).is_err());
    }
}
