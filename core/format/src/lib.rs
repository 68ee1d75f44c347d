//! Doorpass format: everything an offline door verifier needs, and the parts of a wallet that do no I/O.
//!
//! The DP1 wire format (see `DESIGN.md`) is built from standard parts: a pass is a CWT inside a
//! COSE_Sign1 signed with Ed25519 by an issuer; the QR code carries the pass plus a holder proof that
//! changes every 30 seconds; a door checks it offline against a trust list signed by a pinned anchor.
//!
//! Modules, one concept each:
//! - [`keys`]: Ed25519 keys, key ids and PEM text; `key_files` and `atomic_file` (feature `files`):
//!   key files and crash-safe private files, for programs that keep them.
//! - [`holder_key`]: the holder's key in a pass (Ed25519 or P-256) and its signatures.
//! - [`key_assurance`]: whether an attestation showed the holder key to be in secure hardware.
//! - [`pass`]: the signed pass (issuer side: build and sign; holder side: parse and check).
//! - [`trust_list`]: the signed list of issuer keys a verifier trusts.
//! - [`status_list`]: revocation lists (IETF Token Status List, CWT form).
//! - [`status_list_binding`]: whether a status list may be believed (issuer, key window, URI, time).
//! - [`revocation`]: the door's cached status lists and what they say about a pass.
//! - [`presentation`]: what the QR code carries, rotating or static.
//! - [`verifier`]: the offline door check and its verdict.
//! - [`qr`]: QR module matrices and their SVG and terminal renderings.
//! - [`api`]: the issuer HTTP API's wire types, shared by the issuer and the wallet.
//! - [`dates`]: calendar dates for labels, and the system clock.

pub mod api;
#[cfg(feature = "files")]
pub mod atomic_file;
mod cbor;
mod cose;
pub mod dates;
pub mod error;
pub mod holder_key;
pub mod key_assurance;
#[cfg(feature = "files")]
pub mod key_files;
pub mod keys;
pub mod pass;
pub mod presentation;
pub mod qr;
pub mod revocation;
pub mod status_list;
pub mod status_list_binding;
pub mod trust_list;
pub mod verifier;

pub use error::FormatError;
pub use holder_key::{
    HolderKeyError, HolderKeyKind, HolderPublicKey, HolderSignatureError, HolderSigner,
};
pub use key_assurance::KeyAssurance;
pub use keys::{KeyId, SigningKey, VerifyingKey};
pub use pass::{Pass, PassClaims, PassKind};
pub use presentation::{Presentation, STEP_SECONDS};
pub use qr::{ErrorCorrection, QrError, QrMatrix};
pub use revocation::{RevocationCheck, StatusListId, StatusListUpdateError, StatusLists};
pub use status_list::{SignedStatusList, StatusList, StatusListToken, StatusReference};
pub use status_list_binding::{
    STATUS_LIST_CLOCK_SKEW_SECONDS, StatusListBinding, StatusListError, VerifiedStatusList,
};
pub use trust_list::{TrustList, TrustListContent, TrustListError, TrustedIssuer};
pub use verifier::{Refusal, Verdict, VerifiedPass, Verifier, VerifierPolicy};
