"""The registration window has one home, Event.registration_window; the PostgreSQL function
openday_register() (events migrations) must answer as it does in every state."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from openday.events.models import Event
from tests.test_events import make_event

STATUSES = [s for s, _ in Event.Status.choices]
MODES = [Event.Mode.OPEN, Event.Mode.INVITATION]


def _cases(now):
    times = [None, now - timedelta(hours=1), now + timedelta(hours=1)]
    return itertools.product(STATUSES, times, times, MODES, [False, True])


def test_the_window_rule_reads_as_the_seeds_and_operators_expect():
    now = timezone.now()
    event = Event(status="open", registration_mode="open")
    assert event.registration_window(now) == "open"
    event.registration_opens_at = now + timedelta(minutes=1)
    assert event.registration_window(now) == "not_yet"
    assert event.registration_window(now, staff=True) == "open"  # staff register phone-ins
    event.registration_opens_at, event.registration_closes_at = None, now - timedelta(minutes=1)
    assert event.registration_window(now) == "ended"
    event.registration_closes_at, event.registration_mode = None, "invitation"
    assert event.registration_window(now) == "invitation_only"
    assert event.registration_window(now, invited=True) == "open"
    event.status = "published"
    assert event.registration_window(now, invited=True) == "closed"
    assert event.registration_window(now, staff=True) == "open"
    event.status = "held"
    assert event.registration_window(now, staff=True) == "closed"
    assert set(Event.WINDOW_REASONS) == {"closed", "not_yet", "ended", "invitation_only"}


def _function_says(event, now, staff):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT outcome FROM openday_register(%s, 'public', %s, %s, '测试', 'x', 'h', '0000',"
            " '', 'online', 'TICKET0001', NULL, '', '', NULL, '', NULL)",
            [event.pk, staff, now],
        )
        outcome = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return outcome if outcome in Event.WINDOW_REASONS else "open"


def test_the_database_function_answers_as_the_model_in_every_state(world):
    if connection.vendor != "postgresql":
        pytest.skip("openday_register() 只在 PostgreSQL 上存在（本用例在 PostgreSQL 阶段运行）")
    event = make_event(world, capacity=5, quotas={})
    now = timezone.now()
    differ = []
    for status, opens, closes, mode, staff in _cases(now):
        Event.objects.filter(pk=event.pk).update(
            status=status,
            registration_opens_at=opens,
            registration_closes_at=closes,
            registration_mode=mode,
        )
        event.refresh_from_db()
        expected = event.registration_window(now, staff=staff)
        got = _function_says(event, now, staff)
        if got != expected:
            differ.append(
                f"{status} opens={opens} closes={closes} {mode} staff={staff}: "
                f"function {got}, model {expected}"
            )
    assert not differ, "\n".join(differ)
