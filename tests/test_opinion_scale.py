"""The opinion list and figures at a province's scale (bench/scale.py): visible() keeps its
meaning, the list costs the same number of queries for 3 or 30 opinions and pages by keyset
(each row exactly once), and the cached figures never outlive an opinion or call-back change."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openday.opinions import access as rules
from openday.opinions import figures as calc
from openday.opinions import services
from openday.opinions.models import Callback, Opinion
from openday.orgs.access import Access

from .conftest import STAFF


def _opinion(world, **kw):
    fields = {
        "content": "小区电梯经常故障，希望加快加装和维修。",
        "source": "forum",
        "office": world.kaifu,
        "actor": world.users["kf_office"],
    }
    fields.update(kw)
    return services.submit_opinion(**fields)


def _old_visible(access):
    """visible() as it was: joins on the org paths (the reference for the new one)."""
    if access.is_operator:
        return Opinion.objects.all()
    q = Q(assignee=access.user) if access.user.is_authenticated else Q(pk__in=[])
    for m in access.memberships:
        if m.role in rules.SEE_ROLES:
            q |= (
                Q(office__path__startswith=m.org.path)
                | Q(unit__path__startswith=m.org.path)
                | Q(event__unit__path__startswith=m.org.path)
            )
    return Opinion.objects.filter(q)


@pytest.fixture
def spread(world):
    """Opinions in both trees: at an office, assigned to a unit, at a unit's event, and one
    assigned to the handler in person."""
    from openday.events import services as events

    made = [
        _opinion(world),
        _opinion(world, office=world.naiman, actor=world.users["nm_office"]),
    ]
    assigned = _opinion(world)
    services.assign(world.users["kf_office"], assigned, unit=world.housing)
    made.append(assigned)
    to_person = _opinion(world)
    services.assign(
        world.users["kf_office"], to_person, unit=world.housing, assignee=world.users["handler"]
    )
    made.append(to_person)
    start = timezone.now() - timedelta(days=1)
    event = events.create_event(
        world.users["unit_admin"],
        world.housing,
        title="住建局政务开放日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会议室"}],
        capacity=30,
        publish=True,
    )
    made.append(_opinion(world, event=event))
    return made


@pytest.mark.parametrize("listed", [0, rules.LISTED_IDS])
def test_visible_means_what_it_meant_for_every_persona(world, spread, monkeypatch, listed):
    # listed=0: the org and event ids always stay subqueries (an office high in the tree).
    monkeypatch.setattr(rules, "LISTED_IDS", listed)
    assert Opinion.objects.count() == len(spread) == 5
    for persona in sorted(STAFF):
        access = Access(world.users[persona])
        new = set(rules.visible(access).values_list("pk", flat=True))
        assert new == set(_old_visible(access).values_list("pk", flat=True)), persona
        for o in Opinion.objects.select_related("office", "unit", "event__unit"):
            assert rules.can_see(access, o) == (o.pk in new), (persona, o.tracking_code)


def test_scope_key_tells_viewers_apart(world):
    keys = {rules.scope_key(Access(world.users[p])) for p in STAFF}
    assert len(keys) == len(STAFF)
    assert rules.scope_key(Access(world.users["operator"])) == "*"


def _list_queries(client, cold=True):
    if cold:  # the dropdowns are counted again (they are cached for a few minutes)
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/staff/opinions/?mine=0")
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("persona", ["kf_office", "unit_admin"])
def test_list_queries_do_not_grow_with_the_rows(world, client, persona):
    world.client_for(client, persona)
    for _ in range(3):
        o = _opinion(world)
        services.assign(world.users["kf_office"], o, unit=world.housing)
    few, response = _list_queries(client)
    assert len(response.context["page"]) >= 3
    for _ in range(27):
        o = _opinion(world)
        services.assign(world.users["kf_office"], o, unit=world.housing)
    many, response = _list_queries(client)
    assert len(response.context["page"]) == 30
    assert many == few
    # The dropdowns come from the cache.
    again, _ = _list_queries(client, cold=False)
    assert again < many


def test_keyset_pages_give_every_row_exactly_once(world, client):
    made = [_opinion(world) for _ in range(65)]
    # Ties on received_at are broken by id, also across a page boundary.
    same = timezone.now() - timedelta(days=1)
    Opinion.objects.filter(pk__in=[o.pk for o in made[25:40]]).update(received_at=same)
    world.client_for(client, "kf_office")
    expected = list(
        rules.visible(Access(world.users["kf_office"]))
        .order_by("-received_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) > 60
    seen, url, pages = [], "/staff/opinions/?mine=0", []
    while True:
        page = client.get(url).context["page"]
        pages.append(page)
        seen += [o.pk for o in page]
        if not page.has_next:
            break
        url = f"/staff/opinions/?mine=0&before={page.next_cursor}"
    assert seen == expected
    assert not pages[0].has_previous and all(p.has_previous for p in pages[1:])
    # And back from the last page with ?after=, each page as it was.
    back = pages[-1]
    for earlier in reversed(pages[:-1]):
        back = client.get(f"/staff/opinions/?mine=0&after={back.previous_cursor}").context["page"]
        assert [o.pk for o in back] == [o.pk for o in earlier]
        assert back.has_next
    assert not back.has_previous
    # A cursor that names nothing is the first page; the pager links carry the filters.
    first = client.get("/staff/opinions/?mine=0&status=new&before=999999999")
    assert [o.pk for o in first.context["page"]][:1] == expected[:1]
    assert "?status=new&amp;mine=0&amp;before=" in first.content.decode()


def test_figures_follow_opinion_and_callback_changes(world, client, monkeypatch, settings):
    """Stored as a roll-up (as at a province's scale): read from it until a change, then shown
    as counted before and marked, and recounted by the worker's loop (ops.rollups)."""
    from openday.ops import rollups

    settings.OPENDAY_ROLLUP_HEAVY_MS = 0
    world.client_for(client, "kf_office")
    calls = []
    real = calc.dashboard
    monkeypatch.setattr(calc, "dashboard", lambda qs: calls.append(1) or real(qs))

    def page():
        response = client.get("/staff/opinion-figures/")
        return response.context, response.content.decode()

    def received():
        rollups.refresh_due()
        context, _html = page()
        assert context["counted"].current
        return context["data"]["total"]

    before = received()
    assert received() == before and len(calls) == 1  # the second one from the roll-up
    o = _opinion(world)
    stale, html = page()
    assert stale["data"]["total"] == before and not stale["counted"].current
    assert "统计于" in html and "正在重新统计" in html
    assert received()["received"] == before["received"] + 1
    # A change of status (assigned) shows after the recount too.
    services.assign(world.users["kf_office"], o, unit=world.housing)
    assert received()["assigned"] == before["assigned"] + 1
    # A call-back reached changes the satisfaction.
    callback = Callback.objects.create(
        opinion=o, org=world.housing, name="张三", phone_hash="x" * 64
    )
    services.log_call(
        world.users["kf_office"],
        callback,
        outcome=Callback.Outcome.REACHED,
        satisfaction_handling=1,
        satisfaction_event=None,
        notes="",
    )
    after = received()
    assert after["callbacks_reached"] == before["callbacks_reached"] + 1
    # Another viewer has its own entry.
    world.client_for(client, "nm_office")
    assert client.get("/staff/opinion-figures/").context["data"]["total"] != after


def test_dashboard_is_counts_and_by_in_fewer_queries(world, spread):
    for persona in ("operator", "kf_office", "unit_admin", "nm_office"):
        opinions = rules.visible(Access(world.users[persona]))
        data = calc.dashboard(opinions)
        assert data["total"] == calc.counts(opinions), persona
        for group in ("unit", "event", "campaign"):
            by = calc.by(opinions, group)
            assert {r["key"]: r for r in data["groups"][group]} == {r["key"]: r for r in by}
            assert [r["received"] for r in data["groups"][group]] == [r["received"] for r in by]
