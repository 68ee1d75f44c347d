//! Opening the issuer's database for one command (`issuer holders import`, `issuer revoke`,
//! `loadgen check`, `loadgen run --db`): which database, and opening and closing it around the work.

use std::future::Future;
use std::path::Path;

use anyhow::{Context, Result};
use doorpass_issuer::IssuerConfig;
use doorpass_issuer::store::{Database, Store};

/// The database `--database` names for the issuer folder `dir` (its `issuer.db` by default).
pub fn database_of(dir: &Path, database: Option<&str>) -> Database {
    let mut config = IssuerConfig::new(dir.to_path_buf());
    config.database = database.map(Database::parse);
    config.database()
}

/// Opens `database`, runs `work` with it, then closes it (SQLite's writer commits everything
/// first).
pub async fn using_store<T, F, Fut>(database: &Database, work: F) -> Result<T>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let (store, thread) = Store::open(
        database,
        Default::default(),
        Default::default(),
        Default::default(),
    )
    .await
    .with_context(|| format!("opening {}", database.describe()))?;
    let result = work(store).await;
    tokio::task::spawn_blocking(move || thread.join()).await?;
    result
}

/// [`using_store`] on a runtime of its own, for commands that have none.
pub fn with_store<T, F, Fut>(database: &Database, work: F) -> Result<T>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(using_store(database, work))
}
