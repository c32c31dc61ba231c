//! `s4-server admin`: account and key administration (key lifecycle in [`admin_keys`]), the
//! last-resort `delete-bucket-policy`, `explain` for authorization decisions, and the embedded
//! backend's `scrub` and `backup` (in [`crate::admin_storage`]).
//!
//! The commands work on a stopped server's data dir directly, and on a running server through
//! its admin socket (`<data-dir>/admin.sock`, a Unix socket only the data dir's owner can
//! reach): the embedded metadata store admits one process at a time, so the running server
//! executes the command on the CLI's behalf. The socket speaks one JSON request and one JSON
//! answer per line.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use s4_naming::AccountId;
use s4_storage::{IdentityStore, KeyStatus, ObjectStore, RateLimitStore, StorageError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::admin_keys;
use crate::admin_storage::Embedded;
use crate::bootstrap::{create_account, MAX_KEYS_PER_OWNER};

/// The admin socket's file name inside the data dir.
pub const SOCKET_NAME: &str = "admin.sock";
/// The longest request line the socket reads.
const MAX_REQUEST_LINE: usize = 4096;

/// One admin command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum AdminCommand {
    /// Create an account (random 15-digit ID) and its first root access key.
    CreateAccount {
        /// Create the data dir if it does not exist (otherwise admin commands refuse a
        /// missing data dir, which is usually a wrong path).
        #[arg(long)]
        #[serde(default)]
        init: bool,
        /// The storage quota stored on the new account: the configuration's
        /// `default_max_*`, filled in from the configuration the command runs with (not
        /// a flag of its own).
        #[arg(skip)]
        #[serde(default)]
        default_max_bytes: Option<u64>,
        #[arg(skip)]
        #[serde(default)]
        default_max_objects: Option<u64>,
        #[arg(skip)]
        #[serde(default)]
        default_max_buckets: Option<u64>,
    },
    /// List accounts.
    ListAccounts,
    /// Create an access key for an account's root or one of its IAM users, and print its
    /// secret once (at most two keys per owner, inactive ones included).
    CreateKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// The IAM user's name; without it, a root key.
        #[arg(long)]
        #[serde(default)]
        user: Option<String>,
    },
    /// List the access keys of an account's root and users (or of one user) with status,
    /// creation and last use (recorded to the minute); never secrets.
    ListKeys {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// Only this IAM user's keys.
        #[arg(long)]
        #[serde(default)]
        user: Option<String>,
    },
    /// Deactivate an access key: requests signed with it are refused (InvalidAccessKeyId)
    /// until `activate-key`. The account's last active root key needs --force.
    DeactivateKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// The access key ID.
        #[arg(long)]
        key: String,
        /// Also when it is the account's last active root key.
        #[arg(long)]
        #[serde(default)]
        force: bool,
    },
    /// Activate an inactive access key again.
    ActivateKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// The access key ID.
        #[arg(long)]
        key: String,
    },
    /// Delete an access key for good. The account's last active root key needs --force.
    DeleteKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// The access key ID.
        #[arg(long)]
        key: String,
        /// Also when it is the account's last active root key.
        #[arg(long)]
        #[serde(default)]
        force: bool,
    },
    /// Create a new root key for an account, print its secret once and deactivate (not
    /// delete) the root key it replaces; at the two-key limit the oldest inactive root key is
    /// deleted to make room.
    RotateRootKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
    },
    /// Recovery when no root key works: create a new active root key and print its secret,
    /// deleting the oldest root keys (inactive first) if the account is at the two-key limit.
    ResetRootKey {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
    },
    /// Remove a bucket's policy whatever it says: the last resort when a policy locks
    /// everyone out.
    DeleteBucketPolicy {
        /// The 15-digit account ID owning the bucket.
        #[arg(long)]
        account: String,
        /// The bucket name.
        #[arg(long)]
        bucket: String,
    },
    /// Set an account's request-rate limit, overriding the servers' --account-rate-limit
    /// (e.g. `set-rate-limit --account ID 100/s --burst 200`), or remove the override with
    /// --clear. A running server applies it at once; the servers of a cluster within 5 s.
    SetRateLimit {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// Requests per second, as `N/s`.
        #[arg(value_parser = crate::rate_limits::parse_rate, required_unless_present = "clear")]
        #[serde(default)]
        rate: Option<u32>,
        /// Requests allowed at once on top of the rate [default: one second's worth].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "clear")]
        #[serde(default)]
        burst: Option<u32>,
        /// Remove the account's override.
        #[arg(long, conflicts_with = "rate")]
        #[serde(default)]
        clear: bool,
    },
    /// Show the request-rate overrides set with set-rate-limit (of one account with
    /// --account).
    ShowRateLimit {
        /// Only this account's.
        #[arg(long)]
        #[serde(default)]
        account: Option<String>,
    },
    /// Set an account's storage limits (only the ones given change; `none` clears one).
    /// Writes past a limit are refused (AccountProblem, TooManyBuckets); lowering a limit
    /// below usage deletes nothing.
    SetQuota {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
        /// Object bytes plus parts of uploads in progress: a size (`500GiB`) or `none`.
        #[arg(long, value_parser = crate::admin_quota::parse_bytes_limit)]
        #[serde(default)]
        max_bytes: Option<crate::admin_quota::LimitSetting>,
        /// Objects: a number or `none`.
        #[arg(long, value_parser = crate::admin_quota::parse_count_limit)]
        #[serde(default)]
        max_objects: Option<crate::admin_quota::LimitSetting>,
        /// Buckets: a number or `none`.
        #[arg(long, value_parser = crate::admin_quota::parse_count_limit)]
        #[serde(default)]
        max_buckets: Option<crate::admin_quota::LimitSetting>,
    },
    /// Show an account's storage limits next to its usage.
    ShowQuota {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
    },
    /// List an account's IAM users.
    ListUsers {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
    },
    /// List an account's buckets with their object counts, bytes and multipart uploads in
    /// progress (counted by listing each bucket now).
    ListBuckets {
        /// The 15-digit account ID.
        #[arg(long)]
        account: String,
    },
    /// Abort every multipart upload, in every bucket, initiated longer ago than the given
    /// age, releasing its parts (the background expiry does the same periodically).
    ExpireUploads {
        /// Seconds, or with a unit: `90s`, `30m`, `12h`, `7d`.
        #[arg(long, value_parser = crate::config::parse_age, default_value = "7d")]
        older_than: std::time::Duration,
    },
    /// Explain how the server decides a request signed with an access key: every check of
    /// the operation with its decision and the deciding policy and statement
    /// (e.g. `explain --key AKIA... GET /bucket/key`).
    Explain {
        /// The access key ID the request is signed with.
        #[arg(long)]
        key: String,
        /// Evaluate as a request over TLS (`aws:SecureTransport` true).
        #[arg(long)]
        #[serde(default)]
        secure: bool,
        /// The client address (`aws:SourceIp`); absent unless given.
        #[arg(long)]
        #[serde(default)]
        source_ip: Option<std::net::IpAddr>,
        /// The HTTP method (GET, PUT, HEAD, DELETE, POST).
        method: String,
        /// The path-style path with optional query, e.g. `/bucket/key` or `/bucket?policy`.
        path: String,
    },
    /// Embedded backend: read every object and every part of every upload in progress and
    /// check its size and MD5 against the metadata; prints each damaged object by bucket and
    /// key and exits with status 1 when any is damaged.
    Scrub {
        /// Read at most this many MiB per second [default: as fast as the disk allows].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        #[serde(default)]
        max_mib_per_second: Option<u64>,
    },
    /// Embedded backend: write a consistent copy of the data dir (the metadata at one commit
    /// and every blob it references) into DEST while the server keeps serving;
    /// `s4-server --data-dir DEST` then serves that state. The copy holds every secret access
    /// key.
    Backup {
        /// The backup directory: new, or an empty directory, outside the data dir.
        #[arg(value_parser = absolute_path)]
        dest: PathBuf,
        /// Copy every blob file instead of hard-linking it (hard links share the files with
        /// the live data dir, so damage to one reaches both).
        #[arg(long)]
        #[serde(default)]
        copy: bool,
    },
}

/// A path made absolute against the CLI's working directory: the running server that executes
/// the command has its own.
fn absolute_path(value: &str) -> Result<PathBuf, String> {
    std::path::absolute(value).map_err(|e| format!("{value}: {e}"))
}

/// What a command produced, as text lines for the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdminAnswer {
    Lines(Vec<String>),
    /// The command ran and found problems (a scrub's damaged objects): printed like
    /// [`AdminAnswer::Lines`], with exit status 1.
    Findings(Vec<String>),
    Error(String),
}

/// Runs a command against an open store (identities, and buckets for `explain`).
pub async fn execute<I: IdentityStore + ObjectStore + RateLimitStore + Embedded>(
    store: &I,
    command: &AdminCommand,
) -> AdminAnswer {
    match command {
        AdminCommand::Scrub { max_mib_per_second } => {
            return crate::admin_storage::scrub(store, *max_mib_per_second).await
        }
        AdminCommand::Backup { dest, copy } => {
            return crate::admin_storage::backup(store, dest, *copy).await
        }
        _ => {}
    }
    match run(store, command).await {
        Ok(lines) => AdminAnswer::Lines(lines),
        Err(error) => AdminAnswer::Error(error),
    }
}

async fn run<I: IdentityStore + ObjectStore + RateLimitStore>(
    store: &I,
    command: &AdminCommand,
) -> Result<Vec<String>, String> {
    match command {
        AdminCommand::Explain {
            key,
            secure,
            source_ip,
            method,
            path,
        } => explain(store, key, *secure, *source_ip, method, path).await,
        AdminCommand::SetRateLimit {
            account,
            rate,
            burst,
            clear,
        } => {
            let account = existing_account(store, account).await?;
            crate::admin_rate::set(store, &account, *rate, *burst, *clear).await
        }
        AdminCommand::ShowRateLimit { account } => {
            let account = match account {
                Some(id) => Some(existing_account(store, id).await?),
                None => None,
            };
            crate::admin_rate::show(store, account.as_ref()).await
        }
        AdminCommand::ListUsers { account } => {
            let account = existing_account(store, account).await?;
            crate::admin_storage::list_users(store, &account).await
        }
        AdminCommand::ListBuckets { account } => {
            let account = existing_account(store, account).await?;
            crate::admin_storage::list_buckets(store, &account).await
        }
        AdminCommand::ExpireUploads { older_than } => {
            crate::admin_storage::expire_uploads(store, *older_than).await
        }
        AdminCommand::CreateAccount {
            default_max_bytes,
            default_max_objects,
            default_max_buckets,
            ..
        } => {
            let quota = s4_storage::quota::AccountQuota {
                max_bytes: *default_max_bytes,
                max_objects: *default_max_objects,
                max_buckets: *default_max_buckets,
            };
            let account = create_account(store, &quota).await.map_err(describe)?;
            let key = crate::root_keys::generate(account);
            store
                .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
                .await
                .map_err(describe)?;
            Ok(vec![
                format!("account:           {account}"),
                format!("access key id:     {}", key.access_key_id),
                format!("secret access key: {}", key.secret_access_key),
            ])
        }
        AdminCommand::ListAccounts => {
            let accounts = store.list_accounts().await.map_err(describe)?;
            let mut lines = Vec::with_capacity(accounts.len());
            for a in accounts {
                let quota = store.account_quota(&a.id).await.map_err(describe)?;
                let usage = store.account_usage(&a.id).await.map_err(describe)?;
                lines.push(format!(
                    "{}  created {}  {}",
                    a.id,
                    rfc3339(a.created),
                    crate::admin_quota::usage_columns(&usage, &quota)
                ));
            }
            Ok(lines)
        }
        AdminCommand::SetQuota {
            account,
            max_bytes,
            max_objects,
            max_buckets,
        } => {
            let account = existing_account(store, account).await?;
            let change = crate::admin_quota::QuotaChange {
                bytes: *max_bytes,
                objects: *max_objects,
                buckets: *max_buckets,
            };
            crate::admin_quota::set_quota(store, &account, change).await
        }
        AdminCommand::ShowQuota { account } => {
            let account = existing_account(store, account).await?;
            crate::admin_quota::show_quota(store, &account).await
        }
        AdminCommand::CreateKey { account, user } => {
            let account = existing_account(store, account).await?;
            admin_keys::create_key(store, account, user.as_deref()).await
        }
        AdminCommand::ListKeys { account, user } => {
            let account = existing_account(store, account).await?;
            admin_keys::list_keys(store, &account, user.as_deref()).await
        }
        AdminCommand::DeactivateKey {
            account,
            key,
            force,
        } => {
            let account = existing_account(store, account).await?;
            admin_keys::set_status(store, &account, key, KeyStatus::Inactive, *force).await
        }
        AdminCommand::ActivateKey { account, key } => {
            let account = existing_account(store, account).await?;
            admin_keys::set_status(store, &account, key, KeyStatus::Active, false).await
        }
        AdminCommand::DeleteKey {
            account,
            key,
            force,
        } => {
            let account = existing_account(store, account).await?;
            admin_keys::delete_key(store, &account, key, *force).await
        }
        AdminCommand::RotateRootKey { account } => {
            let account = existing_account(store, account).await?;
            admin_keys::rotate_root_key(store, account).await
        }
        AdminCommand::ResetRootKey { account } => {
            let account = existing_account(store, account).await?;
            admin_keys::reset_root_key(store, account).await
        }
        AdminCommand::DeleteBucketPolicy { account, bucket } => {
            let account = existing_account(store, account).await?;
            crate::admin_storage::delete_bucket_policy(store, &account, bucket).await
        }
        AdminCommand::Scrub { .. } | AdminCommand::Backup { .. } => {
            Err("scrub and backup are answered by `execute`".to_owned())
        }
    }
}

async fn explain<I: IdentityStore + ObjectStore>(
    store: &I,
    key: &str,
    secure: bool,
    source_ip: Option<std::net::IpAddr>,
    method: &str,
    path: &str,
) -> Result<Vec<String>, String> {
    let explained =
        s4_service::authz::explain_request(store, store, key, method, path, secure, source_ip)
            .await?;
    let mut lines = vec![
        format!("principal: {}", explained.principal),
        format!("operation: {}", explained.operation),
    ];
    for check in &explained.checks {
        lines.push(format!(
            "{} on {}: {}",
            check.action, check.resource, check.explanation
        ));
    }
    lines.push(format!("decision: {}", explained.answer()));
    Ok(lines)
}

async fn existing_account<I: IdentityStore>(store: &I, id: &str) -> Result<AccountId, String> {
    let account = AccountId::parse(id).map_err(|e| format!("invalid account ID {id:?}: {e}"))?;
    match store.get_account(&account).await.map_err(describe)? {
        Some(_) => Ok(account),
        None => Err(format!("no account {account}")),
    }
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(describe)`
pub(crate) fn describe(error: StorageError) -> String {
    error.to_string()
}

/// On the embedded backend, admin commands work on a data dir that exists: a missing one is
/// most likely a wrong path or working directory, and opening it would create an empty store
/// and print nothing. Only `create-account --init` creates it, on purpose. (With `--meta` the
/// store is the database, and the data dir only the cluster's blob directory.)
pub fn check_data_dir(
    config: &crate::config::Config,
    command: &AdminCommand,
) -> Result<(), String> {
    let Some(dir) = config.data.dir().filter(|_| config.meta.is_none()) else {
        return Ok(());
    };
    if dir.is_dir() || matches!(command, AdminCommand::CreateAccount { init: true, .. }) {
        return Ok(());
    }
    let problem = if dir.exists() {
        "is not a directory"
    } else {
        "does not exist"
    };
    Err(format!(
        "the data dir {} {problem}; give the server's data dir with --data-dir (or S4_DATA_DIR), \
         or create a new one with `s4-server admin create-account --init`",
        dir.display()
    ))
}

/// The admin socket path for a data dir.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Serves admin commands on `<data-dir>/admin.sock` until the task is dropped. A stale socket
/// file from a killed server is replaced.
pub fn listen(data_dir: &Path) -> std::io::Result<UnixListener> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    // Owner only: the socket hands out root keys.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Answers admin connections, one command each. A changed rate-limit override is applied
/// to `rate_limits` (this server's limiter) before the command is answered.
pub async fn serve<I: IdentityStore + ObjectStore + RateLimitStore + Embedded>(
    listener: UnixListener,
    store: std::sync::Arc<I>,
    rate_limits: Option<crate::rate_limits::Overrides>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let store = store.clone();
        let rate_limits = rate_limits.clone();
        tokio::spawn(async move {
            if let Err(error) = answer(stream, store.as_ref(), rate_limits.as_ref()).await {
                tracing::debug!(%error, "admin connection failed");
            }
        });
    }
}

async fn answer<I: IdentityStore + ObjectStore + RateLimitStore + Embedded>(
    stream: UnixStream,
    store: &I,
    rate_limits: Option<&crate::rate_limits::Overrides>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(MAX_REQUEST_LINE as u64));
    reader.read_line(&mut line).await?;
    let answer = match serde_json::from_str::<AdminCommand>(line.trim()) {
        Ok(command) => {
            tracing::info!(?command, "admin command");
            let answer = execute(store, &command).await;
            match (&command, answer, rate_limits) {
                (
                    AdminCommand::SetRateLimit { .. },
                    AdminAnswer::Lines(mut lines),
                    Some(limits),
                ) => {
                    if let Err(error) = limits.reload().await {
                        lines.push(format!(
                            "stored, but not applied yet ({error}): this server applies it within {} s",
                            crate::rate_limits::RELOAD_INTERVAL.as_secs()
                        ));
                    }
                    AdminAnswer::Lines(lines)
                }
                (_, answer, _) => answer,
            }
        }
        Err(error) => AdminAnswer::Error(format!("malformed admin request: {error}")),
    };
    let mut out = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
    out.push(b'\n');
    write.write_all(&out).await?;
    write.shutdown().await
}

/// Sends a command to a running server. `Ok(None)` when no server listens on the data dir.
pub async fn send(data_dir: &Path, command: &AdminCommand) -> std::io::Result<Option<AdminAnswer>> {
    let stream = match UnixStream::connect(socket_path(data_dir)).await {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let (read, mut write) = stream.into_split();
    let mut request = serde_json::to_vec(command).map_err(std::io::Error::other)?;
    request.push(b'\n');
    write.write_all(&request).await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    serde_json::from_str(line.trim())
        .map(Some)
        .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use s4_storage::memory::MemoryStore;
    use s4_storage::{AccessKey, KeyOwner};

    use super::*;

    fn lines(answer: AdminAnswer) -> Vec<String> {
        match answer {
            AdminAnswer::Lines(lines) => lines,
            other => panic!("admin command failed: {other:?}"),
        }
    }

    #[tokio::test]
    async fn commands_over_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::new());
        assert_eq!(
            send(dir.path(), &AdminCommand::ListAccounts).await.unwrap(),
            None
        );
        let listener = listen(dir.path()).unwrap();
        let server = tokio::spawn(serve(listener, store.clone(), None));

        let created = lines(
            send(
                dir.path(),
                &AdminCommand::CreateAccount {
                    init: false,
                    default_max_bytes: None,
                    default_max_objects: None,
                    default_max_buckets: None,
                },
            )
            .await
            .unwrap()
            .unwrap(),
        );
        let account = created[0].rsplit(' ').next().unwrap().to_owned();
        let key_id = created[1].rsplit(' ').next().unwrap().to_owned();
        assert_eq!(account.len(), 15);
        let stored = store.get_access_key(&key_id).await.unwrap().unwrap();
        assert_eq!(stored.owner, KeyOwner::Root);
        assert_eq!(
            created[2].rsplit(' ').next().unwrap(),
            stored.secret_access_key
        );

        let listed = lines(
            send(dir.path(), &AdminCommand::ListAccounts)
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(listed.len(), 1);
        assert!(listed[0].starts_with(&account));

        let second = AdminCommand::CreateKey {
            account: account.clone(),
            user: None,
        };
        lines(send(dir.path(), &second).await.unwrap().unwrap());
        // AWS's quota: two keys per owner.
        let third = send(dir.path(), &second).await.unwrap().unwrap();
        assert!(matches!(third, AdminAnswer::Error(_)), "{third:?}");

        let keys = lines(
            send(
                dir.path(),
                &AdminCommand::ListKeys {
                    account: account.clone(),
                    user: None,
                },
            )
            .await
            .unwrap()
            .unwrap(),
        );
        assert_eq!(keys.len(), 2);
        assert!(keys
            .iter()
            .all(|k| k.contains("root") && !k.contains(&stored.secret_access_key)));

        let unknown = AdminCommand::ListKeys {
            account: "000000000000001".into(),
            user: None,
        };
        assert!(matches!(
            send(dir.path(), &unknown).await.unwrap().unwrap(),
            AdminAnswer::Error(_)
        ));
        let bad = AdminCommand::ListKeys {
            account: "x".into(),
            user: None,
        };
        assert!(matches!(
            send(dir.path(), &bad).await.unwrap().unwrap(),
            AdminAnswer::Error(_)
        ));
        server.abort();
    }

    #[tokio::test]
    async fn explain_names_the_deciding_statement_directly_and_over_the_socket() {
        use s4_storage::{PolicyTarget, User};

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::new());
        let account = AccountId::from_number(42).unwrap();
        store.create_account(&account).await.unwrap();
        let now = OffsetDateTime::now_utc();
        store
            .create_user(User {
                account,
                name: "alice".into(),
                user_id: "AIDAALICE".into(),
                created: now,
            })
            .await
            .unwrap();
        store
            .create_access_key(
                AccessKey {
                    access_key_id: "AKIAALICE00000000001".into(),
                    secret_access_key: "s".repeat(40),
                    account,
                    owner: KeyOwner::User("alice".into()),
                    status: KeyStatus::Active,
                    created: now,
                },
                2,
            )
            .await
            .unwrap();
        store
            .attach_policy(
                &account,
                &PolicyTarget::User("alice".into()),
                "arn:aws:iam::aws:policy/S3ReadAccess",
            )
            .await
            .unwrap();
        store.create_bucket(&account, "photos").await.unwrap();
        store
            .set_bucket_policy(
                &account,
                "photos",
                Some(r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/secret/*"}]}"#.into()),
            )
            .await
            .unwrap();
        let cmd = |method: &str, path: &str| AdminCommand::Explain {
            key: "AKIAALICE00000000001".into(),
            secure: false,
            source_ip: None,
            method: method.into(),
            path: path.into(),
        };
        // Directly (a stopped server's data dir).
        let out = lines(execute(store.as_ref(), &cmd("GET", "/photos/cat.jpg")).await);
        assert_eq!(out[0], "principal: arn:aws:iam::000000000000042:user/alice");
        assert_eq!(out[1], "operation: GetObject");
        assert_eq!(
            out[2],
            "s3:GetObject on arn:aws:s3:::photos/cat.jpg: Allow (Allowed): Allow by statement 0 of arn:aws:iam::aws:policy/S3ReadAccess"
        );
        assert_eq!(out.last().unwrap(), "decision: Allow");
        let out = lines(execute(store.as_ref(), &cmd("get", "/photos/secret/a")).await);
        assert!(
            out[2].ends_with("Deny by statement 0 (Sid NoSecrets) of bucket policy of photos"),
            "{out:?}"
        );
        assert_eq!(out.last().unwrap(), "decision: AccessDenied");
        let out = lines(execute(store.as_ref(), &cmd("PUT", "/photos/cat.jpg")).await);
        assert!(out[2].contains("ImplicitDeny (NoAllow)"), "{out:?}");
        // Through a running server's socket.
        let listener = listen(dir.path()).unwrap();
        let server = tokio::spawn(serve(listener, store.clone(), None));
        let out = lines(
            send(dir.path(), &cmd("GET", "/photos/secret/a"))
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(out.last().unwrap(), "decision: AccessDenied");
        let unknown = AdminCommand::Explain {
            key: "AKIANOSUCHKEY0000000".into(),
            secure: false,
            source_ip: None,
            method: "GET".into(),
            path: "/photos/a".into(),
        };
        assert!(matches!(
            send(dir.path(), &unknown).await.unwrap().unwrap(),
            AdminAnswer::Error(_)
        ));
        server.abort();
    }
}
