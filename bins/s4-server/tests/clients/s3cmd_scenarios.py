"""s3cmd against s4-server: buckets, put/get (single and multipart), cp and mv between
buckets (s3cmd copies the source's ACL onto the copy with PutObjectAcl), sync both ways,
deletes. Run by run.sh; prints one line per scenario and 'N passed, M failed'.
"""

import os
import shutil
import sys

from client_kit import (
    ACCESS_KEY,
    HOSTPORT,
    MIB,
    SECRET_KEY,
    Scenarios,
    check,
    check_equal,
    check_same_tree,
    payload,
    read_file,
    run,
    work_path,
    write_file,
)

scenario = Scenarios()
CONFIG = work_path("s3cmd.cfg")


def s3cmd(*args, check_status=True):
    return run("s3cmd", "-c", CONFIG, "--no-progress", *args, check_status=check_status)


def listed_keys(uri):
    """The object URIs `s3cmd ls --recursive` prints (last column)."""
    out = s3cmd("ls", "--recursive", uri).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.strip())


@scenario
def configure_and_make_buckets():
    with open(CONFIG, "w", encoding="utf-8") as f:
        f.write(
            "[default]\n"
            f"access_key = {ACCESS_KEY}\n"
            f"secret_key = {SECRET_KEY}\n"
            f"host_base = {HOSTPORT}\n"
            f"host_bucket = {HOSTPORT}\n"
            "use_https = False\n"
            "signature_v2 = False\n"
            "bucket_location = us-east-1\n"
            "multipart_chunk_size_mb = 5\n"
        )
    for bucket in ["s3cmd-a", "s3cmd-b"]:
        s3cmd("mb", f"s3://{bucket}")
    buckets = s3cmd("ls").stdout
    check("s3://s3cmd-a" in buckets and "s3://s3cmd-b" in buckets, f"ls: {buckets}")


@scenario
def put_and_get_single_and_multipart():
    for name, size in [("small.bin", 1000), ("big.bin", 12 * MIB + 123)]:
        data = payload(f"s3cmd-{name}", size)
        src = write_file(work_path("s3cmd-up", name), data)
        s3cmd("put", src, f"s3://s3cmd-a/{name}")
        dst = work_path("s3cmd-down", name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        s3cmd("get", "--force", f"s3://s3cmd-a/{name}", dst)
        check(read_file(dst) == data, f"{name}: downloaded bytes differ")
    check_equal(
        listed_keys("s3://s3cmd-a"),
        ["s3://s3cmd-a/big.bin", "s3://s3cmd-a/small.bin"],
        "keys after put",
    )


@scenario
def cp_between_buckets_keeps_bytes():
    # s3cmd reads the source's ACL and puts it onto the copy: the owner-only ACL is a no-op.
    s3cmd("cp", "s3://s3cmd-a/small.bin", "s3://s3cmd-b/copied.bin")
    dst = work_path("s3cmd-down", "copied.bin")
    s3cmd("get", "--force", "s3://s3cmd-b/copied.bin", dst)
    check(
        read_file(dst) == read_file(work_path("s3cmd-up", "small.bin")),
        "copied bytes differ",
    )
    check("s3://s3cmd-a/small.bin" in listed_keys("s3://s3cmd-a"), "cp removed its source")


@scenario
def mv_between_buckets_moves():
    s3cmd("mv", "s3://s3cmd-a/big.bin", "s3://s3cmd-b/moved.bin")
    check("s3://s3cmd-a/big.bin" not in listed_keys("s3://s3cmd-a"), "mv kept its source")
    dst = work_path("s3cmd-down", "moved.bin")
    s3cmd("get", "--force", "s3://s3cmd-b/moved.bin", dst)
    check(
        read_file(dst) == read_file(work_path("s3cmd-up", "big.bin")),
        "moved bytes differ",
    )


@scenario
def sync_up_change_and_down():
    tree = work_path("s3cmd-tree")
    for i in range(5):
        write_file(os.path.join(tree, f"d{i % 2}", f"f{i}.txt"), payload(f"sync{i}", 3000 + i))
    s3cmd("sync", tree + "/", "s3://s3cmd-a/tree/")
    # One file changed, one removed, one added: a second sync with --delete-removed mirrors it.
    write_file(os.path.join(tree, "d0", "f0.txt"), b"changed")
    os.remove(os.path.join(tree, "d1", "f1.txt"))
    write_file(os.path.join(tree, "new.txt"), b"new file")
    s3cmd("sync", "--delete-removed", tree + "/", "s3://s3cmd-a/tree/")
    keys = listed_keys("s3://s3cmd-a/tree/")
    check_equal(len(keys), 5, f"keys after the second sync {keys}")
    back = work_path("s3cmd-tree-back")
    shutil.rmtree(back, ignore_errors=True)
    os.makedirs(back)
    s3cmd("sync", "s3://s3cmd-a/tree/", back + "/")
    check_same_tree(tree, back)


@scenario
def delete_objects_and_buckets():
    s3cmd("del", "--recursive", "--force", "s3://s3cmd-a")
    s3cmd("del", "--recursive", "--force", "s3://s3cmd-b")
    check_equal(listed_keys("s3://s3cmd-a"), [], "s3cmd-a after del")
    for bucket in ["s3cmd-a", "s3cmd-b"]:
        s3cmd("rb", f"s3://{bucket}")
    buckets = s3cmd("ls").stdout
    check("s3cmd-a" not in buckets and "s3cmd-b" not in buckets, f"ls after rb: {buckets}")


if __name__ == "__main__":
    sys.exit(scenario.main())
