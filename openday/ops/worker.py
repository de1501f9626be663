"""`openday worker`: the django-tasks database worker, made to survive and to keep the clock.

Beside the task loop (django_tasks_db's Worker, in the main thread) the process runs two
threads, each with its own database connection:
- the outbox: messaging.services.deliver_due every second, so a message leaves within
  seconds of its commit;
- the keeper: a heartbeat every few seconds (WorkerHeartbeat), the hourly housekeeping
  (claimed by one worker per period, see housekeeping.claim_scheduled_run), and putting
  back tasks that were RUNNING when their worker died.
A database error in any loop (the server restarting, SQLite locked by a long import) is
logged and recorded on the heartbeat, and the loop waits with a growing delay and tries
again; it never ends the process. A task cut short by such an error is put back in the queue.
"""

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections, connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from openday.audit import context

from .models import WorkerHeartbeat

log = logging.getLogger("openday.worker")

# A task claimed this many times (its worker died each time) is not tried again.
MAX_CLAIMS = 5

_POOL_ERRORS: tuple[type[Exception], ...]
try:  # the pool's own errors (PoolTimeout "couldn't get a connection") are not Django's
    from psycopg_pool import PoolTimeout

    _POOL_ERRORS = (PoolTimeout,)
except ImportError:  # pragma: no cover - psycopg is a requirement
    _POOL_ERRORS = ()

DB_ERRORS = (DatabaseError, InterfaceError, *_POOL_ERRORS)


def _close_connection():
    try:
        connection.close()
    except Exception:
        log.debug("closing a broken connection", exc_info=True)


class Backoff:
    """1, 2, 4 … up to `most` seconds between tries after consecutive failures."""

    def __init__(self, most: float = 30.0):
        self.most = most
        self.failures = 0

    def failed(self) -> float:
        self.failures += 1
        return min(2 ** (self.failures - 1), self.most)

    def ok(self) -> None:
        self.failures = 0


def requeue_lost_tasks(now: datetime | None = None) -> int:
    """Put back in the queue tasks RUNNING under a worker that stopped beating.

    A worker is gone when its heartbeat is older than OPENDAY_WORKER_LOST_SECONDS. A task
    whose worker never wrote a heartbeat (an old-style db_worker) is put back once it has run
    longer than OPENDAY_TASK_TIMEOUT_MINUTES. Tasks are idempotent, so running one again is
    safe; one whose workers died MAX_CLAIMS times is marked failed instead."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lost_after = timedelta(seconds=settings.OPENDAY_WORKER_LOST_SECONDS)
    timeout = timedelta(minutes=settings.OPENDAY_TASK_TIMEOUT_MINUTES)
    beats = dict(WorkerHeartbeat.objects.values_list("worker_id", "seen_at"))
    stopped = set(
        WorkerHeartbeat.objects.exclude(stopped_at=None).values_list("worker_id", flat=True)
    )
    requeued = 0
    for task in DBTaskResult.objects.running().only("id", "worker_ids", "started_at"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        seen = beats.get(worker)
        if seen is not None:
            lost = worker in stopped or seen < now - lost_after
        else:
            lost = task.started_at is None or task.started_at < now - timeout
        if not lost:
            continue
        mine = DBTaskResult.objects.filter(pk=task.pk, status="RUNNING", started_at=task.started_at)
        if len(task.worker_ids) >= MAX_CLAIMS:
            done = mine.update(
                status="FAILED",
                finished_at=now,
                exception_class_path="openday.ops.worker.WorkerLost",
                traceback=f"该任务的后台进程已中断 {len(task.worker_ids)} 次，不再重试。",
            )
            log.error("task %s lost its worker %s times; marked failed", task.pk, MAX_CLAIMS)
        else:
            done = mine.update(status="READY", started_at=None)
            if done:
                log.warning("task %s ran under lost worker %s; queued again", task.pk, worker)
                requeued += 1
    return requeued


class OpendayWorker(Worker):
    """The library's worker with a heartbeat, the outbox and the clock, and no exit on a
    database error."""

    def __init__(self, *, deliver=True, clock=True, **kwargs):
        super().__init__(**kwargs)
        self.deliver = deliver
        self.clock = clock
        self.stopping = threading.Event()
        self.current_task = ""
        self.threads = []
        self._next_keep = 0.0
        self.last_error = None

    # --- the task loop ---------------------------------------------------------------

    def run(self):
        self._beat(started=True)
        self._start_threads()
        backoff = Backoff()
        try:
            while self.running:
                try:
                    super().run()  # returns in --batch / --max-tasks mode
                    return
                except DB_ERRORS as exc:
                    wait = backoff.failed()
                    log.error("database error in the task loop (%s); retry in %s s", exc, wait)
                    self._note_error(exc)
                    _close_connection()
                    self._sleep(wait)
                    self._put_back_interrupted()
        finally:
            self.stop()

    def run_task(self, db_task_result):
        self.current_task = str(db_task_result.id)
        try:
            # Audit entries the task writes without a person name the task (audit/context.py).
            task = db_task_result.task_path.rsplit(".", 1)[-1]
            with context.bound(origin=f"任务：{task}"):
                super().run_task(db_task_result)
        finally:
            self.current_task = ""

    def _put_back_interrupted(self):
        """The task running when the database went away never recorded its end: queue it again."""
        from django_tasks_db.models import DBTaskResult

        try:
            for task in DBTaskResult.objects.running().only("id", "worker_ids"):
                if task.worker_ids and task.worker_ids[-1] == self.worker_id:
                    DBTaskResult.objects.filter(pk=task.pk, status="RUNNING").update(
                        status="READY", started_at=None
                    )
                    log.warning("task %s was cut short by a database error; queued again", task.pk)
        except DB_ERRORS:
            _close_connection()  # still down: the keeper's lost-task check will do it later

    def _sleep(self, seconds):
        if self.running:
            self.stopping.wait(seconds)

    def shutdown(self, signum, frame):
        self.stopping.set()
        super().shutdown(signum, frame)  # run()'s finally clause calls stop()

    def stop(self):
        """Let the outbox finish the messages it holds (none waits for its lease to lapse)."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=15)
        self._beat(stopped=True)

    # --- the side loops --------------------------------------------------------------

    def _start_threads(self):
        if self.deliver:
            self.threads.append(self._thread("outbox", self._outbox_loop))
        self.threads.append(self._thread("keeper", self._keeper_loop))
        if self.clock:
            self.threads.append(self._thread("rollups", self._rollup_loop))

    def _thread(self, name, target):
        thread = threading.Thread(target=self._guarded(name, target), name=name, daemon=True)
        thread.start()
        return thread

    def _guarded(self, name, target):
        def loop():
            context.update(origin=f"后台：{name}")  # this thread's own audit context
            backoff = Backoff()
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    idle = target()
                    backoff.ok()
                    if idle:
                        self.stopping.wait(idle)
                except DB_ERRORS as exc:
                    wait = backoff.failed()
                    log.error("database error in %s (%s); retrying in %s s", name, exc, wait)
                    self._note_error(exc)
                    _close_connection()
                    self.stopping.wait(wait)
                except Exception as exc:
                    wait = backoff.failed()
                    log.exception("%s failed; retrying in %s s", name, wait)
                    self._note_error(exc)
                    self.stopping.wait(wait)
            _close_connection()

        return loop

    def _outbox_loop(self):
        """One round of delivery; returns how long to wait before the next (0 when busy)."""
        from openday.messaging.services import deliver_due

        counts = deliver_due()
        return 0 if counts["claimed"] else settings.OPENDAY_DELIVERY_POLL_SECONDS

    def _rollup_loop(self):
        """Recount the heavy figures that are due (ops.rollups); 0 when there may be more."""
        from .rollups import refresh_due

        counts = refresh_due()
        busy = counts["refreshed"] + counts["failed"] + counts["dropped"]
        return 0 if busy else settings.OPENDAY_ROLLUP_POLL_SECONDS

    def _keeper_loop(self):
        from .housekeeping import claim_scheduled_run, housekeeping_every
        from .tasks import housekeeping

        now = time.monotonic()
        self._beat()
        if now >= self._next_keep:
            # The clock and the lost-task check every third beat.
            self._next_keep = now + 3 * settings.OPENDAY_WORKER_HEARTBEAT_SECONDS
            every = housekeeping_every()
            if self.clock and every and claim_scheduled_run(self.worker_id, every):
                housekeeping.enqueue(trigger="schedule")
                log.info("housekeeping queued by worker %s", self.worker_id)
            requeue_lost_tasks()
        return settings.OPENDAY_WORKER_HEARTBEAT_SECONDS

    def _beat(self, started=False, stopped=False):
        now = timezone.now()
        fields = {"seen_at": now, "current_task": self.current_task}
        noted = self.last_error
        if noted:
            fields.update(last_error=noted[0], last_error_at=noted[1])
        if stopped:
            fields["stopped_at"] = now
        try:
            if started:
                host = socket.gethostname()[:128]
                fields.update(host=host, pid=os.getpid(), started_at=now, stopped_at=None)
                WorkerHeartbeat.objects.update_or_create(worker_id=self.worker_id, defaults=fields)
            else:
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(**fields)
            if noted is self.last_error:
                self.last_error = None
        except DB_ERRORS:
            if started or stopped:
                log.warning("could not write the heartbeat", exc_info=True)
                _close_connection()
            else:
                raise

    def _note_error(self, exc):
        """Remember the error; the next heartbeat that reaches the database records it."""
        self.last_error = (f"{type(exc).__name__}: {exc}"[:300], timezone.now())


def live_workers(now: datetime | None = None) -> QuerySet[WorkerHeartbeat]:
    now = now or timezone.now()
    fresh = now - timedelta(seconds=settings.OPENDAY_WORKER_LOST_SECONDS)
    return WorkerHeartbeat.objects.filter(Q(stopped_at=None), seen_at__gte=fresh)
