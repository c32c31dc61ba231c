"""Real-client bucket-policy scenarios for s4-server: `aws s3api put-bucket-policy /
get-bucket-policy / delete-bucket-policy` (botocore sends x-amz-checksum-crc32 and no
Content-MD5), policy enforcement for an IAM user's key, and anonymous public reads through
the account-ID URL.

Run by run.sh, which starts the server and sets S4_ENDPOINT and the AWS_* credentials of the
account root. Prints one line per scenario and a closing 'N passed, M failed' line.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from ensure import ensure, run_scenarios

ENDPOINT = os.environ["S4_ENDPOINT"]
RESULTS = []


def scenario(fn):
    RESULTS.append(fn)
    return fn


def aws(*args, check=True, creds=None):
    """Runs `aws --endpoint-url $S4_ENDPOINT <args>`, as the root unless `creds` is given
    as (access key id, secret)."""
    env = dict(os.environ)
    if creds is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = creds
    proc = subprocess.run(
        ["aws", "--endpoint-url", ENDPOINT, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def aws_json(*args, creds=None):
    out = aws(*args, creds=creds).stdout
    return json.loads(out) if out.strip() else {}


def aws_error(code, *args, creds=None):
    """Expects `aws <args>` to fail with this error code."""
    proc = aws(*args, check=False, creds=creds)
    ensure(proc.returncode != 0, f"aws {' '.join(args)} succeeded: {proc.stdout}")
    ensure(f"({code})" in proc.stderr, f"expected {code}: {proc.stderr}")
    return proc.stderr


def anonymous(method, path, body=None):
    """An unsigned request; returns (status, body)."""
    req = urllib.request.Request(ENDPOINT + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def account_id():
    return aws_json("iam", "get-user")["User"]["UserId"]


def policy(bucket, statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


@scenario
def awscli_put_get_delete_bucket_policy():
    aws("s3", "mb", "s3://pol-cli")
    aws_error("NoSuchBucketPolicy", "s3api", "get-bucket-policy", "--bucket", "pol-cli")
    doc = policy("pol-cli", [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol-cli/*",
    }])
    aws("s3api", "put-bucket-policy", "--bucket", "pol-cli", "--policy", doc)
    got = aws_json("s3api", "get-bucket-policy", "--bucket", "pol-cli")["Policy"]
    ensure(got == doc, f"not byte for byte: {got!r}")
    aws("s3api", "delete-bucket-policy", "--bucket", "pol-cli")
    aws_error("NoSuchBucketPolicy", "s3api", "get-bucket-policy", "--bucket", "pol-cli")
    aws_error("NoSuchBucketPolicy", "s3api", "delete-bucket-policy", "--bucket", "pol-cli")
    aws("s3", "rb", "s3://pol-cli")


@scenario
def awscli_put_bucket_policy_errors():
    aws("s3", "mb", "s3://pol-err")
    bad_action = policy("pol-err", [{
        "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::pol-err/*",
    }])
    err = aws_error("MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "pol-err", "--policy", bad_action)
    ensure("Action" in err, err)
    other_bucket = policy("pol-err", [{
        "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*",
    }])
    err = aws_error("MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "pol-err", "--policy", other_bucket)
    ensure("Resource" in err, err)
    aws_error("MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "pol-err", "--policy", "{not json")
    aws_error("NoSuchBucket", "s3api", "put-bucket-policy", "--bucket", "pol-none", "--policy", bad_action)
    aws_error("NoSuchBucketPolicy", "s3api", "get-bucket-policy", "--bucket", "pol-err")
    aws("s3", "rb", "s3://pol-err")


@scenario
def anonymous_public_read_through_the_account_url():
    acct = account_id()
    aws("s3", "mb", "s3://pol-pub")
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"public bytes")
        f.flush()
        aws("s3", "cp", f.name, "s3://pol-pub/docs/a.txt")
    # No policy: the public URL is refused.
    status, _ = anonymous("GET", f"/{acct}/pol-pub/docs/a.txt")
    ensure(status == 403, status)
    doc = policy("pol-pub", [{
        "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol-pub/docs/*",
    }])
    aws("s3api", "put-bucket-policy", "--bucket", "pol-pub", "--policy", doc)
    status, body = anonymous("GET", f"/{acct}/pol-pub/docs/a.txt")
    ensure((status, body) == (200, b"public bytes"), (status, body))
    # Only GET: no anonymous PUT, no listing, no unknown account.
    status, _ = anonymous("PUT", f"/{acct}/pol-pub/docs/b.txt", body=b"x")
    ensure(status == 403, status)
    status, _ = anonymous("GET", f"/{acct}/pol-pub")
    ensure(status == 403, status)
    status, body = anonymous("GET", "/999999999999999/pol-pub/docs/a.txt")
    ensure(status == 404 and b"NoSuchAccessPoint" in body, (status, body))
    aws("s3", "rm", "s3://pol-pub/docs/a.txt")
    aws("s3api", "delete-bucket-policy", "--bucket", "pol-pub")
    aws("s3", "rb", "s3://pol-pub")


@scenario
def awscli_user_policies_and_bucket_deny():
    aws("s3", "mb", "s3://pol-user")
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"hello")
        f.flush()
        aws("s3", "cp", f.name, "s3://pol-user/a.txt")
        aws("iam", "create-user", "--user-name", "pol-reader")
        aws("iam", "attach-user-policy", "--user-name", "pol-reader", "--policy-arn", "arn:aws:iam::aws:policy/S3ReadAccess")
        key = aws_json("iam", "create-access-key", "--user-name", "pol-reader")["AccessKey"]
        creds = (key["AccessKeyId"], key["SecretAccessKey"])
        try:
            # S3ReadAccess: read and list, no write, no delete.
            out = aws("s3", "cp", "s3://pol-user/a.txt", "-", creds=creds).stdout
            ensure(out == "hello", out)
            listed = aws_json("s3api", "list-objects-v2", "--bucket", "pol-user", creds=creds)
            ensure([o["Key"] for o in listed["Contents"]] == ["a.txt"], listed)
            aws_error("AccessDenied", "s3api", "put-object", "--bucket", "pol-user", "--key", "b.txt", "--body", f.name, creds=creds)
            aws_error("AccessDenied", "s3api", "delete-object", "--bucket", "pol-user", "--key", "a.txt", creds=creds)
            aws_error("AccessDenied", "iam", "list-users", creds=creds)
            # A bucket-policy Deny beats the identity policy's Allow.
            deny = policy("pol-user", [{
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{account_id()}:user/pol-reader"},
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol-user/*",
            }])
            aws("s3api", "put-bucket-policy", "--bucket", "pol-user", "--policy", deny)
            aws_error("AccessDenied", "s3api", "get-object", "--bucket", "pol-user", "--key", "a.txt", "/dev/null", creds=creds)
            aws("s3api", "delete-bucket-policy", "--bucket", "pol-user")
            aws("s3api", "get-object", "--bucket", "pol-user", "--key", "a.txt", "/dev/null", creds=creds)
        finally:
            aws("iam", "delete-access-key", "--user-name", "pol-reader", "--access-key-id", key["AccessKeyId"], check=False)
            aws("iam", "detach-user-policy", "--user-name", "pol-reader", "--policy-arn", "arn:aws:iam::aws:policy/S3ReadAccess", check=False)
            aws("iam", "delete-user", "--user-name", "pol-reader", check=False)
    aws("s3", "rm", "s3://pol-user/a.txt")
    aws("s3", "rb", "s3://pol-user")


def main():
    return run_scenarios(RESULTS)


if __name__ == "__main__":
    sys.exit(main())
