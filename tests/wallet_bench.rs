//! Wallet benchmarks: cold open of a wallet with one pass to a QR matrix, and a warm `current_qr`.
//!
//! - `cold_open_to_qr_matrix`: open the wallet folder (read identity, state, trust list, pass; check
//!   the trust list against the anchor and the pass against the trust list), read the holder key from
//!   secure storage, sign the holder proof and build the QR matrix.
//! - `warm_current_qr_same_step`: `current_qr` again within the same 30-second step (cached).
//!
//! Secure storage: the Linux kernel keyring when reachable (`keyctl session - cargo bench …`),
//! otherwise the 0600 file store; the run prints which. Run:
//! `keyctl session - cargo bench -p doorpass-tests --bench wallet`. Figures: docs/performance.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::keyring_store::KeyringSecretStore;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{Wallet, WalletOptions};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = match KeyringSecretStore::connect("doorpass-bench") {
        Ok(store) => Arc::new(store),
        Err(_) => Arc::new(FileSecretStore::new(home.path().join("secrets.json"))),
    };
    eprintln!("secure storage: {}", secrets.describe());
    let issuer = runtime.block_on(async {
        let issuer = TestIssuer::start(|_| {}).await;
        let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
        issuer.enrol(&wallet, "demo-lee").await;
        issuer
    });
    let at = now();
    let mut g = c.benchmark_group("wallet");
    g.bench_function("cold_open_to_qr_matrix", |b| {
        b.iter(|| {
            let wallet =
                Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
            black_box(wallet.current_qr(None, at, false).unwrap())
        })
    });
    let wallet =
        Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
    wallet.current_qr(None, at, false).unwrap();
    g.bench_function("warm_current_qr_same_step", |b| {
        b.iter(|| black_box(wallet.current_qr(None, at, false).unwrap()))
    });
    g.finish();
    drop(issuer);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
