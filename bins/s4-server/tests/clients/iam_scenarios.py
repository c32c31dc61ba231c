"""Real-client IAM scenarios for s4-server: `aws iam ...` (and boto3 where awscli hides a
parameter), checking returned documents, not just exit codes.

Run by run.sh, which starts the server and sets S4_ENDPOINT and the AWS_* credentials of the
account root. Prints one line per scenario and a closing 'N passed, M failed' line.
"""

import json
import os
import subprocess
import sys

import boto3
from botocore.exceptions import ClientError

from ensure import ensure, run_scenarios

ENDPOINT = os.environ["S4_ENDPOINT"]
READ = "arn:aws:iam::aws:policy/S3ReadAccess"
NOPE = "arn:aws:iam::aws:policy/NoSuchPolicy"
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


def iam():
    return boto3.client("iam", endpoint_url=ENDPOINT)


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        ensure(got == code, f"expected {code}, got {got}: {e}")
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        ensure(got_status == status, f"expected {status}, got {got_status}: {e}")
        return e
    raise AssertionError(f"expected {code}, call succeeded")


# ---------------------------------------------------------------- policies (spec 3.3)


@scenario
def awscli_managed_policies():
    listed = aws_json("iam", "list-policies")["Policies"]
    names = [p["PolicyName"] for p in listed]
    ensure(len(names) == 20, names)
    ensure(names[0] == "AdministratorAccess" and "S3ReadAccess" in names, names)
    # Server-side pages of 7 (Marker/IsTruncated), joined by awscli's paginator.
    paged = aws_json("iam", "list-policies", "--page-size", "7")["Policies"]
    ensure([p["PolicyName"] for p in paged] == names)
    policy = aws_json("iam", "get-policy", "--policy-arn", READ)["Policy"]
    ensure(policy["Arn"] == READ and policy["PolicyId"] == "S3READACCESS", policy)
    ensure(policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0, policy)
    # botocore URL-decodes and parses the Document.
    version = aws_json(
        "iam", "get-policy-version", "--policy-arn", READ, "--version-id", "v1"
    )["PolicyVersion"]
    ensure(version["IsDefaultVersion"] is True, version)
    document = version["Document"]
    if isinstance(document, str):
        document = json.loads(document)
    ensure(document["Version"] == "2012-10-17", document)
    aws_error("NoSuchEntity", "iam", "get-policy", "--policy-arn", NOPE)
    aws_error("NoSuchEntity", "iam", "get-policy-version", "--policy-arn", READ, "--version-id", "v2")
    aws_error("InvalidInput", "iam", "get-policy", "--policy-arn", "arn:aws:s3:::some-bucket")


@scenario
def boto3_list_policies_markers():
    client = iam()
    page = client.list_policies(MaxItems=5)
    ensure(page["IsTruncated"] is True and page["Marker"] == "5", page)
    page = client.list_policies(Marker="15", MaxItems=10)
    ensure(len(page["Policies"]) == 5 and page["IsTruncated"] is False, page)
    ensure(client.list_policies(Marker="20")["Policies"] == [])
    expect_error("MalformedInput", 400, client.list_policies, Marker="x")
    expect_error("ValidationError", 400, client.list_policies, Marker="21")
    expect_error("ValidationError", 400, client.list_policies, Marker="-1")
    # (botocore refuses MaxItems below 1 itself; above the server's 1000 is ours to refuse.)
    expect_error("ValidationError", 400, client.list_policies, MaxItems=1001)
    pages = client.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 6})
    ensure(sum(len(p["Policies"]) for p in pages) == 20)


@scenario
def awscli_attach_detach():
    aws("iam", "create-user", "--user-name", "pol-user")
    aws("iam", "create-group", "--group-name", "pol-group")
    aws("iam", "attach-user-policy", "--user-name", "pol-user", "--policy-arn", READ)
    aws("iam", "attach-group-policy", "--group-name", "pol-group", "--policy-arn", READ)
    attached = aws_json("iam", "list-attached-user-policies", "--user-name", "pol-user")
    ensure(attached["AttachedPolicies"] == [{"PolicyName": "S3ReadAccess", "PolicyArn": READ}], attached)
    attached = aws_json("iam", "list-attached-group-policies", "--group-name", "pol-group")
    ensure([p["PolicyArn"] for p in attached["AttachedPolicies"]] == [READ], attached)
    count = aws_json("iam", "get-policy", "--policy-arn", READ)["Policy"]["AttachmentCount"]
    ensure(count == 2, count)
    aws_error("InvalidArgument", "iam", "attach-user-policy", "--user-name", "pol-user", "--policy-arn", NOPE)
    aws_error("InvalidArgument", "iam", "detach-group-policy", "--group-name", "pol-group", "--policy-arn", NOPE)
    aws_error("NoSuchEntity", "iam", "attach-user-policy", "--user-name", "ghost", "--policy-arn", READ)
    aws_error("NoSuchEntity", "iam", "list-attached-user-policies", "--user-name", "ghost")
    aws_error("NoSuchEntity", "iam", "list-attached-group-policies", "--group-name", "ghosts")
    aws("iam", "detach-user-policy", "--user-name", "pol-user", "--policy-arn", READ)
    aws("iam", "detach-group-policy", "--group-name", "pol-group", "--policy-arn", READ)
    aws_error("NoSuchEntity", "iam", "detach-user-policy", "--user-name", "pol-user", "--policy-arn", READ)
    count = aws_json("iam", "get-policy", "--policy-arn", READ)["Policy"]["AttachmentCount"]
    ensure(count == 0, count)
    aws("iam", "delete-user", "--user-name", "pol-user")
    aws("iam", "delete-group", "--group-name", "pol-group")


@scenario
def boto3_list_attached_status_codes():
    client = iam()
    # NoSuchEntity is 400 in the attached listings (spec), 404 elsewhere.
    expect_error("NoSuchEntity", 400, client.list_attached_user_policies, UserName="ghost")
    expect_error("NoSuchEntity", 400, client.list_attached_group_policies, GroupName="ghosts")
    expect_error("NoSuchEntity", 404, client.get_user, UserName="ghost")


# ---------------------------------------------------------------- users and groups


@scenario
def awscli_users():
    user = aws_json("iam", "create-user", "--user-name", "Carol")["User"]
    ensure(user["UserName"] == "Carol" and user["UserId"].startswith("AIDA"), user)
    ensure(user["Arn"].endswith(":user/Carol") and user["Path"] == "/", user)
    got = aws_json("iam", "get-user", "--user-name", "carol")["User"]
    ensure(got["UserId"] == user["UserId"], got)
    me = aws_json("iam", "get-user")["User"]
    ensure(me["Arn"].endswith(":root"), me)
    for name in ["dave", "erin"]:
        aws("iam", "create-user", "--user-name", name)
    names = [u["UserName"] for u in aws_json("iam", "list-users", "--page-size", "1")["Users"]]
    ensure(names == sorted(names) and {"Carol", "dave", "erin"} <= set(names), names)
    aws_error("EntityAlreadyExists", "iam", "create-user", "--user-name", "CAROL")
    aws_error("ValidationError", "iam", "create-user", "--user-name", "bad name")
    err = aws_error("InvalidInput", "iam", "create-user", "--user-name", "tagged", "--tags", "Key=team,Value=a")
    ensure("Tags" in err, err)
    aws_error("NoSuchEntity", "iam", "get-user", "--user-name", "tagged")
    for name in ["Carol", "dave", "erin"]:
        aws("iam", "delete-user", "--user-name", name)
    aws_error("NoSuchEntity", "iam", "delete-user", "--user-name", "dave")


@scenario
def awscli_groups_and_memberships():
    group = aws_json("iam", "create-group", "--group-name", "devs")["Group"]
    ensure(group["GroupId"].startswith("AGPA") and group["Arn"].endswith(":group/devs"), group)
    aws("iam", "create-group", "--group-name", "ops")
    aws_error("EntityAlreadyExists", "iam", "create-group", "--group-name", "DEVS")
    aws("iam", "create-user", "--user-name", "gina")
    aws("iam", "add-user-to-group", "--group-name", "devs", "--user-name", "gina")
    aws("iam", "add-user-to-group", "--group-name", "ops", "--user-name", "gina")
    got = aws_json("iam", "get-group", "--group-name", "devs")
    ensure([u["UserName"] for u in got["Users"]] == ["gina"], got)
    groups = aws_json("iam", "list-groups")["Groups"]
    ensure({"devs", "ops"} <= {g["GroupName"] for g in groups}, groups)
    of_gina = aws_json("iam", "list-groups-for-user", "--user-name", "gina")["Groups"]
    ensure([g["GroupName"] for g in of_gina] == ["devs", "ops"], of_gina)
    aws_error("DeleteConflict", "iam", "delete-group", "--group-name", "devs")
    aws_error("DeleteConflict", "iam", "delete-user", "--user-name", "gina")
    aws_error("NoSuchEntity", "iam", "add-user-to-group", "--group-name", "ghosts", "--user-name", "gina")
    aws_error("NoSuchEntity", "iam", "get-group", "--group-name", "ghosts")
    for g in ["devs", "ops"]:
        aws("iam", "remove-user-from-group", "--group-name", g, "--user-name", "gina")
        aws("iam", "delete-group", "--group-name", g)
    aws_error("NoSuchEntity", "iam", "remove-user-from-group", "--group-name", "devs", "--user-name", "gina")
    aws("iam", "delete-user", "--user-name", "gina")


# ---------------------------------------------------------------- access keys and the flow


@scenario
def awscli_user_key_flow():
    # Root: user, group with S3ReadAccess, membership, the user's key.
    aws("iam", "create-user", "--user-name", "reader")
    aws("iam", "create-group", "--group-name", "readers")
    aws("iam", "attach-group-policy", "--group-name", "readers", "--policy-arn", READ)
    aws("iam", "add-user-to-group", "--group-name", "readers", "--user-name", "reader")
    key = aws_json("iam", "create-access-key", "--user-name", "reader")["AccessKey"]
    ensure(key["UserName"] == "reader" and key["Status"] == "Active", key)
    ensure(len(key["AccessKeyId"]) == 20 and len(key["SecretAccessKey"]) == 40, key)
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    listed = aws_json("iam", "list-access-keys", "--user-name", "reader")["AccessKeyMetadata"]
    ensure([k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]], listed)
    ensure(all("SecretAccessKey" not in k for k in listed), listed)

    # The key authenticates; the group's S3ReadAccess lets it list, not write.
    aws("s3", "mb", "s3://iam-flow")
    aws("s3api", "list-objects-v2", "--bucket", "iam-flow", creds=creds)
    aws_error("AccessDenied", "s3", "mb", "s3://iam-flow-2", creds=creds)
    # IAM with the user's key: authenticated, denied.
    aws_error("AccessDenied", "iam", "list-users", creds=creds)

    # Inactive: refused at once; Active again: authenticates again.
    aws("iam", "update-access-key", "--user-name", "reader", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    status = aws_json("iam", "list-access-keys", "--user-name", "reader")["AccessKeyMetadata"][0]["Status"]
    ensure(status == "Inactive", status)
    aws_error("InvalidAccessKeyId", "s3api", "list-objects-v2", "--bucket", "iam-flow", creds=creds)
    aws("iam", "update-access-key", "--user-name", "reader", "--access-key-id", key["AccessKeyId"], "--status", "Active")
    aws("s3api", "list-objects-v2", "--bucket", "iam-flow", creds=creds)

    # Two keys per user.
    second = aws_json("iam", "create-access-key", "--user-name", "reader")["AccessKey"]
    aws_error("LimitExceeded", "iam", "create-access-key", "--user-name", "reader")
    aws_error("NoSuchEntity", "iam", "create-access-key", "--user-name", "ghost")
    aws_error("NoSuchEntity", "iam", "delete-access-key", "--access-key-id", second["AccessKeyId"])

    # Clean up; deleted keys are refused.
    for k in [key, second]:
        aws("iam", "delete-access-key", "--user-name", "reader", "--access-key-id", k["AccessKeyId"])
    aws_error("InvalidAccessKeyId", "s3api", "list-objects-v2", "--bucket", "iam-flow", creds=creds)
    aws("iam", "remove-user-from-group", "--group-name", "readers", "--user-name", "reader")
    aws("iam", "detach-group-policy", "--group-name", "readers", "--policy-arn", READ)
    aws("iam", "delete-group", "--group-name", "readers")
    aws("iam", "delete-user", "--user-name", "reader")
    aws("s3", "rb", "s3://iam-flow")


@scenario
def awscli_root_keys():
    own = aws_json("iam", "list-access-keys")["AccessKeyMetadata"]
    ensure([k["AccessKeyId"] for k in own] == [os.environ["AWS_ACCESS_KEY_ID"]], own)
    key = aws_json("iam", "create-access-key")["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    # The new root key works for S3 and IAM alike.
    aws("s3", "ls", creds=creds)
    aws("iam", "list-users", creds=creds)
    aws_error("LimitExceeded", "iam", "create-access-key")
    aws("iam", "delete-access-key", "--access-key-id", key["AccessKeyId"])
    aws_error("InvalidAccessKeyId", "s3", "ls", creds=creds)


def main():
    return run_scenarios(RESULTS)


if __name__ == "__main__":
    sys.exit(main())
