"""The facts an operator needs about the unattended half, for /staff/status/ and /api/v1/health.

gather() reads them; problems() turns them into the sentences shown at the top of the page.
Each fact is read on its own: a part that cannot be read (the cache server is down) is
reported as such, and the rest is still shown.
"""

import shutil
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

from .housekeeping import LABELS, describe_counts, last_run
from .models import ScheduleSlot, WorkerHeartbeat

# Thresholds for the warnings (the status page explains them).
MESSAGE_DELAY_WARN = timedelta(minutes=10)
DISK_FREE_WARN_BYTES = 1024**3
DISK_FREE_WARN_SHARE = 0.05


def _database():
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        ok = True
    except Exception:
        ok = False
    latency = round((time.perf_counter() - started) * 1000, 2)
    return {"ok": ok, "vendor": connection.vendor, "latency_ms": latency}


def _cache():
    from django.core.cache import cache

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    shared = "Redis" in backend or "Database" in backend or "Memcache" in backend
    try:
        key = "openday:status:probe"
        cache.set(key, 1, 10)
        ok = cache.get(key) == 1
    except Exception:
        ok = False
    return {"ok": ok, "backend": backend, "shared": shared}


def _disk():
    path = settings.VAR_DIR
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return {"ok": False, "free_bytes": None, "total_bytes": None, "path": str(path)}
    low = usage.free < DISK_FREE_WARN_BYTES or usage.free < usage.total * DISK_FREE_WARN_SHARE
    return {"ok": not low, "free_bytes": usage.free, "total_bytes": usage.total, "path": str(path)}


def _housekeeping(now):
    run = last_run()
    slot = ScheduleSlot.objects.filter(name="housekeeping").first()
    facts = {
        "last_run": None,
        "next_run_at": slot.next_run_at if slot else None,
        "running": bool(slot and slot.running_until and slot.running_until > now),
        "every_minutes": settings.OPENDAY_HOUSEKEEPING_MINUTES,
    }
    if run is not None:
        facts["last_run"] = {
            "id": run.pk,
            "trigger": run.trigger,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "ok": run.ok,
            "failed_steps": run.failed_steps,
            "steps": [
                {
                    "name": s["name"],
                    "label": LABELS.get(s["name"], s.get("label", s["name"])),
                    "ok": s.get("ok", False),
                    "counts": s.get("counts"),
                    "counts_text": describe_counts(s.get("counts")),
                    "error": s.get("error", ""),
                    "seconds": s.get("seconds"),
                }
                for s in run.steps
            ],
        }
    return facts


def _tasks(now):
    from django_tasks_db.models import DBTaskResult

    by_status = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    oldest_ready = DBTaskResult.objects.ready().aggregate(t=Min("enqueued_at"))["t"]
    day_ago = now - timedelta(days=1)
    failed = DBTaskResult.objects.failed().filter(finished_at__gte=day_ago)
    return {
        "ready": by_status.get("READY", 0),
        "running": by_status.get("RUNNING", 0),
        "failed": by_status.get("FAILED", 0),
        "failed_last_day": failed.count(),
        "oldest_ready_seconds": round((now - oldest_ready).total_seconds())
        if oldest_ready
        else None,
        "recent_failures": [
            {
                "id": str(t.id),
                "task": t.task_path.rsplit(".", 1)[-1],
                "finished_at": t.finished_at,
                "error": t.exception_class_path.rsplit(".", 1)[-1],
            }
            for t in failed.order_by("-finished_at")[:10]
        ],
    }


def _workers(now):
    from .worker import live_workers

    live = list(live_workers(now))
    recent = WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(days=1))
    return {
        "live": len(live),
        "list": [
            {
                "host": w.host,
                "pid": w.pid,
                "started_at": w.started_at,
                "seen_at": w.seen_at,
                "alive": w in live,
                "stopped_at": w.stopped_at,
                "current_task": w.current_task,
                "last_error": w.last_error,
                "last_error_at": w.last_error_at,
            }
            for w in recent.order_by("-seen_at")[:20]
        ],
    }


def _messages(now):
    from openday.messaging.models import OutboundMessage
    from openday.messaging.services import outbox_figures

    failed = OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED)
    return {
        "channels": outbox_figures(now),
        "recent_failures": [
            {
                "id": m.pk,
                "channel": m.get_channel_display(),
                "to": m.to_masked,
                "created_at": m.created_at,
                "attempts": m.attempts,
                "error": m.error,
            }
            for m in failed.order_by("-created_at")[:20]
        ],
    }


def _rollups(now):
    from .rollups import status

    return status(now)


def _part(read, *args):
    try:
        return read(*args)
    except Exception as exc:  # one unreadable part must not hide the others
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def gather(now=None):
    now = now or timezone.now()
    database = _database()
    facts = {"checked_at": now, "database": database, "cache": _cache(), "disk": _disk()}
    if database["ok"]:
        facts["housekeeping"] = _part(_housekeeping, now)
        facts["tasks"] = _part(_tasks, now)
        facts["workers"] = _part(_workers, now)
        facts["messages"] = _part(_messages, now)
        facts["rollups"] = _part(_rollups, now)
    facts["problems"] = problems(facts, now)
    return facts


def problems(facts, now):
    """What an operator should look at, in Chinese, most serious first."""
    out = []
    if not facts["database"]["ok"]:
        return ["数据库无法连接。"]
    if not facts["cache"]["ok"]:
        out.append("缓存服务器无法连接（登录限制等共享状态受影响）。")
    workers = facts.get("workers", {})
    if workers.get("live") == 0:
        out.append("没有正在运行的后台任务进程（openday worker）：消息不会发出，例行维护不会执行。")
    hk = facts.get("housekeeping", {})
    run = hk.get("last_run")
    every = hk.get("every_minutes") or 60
    if run is None:
        out.append("例行维护还没有运行过。")
    else:
        if run["ok"] is False:
            names = "、".join(LABELS.get(n, n) for n in run["failed_steps"])
            out.append(f"最近一次例行维护有步骤失败：{names}。")
        if run["started_at"] < now - timedelta(minutes=2 * every + 5):
            out.append("例行维护已超过两个周期没有运行。")
    for channel in facts.get("messages", {}).get("channels", {}).values():
        age = channel["oldest_unsent_seconds"]
        if age is not None and age > MESSAGE_DELAY_WARN.total_seconds():
            out.append(f"有{channel['label']}等待发送已超过 {age // 60} 分钟。")
        if channel["failed"]:
            out.append(f"有 {channel['failed']} 条{channel['label']}发送失败。")
    if facts.get("tasks", {}).get("failed_last_day"):
        out.append(f"最近一天有 {facts['tasks']['failed_last_day']} 个后台任务失败。")
    rollups = facts.get("rollups", {})
    if rollups.get("failed"):
        out.append(f"有 {len(rollups['failed'])} 份统计快照更新失败（页面仍显示上一次的结果）。")
    if (rollups.get("oldest_seconds") or 0) > 3 * (rollups.get("refresh_seconds") or 300):
        out.append("统计快照已超过三个周期没有更新：请检查后台任务进程。")
    if not facts["disk"]["ok"]:
        out.append("数据目录所在磁盘剩余空间不足。")
    return out


def public_health(facts):
    """The subset of the facts /api/v1/health shows to anyone: figures, no hosts or errors."""
    body = {
        "status": "error"
        if not facts["database"]["ok"]
        else ("degraded" if facts["problems"] else "ok"),
        "database": facts["database"],
        "cache": {"ok": facts["cache"]["ok"], "shared": facts["cache"]["shared"]},
        "disk": {"ok": facts["disk"]["ok"], "free_bytes": facts["disk"]["free_bytes"]},
        "problems": facts["problems"],
    }
    if "housekeeping" in facts and "error" not in facts["housekeeping"]:
        run = facts["housekeeping"]["last_run"]
        body["housekeeping"] = {
            "last_run_at": run["started_at"] if run else None,
            "finished_at": run["finished_at"] if run else None,
            "ok": run["ok"] if run else None,
            "failed_steps": run["failed_steps"] if run else [],
            "steps": {s["name"]: s["ok"] for s in run["steps"]} if run else {},
            "next_run_at": facts["housekeeping"]["next_run_at"],
        }
    if "tasks" in facts and "error" not in facts["tasks"]:
        t = facts["tasks"]
        body["tasks"] = {
            k: t[k]
            for k in ("ready", "running", "failed", "failed_last_day", "oldest_ready_seconds")
        }
    if "workers" in facts and "error" not in facts["workers"]:
        body["workers"] = {"live": facts["workers"]["live"]}
    if "messages" in facts and "error" not in facts["messages"]:
        body["messages"] = {
            channel: {k: v for k, v in figures.items() if k != "label"}
            for channel, figures in facts["messages"]["channels"].items()
        }
    if "rollups" in facts and "error" not in facts["rollups"]:
        r = facts["rollups"]
        body["rollups"] = {
            "kept": r["kept"],
            "oldest_seconds": r["oldest_seconds"],
            "failed": len(r["failed"]),
        }
    return body
