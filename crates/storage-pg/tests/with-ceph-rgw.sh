#!/usr/bin/env bash
# Runs a command against a throw-away Ceph RADOS Gateway (S3) on loopback: the S3 byte store
# must work with the S3 services people already run, not only current ones, and Ceph 16
# (Debian bookworm's packages) refuses what newer SDKs send by default (aws-chunked bodies
# with trailing checksums).
#
#   with-ceph-rgw.sh CMD [ARGS...]
#
# Installs the Debian packages if missing (ceph-mon, ceph-osd, radosgw, ceph-common), starts a
# single-node cluster in a temp dir (one monitor, one bluestore OSD on a sparse file, no
# replication) and the gateway on 127.0.0.1 on a free port, without systemd or containers
# (about 30 s), creates one S3 user, exports S4_TEST_S3_ENDPOINT, S4_TEST_S3_ACCESS_KEY and
# S4_TEST_S3_SECRET_KEY (with-postgres.sh keeps them instead of starting its embedded
# upstream), runs CMD, then stops the daemons it started (by PID) and removes the dir.
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: with-ceph-rgw.sh CMD [ARGS...]" >&2; exit 2; }

log() { printf '[ceph-rgw %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

missing=()
for pkg in ceph-mon ceph-osd radosgw ceph-common uuid-runtime; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dir=$(mktemp -d /tmp/s4-ceph.XXXXXX)
conf=$dir/ceph.conf
pids=()
cleanup() {
    local pid
    # Gateway first, monitor last; each by the PID this script started.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[$i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mon_port=$(free_port)
mon_v1_port=$(free_port)
rgw_port=$(free_port)
rgw=client.rgw.s4test
mkdir -p "$dir"/{log,run,crash,mon/ceph-a,osd/ceph-0,rgw}
cat >"$conf" <<EOF
[global]
fsid = $(uuidgen)
mon initial members = a
mon host = [v2:127.0.0.1:$mon_port,v1:127.0.0.1:$mon_v1_port]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
crash dir = $dir/crash
log to stderr = false
# One OSD, no replication.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
[mon]
mon data = $dir/mon/\$cluster-\$id
mon data avail warn = 2
mon data avail crit = 1
[osd]
osd data = $dir/osd/\$cluster-\$id
keyring = $dir/osd/\$cluster-\$id/keyring
osd objectstore = bluestore
bluestore block create = true
# A sparse file: only what the tests write takes disk.
bluestore block size = $((4 << 30))
bluestore fsck on mkfs = false
osd memory target = 939524096
osd op num shards = 2
osd op num threads per shard = 2
[$rgw]
# tcp_nodelay: without it small answers stall ~40 ms (Nagle and delayed ACKs).
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $dir/rgw
EOF

ceph_() { timeout 30 ceph -c "$conf" --connect-timeout 10 "$@"; }
spawn() {
    setsid "$@" </dev/null >>"$dir/log/daemons.out" 2>&1 &
    pids+=($!)
}
wait_for() { # DESCRIPTION COMMAND...
    local what=$1 pid
    shift
    for _ in $(seq 1 180); do
        "$@" >/dev/null 2>&1 && return
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir"/log/*.log >&2; die "a daemon died waiting for $what"; }
        done
        sleep 1
    done
    die "timed out waiting for $what"
}

log "bootstrapping a single-node Ceph in $dir"
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$dir/keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/keyring" --gen-key -n "$rgw" \
    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
monmaptool --create --fsid "$(sed -n 's/^fsid = //p' "$conf")" \
    --addv a "[v2:127.0.0.1:$mon_port,v1:127.0.0.1:$mon_v1_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >>"$dir/log/mkfs.out" 2>&1
spawn ceph-mon -f -c "$conf" -i a
wait_for "the monitor" ceph_ mon stat

osd_uuid=$(uuidgen)
osd_secret=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}\n' "$osd_secret" >"$dir/osd/new.json"
[ "$(ceph_ osd new "$osd_uuid" -i "$dir/osd/new.json")" = 0 ] || die "expected OSD id 0"
ceph-osd -c "$conf" -i 0 --mkfs --key "$osd_secret" --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.out" 2>&1
printf '[osd.0]\n\tkey = %s\n' "$osd_secret" >"$dir/osd/ceph-0/keyring"
spawn ceph-osd -f -c "$conf" -i 0
wait_for "the OSD" bash -c "timeout 30 ceph -c '$conf' osd stat -f json | grep -q '\"num_up_osds\":1'"

# The gateway creates its pools lazily, stalling its first requests ~2 s each.
for pool in default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    ceph_ osd pool create "$pool" 8 8 >/dev/null 2>&1
    ceph_ osd pool application enable "$pool" rgw >/dev/null 2>&1 || true
done
spawn radosgw -f -c "$conf" -n "$rgw"
wait_for "the gateway" curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$rgw_port/"

export S4_TEST_S3_ACCESS_KEY=AKIACEPHRGWTEST00001 S4_TEST_S3_SECRET_KEY=cephrgwtestsecretcephrgwtestsecretcephrg
timeout 60 radosgw-admin -c "$conf" user create --uid=s4test --display-name=s4test \
    --access-key="$S4_TEST_S3_ACCESS_KEY" --secret-key="$S4_TEST_S3_SECRET_KEY" >/dev/null
export S4_TEST_S3_ENDPOINT="http://127.0.0.1:$rgw_port"
log "Ceph RGW $(radosgw --version | awk '{print $3}') on $S4_TEST_S3_ENDPOINT"
"$@"
