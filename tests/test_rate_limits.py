"""Rate limits in the shared store: they hold across processes and restarts, answer 429 with a
Chinese reason and Retry-After, and per-address limits do not hurt a crowd behind one address."""

import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connection

from openday.ops import ratelimit
from openday.ops.models import RateCounter
from tests.processes import REPO, child_env


def _limits(settings, **rules):
    settings.OPENDAY_RATE_LIMITS = {name.replace("_", "."): value for name, value in rules.items()}


def test_a_thousand_registrations_from_one_address_all_pass_by_default(db):
    for n in range(1000):
        ratelimit.hit(
            ("registration.phone", f"1390000{n:04d}"), ("registration.address", "10.1.2.3")
        )
    rows = RateCounter.objects.filter(key__startswith="rl:registration.address:")
    # A flood limit is spread over a few rows, so a burst does not queue on one hot row.
    assert sum(rows.values_list("count", flat=True)) == 1000
    assert 2 <= rows.count() <= ratelimit.SHARDS


def test_a_flood_limit_spread_over_rows_still_holds_near_its_value(db, settings):
    import random

    random.seed(0)
    _limits(settings, registration_address="800/600")
    accepted = 0
    with pytest.raises(ratelimit.Limited):
        for _ in range(2000):
            ratelimit.hit(("registration.address", "10.9.9.9"))
            accepted += 1
    assert 600 <= accepted <= 800  # the first row to pass its share ends it: within ~20 %


def test_a_registration_past_the_phone_limit_is_refused_on_the_page_and_in_the_api(
    world, client, settings
):
    from tests.test_events import make_event

    _limits(settings, registration_phone="1/3600")
    event = make_event(world, capacity=10, quotas={})
    form = {
        "name": "王五",
        "phone": "13900005555",
        "category": "public",
        "consent": "on",
        "organization": "",
    }
    assert client.post(f"/events/{event.pk}/", form).status_code == 302
    other = make_event(world, capacity=10, quotas={}, title="开福区住房和城乡建设局另一个活动")
    page = client.post(f"/events/{other.pk}/", form)
    assert page.status_code == 429 and "这个手机号的报名过于频繁" in page.content.decode()
    assert page["Retry-After"].isdigit()
    api = client.post(
        f"/api/v1/events/{other.pk}/registrations",
        {"name": "王五", "phone": "13900005555", "category": "public", "consent": True},
        content_type="application/json",
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_requests"


def test_the_same_phone_registering_too_often_is_refused_with_a_reason(db, settings):
    _limits(settings, registration_phone="3/3600")
    for _ in range(3):
        ratelimit.hit(("registration.phone", "13900001111"), ("registration.address", "10.1.2.3"))
    with pytest.raises(ratelimit.Limited) as exc:
        ratelimit.hit(("registration.phone", "13900001111"), ("registration.address", "10.1.2.4"))
    assert exc.value.message == "这个手机号的报名过于频繁，请稍后再试。"
    assert 1 <= exc.value.retry_after <= 3600
    ratelimit.hit(("registration.phone", "13900002222"), ("registration.address", "10.1.2.3"))


def test_counters_store_no_phone_or_address(db):
    ratelimit.hit(("opinion.phone", "13912345678"), ("opinion.address", "192.0.2.7"))
    keys = " ".join(RateCounter.objects.values_list("key", flat=True))
    assert "13912345678" not in keys and "192.0.2.7" not in keys


def test_a_new_window_starts_over(db, settings):
    _limits(settings, opinion_address="2/60")
    start = 1_800_000_000
    ratelimit.hit(("opinion.address", "a"), now=start)
    ratelimit.hit(("opinion.address", "a"), now=start + 1)
    with pytest.raises(ratelimit.Limited) as exc:
        ratelimit.hit(("opinion.address", "a"), now=start + 10)
    assert exc.value.retry_after == 50
    ratelimit.hit(("opinion.address", "a"), now=start + 61)


def test_opinions_from_one_address_are_limited_on_the_page_and_in_the_api(world, client, settings):
    _limits(settings, opinion_address="2/60")
    office = world.kaifu.pk
    form = {"content": "小区路灯坏了，请尽快维修。", "anonymous": "1", "office": str(office)}
    for _ in range(2):
        assert client.post("/opinions/new/", form).status_code == 302
    page = client.post("/opinions/new/", form)
    assert page.status_code == 429 and page["Retry-After"].isdigit()
    text = page.content.decode()
    assert "意见建议提交过于频繁" in text and "小区路灯坏了" in text  # what was typed stays
    api = client.post(
        "/api/v1/opinions",
        {"content": "另一条意见建议内容", "anonymous": True, "office_id": office},
        content_type="application/json",
    )
    assert api.status_code == 429 and api["Retry-After"].isdigit()
    body = api.json()["error"]
    assert body["code"] == "too_many_requests" and "过于频繁" in body["message"]


def test_failed_look_ups_are_limited_per_address_and_per_code(world, client, settings):
    _limits(settings, lookup_address="3/600", lookup_code="2/3600")
    for _ in range(2):
        assert (
            client.post("/opinions/status/", {"code": "AAAA111111", "tail": "0000"}).status_code
            == 400
        )
    # The code has had its two tries, from any address.
    again = client.post(
        "/opinions/status/", {"code": "AAAA111111", "tail": "1234"}, REMOTE_ADDR="198.51.100.9"
    )
    assert again.status_code == 429 and "查询码的查询失败次数过多" in again.content.decode()
    assert client.post("/opinions/status/", {"code": "BBBB222222", "tail": ""}).status_code == 400
    blocked = client.get("/api/v1/opinions/CCCC333333?phone_tail=1234")
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "too_many_requests"
    assert blocked["Retry-After"].isdigit()
    cache.clear()  # a restart of the process, or another process: the counters are in the database
    assert client.get("/api/v1/opinions/DDDD444444").status_code == 429


def test_survey_answers_from_one_address_are_limited(world, client, settings):
    from tests.test_survey_api import make_survey
    from tests.test_survey_portal import form_data

    _limits(settings, survey_address="1/60")
    survey = make_survey(world)
    url = f"/surveys/{survey.pk}/"
    assert client.post(url, form_data(survey)).status_code == 302
    client.cookies.clear()  # a new device behind the same address
    page = client.post(url, form_data(survey))
    assert page.status_code == 429 and page["Retry-After"].isdigit()
    assert "问卷提交过于频繁" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_counters_are_shared_between_processes(settings):
    """Another process (a second worker or app node) counts into the same store."""
    child = (
        "import django; django.setup();"
        "from openday.ops import ratelimit;"
        "[ratelimit.hit(('lookup.code', 'EEEE555555')) for _ in range(5)]"
    )
    subprocess.run(
        [sys.executable, "-c", child], cwd=REPO, env=child_env(), check=True, timeout=120
    )
    with pytest.raises(ratelimit.Limited):
        ratelimit.blocked(("lookup.code", "EEEE555555"))


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_with_redis_the_counters_live_in_redis(db, settings):
    if not _redis_up():
        pytest.skip("没有在 127.0.0.1:6379 找到 Redis")
    # A prefix of its own: another run of the suite may share this Redis, and clearing the
    # whole database would wipe its counters (and another run's clear would wipe ours).
    prefix = f"openday-test-{uuid.uuid4().hex}"
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import caches

    try:
        _limits(settings, opinion_phone="2/60")
        # The middle of one window, so the three hits cannot straddle two windows.
        now = (time.time() // 60) * 60 + 30
        ratelimit.hit(("opinion.phone", "13900001111"), now=now)
        ratelimit.hit(("opinion.phone", "13900001111"), now=now)
        with pytest.raises(ratelimit.Limited):
            ratelimit.hit(("opinion.phone", "13900001111"), now=now)
        assert not RateCounter.objects.exists()  # nothing in the database
        client = caches["default"]._cache.get_client(write=True)
        assert client.keys(f"{prefix}:*")  # the counter is in Redis
    finally:
        client = caches["default"]._cache.get_client(write=True)
        for key in client.keys(f"{prefix}:*"):
            client.delete(key)


def test_housekeeping_drops_counters_of_old_windows(db):
    now = time.time()
    ratelimit.hit(("opinion.address", "old"), now=now - 3 * 86400)
    ratelimit.hit(("opinion.address", "new"), now=now)
    assert ratelimit.forget_old(now=now) == 1
    assert RateCounter.objects.count() == 1


def test_limits_can_be_turned_off(db, settings):
    settings.OPENDAY_RATE_LIMITS_ENABLED = False
    _limits(settings, opinion_address="1/60")
    for _ in range(3):
        ratelimit.hit(("opinion.address", "x"))
    assert not RateCounter.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")


def test_the_operators_guide_lists_every_rule_with_its_default_and_reason():
    from pathlib import Path

    guide = (Path(REPO) / "docs" / "operator.md").read_text()
    for name, (limit, seconds, message) in ratelimit.DEFAULTS.items():
        assert f"| `{name}` |" in guide and f"{seconds} 秒内 {limit} " in guide, name
        assert message in guide, name
