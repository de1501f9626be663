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
