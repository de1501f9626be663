"""`openday worker` as a real process: it survives, it recovers, it keeps the clock."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from openday.ops.models import WorkerHeartbeat
from openday.ops.worker import OpendayWorker, requeue_lost_tasks
from tests import worker_probe
from tests.processes import (
    TcpProxy,
    child_env,
    database_env,
    start_worker,
    stop,
    wait_for,
    wait_for_other_sessions_to_end,
)

FAST = {
    "OPENDAY_WORKER_HEARTBEAT_SECONDS": "0.5",
    "OPENDAY_WORKER_LOST_SECONDS": "2",
    "OPENDAY_HOUSEKEEPING_MINUTES": "0",
}


@pytest.fixture(autouse=True)
def _sessions_end(request):
    yield
    if "transactional_db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        wait_for_other_sessions_to_end()


def _status(task_id):
    return DBTaskResult.objects.get(id=task_id).status


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_was_killed_runs_again_and_finishes_once(tmp_path):
    result = worker_probe.slow_probe.enqueue(str(tmp_path))
    env = child_env(**FAST)
    first = start_worker(tmp_path / "w1.log", env=env)
    try:
        wait_for(lambda: (tmp_path / "log").exists(), what="the task to start")
        assert _status(result.id) == "RUNNING"
    finally:
        stop(first, sig=9)  # killed mid-task: no chance to record anything
    second = start_worker(tmp_path / "w2.log", env=env)
    try:
        wait_for(
            lambda: (tmp_path / "log").read_text().count("start") == 2,
            60,
            what="the task to run again",
        )
        (tmp_path / "go").touch()
        wait_for(lambda: _status(result.id) == "SUCCESSFUL", 30, what="the task to finish")
    finally:
        stop(second)
    assert (tmp_path / "log").read_text().split() == ["start", "start", "done"]
    task = DBTaskResult.objects.get(id=result.id)
    assert len(task.worker_ids) == 2 and task.worker_ids[0] != task.worker_ids[1]
    assert "queued again" in (tmp_path / "w2.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_database_outage(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：用 TCP 代理模拟数据库重启（SQLite 的锁等待见下一个用例）")
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", db["PORT"] or 5432)
    env = child_env(**FAST, **database_env(host="127.0.0.1", port=proxy.port))
    worker = start_worker(tmp_path / "w.log", env=env)
    try:
        first = worker_probe.quick_probe.enqueue(str(tmp_path), "before")
        wait_for(lambda: _status(first.id) == "SUCCESSFUL", 30, what="the first task")
        proxy.pause()  # the database is gone for the worker
        during = worker_probe.quick_probe.enqueue(str(tmp_path), "during")
        wait_for(
            lambda: "database error" in (tmp_path / "w.log").read_text(),
            30,
            what="the worker to notice",
        )
        assert worker.poll() is None  # still alive
        proxy.resume()
        wait_for(lambda: _status(during.id) == "SUCCESSFUL", 60, what="the task after the outage")
        assert worker.poll() is None
        # The error is recorded once the database is back (shown on the status page).
        beat = wait_for(
            lambda: WorkerHeartbeat.objects.exclude(last_error="").first(),
            40,
            what="the heartbeat to record the error",
        )
        assert beat.last_error_at and "Error" in beat.last_error
    finally:
        stop(worker)
        proxy.pause()
    assert (tmp_path / "log").read_text().split() == ["before", "during"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_sqlite_locked_past_its_busy_timeout(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite 的写锁（PostgreSQL 的中断见上一个用例）")
    import sqlite3
    import time

    env = child_env(**FAST, OPENDAY_SQLITE_TIMEOUT="1")
    worker = start_worker(tmp_path / "w.log", env=env)
    try:
        first = worker_probe.quick_probe.enqueue(str(tmp_path), "before")
        wait_for(lambda: _status(first.id) == "SUCCESSFUL", 30, what="the first task")
        # A long import holds the write lock longer than the worker's busy timeout.
        blocker = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            wait_for(
                lambda: "database is locked" in (tmp_path / "w.log").read_text(),
                30,
                what="the worker to meet the lock",
            )
            time.sleep(2)
            assert worker.poll() is None  # still alive
        finally:
            blocker.rollback()
            blocker.close()
        after = worker_probe.quick_probe.enqueue(str(tmp_path), "after")
        wait_for(lambda: _status(after.id) == "SUCCESSFUL", 60, what="a task after the lock")
        assert worker.poll() is None
    finally:
        stop(worker)
    assert (tmp_path / "log").read_text().split() == ["before", "after"]


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_task_loop_is_retried_and_the_task_put_back(settings):
    """SQLite's "database is locked" past the busy timeout, or any lost connection."""
    settings.OPENDAY_WORKER_HEARTBEAT_SECONDS = 60
    result = worker_probe.quick_probe.enqueue("/nonexistent", "x")
    worker = worker_probe.batch_worker("w-test")
    calls = []
    original = OpendayWorker.__mro__[1].run

    def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            DBTaskResult.objects.filter(id=result.id).update(
                status="RUNNING", worker_ids=["w-test"]
            )
            raise OperationalError("database is locked")
        return original(self)

    with mock.patch.object(OpendayWorker.__mro__[1], "run", flaky), mock.patch("time.sleep"):
        worker._sleep = lambda seconds: None
        worker.run()
    assert len(calls) == 2  # it went on after the error
    task = DBTaskResult.objects.get(id=result.id)
    assert task.status == "FAILED"  # put back, then run (the folder does not exist)
    assert "FileNotFoundError" in task.exception_class_path or task.traceback


def test_tasks_of_a_worker_that_stopped_beating_are_queued_again(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.OPENDAY_WORKER_LOST_SECONDS = 60
    settings.OPENDAY_TASK_TIMEOUT_MINUTES = 30
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="alive", started_at=now, seen_at=now)
    WorkerHeartbeat.objects.create(
        worker_id="dead", started_at=now, seen_at=now - timedelta(seconds=61)
    )

    def running(worker, started=now, claims=1):
        r = worker_probe.quick_probe.enqueue("/tmp", worker)
        DBTaskResult.objects.filter(id=r.id).update(
            status="RUNNING", started_at=started, worker_ids=[worker] * claims
        )
        return r.id

    alive = running("alive")
    dead = running("dead")
    unknown_new = running("old-style", started=now - timedelta(minutes=5))
    unknown_old = running("old-style", started=now - timedelta(minutes=31))
    poison = running("dead", claims=5)
    assert requeue_lost_tasks() == 2
    assert [_status(i) for i in (alive, dead, unknown_new, unknown_old, poison)] == [
        "RUNNING",
        "READY",
        "RUNNING",
        "READY",
        "FAILED",
    ]
    assert requeue_lost_tasks() == 0
