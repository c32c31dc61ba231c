"""Shared pieces of the s3cmd, rclone and minio-py scenario files: a scenario registry and
runner, deterministic payloads, explicit checks and subprocess helpers.

Each scenario file is run by run.sh with the work directory as its argument and S4_ENDPOINT,
S4_ROOT_ACCESS_KEY and S4_ROOT_SECRET_KEY in the environment. Checks raise AssertionError
with a message (never a bare assert, which `python -O` would drop).
"""

import filecmp
import hashlib
import os
import subprocess
import sys
from urllib.parse import urlparse

from ensure import ensure, run_scenarios

ENDPOINT = os.environ["S4_ENDPOINT"]
ACCESS_KEY = os.environ["S4_ROOT_ACCESS_KEY"]
SECRET_KEY = os.environ["S4_ROOT_SECRET_KEY"]
HOSTPORT = urlparse(ENDPOINT).netloc
MIB = 1024 * 1024


class Scenarios:
    """An ordered list of scenario functions, run one after the other by `main`."""

    def __init__(self):
        self.fns = []

    def __call__(self, fn):
        self.fns.append(fn)
        return fn

    def main(self):
        return run_scenarios(self.fns)


def check(condition, message):
    ensure(condition, message)


def check_equal(got, expected, what):
    if got != expected:
        raise AssertionError(f"{what}: got {got!r}, expected {expected!r}")


def payload(seed, size):
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def work_path(*parts):
    return os.path.join(sys.argv[1], *parts)


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def run(*args, env=None, check_status=True):
    """Runs a command; a non-zero exit raises with its output."""
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if check_status and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def check_same_tree(left, right):
    """The two directories hold the same files with the same bytes."""
    cmp = filecmp.dircmp(left, right)
    pending = [cmp]
    while pending:
        c = pending.pop()
        check(
            not c.left_only and not c.right_only,
            f"{c.left} vs {c.right}: only left {c.left_only}, only right {c.right_only}",
        )
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        check(not mismatch and not errors, f"{c.left}: differing files {mismatch} {errors}")
        pending.extend(c.subdirs.values())
