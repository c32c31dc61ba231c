"""Per-account request-rate limits with real clients: a server of its own (the shared one's
account must stay unlimited for the other scenarios), its account limited to 50 requests a
second through `s4-server admin set-rate-limit` on its admin socket; a 200-request boto3 loop
and an awscli sync of 100 files, both from 16 threads in botocore's standard retry mode, must complete by
retrying the server's `SlowDown` answers, and the server must have logged the refusals.

Usage: rate_limit_scenarios.py WORK_DIR S4_SERVER_BINARY. Prints one line per scenario and
a closing 'N passed, M failed' line.
"""

import concurrent.futures
import os
import subprocess
import sys
import time

import boto3
from botocore.config import Config

from ensure import ensure, run_scenarios
from own_server import OwnServer

WORK = os.path.join(sys.argv[1], "rate-limits")
SERVER_BIN = sys.argv[2]
ACCESS_KEY = "AKIARATELIMITSCENAR1"
SECRET_KEY = "ratelimitscenariosecretratelimitscenario"
RATE = 50
# A small burst and concurrent clients: the limit bites however slow the machine makes each
# request (a CI machine under load served 30 ms PUTs, below 50/s for a sequential client).
BURST = 10
THREADS = 16
# botocore's standard mode allows 3 attempts by default; a sequential client 4x over its
# rate is refused most of the time and its backoff is random, so a few more attempts keep a
# loaded CI machine from turning a slow-down into a failure. The mode stays `standard`.
MAX_ATTEMPTS = 10
RESULTS = []


def scenario(fn):
    RESULTS.append(fn)
    return fn


SERVER = None


def server():
    global SERVER
    if SERVER is None:
        SERVER = OwnServer(WORK, SERVER_BIN, ACCESS_KEY, SECRET_KEY, "rate-limit")
        account = SERVER.admin("list-accounts")[0].split()[0]
        out = SERVER.admin("set-rate-limit", "--account", account, f"{RATE}/s", "--burst", str(BURST))
        ensure(out == [f"{account}  {RATE}/s burst {BURST}"], f"set-rate-limit printed {out}")
        SERVER.account = account
    return SERVER


def client_env():
    return dict(
        os.environ,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_RETRY_MODE="standard",
        AWS_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )


def slow_downs(log):
    """Access-log lines of requests refused with SlowDown."""
    return [line for line in log.splitlines() if '"error_code":"SlowDown"' in line]


@scenario
def boto3_loop_of_200_requests_completes_by_retrying_slow_down():
    s = server()
    s3 = boto3.client(
        "s3",
        endpoint_url=s.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}),
    )
    s3.create_bucket(Bucket="rate")
    started = time.monotonic()

    def put(i):
        response = s3.put_object(Bucket="rate", Key=f"k{i:03}", Body=f"object {i}".encode())
        return response["ResponseMetadata"]["RetryAttempts"]

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        retries = sum(pool.map(put, range(200)))
    elapsed = time.monotonic() - started
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rate", MaxKeys=1000).get("Contents", [])]
    ensure(keys == [f"k{i:03}" for i in range(200)], f"{len(keys)} objects listed")
    ensure(retries > 0, "no request was retried: the limit did not bite")
    # 200 PUTs at 50/s after a burst of 10 take at least (200 - 10) / 50 s.
    ensure(elapsed >= 3.5, f"200 requests in {elapsed:.2f} s: faster than the limit allows")
    log = s.log()
    refused = slow_downs(log)
    # Not one SlowDown line per client retry: botocore also retries connection errors, which
    # log no request (probably a pooled connection the server closed after refusing a request
    # before its body; not confirmed), and the counts were seen to differ by one or two.
    ensure(refused, f"{retries} retries but no SlowDown line logged")
    ensure(
        "request refused with SlowDown" in log and s.account in log,
        "no WARN line for the account's refusals",
    )
    print(f"     200 PUTs in {elapsed:.1f} s, {retries} retries, {len(refused)} SlowDown answers logged")


@scenario
def awscli_sync_of_100_files_completes_by_retrying_slow_down():
    s = server()
    src = os.path.join(WORK, "sync-src")
    os.makedirs(src, exist_ok=True)
    for i in range(100):
        with open(os.path.join(src, f"f{i:03}.txt"), "w") as f:
            f.write(f"file {i}\n")
    before = len(slow_downs(s.log()))
    env = client_env()
    env["AWS_CONFIG_FILE"] = os.path.join(WORK, "aws-config")
    with open(env["AWS_CONFIG_FILE"], "w") as f:
        f.write(f"[default]\ns3 =\n    max_concurrent_requests = {THREADS}\n")
    proc = subprocess.run(
        ["aws", "--endpoint-url", s.endpoint, "s3", "sync", src, "s3://rate/sync/"],
        capture_output=True,
        text=True,
        env=env,
    )
    ensure(proc.returncode == 0, f"aws s3 sync failed ({proc.returncode}): {proc.stderr[-2000:]}")
    listed = subprocess.run(
        ["aws", "--endpoint-url", s.endpoint, "s3", "ls", "s3://rate/sync/"],
        capture_output=True,
        text=True,
        env=env,
    )
    ensure(listed.returncode == 0, f"aws s3 ls failed: {listed.stderr}")
    names = sorted(line.split()[-1] for line in listed.stdout.splitlines())
    ensure(names == [f"f{i:03}.txt" for i in range(100)], f"{len(names)} files listed")
    refused = len(slow_downs(s.log())) - before
    ensure(refused > 0, "no SlowDown during the sync: the limit did not bite")
    print(f"     100 files synced, {refused} SlowDown answers logged")


if __name__ == "__main__":
    try:
        status = run_scenarios(RESULTS)
    finally:
        if SERVER is not None:
            SERVER.stop()
    sys.exit(status)
