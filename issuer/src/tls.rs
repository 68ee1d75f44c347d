//! Serving HTTPS (`issuer serve --tls-cert PEM --tls-key PEM`): rustls with ring, HTTP/2 and
//! HTTP/1.1 chosen by ALPN, and a certificate that is read again on SIGHUP or when its files change,
//! without touching the connections already open (they keep the certificate they started with).
//!
//! The handshakes run in tasks of their own, bounded in number and in time, so that a client that
//! connects and stays silent holds up nobody; finished connections reach axum through
//! [`TlsListener`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Default of [`TlsConfig::reload_check`].
pub const DEFAULT_RELOAD_CHECK: Duration = Duration::from_secs(10);
/// Longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most handshakes under way at once; further connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 512;

/// Where the issuer's TLS certificate and key are, and how often their files are checked for a
/// change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain (PEM), the server's certificate first.
    pub cert_chain: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub private_key: PathBuf,
    /// How often the two files are read again to see if they changed (SIGHUP reads them at once).
    pub reload_check: Duration,
}

impl TlsConfig {
    /// The certificate and key at these paths, checked for changes every
    /// [`DEFAULT_RELOAD_CHECK`].
    pub fn new(cert_chain: PathBuf, private_key: PathBuf) -> Self {
        TlsConfig {
            cert_chain,
            private_key,
            reload_check: DEFAULT_RELOAD_CHECK,
        }
    }
}

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{path} holds no PEM certificate")]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// The key file holds no PEM private key.
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoPrivateKey {
        /// The file.
        path: String,
    },
    /// The key is not one rustls can sign with, or does not belong to the certificate.
    #[error("the key {key} cannot serve the certificate {cert}: {reason}")]
    Unusable {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// What rustls said.
        reason: String,
    },
}

/// The two files' bytes as last read.
type FileBytes = (Vec<u8>, Vec<u8>);

/// The certificate handshakes use now, and what it was loaded from. New handshakes pick up a
/// reloaded certificate; connections already open keep theirs.
#[derive(Debug)]
pub struct ReloadingCertificate {
    config: TlsConfig,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The bytes of the files last tried (loaded or refused), to notice a change and to complain
    /// only once about a bad pair.
    last_tried: Mutex<FileBytes>,
}

impl ReloadingCertificate {
    /// Loads the certificate and key; fails when they cannot serve.
    pub fn load(config: &TlsConfig) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let bytes = read_pair(config)?;
        let key = certified_key(config, &bytes, &provider)?;
        Ok(ReloadingCertificate {
            config: config.clone(),
            provider,
            current: RwLock::new(Arc::new(key)),
            last_tried: Mutex::new(bytes),
        })
    }

    /// Reads the files again and switches to them if they changed (or always, when `forced`).
    /// A pair that cannot serve (a half-copied file, a key of another certificate) is reported once
    /// and the current certificate kept. Returns whether the certificate was replaced.
    pub fn reload(&self, forced: bool) -> bool {
        let bytes = match read_pair(&self.config) {
            Ok(bytes) => bytes,
            Err(e) => {
                if forced {
                    eprintln!("doorpass-issuer: TLS certificate not reloaded: {e}");
                }
                return false;
            }
        };
        {
            let mut last = self.last_tried.lock().unwrap_or_else(|e| e.into_inner());
            if !forced && *last == bytes {
                return false;
            }
            *last = bytes.clone();
        }
        match certified_key(&self.config, &bytes, &self.provider) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
                eprintln!(
                    "doorpass-issuer: TLS certificate reloaded from {}",
                    self.config.cert_chain.display()
                );
                true
            }
            Err(e) => {
                eprintln!(
                    "doorpass-issuer: TLS certificate not reloaded, the previous one stays: {e}"
                );
                false
            }
        }
    }

    /// Reloads on SIGHUP and whenever the files change (checked every
    /// [`TlsConfig::reload_check`]), until the task is aborted.
    pub(crate) fn watch(self: Arc<Self>) -> std::io::Result<impl Future<Output = ()> + use<>> {
        // Registered now, not at the first poll: a SIGHUP right after the issuer starts must not
        // take the default action (ending the process).
        #[cfg(unix)]
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        Ok(async move {
            let mut tick = tokio::time::interval(self.config.reload_check);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                #[cfg(unix)]
                let forced = tokio::select! {
                    _ = hangup.recv() => true,
                    _ = tick.tick() => false,
                };
                #[cfg(not(unix))]
                let forced = {
                    tick.tick().await;
                    false
                };
                let this = self.clone();
                // File reads and the key check are blocking work.
                let _ = tokio::task::spawn_blocking(move || this.reload(forced)).await;
            }
        })
    }

    /// The certificate handshakes use now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn read_pair(config: &TlsConfig) -> Result<FileBytes, TlsSetupError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsSetupError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    Ok((read(&config.cert_chain)?, read(&config.private_key)?))
}

fn certified_key(
    config: &TlsConfig,
    (cert_pem, key_pem): &FileBytes,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsSetupError> {
    let cert = config.cert_chain.display().to_string();
    let key = config.private_key.display().to_string();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsSetupError::NoCertificate { path: cert });
    }
    let private_key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|_| TlsSetupError::NoPrivateKey { path: key.clone() })?;
    CertifiedKey::from_der(chain, private_key, provider).map_err(|e| TlsSetupError::Unusable {
        cert,
        key,
        reason: e.to_string(),
    })
}

/// The rustls server settings: TLS 1.3 and 1.2 with ring, `h2` then `http/1.1` by ALPN, the
/// certificate from `certificate`.
pub fn server_config(certificate: Arc<ReloadingCertificate>) -> Arc<ServerConfig> {
    let provider = certificate.provider.clone();
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_cert_resolver(certificate);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Connections whose TLS handshake finished, for `axum::serve`. Dropping it stops accepting.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `listener`, shaking hands with `config`.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (done, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        let acceptor_task = tokio::spawn(async move {
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, as axum does.
                        eprintln!("doorpass-issuer: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let (acceptor, done) = (acceptor.clone(), done.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = done.send((tls, peer)).await;
                    }
                    drop(slot);
                });
            }
        });
        Ok(TlsListener {
            local_addr,
            ready,
            acceptor_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The acceptor task ended (it never does while this lives): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
