//! Enrolment over real HTTP on 127.0.0.1: the pass it issues and what it verifies as, one-time
//! code rules (tries, single use, expiry), unknown subjects and ineligible holders.

mod common;

use common::{error_of, futures_join_all};

use std::time::Duration;

use doorpass_format::api;
use doorpass_format::keys::{generate_signing_key, read_public_key};
use doorpass_format::{Pass, Presentation, TrustList, Verifier, VerifierPolicy};
use doorpass_issuer::store::{ChallengeState, HolderRecord};
use doorpass_issuer::unix_now;

#[tokio::test]
async fn enrolled_pass_verifies_against_the_served_trust_list() {
    let issuer = common::start(|_| {}).await;
    let (key, issued) = issuer.enrol("demo-lee").await;
    let r = issuer.get(api::TRUST_LIST_PATH).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/cose");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let anchor = read_public_key(&issuer.dir.path().join("anchor.pub.pem")).unwrap();
    let trust_list = TrustList::verify(&r.bytes().await.unwrap(), &anchor).unwrap();
    // A cached copy is confirmed with 304.
    let r = issuer
        .http
        .get(issuer.url(api::TRUST_LIST_PATH))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    let pass = Pass::parse(&api::b64_vec(issued["pass"].as_str().unwrap(), 4096).unwrap()).unwrap();
    assert_eq!(pass.claims().display_name, "이서연 Lee Seoyun");
    assert_eq!(pass.claims().holder_key, key.verifying_key());
    assert_eq!(
        pass.claims().pass_id_hex(),
        issued["pass_id"].as_str().unwrap()
    );
    let c = pass.claims();
    let third = (c.expires_at - c.not_before) / 3;
    assert!(
        c.renew_after >= c.expires_at - third && c.renew_after < c.expires_at,
        "renew-after in the last third"
    );
    assert_eq!(issued["renew_after"].as_u64().unwrap(), c.renew_after);
    let now = unix_now();
    let text = Presentation::rotating(pass.bytes(), &key, now).to_qr_text();
    let verdict = Verifier::new(trust_list, VerifierPolicy::default()).verify_qr_text(&text, now);
    assert!(verdict.is_valid(), "{verdict:?}");
    issuer.stop().await;
}

#[tokio::test]
async fn five_wrong_codes_lock_the_challenge() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-park", &key).await;
    let code = issuer.dev_code("demo-park").await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (1..=4).rev() {
        let (status, _, body) = issuer.complete(&id, wrong, &key).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (401, "invalid_code")
        );
        assert_eq!(body["attempts_left"], left);
    }
    assert_eq!(
        error_of(issuer.complete(&id, wrong, &key).await),
        (403, "challenge_locked".into())
    );
    // Even the right code no longer works on this challenge.
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "challenge_locked")
    );
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_codes_get_five_tries_at_most() {
    // The per-subject cap is tested on its own; here only the per-challenge limit is at work.
    let issuer = common::start(|c| c.code_failure_cap.max_failures = 1000).await;
    for round in 0..5 {
        let key = generate_signing_key();
        let id = issuer.start_enrolment("demo-park", &key).await;
        let code = issuer.dev_code("demo-park").await;
        let right: u32 = code.parse().unwrap();
        // 20 distinct wrong codes, with the right one in the middle, all at once.
        let mut codes: Vec<String> = (1..=20)
            .map(|k| format!("{:06}", (right + k) % 1_000_000))
            .collect();
        let middle = 2 * round + 5;
        codes.insert(middle, code.clone());
        let answers = futures_join_all(codes.iter().map(|c| issuer.complete(&id, c, &key))).await;
        let id_bytes: [u8; 16] = api::b64_fixed(&id).unwrap();
        let record = issuer
            .inspect(move |tx| tx.challenge(&id_bytes))
            .await
            .unwrap();
        assert!(
            record.attempts <= 5,
            "round {round}: {} tries counted",
            record.attempts
        );
        let mut tries_left = Vec::new();
        let mut locked = 0;
        for (i, (status, _, body)) in answers.iter().enumerate() {
            let error = body["error"].as_str().unwrap_or("");
            if i == middle {
                continue;
            }
            match (status, error) {
                (401, "invalid_code") => tries_left.push(body["attempts_left"].as_u64().unwrap()),
                (403, "challenge_locked") => locked += 1,
                (404, "unknown_challenge") => {}
                other => panic!("round {round}: wrong code answered {other:?}: {body}"),
            }
        }
        // Every "N tries left" is a try that was counted, each one once.
        assert!(tries_left.len() <= 5, "round {round}: {tries_left:?}");
        tries_left.sort_unstable();
        let counted: Vec<u64> = (5 - tries_left.len() as u64..5).rev().collect();
        tries_left.reverse();
        assert_eq!(tries_left, counted, "round {round}");
        let (status, _, body) = &answers[middle];
        match record.state {
            ChallengeState::Used => {
                // The right code came before the lock: every wrong code counted before it got
                // "tries left", every later one `unknown_challenge`, none `challenge_locked`.
                assert_eq!(*status, 200, "round {round}: {body}");
                assert!(record.attempts < 5 && locked == 0, "round {round}");
                assert_eq!(tries_left.len() as u32, record.attempts, "round {round}");
            }
            ChallengeState::Locked => {
                // The fifth wrong code locked it; the right code, and all later wrong ones, were
                // refused as locked.
                assert_eq!(
                    (*status, body["error"].as_str().unwrap()),
                    (403, "challenge_locked"),
                    "round {round}"
                );
                assert_eq!(record.attempts, 5, "round {round}");
                assert_eq!(tries_left.len(), 4, "round {round}");
                assert_eq!(locked, 20 - 4, "round {round}");
            }
            other => panic!("round {round}: the challenge is {other:?}"),
        }
    }
    issuer.stop().await;
}

#[tokio::test]
async fn codes_are_single_use_and_a_bad_proof_costs_no_try() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-choi", &key).await;
    let code = issuer.dev_code("demo-choi").await;
    assert_eq!(
        error_of(issuer.complete(&id, &code, &generate_signing_key()).await),
        (401, "bad_proof".into())
    );
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{body}");
    // The same completion again is a retry of a lost answer: the same pass, nothing new (issue 20;
    // completion_retry.rs). Once its token is spent, the code is used up for good.
    let (status, _, again) = issuer.complete(&id, &code, &key).await;
    assert_eq!((status, &again["pass_id"]), (200, &body["pass_id"]));
    issuer
        .renew_ok(body["refresh_token"].as_str().unwrap(), &key)
        .await;
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (404, "unknown_challenge".into())
    );
    // A wrong code on a used challenge says so, not "N tries left".
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        error_of(issuer.complete(&id, wrong, &key).await),
        (404, "unknown_challenge".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let issuer = common::start(|c| c.lifetimes.code = Duration::from_secs(1)).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    let code = issuer.dev_code("demo-kim").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (410, "challenge_expired".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn unknown_subjects_look_the_same_but_get_no_code() {
    let issuer = common::start(|_| {}).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("+82-10-0000-0000", &key).await;
    assert_eq!(
        issuer.get("/dev/otp/+82-10-0000-0000").await.status(),
        404,
        "no code was sent"
    );
    assert_eq!(
        error_of(issuer.complete(&id, "123456", &key).await),
        (401, "invalid_code".into())
    );
    issuer.stop().await;
}

#[tokio::test]
async fn ineligible_holders_get_no_pass() {
    let issuer = common::start(|_| {}).await;
    let record = HolderRecord {
        subject: "lapsed".into(),
        display_name: "Lapsed Holder".into(),
        birth_date: "1970".into(),
        kind: 4,
        eligible_until: unix_now() - 1,
    };
    issuer.import_holders(vec![record]).await;
    let key = generate_signing_key();
    let id = issuer.start_enrolment("lapsed", &key).await;
    let code = issuer.dev_code("lapsed").await;
    let (status, _, body) = issuer.complete(&id, &code, &key).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "not_eligible")
    );
    issuer.stop().await;
}
