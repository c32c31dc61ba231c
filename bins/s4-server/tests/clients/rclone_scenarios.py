"""rclone against s4-server: mkdir, copy and check a tree, a multipart upload from 4
concurrent streams, server-side copy and move between buckets, sync with deletions, purge.
The remote is defined in the environment (RCLONE_CONFIG_S4_*), nothing read from the user's
config. Run by run.sh; prints one line per scenario and 'N passed, M failed'.
"""

import os
import shutil
import sys

from client_kit import (
    ACCESS_KEY,
    ENDPOINT,
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
ENV = dict(os.environ)
# rclone refuses to start with a CA bundle override pointing at nothing it needs.
ENV.pop("AWS_CA_BUNDLE", None)
ENV.update(
    {
        "RCLONE_CONFIG_S4_TYPE": "s3",
        "RCLONE_CONFIG_S4_PROVIDER": "Other",
        "RCLONE_CONFIG_S4_ACCESS_KEY_ID": ACCESS_KEY,
        "RCLONE_CONFIG_S4_SECRET_ACCESS_KEY": SECRET_KEY,
        "RCLONE_CONFIG_S4_ENDPOINT": ENDPOINT,
        "RCLONE_CONFIG_S4_REGION": "us-east-1",
        "RCLONE_CONFIG_S4_FORCE_PATH_STYLE": "true",
    }
)
TREE = work_path("rclone-tree")


def rclone(*args, check_status=True):
    config = work_path("rclone.conf")
    if not os.path.exists(config):
        write_file(config, b"")
    return run(
        "rclone", "--config", config, "--retries", "1", "--low-level-retries", "1", *args,
        env=ENV, check_status=check_status,
    )


def listed(remote):
    return sorted(rclone("lsf", "-R", "--files-only", remote).stdout.splitlines())


@scenario
def mkdir_copy_and_check_a_tree():
    rclone("mkdir", "s4:rclone-a")
    rclone("mkdir", "s4:rclone-b")
    for i in range(6):
        write_file(os.path.join(TREE, f"d{i % 3}", f"f {i}+x.txt"), payload(f"rc{i}", 2000 + i))
    rclone("copy", TREE, "s4:rclone-a/tree")
    check_equal(len(listed("s4:rclone-a/tree")), 6, "objects after copy")
    # Sizes and MD5s of every file against the listing.
    rclone("check", TREE, "s4:rclone-a/tree")


@scenario
def multipart_upload_and_download():
    data = payload("rclone-big", 12 * MIB + 7)
    src = write_file(work_path("rclone-up", "big.bin"), data)
    rclone("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, "s4:rclone-a/big.bin")
    dst = work_path("rclone-down", "big.bin")
    rclone("copyto", "s4:rclone-a/big.bin", dst)
    check(read_file(dst) == data, "downloaded bytes differ")


@scenario
def server_side_copy_and_move_between_buckets():
    rclone("copyto", "s4:rclone-a/big.bin", "s4:rclone-b/copied.bin")
    rclone("moveto", "s4:rclone-a/tree/d0/f 0+x.txt", "s4:rclone-b/moved.txt")
    check("tree/d0/f 0+x.txt" not in listed("s4:rclone-a"), "moveto kept its source")
    check_equal(listed("s4:rclone-b"), ["copied.bin", "moved.txt"], "rclone-b")
    dst = work_path("rclone-down", "copied.bin")
    rclone("copyto", "s4:rclone-b/copied.bin", dst)
    check(read_file(dst) == read_file(work_path("rclone-up", "big.bin")), "copied bytes differ")
    dst = work_path("rclone-down", "moved.txt")
    rclone("copyto", "s4:rclone-b/moved.txt", dst)
    check(read_file(dst) == read_file(os.path.join(TREE, "d0", "f 0+x.txt")), "moved bytes differ")


@scenario
def sync_mirrors_changes_and_deletions():
    write_file(os.path.join(TREE, "d1", "f 1+x.txt"), b"changed")
    os.remove(os.path.join(TREE, "d2", "f 2+x.txt"))
    write_file(os.path.join(TREE, "added.txt"), b"added")
    rclone("sync", TREE, "s4:rclone-a/tree")
    rclone("check", TREE, "s4:rclone-a/tree")
    back = work_path("rclone-tree-back")
    shutil.rmtree(back, ignore_errors=True)
    rclone("sync", "s4:rclone-a/tree", back)
    check_same_tree(TREE, back)


@scenario
def purge_and_remove_buckets():
    rclone("purge", "s4:rclone-a")
    rclone("delete", "s4:rclone-b")
    rclone("rmdir", "s4:rclone-b")
    buckets = rclone("lsd", "s4:").stdout
    check("rclone-a" not in buckets and "rclone-b" not in buckets, f"lsd: {buckets}")


if __name__ == "__main__":
    sys.exit(scenario.main())
