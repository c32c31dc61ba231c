"""Real-client scenarios for s4-server: awscli and boto3, checking bytes and listings.

Run by run.sh, which starts the server and sets S4_ENDPOINT and the AWS_* credentials.
Prints one line per scenario and a closing 'N passed, M failed' line.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from ensure import ensure, run_scenarios

ENDPOINT = os.environ["S4_ENDPOINT"]
WORK = sys.argv[1]
# Keys that break naive servers: every one must round-trip through every client.
AWKWARD_KEYS = [
    "dir/a b.txt",
    "plus+sign",
    "amp&ersand",
    "per%cent",
    "tilde~star*at@",
    "question?equals=",
    "caf\u00e9/\U0001F600.bin",
    'quote"d',
    "k" * 1024,
]
RESULTS = []


def scenario(fn):
    RESULTS.append(fn)
    return fn


def payload(seed, size):
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def aws(*args, check=True, capture=True):
    proc = subprocess.run(
        ["aws", "--endpoint-url", ENDPOINT, *args],
        capture_output=capture,
        text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def write_file(name, data):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def client(**config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        ensure(got == code, f"expected {code}, got {got}: {e}")
        return e
    raise AssertionError(f"expected {code}, call succeeded")


# ---------------------------------------------------------------- awscli


@scenario
def awscli_bucket_lifecycle():
    aws("s3", "mb", "s3://cli-bucket")
    listed = aws("s3", "ls").stdout
    ensure("cli-bucket" in listed, listed)
    err = aws("s3api", "create-bucket", "--bucket", "cli-bucket", check=False)
    ensure("BucketAlreadyOwnedByYou" in err.stderr, err.stderr)
    err = aws("s3api", "create-bucket", "--bucket", "Bad_Name", check=False)
    ensure(err.returncode != 0 and "InvalidBucketName" in err.stderr, err.stderr)
    location = json.loads(aws("s3api", "get-bucket-location", "--bucket", "cli-bucket").stdout)
    ensure(location.get("LocationConstraint") in (None, ""), location)
    acl = json.loads(aws("s3api", "get-bucket-acl", "--bucket", "cli-bucket").stdout)
    ensure(acl["Grants"][0]["Permission"] == "FULL_CONTROL", acl)
    aws("s3api", "head-bucket", "--bucket", "cli-bucket")


@scenario
def awscli_cp_round_trip():
    data = payload("cp", 3 * 1024 * 1024 + 7)
    src = write_file("cp/src.bin", data)
    aws("s3", "cp", src, "s3://cli-bucket/cp/src.bin")
    dst = os.path.join(WORK, "cp/back.bin")
    aws("s3", "cp", "s3://cli-bucket/cp/src.bin", dst)
    ensure(read_file(dst) == data)
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "cp/src.bin").stdout)
    ensure(head["ContentLength"] == len(data), head)
    ensure(head["ETag"] == '"%s"' % hashlib.md5(data).hexdigest(), head)


@scenario
def awscli_awkward_keys():
    for i, key in enumerate(AWKWARD_KEYS):
        data = payload(key, 100 + i)
        src = write_file(f"awk/{i}.bin", data)
        aws("s3api", "put-object", "--bucket", "cli-bucket", "--key", key, "--body", src)
        dst = os.path.join(WORK, f"awk/{i}.back")
        aws("s3api", "get-object", "--bucket", "cli-bucket", "--key", key, dst)
        ensure(read_file(dst) == data, key)
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", "cli-bucket").stdout)
    keys = {o["Key"] for o in listed["Contents"]}
    missing = [k for k in AWKWARD_KEYS if k not in keys]
    ensure(not missing, missing)


@scenario
def awscli_sync_ls_rm():
    files = {f"tree/{name}": payload(name, 1000 + n) for n, name in enumerate(["a.txt", "b/c.txt", "b/d/e.txt"])}
    for name, data in files.items():
        write_file(name, data)
    aws("s3", "sync", os.path.join(WORK, "tree"), "s3://cli-bucket/tree")
    listing = aws("s3", "ls", "--recursive", "s3://cli-bucket/tree/").stdout.splitlines()
    got = {line.split()[-1]: int(line.split()[2]) for line in listing}
    want = {name: len(data) for name, data in files.items()}
    ensure(got == want, (got, want))
    # A second sync uploads nothing: sizes and times match.
    again = aws("s3", "sync", os.path.join(WORK, "tree"), "s3://cli-bucket/tree").stdout
    ensure("upload:" not in again, again)
    top = aws("s3", "ls", "s3://cli-bucket/tree/").stdout
    ensure("PRE b/" in top and "a.txt" in top, top)
    aws("s3", "rm", "--recursive", "s3://cli-bucket/tree")
    # `aws s3 ls` of an empty prefix exits 1 with no output, as it does for a failed
    # listing: ask ListObjectsV2 for the count instead.
    left = aws(
        "s3api", "list-objects-v2", "--bucket", "cli-bucket", "--prefix", "tree/", "--no-paginate", "--query", "KeyCount"
    )
    ensure(left.stdout.strip() == "0", left.stdout)


@scenario
def awscli_mv_and_copy():
    data = payload("mv", 5000)
    write_file("mv.bin", data)
    aws("s3", "cp", os.path.join(WORK, "mv.bin"), "s3://cli-bucket/mv/from")
    aws("s3", "mv", "s3://cli-bucket/mv/from", "s3://cli-bucket/mv/to")
    err = aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "mv/from", check=False)
    ensure(err.returncode != 0 and "404" in err.stderr, err.stderr)
    dst = os.path.join(WORK, "mv.back")
    aws("s3", "cp", "s3://cli-bucket/mv/to", dst)
    ensure(read_file(dst) == data)


@scenario
def awscli_presign():
    data = payload("presign", 777)
    write_file("presign.bin", data)
    aws("s3", "cp", os.path.join(WORK, "presign.bin"), "s3://cli-bucket/presigned")
    url = aws("s3", "presign", "s3://cli-bucket/presigned", "--expires-in", "300").stdout.strip()
    ensure("X-Amz-Signature=" in url, url)
    with urllib.request.urlopen(url) as response:
        ensure(response.read() == data)


@scenario
def awscli_s3api_objects():
    src = write_file("meta.bin", b"hello metadata")
    aws(
        "s3api", "put-object", "--bucket", "cli-bucket", "--key", "meta", "--body", src,
        "--content-type", "text/plain", "--metadata", "colour=blue,size=xl",
        "--cache-control", "max-age=60",
    )
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "meta").stdout)
    ensure(head["Metadata"] == {"colour": "blue", "size": "xl"}, head)
    ensure(head["ContentType"] == "text/plain" and head["CacheControl"] == "max-age=60", head)
    dst = os.path.join(WORK, "range.out")
    aws("s3api", "get-object", "--bucket", "cli-bucket", "--key", "meta", "--range", "bytes=6-13", dst)
    ensure(read_file(dst) == b"metadata")
    aws(
        "s3api", "copy-object", "--bucket", "cli-bucket", "--key", "meta-copy",
        "--copy-source", "cli-bucket/meta", "--metadata-directive", "REPLACE",
        "--metadata", "colour=red", "--content-type", "text/x-copy",
    )
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "meta-copy").stdout)
    ensure(head["Metadata"] == {"colour": "red"} and head["ContentType"] == "text/x-copy", head)
    err = aws("s3api", "get-object", "--bucket", "cli-bucket", "--key", "absent", dst, check=False)
    ensure("NoSuchKey" in err.stderr, err.stderr)
    deleted = json.loads(aws(
        "s3api", "delete-objects", "--bucket", "cli-bucket",
        "--delete", '{"Objects":[{"Key":"meta"},{"Key":"meta-copy"},{"Key":"never-existed"}]}',
    ).stdout)
    ensure(sorted(d["Key"] for d in deleted["Deleted"]) == ["meta", "meta-copy", "never-existed"], deleted)


@scenario
def awscli_list_pagination():
    for i in range(7):
        write_file(f"page/{i}", payload(i, 10))
    aws("s3", "cp", "--recursive", os.path.join(WORK, "page"), "s3://cli-bucket/page/")
    out = json.loads(aws(
        "s3api", "list-objects-v2", "--bucket", "cli-bucket", "--prefix", "page/", "--page-size", "2",
    ).stdout)
    ensure([o["Key"] for o in out["Contents"]] == [f"page/{i}" for i in range(7)], out)
    v1 = json.loads(aws(
        "s3api", "list-objects", "--bucket", "cli-bucket", "--prefix", "page/", "--page-size", "3",
    ).stdout)
    ensure(len(v1["Contents"]) == 7, v1)


@scenario
def awscli_bucket_not_empty_then_rb():
    aws("s3", "mb", "s3://cli-doomed")
    write_file("doomed.bin", b"x")
    aws("s3", "cp", os.path.join(WORK, "doomed.bin"), "s3://cli-doomed/x")
    err = aws("s3api", "delete-bucket", "--bucket", "cli-doomed", check=False)
    ensure("BucketNotEmpty" in err.stderr, err.stderr)
    aws("s3", "rb", "--force", "s3://cli-doomed")
    ensure("cli-doomed" not in aws("s3", "ls").stdout)


# ---------------------------------------------------------------- boto3


@scenario
def boto3_put_get_defaults():
    s3 = client()
    s3.create_bucket(Bucket="boto-bucket")
    data = payload("boto", 100_000)
    put = s3.put_object(Bucket="boto-bucket", Key="obj", Body=data, Metadata={"k": "v"})
    ensure(put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest())
    got = s3.get_object(Bucket="boto-bucket", Key="obj")
    ensure(got["Body"].read() == data and got["Metadata"] == {"k": "v"})
    part = s3.get_object(Bucket="boto-bucket", Key="obj", Range="bytes=-10")
    ensure(part["Body"].read() == data[-10:] and part["ContentRange"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}")
    expect_error("InvalidRange", s3.get_object, Bucket="boto-bucket", Key="obj", Range=f"bytes={len(data)}-")
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket="boto-bucket", Key=key, Body=key.encode())
        ensure(s3.get_object(Bucket="boto-bucket", Key=key)["Body"].read() == key.encode(), key)


@scenario
def boto3_when_required_checksums():
    s3 = client(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    data = payload("plain", 4096)
    s3.put_object(Bucket="boto-bucket", Key="plain", Body=data)
    ensure(s3.get_object(Bucket="boto-bucket", Key="plain")["Body"].read() == data)


@scenario
def boto3_upload_download_file():
    s3 = client()
    data = payload("file", 2 * 1024 * 1024 + 3)
    src = write_file("boto/up.bin", data)
    small = TransferConfig(multipart_threshold=64 * 1024 * 1024)
    s3.upload_file(src, "boto-bucket", "files/up.bin", Config=small)
    dst = os.path.join(WORK, "boto/down.bin")
    s3.download_file("boto-bucket", "files/up.bin", dst, Config=small)
    ensure(read_file(dst) == data)


@scenario
def boto3_paginators_and_delimiters():
    s3 = client()
    keys = ["p/a", "p/b/1", "p/b/2", "p/c", "p/d/1", "p/e", "p/f"]
    for k in keys:
        s3.put_object(Bucket="boto-bucket", Key=k, Body=b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket="boto-bucket", Prefix="p/", Delimiter="/", PaginationConfig={"PageSize": 2}
    )
    seen_keys, seen_prefixes = [], []
    for page in pages:
        seen_keys += [o["Key"] for o in page.get("Contents", [])]
        seen_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    ensure(seen_keys == ["p/a", "p/c", "p/e", "p/f"], seen_keys)
    ensure(seen_prefixes == ["p/b/", "p/d/"], seen_prefixes)
    v1 = s3.get_paginator("list_objects").paginate(Bucket="boto-bucket", Prefix="p/", PaginationConfig={"PageSize": 3})
    ensure([o["Key"] for page in v1 for o in page.get("Contents", [])] == keys)
    # Asked for explicitly, encoding-type=url is left to the caller to decode (botocore decodes
    # only when it added the parameter itself).
    encoded = s3.list_objects_v2(Bucket="boto-bucket", Prefix="plus", EncodingType="url")
    ensure([o["Key"] for o in encoded["Contents"]] == ["plus%2Bsign"], encoded["Contents"])


@scenario
def boto3_presigned_urls():
    s3 = client()
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "boto-bucket", "Key": "pre"}, ExpiresIn=300)
    data = payload("pre", 1234)
    request = urllib.request.Request(put_url, data=data, method="PUT")
    with urllib.request.urlopen(request) as response:
        ensure(response.status == 200)
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto-bucket", "Key": "pre"}, ExpiresIn=300)
    with urllib.request.urlopen(get_url) as response:
        ensure(response.read() == data)
    tampered = get_url.replace("pre?", "prf?")
    try:
        urllib.request.urlopen(tampered)
        raise AssertionError("tampered URL was accepted")
    except urllib.error.HTTPError as e:
        ensure(e.code == 403 and b"SignatureDoesNotMatch" in e.read())


@scenario
def boto3_conditionals_copy_delete():
    s3 = client()
    put = s3.put_object(Bucket="boto-bucket", Key="cond", Body=b"v1")
    etag = put["ETag"]
    err = expect_error("304", s3.get_object, Bucket="boto-bucket", Key="cond", IfNoneMatch=etag)
    ensure(err.response["ResponseMetadata"]["HTTPStatusCode"] == 304)
    expect_error("PreconditionFailed", s3.get_object, Bucket="boto-bucket", Key="cond", IfMatch='"0000"')
    s3.copy_object(Bucket="boto-bucket", Key="cond-copy", CopySource={"Bucket": "boto-bucket", "Key": "cond"})
    ensure(s3.get_object(Bucket="boto-bucket", Key="cond-copy")["Body"].read() == b"v1")
    expect_error(
        "PreconditionFailed", s3.copy_object, Bucket="boto-bucket", Key="cond-copy2",
        CopySource={"Bucket": "boto-bucket", "Key": "cond"}, CopySourceIfMatch='"0000"',
    )
    out = s3.delete_objects(
        Bucket="boto-bucket",
        Delete={"Objects": [{"Key": "cond"}, {"Key": "cond-copy"}], "Quiet": True},
    )
    ensure(not out.get("Errors") and not out.get("Deleted"), out)
    expect_error("NoSuchKey", s3.get_object, Bucket="boto-bucket", Key="cond")


# ---------------------------------------------------------------- multipart

MIB = 1024 * 1024


def server_log_lines(operation):
    """Access-log lines (target s4::access) of the server for one operation."""
    with open(os.path.join(WORK, "server.log"), encoding="utf-8", errors="replace") as f:
        pattern = re.compile(r'[="]' + operation + r'["\s]')
        return [line for line in f if "s4::access" in line and pattern.search(line)]


def multipart_etag(data, part_size):
    digests = b"".join(hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size))
    return '"%s-%d"' % (hashlib.md5(digests).hexdigest(), (len(data) + part_size - 1) // part_size)


@scenario
def awscli_multipart_100mib_round_trip_and_copy():
    # run.sh sets multipart_chunksize = 8MB in the AWS config file: 13 parts, uploaded by 10
    # threads, so the 4 MiB last part and later parts often arrive before earlier ones.
    data = os.urandom(100 * MIB)
    src = write_file("mp/big.bin", data)
    aws("s3", "mb", "s3://cli-mp")
    aws("s3", "cp", src, "s3://cli-mp/big.bin")
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-mp", "--key", "big.bin").stdout)
    ensure(head["ContentLength"] == len(data), head)
    ensure(head["ETag"] == multipart_etag(data, 8 * MIB), (head["ETag"], multipart_etag(data, 8 * MIB)))
    parts = len(server_log_lines("UploadPart"))
    ensure(parts >= 13, f"expected a 13-part upload, saw {parts} UploadPart requests")
    gets_before = len(server_log_lines("GetObject"))
    # Download: HeadObject, then ranged GETs with If-Match, reassembled byte-exact.
    dst = os.path.join(WORK, "mp/big.back")
    aws("s3", "cp", "s3://cli-mp/big.bin", dst)
    ensure(read_file(dst) == data)
    ranged = [l for l in server_log_lines("GetObject")[gets_before:] if re.search(r"status\S*?206\b", l)]
    ensure(len(ranged) >= 13, f"expected ranged GETs, saw {len(ranged)}")
    # Server-side copy above the threshold: CreateMultipartUpload, then UploadPartCopy with
    # x-amz-copy-source-range and x-amz-copy-source-if-match.
    copies_before = len(server_log_lines("UploadPartCopy"))
    aws("s3", "cp", "s3://cli-mp/big.bin", "s3://cli-mp/big-copy.bin")
    copies = len(server_log_lines("UploadPartCopy")) - copies_before
    ensure(copies >= 13, f"expected UploadPartCopy requests, saw {copies}")
    dst2 = os.path.join(WORK, "mp/big-copy.back")
    aws("s3", "cp", "s3://cli-mp/big-copy.bin", dst2)
    ensure(read_file(dst2) == data)
    uploads = json.loads(aws("s3api", "list-multipart-uploads", "--bucket", "cli-mp").stdout or "{}")
    ensure(not uploads.get("Uploads"), uploads)
    for key in ("big.bin", "big-copy.bin"):
        aws("s3", "rm", f"s3://cli-mp/{key}")
    os.remove(src), os.remove(dst), os.remove(dst2)


@scenario
def boto3_upload_file_concurrent_parts_and_ranged_download():
    s3 = client()
    s3.create_bucket(Bucket="boto-mp")
    data = os.urandom(60 * MIB + 12345)
    src = write_file("mp/boto.bin", data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=10)
    s3.upload_file(src, "boto-mp", "dir/boto.bin", Config=config)
    head = s3.head_object(Bucket="boto-mp", Key="dir/boto.bin")
    ensure(head["ContentLength"] == len(data))
    ensure(head["ETag"] == multipart_etag(data, 8 * MIB), head["ETag"])
    # Record the download's GET requests: ranged, each with If-Match on the ETag.
    seen = []
    s3.meta.events.register(
        "before-send.s3.GetObject",
        lambda request, **kw: seen.append(dict(request.headers)),
    )
    dst = os.path.join(WORK, "mp/boto.back")
    s3.download_file("boto-mp", "dir/boto.bin", dst, Config=config)
    ensure(read_file(dst) == data)
    ensure(len(seen) == 8, len(seen))
    for headers in seen:
        rng = headers.get("Range", b"")
        rng = rng.decode() if isinstance(rng, bytes) else rng
        ensure(rng.startswith("bytes="), headers)
        if_match = headers.get("If-Match", b"")
        if_match = if_match.decode() if isinstance(if_match, bytes) else if_match
        ensure(if_match == head["ETag"], headers)
    # boto3 copy(): ranged UploadPartCopy.
    s3.copy({"Bucket": "boto-mp", "Key": "dir/boto.bin"}, "boto-mp", "dir/boto-copy.bin", Config=config)
    got = s3.get_object(Bucket="boto-mp", Key="dir/boto-copy.bin")["Body"].read()
    ensure(got == data)
    # A range across a part boundary.
    got = s3.get_object(Bucket="boto-mp", Key="dir/boto.bin", Range=f"bytes={8 * MIB - 10}-{16 * MIB + 9}")["Body"].read()
    ensure(got == data[8 * MIB - 10:16 * MIB + 10])
    os.remove(src), os.remove(dst)


@scenario
def boto3_multipart_rules_and_errors():
    s3 = client()
    created = s3.create_multipart_upload(Bucket="boto-mp", Key="rules", ContentType="text/plain", Metadata={"a": "b"})
    uid = created["UploadId"]
    full = os.urandom(5 * MIB)
    tail = os.urandom(1000)
    # Part 3 (small, presumed last) before parts 1 and 2.
    e3 = s3.upload_part(Bucket="boto-mp", Key="rules", UploadId=uid, PartNumber=3, Body=tail)["ETag"]
    e1 = s3.upload_part(Bucket="boto-mp", Key="rules", UploadId=uid, PartNumber=1, Body=full)["ETag"]
    e2 = s3.upload_part(Bucket="boto-mp", Key="rules", UploadId=uid, PartNumber=2, Body=full)["ETag"]
    expect_error("InvalidPart", s3.upload_part, Bucket="boto-mp", Key="rules", UploadId=uid, PartNumber=2, Body=full)
    expect_error("InvalidPart", s3.upload_part, Bucket="boto-mp", Key="rules", UploadId=uid, PartNumber=4, Body=b"")
    parts = s3.list_parts(Bucket="boto-mp", Key="rules", UploadId=uid, MaxParts=2)
    ensure([p["PartNumber"] for p in parts["Parts"]] == [1, 2] and parts["IsTruncated"], parts)
    listed = s3.list_multipart_uploads(Bucket="boto-mp", Prefix="ru")
    ensure([u["UploadId"] for u in listed["Uploads"]] == [uid], listed)
    expect_error(
        "InvalidPartOrder", s3.complete_multipart_upload, Bucket="boto-mp", Key="rules", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e3}]},
    )
    expect_error(
        "InvalidPart", s3.complete_multipart_upload, Bucket="boto-mp", Key="rules", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    done = s3.complete_multipart_upload(
        Bucket="boto-mp", Key="rules", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e3}]},
    )
    ensure(done["ETag"] == multipart_etag(full + full + tail, 5 * MIB), done)
    obj = s3.get_object(Bucket="boto-mp", Key="rules")
    ensure(obj["ContentType"] == "text/plain" and obj["Metadata"] == {"a": "b"}, obj)
    ensure(obj["Body"].read() == full + full + tail)
    expect_error(
        "NoSuchUpload", s3.complete_multipart_upload, Bucket="boto-mp", Key="rules", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]},
    )
    # A non-last part under 5 MiB aborts the whole upload.
    uid = s3.create_multipart_upload(Bucket="boto-mp", Key="small")["UploadId"]
    s3.upload_part(Bucket="boto-mp", Key="small", UploadId=uid, PartNumber=1, Body=b"tiny")
    expect_error("EntityTooSmall", s3.upload_part, Bucket="boto-mp", Key="small", UploadId=uid, PartNumber=2, Body=b"x")
    expect_error("NoSuchUpload", s3.list_parts, Bucket="boto-mp", Key="small", UploadId=uid)
    # Abort: 204, then NoSuchUpload.
    uid = s3.create_multipart_upload(Bucket="boto-mp", Key="aborted")["UploadId"]
    out = s3.abort_multipart_upload(Bucket="boto-mp", Key="aborted", UploadId=uid)
    ensure(out["ResponseMetadata"]["HTTPStatusCode"] == 204)
    expect_error("NoSuchUpload", s3.abort_multipart_upload, Bucket="boto-mp", Key="aborted", UploadId=uid)
    err = expect_error(
        "NoSuchKey", s3.upload_part_copy, Bucket="boto-mp", Key="x",
        UploadId=s3.create_multipart_upload(Bucket="boto-mp", Key="x")["UploadId"], PartNumber=1,
        CopySource={"Bucket": "boto-mp", "Key": "missing"},
    )
    ensure(err.response["ResponseMetadata"]["HTTPStatusCode"] == 400)


def main():
    return run_scenarios(RESULTS)


if __name__ == "__main__":
    sys.exit(main())
