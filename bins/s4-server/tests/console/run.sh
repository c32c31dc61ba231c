#!/usr/bin/env bash
# The web console's browser test: starts s4-server (a fresh data dir, port 0) and drives the
# console in Debian's Chromium with console.test.js. Usage: run.sh <s4-server binary>
# [screenshot dir]. Needs node, npm, curl and /usr/bin/chromium (.ci/run installs them).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
server_bin="$(realpath "${1:?usage: run.sh <s4-server binary> [screenshot dir]}")"
# shellcheck source=../start-server.sh
source "$here/../start-server.sh"
shots="$(realpath -m "${2:-$root/target/console-screenshots}")"
for tool in node npm curl "${S4_CHROMIUM:-/usr/bin/chromium}"; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

work="$(mktemp -d)"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

export S4_ROOT_ACCESS_KEY="AKIACONSOLETEST00001"
export S4_ROOT_SECRET_KEY="consoletestsecretconsoletestsecret0000001"
# The domain names the second, non-localhost origin (s3.console.test, mapped to 127.0.0.1
# inside the browser only).
start_s4_server "$work/server.log" "$server_bin" --data-dir "$work/data" --listen 127.0.0.1:0 \
    --domain console.test

rm -rf "$shots"
status=0
S4_ENDPOINT="http://$address" S4_INSECURE_ORIGIN="http://s3.console.test:${address##*:}" \
    S4_CONSOLE_SCREENSHOTS="$shots" node "$here/console.test.js" || status=$?
if [ "$status" -ne 0 ]; then
    echo "---- server log (last 40 lines)" >&2
    tail -n 40 "$work/server.log" >&2
fi
exit "$status"
