"""The to-do section (今日待办) at the top of the staff dashboard: for every persona the right
counts, each link opening a list with exactly that many rows, nothing counted outside the
persona's part of the org tree, the empty state, and a bounded number of queries."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from openday.campaigns.models import Campaign, Declaration
from openday.demo.publicity import load_demo_publicity
from openday.demo.services import load_demo_campaigns, load_demo_events, load_demo_opinions
from openday.demo.summaries import load_demo_summaries
from openday.events.models import Event
from openday.orgs.todo import week_bounds
from openday.publicity.models import Article

from .conftest import STAFF

EMPTY = "今天没有待办事项。"
MAX_QUERIES = 20
ITEM = re.compile(
    r'<a class="todo-card[^"]*" href="([^"]+)" data-todo="([a-z_]+)">'
    r'<strong class="todo-count">(\d+)</strong>'
)
# What marks one row of each list the links open.
ROW = {
    "/staff/events/": re.compile(r'<tr><td><a href="/staff/events/\d+/">'),
    "/staff/opinions/": re.compile(r'<td class="nowrap"><a href="/staff/opinions/\d+/"><code>'),
    "/staff/articles/": re.compile(r'<tr><td><a href="/staff/articles/\d+/">'),
    "board": re.compile(r"<tr><td>[^<]+</td>"),
}

# The demo data plus the events, declarations and articles full_world adds (see there).
EXPECTED = {
    "operator": {},
    "kf_office": {
        "declarations": 1,
        "opinions_overdue": 2,
        "opinions_new": 2,
        "events_week": 1,
        "events_no_summary": 1,
        "articles_submitted": 1,
    },
    # A viewer reads the review queues; the event list is for those who run events.
    "kf_viewer": {
        "declarations": 1,
        "opinions_overdue": 2,
        "opinions_new": 2,
        "articles_submitted": 1,
    },
    "unit_admin": {
        "events_draft": 1,
        "events_open": 1,
        "events_no_summary": 1,
        "events_no_article": 1,
        "opinions_answering": 3,
        "opinions_answered": 2,
    },
    "unit_staff": {
        "events_draft": 1,
        "events_open": 1,
        "events_no_summary": 1,
        "events_no_article": 1,
        "opinions_answering": 3,
    },
    "handler": {"inbox_overdue": 2, "inbox": 3},
    "nm_office": {
        "declarations": 1,
        "opinions_overdue": 1,
        "events_no_summary": 1,
        "articles_submitted": 1,
    },
    "town_admin": {
        "events_no_summary": 1,
        "events_no_article": 1,
        "opinions_answering": 2,
        "opinions_answered": 2,
    },
    "town_handler": {"inbox_overdue": 1, "inbox": 2},
}


def _event(unit, title, starts_at, ends_at, status):
    return Event.objects.create(
        unit=unit,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=20,
        status=status,
        venues=[{"name": "会场"}],
    )


@pytest.fixture
def full_world(world):
    """The demo's campaigns, events, opinions, articles and summaries, and for each office one
    declaration awaiting review, one submitted article and events in the states the
    dashboard counts."""
    load_demo_campaigns()
    load_demo_events()
    load_demo_opinions()
    load_demo_publicity()
    load_demo_summaries()
    now = timezone.now()
    for office in (world.kaifu, world.naiman):
        campaign = Campaign.objects.get(office=office, year=2023)
        declaration = campaign.declarations.exclude(status=Declaration.Status.SUBMITTED).first()
        Declaration.objects.filter(pk=declaration.pk).update(status=Declaration.Status.SUBMITTED)
    week_start, week_end = week_bounds(timezone.localdate())
    S = Event.Status
    # 住建局: one this week (not over before the week is), one over with no summary and no
    # article, one open for registration next month.
    _event(
        world.housing,
        "本周活动",
        week_start + timedelta(minutes=1),
        week_end + timedelta(hours=1),
        S.PUBLISHED,
    )
    _event(
        world.housing,
        "已结束活动",
        now - timedelta(days=10),
        now - timedelta(days=10) + timedelta(hours=2),
        S.CLOSED,
    )
    _event(
        world.housing,
        "报名中活动",
        now + timedelta(days=30),
        now + timedelta(days=30, hours=2),
        S.OPEN,
    )
    # 沙日浩来镇: one held, no summary and no article.
    _event(
        world.town,
        "镇已举办活动",
        now - timedelta(days=9),
        now - timedelta(days=9) + timedelta(hours=2),
        S.HELD,
    )
    for unit in (world.housing, world.town):
        Article.objects.create(
            unit=unit, title="待审核稿件", body="正文", status=Article.Status.SUBMITTED
        )
    return world


def _items(html):
    return {key: (int(n), unescape(url)) for url, key, n in ITEM.findall(html)}


def _rows(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    path = url.split("?")[0]
    if "/board/" in path:
        tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        return len(ROW["board"].findall(tbody))
    return len(ROW[path].findall(html))


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_each_persona_sees_its_counts_and_each_link_lists_exactly_them(
    full_world, client, persona, django_assert_max_num_queries
):
    full_world.client_for(client, persona)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/staff/")
    assert response.status_code == 200
    html = response.content.decode()
    items = _items(html)
    assert {k: n for k, (n, _url) in items.items()} == EXPECTED[persona]
    assert (EMPTY in html) is (not EXPECTED[persona])
    for key, (count, url) in items.items():
        assert _rows(client, url) == count, (key, url)


def test_an_office_counts_nothing_of_another_tree(full_world, client):
    """More work in 开福区 changes nothing on 奈曼旗's dashboard, and the reverse."""

    def counts(persona):
        full_world.client_for(client, persona)
        return _items(client.get("/staff/").content.decode())

    nm_before, kf_before = counts("nm_office"), counts("kf_office")
    now = timezone.now()
    _event(
        full_world.housing,
        "又一个结束的活动",
        now - timedelta(days=3),
        now - timedelta(days=3, hours=-1),
        Event.Status.HELD,
    )
    Article.objects.create(
        unit=full_world.street, title="街道稿件", body="正文", status=Article.Status.SUBMITTED
    )
    assert counts("nm_office") == nm_before
    kf_after = counts("kf_office")
    assert kf_after["events_no_summary"][0] == kf_before["events_no_summary"][0] + 1
    assert kf_after["articles_submitted"][0] == kf_before["articles_submitted"][0] + 1
    # Links are the same for every office: the list pages scope them.
    full_world.client_for(client, "nm_office")
    assert _rows(client, "/staff/events/?todo=no_summary") == 1
    assert _rows(client, "/staff/articles/?status=submitted") == 1


def test_unit_people_see_only_their_unit(full_world, client):
    """住建局's people see no figure from 沙日浩来镇, and the other way round."""
    now = timezone.now()
    _event(
        full_world.town,
        "镇草稿活动",
        now + timedelta(days=5),
        now + timedelta(days=5, hours=1),
        Event.Status.DRAFT,
    )
    for persona, expected in (("unit_admin", 1), ("unit_staff", 1), ("town_admin", 1)):
        full_world.client_for(client, persona)
        html = client.get("/staff/").content.decode()
        assert _items(html)["events_draft"][0] == expected, persona
    full_world.client_for(client, "unit_admin")
    assert _rows(client, "/staff/events/?status=draft") == 1


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_nothing_to_do_says_so_in_one_line(world, client, persona, django_assert_max_num_queries):
    world.client_for(client, persona)
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get("/staff/").content.decode()
    assert EMPTY in html
    assert not ITEM.search(html)


def test_the_handlers_inbox_comes_first_overdue_first(full_world, client):
    full_world.client_for(client, "handler")
    html = client.get("/staff/").content.decode()
    todo = html.index('id="todo-title"')
    assert todo < html.index("<h2>开福区住房和城乡建设局")
    inbox = html.split('class="list todo-inbox"', 1)[1].split("</ul>", 1)[0]
    overdue = [m.start() for m in re.finditer("已超期", inbox)]
    rows = inbox.split("<li>")[1:]
    assert len(rows) == 3
    assert len(overdue) == 2
    assert "已超期" in rows[0] and "已超期" in rows[1] and "已超期" not in rows[2]


def test_an_operator_is_sent_to_the_status_page_when_a_step_failed(world, client):
    from openday.ops.models import HousekeepingRun

    HousekeepingRun.objects.create(
        trigger="schedule",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        ok=False,
        steps=[
            {"name": "sessions", "ok": True},
            {"name": "lost_tasks", "ok": False, "error": "boom"},
        ],
    )
    world.client_for(client, "operator")
    html = client.get("/staff/").content.decode()
    assert _items(html) == {"ops_failed": (1, "/staff/status/")}
    assert "重新排队中断的后台任务" in html
    assert EMPTY not in html
    # Nobody else hears of it.
    world.client_for(client, "kf_office")
    assert EMPTY in client.get("/staff/").content.decode()


def test_the_new_list_filters_keep_to_the_viewers_scope(full_world, client):
    """?todo= and ?status= on the event list, ?status=answering on the opinion list: a filter
    narrows what the viewer may see, it never widens it."""
    cases = {
        "/staff/events/?todo=no_summary": {
            "kf_office": 1,
            "unit_admin": 1,
            "nm_office": 1,
            "town_admin": 1,
            "handler": 0,
            "kf_viewer": 0,
        },
        "/staff/events/?todo=week": {"kf_office": 1, "nm_office": 0, "town_admin": 0, "handler": 0},
        "/staff/events/?status=open&todo=bogus": {"unit_admin": 1, "town_admin": 0},
        "/staff/opinions/?mine=0&status=answering": {
            "unit_admin": 3,
            "town_admin": 2,
            "handler": 3,
            "town_handler": 2,
        },
    }
    for url, expected in cases.items():
        for persona, count in expected.items():
            full_world.client_for(client, persona)
            assert _rows(client, url) == count, (url, persona)
