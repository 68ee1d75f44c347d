//! The one tokio runtime the FFI owns: reqwest needs tokio, and apps call from their own threads,
//! coroutines or Swift tasks.
//!
//! Each call runs on a thread of the runtime's blocking pool (`spawn_blocking`), which drives the
//! call's future to its end; the two async worker threads only move network bytes and timers.
//! A call blocks its own thread wherever it must: fsync of the wallet's files, the app's secret
//! store (Keychain, Android Keystore with StrongBox can take a second), the app's holder signer.
//! A slow keystore therefore never stalls another call's network traffic.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::DoorpassError;

/// Async threads: enough for the network traffic, which never blocks.
const WORKER_THREADS: usize = 2;

fn runtime() -> Result<&'static Runtime, DoorpassError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("doorpass")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| DoorpassError::Internal {
            reason: format!("cannot start the network runtime: {e}"),
        })
}

/// Runs `work` to completion on a blocking thread of the FFI's runtime and hands back its result.
/// If the caller stops waiting (a cancelled coroutine or Swift task), `work` still finishes in the
/// background, so the wallet's files and tokens always end in a consistent state.
pub(crate) async fn run<T, F>(work: F) -> Result<T, DoorpassError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, DoorpassError>> + Send + 'static,
{
    let runtime = runtime()?;
    let handle = runtime.handle().clone();
    runtime
        .spawn_blocking(move || handle.block_on(work))
        .await
        .map_err(|e| DoorpassError::Internal {
            reason: format!("background work stopped: {e}"),
        })?
}
