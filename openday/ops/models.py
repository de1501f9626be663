"""Records of the unattended half: housekeeping runs, schedule slots and worker heartbeats.

All of it lives in the database, so it holds with several workers and app nodes, and the
status page (/staff/status/) and /api/v1/health read the same facts the workers write.
"""

from django.db import models


class HousekeepingRun(models.Model):
    """One run of housekeeping: when, who started it, and each step's outcome."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "定时"
        COMMAND = "command", "命令"
        TASK = "task", "后台任务"

    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    host = models.CharField(max_length=128, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # None while running (or when the process died mid-run); False when any step failed.
    ok = models.BooleanField(null=True)
    # [{"name", "label", "ok", "counts", "error", "started_at", "seconds"}], written after
    # each step, so a run cut short still shows what it did.
    steps = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-started_at"], name="housekeeping_run_recent")]

    def __str__(self) -> str:
        return f"housekeeping {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def failed_steps(self) -> list[str]:
        return [step["name"] for step in self.steps if not step.get("ok")]


class ScheduleSlot(models.Model):
    """A job the workers run on a clock; the worker whose conditional update moves
    next_run_at on owns that run, so with any number of workers it runs once."""

    name = models.CharField(max_length=32, primary_key=True)
    next_run_at = models.DateTimeField()
    last_claimed_at = models.DateTimeField(null=True, blank=True)
    last_claimed_by = models.CharField(max_length=64, blank=True)
    # A lease for the run itself, so a run started by hand and a scheduled one never overlap.
    running_until = models.DateTimeField(null=True, blank=True)
    running_by = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A live worker writes seen_at every few seconds; a task RUNNING under a worker that
    stopped beating is run again (tasks are idempotent)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=128, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The task being run now, if any (its DBTaskResult id).
    current_task = models.CharField(max_length=64, blank=True)
    # The last database error this worker met and recovered from, for the status page.
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class RateCounter(models.Model):
    """How many times a key (a limit and a hashed phone, address or code) was counted in one
    fixed window; ops.ratelimit increments it with one upsert. Rows of past windows are
    deleted by housekeeping."""

    key = models.CharField(max_length=96)
    window_start = models.BigIntegerField()  # Unix time of the window's start
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")
        ]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.count}"


class PageVersion(models.Model):
    """The version of one scope of public data ("event:12", "campaigns", "board", "site"…).

    openday.lib.pagecache bumps it (an atomic UPDATE … SET version = version + 1, or the first
    INSERT) after a change commits; cached public pages and API ETags carry the versions they
    were made from. It lives in the database so that every app node sees the same versions."""

    key = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.version}"


class Rollup(models.Model):
    """Figures too heavy to count on every request (a province's evaluation, its opinion
    figures): counted once, kept here with when and from which data versions, and refreshed
    by the worker (openday.ops.rollups). Rows exist only for counts that took long; light
    ones are counted on each request."""

    key = models.CharField(max_length=40, primary_key=True)  # sha1 of the kind and its key
    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict)  # what the kind's count needs
    # The counted value, pickled (fractions, decimals and tuples come back as they were).
    # Written only by this application's code, like the cache's values.
    value = models.BinaryField(null=True)
    versions = models.JSONField(default=dict)  # lib.pagecache versions read before counting
    computed_at = models.DateTimeField(null=True, blank=True)
    took_ms = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField()
    # A reader found it out of date; the worker refreshes these first.
    wanted_at = models.DateTimeField(null=True, blank=True)
    # The refresher's lease, so two workers never count the same row at once.
    refreshing_until = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["read_at"], name="rollup_read")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key[:8]}"
