//! Test certificates (cargo feature `testing`): a certificate authority of its own and server
//! certificates it signs, written as PEM files a TLS dev issuer serves
//! ([`crate::testing::DevIssuer`], `config.tls`). Made with rcgen, ECDSA P-256. Test support:
//! anything that goes wrong panics.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, date_time_ymd,
};
use sha2::{Digest, Sha256};

use crate::tls::TlsConfig;

/// When a server certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 2020 to 2099.
    Current,
    /// 2020 to 2021: expired.
    Expired,
    /// From 2090: not valid yet.
    NotYetValid,
}

/// A server certificate and its key, as PEM.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// The certificate, then the CA's (a chain as servers send it).
    pub chain_pem: String,
    /// The private key (PKCS#8).
    pub key_pem: String,
    /// SHA-256 of the certificate's SubjectPublicKeyInfo (DER), what an SPKI pin holds.
    pub spki_sha256: [u8; 32],
}

impl ServerCert {
    /// Writes `cert.pem` and `key.pem` into `dir` (replacing them) and returns the TLS settings
    /// naming them.
    pub fn write_to(&self, dir: &Path) -> TlsConfig {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        // Each file replaced whole (written aside, then renamed), as a careful operator does.
        for (path, text) in [(&cert, &self.chain_pem), (&key, &self.key_pem)] {
            let aside = path.with_extension("pem.new");
            std::fs::write(&aside, text).unwrap();
            std::fs::rename(&aside, path).unwrap();
        }
        TlsConfig::new(cert, key)
    }
}

/// A certificate authority for tests.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    cert_pem: String,
}

impl TestCa {
    /// A new CA named `name`, with a fresh key.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2099, 1, 1);
        let cert_pem = params.self_signed(&key).unwrap().pem();
        TestCa {
            params,
            key,
            cert_pem,
        }
    }

    /// The CA certificate (PEM): the root a test client adds.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A rustls client configuration trusting this CA alone, offering `alpn` (in order).
    pub fn client_config(&self, alpn: &[&[u8]]) -> rustls::ClientConfig {
        client_config_trusting(&self.cert_pem, alpn)
    }

    /// A server certificate for `names` (host names or IP addresses) with a fresh key.
    pub fn server_cert(&self, names: &[&str], validity: Validity) -> ServerCert {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "doorpass test issuer");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        (params.not_before, params.not_after) = match validity {
            Validity::Current => (date_time_ymd(2020, 1, 1), date_time_ymd(2099, 1, 1)),
            Validity::Expired => (date_time_ymd(2020, 1, 1), date_time_ymd(2021, 1, 1)),
            Validity::NotYetValid => (date_time_ymd(2090, 1, 1), date_time_ymd(2099, 1, 1)),
        };
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        ServerCert {
            chain_pem: format!("{}{}", cert.pem(), self.cert_pem),
            key_pem: key.serialize_pem(),
            spki_sha256: Sha256::digest(key.subject_public_key_info()).into(),
        }
    }

    /// A current certificate for `localhost` and `127.0.0.1`, the names test issuers are reached by.
    pub fn localhost_cert(&self) -> ServerCert {
        self.server_cert(&["localhost", "127.0.0.1"], Validity::Current)
    }
}

/// A rustls client configuration (ring) trusting only the CA certificate `ca_pem`, offering `alpn`
/// (in order): what a test connects with to see what a TLS server shows and negotiates.
pub fn client_config_trusting(ca_pem: &str, alpn: &[&[u8]]) -> rustls::ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}
