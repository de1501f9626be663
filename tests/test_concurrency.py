"""Concurrent requests on a real database connection per thread: nothing is double-counted."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from openday.accounts.models import LoginThrottle
from openday.audit.models import AuditEntry
from openday.demo.services import load_demo


@pytest.mark.django_db(transaction=True)
def test_concurrent_failed_sign_ins_are_each_counted_once():
    load_demo()
    attempts = settings.LOGIN_FAILURE_LIMIT - 1
    barrier = threading.Barrier(attempts)
    statuses = []

    def attempt():
        try:
            barrier.wait()
            response = Client().post(
                "/staff/login/", {"username": "kf-office", "password": "wrong"}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [400] * attempts
    throttle = LoginThrottle.objects.get(username="kf-office")
    assert throttle.failures == attempts and throttle.locked_until is None
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == attempts
    # One more failure reaches the limit exactly once.
    Client().post("/staff/login/", {"username": "kf-office", "password": "wrong"})
    assert AuditEntry.objects.filter(action="auth.locked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_notices_get_distinct_numbers():
    from openday.campaigns import services
    from openday.campaigns.models import Campaign
    from openday.orgs.models import Org

    load_demo()
    office = Org.objects.get(name="开福区政务公开政务服务工作领导小组办公室")
    ids = [
        services.create_campaign(
            None, office, **services.preset_fields("theme_day", office, 2031)
        ).pk
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(ids))
    errors = []

    def issue(campaign_id):
        try:
            barrier.wait()
            services.issue_notice(None, Campaign.objects.get(pk=campaign_id))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Campaign.objects.filter(pk__in=ids).values_list("doc_seq", flat=True))
    assert numbers == [1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_oversell_or_double_count():
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services
    from openday.events.models import Registration
    from openday.orgs.models import Org

    load_demo()
    unit = Org.objects.get(name="开福区住房和城乡建设局")
    start = timezone.now() + timedelta(days=3)
    event = services.create_event(
        None, unit, title="并发测试", starts_at=start, ends_at=start + timedelta(hours=1),
        venues=[{"name": "会场"}], capacity=10, quotas={"public": 7, "deputy": 3},
        waitlist_limit=5, publish=True,
    )  # fmt: skip
    people = [(n, "deputy" if n % 4 == 0 else "public") for n in range(24)]
    # Each of the first six people also double-clicks: the same phone sent twice at once.
    attempts = people + people[:6]
    barrier = threading.Barrier(len(attempts))
    outcomes, errors = [], []

    def attempt(n, category):
        try:
            barrier.wait()
            r = services.register(event.pk, name=f"人{n}", phone=f"1370000{n:04d}",
                                  category=category, consent=True)  # fmt: skip
            outcomes.append((n, r.status))
        except services.Refused as exc:
            outcomes.append((n, exc.code))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    active = Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
    confirmed = active.filter(status="confirmed")
    assert confirmed.count() == 10
    assert confirmed.filter(category="public").count() == 7
    assert confirmed.filter(category="deputy").count() == 3
    assert active.filter(status="waitlisted").count() == 5
    assert active.values("phone_hash").distinct().count() == active.count()
    # A double click never yields two registrations: one attempt wins at most, the other is
    # refused (as a duplicate, or as full when the winner took the last place).
    refusals = {"duplicate", "full", "quota_full"}
    for n, _category in people[:6]:
        mine = [code for who, code in outcomes if who == n]
        held = active.filter(name=f"人{n}").count()
        assert len(mine) == 2 and held <= 1, (n, mine)
        assert sum(code in refusals for code in mine) == 2 - held, (n, mine)
