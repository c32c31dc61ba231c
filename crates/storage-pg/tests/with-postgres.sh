#!/usr/bin/env bash
# Runs the PostgreSQL-backed tests against a private, throw-away PostgreSQL cluster:
# installs the Debian packages if needed, starts a cluster on 127.0.0.1 on a free port in a
# temp directory (as the `postgres` user), exports S4_TEST_POSTGRES_URL and runs
# `cargo test -p s4-storage-pg` plus the multi-process scale-out tests of s4-server (with the
# cache-coherence test) and its key-lifecycle test (admin commands with --meta).
# The cluster is stopped and removed on exit. Extra arguments go to both cargo test runs.
#
# `with-postgres.sh --run CMD ARGS...` runs CMD instead of the cargo tests, with the same
# environment (S4_TEST_POSTGRES_URL on a fresh, empty cluster; S4_TEST_S3_* for the embedded
# S3 upstream); .ci/run uses it for the client scenarios against a 3-process cluster.
set -euo pipefail
cd "$(dirname "$0")/../../.."
run=()
if [ "${1:-}" = "--run" ]; then
    shift
    run=("$@")
    [ "${#run[@]}" -gt 0 ] || { echo "usage: with-postgres.sh --run CMD [ARGS...]" >&2; exit 2; }
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bindir=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

tmp=$(mktemp -d /tmp/s4-pg.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

upstream_pid=
cleanup() {
    [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null || true
    as_postgres "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

as_postgres "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
pg_options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$tmp -c max_connections=300 -c fsync=on"
as_postgres "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o "$pg_options" start >/dev/null
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export S4_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
# The fault tests stop and start this cluster (fast shutdown: sessions are cut) with it.
cat >"$tmp/ctl" <<CTL
#!/usr/bin/env bash
# Usage: ctl stop|start
set -euo pipefail
run() { if [ "\$(id -u)" = 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
case "\${1:-}" in
    stop) run "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop ;;
    start) run "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o "$pg_options" start ;;
    *) echo "usage: ctl stop|start" >&2; exit 2 ;;
esac
CTL
chmod 755 "$tmp/ctl"
export S4_TEST_POSTGRES_CTL="$tmp/ctl"

# An S3-compatible upstream for the S3 blob store tests: an embedded s4-server on loopback,
# unless one is given (with-ceph-rgw.sh runs this script with its Ceph RGW).
cargo build -p s4-server --locked
if [ -n "${S4_TEST_S3_ENDPOINT:-}" ]; then
    echo "S3 upstream (given) on $S4_TEST_S3_ENDPOINT"
else
    export S4_TEST_S3_ACCESS_KEY=AKIAS4BLOBUPSTREAM01 S4_TEST_S3_SECRET_KEY=s4blobupstreamsecrets4blobupstreamsecret
    S4_ROOT_ACCESS_KEY=$S4_TEST_S3_ACCESS_KEY S4_ROOT_SECRET_KEY=$S4_TEST_S3_SECRET_KEY S4_LOG=warn \
        "${CARGO_TARGET_DIR:-target}/debug/s4-server" --data-dir "$tmp/upstream" --listen 127.0.0.1:0 >"$tmp/upstream.log" 2>&1 &
    upstream_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on http://" "$tmp/upstream.log" 2>/dev/null && break; sleep 0.1; done
    S4_TEST_S3_ENDPOINT="http://$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/upstream.log" | head -1)"
    export S4_TEST_S3_ENDPOINT
    echo "S3 upstream (embedded s4-server) on $S4_TEST_S3_ENDPOINT"
fi
if [ "${#run[@]}" -gt 0 ]; then
    "${run[@]}"
    exit
fi
cargo test -p s4-storage-pg --locked "$@"
if [ -f bins/s4-server/tests/scale_out.rs ]; then
    cargo test -p s4-server --test scale_out --locked "$@"
fi
# Cache coherence across processes (LISTEN/NOTIFY): changes through one process in force on
# another within 200 ms.
cargo test -p s4-server --test scale_out_coherence --locked "$@"
# PostgreSQL and the S3 byte store failing under a running server.
cargo test -p s4-server --test scale_out_faults --locked "$@"
# The admin key-lifecycle commands with --meta.
cargo test -p s4-server --test keys --locked "$@"
