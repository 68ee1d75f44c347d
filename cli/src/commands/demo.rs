//! `doorpass demo`: the whole story in one command — a local issuer, enrolment, the QR code, the issuer
//! going away, the same code offline, and the door's verdict — with a line of progress at each step.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use doorpass_format::Verdict;
use doorpass_format::keys::read_public_key;
use doorpass_format::verifier::VerifierPolicy;
use doorpass_issuer::service::Faults;
use doorpass_issuer::{Issuer, IssuerConfig, unix_now};
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::secret_store::MemorySecretStore;
use doorpass_wallet::wallet::{Wallet, WalletOptions, WalletSetup};
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::wallet::{caption, live};

const STEPS: u32 = 6;
const SUBJECT: &str = "demo-kim";

fn step(n: u32, what: &str) {
    println!("[{n}/{STEPS}] {what}");
}

/// A spinner for a step that may take a moment (hidden when output is not a terminal).
fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("      {spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

/// Runs the demo; `keep` ends with the live rotating code until Ctrl-C.
pub fn run(keep: bool) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let work = tempfile::tempdir().context("creating a temporary folder")?;
    let issuer_dir = work.path().join("issuer");
    let (wallet, verdict) = runtime.block_on(async {
        step(1, "starting a local issuer (dev mode) on 127.0.0.1");
        let anchor_dir = doorpass_issuer::keys::AnchorDir::for_issuer(&issuer_dir, None);
        doorpass_issuer::keys::init_dir(&issuer_dir, &anchor_dir, "DOORPASS-DEMO", unix_now(), false)?;
        let mut config = IssuerConfig::new(issuer_dir.clone());
        config.dev = Some(Faults::default());
        let running = Issuer::open(&config).await?.spawn("127.0.0.1:0".parse()?).await?;
        println!("      issuer at {}, trust anchor pinned from {}", running.url(), issuer_dir.join("anchor.pub.pem").display());

        step(2, &format!("enrolling: asking the issuer to send a one-time code to {SUBJECT}"));
        let anchor = read_public_key(&issuer_dir.join("anchor.pub.pem"))?;
        let setup = WalletSetup { issuer_url: running.url(), anchor, replace_issuer: false };
        let wallet =
            Wallet::open(&work.path().join("wallet"), Arc::new(MemorySecretStore::default()), Some(setup), WalletOptions::default())?;
        let bar = spinner("waiting for the issuer");
        wallet.begin_authentication(SUBJECT, unix_now()).await?;
        bar.finish_and_clear();

        step(3, "reading the code from the dev endpoint (a phone would get an SMS) and completing enrolment");
        let bar = spinner("exchanging the code and a proof of key possession for a pass");
        let code = IssuerClient::over_https(&running.url(), DEFAULT_TIMEOUT)?.dev_code(SUBJECT).await?;
        let pass = wallet.complete_authentication(&code, unix_now()).await?;
        bar.finish_and_clear();
        if let Some(d) = &pass.details {
            println!(
                "      pass for {} ({}), {}; checked against the signed trust list and stored",
                d.display_name,
                d.birth_date,
                d.kind.label()
            );
        }

        step(4, "showing the rotating QR code (signed by a key that never leaves this device)");
        let view = wallet.current_qr(None, unix_now(), false)?;
        print!("{}", view.matrix.to_terminal());
        println!("      {}", caption(&view));

        step(5, "stopping the issuer: from here on there is no network — showing the code again");
        running.stop().await?;
        let view = wallet.current_qr(None, unix_now(), false)?;
        print!("{}", view.matrix.to_terminal());
        println!("      {}", caption(&view));
        println!("      screen reader: {}", view.accessible_label);

        step(6, "the door checks the code offline against its cached trust list");
        let verdict = wallet.verify_qr(&view.qr_text, unix_now(), VerifierPolicy::default())?;
        match &verdict {
            Verdict::Valid(p) => println!("      VALID: {} (born {}), {}", p.display_name, p.birth_date, p.kind.label()),
            Verdict::Refused(r) => println!("      REFUSED ({}): {r}", r.code()),
        }
        let replay = wallet.verify_qr(&view.qr_text, unix_now() + 300, VerifierPolicy::default())?;
        if let Verdict::Refused(r) = &replay {
            println!("      the same code as a screenshot 5 minutes later: REFUSED ({})", r.code());
        }
        anyhow::Ok((wallet, verdict.is_valid() && !replay.is_valid()))
    })?;
    if keep {
        println!("live code (Ctrl-C to stop):");
        live(&wallet, None, false, None)?;
    }
    Ok(if verdict {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
