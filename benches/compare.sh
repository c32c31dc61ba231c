#!/usr/bin/env bash
# End-to-end load comparison (issue #11): the release s4-server against s3s-fs, nginx serving
# the same files (the GET ceiling) and raw write+fsync / read on the same disk (the PUT
# ceiling), all on 127.0.0.1, the same workloads in the same session, repeated and interleaved.
# Prints medians and same-run ratios and writes them into docs/performance.md between the
# `<!-- s4-bench:begin -->` and `<!-- s4-bench:end -->` markers.
#
# Settings (environment):
#   S4_BENCH_DURATION=5        seconds per workload point
#   S4_BENCH_REPS=3            repetitions (each runs every target once, in turn)
#   S4_BENCH_CONCURRENCY=1,32,128
#   S4_BENCH_ARGS="--verify"   extra s4-bench flags for every run
#   S4_BENCH_SERVER_ARGS="--verify-reads off"   extra s4-server flags
#   S4_BENCH_DIR=DIR           where the servers keep their data (default: a new dir in /var/tmp)
#   S4_BENCH_OUT=DIR           where the JSON results and the report go (default: target/s4-compare/<time>)
#   S4_BENCH_UPDATE_DOC=0      do not touch docs/performance.md
#   S4_BENCH_NGINX_PORT=18480, S4_BENCH_S3S_PORT=18014
#   S4_BENCH_INSTALL=0         do not install missing peers (s3s-fs with cargo, nginx with apt-get)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${S4_BENCH_DURATION:-5}
REPS=${S4_BENCH_REPS:-3}
CONC=${S4_BENCH_CONCURRENCY:-1,32,128}
EXTRA=${S4_BENCH_ARGS:-}
SERVER_ARGS=${S4_BENCH_SERVER_ARGS:-}
NGINX_PORT=${S4_BENCH_NGINX_PORT:-18480}
S3S_PORT=${S4_BENCH_S3S_PORT:-18014}
INSTALL=${S4_BENCH_INSTALL:-1}
OUT=${S4_BENCH_OUT:-$ROOT/target/s4-compare/$(date -u +%Y%m%dT%H%M%SZ)}
if [[ -n "${S4_BENCH_DIR:-}" ]]; then
    WORK=$S4_BENCH_DIR
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d /var/tmp/s4-compare.XXXXXX)
fi
# nginx workers run as an unprivileged user and must be able to read the static files.
chmod 755 "$WORK"
mkdir -p "$OUT"

ACCESS_KEY=AKIAS4BENCHCOMPARE01
SECRET_KEY=s4benchcomparesecrets4benchcomparesecret

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -z "${S4_BENCH_DIR:-}" && -z "${S4_BENCH_KEEP:-}" ]]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

log() { echo "compare.sh: $*" >&2; }

wait_port() { # host port seconds
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

log "building the release server and the load generator"
cargo build --release -p s4-server
cargo build --release -p s4-benches --bin s4-bench
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
SERVER="$TARGET_DIR/release/s4-server"
BENCH="$TARGET_DIR/release/s4-bench"

# --- peers ------------------------------------------------------------------------------------
HAVE_S3S=1
if ! command -v s3s-fs >/dev/null; then
    if [[ "$INSTALL" == 1 ]] && cargo install s3s-fs@0.14.1 --features binary --locked; then
        :
    else
        log "s3s-fs is not installed and could not be installed: skipping that peer"
        HAVE_S3S=0
    fi
fi
HAVE_NGINX=1
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x "$NGINX" ]]; then
    if [[ "$INSTALL" == 1 && $(id -u) == 0 ]] && apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; then
        NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    else
        log "nginx is not installed and could not be installed: skipping the GET ceiling"
        HAVE_NGINX=0
    fi
fi

# --- servers ----------------------------------------------------------------------------------
mkdir -p "$WORK/s4" "$WORK/s3s" "$WORK/static" "$WORK/nginx"
# shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
S4_ROOT_ACCESS_KEY=$ACCESS_KEY S4_ROOT_SECRET_KEY=$SECRET_KEY S4_LOG=warn \
    "$SERVER" --data-dir "$WORK/s4" --listen 127.0.0.1:0 $SERVER_ARGS >"$WORK/s4.out" 2>"$WORK/s4.err" &
S4_PID=$!
PIDS+=("$S4_PID")
S4_ADDR=
for _ in $(seq 1 300); do
    S4_ADDR=$(sed -n 's|^s4-server listening on http://\([0-9.:]*\).*|\1|p' "$WORK/s4.out" | head -n1)
    [[ -n "$S4_ADDR" ]] && break
    kill -0 "$S4_PID" 2>/dev/null || { cat "$WORK/s4.err" >&2; log "s4-server exited"; exit 1; }
    sleep 0.1
done
[[ -n "$S4_ADDR" ]] || { log "s4-server did not start"; exit 1; }
log "s4-server $S4_ADDR (pid $S4_PID)"

S3S_PID=
if [[ "$HAVE_S3S" == 1 ]]; then
    s3s-fs --host 127.0.0.1 --port "$S3S_PORT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
        "$WORK/s3s" >"$WORK/s3s.log" 2>&1 &
    S3S_PID=$!
    PIDS+=("$S3S_PID")
    if ! wait_port 127.0.0.1 "$S3S_PORT" 30; then
        log "s3s-fs did not start (see $WORK/s3s.log): skipping that peer"
        HAVE_S3S=0
    else
        log "s3s-fs 127.0.0.1:$S3S_PORT (pid $S3S_PID)"
    fi
fi

NGINX_PIDS=
if [[ "$HAVE_NGINX" == 1 ]]; then
    mkdir -p "$WORK/nginx/tmp"
    cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/static;
    }
}
EOF
    "$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    if ! wait_port 127.0.0.1 "$NGINX_PORT" 30; then
        log "nginx did not start (see $WORK/nginx/error.log): skipping the GET ceiling"
        HAVE_NGINX=0
    else
        NGINX_PIDS=$(pgrep -P "$NGINX_PID" | paste -sd, -)
        log "nginx 127.0.0.1:$NGINX_PORT (master $NGINX_PID, workers $NGINX_PIDS)"
    fi
fi

# --- what ran where ---------------------------------------------------------------------------
META="$OUT/meta.md"
{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') by \`benches/compare.sh\` at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):"
    echo "$REPS interleaved repetitions, ${DURATION} s per point, concurrency $CONC (large objects, LIST and multipart up to 32)."
    echo
    echo "* machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "* disk: $(df -PT "$WORK" | awk 'NR==2 {print $2 " on " $1}') (all data dirs on it)"
    echo "* versions: $(rustc -V), s4-server $(git rev-parse --short HEAD 2>/dev/null || echo '?'), s3s-fs $( [[ $HAVE_S3S == 1 ]] && s3s-fs --version 2>/dev/null | awk '{print $2}' || echo 'skipped'), nginx $( [[ $HAVE_NGINX == 1 ]] && "$NGINX" -v 2>&1 | sed 's|.*nginx/||' || echo 'skipped')"
    echo "* s4-server flags: --data-dir DIR --listen 127.0.0.1:0 ${SERVER_ARGS:-(no others: defaults)}"
    echo "* machine load before: $(uptime | sed 's/.*load average/load average/')"
} >"$META"

run_bench() { # label json-file args...
    local label=$1 json=$2
    shift 2
    # shellcheck disable=SC2086
    "$BENCH" --label "$label" --rep "$rep" --json "$json" --duration "$DURATION" \
        --concurrency "$CONC" $EXTRA "$@" || log "$label: s4-bench failed in repetition $rep"
}

for rep in $(seq 1 "$REPS"); do
    log "repetition $rep of $REPS"
    run_bench s4 "$OUT/rep$rep.json" --endpoint "http://$S4_ADDR" \
        --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" --server-pid "$S4_PID"
    if [[ "$HAVE_S3S" == 1 ]]; then
        run_bench s3s-fs "$OUT/rep$rep.json" --endpoint "http://127.0.0.1:$S3S_PORT" \
            --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" --server-pid "$S3S_PID"
    fi
    # The raw run also lays out the files that nginx serves.
    run_bench raw "$OUT/rep$rep.json" --target raw --raw-dir "$WORK/static"
    if [[ "$HAVE_NGINX" == 1 ]]; then
        run_bench nginx "$OUT/rep$rep.json" --target static --endpoint "http://127.0.0.1:$NGINX_PORT" \
            --raw-dir "$WORK/static" --skip-setup --server-pid "$NGINX_PIDS"
    fi
done

echo "* machine load after: $(uptime | sed 's/.*load average/load average/')" >>"$META"

DOC_ARGS=()
if [[ "${S4_BENCH_UPDATE_DOC:-1}" == 1 ]]; then
    DOC_ARGS=(--update-doc "$ROOT/docs/performance.md")
fi
"$BENCH" report --dir "$OUT" --meta "$META" "${DOC_ARGS[@]}" | tee "$OUT/report.md"
log "results in $OUT"
