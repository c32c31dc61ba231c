//! Versioned schema migrations, applied at open in one transaction under an advisory lock.

use s4_storage::StorageResult;

use crate::Db;

/// An arbitrary constant: the advisory lock that serializes migrations across processes.
const MIGRATION_LOCK: i64 = 0x5334_6d69_6772_6174;

/// Migrations by version, oldest first. Never edit a released one: append.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
CREATE TABLE buckets (
    account text NOT NULL,
    name text COLLATE "C" NOT NULL,
    created bigint NOT NULL,
    policy text,
    PRIMARY KEY (account, name)
);
CREATE TABLE objects (
    account text NOT NULL,
    bucket text COLLATE "C" NOT NULL,
    key bytea NOT NULL,
    size bigint NOT NULL,
    etag text NOT NULL,
    last_modified bigint NOT NULL,
    attributes text NOT NULL,
    part_count integer,
    part_size bigint,
    last_part_size bigint,
    inline_data bytea,
    blobs text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (account, bucket, key),
    FOREIGN KEY (account, bucket) REFERENCES buckets (account, name)
);
CREATE INDEX objects_blobs ON objects USING gin (blobs);
CREATE TABLE uploads (
    upload_id text PRIMARY KEY,
    account text NOT NULL,
    bucket text COLLATE "C" NOT NULL,
    key bytea NOT NULL,
    seq bigserial NOT NULL,
    initiated bigint NOT NULL,
    attributes text NOT NULL,
    FOREIGN KEY (account, bucket) REFERENCES buckets (account, name)
);
CREATE INDEX uploads_by_key ON uploads (account, bucket, key, seq);
CREATE INDEX uploads_by_time ON uploads (initiated);
CREATE TABLE parts (
    upload_id text NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
    number integer NOT NULL,
    size bigint NOT NULL,
    md5 bytea NOT NULL,
    last_modified bigint NOT NULL,
    blob text NOT NULL,
    PRIMARY KEY (upload_id, number)
);
CREATE INDEX parts_blob ON parts (blob);
CREATE TABLE accounts (
    id text PRIMARY KEY,
    created bigint NOT NULL
);
CREATE TABLE users (
    account text NOT NULL REFERENCES accounts (id),
    folded text NOT NULL,
    name text COLLATE "C" NOT NULL,
    user_id text NOT NULL,
    created bigint NOT NULL,
    PRIMARY KEY (account, folded)
);
CREATE TABLE groups (
    account text NOT NULL REFERENCES accounts (id),
    folded text NOT NULL,
    name text COLLATE "C" NOT NULL,
    group_id text NOT NULL,
    created bigint NOT NULL,
    PRIMARY KEY (account, folded)
);
CREATE TABLE memberships (
    account text NOT NULL,
    group_folded text NOT NULL,
    user_folded text NOT NULL,
    PRIMARY KEY (account, group_folded, user_folded),
    FOREIGN KEY (account, group_folded) REFERENCES groups (account, folded),
    FOREIGN KEY (account, user_folded) REFERENCES users (account, folded)
);
CREATE INDEX memberships_by_user ON memberships (account, user_folded);
CREATE TABLE access_keys (
    id text PRIMARY KEY,
    secret text NOT NULL,
    account text NOT NULL REFERENCES accounts (id),
    owner_folded text NOT NULL,
    owner_name text,
    active boolean NOT NULL,
    created bigint NOT NULL,
    seq bigserial NOT NULL
);
CREATE INDEX access_keys_by_owner ON access_keys (account, owner_folded);
CREATE TABLE attachments (
    account text NOT NULL,
    kind "char" NOT NULL,
    target_folded text NOT NULL,
    arn text NOT NULL,
    seq bigserial NOT NULL,
    PRIMARY KEY (account, kind, target_folded, arn)
);
CREATE INDEX attachments_by_arn ON attachments (account, arn);
"#,
    ),
    (
        2,
        // Usage counters (see `usage.rs` for why they are sharded). Backfilled from the rows
        // they count; the SHARE locks keep writers of an older version (a rolling upgrade)
        // from committing between the count and the commit of this migration.
        r#"
CREATE TABLE bucket_usage (
    account text NOT NULL,
    bucket text COLLATE "C" NOT NULL,
    shard smallint NOT NULL,
    objects bigint NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    uploads bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account, bucket, shard),
    FOREIGN KEY (account, bucket) REFERENCES buckets (account, name) ON DELETE CASCADE
);
LOCK TABLE buckets, objects, uploads IN SHARE MODE;
INSERT INTO bucket_usage (account, bucket, shard, objects, bytes, uploads)
SELECT b.account, b.name, 0,
    coalesce(o.objects, 0), coalesce(o.bytes, 0), coalesce(u.uploads, 0)
FROM buckets b
LEFT JOIN (SELECT account, bucket, count(*) AS objects, sum(size)::bigint AS bytes
           FROM objects GROUP BY account, bucket) o
    ON o.account = b.account AND o.bucket = b.name
LEFT JOIN (SELECT account, bucket, count(*) AS uploads FROM uploads GROUP BY account, bucket) u
    ON u.account = b.account AND u.bucket = b.name;
"#,
    ),
    (
        3,
        // When each access key last signed a request (nanoseconds, NULL: never), written at
        // most once a minute per key and server. Idempotent, like every migration here: the
        // downgrade test re-applies them.
        "ALTER TABLE access_keys ADD COLUMN IF NOT EXISTS last_used bigint;",
    ),
    (
        4,
        // Keys of 1024 characters take up to 4096 bytes, more than a B-tree entry holds
        // (about 2700): uniqueness and lookups move to sha256(key), ordered scans to an index
        // on the key's first 2000 bytes (objects.rs, KEY_HEAD).
        // Idempotent, so that re-applying it (after s4_migrations was rolled back by hand,
        // as the downgrade test does) is harmless.
        r"
ALTER TABLE objects DROP CONSTRAINT IF EXISTS objects_pkey;
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_key_hash ON objects (account, bucket, sha256(key));
CREATE INDEX IF NOT EXISTS objects_in_key_order
    ON objects (account, bucket, substring(key FROM 1 FOR 2000));
DROP INDEX IF EXISTS uploads_by_key;
CREATE INDEX IF NOT EXISTS uploads_in_key_order
    ON uploads (account, bucket, substring(key FROM 1 FOR 2000), seq);
",
    ),
    (
        5,
        // Storage quotas (see `quota.rs`): each limited account's limits, and the bytes of
        // parts of uploads in progress, which quotas count, on the usage counters. The
        // backfill recounts part bytes from the parts under SHARE locks (no writer of an
        // older version commits in between) into shard 0 after zeroing every shard, so
        // re-applying it (the downgrade test does) recounts instead of doubling.
        r"
CREATE TABLE IF NOT EXISTS account_quotas (
    account text PRIMARY KEY,
    max_bytes bigint,
    max_objects bigint,
    max_buckets bigint
);
ALTER TABLE bucket_usage ADD COLUMN IF NOT EXISTS part_bytes bigint NOT NULL DEFAULT 0;
LOCK TABLE uploads, parts IN SHARE MODE;
UPDATE bucket_usage SET part_bytes = 0 WHERE part_bytes <> 0;
INSERT INTO bucket_usage (account, bucket, shard, part_bytes)
SELECT u.account, u.bucket, 0, sum(p.size)::bigint
FROM parts p JOIN uploads u ON u.upload_id = p.upload_id
GROUP BY u.account, u.bucket
ON CONFLICT (account, bucket, shard) DO UPDATE SET part_bytes = excluded.part_bytes;
",
    ),
    (
        6,
        // Per-account request-rate overrides (`rate_limits.rs`), read by every server at start
        // and periodically. (Version 5 belongs to another change of the same release.)
        // Idempotent, like every migration here.
        r"
CREATE TABLE IF NOT EXISTS rate_limits (
    account text PRIMARY KEY REFERENCES accounts (id),
    requests_per_second bigint NOT NULL CHECK (requests_per_second BETWEEN 1 AND 4294967295),
    burst bigint NOT NULL CHECK (burst BETWEEN 1 AND 4294967295)
);
",
    ),
    (
        7,
        // Cache coherence (coherence.rs): a change to an identity table or to a bucket's
        // existence or policy notifies every server, in the changing transaction (delivered
        // only if it commits). Recording a key's last use does not notify (UPDATE OF lists
        // the columns a cache holds). Idempotent (CREATE OR REPLACE, DROP ... IF EXISTS).
        r"
CREATE OR REPLACE FUNCTION s4_notify_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(left('s4_cache_' || TG_TABLE_SCHEMA, 63),
        'i ' || CASE WHEN TG_OP = 'DELETE' THEN OLD.account ELSE NEW.account END);
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION s4_notify_bucket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(left('s4_cache_' || TG_TABLE_SCHEMA, 63),
        'b ' || CASE WHEN TG_OP = 'DELETE' THEN OLD.account || ' ' || OLD.name
                     ELSE NEW.account || ' ' || NEW.name END);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS s4_cache ON users;
CREATE TRIGGER s4_cache AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION s4_notify_identity();
DROP TRIGGER IF EXISTS s4_cache ON groups;
CREATE TRIGGER s4_cache AFTER INSERT OR UPDATE OR DELETE ON groups
    FOR EACH ROW EXECUTE FUNCTION s4_notify_identity();
DROP TRIGGER IF EXISTS s4_cache ON memberships;
CREATE TRIGGER s4_cache AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION s4_notify_identity();
DROP TRIGGER IF EXISTS s4_cache ON attachments;
CREATE TRIGGER s4_cache AFTER INSERT OR UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION s4_notify_identity();
DROP TRIGGER IF EXISTS s4_cache ON access_keys;
CREATE TRIGGER s4_cache
    AFTER INSERT OR DELETE OR UPDATE OF id, secret, account, owner_folded, owner_name, active
    ON access_keys FOR EACH ROW EXECUTE FUNCTION s4_notify_identity();
DROP TRIGGER IF EXISTS s4_cache ON buckets;
CREATE TRIGGER s4_cache AFTER INSERT OR DELETE OR UPDATE OF policy ON buckets
    FOR EACH ROW EXECUTE FUNCTION s4_notify_bucket();
",
    ),
];

/// Creates the schema if needed and applies every migration newer than the recorded version.
pub(crate) async fn apply(
    client: &mut deadpool_postgres::Object,
    schema: &str,
) -> StorageResult<()> {
    let tx = client.transaction().await.db()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .db()?;
    // `schema` was checked to be [a-z0-9_]+ by the caller.
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}; \
         CREATE TABLE IF NOT EXISTS s4_migrations (version integer PRIMARY KEY, \
         applied timestamptz NOT NULL DEFAULT now())"
    ))
    .await
    .db()?;
    // Read under the lock: a server that waited for another's migrations sees them applied
    // (READ COMMITTED takes a new snapshot per statement) and applies nothing twice.
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM s4_migrations", &[])
        .await
        .db()?
        .get(0);
    for (version, sql) in MIGRATIONS {
        if *version > current {
            tx.batch_execute(sql).await.db()?;
            tx.execute(
                "INSERT INTO s4_migrations (version) VALUES ($1)",
                &[version],
            )
            .await
            .db()?;
        }
    }
    tx.commit().await.db()
}
