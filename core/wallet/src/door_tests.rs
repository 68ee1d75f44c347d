//! Tests of the door verifier: its trust-list floor, and the status lists it keeps.

mod trust_floor_tests {
    use super::super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};

    fn signed(anchor: &doorpass_format::SigningKey, version: u64) -> Vec<u8> {
        TrustListContent {
            version,
            issued_at: 1_000 + version,
            next_update: 100_000,
            issuers: vec![TrustedIssuer::new(
                generate_signing_key().verifying_key(),
                "KR-TEST",
                0,
                u64::MAX,
            )],
        }
        .sign(anchor)
    }

    #[test]
    fn a_damaged_cache_never_lets_an_older_list_back_in() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = generate_signing_key();
        let open = || DoorVerifier::open(dir.path(), anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&signed(&anchor, 1), 2_000).unwrap();
        door.update_trust_list(&signed(&anchor, 2), 2_000).unwrap();
        drop(door);
        // The cached list is damaged (or deleted to clear the way for an older one).
        std::fs::write(dir.path().join(TRUST_LIST_FILE), b"garbage").unwrap();
        let (door, set_aside) = open().unwrap();
        assert!(set_aside.is_some() && door.trust_list_status(2_000).is_none());
        assert!(matches!(
            door.update_trust_list(&signed(&anchor, 1), 2_000),
            Err(DoorError::TrustList(TrustCacheError::Invalid { .. }))
        ));
        assert_eq!(
            door.update_trust_list(&signed(&anchor, 2), 2_000)
                .unwrap()
                .version,
            2
        );
    }
}

mod status_list_tests {
    use super::super::*;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::pass::{Pass, PassClaims, PassKind};
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};
    use doorpass_format::{
        Presentation, SigningKey, StatusList, StatusListError, StatusListToken, StatusReference,
    };

    const NOW: u64 = 1_800_000_000;
    const DAY: u64 = 86_400;
    const URI: &str = "https://kdca.kr/s/1";
    const INDEX: u64 = 7;

    struct Keys {
        anchor: SigningKey,
        kdca: SigningKey,
        retired: SigningKey,
        other: SigningKey,
        holder: SigningKey,
    }

    fn keys() -> Keys {
        Keys {
            anchor: generate_signing_key(),
            kdca: generate_signing_key(),
            retired: generate_signing_key(),
            other: generate_signing_key(),
            holder: generate_signing_key(),
        }
    }

    /// KR-TEST's key, its key retired 100 days ago, and XX-OTHER's key.
    fn trust(k: &Keys) -> Vec<u8> {
        TrustListContent {
            version: 1,
            issued_at: 1_000,
            next_update: 2_000,
            issuers: vec![
                TrustedIssuer::new(k.other.verifying_key(), "XX-OTHER", 0, u64::MAX),
                TrustedIssuer::new(k.retired.verifying_key(), "KR-TEST", 0, NOW - 100 * DAY),
                TrustedIssuer::new(k.kdca.verifying_key(), "KR-TEST", NOW - 100 * DAY, u64::MAX),
            ],
        }
        .sign(&k.anchor)
    }

    fn list(uri: &str, iat: u64, exp: u64, revoked: bool, key: &SigningKey) -> Vec<u8> {
        let mut list = StatusList::new(64);
        if revoked {
            list.revoke(INDEX);
        }
        StatusListToken {
            uri: uri.into(),
            issued_at: iat,
            expires_at: Some(exp),
            ttl: Some(300),
            list,
        }
        .sign(key)
    }

    /// A KR-TEST pass naming entry [`INDEX`] of [`URI`], shown at [`NOW`].
    fn code(k: &Keys) -> String {
        code_of(k, claims(k))
    }

    fn code_of(k: &Keys, claims: PassClaims) -> String {
        let pass = Pass::issue(&claims, &k.kdca).unwrap();
        Presentation::rotating(pass.bytes(), &k.holder, NOW).to_qr_text()
    }

    fn claims(k: &Keys) -> PassClaims {
        PassClaims {
            key_assurance: doorpass_format::KeyAssurance::Unattested,
            issuer_id: "KR-TEST".into(),
            issued_at: NOW - DAY,
            not_before: NOW - DAY,
            expires_at: NOW + 30 * DAY,
            pass_id: [5; 16],
            holder_key: k.holder.verifying_key().into(),
            display_name: "Kim".into(),
            birth_date: "1990".into(),
            kind: PassKind::Vaccination,
            renew_after: NOW + 20 * DAY,
            status: Some(StatusReference {
                index: INDEX,
                uri: URI.into(),
            }),
        }
    }

    #[test]
    fn door_staff_can_start_refusing_passes_that_cannot_be_revoked() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let (door, _) =
            DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default()).unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        let unrevocable = code_of(
            &k,
            PassClaims {
                key_assurance: doorpass_format::KeyAssurance::Unattested,
                status: None,
                ..claims(&k)
            },
        );
        assert!(door.verify(&unrevocable, NOW).unwrap().is_valid());
        door.set_policy(VerifierPolicy {
            refuse_unrevocable: true,
            ..door.policy()
        });
        assert_eq!(
            door.verify(&unrevocable, NOW).unwrap().code(),
            "not_revocable"
        );
        // A new trust list keeps the policy.
        let mut newer = doorpass_format::TrustList::verify(&trust(&k), &k.anchor.verifying_key())
            .unwrap()
            .content()
            .clone();
        newer.version = 2;
        door.update_trust_list(&newer.sign(&k.anchor), NOW).unwrap();
        assert_eq!(
            door.verify(&unrevocable, NOW).unwrap().code(),
            "not_revocable"
        );
    }

    fn refusal(result: Result<HeldStatusList, DoorError>) -> StatusListError {
        match result {
            Err(DoorError::StatusList(StatusListUpdateError::Invalid(e))) => e,
            other => panic!("expected a refused list, got {other:?}"),
        }
    }

    #[test]
    fn a_fetched_list_is_taken_only_for_its_uri_and_issuer_and_a_refusal_keeps_the_held_one() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let open = || DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        // A pass checked here puts its issuer's list on the wanted list.
        assert!(door.verify(&code(&k), NOW).unwrap().is_valid());
        let id = door.lock().wanted.iter().next().cloned().unwrap();
        assert_eq!(
            id,
            StatusListId {
                issuer_id: "KR-TEST".into(),
                uri: URI.into()
            }
        );
        let genuine = list(URI, NOW - 60, NOW + DAY, true, &k.kdca);
        door.update_fetched_status_list(&genuine, &id, NOW).unwrap();
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");

        let fetch = |bytes: Vec<u8>| door.update_fetched_status_list(&bytes, &id, NOW);
        assert!(matches!(
            refusal(fetch(list(URI, NOW, NOW + DAY, false, &k.other))),
            StatusListError::WrongIssuer { expected } if expected == "KR-TEST"
        ));
        assert_eq!(
            refusal(fetch(list(URI, NOW, NOW + DAY, false, &k.retired))),
            StatusListError::KeyNotValidAtIssuance { issued_at: NOW }
        );
        assert!(matches!(
            refusal(fetch(list(
                "https://kdca.kr/s/2",
                NOW,
                NOW + DAY,
                false,
                &k.kdca
            ))),
            StatusListError::WrongUri { .. }
        ));
        assert!(matches!(
            refusal(fetch(list(URI, NOW + DAY, NOW + 2 * DAY, false, &k.kdca))),
            StatusListError::IssuedInFuture { .. }
        ));
        assert_eq!(
            refusal(fetch(list(URI, NOW - 2 * DAY, NOW - DAY, false, &k.kdca))),
            StatusListError::Expired {
                expired_at: NOW - DAY
            }
        );
        // The genuine list stays, in memory and on disk.
        let held = door.status_lists();
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].issued_at, &*held[0].issuer_id),
            (NOW - 60, "KR-TEST")
        );
        drop(door);
        let (door, _) = open().unwrap();
        assert_eq!(door.status_lists().len(), 1);
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
    }

    #[test]
    fn another_issuers_list_given_under_a_real_uri_is_kept_apart_and_undoes_nothing() {
        let k = keys();
        let dir = tempfile::tempdir().unwrap();
        let open = || DoorVerifier::open(dir.path(), k.anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        door.update_trust_list(&trust(&k), NOW).unwrap();
        let genuine = list(URI, NOW - 60, NOW + DAY, true, &k.kdca);
        assert_eq!(
            door.update_status_list(&genuine, NOW).unwrap().issuer_id,
            "KR-TEST"
        );
        // XX-OTHER's key signs a list under KR-TEST's URI, dated as late as the clock allows and
        // revoking nothing: it is kept as XX-OTHER's list, in a file of its own.
        let hostile = list(URI, NOW + 600, NOW + DAY, false, &k.other);
        let taken = door.update_status_list(&hostile, NOW).unwrap();
        assert_eq!((&*taken.issuer_id, &*taken.uri), ("XX-OTHER", URI));
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
        // KR-TEST's next list is not refused as older than XX-OTHER's.
        let next = list(URI, NOW, NOW + DAY, true, &k.kdca);
        door.update_status_list(&next, NOW).unwrap();
        drop(door);
        let (door, _) = open().unwrap();
        let held = door.status_lists();
        assert_eq!(held.len(), 2, "{held:?}");
        assert!(
            held.iter()
                .any(|h| h.issuer_id == "KR-TEST" && h.issued_at == NOW)
        );
        assert_eq!(door.verify(&code(&k), NOW).unwrap().code(), "revoked");
    }
}

mod check_log_tests {
    use super::super::*;
    use crate::check_log::{HEADER, RECORD_LEN};
    use crate::door_display::DoorSignal;
    use doorpass_format::keys::generate_signing_key;
    use doorpass_format::pass::{Pass, PassClaims, PassKind};
    use doorpass_format::trust_list::{TrustListContent, TrustedIssuer};
    use doorpass_format::{Presentation, SigningKey};

    const NOW: u64 = 1_800_000_000;
    const DAY: u64 = 86_400;

    fn trust(anchor: &SigningKey, issuer: &SigningKey) -> Vec<u8> {
        TrustListContent {
            version: 1,
            issued_at: NOW - 2 * 3600,
            next_update: NOW + DAY,
            issuers: vec![TrustedIssuer::new(
                issuer.verifying_key(),
                "KR-TEST",
                0,
                u64::MAX,
            )],
        }
        .sign(anchor)
    }

    fn code(issuer: &SigningKey, holder: &SigningKey, name: &str, at: u64) -> String {
        let claims = PassClaims {
            key_assurance: doorpass_format::KeyAssurance::Unattested,
            issuer_id: "KR-TEST".into(),
            issued_at: NOW - DAY,
            not_before: NOW - DAY,
            expires_at: NOW + 30 * DAY,
            pass_id: [9; 16],
            holder_key: holder.verifying_key().into(),
            display_name: name.into(),
            birth_date: "1990-07-04".into(),
            kind: PassKind::Vaccination,
            renew_after: NOW + 20 * DAY,
            status: None,
        };
        let pass = Pass::issue(&claims, issuer).unwrap();
        Presentation::rotating(pass.bytes(), holder, at).to_qr_text()
    }

    #[test]
    fn every_check_is_counted_with_no_name_or_pass_id_and_errors_are_not_checks() {
        let (anchor, issuer, holder) = (
            generate_signing_key(),
            generate_signing_key(),
            generate_signing_key(),
        );
        let dir = tempfile::tempdir().unwrap();
        let open = || DoorVerifier::open(dir.path(), anchor.verifying_key(), Default::default());
        let (door, _) = open().unwrap();
        let valid = code(&issuer, &holder, "Jane Doe", NOW);
        // No trust list yet: not a check.
        assert_eq!(door.verify(&valid, NOW), Err(DoorError::NoTrustList));
        door.update_trust_list(&trust(&anchor, &issuer), NOW)
            .unwrap();
        // A clock far behind the list: not a check.
        assert!(matches!(
            door.verify(&valid, NOW - DAY),
            Err(DoorError::ClockBehind { .. })
        ));
        let verdict = door.verify(&valid, NOW).unwrap();
        assert_eq!(DoorSignal::of(&verdict), DoorSignal::Valid);
        assert_eq!(
            door.verify("DP1:garbage", NOW + 1).unwrap().code(),
            "malformed"
        );
        let screenshot = code(&issuer, &holder, "Jane Doe", NOW - 600);
        assert_eq!(
            door.verify(&screenshot, NOW + 2).unwrap().code(),
            "stale_step"
        );
        let summary = door.check_log_summary(NOW, NOW + 60).unwrap();
        assert_eq!(
            (
                summary.checked,
                summary.valid,
                summary.check_id,
                summary.refused
            ),
            (3, 1, 0, 2)
        );
        assert_eq!(
            summary.refusal_reasons(),
            vec![("malformed", 1), ("stale_step", 1)]
        );
        assert_eq!(summary.trust_list_age_seconds, Some(2 * 3600 + 2));
        assert_eq!(summary.status_list_age_seconds, None);
        drop(door);
        // What the file holds: counts, never the name, birth date or pass id.
        let log = std::fs::read(dir.path().join(crate::check_log::CHECK_LOG_FILE)).unwrap();
        assert_eq!(log.len(), HEADER.len() + RECORD_LEN);
        let text = String::from_utf8(log).unwrap();
        for secret in ["Jane", "Doe", "1990", "0909090909", "KR-TEST"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let (door, _) = open().unwrap();
        assert_eq!(door.check_log_summary(NOW, NOW + 60).unwrap().checked, 3);
        assert_eq!(door.check_log_csv(NOW + 60).lines().count(), 2);
        // A second handle on the same folder (an app screen rebuilt before the first handle is
        // released) shares the log: no wait for its lock, and both count into it.
        let started = std::time::Instant::now();
        let (again, _) = open().unwrap();
        assert!(started.elapsed() < crate::check_log::LOCK_WAIT);
        again.verify(&valid, NOW + 3).unwrap();
        door.verify(&valid, NOW + 4).unwrap();
        assert_eq!(again.check_log_summary(NOW, NOW + 60).unwrap().checked, 5);
        assert_eq!(door.check_log_summary(NOW, NOW + 60).unwrap().checked, 5);
    }

    #[test]
    fn a_door_whose_log_cannot_be_written_still_checks_and_reports_it() {
        let (anchor, issuer, holder) = (
            generate_signing_key(),
            generate_signing_key(),
            generate_signing_key(),
        );
        let dir = tempfile::tempdir().unwrap();
        // A folder in the log file's place: no one, root included, can write it as a file.
        std::fs::create_dir(dir.path().join(crate::check_log::CHECK_LOG_FILE)).unwrap();
        let (door, _) =
            DoorVerifier::open(dir.path(), anchor.verifying_key(), Default::default()).unwrap();
        door.update_trust_list(&trust(&anchor, &issuer), NOW)
            .unwrap();
        for i in 0..3 {
            let valid = code(&issuer, &holder, "Jane Doe", NOW + i);
            assert!(door.verify(&valid, NOW + i).unwrap().is_valid());
        }
        match door.check_log_summary(NOW, NOW + 60) {
            Err(DoorError::Storage { detail }) => {
                assert!(detail.contains("3 checks"), "{detail}")
            }
            other => panic!("expected a storage error, got {other:?}"),
        }
        // The CSV still has what was counted.
        assert!(
            door.check_log_csv(NOW + 60)
                .lines()
                .nth(1)
                .unwrap()
                .contains(",3,0,0,")
        );
    }

    #[test]
    fn ten_thousand_checks_in_a_row_leave_the_log_within_its_bound() {
        let (anchor, issuer, holder) = (
            generate_signing_key(),
            generate_signing_key(),
            generate_signing_key(),
        );
        let dir = tempfile::tempdir().unwrap();
        let (door, _) =
            DoorVerifier::open(dir.path(), anchor.verifying_key(), Default::default()).unwrap();
        door.update_trust_list(&trust(&anchor, &issuer), NOW)
            .unwrap();
        // One code per 30-s step; checks one second apart, over 2 h 47 min: 17 buckets.
        let mut text = String::new();
        for i in 0..10_000u64 {
            let at = NOW + i;
            if i % 30 == 0 {
                text = code(&issuer, &holder, "Jane Doe", at);
            }
            assert!(door.verify(&text, at).unwrap().is_valid());
        }
        let buckets = 10_000u64.div_ceil(600);
        let len = std::fs::metadata(dir.path().join(crate::check_log::CHECK_LOG_FILE))
            .unwrap()
            .len();
        assert_eq!(len, HEADER.len() as u64 + buckets * RECORD_LEN as u64);
        assert!(len <= crate::check_log::max_file_len());
        let summary = door.check_log_summary(NOW, NOW + 10_000).unwrap();
        assert_eq!((summary.checked, summary.valid), (10_000, 10_000));
    }
}
