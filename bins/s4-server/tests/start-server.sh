# Sourced by the test scripts that drive a real s4-server (clients/run.sh, console/run.sh).
#
# start_s4_server LOG BINARY ARGS...: starts BINARY ARGS... in the background, its output in
# LOG, and waits (60 s at most) for the "s4-server listening on http://ip:port" line; the
# arguments should say --listen 127.0.0.1:0, since a port guessed here could be taken. Sets
# server_pid and address (ip:port). Fails, with the log on standard error, when the server
# exits or does not listen in time.
start_s4_server() {
    local log="$1"
    shift
    "$@" >"$log" 2>&1 &
    server_pid=$!
    address=
    for _ in $(seq 1 600); do
        address=$(sed -n 's|^s4-server listening on http://\([0-9.]*:[0-9]*\).*|\1|p' "$log" | head -1)
        if [ -n "$address" ] || ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if [ -z "$address" ]; then
        echo "the server did not start listening within 60 s:" >&2
        cat "$log" >&2
        return 1
    fi
}
