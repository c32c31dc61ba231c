"""`ensure`, the client scenarios' check: unlike `assert`, it is not stripped when Python runs
with -O or PYTHONOPTIMIZE, so a scenario can never pass because its checks were removed.
`run_scenarios`, the one runner of every scenario file: it fails when a scenario failed and
when none ran."""

import traceback


class CheckFailed(AssertionError):
    """A scenario's check did not hold."""


def ensure(condition, message="check failed"):
    """Raises CheckFailed(message) unless condition is true."""
    if not condition:
        raise CheckFailed(message)


def run_scenarios(scenarios):
    """Runs each scenario function in order, reporting every failure and going on; prints the
    closing "N passed, N failed" line. Returns the exit status: 1 when a scenario failed or
    when none passed (an empty file must not pass), else 0."""
    passed = failed = 0
    for fn in scenarios:
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    if not passed:
        print("FAIL: no scenario passed (none ran)")
    return 1 if failed or not passed else 0
