"""Housekeeping: the hourly clean-up, reminders and retention work, as independent steps.

Each step runs on its own: a step that raises is logged and recorded with its error, and
the steps after it still run. Steps that touch many rows commit in batches (see
lib.personal_data.erase_in_batches); the rest run in one transaction each. Every run is a
HousekeepingRun row, written after each step, which the status page and /api/v1/health read.
Runs never overlap: a run holds the "housekeeping" slot's lease (a conditional update), and a
second one started meanwhile (by hand, or by a worker whose clock disagrees) does nothing.
"""

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import HousekeepingRun, ScheduleSlot, WorkerHeartbeat

log = logging.getLogger("openday.housekeeping")

SLOT = "housekeeping"
# A run that takes longer than this is assumed dead, and the next one may start.
LEASE = timedelta(hours=2)


# What a step returns: how many rows it handled, or such figures by name.
Counts = dict[str, int] | int


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # shown to operators
    run: Callable[[], Counts]
    # False for steps that commit in batches themselves (millions of rows must not sit in
    # one transaction); True wraps the step in one.
    atomic: bool = True


def _sessions() -> int:
    from django.contrib.sessions.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def _login_throttles() -> int:
    from openday.accounts.models import LoginThrottle

    day_ago = timezone.now() - timedelta(days=1)
    # A row matters while it locks or while its failure window is open; a day covers both.
    deleted, _ = (
        LoginThrottle.objects.filter(Q(locked_until=None) | Q(locked_until__lt=day_ago))
        .filter(Q(first_failure_at=None) | Q(first_failure_at__lt=day_ago))
        .delete()
    )
    return deleted


def _task_results() -> int:
    from django_tasks_db.models import DBTaskResult

    # Finished task results are kept a week for inspection, then dropped.
    week_ago = timezone.now() - timedelta(days=7)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=week_ago).delete()
    return deleted


def _service(path: str) -> Callable[[], Counts]:
    """A step that calls one service function, imported when the step runs (the apps are
    loaded by then, and an import error fails that step alone)."""

    def run() -> Counts:
        return import_string(path)()

    return run


def _messages() -> int:
    from openday.messaging.services import deliver_all_due

    # The worker's outbox loop sends messages within seconds; this catches up where no
    # worker runs (housekeeping started from cron) and is harmless beside one (claims).
    return deliver_all_due(limit=5000)


def _old_records() -> dict[str, int]:
    now = timezone.now()
    runs, _ = HousekeepingRun.objects.filter(started_at__lt=now - timedelta(days=90)).delete()
    workers, _ = WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=7)).delete()
    return {"runs": runs, "workers": workers}


STEPS = [
    Step("sessions", "清理过期会话", _sessions),
    Step("login_throttles", "清理登录限制记录", _login_throttles),
    Step("task_results", "清理 7 天前的后台任务结果", _task_results),
    Step("lost_tasks", "重新排队中断的后台任务", _service("openday.ops.worker.requeue_lost_tasks")),
    Step(
        "declaration_reminders",
        "申报截止提醒",
        _service("openday.campaigns.services.send_due_reminders"),
    ),
    Step(
        "event_reminders",
        "活动前一天提醒",
        _service("openday.events.services.send_day_before_reminders"),
    ),
    Step(
        "survey_answers_expanded",
        "展开问卷答卷",
        _service("openday.surveys.services.expand_pending"),
        atomic=False,
    ),
    Step(
        "opinion_reminders",
        "意见办理提醒和督办",
        _service("openday.opinions.services.remind_and_escalate"),
    ),
    Step(
        "anonymize_events",
        "匿名化过期活动的报名和邀请",
        _service("openday.events.services.anonymize_past_events"),
        atomic=False,
    ),
    Step(
        "anonymize_survey_answers",
        "匿名化过期的实名答卷",
        _service("openday.surveys.services.anonymize_old_responses"),
        atomic=False,
    ),
    Step(
        "anonymize_opinions",
        "匿名化办结已久的意见建议",
        _service("openday.opinions.services.anonymize_closed_opinions"),
        atomic=False,
    ),
    Step(
        "message_recipients",
        "删除过期消息的收件人",
        _service("openday.messaging.services.forget_old_recipients"),
        atomic=False,
    ),
    Step("messages", "补发未发出的消息", _messages, atomic=False),
    Step(
        "rollups",
        "更新统计快照、删除久未查看的",
        _service("openday.ops.rollups.housekeeping"),
        atomic=False,  # each recount on its own (ops.rollups.refresh_due)
    ),
    Step("rate_counters", "清理过期的频率限制计数", _service("openday.ops.ratelimit.forget_old")),
    Step("old_records", "清理 90 天前的运行记录", _old_records),
]
LABELS = {step.name: step.label for step in STEPS}
# The names of figures in a step's counts, as operators read them.
COUNT_LABELS = {
    "reminded": "提醒",
    "escalated": "督办",
    "opinions": "意见",
    "callbacks": "回访记录",
    "runs": "运行记录",
    "workers": "进程记录",
    "refreshed": "已更新",
    "failed": "失败",
    "dropped": "已失效",
    "forgotten": "已删除",
}


def describe_counts(counts: Counts | None) -> str:
    """A step's counts as a line of Chinese: "提醒 0，督办 3" or "12"."""
    if counts is None:
        return "—"
    if isinstance(counts, dict):
        return "，".join(f"{COUNT_LABELS.get(k, k)} {v}" for k, v in counts.items())
    return str(counts)


def _acquire(owner: str, now: datetime) -> bool:
    ScheduleSlot.objects.get_or_create(name=SLOT, defaults={"next_run_at": now})
    free = Q(running_until=None) | Q(running_until__lt=now)
    return bool(
        ScheduleSlot.objects.filter(free, name=SLOT).update(
            running_until=now + LEASE, running_by=owner
        )
    )


def _release(owner: str) -> None:
    ScheduleSlot.objects.filter(name=SLOT, running_by=owner).update(
        running_until=None, running_by=""
    )


def run_step(step: Step) -> dict[str, Any]:
    """Run one step; never raises. Returns its record for the run's steps list."""
    started = timezone.now()
    clock = time.monotonic()
    record: dict[str, Any] = {
        "name": step.name,
        "label": step.label,
        "started_at": started.isoformat(),
    }
    try:
        if step.atomic:
            with transaction.atomic():
                counts = step.run()
        else:
            counts = step.run()
        record.update(ok=True, counts=counts, error="")
    except Exception as exc:
        log.exception("housekeeping step %s failed", step.name)
        record.update(
            ok=False,
            counts=None,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            traceback="".join(traceback.format_exception(exc))[-4000:],
        )
    record["seconds"] = round(time.monotonic() - clock, 3)
    return record


def run_housekeeping(
    trigger: str = HousekeepingRun.Trigger.COMMAND, steps: list[Step] | None = None
) -> HousekeepingRun | None:
    """Run every step once, recording the run; None when another run holds the lease."""
    steps = STEPS if steps is None else steps
    now = timezone.now()
    owner = f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"[:64]
    if not _acquire(owner, now):
        log.info("housekeeping is already running elsewhere; skipped")
        return None
    try:
        run = HousekeepingRun.objects.create(
            trigger=trigger, host=socket.gethostname()[:128], pid=os.getpid(), started_at=now
        )
        for step in steps:
            run.steps.append(run_step(step))
            run.save(update_fields=["steps"])
        run.finished_at = timezone.now()
        run.ok = not run.failed_steps
        run.save(update_fields=["finished_at", "ok"])
        if run.ok:
            log.info("housekeeping run %s done in %s steps", run.pk, len(run.steps))
        else:
            log.error("housekeeping run %s: failed steps %s", run.pk, ", ".join(run.failed_steps))
        return run
    finally:
        _release(owner)


def claim_scheduled_run(worker_id: str, every: timedelta, now: datetime | None = None) -> bool:
    """True for exactly one caller per period, however many workers ask at once.

    The caller that moves next_run_at on (a conditional update) owns this period's run."""
    now = now or timezone.now()
    ScheduleSlot.objects.get_or_create(name=SLOT, defaults={"next_run_at": now})
    return bool(
        ScheduleSlot.objects.filter(name=SLOT, next_run_at__lte=now).update(
            next_run_at=now + every, last_claimed_at=now, last_claimed_by=worker_id[:64]
        )
    )


def housekeeping_every() -> timedelta | None:
    minutes = settings.OPENDAY_HOUSEKEEPING_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


def last_run() -> HousekeepingRun | None:
    return HousekeepingRun.objects.order_by("-started_at", "-id").first()
