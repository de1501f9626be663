"""The province demo (`openday demo --scale province`) at a tiny scale factor: what it writes,
the invariants the app relies on, its accounts, and the staff and public pages over it.
Runs on SQLite and on PostgreSQL (COPY) alike."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Q

from openday.demo import scale
from openday.events import services as events
from openday.events.models import Event, Quota, Registration
from openday.lib.personal_data import lookup_hash
from openday.opinions.models import Opinion
from openday.orgs.models import Membership, Org, Region
from openday.surveys.models import Answer, Response

FACTOR = 0.002  # 10 units, 20 events, about 2,000 registrations


@pytest.fixture
def province(db):
    return scale.load_province(FACTOR)


def test_counts_follow_the_scale_factor(province):
    plan = scale.Plan(FACTOR)
    assert Org.objects.filter(kind="unit").count() == plan.units
    assert Event.objects.count() == plan.events
    assert Registration.objects.count() == scale.expected_registrations(FACTOR)
    assert Opinion.objects.count() == plan.opinions
    assert Response.objects.count() == plan.responses
    assert Answer.objects.count() > 3 * plan.responses
    assert province.counts["events_registration"] == Registration.objects.count()
    assert {t for t, _n, _s in province.timings} >= {
        "orgs_org",
        "events_registration",
        "opinions_opinion",
        "surveys_answer",
    }


def test_regions_are_hunan_with_real_codes(province):
    with scale.DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len([r for r in rows if r["level"] == "city"]) == 14
    assert len([r for r in rows if r["level"] == "county"]) == 122
    kaifu = Region.objects.get(code="430105")
    assert kaifu.name == "开福区" and kaifu.parent.code == "430100"
    assert Region.objects.get(code="433100").name == "湘西土家族苗族自治州"
    assert Region.objects.filter(code__startswith="43", level="county").count() == 122
    # One office per division, in a tree: province > city > county > unit.
    offices = Org.objects.filter(kind="office", region__code__startswith="43")
    assert offices.count() == 137
    unit = Org.objects.filter(kind="unit").first()
    assert unit.parent.kind == "office" and unit.parent.region.level == "county"
    assert unit.path.startswith(unit.parent.path) and unit.parent.parent.region.level == "city"


def test_accounts_and_roles(province):
    names = {a[0]: a for a in province.accounts}
    assert set(names) == {"scale-office", "scale-unit"}
    assert all(a[4] for a in province.accounts)  # passwords printed once
    office = Membership.objects.get(user__username="scale-office")
    assert office.role == "office_admin" and office.org.region.code == "430000"
    unit = Membership.objects.get(user__username="scale-unit")
    assert unit.role == "unit_admin" and unit.org.kind == "unit"
    assert unit.org.is_within(office.org)


def test_registration_counts_keep_the_seat_rules(province):
    over = (
        Event.objects.annotate(
            confirmed=Count("registrations", filter=Q(registrations__status="confirmed")),
            waiting=Count("registrations", filter=Q(registrations__status="waitlisted")),
        )
        .filter(Q(confirmed__gt=scale.CAPACITY) | Q(waiting__gt=scale.WAITLIST))
        .count()
    )
    assert over == 0
    for quota in Quota.objects.all()[:80]:
        taken = Registration.objects.filter(
            event_id=quota.event_id, category=quota.category, status="confirmed"
        ).count()
        assert taken <= quota.seats
    # One active registration per phone and event; tickets unique; phones decrypt to their hash.
    reg = Registration.objects.filter(status="confirmed").first()
    assert lookup_hash(reg.phone) == reg.phone_hash and reg.phone.endswith(reg.phone_last4)
    assert Registration.objects.values("ticket_code").distinct().count() == (
        Registration.objects.count()
    )


def test_a_full_generated_event_refuses_one_more(province):
    unit = Membership.objects.get(user__username="scale-unit").org
    event = Event.objects.filter(unit=unit, status="open").order_by("id").first()
    assert event.registrations.filter(status="confirmed").count() == event.capacity
    with pytest.raises(events.Refused) as refused:
        events.register(
            event.pk,
            name="周晓东",
            phone="13912345678",
            category="public",
            consent=True,
        )
    assert refused.value.code in ("full", "quota_full")
    assert event.registrations.filter(status="confirmed").count() == event.capacity


def test_opinion_fields_match_their_status(province):
    assert not Opinion.objects.filter(status="new").exclude(unit=None, assignee=None).exists()
    assert (
        not Opinion.objects.exclude(status="new").filter(Q(unit=None) | Q(assignee=None)).exists()
    )
    answered = ["answered", "returned", "approved", "published"]
    assert not Opinion.objects.filter(status__in=answered, answered_at=None).exists()
    assert not Opinion.objects.filter(status__in=["new", "assigned"]).exclude(answer="").exists()
    assert not Opinion.objects.filter(status="published", published_at=None).exists()
    assert not Opinion.objects.exclude(status="published").exclude(published_at=None).exists()
    assert Opinion.objects.values("tracking_code").distinct().count() == Opinion.objects.count()
    # Every answer row belongs to its response's survey and copies its category and channel.
    mismatched = Answer.objects.exclude(survey_id=models_f("response__survey_id"))
    assert not mismatched.exclude(channel=models_f("response__channel")).exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_a_second_run_is_refused_in_chinese(province):
    with pytest.raises(scale.AlreadyLoaded, match="不再重复生成"):
        scale.load_province(FACTOR)
    out = StringIO()
    call_command("demo", scale="province", scale_factor=FACTOR, stdout=out)
    assert "不再重复生成" in out.getvalue() and "scale-office" in out.getvalue()
    out = StringIO()
    call_command("demo", reset_passwords=True, stdout=out)
    printed = out.getvalue()
    assert "scale-office" in printed and "scale-unit" in printed


@pytest.mark.skipif(connection.vendor != "sqlite", reason="只在 SQLite 上检查规模上限")
def test_sqlite_refuses_a_province(db):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("demo", scale="province", scale_factor=0.5, stdout=StringIO())


def test_the_pages_render_for_the_scale_accounts(province, client):
    from openday.accounts.models import User

    users = {
        "office": User.objects.get(username="scale-office"),
        "unit": User.objects.get(username="scale-unit"),
    }
    for label, who, path in scale.pages():
        client.logout()
        if who in users:
            client.force_login(users[who])
        response = client.get(path)
        assert response.status_code == 200, (label, who, path, response.status_code)
