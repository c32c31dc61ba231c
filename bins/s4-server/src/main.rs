//! `s4-server`: the S4 object store on the embedded disk backend, or (`--meta`) on
//! PostgreSQL with the bytes in a shared directory or an S3 bucket.
//!
//! `cargo run --release -p s4-server` serves S3 and IAM on 127.0.0.1:9000 with data in
//! `./data`. On first start it creates an account and a root access key and prints them once;
//! set `S4_ROOT_ACCESS_KEY` and `S4_ROOT_SECRET_KEY` to choose the key instead.

mod admin;
mod admin_keys;
mod admin_quota;
mod admin_rate;
mod admin_storage;
mod allocator;
mod bootstrap;
mod config;
mod cors;
mod health;
mod host_stats;
mod limits;
mod metrics;
mod overload;
mod private_dir;
mod rate_limits;
mod root_keys;
mod server;
mod tls;
mod usage;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};
use s4_service::{spawn_upload_expiry, S4Service, ServiceConfig};
use s4_storage::{IdentityStore, ObjectStore, RateLimitStore};
use s4_storage_fs::{FsConfig, FsStore};
use s4_storage_pg::{BlobStore, FsBlobStore, PgConfig, PgStore, S3BlobConfig, S3BlobStore};
use tokio::net::TcpListener;

use crate::admin::{AdminAnswer, AdminCommand};
use crate::bootstrap::{ensure_root, Bootstrap, GivenRootKey};
use crate::config::{Cli, Command, Config, Data, LogFormat};
use crate::server::Endpoint;
use crate::tls::ReloadableTls;

fn main() -> ExitCode {
    let cli = parse_cli();
    let config = match Config::resolve(&cli) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("s4-server: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(allocator::on_worker_idle)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("s4-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &cli.command {
        Some(Command::Admin { command }) => {
            let command = with_default_quota(command, &config);
            return runtime.block_on(run_admin(&config, &command));
        }
        Some(Command::CheckConfig) => return check_config(&config),
        None => {}
    }
    init_logging(config.log_format, &config.log);
    if let Err(error) = allocator::spawn_purge_thread() {
        tracing::warn!(%error, "cannot start the memory purge thread; memory freed after a burst returns to the OS later");
    }
    let result = runtime.block_on(run(config));
    // Requests cut short by the shutdown are not waited for (their uploads are discarded).
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("s4-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The command line, with every top-level flag (`--data-dir`, `--meta`, `--config`, ...)
/// accepted before or after the subcommand: `s4-server admin list-keys --data-dir X ...`.
fn parse_cli() -> Cli {
    let command = Cli::command().mut_args(|arg| {
        if arg.is_positional() {
            arg
        } else {
            arg.global(true)
        }
    });
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    private_dir::secure_data(&config.data)?;
    // Scale-out (`--meta`): metadata in PostgreSQL, bytes in the shared data dir or an S3
    // bucket.
    if config.meta.is_some() {
        let (store, spool) = open_pg(&config, true).await?;
        let store = Arc::new(store);
        spawn_orphan_sweep(store.clone());
        // Readiness probes a synced write in a local directory: with an S3 byte store, the
        // spool dir (every PUT writes there first), not a data dir this server does not have.
        let local = spool.as_ref().map_or_else(
            || config.data.dir().map(Path::to_path_buf).unwrap_or_default(),
            |s| s.path.clone(),
        );
        let result = run_with(config, store, local).await;
        drop(spool);
        return result;
    }
    let Data::Dir(data_dir) = &config.data else {
        return Err("an S3 byte store needs --meta".into());
    };
    let data_dir = data_dir.clone();
    let mut fs_config = FsConfig::new(&data_dir);
    fs_config.cache_bytes = usize::try_from(config.metadata_cache_mib << 20).unwrap_or(usize::MAX);
    // The readiness floor is also the reserve that writes may not eat (deletes may).
    fs_config.min_free_space = config.min_free_space;
    fs_config.verify_reads = config.verify_reads;
    let store = Arc::new(
        FsStore::open(fs_config)
            .map_err(|e| format!("cannot open the data dir {}: {e}", data_dir.display()))?,
    );
    if let Some(interval) = config.scrub_interval {
        admin_storage::spawn_background_scrub(
            store.as_ref().clone(),
            interval,
            config.scrub_max_mib_per_second,
        );
    }
    run_with(config, store, data_dir).await
}

/// The S3 byte store's spool directory; a default one (per process, under the temp dir) is
/// removed when this is dropped.
struct Spool {
    path: PathBuf,
    owned: bool,
}

impl Drop for Spool {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The scale-out backend: PostgreSQL at `config.meta`, blobs in the data dir (shared by every
/// server of the cluster) or in the bucket of `--data s3://bucket/prefix`. With an S3 byte
/// store, returns its spool dir too, and with `check_bucket` checks at once that the bucket
/// answers (a server should not start on a wrong endpoint, bucket or key).
async fn open_pg(
    config: &Config,
    check_bucket: bool,
) -> Result<(PgStore, Option<Spool>), Box<dyn std::error::Error>> {
    let url = config.meta.clone().unwrap_or_default();
    let (blobs, spool): (Arc<dyn BlobStore>, _) = match &config.data {
        Data::Dir(dir) => {
            let blobs = FsBlobStore::open(dir)
                .map_err(|e| format!("cannot open the blob dir {}: {e}", dir.display()))?;
            (Arc::new(blobs), None)
        }
        Data::S3(s3) => {
            let spool = match &s3.spool_dir {
                Some(path) => Spool {
                    path: path.clone(),
                    owned: false,
                },
                None => Spool {
                    path: std::env::temp_dir().join(format!("s4-spool-{}", std::process::id())),
                    owned: true,
                },
            };
            let blobs = S3BlobStore::new(S3BlobConfig {
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
                access_key: s3.access_key.clone(),
                secret_key: s3.secret_key.clone(),
                bucket: s3.bucket.clone(),
                prefix: s3.prefix.clone(),
                spool_dir: spool.path.clone(),
                timeout: s3.timeout,
            })
            .map_err(|e| {
                format!(
                    "cannot open the S3 byte store (spool dir {}): {e}",
                    spool.path.display()
                )
            })?;
            if check_bucket {
                blobs
                    .client()
                    .head_bucket()
                    .bucket(&s3.bucket)
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "the S3 byte store's bucket {} at {} does not answer: {}",
                            s3.bucket,
                            s3.endpoint,
                            error_chain(&e)
                        )
                    })?;
            }
            (Arc::new(blobs), Some(spool))
        }
    };
    let mut pg = PgConfig::new(url);
    pg.timeout = config.meta_timeout;
    let store = PgStore::open(pg, blobs)
        .await
        .map_err(|e| format!("cannot open the metadata database: {e}"))?;
    Ok((store, spool))
}

/// An error and its sources, `: `-separated (SDK errors say little at the top level).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Deletes blobs left by a crash between a blob write and its commit, hourly, once they are a
/// day old (far longer than any upload takes). Every server may run it: deletions are
/// idempotent and only touch unreferenced blobs.
fn spawn_orphan_sweep(store: Arc<PgStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_hours(1));
        loop {
            tick.tick().await;
            match store
                .sweep_orphans(std::time::Duration::from_hours(24))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "orphan blob sweep"),
                Err(e) => tracing::warn!(error = %e, "orphan blob sweep failed"),
            }
        }
    });
}

/// Serves S3 and IAM over `store` until a shutdown signal.
///
/// `local_dir` is the directory whose synced write readiness checks: the data dir, or with an
/// S3 byte store the spool dir.
async fn run_with<S: ObjectStore + IdentityStore + RateLimitStore + admin_storage::Embedded>(
    config: Config,
    store: Arc<S>,
    local_dir: PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    // The environment is read first (a bad pair fails before anything), the root key stored
    // only once every listener is bound: a start that cannot serve creates no account and
    // prints no secret.
    let given_key = GivenRootKey::from_env()?;
    let mut service_config = ServiceConfig::new(&config.domain);
    service_config.region.clone_from(&config.region);
    service_config.pre_auth = config.limits.pre_auth();
    service_config.console = config.console;
    service_config
        .trusted_proxies
        .clone_from(&config.trusted_proxies);
    service_config.account_rate_limit = config.account_rate_limit;
    service_config.cors.clone_from(&config.cors);
    // Abandoned uploads are checked for every tenth of their maximum age, at most hourly.
    let expiry_interval = (config.multipart_expiry / 10).min(std::time::Duration::from_hours(1));
    let _expiry = spawn_upload_expiry(store.clone(), config.multipart_expiry, expiry_interval);
    let service = S4Service::new(store.clone(), store.clone(), service_config);
    let rate_limits = rate_limits::Overrides::new(store.clone(), service.rate_limiter().clone());
    rate_limits
        .reload()
        .await
        .map_err(|e| format!("cannot read the rate-limit overrides: {e}"))?;
    let _rate_limit_reload = rate_limits
        .clone()
        .spawn_reload(rate_limits::RELOAD_INTERVAL);
    let metrics_addr = match config.metrics_listen {
        Some(addr) => {
            let listener = metrics::bind(addr)
                .await
                .map_err(|e| format!("cannot listen for metrics on {addr}: {e}"))?;
            let local = listener.local_addr()?;
            // Storage totals: the backend's counters, read at each scrape; without counters,
            // a listing sweep every usage_sweep_interval (see usage.rs).
            let counters = store.capabilities().usage_counters;
            let source = counters.then(|| store.clone() as Arc<dyn ObjectStore>);
            tokio::spawn(metrics::serve(
                listener,
                service.metrics().clone(),
                source,
                Some(local_dir.clone()),
                store.embedded().cloned(),
            ));
            if !counters {
                let _sweep = usage::spawn_sweep(
                    store.clone(),
                    service.metrics().clone(),
                    config.usage_sweep_interval,
                );
            }
            Some(local)
        }
        None => None,
    };
    // With `--meta` the data dir is shared by several servers: no admin socket there;
    // `s4-server admin` then works on the database directly.
    let admin_dir = config.data.dir().filter(|_| config.meta.is_none());
    let admin_task = if let Some(dir) = admin_dir {
        let admin_socket = admin::listen(dir)
            .map_err(|e| format!("cannot open the admin socket in {}: {e}", dir.display()))?;
        Some(tokio::spawn(admin::serve(
            admin_socket,
            store.clone(),
            Some(rate_limits),
        )))
    } else {
        None
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let local = listener.local_addr()?;
    let mut endpoints = vec![Endpoint {
        listener,
        tls: None,
    }];
    let mut https = None;
    if let Some(tls) = &config.tls {
        let reloadable = ReloadableTls::open(&tls.cert, &tls.key)?;
        tokio::spawn(reloadable.clone().reload_on_sighup());
        let listener = TcpListener::bind(tls.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", tls.listen))?;
        https = Some(listener.local_addr()?);
        endpoints.push(Endpoint {
            listener,
            tls: Some(reloadable),
        });
    }
    announce_root(ensure_root(store.as_ref(), given_key, &config.default_quota).await?);
    tracing::info!(
        listen = %local,
        tls_listen = ?https,
        metrics_listen = ?metrics_addr,
        data = %config.data.display(),
        domain = %config.domain,
        multipart_expiry_secs = config.multipart_expiry.as_secs(),
        "s4-server ready"
    );
    println!(
        "s4-server listening on http://{local} (data in {})",
        config.data.display()
    );
    if let Some(https) = https {
        println!("s4-server listening on https://{https}");
    }
    if let Some(metrics) = metrics_addr {
        println!("s4-server metrics on http://{metrics}/metrics");
    }
    let service = overload::Guard::new(service, &config.limits);
    let service = health::WithHealth::new(service, store, local_dir, config.min_free_space);
    let signals = server::ShutdownSignals::listen()?;
    server::serve(
        endpoints,
        service,
        &config.limits,
        signals,
        config.shutdown_grace,
    )
    .await?;
    if let (Some(task), Some(dir)) = (admin_task, admin_dir) {
        task.abort();
        let _ = std::fs::remove_file(admin::socket_path(dir));
    }
    Ok(())
}

/// Tells the operator what start-up did to the root key: a generated secret is printed once,
/// on the terminal only (never logged).
fn announce_root(bootstrap: Bootstrap) {
    match bootstrap {
        Bootstrap::NewAccount { account, key } => {
            println!("Created account {account} with a root access key:");
            println!("  access key id:     {}", key.access_key_id);
            println!("  secret access key: {}", key.secret_access_key);
        }
        Bootstrap::AddedGivenKey {
            account,
            access_key_id,
            replaced,
        } => {
            println!(
                "Added root access key {access_key_id} (secret from S4_ROOT_SECRET_KEY) to account {account}"
            );
            for id in replaced.deactivated {
                println!("  deactivated the root key it replaces: {id}");
            }
            for id in replaced.deleted {
                println!("  deleted the inactive root key {id} to make room");
            }
        }
        Bootstrap::Existing { account } => {
            tracing::info!(%account, "using the existing account");
        }
    }
}

/// `s4-server check-config`: the configuration resolved, the TLS files loaded, and the
/// effective settings printed.
fn check_config(config: &Config) -> ExitCode {
    if let Some(tls) = &config.tls {
        if let Err(error) = tls::load(&tls.cert, &tls.key) {
            eprintln!("s4-server: {error}");
            return ExitCode::FAILURE;
        }
    }
    print!("{}", config.describe());
    ExitCode::SUCCESS
}

/// `s4-server admin ...`: through the running server if there is one, else on the data dir.
/// `admin create-account` stores the configuration's default quota on the new account.
fn with_default_quota(command: &AdminCommand, config: &Config) -> AdminCommand {
    match command {
        AdminCommand::CreateAccount { init, .. } => AdminCommand::CreateAccount {
            init: *init,
            default_max_bytes: config.default_quota.max_bytes,
            default_max_objects: config.default_quota.max_objects,
            default_max_buckets: config.default_quota.max_buckets,
        },
        other => other.clone(),
    }
}

async fn run_admin(config: &Config, command: &AdminCommand) -> ExitCode {
    if let Err(refusal) = admin::check_data_dir(config, command) {
        return print_admin_answer(AdminAnswer::Error(refusal));
    }
    let answer = if config.meta.is_some() {
        match open_pg(config, false).await {
            Ok((store, _spool)) => admin::execute(&store, command).await,
            Err(error) => AdminAnswer::Error(error.to_string()),
        }
    } else {
        admin_local(config, command).await
    };
    print_admin_answer(answer)
}

/// The admin command through the local server's socket, else on the data dir.
async fn admin_local(config: &Config, command: &AdminCommand) -> AdminAnswer {
    let Some(data_dir) = config.data.dir() else {
        return AdminAnswer::Error("an S3 byte store needs --meta".to_owned());
    };
    match admin::send(data_dir, command).await {
        Ok(Some(answer)) => answer,
        Ok(None) => match FsStore::open(FsConfig::new(data_dir)) {
            Ok(store) => admin::execute(&store, command).await,
            Err(error) => AdminAnswer::Error(format!(
                "cannot open the data dir {} (is a server running without its admin socket?): {error}",
                data_dir.display()
            )),
        },
        Err(error) => AdminAnswer::Error(format!("admin socket: {error}")),
    }
}

fn print_admin_answer(answer: AdminAnswer) -> ExitCode {
    match answer {
        AdminAnswer::Lines(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        AdminAnswer::Findings(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::FAILURE
        }
        AdminAnswer::Error(message) => {
            eprintln!("s4-server admin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `filter` was checked when the configuration was resolved (`config::validate_log_filter`).
fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::builder()
        .parse(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour escapes only on a terminal: never in a file or a journal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
