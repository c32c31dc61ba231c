"""Per-account storage quotas with real clients, on a server of its own (the shared server's
account must stay unlimited for the other scenarios), its account limited through
`s4-server admin set-quota` on its admin socket: an `aws s3 cp` of a file larger than the
room left fails with AccountProblem and leaves no object and no upload; a boto3 multipart
upload is refused at the part that crosses the limit, and afterwards the account's usage
(`admin show-quota`) equals the sum of its listing.

Usage: quota_scenarios.py WORK_DIR S4_SERVER_BINARY. Prints one line per scenario and a
closing 'N passed, M failed' line.
"""

import functools
import os
import re
import subprocess
import sys

import boto3
from botocore.exceptions import ClientError

from ensure import ensure, run_scenarios
from own_server import OwnServer

WORK = os.path.join(sys.argv[1], "quotas")
SERVER_BIN = sys.argv[2]
ACCESS_KEY = "AKIAQUOTASCENARIOS01"
SECRET_KEY = "quotascenariossecretquotascenariossecret"
MIB = 1 << 20
BUCKET = "quota"


@functools.cache
def server():
    """This file's server, started at first use; its root account bucket `quota` created."""
    started = OwnServer(WORK, SERVER_BIN, ACCESS_KEY, SECRET_KEY, "quota")
    started.account = started.admin("list-accounts")[0].split()[0]
    client(started).create_bucket(Bucket=BUCKET)
    return started


def client(target):
    return boto3.client(
        "s3",
        endpoint_url=target.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


def s3():
    return client(server())


def used_bytes():
    """The account's bytes as its quota counts them, from `admin show-quota`."""
    out = "\n".join(server().admin("show-quota", "--account", server().account))
    found = re.search(r"max-bytes\s+(\d+)/", out)
    ensure(found is not None, f"no max-bytes line in show-quota: {out}")
    return int(found.group(1))


def limit_to(room):
    """Sets the account's max-bytes to its usage plus `room` bytes."""
    limit = used_bytes() + room
    server().admin("set-quota", "--account", server().account, "--max-bytes", str(limit))
    return limit


def listed_bytes(client):
    total = 0
    for bucket in client.list_buckets()["Buckets"]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"])
        total += sum(o["Size"] for page in pages for o in page.get("Contents", []))
    return total


def uploads(client):
    return client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def aws_s3_cp_past_the_quota_fails_with_account_problem_and_leaves_nothing():
    client = s3()
    client.put_object(Bucket=BUCKET, Key="kept", Body=b"k" * MIB)
    limit_to(12 * MIB)
    path = os.path.join(WORK, "big.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(24 * MIB))
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    env["AWS_CONFIG_FILE"] = os.path.join(WORK, "aws-config")
    with open(env["AWS_CONFIG_FILE"], "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n    multipart_chunksize = 8MB\n")
    proc = subprocess.run(
        ["aws", "--endpoint-url", server().endpoint, "s3", "cp", path, f"s3://{BUCKET}/big.bin"],
        capture_output=True,
        text=True,
        env=env,
    )
    ensure(proc.returncode != 0, "aws s3 cp past the quota succeeded")
    ensure("AccountProblem" in proc.stderr, f"aws s3 cp failed without AccountProblem: {proc.stderr[-2000:]}")
    try:
        client.head_object(Bucket=BUCKET, Key="big.bin")
        ensure(False, "big.bin was stored")
    except ClientError as e:
        ensure(e.response["Error"]["Code"] in ("404", "NoSuchKey"), f"HEAD big.bin: {e}")
    ensure(uploads(client) == [], f"uploads left: {uploads(client)}")
    ensure(used_bytes() == listed_bytes(client) == MIB, f"usage {used_bytes()} after the refusal")
    print("     24 MiB cp with 12 MiB left: AccountProblem, no object, no upload")


def boto3_multipart_is_refused_at_the_part_that_crosses_the_quota():
    client = s3()
    limit_to(12 * MIB)
    upload = client.create_multipart_upload(Bucket=BUCKET, Key="parts.bin")["UploadId"]
    part = os.urandom(5 * MIB)
    refused_at = None
    for number in range(1, 5):
        try:
            client.upload_part(Bucket=BUCKET, Key="parts.bin", UploadId=upload, PartNumber=number, Body=part)
        except ClientError as e:
            ensure(e.response["Error"]["Code"] == "AccountProblem", f"part {number}: {e}")
            refused_at = number
            break
    ensure(refused_at == 3, f"refused at part {refused_at}, not 3 (5 + 5 + 5 MiB past 12 MiB)")
    parts = client.list_parts(Bucket=BUCKET, Key="parts.bin", UploadId=upload).get("Parts", [])
    ensure([p["PartNumber"] for p in parts] == [1, 2], f"parts stored: {parts}")
    in_progress = sum(p["Size"] for p in parts)
    ensure(used_bytes() == listed_bytes(client) + in_progress, "usage is not listing plus parts")
    client.abort_multipart_upload(Bucket=BUCKET, Key="parts.bin", UploadId=upload)
    ensure(uploads(client) == [], f"uploads left: {uploads(client)}")
    ensure(used_bytes() == listed_bytes(client), f"usage {used_bytes()} != listing {listed_bytes(client)}")
    print(f"     refused at part 3; usage {used_bytes()} bytes equals the listing")


if __name__ == "__main__":
    status = run_scenarios(
        [
            aws_s3_cp_past_the_quota_fails_with_account_problem_and_leaves_nothing,
            boto3_multipart_is_refused_at_the_part_that_crosses_the_quota,
        ]
    )
    if server.cache_info().currsize:
        server().stop()
    sys.exit(status)
