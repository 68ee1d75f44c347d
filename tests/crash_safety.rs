//! A process killed with SIGKILL while it saves a renewed pass, 120 times at random moments: the
//! wallet always opens afterwards with the old pass or the new one — never none, never a corrupt one.
//! And killed in the middle of whole renewals against the real issuer (answer in flight, token being
//! stored, pass being written): afterwards the wallet always has a pass and can still renew.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{
    PassFiles, PassState, RenewalOutcome, Wallet, WalletOptions, WalletSetup,
};
use rand::Rng;

const KILLS: usize = 120;
const RENEWAL_KILLS: usize = 40;
const CHILD_ENV: &str = "DOORPASS_CRASH_CHILD";
const RENEWING_CHILD_ENV: &str = "DOORPASS_RENEWING_CHILD";

/// The victim: saves the old and the new pass in turn, forever, through the wallet's own save path.
/// Run only as a child of the test below.
#[test]
#[ignore = "run by sigkill_while_saving_never_loses_the_pass as a child process"]
fn child_saves_passes_forever() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let [home, slot, old, new]: [&str; 4] =
        spec.split('\n').collect::<Vec<_>>().try_into().unwrap();
    let files = PassFiles::new(std::path::Path::new(home));
    let passes = [std::fs::read(old).unwrap(), std::fs::read(new).unwrap()];
    files.save_pass(slot, &passes[1]).unwrap();
    println!("ready");
    for i in 0.. {
        files.save_pass(slot, &passes[i % 2]).unwrap();
    }
}

/// Runs one of the ignored child tests of this file in a process of its own, with `spec` in the
/// environment variable `env`, and returns once it has printed "ready".
fn spawn_ready_child(test: &str, env: &str, spec: &str) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while !line.contains("ready") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "{test} ended before it was ready"
        );
    }
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_saving_never_loses_the_pass() {
    // A real wallet with a real pass, renewed once: the old and the new pass.
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    let first = issuer.enrol(&wallet, "demo-kim").await;
    let pass_path = PassFiles::new(home.path()).pass_path(&first.id);
    let old: PathBuf = home.path().join("old.bin");
    std::fs::copy(&pass_path, &old).unwrap();
    wallet.renew_pass(&first.id, now(), true).await.unwrap();
    let new: PathBuf = home.path().join("new.bin");
    std::fs::copy(&pass_path, &new).unwrap();
    drop(wallet);
    issuer.stop().await;
    let old_id = first.details.unwrap().pass_id;

    let spec = [
        home.path().display().to_string(),
        first.id.clone(),
        old.display().to_string(),
        new.display().to_string(),
    ]
    .join("\n");
    let mut seen = std::collections::BTreeMap::new();
    for round in 0..KILLS {
        let mut child = spawn_ready_child("child_saves_passes_forever", CHILD_ENV, &spec);
        std::thread::sleep(Duration::from_micros(
            rand::thread_rng().gen_range(0..20_000),
        ));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let wallet =
            Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
        assert!(
            wallet.problems().is_empty(),
            "round {round}: {:?}",
            wallet.problems()
        );
        let held = wallet.passes(now())[0].clone();
        assert_ne!(
            held.state,
            PassState::Missing,
            "round {round}: the pass is never lost"
        );
        let pass_id = held.details.unwrap().pass_id;
        *seen
            .entry(if pass_id == old_id { "old" } else { "new" })
            .or_insert(0) += 1;
        assert!(
            wallet.current_qr(None, now(), false).is_ok(),
            "round {round}"
        );
    }
    println!("after {KILLS} SIGKILLs the wallet opened with: {seen:?}");
    assert_eq!(seen.values().sum::<i32>(), KILLS as i32);
}

/// The victim of the second test: renews its pass against the issuer, forever. Run only as a child.
#[test]
#[ignore = "run by sigkill_mid_renewal_never_costs_the_pass_or_the_token_chain as a child process"]
fn child_renews_forever() {
    let Ok(spec) = std::env::var(RENEWING_CHILD_ENV) else {
        return;
    };
    let [home, slot, url, anchor]: [&str; 4] =
        spec.split('\n').collect::<Vec<_>>().try_into().unwrap();
    let home = std::path::Path::new(home);
    let anchor = doorpass_format::keys::read_public_key(std::path::Path::new(anchor)).unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(home.join("secrets.json")));
    let setup = WalletSetup {
        issuer_url: url.to_string(),
        anchor,
        replace_issuer: false,
    };
    let wallet = Wallet::open(home, secrets, Some(setup), WalletOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("ready");
    loop {
        let outcome = runtime
            .block_on(wallet.renew_pass(slot, now(), true))
            .unwrap();
        assert!(
            matches!(outcome, RenewalOutcome::Renewed { .. }),
            "{outcome:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_renewal_never_costs_the_pass_or_the_token_chain() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, pass) = issuer.enrolled_in_folder(home.path(), "demo-kim").await;
    let slot = pass.id;
    let spec = [
        home.path().display().to_string(),
        slot.clone(),
        issuer.url(),
        issuer
            .dir
            .path()
            .join("anchor.pub.pem")
            .display()
            .to_string(),
    ]
    .join("\n");
    let mut renewed_by_child = 0usize;
    for round in 0..RENEWAL_KILLS {
        let before = doorpass_tests::renew_requests_seen(&issuer.url()).await;
        let mut child = spawn_ready_child("child_renews_forever", RENEWING_CHILD_ENV, &spec);
        tokio::time::sleep(Duration::from_micros(
            rand::thread_rng().gen_range(0..100_000),
        ))
        .await;
        child.kill().unwrap(); // SIGKILL, wherever it is
        child.wait().unwrap();
        // Let a request the child left in flight finish on the issuer's side.
        tokio::time::sleep(Duration::from_millis(50)).await;
        renewed_by_child +=
            (doorpass_tests::renew_requests_seen(&issuer.url()).await - before) as usize;

        let wallet =
            Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
        assert!(
            wallet.problems().is_empty(),
            "round {round}: {:?}",
            wallet.problems()
        );
        let held = wallet.passes(now())[0].clone();
        assert_eq!(held.state, PassState::Active, "round {round}: {held:?}");
        assert!(
            wallet.current_qr(None, now(), false).is_ok(),
            "round {round}"
        );
        // Whatever the child was doing, the token chain is intact: renewal still works.
        let outcome = wallet.renew_pass(&slot, now(), true).await.unwrap();
        assert!(
            matches!(outcome, RenewalOutcome::Renewed { .. }),
            "round {round}: {outcome:?}"
        );
    }
    println!(
        "{RENEWAL_KILLS} SIGKILLs during {renewed_by_child} renewals: the wallet always had its pass and could renew"
    );
    assert!(
        renewed_by_child > RENEWAL_KILLS,
        "the children really were renewing"
    );
}
