//! `doorpass issuer serve` and `doorpass issuer holders import`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use doorpass_issuer::admission::{AdmissionLimits, DEFAULT_OWED_PER_CLIENT};
use doorpass_issuer::client_address::Cidr;
use doorpass_issuer::rate_limit::Rate;
use doorpass_issuer::service::Faults;
use doorpass_issuer::store::{Database, Durability, StartCap};

use super::database::{database_of, with_store};
use super::serve_attestation::AttestationArgs;
use super::serve_renewal::RenewTimingArgs;
use doorpass_issuer::{DEMO_HOLDERS, Issuer, IssuerConfig, MetricsExposure};

/// Options of `doorpass issuer serve`.
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Issuer folder made by `issuer init`.
    #[arg(long)]
    pub dir: PathBuf,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of its own (e.g.
    /// 127.0.0.1:9100; port 0 picks a free port, printed). Without it, /metrics is not served.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Prefix of the status-list URIs written into passes (the list number follows), e.g.
    /// https://kdca.kr/s/ on a CDN that forwards to /v1/status/. Default: http(s)://LISTEN/v1/status/.
    /// Every byte costs the QR code; 21 bytes in all keeps it at version 14 (docs/qr-size.md).
    #[arg(long, value_name = "URL")]
    pub status_base_url: Option<String>,
    /// The database: a SQLite file (default DIR/issuer.db), or postgres://USER@HOST:PORT/DB shared
    /// by several issuer nodes (docs/issuer.md, "Several nodes"). `--db` is the older name.
    #[arg(long, alias = "db", value_name = "FILE|URL")]
    pub database: Option<String>,
    /// QA mode: codes readable at /dev/otp/{subject}, demo holders, and the fault knobs below. Only on
    /// a loopback --listen address, unless --dev-any-address.
    #[arg(long)]
    pub dev: bool,
    /// Allow --dev on a non-loopback address (QA on a private network): anyone who can reach it can
    /// read every one-time code.
    #[arg(long, requires = "dev")]
    pub dev_any_address: bool,
    /// Pass lifetime (dev only), e.g. 120s.
    #[arg(long, requires = "dev", value_parser = humantime::parse_duration)]
    pub pass_ttl: Option<Duration>,
    /// One-time code lifetime (dev only), e.g. 2s.
    #[arg(long, requires = "dev", value_parser = humantime::parse_duration)]
    pub code_ttl: Option<Duration>,
    /// How long doors, wallets and caches (an edge, a CDN) may keep a status list before fetching it
    /// again (dev only; default 5m), e.g. 3s: its `ttl` and `Cache-Control: max-age`.
    #[arg(long, requires = "dev", value_parser = humantime::parse_duration)]
    pub status_list_ttl: Option<Duration>,
    /// How long a refresh token outlives its pass (dev only), e.g. 0s.
    #[arg(long, requires = "dev", value_parser = humantime::parse_duration)]
    pub refresh_grace: Option<Duration>,
    /// How long after a renewal a retry with the old token gets the same answer again (its answer
    /// presumed lost), counted from the renewal; at most 1h. Past it, the old token is reuse and
    /// revokes its chain.
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_grace: Duration,
    /// Latency added to issuance requests (dev only), e.g. 200ms.
    #[arg(long, requires = "dev", value_parser = humantime::parse_duration)]
    pub inject_latency: Option<Duration>,
    /// Share of issuance requests answered 503 (dev only), 0 to 1.
    #[arg(long, requires = "dev")]
    pub inject_failure: Option<f64>,
    /// Issuance requests handled at once.
    #[arg(long, default_value_t = AdmissionLimits::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Completions and renewals allowed to wait for a slot (enrolment starts: half as many); beyond
    /// that, 503 at once.
    #[arg(long, default_value_t = AdmissionLimits::default().max_queued)]
    pub max_queued: usize,
    /// Longest an enrolment start waits for a slot, e.g. 250ms.
    #[arg(long, default_value = "250ms", value_parser = humantime::parse_duration)]
    pub queue_timeout: Duration,
    /// Longest a completion or renewal waits for a slot, e.g. 1s.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub finishing_timeout: Duration,
    /// Least Retry-After when shedding (seconds); it grows with the measured overload, and answers
    /// are spread over [r, 2×r].
    #[arg(long, default_value_t = AdmissionLimits::default().retry_after_secs)]
    pub retry_after: u64,
    /// Started enrolments that may be owed a completion at once; starts beyond are refused before a
    /// code is sent.
    #[arg(long, default_value_t = AdmissionLimits::default().max_owed_completions)]
    pub max_owed_completions: usize,
    /// Of --max-owed-completions, how many enrolments started from one client address (IPv6 by
    /// /64) may be owed a completion at once; beyond, its starts get 429. Default 100, or none
    /// with --client-rate 0 (no per-address limits); 0 disables it.
    #[arg(long, value_name = "N")]
    pub max_owed_per_client: Option<usize>,
    /// Issuance requests per second per client address (burst 3×); 0 disables the limit.
    #[arg(long, default_value_t = 20.0)]
    pub client_rate: f64,
    /// A reverse proxy or load balancer (address or CIDR network, e.g. 10.0.0.0/8; repeat the flag
    /// or separate with commas) whose X-Forwarded-For names the client for the per-address limits.
    /// Without it, the TCP peer is the client and the header is ignored.
    #[arg(long, value_name = "CIDR", value_delimiter = ',')]
    pub trusted_proxy: Vec<Cidr>,
    /// Enrolment starts allowed per subject per 15 minutes, over every node on the database; 0
    /// disables the limit.
    #[arg(long, default_value_t = 5)]
    pub subject_starts: u32,
    /// Longest a request may take, body read included (slow bodies get 408, slow handling 503), e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// After SIGTERM or Ctrl-C, how long requests in flight may finish; then they get 503, e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,
    /// Commit durability: survive a process crash (fast), or also a power loss.
    #[arg(long, value_enum, default_value = "process")]
    pub durability: DurabilityArg,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); needs
    /// --tls-key. Both files are read again on SIGHUP and when they change.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Key attestation at enrolment.
    #[command(flatten)]
    pub attestation: AttestationArgs,
    /// When wallets renew.
    #[command(flatten)]
    pub renew_timing: RenewTimingArgs,
}

impl ServeArgs {
    /// Passes name their status list by URL, and wallets and doors fetch it from there: off the
    /// machine, that must be an https URL people can reach, never `http://0.0.0.0:…` (the default
    /// names the listen address). Loopback stays open for dev and QA, and so does
    /// `--dev-any-address` (QA on a private network, whose debug wallets allow plain http).
    fn check_status_base_url(&self) -> Result<()> {
        if self.listen.ip().is_loopback() || self.dev_any_address {
            return Ok(());
        }
        match &self.status_base_url {
            Some(url) if url.starts_with("https://") => Ok(()),
            Some(url) => bail!(
                "--status-base-url {url} is not https: passes issued on {} name their status list \
                 there, and wallets and doors fetch it only over https; give \
                 --status-base-url https://HOST/PATH/",
                self.listen
            ),
            None => bail!(
                "listening on {}, a non-loopback address, needs --status-base-url https://HOST/PATH/ \
                 (the public https prefix of /v1/status/, e.g. on a CDN): without it passes would \
                 name http://{}/v1/status/…, which no wallet or door may fetch",
                self.listen,
                self.listen
            ),
        }
    }
}

/// `--durability` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DurabilityArg {
    /// Survive a crash of the process (kill -9): SQLite WAL with synchronous=NORMAL.
    Process,
    /// Also survive a power loss: synchronous=FULL.
    PowerLoss,
}

impl ServeArgs {
    /// The issuer configuration these options describe.
    pub fn config(&self) -> Result<IssuerConfig> {
        if self.dev && !self.listen.ip().is_loopback() && !self.dev_any_address {
            bail!(
                "--dev serves every one-time code at /dev/otp/{{subject}} to anyone who can reach {}; \
                 listen on a loopback address (127.0.0.1 or [::1]), or add --dev-any-address for QA \
                 on a private network",
                self.listen
            );
        }
        self.check_status_base_url()?;
        if self.request_timeout.is_zero() {
            bail!("--request-timeout must be more than 0");
        }
        let mut config = IssuerConfig::new(self.dir.clone());
        config.database = self.database.as_deref().map(Database::parse);
        if let Some(addr) = self.metrics_listen {
            config.metrics = MetricsExposure::Listen(addr);
        }
        config.request_timeout = self.request_timeout;
        config.shutdown_timeout = self.shutdown_timeout;
        config.durability = match self.durability {
            DurabilityArg::Process => Durability::Process,
            DurabilityArg::PowerLoss => Durability::PowerLoss,
        };
        config.admission = AdmissionLimits {
            max_in_flight: self.max_in_flight.max(1),
            max_queued: self.max_queued,
            queue_timeout: self.queue_timeout,
            finishing_timeout: self.finishing_timeout,
            retry_after_secs: self.retry_after.max(1),
            max_owed_completions: self.max_owed_completions.max(1),
            max_owed_per_client: match self.max_owed_per_client {
                Some(0) => None,
                Some(n) => Some(n),
                None => (self.client_rate > 0.0).then_some(DEFAULT_OWED_PER_CLIENT),
            },
            ..AdmissionLimits::default()
        };
        config.trusted_proxies = self.trusted_proxy.clone();
        config.client_rate = (self.client_rate > 0.0).then_some(Rate {
            per_second: self.client_rate,
            // Below one token a bucket could never pay for a request.
            burst: (self.client_rate * 3.0).max(1.0),
        });
        config.subject_starts = (self.subject_starts > 0).then_some(StartCap {
            max_starts: self.subject_starts,
            window_secs: 900,
        });
        if let Some(ttl) = self.pass_ttl {
            if ttl < Duration::from_secs(3) {
                bail!("--pass-ttl must be at least 3s");
            }
            config.lifetimes.pass = ttl;
        }
        if let Some(ttl) = self.code_ttl {
            config.lifetimes.code = ttl;
        }
        if let Some(ttl) = self.status_list_ttl {
            if ttl < Duration::from_secs(1) {
                bail!("--status-list-ttl must be at least 1s");
            }
            config.lifetimes.status_list = ttl;
        }
        if let Some(grace) = self.refresh_grace {
            config.lifetimes.refresh_grace = grace;
        }
        config.lifetimes.retry_grace = self.retry_grace;
        config.status_base_url = self.status_base_url.clone();
        config.attestation = self.attestation.config()?;
        config.renew_timing = self.renew_timing.config()?;
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(doorpass_issuer::tls::TlsConfig::new(
                cert.clone(),
                key.clone(),
            ));
        }
        if self.dev {
            let failure_rate = self.inject_failure.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&failure_rate) {
                bail!("--inject-failure must be between 0 and 1");
            }
            config.dev = Some(Faults {
                latency: self.inject_latency.unwrap_or_default(),
                failure_rate,
            });
        }
        Ok(config)
    }
}

/// Runs the issuer until SIGTERM or Ctrl-C.
pub fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let config = args.config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let issuer = Issuer::open(&config)
            .await
            .context("starting the issuer")?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let stop = shutdown_signal();
        print_banner(&issuer, addr, &config);
        if config.dev.is_some() && !addr.ip().is_loopback() {
            eprintln!(
                "WARNING: --dev on {addr}, a non-loopback address: every one-time code can be read by \
                 anyone who can reach it at /dev/otp/{{subject}}. Never do this with real holders."
            );
        }
        issuer
            .serve(listener, stop)
            .await
            .context("serving")?;
        eprintln!("doorpass issuer stopped cleanly");
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints where the issuer listens (first line, for scripts) and the dev settings. Best effort: a
/// closed standard output must not stop the service.
fn print_banner(issuer: &Issuer, addr: SocketAddr, config: &IssuerConfig) {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut text = format!(
        "doorpass issuer {} listening on {scheme}://{addr}\n",
        issuer.issuer_id()
    );
    text.push_str(&format!("database {}\n", config.database().describe()));
    text.push_str(&format!(
        "key attestation {}\n",
        config.attestation.mode.name()
    ));
    text.push_str(&RenewTimingArgs::describe(&config.renew_timing));
    text.push('\n');
    if let Some(metrics) = issuer.metrics_addr() {
        text.push_str(&format!("metrics at http://{metrics}/metrics\n"));
    }
    if let Some(faults) = config.dev {
        text.push_str(&format!(
            "DEV MODE: codes at GET /dev/otp/{{subject}}; pass lifetime {}; latency {}; failure rate {}\n",
            humantime::format_duration(config.lifetimes.pass),
            humantime::format_duration(faults.latency),
            faults.failure_rate
        ));
        for (subject, name, birth_date, kind) in DEMO_HOLDERS {
            text.push_str(&format!(
                "  demo holder {subject}: {name}, {birth_date}, {kind}\n"
            ));
        }
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Stops on Ctrl-C or SIGTERM. The handlers are registered when this is called, not when the future is
/// first polled: called before the banner announces the service, a signal sent right after the banner
/// is a clean stop, never the default termination.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (term, interrupt) {
                (Ok(mut term), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = interrupt.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `issuer revoke`'s arguments.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["pass_id", "subject"])))]
pub struct RevokeArgs {
    /// Issuer folder.
    #[arg(long)]
    pub dir: PathBuf,
    /// The database: a SQLite file (default DIR/issuer.db), or postgres://USER@HOST:PORT/DB shared
    /// by several issuer nodes (docs/issuer.md, "Several nodes"). `--db` is the older name.
    #[arg(long, alias = "db", value_name = "FILE|URL")]
    pub database: Option<String>,
    /// The pass to revoke (its id, 32 hex digits).
    #[arg(long)]
    pub pass_id: Option<String>,
    /// Revoke every valid pass of this subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Why (kept in the database, never served).
    #[arg(long)]
    pub reason: Option<String>,
}

/// Revokes passes by id or by subject.
pub fn revoke(args: &RevokeArgs) -> Result<ExitCode> {
    use doorpass_issuer::store::RevokeSelector;
    let selector = match (&args.pass_id, &args.subject) {
        (Some(id), _) => {
            let bytes = (0..id.len())
                .step_by(2)
                .map(|i| {
                    id.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>();
            let id: [u8; 16] = bytes
                .and_then(|b| b.try_into().ok())
                .context("--pass-id must be 32 hex digits")?;
            RevokeSelector::Pass(id)
        }
        (None, Some(subject)) => RevokeSelector::Subject(subject.clone()),
        (None, None) => anyhow::bail!("give --pass-id or --subject"),
    };
    let database = database_of(&args.dir, args.database.as_deref());
    let revoked = with_store(&database, |store| async move {
        doorpass_issuer::status_lists::revoke(
            &store,
            selector,
            args.reason.clone(),
            doorpass_format::dates::unix_now(),
        )
        .await
        .map_err(anyhow::Error::from)
    })?;
    println!("revoked {} pass(es)", revoked.listed + revoked.unlisted);
    if revoked.unlisted > 0 {
        eprintln!(
            "note: {} of them were issued before status lists existed: they will not be renewed, \
             but doors cannot learn of the revocation before they expire",
            revoked.unlisted
        );
    }
    Ok(if revoked.listed + revoked.unlisted > 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("no valid pass matched");
        ExitCode::from(1)
    })
}

/// Imports holders from CSV.
pub fn import_holders(
    dir: &std::path::Path,
    database: Option<&str>,
    csv: &std::path::Path,
) -> Result<ExitCode> {
    let database = database_of(dir, database);
    let n = with_store(&database, |store| async move {
        Ok(doorpass_issuer::holders::import_file(&store, csv).await?)
    })?;
    eprintln!("imported {n} holders into {}", database.describe());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> Result<IssuerConfig> {
        use clap::Parser;
        let mut argv = vec!["serve", "--dir", "d"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)?.serve.config()
    }

    #[test]
    fn a_slow_client_rate_still_admits_one_request() {
        let rate = config(&["--client-rate", "0.1"])
            .unwrap()
            .client_rate
            .unwrap();
        assert_eq!(rate.burst, 1.0);
        let rate = config(&["--client-rate", "20"])
            .unwrap()
            .client_rate
            .unwrap();
        assert_eq!(rate.burst, 60.0);
        assert!(
            config(&["--client-rate", "0"])
                .unwrap()
                .client_rate
                .is_none()
        );
    }

    #[test]
    fn dev_only_on_loopback_unless_overridden() {
        assert!(config(&["--dev", "--listen", "127.0.0.1:0"]).is_ok());
        assert!(config(&["--dev", "--listen", "[::1]:0"]).is_ok());
        let err = config(&["--dev", "--listen", "0.0.0.0:8080"]).unwrap_err();
        assert!(err.to_string().contains("--dev-any-address"), "{err}");
        assert!(config(&["--dev", "--dev-any-address", "--listen", "0.0.0.0:0"]).is_ok());
        assert!(
            config(&[
                "--listen",
                "0.0.0.0:0",
                "--status-base-url",
                "https://kdca.kr/s/"
            ])
            .is_ok(),
            "production mode anywhere, with a public status URL"
        );
        assert!(config(&["--dev-any-address"]).is_err(), "requires --dev");
    }

    #[test]
    fn off_loopback_the_status_lists_must_have_a_public_https_url() {
        for listen in ["0.0.0.0:8080", "[::]:8080", "192.0.2.1:8080"] {
            let err = config(&["--listen", listen]).unwrap_err().to_string();
            assert!(
                err.contains("--status-base-url https://"),
                "{listen}: {err}"
            );
            let err = config(&["--listen", listen, "--status-base-url", "http://kdca.kr/s/"])
                .unwrap_err()
                .to_string();
            assert!(err.contains("not https"), "{listen}: {err}");
        }
        assert!(config(&["--listen", "127.0.0.2:8080"]).is_ok(), "loopback");
        assert!(config(&["--listen", "[::1]:8080"]).is_ok(), "loopback");
    }

    #[test]
    fn trusted_proxies_repeat_or_come_as_a_list_and_bad_ones_are_refused() {
        let proxies = config(&[
            "--trusted-proxy",
            "10.0.0.0/8,127.0.0.1",
            "--trusted-proxy",
            "2001:db8::/32",
        ])
        .unwrap()
        .trusted_proxies;
        let shown: Vec<String> = proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32"]);
        assert!(config(&["--trusted-proxy", "10.0.0.0/40"]).is_err());
        assert!(config(&["--trusted-proxy", "proxy.local"]).is_err());
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn the_owed_completions_share_follows_the_per_address_limits() {
        let share = |args: &[&str]| config(args).unwrap().admission.max_owed_per_client;
        assert_eq!(share(&[]), Some(DEFAULT_OWED_PER_CLIENT));
        assert_eq!(share(&["--client-rate", "0"]), None);
        assert_eq!(share(&["--max-owed-per-client", "7"]), Some(7));
        assert_eq!(share(&["--max-owed-per-client", "0"]), None);
    }

    #[test]
    fn tls_needs_both_the_certificate_and_its_key() {
        assert_eq!(config(&[]).unwrap().tls, None);
        let tls = config(&["--tls-cert", "c.pem", "--tls-key", "k.pem"])
            .unwrap()
            .tls
            .unwrap();
        assert_eq!(
            (tls.cert_chain.to_str(), tls.private_key.to_str()),
            (Some("c.pem"), Some("k.pem"))
        );
        assert!(config(&["--tls-cert", "c.pem"]).is_err());
        assert!(config(&["--tls-key", "k.pem"]).is_err());
    }

    #[test]
    fn metrics_only_where_asked() {
        assert_eq!(config(&[]).unwrap().metrics, MetricsExposure::Off);
        assert_eq!(
            config(&["--metrics-listen", "127.0.0.1:9100"])
                .unwrap()
                .metrics,
            MetricsExposure::Listen("127.0.0.1:9100".parse().unwrap())
        );
    }
}
