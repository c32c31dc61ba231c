#!/usr/bin/env bash
# Real-client scenarios: awscli, boto3, s3cmd, rclone, minio-py and the JavaScript SDK v3
# against a freshly started s4-server, checking bytes and listings, not just exit codes (the
# request-rate and quota scenarios start one of their own).
# Usage: run.sh <path to s4-server binary>
# Installs awscli, boto3 and minio into a virtualenv under target/ (reused between runs),
# @aws-sdk/client-s3 into target/client-node, and s3cmd (PyPI), rclone or Node.js (Debian) when
# they are missing.
#
# Against a server (or cluster) that is already running instead: set S4_CLIENTS_ENDPOINT
# (http://host:port) and S4_CLIENTS_ACCESS_KEY / S4_CLIENTS_SECRET_KEY (a root key of the
# account the scenarios use, on an otherwise empty store), and S4_CLIENTS_SERVER_LOG to the
# file the server(s) write their access log to (S4_LOG at info; the multipart scenario counts
# requests there). S4_CLIENTS_CLUSTER=1 says the endpoint is several processes: the bucket
# policy scenarios then wait 0.5 s after each policy change, for its notification to reach
# every process (cluster_policy_scenarios.py). The binary is still needed: the documentation snippets start
# a server of their own for the HTTPS section.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
server_bin="${1:?usage: run.sh <s4-server binary>}"
# shellcheck source=../start-server.sh
source "$here/../start-server.sh"

venv="$root/target/client-venv"
# A virtualenv's scripts name its python by absolute path: one moved or copied with a target
# dir (pip no longer runs) is made again.
if [ -d "$venv" ] && ! "$venv/bin/pip" --version >/dev/null 2>&1; then
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import boto3, awscli" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check awscli boto3
fi
# minio-py into the venv; s3cmd from Debian or, without it, from PyPI into the venv; rclone
# from Debian (the scenarios need s3cmd >= 2.0 and rclone >= 1.50).
if ! "$venv/bin/python" -c "import minio" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check minio
fi
if ! command -v s3cmd >/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check s3cmd
fi
# The JavaScript SDK v3 for js_sdk_scenarios.mjs: Node.js from Debian when missing, the SDK
# (pinned) from npm into target/ (reused between runs; about 30 packages, seconds to install).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "run.sh: Node.js is not installed (apt-get install nodejs npm)" >&2
        exit 1
    fi
fi
js_sdk="$root/target/client-node"
js_sdk_version="3.1178.0"
if [ ! -f "$js_sdk/node_modules/@aws-sdk/client-s3/package.json" ] ||
    ! grep -q "\"version\": \"$js_sdk_version\"" "$js_sdk/node_modules/@aws-sdk/client-s3/package.json"; then
    npm install --silent --no-audit --no-fund --no-save --prefix "$js_sdk" \
        "@aws-sdk/client-s3@$js_sdk_version"
fi
if ! command -v rclone >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null
    else
        echo "run.sh: rclone is not installed (apt-get install rclone)" >&2
        exit 1
    fi
fi

work="$(mktemp -d)"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${S4_CLIENTS_ENDPOINT:-}" ]; then
    export S4_ROOT_ACCESS_KEY="${S4_CLIENTS_ACCESS_KEY:?S4_CLIENTS_ENDPOINT needs S4_CLIENTS_ACCESS_KEY}"
    export S4_ROOT_SECRET_KEY="${S4_CLIENTS_SECRET_KEY:?S4_CLIENTS_ENDPOINT needs S4_CLIENTS_SECRET_KEY}"
    export S4_ENDPOINT="$S4_CLIENTS_ENDPOINT"
    if [ -n "${S4_CLIENTS_SERVER_LOG:-}" ]; then
        ln -s "$(realpath "$S4_CLIENTS_SERVER_LOG")" "$work/server.log"
    fi
    echo "client scenarios against the running endpoint $S4_ENDPOINT"
else
    export S4_ROOT_ACCESS_KEY="AKIACLIENTSCENARIO01"
    export S4_ROOT_SECRET_KEY="clientscenariosecretclientscenariosecret"
    # Port 0: the server takes a free port and prints it; a port guessed here could be taken.
    start_s4_server "$work/server.log" "$server_bin" --data-dir "$work/data" --listen "127.0.0.1:0" || exit 1
    export S4_ENDPOINT="http://$address"
    # The docs' `s4-server admin` snippets reach this server through its data dir's socket.
    export S4_DATA_DIR="$work/data"
fi
# `ensure` checks cannot be optimised away, but a bare `assert` in a scenario file could.
unset PYTHONOPTIMIZE

export PATH="$venv/bin:$PATH"
export AWS_ACCESS_KEY_ID="$S4_ROOT_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S4_ROOT_SECRET_KEY"
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/aws-config"
# 8 MB parts: a 100 MiB `aws s3 cp` is a 13-part upload from 10 threads.
printf '[default]\ns3 =\n    signature_version = s3v4\n    multipart_chunksize = 8MB\n' >"$AWS_CONFIG_FILE"
status=0
"$venv/bin/python" "$here/scenarios.py" "$work" || status=$?
"$venv/bin/python" "$here/iam_scenarios.py" "$work" || status=$?
# Request-rate limits (boto3 and awscli retrying SlowDown), on a server of their own.
"$venv/bin/python" "$here/rate_limit_scenarios.py" "$work" "$server_bin" || status=$?
# Storage quotas (awscli and boto3 refused with AccountProblem), on a server of their own.
"$venv/bin/python" "$here/quota_scenarios.py" "$work" "$server_bin" || status=$?
# s3cmd (cp/mv/sync), rclone and minio-py everyday commands.
for clients in s3cmd_scenarios rclone_scenarios minio_scenarios; do
    "$venv/bin/python" "$here/$clients.py" "$work" || status=$?
done
# The JavaScript SDK v3: connections kept alive through a multipart upload.
(cd "$work" && NODE_PATH="$js_sdk/node_modules" node "$here/js_sdk_scenarios.mjs") || status=$?
# The tested snippets of docs/getting-started.md (awscli, boto3, rclone, aws-sdk-rust, TLS).
"$venv/bin/python" "$here/docs_snippets.py" "$root/docs/getting-started.md" "$work" "$server_bin" "$root" || status=$?
if [ "${S4_CLIENTS_CLUSTER:-}" = 1 ]; then
    "$venv/bin/python" "$here/cluster_policy_scenarios.py" "$work" || status=$?
else
    "$venv/bin/python" "$here/policy_scenarios.py" "$work" || status=$?
fi
if [ "$status" -ne 0 ] && [ -n "$server_pid" ]; then
    echo "---- server log (tail)"
    tail -n 50 "$work/server.log"
fi
exit "$status"
