//! The offline door check: a presentation against a cached trust list, with a verdict that says why.

use crate::pass::{Pass, PassKind};
use crate::presentation::{Presentation, STEP_SECONDS};
use crate::revocation::{
    DEFAULT_MAX_STATUS_LIST_AGE_SECONDS, RevocationCheck, StatusListId, StatusListUpdateError,
    StatusLists,
};
use crate::status_list_binding::StatusListBinding;
use crate::trust_list::{TrustList, TrustListError};

/// Default tolerance for clock differences between the holder's and the verifier's devices.
pub const DEFAULT_CLOCK_TOLERANCE_SECONDS: u64 = 60;

/// How long a rotating code is accepted, at most, under the default tolerance: until 90 s after its
/// 30-s step begins (the step, plus the tolerance after it). A screenshot is refused after that.
pub const MAX_CODE_AGE_SECONDS: u64 = STEP_SECONDS + DEFAULT_CLOCK_TOLERANCE_SECONDS;

/// Default longest pass lifetime (`exp − iat`) a verifier accepts: 400 days, room for a yearly pass.
/// It bounds what a stolen issuer key can mint: nothing valid beyond its trusted window plus this.
pub const DEFAULT_MAX_PASS_LIFETIME_SECONDS: u64 = 400 * 86_400;

/// What a verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierPolicy {
    /// Clock skew allowed between the two devices, for the step of rotating presentations.
    pub clock_tolerance_seconds: u64,
    /// Whether static presentations (the pass alone, e.g. on paper) are accepted.
    pub allow_static: bool,
    /// Longest pass lifetime (`exp − iat`, seconds) accepted.
    pub max_pass_lifetime_seconds: u64,
    /// Oldest status list (now − its `iat`, seconds) used to say a pass is not revoked.
    pub max_status_list_age_seconds: u64,
    /// Whether a revocable pass whose list is missing or too old is refused (otherwise it is
    /// accepted and marked "revocation not checked").
    pub require_revocation_check: bool,
    /// Whether a pass that names no status list (it cannot be revoked) is refused. A door that
    /// must know a pass is not revoked sets this with [`VerifierPolicy::require_revocation_check`].
    pub refuse_unrevocable: bool,
    /// Whether a pass whose holder key no attestation showed to be in secure hardware is refused
    /// ([`crate::KeyAssurance::is_hardware_bound`]): for doors where a cloned pass is a real risk.
    pub require_hardware_key: bool,
}

impl Default for VerifierPolicy {
    fn default() -> Self {
        VerifierPolicy {
            clock_tolerance_seconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
            allow_static: false,
            max_pass_lifetime_seconds: DEFAULT_MAX_PASS_LIFETIME_SECONDS,
            max_status_list_age_seconds: DEFAULT_MAX_STATUS_LIST_AGE_SECONDS,
            require_revocation_check: false,
            refuse_unrevocable: false,
            require_hardware_key: false,
        }
    }
}

/// Why a presentation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The code is not a well-formed DP1 presentation.
    Malformed {
        /// What is wrong, for the log and for support.
        detail: String,
    },
    /// The pass is signed by a key that is not in the trust list (or is listed for another issuer).
    UnknownIssuer {
        /// The key id from the pass, hex.
        key_id: String,
    },
    /// The issuer signature does not check.
    BadSignature,
    /// The issuer key is listed, but not for the time the pass says it was issued.
    IssuerKeyNotValidAtIssuance,
    /// The pass is valid for longer than this verifier's policy allows (a sign of a misused key).
    LifetimeTooLong {
        /// `exp − iat` of the pass, seconds.
        lifetime_seconds: u64,
        /// The policy's maximum, seconds.
        max_seconds: u64,
    },
    /// The pass's validity starts later.
    NotYetValid {
        /// Start of validity.
        not_before: u64,
    },
    /// The pass has expired.
    Expired {
        /// When it expired.
        expired_at: u64,
    },
    /// The rotating code is older than the clock tolerance allows (e.g. a screenshot).
    StaleStep {
        /// Step in the code.
        step: u64,
        /// Verifier's current step.
        current_step: u64,
    },
    /// The rotating code is for a time further ahead than the clock tolerance allows.
    FutureStep {
        /// Step in the code.
        step: u64,
        /// Verifier's current step.
        current_step: u64,
    },
    /// The holder proof does not check against the key the pass is bound to.
    BadHolderProof,
    /// A static code was shown and this verifier's policy requires a rotating one.
    StaticRefused,
    /// The issuer has revoked the pass (its status list says so).
    Revoked {
        /// Age of the list that says so, seconds.
        list_age_seconds: u64,
    },
    /// The policy requires a revocation check and the pass's list is missing or too old.
    RevocationNotChecked {
        /// Age of the list held for the pass, if any, seconds.
        list_age_seconds: Option<u64>,
    },
    /// The policy refuses passes that cannot be revoked, and this one names no status list.
    NotRevocable,
    /// The policy requires a hardware-bound holder key, and no attestation showed this pass's key
    /// to be one.
    KeyNotHardwareBound,
}

impl Refusal {
    /// A stable machine-readable code, e.g. `"expired"`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed { .. } => "malformed",
            Refusal::UnknownIssuer { .. } => "unknown_issuer",
            Refusal::BadSignature => "bad_signature",
            Refusal::IssuerKeyNotValidAtIssuance => "issuer_key_not_valid_at_issuance",
            Refusal::LifetimeTooLong { .. } => "lifetime_too_long",
            Refusal::NotYetValid { .. } => "not_yet_valid",
            Refusal::Expired { .. } => "expired",
            Refusal::StaleStep { .. } => "stale_step",
            Refusal::FutureStep { .. } => "future_step",
            Refusal::BadHolderProof => "bad_holder_proof",
            Refusal::StaticRefused => "static_refused",
            Refusal::Revoked { .. } => "revoked",
            Refusal::RevocationNotChecked { .. } => "revocation_not_checked",
            Refusal::NotRevocable => "not_revocable",
            Refusal::KeyNotHardwareBound => "key_not_hardware_bound",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed { detail } => write!(f, "not a valid Doorpass code: {detail}"),
            Refusal::UnknownIssuer { key_id } => write!(f, "issued by a key this verifier does not trust ({key_id})"),
            Refusal::BadSignature => f.write_str("the issuer signature is not valid (altered or forged pass)"),
            Refusal::IssuerKeyNotValidAtIssuance => {
                f.write_str("the issuer key was not trusted at the time the pass was issued")
            }
            Refusal::LifetimeTooLong { lifetime_seconds, max_seconds } => write!(
                f,
                "the pass is valid for {} days, longer than the {} days this verifier accepts",
                lifetime_seconds / 86_400,
                max_seconds / 86_400
            ),
            Refusal::NotYetValid { not_before } => write!(f, "the pass is not valid before {not_before}"),
            Refusal::Expired { expired_at } => write!(f, "the pass expired at {expired_at}"),
            Refusal::StaleStep { .. } => {
                f.write_str("the code is too old (a screenshot or a phone clock far behind); ask for the live code")
            }
            Refusal::FutureStep { .. } => f.write_str("the code is for a later time (a phone clock far ahead)"),
            Refusal::BadHolderProof => f.write_str("the code was not made by the phone the pass belongs to"),
            Refusal::StaticRefused => f.write_str("a printed (static) code is not accepted here; ask for the live code"),
            Refusal::Revoked { .. } => f.write_str("the issuer has revoked this pass"),
            Refusal::RevocationNotChecked { list_age_seconds } => match list_age_seconds {
                Some(age) => write!(f, "revocation not checked: the status list is {} h old", age / 3600),
                None => f.write_str("revocation not checked: no status list for this pass"),
            },
            Refusal::NotRevocable => {
                f.write_str("the pass names no status list, so it cannot be revoked; this door requires one")
            }
            Refusal::KeyNotHardwareBound => f.write_str(
                "the pass's key is not shown to be in the phone's secure hardware; this door requires that",
            ),
        }
    }
}

/// What a door needs to know about a valid pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPass {
    /// Holder's name, to compare with an ID if needed.
    pub display_name: String,
    /// Holder's birth date, `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// What the pass attests.
    pub kind: PassKind,
    /// When the pass expires.
    pub expires_at: u64,
    /// Who issued it.
    pub issuer_id: String,
    /// The pass id, hex.
    pub pass_id: String,
    /// Whether it was a static code (no holder proof).
    pub was_static: bool,
    /// What the door's status lists say about it.
    pub revocation: RevocationCheck,
    /// The status list the pass names, if any (a door fetches it to check the next passes).
    pub status_uri: Option<String>,
    /// Where the holder key lives, as far as an attestation showed the issuer.
    pub key_assurance: crate::KeyAssurance,
}

/// The outcome of checking a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The pass is valid now.
    Valid(VerifiedPass),
    /// The pass is refused, and why.
    Refused(Refusal),
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid(_))
    }

    /// The stable code of the verdict: `"valid"` or the refusal's code.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Valid(_) => "valid",
            Verdict::Refused(r) => r.code(),
        }
    }
}

/// An offline verifier: a trust list and a policy. Checking a code never touches the network.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust_list: TrustList,
    policy: VerifierPolicy,
    status_lists: StatusLists,
}

impl Verifier {
    /// A verifier over a trust list already checked against the pinned anchor.
    pub fn new(trust_list: TrustList, policy: VerifierPolicy) -> Self {
        Verifier {
            trust_list,
            policy,
            status_lists: StatusLists::default(),
        }
    }

    /// The trust list in use.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust_list
    }

    /// Switches to `newer`, already checked against the pinned anchor, unless it is older than the
    /// list in use or differs from it under the same version (no rollback). On refusal the list in
    /// use stays.
    pub fn update_trust_list(&mut self, newer: TrustList) -> Result<(), TrustListError> {
        newer.may_replace(&self.trust_list)?;
        self.trust_list = newer;
        Ok(())
    }

    /// Takes a status list token at `now` if it verifies against the trust list in use and what is
    /// known of its origin (`binding`: the URI it was fetched from and the issuer whose passes name
    /// it, or nothing for a list given as bytes) and is not older than the one held for its issuer
    /// and URI; returns which list it is. On refusal the held list stays.
    pub fn update_status_list(
        &mut self,
        bytes: &[u8],
        binding: StatusListBinding<'_>,
        now: u64,
    ) -> Result<StatusListId, StatusListUpdateError> {
        self.status_lists
            .update(bytes, self.trust_list.content(), binding, now)
    }

    /// Takes back a status list this device accepted before (see [`StatusLists::restore`]).
    pub fn restore_status_list(
        &mut self,
        bytes: &[u8],
    ) -> Result<StatusListId, StatusListUpdateError> {
        self.status_lists.restore(bytes, self.trust_list.content())
    }

    /// The status lists held.
    pub fn status_lists(&self) -> &StatusLists {
        &self.status_lists
    }

    /// The policy in use.
    pub fn policy(&self) -> VerifierPolicy {
        self.policy
    }

    /// Changes what this verifier accepts from now on; the lists held stay.
    pub fn set_policy(&mut self, policy: VerifierPolicy) {
        self.policy = policy;
    }

    /// Checks QR text at time `now` (seconds since the Unix epoch).
    pub fn verify_qr_text(&self, text: &str, now: u64) -> Verdict {
        match Presentation::from_qr_text(text) {
            Ok(p) => self.verify(&p, now),
            Err(e) => Verdict::Refused(Refusal::Malformed {
                detail: e.to_string(),
            }),
        }
    }

    /// Checks a decoded presentation at time `now`.
    pub fn verify(&self, presentation: &Presentation, now: u64) -> Verdict {
        match self.check(presentation, now) {
            Ok(v) => Verdict::Valid(v),
            Err(r) => Verdict::Refused(r),
        }
    }

    /// Checks a pass by itself: issued by a listed key for its issuer id, signature good, key valid at
    /// issuance, and — when `now` is given — inside its validity window. Wallets use this on passes
    /// they receive and load; doors use it as part of [`Verifier::verify`].
    pub fn check_pass(&self, pass: &Pass, now: Option<u64>) -> Result<(), Refusal> {
        let claims = pass.claims();
        let kid = pass.issuer_key_id();
        let listed: Vec<_> = self
            .trust_list
            .issuer_entries(kid, &claims.issuer_id)
            .collect();
        if listed.is_empty() {
            return Err(Refusal::UnknownIssuer {
                key_id: kid.to_hex(),
            });
        }
        let signing: Vec<_> = listed
            .into_iter()
            .filter(|i| pass.verify_issuer_signature(&i.public_key))
            .collect();
        if signing.is_empty() {
            return Err(Refusal::BadSignature);
        }
        if !signing.iter().any(|i| i.covers(claims.issued_at)) {
            return Err(Refusal::IssuerKeyNotValidAtIssuance);
        }
        let lifetime_seconds = claims.expires_at.saturating_sub(claims.issued_at);
        if lifetime_seconds > self.policy.max_pass_lifetime_seconds {
            return Err(Refusal::LifetimeTooLong {
                lifetime_seconds,
                max_seconds: self.policy.max_pass_lifetime_seconds,
            });
        }
        if let Some(now) = now {
            if now < claims.not_before {
                return Err(Refusal::NotYetValid {
                    not_before: claims.not_before,
                });
            }
            if now >= claims.expires_at {
                return Err(Refusal::Expired {
                    expired_at: claims.expires_at,
                });
            }
        }
        Ok(())
    }

    fn check(&self, presentation: &Presentation, now: u64) -> Result<VerifiedPass, Refusal> {
        let was_static = matches!(presentation, Presentation::Static { .. });
        if was_static && !self.policy.allow_static {
            return Err(Refusal::StaticRefused);
        }
        let pass = Pass::parse(presentation.pass_bytes()).map_err(|e| Refusal::Malformed {
            detail: e.to_string(),
        })?;
        self.check_pass(&pass, Some(now))?;
        let claims = pass.claims();
        if let Presentation::Rotating { step, .. } = presentation {
            let tolerance = self.policy.clock_tolerance_seconds;
            let current_step = now / STEP_SECONDS;
            let earliest = now.saturating_sub(tolerance) / STEP_SECONDS;
            let latest = now.saturating_add(tolerance) / STEP_SECONDS;
            if *step < earliest {
                return Err(Refusal::StaleStep {
                    step: *step,
                    current_step,
                });
            }
            if *step > latest {
                return Err(Refusal::FutureStep {
                    step: *step,
                    current_step,
                });
            }
            if !presentation.holder_proof_is_valid(&pass.digest(), &claims.holder_key) {
                return Err(Refusal::BadHolderProof);
            }
        }
        let revocation = self
            .status_lists
            .check(claims, now, self.policy.max_status_list_age_seconds)
            .map_err(|r| Refusal::Revoked {
                list_age_seconds: r.list_age_seconds,
            })?;
        match revocation {
            RevocationCheck::NotChecked { list_age_seconds }
                if self.policy.require_revocation_check =>
            {
                return Err(Refusal::RevocationNotChecked { list_age_seconds });
            }
            RevocationCheck::NotRevocable if self.policy.refuse_unrevocable => {
                return Err(Refusal::NotRevocable);
            }
            _ => {}
        }
        if self.policy.require_hardware_key && !claims.key_assurance.is_hardware_bound() {
            return Err(Refusal::KeyNotHardwareBound);
        }
        Ok(VerifiedPass {
            display_name: claims.display_name.clone(),
            birth_date: claims.birth_date.clone(),
            kind: claims.kind,
            expires_at: claims.expires_at,
            issuer_id: claims.issuer_id.clone(),
            pass_id: claims.pass_id_hex(),
            was_static,
            revocation,
            status_uri: claims.status.as_ref().map(|s| s.uri.clone()),
            key_assurance: claims.key_assurance,
        })
    }
}

#[cfg(test)]
#[path = "verifier_tests.rs"]
pub(crate) mod tests;
