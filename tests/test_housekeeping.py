"""Housekeeping as independent, recorded steps; the schedule claimed once per period."""

import threading
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from openday.accounts.models import LoginThrottle
from openday.audit.models import AuditEntry
from openday.events.models import Event, Registration
from openday.lib.personal_data import REMOVED_NAME
from openday.messaging.models import OutboundMessage
from openday.messaging.services import queue_message
from openday.opinions import services as opinions
from openday.opinions.models import Callback, Opinion
from openday.ops import housekeeping
from openday.ops.housekeeping import STEPS, Step, claim_scheduled_run, run_housekeeping
from openday.ops.models import HousekeepingRun, ScheduleSlot


def test_every_step_runs_and_the_run_is_recorded(world):
    old = timezone.now() - timedelta(days=3)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=old)
    LoginThrottle.objects.create(username="gone", first_failure_at=old)
    run = run_housekeeping()
    assert run.ok and run.finished_at and run.trigger == "command"
    assert [s["name"] for s in run.steps] == [s.name for s in STEPS]
    steps = {s["name"]: s for s in run.steps}
    assert steps["sessions"]["counts"] == 1 and steps["login_throttles"]["counts"] == 1
    assert HousekeepingRun.objects.get(pk=run.pk).steps == run.steps  # written to the database


def test_on_the_demo_it_succeeds_twice_and_old_events_hold_no_names_or_phones(
    db, capsys, monkeypatch
):
    # What `make run` loads, on a fixed day: the demo's history is last year, so whether an
    # event is past the 365-day retention would otherwise depend on the day the test runs.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    call_command("demo")
    call_command("housekeeping", "--now")
    first = capsys.readouterr().out
    assert "例行维护完成" in first and "[失败]" not in first
    call_command("housekeeping", "--now")  # raises CommandError on any failed step
    assert "[失败]" not in capsys.readouterr().out
    old = Event.objects.filter(ends_at__lt=timezone.now() - timedelta(days=365))
    assert old.exists() and not old.filter(personal_data_removed_at=None).exists()
    people = Registration.objects.filter(event__in=old)
    assert people.count() >= 2  # an event with two or more registrants, as in the bug report
    assert set(people.values_list("name", flat=True)) == {REMOVED_NAME}
    assert not people.exclude(phone_encrypted="").exists()
    assert not people.exclude(phone_last4="").exists()


def test_a_failing_step_is_recorded_and_the_others_still_run(world, caplog):
    def broken():
        raise RuntimeError("磁盘已满")

    ran = []
    steps = [
        Step("first", "第一步", lambda: ran.append("first") or 1),
        Step("broken", "坏的一步", broken),
        Step("last", "最后一步", lambda: ran.append("last") or 2),
    ]
    run = run_housekeeping(steps=steps)
    assert ran == ["first", "last"]
    assert run.ok is False and run.failed_steps == ["broken"]
    failed = run.steps[1]
    assert failed["error"] == "RuntimeError: 磁盘已满" and "Traceback" in failed["traceback"]
    assert "housekeeping step broken failed" in caplog.text


def test_the_command_exits_non_zero_naming_the_failed_steps(world, monkeypatch, capsys):
    def broken():
        raise ValueError("坏数据")

    steps = [Step(s.name, "匿名化", broken) if s.name == "anonymize_events" else s for s in STEPS]
    monkeypatch.setattr(housekeeping, "STEPS", steps)
    with pytest.raises(CommandError) as exc:
        call_command("housekeeping", "--now")
    assert "anonymize_events" in str(exc.value)
    out = capsys.readouterr().out
    assert "[失败] 匿名化（anonymize_events）：ValueError: 坏数据" in out
    assert "[成功] 补发未发出的消息" in out  # later steps ran


def test_a_step_that_fails_half_way_leaves_nothing_half_done(world):
    def half():
        Session.objects.create(session_key="y" * 32, session_data="", expire_date=timezone.now())
        raise RuntimeError("stop")

    run_housekeeping(steps=[Step("half", "半途", half)])
    assert not Session.objects.filter(session_key="y" * 32).exists()  # its transaction rolled back


def test_a_second_run_does_nothing_while_one_holds_the_lease(world):
    inner = []
    steps = [Step("nested", "嵌套", lambda: inner.append(run_housekeeping(steps=[])) or 0)]
    outer = run_housekeeping(steps=steps)
    assert outer.ok and inner == [None]
    with pytest.raises(CommandError, match="正在运行"):
        ScheduleSlot.objects.filter(name="housekeeping").update(
            running_until=timezone.now() + timedelta(minutes=5)
        )
        call_command("housekeeping", "--now")
    # A lease whose run died lapses, and the next run goes ahead.
    ScheduleSlot.objects.filter(name="housekeeping").update(
        running_until=timezone.now() - timedelta(seconds=1)
    )
    assert run_housekeeping(steps=[]) is not None


def test_without_now_the_command_queues_a_task(world, capsys):
    from django_tasks_db.models import DBTaskResult

    call_command("housekeeping")
    assert "已加入后台任务队列" in capsys.readouterr().out
    assert DBTaskResult.objects.filter(task_path="openday.ops.tasks.housekeeping").count() == 1


def test_the_schedule_is_claimed_once_per_period(db):
    now = timezone.now()
    every = timedelta(hours=1)
    assert claim_scheduled_run("w1", every, now)
    assert not claim_scheduled_run("w2", every, now + timedelta(minutes=59))
    assert claim_scheduled_run("w2", every, now + timedelta(minutes=61))
    slot = ScheduleSlot.objects.get(name="housekeeping")
    assert slot.last_claimed_by == "w2"


@pytest.mark.django_db(transaction=True)
def test_many_workers_asking_at_once_claim_the_period_once():
    now = timezone.now()
    ScheduleSlot.objects.create(name="housekeeping", next_run_at=now)
    wins, barrier = [], threading.Barrier(8)

    def ask(n):
        try:
            barrier.wait()
            if claim_scheduled_run(f"w{n}", timedelta(hours=1), now):
                wins.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def _published_opinion(world, published_at, **extra):
    opinion = opinions.submit_opinion(
        content="小区门口的路灯坏了很久，晚上出行不便。",
        source="online",
        office=world.kaifu,
        name="李四",
        phone="13912345678",
        consent=True,
        **extra,
    )
    Opinion.objects.filter(pk=opinion.pk).update(status="published", published_at=published_at)
    return Opinion.objects.get(pk=opinion.pk)


def test_opinions_closed_past_the_retention_period_lose_names_and_phones(world, settings):
    settings.RETENTION_DAYS = 30
    long_ago = timezone.now() - timedelta(days=40)
    old = _published_opinion(world, long_ago)
    recent = _published_opinion(world, timezone.now() - timedelta(days=3))
    for opinion in (old, recent):
        Callback.objects.create(
            opinion=opinion, org=world.kaifu, name="李四", phone_encrypted="x", phone_hash="h"
        )
    assert opinions.anonymize_closed_opinions(batch_size=1) == {"opinions": 1, "callbacks": 1}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.phone_encrypted, old.phone_hash, old.phone_last4) == ("", "", "", "")
    assert old.content.startswith("小区门口")  # the text and the answer stay
    assert recent.name == "李四" and recent.phone_encrypted
    gone = Callback.objects.get(opinion=old)
    assert gone.phone_encrypted == "" and gone.phone_hash == f"removed:{gone.pk}"
    assert opinions.anonymize_closed_opinions() == {"opinions": 0, "callbacks": 0}
    assert AuditEntry.objects.filter(action="opinion.personal_data_removed").count() == 1


def test_recipients_of_old_messages_are_erased_but_the_record_stays(world, settings):
    from openday.messaging.services import forget_old_recipients

    settings.RETENTION_DAYS = 30
    old = queue_message("sms", "13812345678", "", "旧短信")
    new = queue_message("sms", "13812345679", "", "新短信")
    pending = queue_message("sms", "13812345670", "", "未发出")
    OutboundMessage.objects.filter(pk__in=[old.pk, new.pk]).update(status="sent")
    OutboundMessage.objects.filter(pk__in=[old.pk, pending.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert forget_old_recipients() == 1
    rows = {m.pk: m for m in OutboundMessage.objects.all()}
    assert rows[old.pk].to_encrypted == "" and rows[old.pk].to_masked == "138****5678"
    assert rows[new.pk].to_encrypted and rows[pending.pk].to_encrypted  # unsent is kept


def test_the_old_task_name_still_runs_housekeeping(world):
    from openday.accounts.tasks import housekeeping as old_name

    result = old_name.call()
    assert result["ok"] is True and HousekeepingRun.objects.count() == 1
