//! The fallback when no Postgres server is installed: pg-embed downloads the server binaries
//! (from a Maven repository) into its cache, `<cache dir>/pg-embed/<os>/<arch>/<version>/bin`,
//! where `binaries::find` looks first on later runs. Built only with `--features download`.

use std::time::Duration;

use pg_embed::pg_access::PgAccess;
use pg_embed::pg_fetch::{PgFetchSettings, PG_V15};

const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(180);

/// Downloads and unpacks PostgreSQL 15, returning the directory of its binaries and what was
/// fetched; the error says what was tried and why it failed.
pub fn download() -> Result<(std::path::PathBuf, String), String> {
    let settings = PgFetchSettings {
        version: PG_V15,
        ..Default::default()
    };
    let source = format!(
        "PostgreSQL {} ({}) from {}",
        settings.version.0,
        settings.platform(),
        settings.host
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the download runtime: {e}"))?;
    let scratch = tempfile::tempdir().map_err(|e| format!("creating a scratch dir: {e}"))?;
    let bin_dir = runtime.block_on(async {
        let access = PgAccess::new(&settings, &scratch.path().join("db"))
            .await
            .map_err(|e| format!("preparing the pg-embed cache: {e}"))?;
        tokio::time::timeout(DOWNLOAD_TIMEOUT, access.maybe_acquire_postgres())
            .await
            .map_err(|_| {
                format!(
                    "downloading {source}: no answer within {} s",
                    DOWNLOAD_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("downloading {source}: {e}"))?;
        Ok::<_, String>(access.cache_dir.join("bin"))
    })?;
    Ok((bin_dir, source))
}
