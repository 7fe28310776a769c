"""Running background jobs in tests: in the test's own process and transaction, or waiting on a real worker."""

import time

from jobs.models import run_queued_here


def run_worker():
    """Run every queued task in this process, in the test's transaction."""
    run_queued_here("test-worker")


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")
