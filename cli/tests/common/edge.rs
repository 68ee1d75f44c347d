//! The shipped edge (deploy/nginx/doorpass-edge.conf.template) as a real nginx process on
//! 127.0.0.1, rendered by deploy/nginx/render.sh with a test's own port, folder and rates: the
//! config that ships, not a copy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The nginx program, if installed. Under the test command (`DOORPASS_REQUIRE_NGINX=1`, set by
/// scripts/test.sh, which installs nginx) a missing nginx fails the test instead of skipping it.
pub fn nginx_program() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let found = on_path
        .into_iter()
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("nginx"))
        .find(|program| program.is_file());
    if found.is_none() {
        assert_ne!(
            std::env::var("DOORPASS_REQUIRE_NGINX").as_deref(),
            Ok("1"),
            "nginx is not installed (scripts/test.sh installs it with scripts/apt-install.sh nginx)"
        );
        eprintln!("skipped: nginx is not installed (scripts/test.sh installs it)");
    }
    found
}

/// The values a test renders the edge config with.
pub struct EdgeSettings<'a> {
    /// The issuer nodes, `127.0.0.1:PORT` each.
    pub upstreams: &'a [String],
    /// The certificate chain and key (PEM) served to clients.
    pub cert: &'a Path,
    /// The key of `cert`.
    pub key: &'a Path,
    /// New enrolment starts admitted per second over all clients, and the burst beyond.
    pub start_rate: u32,
    /// Starts admitted at once beyond the rate.
    pub start_burst: u32,
    /// Connections (HTTP/2 streams) at once per client address.
    pub conns_per_client: u32,
    /// Whether /dev/ is passed to the nodes (QA, nodes with --dev) or answered 404 (production).
    pub dev_paths: bool,
}

/// A running nginx with the edge config; stopped (SIGTERM, so its workers stop too) when dropped.
pub struct Edge {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its folder: pid, logs (logs/access.log, logs/error.log), cache, temp.
    pub prefix: PathBuf,
}

impl Edge {
    /// Renders the shipped config into `dir` with `settings`, checks it with `nginx -t`, starts
    /// nginx and waits until it accepts connections.
    pub fn start(nginx: &Path, dir: &Path, settings: &EdgeSettings) -> Edge {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let prefix = dir.join("edge");
        let config = dir.join("edge.conf");
        let render = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx/render.sh");
        // The workers run as the current user, so they reach the test's private folder as root too.
        let user = run(Command::new("id").arg("-un"));
        let mut command = Command::new("bash");
        command.arg(render);
        for upstream in settings.upstreams {
            command.args(["--upstream", upstream]);
        }
        command
            .args(["--cert", &settings.cert.display().to_string()])
            .args(["--key", &settings.key.display().to_string()])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--server-name", "localhost"])
            .args(["--prefix", &prefix.display().to_string()])
            .args(["--user", user.trim()])
            .args(["--start-rate", &settings.start_rate.to_string()])
            .args(["--start-burst", &settings.start_burst.to_string()])
            .args(["--conns-per-client", &settings.conns_per_client.to_string()])
            .args(["--dev-paths", if settings.dev_paths { "on" } else { "off" }])
            .args(["--out", &config.display().to_string()]);
        run(&mut command);
        let nginx_args = |check: bool| {
            let mut args = vec![
                "-p".to_string(),
                prefix.display().to_string(),
                "-c".into(),
                config.display().to_string(),
                "-e".into(),
                "stderr".into(),
            ];
            if check {
                args.push("-t".into());
            }
            args
        };
        run(Command::new(nginx).args(nginx_args(true)));
        let stderr = std::fs::File::create(prefix.join("logs/stderr.log")).unwrap();
        let mut child = Command::new(nginx)
            .args(nginx_args(false))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start nginx");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                let said = std::fs::read_to_string(prefix.join("logs/stderr.log"));
                panic!("nginx exited ({status}): {said:?}");
            }
            assert!(
                Instant::now() < deadline,
                "nginx is not listening after 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Edge {
            child,
            url: format!("https://127.0.0.1:{port}"),
            port,
            prefix,
        }
    }

    /// nginx's error log so far (limit_req and limit_conn refusals, upstream failures).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers first (SIGKILL would leave them running).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command`, asserting success; returns its standard output.
fn run(command: &mut Command) -> String {
    let out = command.output().expect("run a helper program");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
