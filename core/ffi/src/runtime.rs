//! The one tokio runtime the FFI owns: reqwest needs tokio, and apps call from their own threads,
//! coroutines or Swift tasks.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::DoorpassError;

fn runtime() -> Result<&'static Runtime, DoorpassError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
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

/// Runs `work` to completion on the FFI's runtime and hands back its result. If the caller stops
/// waiting (a cancelled coroutine or Swift task), `work` still finishes in the background, so the
/// wallet's files and tokens always end in a consistent state.
pub(crate) async fn run<T, F>(work: F) -> Result<T, DoorpassError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, DoorpassError>> + Send + 'static,
{
    runtime()?
        .spawn(work)
        .await
        .map_err(|e| DoorpassError::Internal {
            reason: format!("background work stopped: {e}"),
        })?
}
