//! The issuer folder made by `doorpass issuer init`: the issuer key, the anchor's public key and the
//! signed trust list. The anchor's private key lives in a separate folder ([`AnchorDir`]), meant to
//! be kept offline: the serving machine never needs it.

use std::path::{Path, PathBuf};

use doorpass_format::keys::{self, KeyFileError, KeyId, SigningKey, VerifyingKey};
use doorpass_format::{TrustList, TrustListContent, TrustListError, TrustedIssuer};

use crate::secrets::IssuerSecrets;

/// The files an issuer folder holds.
pub struct IssuerDir {
    /// Where older versions kept the anchor's private key; `serve` warns when one is still there.
    pub legacy_anchor_key: PathBuf,
    /// Trust anchor public key, pinned by apps and verifiers.
    pub anchor_pub: PathBuf,
    /// Issuer private key.
    pub issuer_key: PathBuf,
    /// Issuer public key.
    pub issuer_pub: PathBuf,
    /// Signed trust list.
    pub trust_list: PathBuf,
    /// Default database.
    pub database: PathBuf,
    /// Where codes go for the SMS gateway when not in dev mode.
    pub outbox: PathBuf,
    /// The code-hash and status-entry secrets ([`crate::secrets`]).
    pub secrets: PathBuf,
}

impl IssuerDir {
    /// The file names inside `dir`.
    pub fn at(dir: &Path) -> Self {
        IssuerDir {
            legacy_anchor_key: dir.join("anchor.key"),
            anchor_pub: dir.join("anchor.pub.pem"),
            issuer_key: dir.join("issuer.key"),
            issuer_pub: dir.join("issuer.pub.pem"),
            trust_list: dir.join("trust-list.cose"),
            database: dir.join("issuer.db"),
            outbox: dir.join("outbox.jsonl"),
            secrets: dir.join(crate::secrets::SECRETS_FILE),
        }
    }
}

/// The folder that holds the anchor's private key, apart from the serving folder: only
/// `issuer init`, `issuer rotate-key` and `issuer sign-trust-list` read or write it.
pub struct AnchorDir {
    /// The folder.
    pub dir: PathBuf,
    /// The anchor's private key in it.
    pub key: PathBuf,
}

impl AnchorDir {
    /// The anchor folder at `dir`.
    pub fn at(dir: &Path) -> Self {
        AnchorDir {
            dir: dir.to_path_buf(),
            key: dir.join("anchor.key"),
        }
    }

    /// `anchor_dir` if given, else the default next to the issuer folder: `DIR.anchor`.
    pub fn for_issuer(issuer_dir: &Path, anchor_dir: Option<&Path>) -> Self {
        match anchor_dir {
            Some(dir) => AnchorDir::at(dir),
            None => {
                let mut name = issuer_dir
                    .file_name()
                    .map(|n| n.to_os_string())
                    .unwrap_or_else(|| "issuer".into());
                name.push(".anchor");
                AnchorDir::at(&issuer_dir.with_file_name(name))
            }
        }
    }
}

/// Why the issuer folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IssuerKeysError {
    /// A key file is missing or not a key.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The trust list could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The trust list is not valid under the anchor.
    #[error("{path}: {source}")]
    TrustList {
        /// The file.
        path: String,
        /// Why.
        source: TrustListError,
    },
    /// The folder already holds keys (and replacing them was not asked for).
    #[error("{0} already holds issuer keys; pass --force to replace them")]
    Exists(String),
    /// The issuer key is not listed in the trust list.
    #[error("the issuer key {0} is not in the trust list")]
    NotListed(KeyId),
    /// The anchor folder's key is not the anchor the issuer folder pins.
    #[error("the anchor key in {anchor_dir} ({found}) is not this issuer's anchor ({pinned})")]
    AnchorMismatch {
        /// The anchor folder.
        anchor_dir: String,
        /// Id of the key found there.
        found: KeyId,
        /// Id of the anchor in `anchor.pub.pem`.
        pinned: KeyId,
    },
}

/// How long a fresh issuer key is listed as valid for issuance.
pub const ISSUER_KEY_DAYS: u64 = 5 * 365;
/// How long until a fresh trust list's planned next update.
pub const TRUST_LIST_REFRESH_DAYS: u64 = 7;
const DAY: u64 = 86_400;

/// Creates a trust anchor (its private key in `anchor`, its public key in `dir`), an issuer key,
/// random issuer secrets ([`IssuerSecrets`]) and trust list version 1 listing the issuer key, in
/// `dir`. Both folders are made private to this
/// user (mode 0700), whether they are created or already existed. Refuses to replace existing keys
/// unless `force`. Returns the anchor and issuer key ids.
pub fn init_dir(
    dir: &Path,
    anchor: &AnchorDir,
    issuer_id: &str,
    now: u64,
    force: bool,
) -> Result<(KeyId, KeyId), IssuerKeysError> {
    let files = IssuerDir::at(dir);
    if !force && anchor.key.exists() {
        return Err(IssuerKeysError::Exists(anchor.dir.display().to_string()));
    }
    if !force && (files.legacy_anchor_key.exists() || files.issuer_key.exists()) {
        return Err(IssuerKeysError::Exists(dir.display().to_string()));
    }
    crate::private_files::create_private_dir(dir).map_err(io_error(dir))?;
    crate::private_files::create_private_dir(&anchor.dir).map_err(io_error(&anchor.dir))?;
    let anchor_key = keys::generate_signing_key();
    let issuer = keys::generate_signing_key();
    let content = TrustListContent {
        version: 1,
        issued_at: now,
        next_update: now + TRUST_LIST_REFRESH_DAYS * DAY,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            issuer_id,
            now.saturating_sub(DAY),
            now + ISSUER_KEY_DAYS * DAY,
        )],
    };
    keys::write_private_key(&anchor.key, &anchor_key)?;
    keys::write_public_key(&files.anchor_pub, &anchor_key.verifying_key())?;
    keys::write_private_key(&files.issuer_key, &issuer)?;
    keys::write_public_key(&files.issuer_pub, &issuer.verifying_key())?;
    IssuerSecrets::generate().write(dir)?;
    if files.legacy_anchor_key.exists() {
        std::fs::remove_file(&files.legacy_anchor_key)
            .map_err(io_error(&files.legacy_anchor_key))?;
    }
    doorpass_format::atomic_file::write_atomic(
        &files.trust_list,
        &content.sign(&anchor_key),
        false,
    )
    .map_err(io_error(&files.trust_list))?;
    Ok((
        KeyId::of(&anchor_key.verifying_key()),
        KeyId::of(&issuer.verifying_key()),
    ))
}

/// Maps an I/O error on `path` to [`IssuerKeysError::Io`].
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IssuerKeysError {
    let path = path.display().to_string();
    move |source| IssuerKeysError::Io { path, source }
}

/// The issuer's signing key, its id from the trust list, and the trust list itself.
pub struct IssuerKeys {
    /// The key passes are signed with.
    pub signing_key: SigningKey,
    /// The issuer id passes carry.
    pub issuer_id: String,
    /// The trust list as published.
    pub trust_list: TrustList,
    /// The anchor the trust list is signed by (`anchor.pub.pem`).
    pub anchor: VerifyingKey,
    /// Secret for hashing one-time codes (never leaves the process); independent of the signing key,
    /// so codes sent before a key rotation still work after it.
    pub code_secret: [u8; 32],
    /// Secret ordering status-list entries (never leaves the process); independent of the signing
    /// key, so a rotation never reorders a list half-way.
    pub status_secret: [u8; 32],
    /// Whether lists started before lists recorded their ordering key may be continued
    /// ([`IssuerSecrets::continues_unclaimed_lists`]).
    pub continues_unclaimed_lists: bool,
}

impl IssuerKeys {
    /// Loads and cross-checks the folder: the trust list must be signed by the anchor and list the key.
    /// A folder made before `secrets.key` existed gets one ([`IssuerSecrets::load_or_migrate`]).
    pub fn load(dir: &Path) -> Result<Self, IssuerKeysError> {
        let files = IssuerDir::at(dir);
        let signing_key = keys::read_private_key(&files.issuer_key)?;
        let anchor = keys::read_public_key(&files.anchor_pub)?;
        let path = files.trust_list.display().to_string();
        let bytes = std::fs::read(&files.trust_list).map_err(|source| IssuerKeysError::Io {
            path: path.clone(),
            source,
        })?;
        let trust_list = TrustList::verify(&bytes, &anchor)
            .map_err(|source| IssuerKeysError::TrustList { path, source })?;
        let kid = KeyId::of(&signing_key.verifying_key());
        let issuer_id = trust_list
            .issuer(kid)
            .ok_or(IssuerKeysError::NotListed(kid))?
            .issuer_id
            .clone();
        let secrets = IssuerSecrets::load_or_migrate(dir, &signing_key)?;
        let continues_unclaimed_lists =
            secrets.continues_unclaimed_lists(&signing_key, &trust_list, &issuer_id);
        Ok(IssuerKeys {
            signing_key,
            issuer_id,
            trust_list,
            anchor,
            code_secret: secrets.code_hash,
            status_secret: secrets.status_entries,
            continues_unclaimed_lists,
        })
    }
}
