"""The event of a plan entry comes prefilled, and one click creates and publishes it (#20)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from openday.campaigns.models import PlanEntry
from openday.events import prefill, services
from openday.events.forms import EventForm
from openday.events.models import Event
from openday.orgs.access import Access


@pytest.fixture
def entry(world):
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    entry = PlanEntry.objects.filter(unit=world.housing).select_related("campaign").first()
    Event.objects.filter(plan_entry=entry).delete()
    return entry


def _form_data(page: str) -> dict[str, object]:
    """What the browser would post back: every named input, textarea, select and checkbox."""
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name.group(1), [])
                data[name.group(1)].append(value.group(1) if value else "on")  # type: ignore[union-attr]
        elif 'type="hidden"' not in tag:
            data[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = text.strip("\n").replace("&quot;", '"').replace("&amp;", "&")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_the_form_is_filled_from_plan_campaign_and_last_event(client, world, entry):
    unit_admin = world.users["unit_admin"]
    start = timezone.now() - dt.timedelta(days=200)
    last = services.create_event(
        unit_admin,
        world.housing,
        title="开福区住房和城乡建设局上一场活动",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        venues=[{"name": "局机关三楼会议室", "address": "开福区芙蓉中路1号"}],
        capacity=40,
        quotas={"deputy": 5, "public": 35},
        agenda=[{"time": "09:00", "form": "座谈交流", "place": "三楼会议室", "host": "办公室主任"}],
        directory=[
            {
                "name": "建管科",
                "functions": "工程建设管理",
                "procedures": "",
                "key_work": "",
                "contacts": "",
            }
        ],
    )
    initial = prefill.initial_for_plan_entry(entry, world.housing)
    campaign = entry.campaign
    assert initial["title"] == f"开福区住房和城乡建设局{campaign.year}年“政务公开主题日”活动"
    assert initial["theme"] == entry.theme and initial["summary"] == entry.intro
    assert initial["activity_forms"] == entry.forms
    assert initial["venues_text"] == "局机关三楼会议室｜开福区芙蓉中路1号"
    assert (
        initial["capacity"] == 40 and initial["quota_deputy"] == 5 and initial["quota_public"] == 35
    )
    assert initial["directory_text"].startswith("建管科｜工程建设管理")
    # One agenda row per activity form, timed one after another; the 座谈交流 keeps its host.
    rows = [line.split("｜") for line in initial["agenda_text"].splitlines()]
    assert [r[1] for r in rows] == entry.forms
    assert rows[0][0] == f"{timezone.localtime(last.starts_at):%H:%M}"
    if "座谈交流" in entry.forms:
        talk = next(r for r in rows if r[1] == "座谈交流")
        assert talk[2] == "三楼会议室" and talk[3] == "办公室主任"
    # A working day at least a week ahead; the window closes on the working day before at 17:00.
    from openday.workdays.services import is_working_day

    day = timezone.localtime(initial["starts_at"]).date()
    assert is_working_day(day) and day >= timezone.localdate() + dt.timedelta(days=7)
    closes = timezone.localtime(initial["registration_closes_at"])
    assert closes.date() < day and closes.hour == 17 and is_working_day(closes.date())
    assert initial["ends_at"] - initial["starts_at"] == dt.timedelta(hours=3)


def test_without_a_previous_event_quotas_come_from_the_campaign(world, entry):
    Event.objects.filter(unit=world.housing).delete()
    initial = prefill.initial_for_plan_entry(entry, world.housing)
    quotas = {k[6:]: v for k, v in initial.items() if k.startswith("quota_")}
    named = set(entry.campaign.guest_categories)
    from openday.events.models import CATEGORY_NAMES

    assert {CATEGORY_NAMES[c] for c in quotas} == named
    assert sum(quotas.values()) == initial["capacity"] == prefill.DEFAULT_CAPACITY
    assert quotas["public"] >= initial["capacity"] // 2
    assert initial["venues_text"] == ""  # nothing known: the person types the venue


@pytest.mark.parametrize("capacity", [1, 2, 7, 30, 500])
def test_quota_shares_never_exceed_the_capacity(capacity):
    from openday.campaigns.presets import GUEST_CATEGORIES

    quotas = prefill.quotas_for(GUEST_CATEGORIES, capacity)
    assert set(quotas) and all(v >= 0 for v in quotas.values())
    guests = [c for c in quotas if c != "public"]
    assert all(quotas[c] >= 1 for c in guests)
    if capacity >= 2 * len(guests):
        assert sum(quotas.values()) == capacity


def test_a_past_plan_week_moves_to_a_week_from_today(world, entry):
    entry.week = timezone.localdate() - dt.timedelta(days=60)
    day = prefill.start_day(entry, timezone.localdate())
    assert day >= timezone.localdate() + dt.timedelta(days=7)


def _previous_event(world):
    start = timezone.now() - dt.timedelta(days=30)
    return services.create_event(
        world.users["unit_admin"],
        world.housing,
        title="上一场",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venues=[{"name": "局机关会议室"}],
        capacity=20,
    )


def test_the_prefilled_form_is_valid_and_one_click_creates_and_publishes(client, world, entry):
    _previous_event(world)
    initial = prefill.initial_for_plan_entry(entry, world.housing)
    assert EventForm(data=None, initial=initial) is not None
    client.force_login(world.users["unit_admin"])
    page = client.get("/staff/events/new/", {"plan_entry": entry.pk}).content.decode()
    assert "已替您填好" in page and "创建并发布" in page and "上一场" in page
    data = _form_data(page)
    data["publish"] = "1"
    response = client.post(f"/staff/events/new/?plan_entry={entry.pk}", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(plan_entry=entry)
    assert event.status == Event.Status.OPEN
    assert event.title == initial["title"] and event.venues[0]["name"] == "局机关会议室"
    assert [a["form"] for a in event.agenda] == entry.forms
    assert event.campaign_id == entry.campaign_id


def test_saving_as_draft_does_not_publish(client, world, entry):
    _previous_event(world)
    client.force_login(world.users["unit_admin"])
    data = _form_data(client.get("/staff/events/new/", {"plan_entry": entry.pk}).content.decode())
    assert client.post(f"/staff/events/new/?plan_entry={entry.pk}", data).status_code == 302
    assert Event.objects.get(plan_entry=entry).status == Event.Status.DRAFT


def test_a_first_event_asks_for_the_venue_and_keeps_the_rest(client, world, entry):
    Event.objects.filter(unit=world.housing).delete()
    client.force_login(world.users["unit_admin"])
    data = _form_data(client.get("/staff/events/new/", {"plan_entry": entry.pk}).content.decode())
    data["publish"] = "1"
    response = client.post(f"/staff/events/new/?plan_entry={entry.pk}", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "活动地点" in page and not Event.objects.filter(plan_entry=entry).exists()
    assert entry.theme in page  # nothing typed or filled is lost
    data["venues_text"] = "局机关一楼大厅"
    assert client.post(f"/staff/events/new/?plan_entry={entry.pk}", data).status_code == 302
    assert Event.objects.get(plan_entry=entry).status == Event.Status.OPEN


def test_the_dashboard_counts_the_plan_entries_to_create_and_the_list_shows_them(
    client, world, entry
):
    from openday.orgs import todo

    assert entry.campaign.plan_published_at is not None
    access = Access(world.users["unit_admin"])
    to_create = list(todo.plan_entries_to_create(access))
    assert entry in to_create and all(e.unit.path.startswith(world.housing.path) for e in to_create)
    client.force_login(world.users["unit_admin"])
    home = client.get("/staff/").content.decode()
    assert 'data-todo="events_to_create"' in home and "计划中待创建的活动" in home
    listing = client.get("/staff/events/").content.decode()
    assert f"plan_entry={entry.pk}" in listing
    # Another office's unit admin does not see them; once created, the entry leaves the count.
    assert entry not in todo.plan_entries_to_create(Access(world.users["town_admin"]))
    Event.objects.create(
        unit=world.housing,
        plan_entry=entry,
        campaign=entry.campaign,
        title="t",
        starts_at=timezone.now(),
        ends_at=timezone.now(),
        capacity=1,
    )
    assert entry not in todo.plan_entries_to_create(access)
