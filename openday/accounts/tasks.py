from django_tasks import task


@task()
def housekeeping():
    """Kept so that tasks queued by versions before 2026-12 still run: housekeeping now lives
    in openday.ops (openday/ops/housekeeping.py)."""
    from openday.ops.tasks import housekeeping as current

    return current.call(trigger="task")
