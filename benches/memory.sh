#!/usr/bin/env bash
# Server memory under large uploads, and after them (issue #21; docs/performance.md, "Memory"):
# for each s4-server binary given, in turn and on a fresh data dir, the idle RSS, the peak RSS
# while 32 parts of 8 MiB are uploaded at once (s4-bench multipart, 256 MiB uploads), the RSS
# 30 s after that load stopped, then 4 KiB PUT and GET throughput at 32 clients. Binaries are
# interleaved per repetition so that they share the machine's state.
#
# Usage: benches/memory.sh LABEL=path/to/s4-server [LABEL=path ...]
#   S4_MEM_REPS=2 repetitions, S4_MEM_DURATION=10 seconds of multipart load,
#   S4_MEM_SMALL_DURATION=5 seconds per small-object point, S4_MEM_AFTER=30 seconds of quiet.
# Needs target/release/s4-bench (cargo build --release -p s4-benches --bin s4-bench).
# Loopback only; data dirs under /var/tmp, removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${S4_BENCH_BIN:-$ROOT/target/release/s4-bench}
REPS=${S4_MEM_REPS:-2}
DURATION=${S4_MEM_DURATION:-10}
SMALL_DURATION=${S4_MEM_SMALL_DURATION:-5}
AFTER=${S4_MEM_AFTER:-30}
ACCESS_KEY=AKIAMEMORYBENCH00001
SECRET_KEY=memorybenchsecretmemorybenchsecretmemo00
[[ $# -gt 0 ]] || { sed -n '2,12p' "$0"; exit 2; }
[[ -x "$BENCH" ]] || { echo "no $BENCH: cargo build --release -p s4-benches --bin s4-bench" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/s4-memory.XXXXXX)
SERVER_PID=
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
field() { # json-file workload field
    python3 -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x["workload"]==sys.argv[2]]; print(round(r[-1][sys.argv[3]] or 0))' "$@"
}

printf '%-8s %4s %9s %9s %9s %10s %10s %6s\n' binary rep "idle MiB" "peak MiB" "+${AFTER}s MiB" "PUT 4K/s" "GET 4K/s" errors
for rep in $(seq 1 "$REPS"); do
    for spec in "$@"; do
        label=${spec%%=*} binary=${spec#*=}
        data="$WORK/$label-$rep"
        json="$WORK/$label-$rep.json"
        S4_ROOT_ACCESS_KEY=$ACCESS_KEY S4_ROOT_SECRET_KEY=$SECRET_KEY S4_LOG=warn \
            "$binary" --data-dir "$data" --listen 127.0.0.1:0 >"$data.out" 2>"$data.err" &
        SERVER_PID=$!
        addr=
        for _ in $(seq 1 300); do
            addr=$(sed -n 's|^s4-server listening on http://\([0-9.:]*\).*|\1|p' "$data.out" | head -n1)
            [[ -n "$addr" ]] && break
            sleep 0.1
        done
        [[ -n "$addr" ]] || { cat "$data.err" >&2; echo "$label did not start" >&2; exit 1; }
        sleep 2
        idle=$(rss_mib "$SERVER_PID")
        common=(--endpoint "http://$addr" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY"
            --server-pid "$SERVER_PID" --label "$label" --rep "$rep" --json "$json")
        "$BENCH" "${common[@]}" --workload multipart --concurrency 32 --duration "$DURATION" >/dev/null
        sleep "$AFTER"
        after=$(rss_mib "$SERVER_PID")
        for workload in put-small get-small; do
            "$BENCH" "${common[@]}" --workload "$workload" --concurrency 32 \
                --duration "$SMALL_DURATION" >/dev/null
        done
        errors=$(( $(field "$json" multipart errors) + $(field "$json" put-small errors) + $(field "$json" get-small errors) ))
        printf '%-8s %4s %9s %9s %9s %10s %10s %6s\n' "$label" "$rep" "$idle" \
            "$(field "$json" multipart server_peak_rss_mib)" "$after" \
            "$(field "$json" put-small ops_per_sec)" "$(field "$json" get-small ops_per_sec)" "$errors"
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
        rm -rf "$data"
    done
done
