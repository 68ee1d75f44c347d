//! `doorpass wallet --home DIR …`: the holder's wallet from the command line.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use doorpass_format::dates::{format_date_time, format_duration};
use doorpass_format::keys::read_public_key;
use doorpass_wallet::keyring_store::KeyringSecretStore;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore, SecretStoreError};
use doorpass_wallet::wallet::{
    PassState, PassSummary, QrView, RenewalOutcome, Wallet, WalletError, WalletOptions,
    WalletSetup, WalletState,
};

use crate::QrFormat;
use crate::output::{now_or, write_qr};

/// `doorpass wallet` options.
#[derive(Args)]
pub struct WalletArgs {
    /// The wallet folder.
    #[arg(long)]
    home: PathBuf,
    /// Where holder keys and refresh tokens are kept. `auto`: the OS keystore, or where there is none
    /// a file readable only by you (said in one line); a keystore that is there but fails is an error,
    /// not a reason to use the file. The choice is recorded with the wallet.
    #[arg(long, value_enum, default_value = "auto")]
    secrets: SecretsArg,
    /// Allow plain http to an issuer on another machine (QA against a test issuer on the LAN).
    /// Loopback issuers never need it; real issuers use https.
    #[arg(long)]
    allow_http: bool,
    /// A CA certificate (PEM) to trust beside the system's, for a test issuer over https. May be
    /// given several times.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    #[command(subcommand)]
    command: WalletCommand,
}

/// Secret store choices.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretsArg {
    /// The recorded choice, or for a new wallet the OS keystore, else (no keystore at all) a 0600 file.
    Auto,
    /// The OS keystore (Linux: kernel keyutils, inside a session keyring).
    Keyring,
    /// HOME/secrets.json, mode 0600.
    File,
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Authenticate with a one-time code and store the pass (the code is read from standard input).
    Enrol {
        /// Issuer base URL.
        #[arg(long)]
        issuer: String,
        /// The trust anchor public key to pin (PEM).
        #[arg(long)]
        anchor: PathBuf,
        /// Who the code goes to (phone number or id registered with the issuer).
        #[arg(long)]
        subject: String,
        /// Let `--issuer` replace a different issuer URL this wallet recorded (the issuer moved).
        /// Without it, enrolling an existing wallet against another URL is refused.
        #[arg(long)]
        replace_issuer: bool,
    },
    /// List the passes.
    List,
    /// Renew passes that are due (honours Retry-After and backoff).
    Renew {
        /// Only this pass.
        #[arg(long)]
        pass: Option<String>,
        /// Renew now even if not due.
        #[arg(long)]
        force: bool,
    },
    /// Remove a pass and its keys from this device.
    Remove {
        /// The pass id (see `list`).
        #[arg(long)]
        pass: String,
    },
    /// Delete every pass, key and file of this wallet.
    Wipe,
    /// Show a pass's QR code (no network needed).
    Qr(QrArgs),
}

#[derive(Args)]
struct QrArgs {
    /// The pass id (needed when the wallet holds several).
    #[arg(long)]
    pass: Option<String>,
    /// A static code (for print-outs).
    #[arg(long = "static")]
    fixed: bool,
    /// Time to show the code for (seconds since the Unix epoch); default now.
    #[arg(long)]
    at: Option<u64>,
    #[arg(long, value_enum, default_value = "terminal")]
    format: WalletQrFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// With `live`: stop after this many redraws (default: until Ctrl-C).
    #[arg(long, hide = true)]
    frames: Option<u64>,
}

/// QR formats of `wallet qr`: those of `present`, plus a live terminal view.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WalletQrFormat {
    Text,
    Terminal,
    Svg,
    Png,
    /// Redraws the code in the terminal at each rotation, with a countdown.
    Live,
}

const SECRETS_CHOICE_FILE: &str = "secret-store";

/// Opens the secret store for `home`: the recorded choice, or a new one (never a silent downgrade).
pub fn open_secrets(home: &Path, arg: SecretsArg) -> Result<Arc<dyn SecretStore>> {
    let recorded = std::fs::read_to_string(home.join(SECRETS_CHOICE_FILE)).ok();
    let choice = match (arg, recorded.as_deref().map(str::trim)) {
        (SecretsArg::Auto, Some("keyring")) | (SecretsArg::Keyring, _) => SecretsArg::Keyring,
        (SecretsArg::Auto, Some("file")) | (SecretsArg::File, _) => SecretsArg::File,
        (SecretsArg::Auto, _) => SecretsArg::Auto,
    };
    if let (Some(recorded), true) = (recorded.as_deref().map(str::trim), arg != SecretsArg::Auto) {
        let asked = if arg == SecretsArg::Keyring {
            "keyring"
        } else {
            "file"
        };
        if recorded != asked {
            bail!(
                "this wallet keeps its secrets in its {recorded} store; --secrets {asked} would not find them"
            );
        }
    }
    let file_store =
        || -> Arc<dyn SecretStore> { Arc::new(FileSecretStore::new(home.join("secrets.json"))) };
    let (store, name): (Arc<dyn SecretStore>, &str) = match choice {
        SecretsArg::Keyring => match KeyringSecretStore::connect("doorpass") {
            Ok(store) => (Arc::new(store), "keyring"),
            Err(e) => {
                bail!("{e} (on Linux, run inside a session keyring: keyctl session - doorpass …)")
            }
        },
        SecretsArg::File => (file_store(), "file"),
        SecretsArg::Auto => match choose_auto(
            KeyringSecretStore::connect("doorpass"),
            &home.join("secrets.json"),
        )? {
            AutoStore::Keyring(store) => (Arc::new(store), "keyring"),
            AutoStore::File { notice } => {
                eprintln!("{notice}");
                (file_store(), "file")
            }
        },
    };
    if recorded.is_none() {
        doorpass_format::atomic_file::create_private_dir(home)
            .with_context(|| format!("creating {}", home.display()))?;
        std::fs::write(home.join(SECRETS_CHOICE_FILE), format!("{name}\n"))
            .with_context(|| format!("recording the secret store in {}", home.display()))?;
    }
    Ok(store)
}

/// Where `--secrets auto` puts a new wallet's secrets.
#[derive(Debug, PartialEq, Eq)]
enum AutoStore<S> {
    /// The OS keystore, which answered.
    Keyring(S),
    /// The private file, because there is no OS keystore; `notice` is the one line that says so.
    File {
        /// What to tell the user.
        notice: String,
    },
}

/// What `--secrets auto` makes of connecting to the OS keystore: the keystore when it answered; the
/// private file at `file` only when there is no keystore at all ([`SecretStoreError::Unavailable`]);
/// and an error when a keystore is there but failed ([`SecretStoreError::Failed`], perhaps for a
/// moment): secrets must not move to a file because of a hiccup.
fn choose_auto<S>(connected: Result<S, SecretStoreError>, file: &Path) -> Result<AutoStore<S>> {
    match connected {
        Ok(store) => Ok(AutoStore::Keyring(store)),
        Err(SecretStoreError::Unavailable(reason)) => Ok(AutoStore::File {
            notice: format!(
                "doorpass: no OS keystore reachable ({reason}); keeping secrets in {} (readable only by you)",
                file.display()
            ),
        }),
        Err(SecretStoreError::Failed(reason)) => bail!(
            "the OS keystore failed ({reason}); nothing was stored. Try again, or choose --secrets file \
             to keep secrets in a file readable only by you"
        ),
    }
}

/// Runs a wallet subcommand.
pub fn run(args: &WalletArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: &WalletArgs) -> Result<ExitCode> {
    let home = &args.home;
    let options = WalletOptions {
        allow_plain_http: args.allow_http,
        tls: crate::ca_certs::tls_trust(&args.ca_cert)?,
        ..WalletOptions::default()
    };
    if let WalletCommand::Enrol {
        issuer,
        anchor,
        subject,
        replace_issuer,
    } = &args.command
    {
        let secrets = open_secrets(home, args.secrets)?;
        let anchor = read_public_key(anchor)?;
        let setup = WalletSetup {
            issuer_url: issuer.clone(),
            anchor,
            replace_issuer: *replace_issuer,
        };
        let wallet = match Wallet::open(home, secrets, Some(setup), options) {
            Ok(wallet) => wallet,
            Err(WalletError::IssuerMismatch { stored }) => bail!(
                "this wallet talks to the issuer at {stored}, not {issuer}; if the issuer moved, \
                 run enrol again with --replace-issuer"
            ),
            Err(e) => return Err(e.into()),
        };
        report_problems(&wallet);
        return enrol(&wallet, subject).await;
    }
    if !home.join("identity.json").exists() {
        bail!(
            "no wallet in {}; enrol first (doorpass wallet --home {} enrol …)",
            home.display(),
            home.display()
        );
    }
    let secrets = open_secrets(home, args.secrets)?;
    let wallet = Wallet::open(home, secrets, None, options)?;
    report_problems(&wallet);
    match &args.command {
        WalletCommand::Enrol { .. } => unreachable!("handled above"),
        WalletCommand::List => list(&wallet),
        WalletCommand::Renew { pass, force } => renew(&wallet, pass.as_deref(), *force).await,
        WalletCommand::Remove { pass } => {
            wallet.remove_pass(pass)?;
            println!("removed pass {pass}");
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Wipe => {
            wallet.wipe().await?;
            let _ = std::fs::remove_file(home.join(SECRETS_CHOICE_FILE));
            let _ = std::fs::remove_dir(home);
            println!("wallet wiped");
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Qr(qr) => show_qr(&wallet, qr),
    }
}

fn report_problems(wallet: &Wallet) {
    for p in wallet.problems() {
        eprintln!(
            "doorpass: {} was damaged ({}); moved to {}",
            p.file, p.reason, p.moved_to
        );
    }
}

async fn enrol(wallet: &Wallet, subject: &str) -> Result<ExitCode> {
    let pending = wallet.begin_authentication(subject, now_or(None)).await?;
    if pending.reauthentication {
        eprintln!("Re-authenticating the pass for {subject} (same key on this device).");
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut lines = stdin.lock().lines();
    loop {
        eprint!(
            "A {}-digit code was sent to {subject}. Enter it: ",
            pending.code_length
        );
        let _ = std::io::stderr().flush();
        let Some(line) = lines.next() else {
            wallet.cancel_authentication()?;
            bail!("no code given (standard input ended)");
        };
        let line = line.context("reading the code")?;
        if !interactive {
            eprintln!();
        }
        match wallet.complete_authentication(&line, now_or(None)).await {
            Ok(pass) => {
                println!("enrolled: {}", describe(&pass, now_or(None)));
                return Ok(ExitCode::SUCCESS);
            }
            Err(WalletError::WrongCode { attempts_left }) => {
                eprintln!("That code is not right; {attempts_left} tries left.");
            }
            Err(e @ WalletError::InvalidInput { .. }) => eprintln!("{e}."),
            Err(e) => return Err(e.into()),
        }
    }
}

fn describe(p: &PassSummary, now: u64) -> String {
    let state = match p.state {
        PassState::Active => "valid",
        PassState::RenewDue => "valid, renewal due",
        PassState::Expired => "EXPIRED",
        PassState::ReauthRequired => "sign-in needed (enrol again)",
        PassState::Missing => "pass file damaged (run renew)",
        PassState::Revoked => "REVOKED by the issuer (enrol again)",
    };
    match &p.details {
        Some(d) => format!(
            "pass {} — {} ({}), {}, {state}; expires {} ({}), renews after {}",
            p.id,
            d.display_name,
            d.birth_date,
            d.kind.label(),
            format_date_time(d.expires_at),
            doorpass_wallet::wallet::describe_in(d.expires_at as i64 - now as i64),
            format_date_time(d.renew_after),
        ),
        None => format!("pass {} — {}, {state}", p.id, p.subject),
    }
}

fn list(wallet: &Wallet) -> Result<ExitCode> {
    let now = now_or(None);
    match wallet.state() {
        WalletState::NotEnrolled => println!("no passes yet"),
        WalletState::AwaitingCode(p) => println!("waiting for the code sent to {}", p.subject),
        WalletState::Ready { .. } => {}
    }
    for p in wallet.passes(now) {
        println!("{}", describe(&p, now));
        if let Some(e) = &p.last_renewal_error {
            println!("    last renewal failed: {e}");
        }
    }
    match wallet.trust_list_status(now) {
        Some(t) => println!(
            "trust list version {}, {} old{}",
            t.version,
            format_duration(t.age_seconds),
            if t.update_due { " (update due)" } else { "" }
        ),
        None => println!("no trust list cached"),
    }
    let clock = wallet.clock_status();
    if let Some(rejected) = clock.rejected_offset_seconds {
        println!(
            "warning: the issuer's clock differed from this device's by {rejected} s, too much to \
             trust; the clock was not corrected"
        );
    }
    if clock.skewed || clock.turned_back {
        println!(
            "warning: this device's clock is off by {} s{}",
            clock.offset_seconds.unwrap_or(0),
            if clock.turned_back {
                " and was turned back"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn renew(wallet: &Wallet, pass: Option<&str>, force: bool) -> Result<ExitCode> {
    let now = now_or(None);
    let outcomes = match pass {
        Some(id) => vec![(id.to_string(), wallet.renew_pass(id, now, force).await?)],
        None if force => {
            let mut v = Vec::new();
            for p in wallet.passes(now) {
                v.push((p.id.clone(), wallet.renew_pass(&p.id, now, true).await?));
            }
            v
        }
        None => wallet
            .renew_due(now)
            .await
            .into_iter()
            .map(|r| (r.pass_id, r.outcome))
            .collect(),
    };
    if outcomes.is_empty() {
        println!("nothing is due for renewal");
    }
    let mut failed = false;
    for (id, outcome) in outcomes {
        let text = match outcome {
            RenewalOutcome::NotDue { renew_after } => {
                format!("not due until {}", format_date_time(renew_after))
            }
            RenewalOutcome::Renewed { expires_at, .. } => {
                format!("renewed; valid until {}", format_date_time(expires_at))
            }
            RenewalOutcome::Waiting { retry_at } => {
                format!(
                    "waiting: next try {}",
                    doorpass_wallet::wallet::describe_in(retry_at as i64 - now as i64)
                )
            }
            RenewalOutcome::Deferred {
                retry_at, reason, ..
            } => {
                failed = true;
                format!(
                    "not renewed ({reason}); the current pass is kept; next try {}",
                    doorpass_wallet::wallet::describe_in(retry_at as i64 - now as i64)
                )
            }
            RenewalOutcome::ReauthRequired { reason } => {
                failed = true;
                format!(
                    "the issuer needs you to sign in again ({reason}): run `enrol` with the same subject"
                )
            }
        };
        println!("pass {id}: {text}");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn show_qr(wallet: &Wallet, args: &QrArgs) -> Result<ExitCode> {
    let format = match args.format {
        WalletQrFormat::Text => QrFormat::Text,
        WalletQrFormat::Terminal => QrFormat::Terminal,
        WalletQrFormat::Svg => QrFormat::Svg,
        WalletQrFormat::Png => QrFormat::Png,
        WalletQrFormat::Live => return live(wallet, args.pass.as_deref(), args.fixed, args.frames),
    };
    let view = wallet.current_qr(args.pass.as_deref(), now_or(args.at), args.fixed)?;
    write_qr(&view.qr_text, format, args.out.as_deref())?;
    eprintln!("{}", caption(&view));
    Ok(ExitCode::SUCCESS)
}

/// The line under a code: who, until when, and the countdown.
pub fn caption(view: &QrView) -> String {
    let rotation = if view.is_static {
        "static code".to_string()
    } else {
        format!("new code in {:2} s", view.seconds_until_rotation)
    };
    let until = format_date_time(view.expires_at);
    let validity = match view.state {
        PassState::Expired => format!("EXPIRED {until} — renew or sign in again"),
        PassState::ReauthRequired => format!("until {until} — sign in again to keep it"),
        _ => format!("valid until {until}"),
    };
    format!(
        "{} — {validity} — {rotation} — works offline (QR version {})",
        view.display_name,
        view.matrix.version()
    )
}

/// Redraws the code each second, with a countdown, until Ctrl-C (or after `frames` redraws).
pub fn live(
    wallet: &Wallet,
    pass: Option<&str>,
    fixed: bool,
    frames: Option<u64>,
) -> Result<ExitCode> {
    let mut out = std::io::stdout();
    let mut frame = 0u64;
    loop {
        let view = wallet.current_qr(pass, now_or(None), fixed)?;
        write!(
            out,
            "\x1b[H\x1b[2J{}{}\n(Ctrl-C to stop)\n",
            view.matrix.to_terminal(),
            caption(&view)
        )?;
        out.flush()?;
        frame += 1;
        if frames.is_some_and(|n| frame >= n) {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_uses_a_file_only_when_there_is_no_keystore_at_all() {
        let file = Path::new("/home/w/secrets.json");
        assert_eq!(
            choose_auto(Ok::<_, SecretStoreError>("store"), file).unwrap(),
            AutoStore::Keyring("store")
        );
        let absent = SecretStoreError::Unavailable("no session keyring".into());
        let AutoStore::File { notice } = choose_auto::<()>(Err(absent), file).unwrap() else {
            panic!("no keystore: the file is used")
        };
        assert!(notice.contains("no OS keystore reachable (no session keyring)"));
        assert!(notice.contains("/home/w/secrets.json") && notice.contains("readable only by you"));
        assert_eq!(notice.lines().count(), 1, "said in one line");
        // A keystore that is there but failed: an error that says why, no file.
        let failed = SecretStoreError::Failed("quota exceeded".into());
        let error = choose_auto::<()>(Err(failed), file)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("OS keystore failed (quota exceeded)"),
            "{error}"
        );
        assert!(error.contains("--secrets file"), "{error}");
    }
}
