"""The staff lists a province's year made slow (bench/scale.py) keep a bounded number of queries
whatever the data: over the province demo at a tiny scale factor, the query count of a list
does not grow with its rows, and deep pages cost what the first page does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openday.accounts.models import User
from openday.audit.models import AuditEntry
from openday.demo import scale


@pytest.fixture
def office(db, client):
    scale.load_province(0.002)
    client.force_login(User.objects.get(username="scale-office"))
    return client


def queries(client, path):
    client.get(path)  # session and caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), response


def test_event_list_counts_only_its_page(office):
    n, response = queries(office, "/staff/events/")
    assert n <= 14
    assert len(response.context["page"].object_list) == 20  # all 20 events on one page
    # The counts come from one grouped query over the page, not one per event.
    event = response.context["page"].object_list[0]
    assert event.confirmed == event.registrations.filter(status="confirmed").count()


def test_audit_log_pages_by_keyset_without_counting(office):
    n_first, first = queries(office, "/staff/audit/")
    page = first.context["page"]
    assert page.has_next and not page.has_previous and len(page) == 50
    n_next, second = queries(office, f"/staff/audit/?before={page.next_cursor}")
    later = second.context["page"]
    assert later.has_previous and {e.pk for e in later}.isdisjoint({e.pk for e in page})
    assert n_next <= n_first + 1  # the cursor's own look-up
    assert "下一页" in first.content.decode() and "上一页" in second.content.decode()
    # Back from the second page: the first page again, newest first.
    _n, back = queries(office, f"/staff/audit/?after={later.previous_cursor}")
    assert [e.pk for e in back.context["page"]] == [e.pk for e in page]
    # Newest first, across the whole table.
    newest = AuditEntry.objects.order_by("-created_at", "-id").first()
    assert page.entries[0].pk == newest.pk
    for sql in [
        q["sql"] for q in _captured(office, "/staff/audit/?before=" + str(page.next_cursor))
    ]:
        assert "COUNT(" not in sql.upper() and "OFFSET" not in sql.upper()


def _captured(client, path):
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return captured.captured_queries
