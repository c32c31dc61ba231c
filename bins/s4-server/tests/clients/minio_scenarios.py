"""minio-py against s4-server: buckets, put/get/stat, a 3-thread multipart upload, listing,
server-side copy, batch delete, presigned GET and PUT, and an encryption request refused
rather than stored in plaintext. Run by run.sh; prints one line per scenario and
'N passed, M failed'.
"""

import io
import sys
import urllib.error
import urllib.request

from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.sse import SseS3

from client_kit import (
    ACCESS_KEY,
    HOSTPORT,
    MIB,
    SECRET_KEY,
    Scenarios,
    check,
    check_equal,
    payload,
    read_file,
    work_path,
    write_file,
)

scenario = Scenarios()
CLIENT = Minio(HOSTPORT, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region="us-east-1")
BUCKET = "minio-a"


def get_bytes(key, bucket=BUCKET):
    response = CLIENT.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


@scenario
def make_and_find_buckets():
    CLIENT.make_bucket(BUCKET)
    CLIENT.make_bucket("minio-b")
    check(CLIENT.bucket_exists(BUCKET), "bucket_exists after make_bucket")
    check(not CLIENT.bucket_exists("minio-missing"), "bucket_exists of a missing bucket")
    names = [b.name for b in CLIENT.list_buckets()]
    check(BUCKET in names and "minio-b" in names, f"list_buckets: {names}")


@scenario
def put_get_and_stat():
    data = payload("minio-small", 5000)
    CLIENT.put_object(
        BUCKET, "dir/small.bin", io.BytesIO(data), len(data),
        content_type="application/x-test", metadata={"origin": "minio"},
    )
    check(get_bytes("dir/small.bin") == data, "small object bytes differ")
    stat = CLIENT.stat_object(BUCKET, "dir/small.bin")
    check_equal(stat.size, len(data), "stat size")
    check_equal(stat.content_type, "application/x-test", "stat content type")
    check_equal(stat.metadata.get("x-amz-meta-origin"), "minio", "stat metadata")


@scenario
def multipart_upload_from_three_threads():
    data = payload("minio-big", 12 * MIB + 11)
    src = write_file(work_path("minio-up", "big.bin"), data)
    CLIENT.fput_object(BUCKET, "big.bin", src, part_size=5 * MIB, num_parallel_uploads=3)
    dst = work_path("minio-down", "big.bin")
    CLIENT.fget_object(BUCKET, "big.bin", dst)
    check(read_file(dst) == data, "multipart object bytes differ")
    check(CLIENT.stat_object(BUCKET, "big.bin").etag.endswith("-3"), "a 3-part ETag")


@scenario
def list_recursive_and_by_prefix():
    keys = sorted(o.object_name for o in CLIENT.list_objects(BUCKET, recursive=True))
    check_equal(keys, ["big.bin", "dir/small.bin"], "recursive listing")
    top = sorted(o.object_name for o in CLIENT.list_objects(BUCKET))
    check_equal(top, ["big.bin", "dir/"], "delimited listing")
    v1 = sorted(o.object_name for o in CLIENT.list_objects(BUCKET, recursive=True, use_api_v1=True))
    check_equal(v1, keys, "ListObjects v1")


@scenario
def server_side_copy():
    CLIENT.copy_object("minio-b", "copied.bin", CopySource(BUCKET, "dir/small.bin"))
    check(get_bytes("copied.bin", "minio-b") == get_bytes("dir/small.bin"), "copied bytes differ")


@scenario
def presigned_get_and_put():
    url = CLIENT.presigned_put_object(BUCKET, "presigned.txt")
    request = urllib.request.Request(url, data=b"via presigned put", method="PUT")
    with urllib.request.urlopen(request) as response:
        check_equal(response.status, 200, "presigned PUT status")
    url = CLIENT.presigned_get_object(BUCKET, "presigned.txt")
    with urllib.request.urlopen(url) as response:
        check_equal(response.read(), b"via presigned put", "presigned GET body")


@scenario
def encryption_is_refused_not_ignored():
    data = b"must not be stored in plaintext"
    try:
        CLIENT.put_object(BUCKET, "sse.bin", io.BytesIO(data), len(data), sse=SseS3())
    except S3Error as e:
        check_equal(e.code, "NotImplemented", "SSE-S3 PutObject refusal")
    else:
        raise AssertionError("PutObject with SSE-S3 was accepted")
    try:
        CLIENT.stat_object(BUCKET, "sse.bin")
    except S3Error as e:
        check_equal(e.code, "NoSuchKey", "the refused object")
    else:
        raise AssertionError("the refused SSE object was stored")


@scenario
def remove_objects_and_buckets():
    errors = list(
        CLIENT.remove_objects(
            BUCKET,
            [DeleteObject(o.object_name) for o in CLIENT.list_objects(BUCKET, recursive=True)],
        )
    )
    check_equal(errors, [], "remove_objects errors")
    CLIENT.remove_object("minio-b", "copied.bin")
    for bucket in [BUCKET, "minio-b"]:
        CLIENT.remove_bucket(bucket)
        check(not CLIENT.bucket_exists(bucket), f"{bucket} still exists")


if __name__ == "__main__":
    sys.exit(scenario.main())
