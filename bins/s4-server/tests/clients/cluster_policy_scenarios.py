"""policy_scenarios.py against a cluster of s4-server processes behind a load balancer.

Every server caches compiled bucket policies, kept coherent across processes by PostgreSQL
notifications: a PutBucketPolicy or DeleteBucketPolicy served by one process is in force on the
others once its notification arrives (milliseconds on loopback; docs/scale-out.md, "Consistency
and caches"). On one server the scenarios expect a policy change to apply to the next request;
here each policy change through awscli is followed by a wait of 0.5 s (printed), well above that
bound, after which every process must apply it: the scenarios' assertions are unchanged.

Run by run.sh when S4_CLIENTS_CLUSTER=1 (set by .ci/cluster-clients); same arguments and
output as policy_scenarios.py.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_scenarios  # noqa: E402

SETTLE_SECONDS = float(os.environ.get("S4_CLIENTS_POLICY_SETTLE_SECONDS", "0.5"))
POLICY_CHANGES = {"put-bucket-policy", "delete-bucket-policy"}
_aws = policy_scenarios.aws


def aws_then_settle(*args, **kwargs):
    proc = _aws(*args, **kwargs)
    if proc.returncode == 0 and POLICY_CHANGES.intersection(args):
        print(f"     (cluster: waiting {SETTLE_SECONDS:g} s for the policy change to reach every process after {' '.join(args[:2])})")
        time.sleep(SETTLE_SECONDS)
    return proc


policy_scenarios.aws = aws_then_settle

if __name__ == "__main__":
    print(
        f"policy scenarios against a cluster: each successful policy change is followed by a "
        f"{SETTLE_SECONDS:g} s wait (policy caches notified across processes, docs/scale-out.md)"
    )
    sys.exit(policy_scenarios.main())
