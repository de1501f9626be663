"""`openday demo` builds a living year around today: try it on a mid-year day, in early
January, in late December and around the Spring Festival, then run it again."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.campaigns.models import Campaign, Declaration
from openday.demo import seed_data
from openday.evaluation.models import Scheme
from openday.events import services as events
from openday.events.models import Event, Registration
from openday.messaging.models import OutboundMessage
from openday.opinions.models import Callback, Opinion
from openday.orgs.models import Org
from openday.summaries.models import EventSummary
from openday.surveys.models import Response, Survey
from openday.surveys.services import open_surveys

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = {
    "mid-year": datetime(2026, 7, 15, 10, 0, tzinfo=SHANGHAI),
    "early January": datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI),
    "late December": datetime(2026, 12, 30, 15, 0, tzinfo=SHANGHAI),
    "Spring Festival": datetime(2026, 2, 24, 9, 0, tzinfo=SHANGHAI),
}


@pytest.fixture
def clock(monkeypatch):
    """Set the time the services, pages and the demo see (localdate follows now)."""

    class Clock:
        def set(self, moment):
            self.now = moment
            monkeypatch.setattr(timezone, "now", lambda: self.now)
            return moment

    return Clock()


def demo(*args):
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts():
    models = [Org, Campaign, Declaration, Event, Registration, Survey, Response, Opinion]
    models += [Callback, EventSummary, AuditEntry, OutboundMessage, Scheme]
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.parametrize("name", list(DAYS))
def test_the_demo_lives_around_today(db, client, clock, name):
    now = clock.set(DAYS[name])
    today = timezone.localdate()
    out = demo()
    assert "演示数据已就绪" in out and f"今天（{today.year}年{today.month}月{today.day}日）" in out

    # Both seeds' campaigns of this year: notice issued, plan published.
    for office in (seed_data.KAIFU_OFFICE, seed_data.NAIMAN_OFFICE):
        campaign = Campaign.objects.get(office__name=office, year=today.year)
        assert campaign.status == Campaign.Status.PLAN_PUBLISHED
        assert campaign.plan_entries.exists() and campaign.plan_published_at < now
        assert campaign.notice_issued_on < today
    kaifu = Campaign.objects.get(office__name=seed_data.KAIFU_OFFICE, year=today.year)
    states = set(kaifu.declarations.values_list("status", flat=True))
    assert {"draft", "submitted", "returned", "approved"} <= states
    declared = kaifu.declarations.values("unit")
    assert Org.objects.filter(parent=kaifu.office, kind="unit").exclude(pk__in=declared).exists()
    assert kaifu.declarations.filter(is_late=True, status="approved").exists()

    # Upcoming events open for registration, one nearly full with a waitlist.
    upcoming = Event.objects.filter(status=Event.Status.OPEN, starts_at__gt=now)
    assert upcoming.count() >= 2
    assert all(e.registration_window(now) == "open" for e in upcoming)
    assert any(events.seats_left(e) > 5 for e in upcoming)
    full = upcoming.filter(registrations__status="waitlisted").distinct().get()
    assert 0 < events.seats_left(full) <= 2
    for e in upcoming:
        assert 9 <= timezone.localtime(e.starts_at).hour <= 15

    # One event today with people checked in (none in the future).
    today_events = Event.objects.filter(starts_at__date=today).exclude(status="draft")
    assert today_events.count() == 1
    held_today = today_events.get()
    arrived = held_today.registrations.exclude(checked_in_at=None)
    assert arrived.count() >= 10
    assert not arrived.filter(checked_in_at__gt=now).exists()

    # One just ended (the last working day but one; before the Spring Festival holiday then),
    # awaiting its summary; its questionnaire is open.
    ended = Event.objects.filter(
        status=Event.Status.HELD, ends_at__lt=now, ends_at__gt=now - timedelta(days=14)
    )
    assert ended.count() == 1 and not EventSummary.objects.filter(event=ended.get()).exists()
    survey = open_surveys().get()
    assert survey.event == ended.get() and survey.responses.count() >= 5
    # A month ago: held and summarized.
    summarized = Event.objects.filter(
        status=Event.Status.SUMMARIZED, starts_at__gt=now - timedelta(days=60)
    )
    assert summarized.exists()

    # Opinions of the last weeks in every state, some overdue, results published, calls made.
    recent = Opinion.objects.filter(received_at__gt=now - timedelta(days=60))
    assert set(recent.values_list("status", flat=True)) == set(Opinion.Status.values)
    assert recent.filter(status__in=Opinion.OPEN_STATUSES, due_date__lt=today).exists()
    assert recent.filter(status="assigned", due_date__gte=today).exists()
    published = recent.filter(status="published")
    assert published.count() >= 3 and not published.filter(published_at__gt=now).exists()
    calls = Callback.objects.filter(opinion__in=published)
    assert calls.filter(outcome="reached", satisfaction_handling__isnull=False).exists()
    assert not calls.filter(called_at__gt=now).exists()

    # Last year, complete: its campaign with the evaluation, the town's summarized open day.
    last = Campaign.objects.get(office__name=seed_data.KAIFU_OFFICE, year=today.year - 1)
    assert Scheme.objects.filter(campaign=last).exists()
    assert Event.objects.get(title=f"沙日浩来镇{today.year - 1}年“政府开放日”活动").status == (
        Event.Status.SUMMARIZED
    )
    assert not Event.objects.filter(status="draft", ends_at__lt=now).exists()

    # Nothing is dated in the future: audit entries, registrations, old messages sent.
    assert not AuditEntry.objects.filter(created_at__gt=now).exists()
    assert not Registration.objects.filter(created_at__gt=now).exists()
    assert not Opinion.objects.filter(received_at__gt=now).exists()
    past = OutboundMessage.objects.filter(created_at__lt=now - timedelta(days=1))
    assert past.exists() and not past.exclude(status="sent").exists()
    assert not OutboundMessage.objects.filter(status="pending").exists()

    # The public side: the home page lists the open events; register for one.
    home = client.get("/").content.decode()
    soon = upcoming.exclude(pk=full.pk).order_by("starts_at").first()
    assert soon.title in home and full.title in home
    page = client.get(f"/events/{soon.pk}/")
    assert page.status_code == 200
    sent = client.post(
        f"/events/{soon.pk}/",
        {"name": "试用者", "phone": "13912345678", "category": "public", "consent": "on"},
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert soon.registrations.filter(name="试用者", status="confirmed").exists()
    waiting = client.post(
        f"/events/{full.pk}/",
        {"name": "候补者", "phone": "13912345679", "category": "public", "consent": "on"},
    )
    assert waiting.status_code == 302
    assert full.registrations.get(name="候补者").status == "waitlisted"

    # The open questionnaire takes an answer.
    before = survey.responses.count()
    form = {f"q{q.pk}": "1" for q in survey.questions.filter(kind__in=["rating", "single"])}
    for q in survey.questions.filter(kind="matrix"):
        form.update({f"q{q.pk}_r{r}": "1" for r in range(1, len(q.rows) + 1)})
    for q in survey.questions.filter(kind="multiple"):
        form[f"q{q.pk}"] = "1"
    for q in survey.questions.filter(kind="score"):
        form[f"q{q.pk}"] = "9"
    for q in survey.questions.filter(kind="textarea"):
        form[f"q{q.pk}"] = "讲解很清楚，希望多办。"
    answered = client.post(f"/surveys/{survey.pk}/", form)
    assert answered.status_code == 302, answered.content.decode().split("<main")[-1][:3000]
    assert survey.responses.count() == before + 1

    # The opinion board shows the published results.
    board = client.get("/opinions/board/").content.decode()
    for o in published:
        assert (o.summary or o.content[:20]) in board


def test_a_second_run_the_same_day_changes_nothing_and_if_empty_does_nothing(db, clock):
    clock.set(DAYS["mid-year"])
    demo()
    first = counts()
    assert "首次运行时已打印" in demo()
    assert counts() == first
    assert "跳过演示数据加载" in demo("--if-empty")
    assert counts() == first


def test_a_later_day_keeps_the_year_and_a_new_year_adds_its_own(db, clock):
    """Design: a year's living part is built once. A run a week later changes nothing (the
    dates roll on); a run in a new year adds that year, last year's history is what was lived."""
    clock.set(DAYS["late December"])
    demo()
    first = counts()
    clock.set(DAYS["late December"] + timedelta(days=1))  # 31 December: the same year
    demo()
    assert counts() == first
    now = clock.set(DAYS["early January"])
    demo()
    assert Campaign.objects.filter(year=2027).count() == 2
    assert Campaign.objects.filter(year=2026).count() == 2  # the lived year, not rebuilt
    assert Event.objects.filter(starts_at__date=timezone.localdate()).count() == 1
    assert Scheme.objects.filter(campaign__year=2026).exists()
    assert not AuditEntry.objects.filter(created_at__gt=now).exists()


def test_the_seed_loaders_still_build_2023_when_called_as_before(db):
    from openday.demo.services import (
        load_demo,
        load_demo_campaigns,
        load_demo_events,
        load_demo_surveys,
    )

    load_demo()
    load_demo_campaigns()
    load_demo_events()
    load_demo_surveys()
    town = Event.objects.get(title="沙日浩来镇2023年“政府开放日”活动")
    assert timezone.localtime(town.starts_at).date() == date(2023, 6, 6)
    entry = town.plan_entry
    assert entry.week == date(2023, 6, 5)
    assert Survey.objects.get(event=town).responses.count() == 36
