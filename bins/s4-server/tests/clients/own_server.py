"""An s4-server of a scenario file's own, for scenarios that change server-wide or
account-wide settings the shared server's other scenarios must not see (request-rate
limits, storage quotas): on a free port, its log (INFO, JSON) in a file, driven with
`s4-server admin` on its data dir (through its admin socket)."""

import os
import re
import subprocess
import time

from ensure import ensure

# Settings of the caller's environment that would change what these servers do.
SERVER_SETTINGS = (
    "S4_DATA_DIR",
    "S4_DATA",
    "S4_META",
    "S4_CONFIG",
    "S4_ACCOUNT_RATE_LIMIT",
    "S4_DEFAULT_MAX_BYTES",
    "S4_DEFAULT_MAX_OBJECTS",
    "S4_DEFAULT_MAX_BUCKETS",
)


class OwnServer:
    def __init__(self, work, server_bin, access_key, secret_key, what):
        os.makedirs(work, exist_ok=True)
        self.server_bin = server_bin
        self.data = os.path.join(work, "data")
        self.log_path = os.path.join(work, "server.log")
        env = dict(os.environ, S4_ROOT_ACCESS_KEY=access_key, S4_ROOT_SECRET_KEY=secret_key, S4_LOG="info")
        for name in SERVER_SETTINGS:
            env.pop(name, None)
        self.stdout_path = os.path.join(work, "server.out")
        self.process = subprocess.Popen(
            [server_bin, "--data-dir", self.data, "--listen", "127.0.0.1:0", "--log-format", "json"],
            env=env,
            stdout=open(self.stdout_path, "w"),
            stderr=open(self.log_path, "w"),
        )
        deadline = time.time() + 60
        self.endpoint = None
        while time.time() < deadline and self.process.poll() is None:
            with open(self.stdout_path) as f:
                found = re.search(r"listening on (http://[0-9.]+:[0-9]+)", f.read())
            if found:
                self.endpoint = found.group(1)
                break
            time.sleep(0.1)
        ensure(self.endpoint is not None, f"the {what} scenarios' server did not start")

    def admin(self, *args):
        env = dict(os.environ)
        for name in SERVER_SETTINGS:
            env.pop(name, None)
        proc = subprocess.run(
            [self.server_bin, "admin", *args, "--data-dir", self.data], capture_output=True, text=True, env=env
        )
        ensure(proc.returncode == 0, f"admin {args} failed: {proc.stderr}")
        return proc.stdout.splitlines()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
