"""`ensure`, the client scenarios' check: unlike `assert`, it is not stripped when Python runs
with -O or PYTHONOPTIMIZE, so a scenario can never pass because its checks were removed."""


class CheckFailed(AssertionError):
    """A scenario's check did not hold."""


def ensure(condition, message="check failed"):
    """Raises CheckFailed(message) unless condition is true."""
    if not condition:
        raise CheckFailed(message)
