//! Rate-limit overrides of `FsStore` survive a reopen (a server restart) and a backup.

use s4_naming::AccountId;
use s4_storage::{IdentityStore, RateLimit, RateLimitStore};
use s4_storage_fs::{FsConfig, FsStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_survive_reopen_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountId::from_number(7).unwrap();
    let limit = RateLimit::new(50, Some(5)).unwrap();
    {
        let store = FsStore::open(FsConfig::new(dir.path())).unwrap();
        store.create_account(&account).await.unwrap();
        store.set_rate_limit(&account, Some(limit)).await.unwrap();
    }
    let store = FsStore::open(FsConfig::new(dir.path())).unwrap();
    assert_eq!(store.rate_limits().await.unwrap(), vec![(account, limit)]);

    let backup = tempfile::tempdir().unwrap();
    let dest = backup.path().join("copy");
    store
        .backup(dest.clone(), s4_storage_fs::BlobTransfer::Copy)
        .await
        .unwrap();
    drop(store);
    let copy = FsStore::open(FsConfig::new(&dest)).unwrap();
    assert_eq!(copy.rate_limits().await.unwrap(), vec![(account, limit)]);
}
