"""Tasks that the worker tests run in a real worker process."""

import time
from pathlib import Path

from django_tasks import task


@task()
def slow_probe(folder):
    """Log its start, wait until the test says go, log its end (idempotent by design)."""
    path = Path(folder)
    with open(path / "log", "a") as log:
        log.write("start\n")
    while not (path / "go").exists():
        time.sleep(0.05)
    with open(path / "log", "a") as log:
        log.write("done\n")
    return "done"


@task()
def quick_probe(folder, name):
    with open(Path(folder) / "log", "a") as log:
        log.write(f"{name}\n")
    return name


@task()
def audit_probe():
    """Write one audit entry without an actor, as housekeeping's steps do."""
    from openday.audit.services import record

    record("test.probe")


def batch_worker(worker_id):
    """An OpendayWorker in this process that runs the queued tasks and returns (no outbox, no
    clock): for tests that need the worker's own task path without a second process."""
    from openday.ops.worker import OpendayWorker

    return OpendayWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        deliver=False,
        clock=False,
    )
