//! `s4-server`: the S4 object store on the embedded disk backend.
//!
//! `cargo run --release -p s4-server` serves S3 and IAM on 127.0.0.1:9000 with data in
//! `./data`. On first start it creates an account and a root access key and prints them once;
//! set `S4_ROOT_ACCESS_KEY` and `S4_ROOT_SECRET_KEY` to choose the key instead.

mod admin;
mod admin_storage;
mod bootstrap;
mod config;
mod health;
mod limits;
mod metrics;
mod overload;
mod server;
mod tls;
mod usage;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use s4_service::{spawn_upload_expiry, S4Service, ServiceConfig};
use s4_storage::{IdentityStore, ObjectStore};
use s4_storage_fs::{FsConfig, FsStore};
use s4_storage_pg::{FsBlobStore, PgConfig, PgStore};
use tokio::net::TcpListener;

use crate::admin::{AdminAnswer, AdminCommand};
use crate::bootstrap::{ensure_root, Bootstrap, GivenRootKey};
use crate::config::{Cli, Command, Config, LogFormat};
use crate::server::Endpoint;
use crate::tls::ReloadableTls;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("s4-server: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("s4-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &cli.command {
        Some(Command::Admin { command }) => return runtime.block_on(run_admin(&config, command)),
        Some(Command::CheckConfig) => return check_config(&config),
        None => {}
    }
    init_logging(config.log_format);
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("s4-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // Scale-out (`--meta`): metadata in PostgreSQL, bytes in the shared data dir.
    if config.meta.is_some() {
        let store = Arc::new(open_pg(&config).await?);
        spawn_orphan_sweep(store.clone());
        return run_with(config, store).await;
    }
    let store = Arc::new(FsStore::open(FsConfig::new(&config.data_dir)).map_err(|e| {
        format!(
            "cannot open the data dir {}: {e}",
            config.data_dir.display()
        )
    })?);
    run_with(config, store).await
}

/// The scale-out backend: PostgreSQL at `config.meta`, blobs in `config.data_dir` (shared by
/// every server of the cluster).
async fn open_pg(config: &Config) -> Result<PgStore, Box<dyn std::error::Error>> {
    let url = config.meta.clone().unwrap_or_default();
    let blobs = FsBlobStore::open(&config.data_dir).map_err(|e| {
        format!(
            "cannot open the blob dir {}: {e}",
            config.data_dir.display()
        )
    })?;
    let store = PgStore::open(PgConfig::new(url), Arc::new(blobs))
        .await
        .map_err(|e| format!("cannot open the metadata database: {e}"))?;
    Ok(store)
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
async fn run_with<S: ObjectStore + IdentityStore>(
    config: Config,
    store: Arc<S>,
) -> Result<(), Box<dyn std::error::Error>> {
    let given_key = GivenRootKey::from_env()?;
    let from_env = given_key.is_some();
    match ensure_root(store.as_ref(), given_key).await? {
        Bootstrap::Created { account, key } if from_env => {
            println!(
                "Added root access key {} (secret from S4_ROOT_SECRET_KEY) to account {account}",
                key.access_key_id
            );
        }
        Bootstrap::Created { account, key } => {
            // Printed once, on the terminal only: the secret is never logged.
            println!("Created account {account} with a root access key:");
            println!("  access key id:     {}", key.access_key_id);
            println!("  secret access key: {}", key.secret_access_key);
        }
        Bootstrap::Existing { account } => {
            tracing::info!(%account, "using the existing account");
        }
    }
    let mut service_config = ServiceConfig::new(&config.domain);
    service_config.region.clone_from(&config.region);
    // Abandoned uploads are checked for every tenth of their maximum age, at most hourly.
    let expiry_interval = (config.multipart_expiry / 10).min(std::time::Duration::from_hours(1));
    let _expiry = spawn_upload_expiry(store.clone(), config.multipart_expiry, expiry_interval);
    let service = S4Service::new(store.clone(), store.clone(), service_config);
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
            tokio::spawn(metrics::serve(listener, service.metrics().clone(), source));
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
    let admin_task = if config.meta.is_none() {
        let admin_socket = admin::listen(&config.data_dir).map_err(|e| {
            format!(
                "cannot open the admin socket in {}: {e}",
                config.data_dir.display()
            )
        })?;
        Some(tokio::spawn(admin::serve(admin_socket, store.clone())))
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
    tracing::info!(
        listen = %local,
        tls_listen = ?https,
        metrics_listen = ?metrics_addr,
        data_dir = %config.data_dir.display(),
        domain = %config.domain,
        multipart_expiry_secs = config.multipart_expiry.as_secs(),
        "s4-server ready"
    );
    println!(
        "s4-server listening on http://{local} (data in {})",
        config.data_dir.display()
    );
    if let Some(https) = https {
        println!("s4-server listening on https://{https}");
    }
    if let Some(metrics) = metrics_addr {
        println!("s4-server metrics on http://{metrics}/metrics");
    }
    let service = overload::Guard::new(service, &config.limits);
    let service = health::WithHealth::new(service, store, config.data_dir.clone());
    server::serve(
        endpoints,
        service,
        &config.limits,
        server::shutdown_signal(),
    )
    .await?;
    if let Some(task) = admin_task {
        task.abort();
        let _ = std::fs::remove_file(admin::socket_path(&config.data_dir));
    }
    Ok(())
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
async fn run_admin(config: &Config, command: &AdminCommand) -> ExitCode {
    let answer = if config.meta.is_some() {
        match open_pg(config).await {
            Ok(store) => admin::execute(&store, command).await,
            Err(error) => AdminAnswer::Error(error.to_string()),
        }
    } else {
        admin_local(config, command).await
    };
    print_admin_answer(answer)
}

/// The admin command through the local server's socket, else on the data dir.
async fn admin_local(config: &Config, command: &AdminCommand) -> AdminAnswer {
    match admin::send(&config.data_dir, command).await {
        Ok(Some(answer)) => answer,
        Ok(None) => match FsStore::open(FsConfig::new(&config.data_dir)) {
            Ok(store) => admin::execute(&store, command).await,
            Err(error) => AdminAnswer::Error(format!(
                "cannot open the data dir {} (is a server running without its admin socket?): {error}",
                config.data_dir.display()
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
        AdminAnswer::Error(message) => {
            eprintln!("s4-server admin: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("S4_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
