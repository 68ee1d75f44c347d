//! Running `doorpass issuer serve` as a real process on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running issuer process; killed (SIGKILL) when dropped.
pub struct IssuerProcess {
    pub child: Child,
    pub url: String,
}

impl IssuerProcess {
    /// Starts `doorpass issuer serve --dir DIR --dev` on a free port with `extra` flags.
    pub fn start(dir: &Path, extra: &[&str]) -> IssuerProcess {
        let mut args = vec!["--dev"];
        args.extend_from_slice(extra);
        Self::start_without_dev(dir, &args)
    }

    /// Starts `doorpass issuer serve --dir DIR` on a free port, without rate limits, with `extra`
    /// flags (and without `--dev` unless `extra` has it).
    pub fn start_without_dev(dir: &Path, extra: &[&str]) -> IssuerProcess {
        Self::start_on(dir, "127.0.0.1:0", extra)
    }

    /// Starts `doorpass issuer serve --dir DIR --listen LISTEN` without rate limits, with `extra`
    /// flags.
    pub fn start_on(dir: &Path, listen: &str, extra: &[&str]) -> IssuerProcess {
        let mut args = vec!["--client-rate", "0", "--subject-starts", "0"];
        args.extend_from_slice(extra);
        Self::start_with_limits(dir, listen, &args, Stdio::null())
    }

    /// Starts `doorpass issuer serve --dir DIR --listen LISTEN` with `args` alone (the per-address
    /// and per-subject limits at their defaults unless `args` sets them), its standard error going
    /// to `stderr`.
    pub fn start_with_limits(
        dir: &Path,
        listen: &str,
        args: &[&str],
        stderr: Stdio,
    ) -> IssuerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_doorpass"))
            .args([
                "issuer",
                "serve",
                "--dir",
                &dir.display().to_string(),
                "--listen",
                listen,
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start the issuer");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Keep reading the rest, as a real supervisor would.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        IssuerProcess { child, url }
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for IssuerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Makes an issuer folder with `holders` load-test subjects `loadgen-0…`.
pub fn issuer_dir_with_holders(dir: &Path, holders: usize) {
    let d = dir.display().to_string();
    super::doorpass_expect(
        &["issuer", "init", "--dir", &d, "--issuer-id", "KR-KDCA"],
        0,
    );
    let csv = dir.join("holders.csv").display().to_string();
    super::doorpass_expect(
        &[
            "loadgen",
            "holders",
            "--count",
            &holders.to_string(),
            "--out",
            &csv,
        ],
        0,
    );
    super::doorpass_expect(&["issuer", "holders", "import", "--dir", &d, &csv], 0);
}
