from django_tasks import task


@task()
def housekeeping(trigger="task"):
    """Run housekeeping once (the worker queues this every OPENDAY_HOUSEKEEPING_MINUTES)."""
    from .housekeeping import run_housekeeping

    run = run_housekeeping(trigger=trigger)
    if run is None:
        return {"skipped": "另一次清理正在运行"}
    return {"run": run.pk, "ok": run.ok, "failed_steps": run.failed_steps}
