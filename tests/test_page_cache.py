"""The page cache of the public read path (openday/lib/pagecache.py): hits and misses, what
invalidates a page, per-request parts (seats, nonce, CSRF token, 关怀版), 304s and API ETags."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from openday.events import services as events
from openday.events.models import Event
from openday.lib import pagecache
from openday.ops.models import PageVersion

NONCE = re.compile(r'nonce="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _open_event(world, capacity=5, **extra):
    start = timezone.now() + timedelta(days=5)
    return events.create_event(
        world.users["unit_admin"],
        world.housing,
        title=f"{world.housing.name}2023年“政务公开主题日”活动",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "项目现场", "address": "开福区"}],
        capacity=capacity,
        publish=True,
        **extra,
    )


@pytest.fixture
def event(world):
    e = _open_event(world)
    events.set_status(world.users["unit_admin"], e, Event.Status.OPEN)
    return Event.objects.get(pk=e.pk)


def _register(event, phone, category="public"):
    return events.register(
        event.pk, name="张三", phone=phone, category=category, organization="", consent=True
    )


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, response.content.decode()


def _stripped(html):
    """The page without its per-request values."""
    return CSRF.sub("", NONCE.sub("", html))


# --- Hits, misses and what a hit costs ------------------------------------------------------------


def test_a_second_anonymous_visit_is_served_from_the_cache(client, event):
    first, html1 = _get(client, f"/events/{event.pk}/")
    second, html2 = _get(client, f"/events/{event.pk}/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert first.status_code == second.status_code == 200
    assert _stripped(html1) == _stripped(html2)
    assert "我要报名（剩余 5 个名额）" in html2 and "剩余 5 人" in html2
    assert "@@od-seats" not in html2 and pagecache.NONCE_SENTINEL not in html2
    assert pagecache.CSRF_SENTINEL not in html2


@pytest.mark.parametrize(
    "url",
    ["/", "/opinions/board/", "/campaigns/{campaign}/", "/campaigns/{campaign}/column/"],
)
def test_every_public_page_is_cached(client, world, url):
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    campaign = Campaign.objects.exclude(status=Campaign.Status.DRAFT).first()
    url = url.format(campaign=campaign.pk)
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_a_hit_costs_a_bounded_number_of_queries(client, event, django_assert_max_num_queries):
    client.get(f"/events/{event.pk}/")
    client.get("/opinions/board/")
    client.get("/")
    # The versions, and the registration counts for the seats left (per category, in all).
    with django_assert_max_num_queries(3):
        assert client.get(f"/events/{event.pk}/")["X-Page-Cache"] == "hit"
    for url in ("/opinions/board/", "/"):
        with django_assert_max_num_queries(1):
            assert client.get(url)["X-Page-Cache"] == "hit"


def test_a_query_string_the_page_does_not_use_bypasses_the_cache(client, event):
    client.get(f"/events/{event.pk}/")
    response = client.get(f"/events/{event.pk}/?invite=XYZ")
    assert "X-Page-Cache" not in response
    assert client.get("/opinions/board/?page=1")["X-Page-Cache"] == "miss"
    assert client.get("/opinions/board/?page=1")["X-Page-Cache"] == "hit"
    assert "X-Page-Cache" not in client.get("/opinions/board/?page=1&page=2")


# --- Per-request parts ----------------------------------------------------------------------------


def test_seats_are_fresh_after_a_registration_without_a_bump(client, event):
    before = pagecache.versions([pagecache.event(event.pk), "events"])
    first, _ = _get(client, f"/events/{event.pk}/")
    _register(event, "13800000001")
    assert pagecache.versions([pagecache.event(event.pk), "events"]) == before
    response, html = _get(client, f"/events/{event.pk}/")
    assert response["X-Page-Cache"] == "hit"
    assert "我要报名（剩余 4 个名额）" in html and "剩余 4 人" in html
    assert response["ETag"] != first["ETag"]


def test_a_full_event_shows_no_seats_and_the_waitlist_label(client, world):
    event = _open_event(world, capacity=1)
    events.set_status(world.users["unit_admin"], event, Event.Status.OPEN)
    client.get(f"/events/{event.pk}/")
    _register(event, "13800000002")
    response, html = _get(client, f"/events/{event.pk}/")
    assert response["X-Page-Cache"] == "hit"
    assert "剩余 0 人" in html and "我要报名（" not in html
    assert "（已满，可候补）" in html and "（余 " not in html


@pytest.mark.parametrize("quotas", [None, {"deputy": 1, "public": 3}])
def test_the_filled_page_is_the_page_a_fresh_render_gives(client, world, settings, quotas):
    """The markers stand exactly where the values go, and the per-request seats are those of
    services.seats_left and services.categories: the cached page equals an uncached one."""
    event = _open_event(world, capacity=5, **({"quotas": quotas} if quotas else {}))
    events.set_status(world.users["unit_admin"], event, Event.Status.OPEN)
    _register(event, "13800000003")
    _register(event, "13800000013", category="deputy")
    client.get(f"/events/{event.pk}/")
    cached = _get(client, f"/events/{event.pk}/")[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    fresh = client.get(f"/events/{event.pk}/", QUERY_STRING="").content.decode()
    assert _stripped(cached) == _stripped(fresh)


def test_each_answer_has_its_own_nonce_and_a_working_csrf_token(client, event):
    client.get(f"/events/{event.pk}/")
    seen = set()
    for _ in range(2):
        response, html = _get(client, f"/events/{event.pk}/")
        assert response["X-Page-Cache"] == "hit"
        nonces = set(NONCE.findall(html))
        assert len(nonces) == 1
        nonce = nonces.pop()
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        seen.add(nonce)
    assert len(seen) == 2


def test_a_cached_form_still_posts(client, event, settings):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get(f"/events/{event.pk}/")  # fills the cache
    response, html = _get(browser, f"/events/{event.pk}/")
    assert response["X-Page-Cache"] == "hit"
    assert settings.CSRF_COOKIE_NAME in browser.cookies
    token = CSRF.search(html).group(1)
    posted = browser.post(
        f"/events/{event.pk}/",
        {
            "csrfmiddlewaretoken": token,
            "name": "李四",
            "phone": "13800000009",
            "category": "public",
            "consent": "on",
        },
    )
    assert posted.status_code == 302 and "/tickets/" in posted["Location"]


def test_care_mode_is_part_of_the_key(client, event):
    _, plain = _get(client, f"/events/{event.pk}/")
    client.cookies["od_care"] = "1"
    response, care = _get(client, f"/events/{event.pk}/")
    assert response["X-Page-Cache"] == "miss"
    assert "退出关怀版" in care and "退出关怀版" not in plain


def test_signed_in_staff_never_get_the_cached_page(client, world, event):
    client.get(f"/events/{event.pk}/")
    client.get(f"/events/{event.pk}/")
    world.client_for(client, "unit_admin")
    response = client.get(f"/events/{event.pk}/")
    assert response.status_code == 200 and "X-Page-Cache" not in response


def test_no_personal_data_in_a_cached_page(client, event):
    _register(event, "13800000004")
    html = _get(client, f"/events/{event.pk}/")[1]
    assert "13800000004" not in html and "张三" not in html
    assert "no-store" not in client.get(f"/events/{event.pk}/")["Cache-Control"]


# --- Conditional GET ------------------------------------------------------------------------------


def test_a_matching_etag_is_answered_304_without_a_policy(client, event):
    first = client.get(f"/events/{event.pk}/")
    assert first["Cache-Control"] == "private, no-cache" and first["Last-Modified"]
    again = client.get(f"/events/{event.pk}/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and not again.content
    assert "Content-Security-Policy" not in again
    _register(event, "13800000005")
    changed = client.get(f"/events/{event.pk}/", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    board = client.get("/opinions/board/")
    assert board["Cache-Control"] == "private, max-age=10"
    assert (
        client.get("/opinions/board/", headers={"If-None-Match": board["ETag"]}).status_code == 304
    )


@pytest.mark.parametrize(
    "url", ["/api/v1/events", "/api/v1/campaigns", "/api/v1/opinions/published", "/api/v1/surveys"]
)
def test_the_api_public_lists_answer_304(client, world, url):
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]


def test_the_api_etags_follow_changes(client, world, event):
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns

    first = client.get("/api/v1/events")
    _register(event, "13800000006")  # seats left change: no version moves, the ETag does
    second = client.get("/api/v1/events", headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    load_demo_campaigns()
    campaign = Campaign.objects.exclude(status=Campaign.Status.DRAFT).first()
    url = f"/api/v1/campaigns/{campaign.pk}/articles"
    before = client.get(url)
    assert client.get(url, headers={"If-None-Match": before["ETag"]}).status_code == 304
    campaign.title += "（修订）"
    campaign.save()
    assert client.get(url, headers={"If-None-Match": before["ETag"]}).status_code == 200


# --- Invalidation: every service that changes what a public page shows ---------------------------


def _changes(world, event):
    """(name, page url, change, text the page shows after it): one per public-changing path."""
    from openday.opinions import services as opinions
    from openday.opinions.models import Opinion
    from openday.orgs.models import Org
    from openday.publicity import services as publicity
    from openday.surveys import services as surveys

    admin, office = world.users["unit_admin"], world.users["kf_office"]

    def rename_event():
        events.update_event(admin, Event.objects.get(pk=event.pk), title="新的活动名称")

    def close_event():  # a queryset update(): the audit call bumps it
        events.set_status(admin, Event.objects.get(pk=event.pk), Event.Status.CLOSED)

    def publish_article():
        a = publicity.create_article(
            world.users["unit_staff"],
            world.housing,
            title="现场观摩报道",
            body="正文。",
            event=event,
        )
        publicity.submit_article(world.users["unit_staff"], a)
        publicity.approve_article(office, a)

    o = opinions.submit_opinion(
        content="建议在活动现场增加引导标识。",
        source=Opinion.Source.FORUM,
        office=world.kaifu,
        actor=world.users["unit_staff"],
    )
    opinions.assign(office, o, unit=world.housing, assignee=world.users["handler"])
    opinions.answer(world.users["handler"], o, text="已增加引导标识。", decision="adopted")

    def publish_opinion():
        opinions.review(admin, Opinion.objects.get(pk=o.pk), approve=True, publish=True)

    def open_survey():
        s = surveys.create_survey(admin, world.housing, template="event", title="满意度调查新版")
        surveys.set_status(admin, s, "open")

    def rename_org():
        org = Org.objects.get(pk=world.housing.pk)
        org.name = "开福区住房和城乡建设局（新）"
        org.save()

    return [
        ("event renamed", f"/events/{event.pk}/", rename_event, "新的活动名称"),
        ("event closed", f"/events/{event.pk}/", close_event, "本活动目前不接受网上报名"),
        ("event on the home page", "/", rename_event, "新的活动名称"),
        ("article published", f"/events/{event.pk}/", publish_article, "现场观摩报道"),
        ("opinion published", "/opinions/board/", publish_opinion, "已增加引导标识"),
        ("survey opened", "/", open_survey, "满意度调查新版"),
        ("organization renamed", f"/events/{event.pk}/", rename_org, "（新）"),
    ]


CHANGES = [
    "event renamed",
    "event closed",
    "event on the home page",
    "article published",
    "opinion published",
    "survey opened",
    "organization renamed",
]


@pytest.mark.parametrize("name", CHANGES)
def test_a_public_change_invalidates_the_page(client, world, event, name):
    found = {c[0]: c[1:] for c in _changes(world, event)}
    url, change, text = found[name]
    _, before = _get(client, url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    change()
    response, after = _get(client, url)
    assert response["X-Page-Cache"] == "miss", f"{name}: no version was bumped"
    assert _stripped(after) != _stripped(before)
    if text:
        assert text in after and text not in before


def test_every_public_model_maps_to_scopes(db):
    from django.apps import apps

    for name in pagecache.PUBLIC_MODELS:
        if name == "summaries.EventPhoto":  # looks its event's campaign up
            continue
        model = apps.get_model(name)
        ids = {f.attname: 1 for f in model._meta.concrete_fields if f.is_relation}
        assert pagecache.scopes_of(model(pk=1, **ids)), name


def test_the_bump_waits_for_the_commit_and_counts_in_the_database(transactional_db, settings):
    from django.db import transaction

    settings.OPENDAY_PAGECACHE_BUMP_AT_ONCE = False  # the production path
    with transaction.atomic():
        pagecache.bump("event:1", "events")
        pagecache.bump("events")
        assert not PageVersion.objects.filter(key="events").exists()
    assert pagecache.versions(["event:1", "events", "board"]) == {
        "board": 0,
        "event:1": 1,
        "events": 1,
    }
    with pytest.raises(RuntimeError), transaction.atomic():
        pagecache.bump("board")
        raise RuntimeError
    pagecache.bump("events")  # outside a transaction: at once (the rolled-back key too)
    assert PageVersion.objects.get(key="events").version == 2
