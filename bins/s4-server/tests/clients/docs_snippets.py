"""Runs the client snippets of docs/getting-started.md against a started s4-server.

Usage: docs_snippets.py <getting-started.md> <work dir> <s4-server binary> <repo root>

run.sh starts the server and exports S4_ENDPOINT and the AWS_* credentials. Every fenced block
preceded by an HTML comment `<!-- ci: KIND [options] -->` is run, in document order, in one
working directory, with the environment each shell snippet leaves behind passed to the next:

- `sh`: bash with -euo pipefail; `needs=TOOL` skips it (with a message, counted as skipped)
  when TOOL is missing and cannot be installed with apt-get; `background wait=HOST:PORT`
  checks that the port is free, starts it and waits for the port (stopped at the end).
- `single-server` (any kind): the snippet needs the one server that run.sh started, with its
  data dir (`s4-server admin` through the socket) and policy changes in force at once.
  Against a cluster (S4_CLIENTS_CLUSTER=1) it is not run and is reported as not applicable:
  the single-server client step runs it.
- `python`: the client virtualenv's Python.
- `rust example=NAME`: the block must be the text of crates/service/examples/NAME.rs, which is
  then run with `cargo run -p s4-service --example NAME`.

Prints one line per snippet and a closing 'N passed, M failed, K skipped' line (snippets not
applicable to a cluster are counted on a line of their own). Fails when a
snippet failed, when none passed, and under CI=true when any was skipped.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

DOC, WORK, SERVER_BIN, ROOT = sys.argv[1:5]
SNIPPET = re.compile(r"<!-- ci: ([^>]*?) -->\n```(\w+)\n(.*?)```", re.S)


def snippets(text):
    for match in SNIPPET.finditer(text):
        words = match.group(1).split()
        kind, options = words[0], dict(w.split("=", 1) if "=" in w else (w, "") for w in words[1:])
        line = text[: match.start()].count("\n") + 1
        yield line, kind, options, match.group(3)


def have(tool):
    if shutil.which(tool):
        return True
    if not shutil.which("apt-get"):
        print(f"  {tool} is not installed and apt-get is unavailable")
        return False
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", tool], env=env, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, **quiet)
        subprocess.run(["apt-get", "install", "-y", tool], env=env, **quiet)
    if not shutil.which(tool):
        print(f"  apt-get install -y {tool} failed")
    return bool(shutil.which(tool))


def port_is_free(address):
    """Whether nothing listens on HOST:PORT yet (a bind succeeds)."""
    host, port = address.rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: connections in TIME_WAIT do not make the port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError:
            return False
    return True


def wait_for(address, seconds=30):
    host, port = address.rsplit(":", 1)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def read_env(path):
    with open(path, "rb") as f:
        entries = f.read().split(b"\0")
    env = {}
    for entry in entries:
        if b"=" in entry:
            name, value = entry.split(b"=", 1)
            env[name.decode()] = value.decode(errors="replace")
    return env


def main():
    cwd = os.path.join(WORK, "docs-snippets")
    os.makedirs(cwd, exist_ok=True)
    bindir = os.path.join(WORK, "docs-bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "s4-server")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(SERVER_BIN), link)
    env = dict(os.environ)
    # A reader's shell has no CA bundle override; rclone refuses to start with one set.
    env.pop("AWS_CA_BUNDLE", None)
    env["PATH"] = bindir + os.pathsep + env["PATH"]
    env_file = os.path.join(WORK, "docs-snippets.env")
    background = []
    passed = failed = skipped = not_applicable = 0
    cluster = os.environ.get("S4_CLIENTS_CLUSTER") == "1"
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    found = list(snippets(text))
    if not found:
        print("no snippets marked <!-- ci: ... --> found")
        print("0 passed, 1 failed")
        return 1
    try:
        for line, kind, options, code in found:
            label = f"getting-started.md:{line} ({kind})"
            if "single-server" in options and cluster:
                print(f"N/A  {label}: needs the single server's data dir and immediate policy changes")
                not_applicable += 1
                continue
            if "needs" in options and not have(options["needs"]):
                print(f"SKIP {label}: {options['needs']} unavailable")
                skipped += 1
                continue
            if kind == "sh" and "background" in options and not port_is_free(options["wait"]):
                # Something else listens there: waiting for the port would pass without the
                # snippet's server.
                result = f"{options['wait']} is already in use before the snippet starts"
            elif kind == "sh" and "background" in options:
                log = open(os.path.join(WORK, f"docs-background-{line}.log"), "w")
                background.append(
                    subprocess.Popen(["bash", "-c", "exec " + code.strip()], cwd=cwd, env=env, stdout=log, stderr=log)
                )
                ok = wait_for(options["wait"]) and background[-1].poll() is None
                result = None if ok else f"nothing listens on {options['wait']}"
            elif kind == "sh":
                script = "set -euo pipefail\n" + code + f'\nenv -0 > "{env_file}"\n'
                run = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
                result = None if run.returncode == 0 else run.stdout + run.stderr
                if run.returncode == 0:
                    env = read_env(env_file)
            elif kind == "python":
                run = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)
                result = None if run.returncode == 0 else run.stdout + run.stderr
            elif kind == "rust":
                example = os.path.join(ROOT, "crates", "service", "examples", options["example"] + ".rs")
                with open(example, encoding="utf-8") as f:
                    source = f.read()
                if code.strip() not in source:
                    result = f"the snippet is not the text of {example}"
                else:
                    run = subprocess.run(
                        ["cargo", "run", "--quiet", "--locked", "-p", "s4-service", "--example", options["example"]],
                        cwd=ROOT,
                        env=env,
                        capture_output=True,
                        text=True,
                    )
                    result = None if run.returncode == 0 else run.stdout + run.stderr
            else:
                result = f"unknown snippet kind {kind!r}"
            if result is None:
                print(f"PASS {label}")
                passed += 1
            else:
                print(f"FAIL {label}\n{result[-3000:]}")
                failed += 1
    finally:
        for process in background:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    if not_applicable:
        print(f"docs: {not_applicable} single-server snippets not run against the cluster")
    print(f"docs: {passed} passed, {failed} failed, {skipped} skipped")
    if not passed:
        print("FAIL: no snippet passed")
        return 1
    if skipped and os.environ.get("CI") == "true":
        # CI installs every tool the snippets need; a skipped snippet there is an untested one.
        print("FAIL: snippets were skipped in CI (CI=true)")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
