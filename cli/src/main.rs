//! `doorpass`: issue, hold, present and verify Doorpass passes from the command line.
//!
//! Exit status: 0 success (for `verify`: the pass is valid), 1 `verify` refused the pass,
//! 2 usage, input or I/O error.

mod ca_certs;
mod commands;
mod output;
mod picture;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Doorpass: passes that show and verify with no network.
#[derive(Parser)]
#[command(name = "doorpass", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole story once: local issuer, enrolment, QR code, issuer gone, same code offline, verdict.
    Demo {
        /// Keep showing the live rotating code at the end, until Ctrl-C.
        #[arg(long)]
        keep: bool,
    },
    /// Issuer tools: create keys and the trust list, mint passes.
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// Holder tools: create a holder key.
    #[command(subcommand)]
    Holder(HolderCommand),
    /// The holder's wallet: enrol, list, renew, remove, wipe, show the QR code.
    Wallet(commands::wallet::WalletArgs),
    /// Show a pass file as a QR code (rotating by default).
    Present(PresentArgs),
    /// Check a QR code offline against a trust list. Exit 0 valid, 1 refused, 2 error.
    Verify(VerifyArgs),
    /// A door's check log (`verify --log`, or a door's `check-log` file): today's counts, or every
    /// 10-minute bucket of the last 90 days as CSV.
    DoorLog(DoorLogArgs),
    /// Load generator for the issuer (loopback only).
    #[command(subcommand)]
    Loadgen(commands::loadgen::LoadgenCommand),
    /// Write the DP1 test vectors (deterministic keys; for tests/vectors).
    Vectors {
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum IssuerCommand {
    /// Create an anchor key, an issuer key and a trust list listing the issuer key. The anchor's
    /// private key goes to its own folder, to keep offline.
    Init {
        /// Serving folder: issuer key, anchor public key, trust list (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Folder for the anchor's private key (default: DIR.anchor next to DIR).
        #[arg(long)]
        anchor_dir: Option<PathBuf>,
        /// The issuer id written into passes (`iss`).
        #[arg(long, default_value = "DOORPASS-DEMO")]
        issuer_id: String,
        /// Replace existing keys in DIR.
        #[arg(long)]
        force: bool,
    },
    /// Replace the issuer key: the new one signs from now on, the old one stays trusted only for
    /// passes it already signed. Needs the anchor folder; restart `serve` afterwards.
    RotateKey {
        /// Serving folder made by `issuer init`.
        #[arg(long)]
        dir: PathBuf,
        /// The anchor's folder (default: DIR.anchor next to DIR).
        #[arg(long)]
        anchor_dir: Option<PathBuf>,
    },
    /// Sign the trust list again as a new version with a new planned update, before wallets and
    /// doors call it stale. Needs the anchor folder.
    SignTrustList {
        /// Serving folder made by `issuer init`.
        #[arg(long)]
        dir: PathBuf,
        /// The anchor's folder (default: DIR.anchor next to DIR).
        #[arg(long)]
        anchor_dir: Option<PathBuf>,
    },
    /// Mint a pass for a holder public key.
    Mint(MintArgs),
    /// Run the issuer service (HTTP API, trust list, metrics).
    // Boxed: its options outweigh every other command's.
    Serve(Box<commands::serve::ServeArgs>),
    /// Manage who is eligible.
    #[command(subcommand)]
    Holders(HoldersCommand),
    /// Revoke passes: doors refuse them once they fetch the status list (a running issuer serves
    /// the change within about a second), and they are never renewed.
    Revoke(commands::serve::RevokeArgs),
}

#[derive(Subcommand)]
enum HoldersCommand {
    /// Import holders from CSV (header: subject,name,birth_date,kind,eligible_until); all or nothing.
    Import {
        /// Issuer folder.
        #[arg(long)]
        dir: PathBuf,
        /// The database: a SQLite file (default DIR/issuer.db) or postgres://USER@HOST:PORT/DB.
        /// `--db` is the older name.
        #[arg(long, alias = "db", value_name = "FILE|URL")]
        database: Option<String>,
        /// The CSV file.
        csv: PathBuf,
    },
}

#[derive(Args)]
struct MintArgs {
    /// Issuer folder made by `issuer init`.
    #[arg(long)]
    dir: PathBuf,
    /// The holder's public key (PEM), as written by `holder keygen`.
    #[arg(long)]
    holder_pub: PathBuf,
    /// The holder's name as shown at the door.
    #[arg(long)]
    name: String,
    /// The holder's birth date, YYYY-MM-DD or YYYY.
    #[arg(long)]
    birth_date: String,
    /// What the pass attests.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Days of validity.
    #[arg(long, default_value_t = 30)]
    valid_days: u64,
    /// Issue time (seconds since the Unix epoch); default now.
    #[arg(long)]
    at: Option<u64>,
    /// Where to write the pass (COSE_Sign1).
    #[arg(long)]
    out: PathBuf,
    /// The key assurance the pass claims (tests and demos: nothing is attested here; the serving
    /// issuer sets it only from an attestation it checked).
    #[arg(long, value_enum, default_value = "unattested")]
    key_assurance: KeyAssuranceArg,
}

/// Key assurances as named on the command line.
#[derive(Clone, Copy, ValueEnum)]
enum KeyAssuranceArg {
    Unattested,
    AndroidTee,
    AndroidStrongbox,
    AppleAppAttest,
}

/// Pass kinds as named on the command line.
#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Vaccination,
    Recovery,
    Exemption,
    Test,
}

#[derive(Subcommand)]
enum HolderCommand {
    /// Create a holder key pair: KEY.pem (private, mode 0600) and KEY.pub.pem.
    Keygen {
        /// Where to write the private key; the public key goes next to it as *.pub.pem.
        #[arg(long)]
        out: PathBuf,
        /// The key's algorithm: ed25519 (default), or es256 (P-256, what phones' secure hardware holds).
        #[arg(long, value_enum, default_value = "ed25519")]
        alg: HolderAlg,
    },
}

/// Holder key algorithms.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HolderAlg {
    /// Ed25519.
    Ed25519,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

/// Output formats for QR codes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QrFormat {
    /// The QR text alone, on one line.
    Text,
    /// The QR code drawn in the terminal.
    Terminal,
    /// An SVG picture.
    Svg,
    /// A PNG picture (needs --out).
    Png,
}

#[derive(Args)]
struct PresentArgs {
    /// The pass (COSE_Sign1 file).
    #[arg(long)]
    pass: PathBuf,
    /// The holder's private key (PEM); it must match the key in the pass.
    #[arg(long)]
    holder_key: PathBuf,
    /// A static code (the pass alone, no rotating proof).
    #[arg(long = "static")]
    fixed: bool,
    /// Time to present at (seconds since the Unix epoch); default now.
    #[arg(long)]
    at: Option<u64>,
    #[arg(long, value_enum, default_value = "text")]
    format: QrFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct VerifyArgs {
    /// The pinned trust anchor public key (PEM).
    #[arg(long)]
    anchor: PathBuf,
    /// The trust list (COSE_Sign1 file).
    #[arg(long)]
    trust_list: PathBuf,
    /// Time to verify at (seconds since the Unix epoch); default now.
    #[arg(long)]
    at: Option<u64>,
    /// Clock tolerance in seconds for rotating codes.
    #[arg(long, default_value_t = doorpass_format::verifier::DEFAULT_CLOCK_TOLERANCE_SECONDS)]
    tolerance: u64,
    /// Accept static codes.
    #[arg(long)]
    allow_static: bool,
    /// Longest pass lifetime (expiry minus issuance) accepted, in days.
    #[arg(long, default_value_t = doorpass_format::verifier::DEFAULT_MAX_PASS_LIFETIME_SECONDS / 86_400)]
    max_pass_days: u64,
    /// A status list (revocation) to check the pass against: a file, or a URL to fetch (https, or
    /// http to this machine). It counts for the passes of the issuer its key is listed for that
    /// name its `sub`.
    /// May be given several times.
    #[arg(long)]
    status_list: Vec<String>,
    /// Oldest status list used to say a pass is not revoked, in hours.
    #[arg(long, default_value_t = doorpass_format::revocation::DEFAULT_MAX_STATUS_LIST_AGE_SECONDS / 3600)]
    max_list_hours: u64,
    /// Refuse a revocable pass whose status list is missing or older than --max-list-hours
    /// (otherwise it is accepted and marked "revocation not checked").
    #[arg(long)]
    require_revocation_check: bool,
    /// Refuse a pass that names no status list (it can never be revoked).
    #[arg(long)]
    refuse_unrevocable: bool,
    /// Refuse a pass whose holder key no key attestation showed to be in the phone's secure
    /// hardware (Android TEE or StrongBox, Apple App Attest).
    #[arg(long)]
    require_hardware_key: bool,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
    /// Count this check in the check log FILE (created if missing; the format of a door's
    /// `check-log` file, docs/door-log.md). A log that cannot be written is a warning only.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// A CA certificate (PEM) to trust beside the system's when fetching --status-list over
    /// https (a test issuer). May be given several times.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Read the code from a picture instead.
    #[arg(long, conflicts_with = "qr_text", required_unless_present = "qr_text")]
    image: Option<PathBuf>,
    /// The QR text (`DP1:...`).
    qr_text: Option<String>,
}

#[derive(Args)]
struct DoorLogArgs {
    /// The check log file.
    file: PathBuf,
    /// Print every bucket of the last 90 days as CSV instead of the summary.
    #[arg(long)]
    csv: bool,
    /// Start of the summary (seconds since the Unix epoch); default: midnight UTC today.
    #[arg(long)]
    since: Option<u64>,
    /// The time it is now (seconds since the Unix epoch); default now.
    #[arg(long)]
    at: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { keep } => commands::demo::run(keep),
        Command::Issuer(IssuerCommand::Init {
            dir,
            anchor_dir,
            issuer_id,
            force,
        }) => commands::issuer::init(&dir, anchor_dir.as_deref(), &issuer_id, force),
        Command::Issuer(IssuerCommand::RotateKey { dir, anchor_dir }) => {
            commands::issuer::rotate_key(&dir, anchor_dir.as_deref())
        }
        Command::Issuer(IssuerCommand::SignTrustList { dir, anchor_dir }) => {
            commands::issuer::sign_trust_list(&dir, anchor_dir.as_deref())
        }
        Command::Issuer(IssuerCommand::Mint(args)) => commands::issuer::mint(&args),
        Command::Issuer(IssuerCommand::Serve(args)) => commands::serve::serve(&args),
        Command::Issuer(IssuerCommand::Revoke(args)) => commands::serve::revoke(&args),
        Command::Issuer(IssuerCommand::Holders(HoldersCommand::Import { dir, database, csv })) => {
            commands::serve::import_holders(&dir, database.as_deref(), &csv)
        }
        Command::Holder(HolderCommand::Keygen { out, alg }) => {
            commands::holder::keygen(&out, alg == HolderAlg::Es256)
        }
        Command::Present(args) => commands::present::run(&args),
        Command::Wallet(args) => commands::wallet::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::DoorLog(args) => commands::door_log::run(&args),
        Command::Vectors { out } => commands::vectors::write(&out),
        Command::Loadgen(command) => commands::loadgen::run(&command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("doorpass: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
