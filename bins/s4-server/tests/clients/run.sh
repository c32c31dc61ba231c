#!/usr/bin/env bash
# Real-client scenarios: awscli and boto3 against a freshly started s4-server, checking bytes
# and listings, not just exit codes. Usage: run.sh <path to s4-server binary>
# Installs awscli and boto3 into a virtualenv under target/ (reused between runs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
server_bin="${1:?usage: run.sh <s4-server binary>}"

venv="$root/target/client-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import boto3, awscli" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check awscli boto3
fi

work="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
export S4_ROOT_ACCESS_KEY="AKIACLIENTSCENARIO01"
export S4_ROOT_SECRET_KEY="clientscenariosecretclientscenariosecret"
"$server_bin" --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
cleanup() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

export PATH="$venv/bin:$PATH"
export S4_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="$S4_ROOT_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S4_ROOT_SECRET_KEY"
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/aws-config"
# 8 MB parts: a 100 MiB `aws s3 cp` is a 13-part upload from 10 threads.
printf '[default]\ns3 =\n    signature_version = s3v4\n    multipart_chunksize = 8MB\n' >"$AWS_CONFIG_FILE"
status=0
"$venv/bin/python" "$here/scenarios.py" "$work" || status=$?
"$venv/bin/python" "$here/iam_scenarios.py" "$work" || status=$?
# The tested snippets of docs/getting-started.md (awscli, boto3, rclone, aws-sdk-rust, TLS).
"$venv/bin/python" "$here/docs_snippets.py" "$root/docs/getting-started.md" "$work" "$server_bin" "$root" || status=$?
"$venv/bin/python" "$here/policy_scenarios.py" "$work" || status=$?
if [ "$status" -ne 0 ]; then
    echo "---- server log (tail)"
    tail -n 50 "$work/server.log"
fi
exit "$status"
