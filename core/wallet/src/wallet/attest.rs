//! Key attestation in enrolment (issue 22 part 3): when the start answer carried an attestation
//! challenge and the wallet has a platform signer, a new platform key is made bound to it and sent
//! with the completion. The key is recorded in the pending enrolment before anything is sent, so
//! retries of the same enrolment send the same key and evidence, and the key is deleted when the
//! enrolment ends without binding it. The pass in hand keeps signing with its own key throughout.

use super::*;
use crate::key_attestation::{evidence_of, key_attestation};
use doorpass_format::api::{ATTESTATION_CHALLENGE_LEN, KeyAttestation};
use files::AttestedKeyRecord;

impl Wallet {
    /// The `attestation` to send with the completion of `pending`, making (and recording) the
    /// attested key on the first attempt. `None` when the issuer asked for none, the wallet has
    /// no platform signer, or the signer gave no attestation (its key is then deleted at once).
    pub(super) fn attestation_for(
        &self,
        pending: &PendingRecord,
    ) -> Result<Option<KeyAttestation>, WalletError> {
        let (Some(challenge), Some(signer)) =
            (&pending.attestation_challenge, self.platform_signer())
        else {
            return Ok(None);
        };
        if pending.attestation_unavailable {
            return Ok(None);
        }
        let challenge_id = super::enrol::pending_challenge_id(pending)?;
        if let Some(attested) = &pending.attested {
            let key = PlatformKey::from_record(signer.clone(), &attested.key)?;
            let evidence = attested.evidence.clone();
            return Ok(Some(key_attestation(&key, &challenge_id, evidence)?));
        }
        let challenge = b64_fixed::<ATTESTATION_CHALLENGE_LEN>(challenge).ok_or_else(|| {
            WalletError::InvalidFromIssuer {
                detail: "the attestation challenge is not 32 bytes of base64url".into(),
            }
        })?;
        // Whatever goes wrong in making the attested key or its evidence, the enrolment goes on
        // without an attestation (the issuer binds the start key, or says an attestation is
        // required): a holder is never stuck retrying what will fail the same way every time.
        let (key, attestation) = match PlatformKey::create(signer.clone(), Some(&challenge)) {
            Ok(made) => made,
            Err(e) => {
                log::warn!("no attested key could be made; enrolling without attestation: {e}");
                self.update_pending(pending, |p| p.attestation_unavailable = true)?;
                return Ok(None);
            }
        };
        let evidence = match attestation.as_ref().map(evidence_of) {
            Some(Ok(evidence)) => evidence,
            unusable => {
                // No attestation (no secure hardware, a simulator), or evidence this wallet
                // would not send (over the size limits): complete without one.
                self.delete_platform_key(key.key_id());
                if let Some(Err(e)) = unusable {
                    log::warn!("the platform's attestation is unusable; enrolling without: {e}");
                }
                self.update_pending(pending, |p| p.attestation_unavailable = true)?;
                return Ok(None);
            }
        };
        let record = AttestedKeyRecord {
            key: key.record(),
            evidence: evidence.clone(),
        };
        if let Err(e) = self.update_pending(pending, |p| p.attested = Some(record)) {
            self.delete_platform_key(key.key_id());
            return Err(e);
        }
        Ok(Some(key_attestation(&key, &challenge_id, evidence)?))
    }

    /// The attested key of the pending enrolment, if one was made.
    pub(super) fn attested_key(&self) -> Result<Option<HolderKey>, WalletError> {
        let record = self
            .live()?
            .state
            .pending
            .as_ref()
            .and_then(|p| p.attested.as_ref().map(|a| a.key.clone()));
        match (record, self.platform_signer()) {
            (Some(record), Some(signer)) => Ok(Some(HolderKey::Platform(
                PlatformKey::from_record(signer.clone(), &record)?,
            ))),
            _ => Ok(None),
        }
    }

    /// Changes the pending enrolment (still `pending`'s) and writes the state file.
    fn update_pending(
        &self,
        pending: &PendingRecord,
        change: impl FnOnce(&mut PendingRecord),
    ) -> Result<(), WalletError> {
        let mut inner = self.live()?;
        let Some(current) = inner
            .state
            .pending
            .as_mut()
            .filter(|p| p.challenge_id == pending.challenge_id)
        else {
            return Err(WalletError::NoPendingEnrolment);
        };
        change(current);
        write_json(&self.layout.state(), &inner.state).map_err(|e| WalletError::storage("state", e))
    }
}
