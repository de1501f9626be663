"""The lists a province's year made slow (bench/scale.py, docs/_draft_lists_scale.md): the public
event list, the staff survey list and event list page, each with a number of queries that does
not grow with the rows, every row on exactly one page; and the SQL form of "which plan entries
may this person create an event for" (orgs.todo.plan_entries_to_create) agrees with the per-org
check it replaced, for every demo persona."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openday.campaigns.models import PlanEntry
from openday.demo.services import load_demo_campaigns, load_demo_events, load_demo_surveys
from openday.events.access import can_run_event_for
from openday.events.models import Event
from openday.orgs import todo
from openday.orgs.access import Access
from openday.orgs.models import Org
from openday.portal import event_views as portal_events
from openday.surveys.models import Response, Survey

from .conftest import PERSONAS


def _queries(client, path):
    client.get(path)  # session, caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), response


def _clone(model, rows, n, **changes):
    """n new rows copied from the given ones (round robin), with `changes` (a value, or a
    function of the copy's number)."""
    copies = []
    for i in range(n):
        fields = {
            f.attname: getattr(rows[i % len(rows)], f.attname)
            for f in model._meta.concrete_fields
            if not f.primary_key
        }
        fields.update({k: v(i) if callable(v) else v for k, v in changes.items()})
        copies.append(model(**fields))
    model.objects.bulk_create(copies)


# --- plan entries to create: the semantics of the per-org check ------------------------------


def _old_plan_entries_to_create(access):
    """The implementation before the SQL one: every visible org checked in Python."""
    units = access.visible_orgs().filter(
        kind__in=[Org.Kind.UNIT, Org.Kind.DEPARTMENT, Org.Kind.OFFICE]
    )
    ids = [u.pk for u in units if can_run_event_for(access, u)]
    return PlanEntry.objects.filter(
        event=None, unit_id__in=ids, campaign__plan_published_at__isnull=False
    )


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_plan_entries_to_create_agree_with_the_per_org_check(world, persona):
    from django.contrib.auth.models import AnonymousUser

    load_demo_campaigns()
    # Some entries already have their event: they must stay out.
    for entry in PlanEntry.objects.order_by("id")[:3]:
        Event.objects.create(
            unit=entry.unit,
            campaign=entry.campaign,
            plan_entry=entry,
            title="已创建",
            capacity=10,
            starts_at=timezone.now(),
            ends_at=timezone.now(),
        )
    user = world.users[persona] if PERSONAS[persona] else AnonymousUser()
    access = Access(user)
    old = set(_old_plan_entries_to_create(access).values_list("pk", flat=True))
    new = set(todo.plan_entries_to_create(access).values_list("pk", flat=True))
    assert new == old
    units = access.visible_orgs().filter(
        kind__in=[Org.Kind.UNIT, Org.Kind.DEPARTMENT, Org.Kind.OFFICE]
    )
    per_org = {u.pk for u in units if can_run_event_for(access, u)}
    assert set(todo.runnable_units(access).values_list("pk", flat=True)) == per_org


def test_some_persona_has_plan_entries_to_create(world):
    """The comparison above is not vacuous."""
    load_demo_campaigns()
    counts = {
        p: todo.plan_entries_to_create(Access(world.users[p])).count()
        for p in ("kf_office", "unit_admin", "operator")
    }
    assert all(counts.values()), counts


# --- the public event list ---------------------------------------------------------------------


@pytest.fixture
def many_events(world):
    load_demo_events()
    events = list(Event.objects.exclude(status=Event.Status.DRAFT).order_by("id"))
    now = timezone.now()
    # Upcoming and past ones, and a draft that never shows.
    _clone(
        Event,
        events,
        30,
        plan_entry_id=None,
        starts_at=lambda i: now + timezone.timedelta(days=i - 15, hours=1),
        ends_at=lambda i: now + timezone.timedelta(days=i - 15, hours=3),
    )
    Event.objects.filter(pk__in=[e.pk for e in events[:1]]).update(status=Event.Status.DRAFT)
    return Event.objects.exclude(status=Event.Status.DRAFT)


def _walk_public(client):
    """The pages in turn (each rendered once: a first visit misses the page cache)."""
    seen, page, n_queries = [], 1, set()
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/events/?page={page}")
        assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
        n_queries.add(len(captured))
        seen += list(response.context["page"].object_list)
        html = response.content.decode()
        if "下一页" not in html:
            return seen, n_queries, response
        page += 1


def test_public_event_list_pages_show_every_public_event_once(client, many_events, monkeypatch):
    monkeypatch.setattr(portal_events, "PAGE_SIZE", 7)
    client.cookies.clear()
    seen, n_queries, last = _walk_public(client)
    assert sorted(e.pk for e in seen) == sorted(many_events.values_list("pk", flat=True))
    assert len(seen) == len({e.pk for e in seen}) > 14
    # Upcoming first (soonest first), then those over (latest first).
    now = timezone.now()
    upcoming = [e for e in seen if e.ends_at >= now]
    past = [e for e in seen if e.ends_at < now]
    assert upcoming and past and seen == upcoming + past
    assert [e.starts_at for e in upcoming] == sorted(e.starts_at for e in upcoming)
    assert [e.starts_at for e in past] == sorted((e.starts_at for e in past), reverse=True)
    assert "上一页" in last.content.decode()
    # A fixed number of queries per page, whatever the number of events.
    assert max(n_queries) <= 8


def test_public_event_list_is_cached_and_keeps_its_query_count(client, many_events):
    first = client.get("/events/")
    second = client.get("/events/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert client.get("/events/?page=2")["X-Page-Cache"] == "miss"
    # A new event shows at once (the "events" scope).
    n_before, _ = _queries(client, "/events/?page=1&fresh=1")
    events = list(many_events[:5])
    _clone(Event, events, 60, plan_entry_id=None)
    n_after, _ = _queries(client, "/events/?page=1&fresh=1")
    assert n_after <= max(n_before, 4)  # page 1 may need the upcoming events only
    # A saved event bumps the "events" scope: the list shows it at once.
    event = events[0]
    event.pk = event.id = event.plan_entry_id = None
    event.save()
    assert client.get("/events/")["X-Page-Cache"] == "miss"


def test_public_event_list_out_of_range_and_junk_pages(client, many_events):
    for page in ("0", "abc", "99999"):
        assert client.get(f"/events/?page={page}").status_code == 200


# --- the staff survey list ---------------------------------------------------------------------


def test_survey_list_counts_only_its_page(client, world):
    load_demo_events()
    load_demo_surveys()
    world.client_for(client, "nm_office")
    n_before, response = _queries(client, "/staff/surveys/")
    shown = list(response.context["page"])
    assert shown
    for s in shown:
        assert s.n == Response.objects.filter(survey=s).count()
    surveys = list(Survey.objects.order_by("id"))
    _clone(Survey, surveys, 70)
    responses = list(Response.objects.order_by("id")[:5])
    if responses:
        _clone(
            Response,
            responses,
            40,
            phone_hash="",
            device_hash=lambda i: f"clone-{i}",
            form_no=lambda i: f"clone-{i}",
        )
    n_after, response = _queries(client, "/staff/surveys/")
    assert n_after == n_before
    for s in response.context["page"]:
        assert s.n == Response.objects.filter(survey=s).count()
    # Every visible survey exactly once over the pages.
    seen, page = [], 1
    while True:
        response = client.get(f"/staff/surveys/?page={page}")
        seen += [s.pk for s in response.context["page"]]
        if not response.context["page"].has_next():
            break
        page += 1
    visible = Survey.objects.filter(Access(world.users["nm_office"]).scope_q(field="org__path"))
    assert sorted(seen) == sorted(visible.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) > 30


# --- the staff event list ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["kf_office", "unit_admin", "operator"])
def test_staff_event_list_query_count_does_not_grow(client, world, persona):
    load_demo_campaigns()
    load_demo_events()
    world.client_for(client, persona)
    n_before, response = _queries(client, "/staff/events/")
    events = list(Event.objects.order_by("id"))
    _clone(Event, events, 120, plan_entry_id=None)
    n_after, response = _queries(client, "/staff/events/")
    assert n_after == n_before
    n_todo, _ = _queries(client, "/staff/events/?todo=no_summary&page=2")
    assert n_todo <= n_before + 1
    if persona != "operator":
        assert response.context["can_create"] is True
