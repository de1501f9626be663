"""Roll-ups (openday/ops/rollups.py): heavy counts kept in the database with the page-cache
versions they were counted from, refreshed by the worker's roll-up loop and housekeeping, and
their users: the evaluation (scoring, exports, the dashboard and its 立即重新统计) and the
opinion figures page.

conftest.py stores nothing (OPENDAY_ROLLUP_HEAVY_MS = 10**9); the tests here that need a
stored row set it to 0, so every count is "heavy" whatever the machine's speed.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from openday.evaluation import exports, scoring, services
from openday.evaluation import indicators as ind
from openday.lib import pagecache
from openday.opinions import figures as calc
from openday.opinions import services as opinions
from openday.opinions.access import scope_key
from openday.ops import rollups
from openday.ops import status as ops_status
from openday.ops.housekeeping import STEPS, describe_counts, run_step
from openday.ops.models import Rollup
from openday.ops.worker import OpendayWorker
from openday.orgs.access import Access

from .test_evaluation import YEAR, Hand, _event, _people, at

FAILED = "有 1 份统计快照更新失败（页面仍显示上一次的结果）。"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def heavy(settings):
    """Every count is stored (and the periods are set here, not taken from the environment)."""
    settings.OPENDAY_ROLLUP_HEAVY_MS = 0
    settings.OPENDAY_ROLLUP_REFRESH_SECONDS = 300
    settings.OPENDAY_ROLLUP_STALE_SECONDS = 1800
    return settings


@pytest.fixture
def hand(world):
    """tests/test_evaluation.py's hand-counted campaign: 4 held events, 9 checked in."""
    return Hand(world)


class Counter:
    """A kind's compute that counts its calls; `value` is what it counts, `fail` what it raises."""

    def __init__(self):
        self.calls = 0
        self.value = 1
        self.fail = None

    def __call__(self, params):
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return {"n": self.value, "params": dict(params)}


def _kind(monkeypatch, name="test_count", label="测试统计", scopes=("board",)):
    """A throwaway kind in rollups.KINDS (monkeypatch removes it after the test)."""
    counter = Counter()
    monkeypatch.setitem(rollups.KINDS, name, rollups.Kind(name, label, counter, scopes))
    return counter


def _row(kind="test_count", params=None, key=None):
    params = {"x": 1} if params is None else params
    return Rollup.objects.get(key=rollups.key_of(kind, params if key is None else key))


def _age(seconds, kind="test_count", params=None):
    """Make the stored count `seconds` old (and read just now)."""
    row = _row(kind, params)
    Rollup.objects.filter(key=row.key).update(
        computed_at=timezone.now() - timedelta(seconds=seconds)
    )


# --- get(): light and heavy counts -----------------------------------------------------------


def test_a_light_count_is_made_on_each_read_and_not_stored(db, monkeypatch):
    counter = _kind(monkeypatch)
    first = rollups.get("test_count", {"x": 1})
    counter.value = 2
    second = rollups.get("test_count", {"x": 1})
    assert (first.value["n"], second.value["n"]) == (1, 2) and counter.calls == 2
    assert not first.stored and first.current and not second.stored
    assert not Rollup.objects.exists()
    # recount() of a light count with no row stores nothing either.
    assert rollups.recount("test_count", {"x": 1}) is True
    assert counter.calls == 3 and not Rollup.objects.exists()


def test_a_stored_row_is_dropped_once_the_count_is_light_again(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    assert rollups.get("test_count", {"x": 1}).stored
    assert Rollup.objects.count() == 1
    heavy.OPENDAY_ROLLUP_HEAVY_MS = 10**9
    # Past STALE_SECONDS the reader counts itself: light now, so the row goes.
    _age(heavy.OPENDAY_ROLLUP_STALE_SECONDS + 1)
    counter.value = 5
    snapshot = rollups.get("test_count", {"x": 1})
    assert snapshot.value["n"] == 5 and not snapshot.stored and snapshot.current
    assert counter.calls == 2
    assert not Rollup.objects.exists()
    # And it stays counted per read.
    counter.value = 6
    assert rollups.get("test_count", {"x": 1}).value["n"] == 6 and not Rollup.objects.exists()


def test_a_heavy_count_is_stored_and_read_back_without_counting(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    first = rollups.get("test_count", {"x": 1})
    assert first.stored and first.current and first.value == {"n": 1, "params": {"x": 1}}
    row = _row()
    assert row.kind == "test_count" and row.params == {"x": 1}
    assert row.versions == pagecache.versions(["board"])
    assert row.read_at is not None and row.wanted_at is None and row.failed_at is None
    counter.value = 2  # the data changed in a way no version tracks (like a check-in)
    second = rollups.get("test_count", {"x": 1})
    assert counter.calls == 1
    assert second.value == first.value and second.computed_at == first.computed_at
    assert second.stored and second.current
    # Other params are another row; an explicit key stores under that key, not the params.
    assert rollups.get("test_count", {"x": 2}).value["n"] == 2
    rollups.get("test_count", {"x": 3}, key="shared")
    rollups.get("test_count", {"x": 4}, key="shared")
    assert counter.calls == 3
    assert _row(key="shared").params == {"x": 3}
    assert Rollup.objects.count() == 3


def test_a_changed_scope_serves_the_old_count_until_refresh_due(db, monkeypatch, heavy):
    counter = _kind(monkeypatch, scopes=("board", "callbacks"))
    rollups.get("test_count", {"x": 1})
    counter.value = 2
    pagecache.bump("articles")  # not one of the kind's scopes
    assert rollups.get("test_count", {"x": 1}).current
    assert (
        rollups.refresh_due() == {"refreshed": 0, "failed": 0, "dropped": 0} and counter.calls == 1
    )
    pagecache.bump("callbacks")
    old = rollups.get("test_count", {"x": 1})
    assert old.value["n"] == 1 and old.stored and not old.current
    assert counter.calls == 1
    wanted = _row().wanted_at
    assert wanted is not None
    # A second read leaves wanted_at as it was (the oldest wish is served first).
    rollups.get("test_count", {"x": 1})
    assert _row().wanted_at == wanted
    assert rollups.refresh_due() == {"refreshed": 1, "failed": 0, "dropped": 0}
    row = _row()
    assert row.wanted_at is None and row.refreshing_until is None
    assert row.versions == pagecache.versions(["board", "callbacks"])
    new = rollups.get("test_count", {"x": 1})
    assert new.value["n"] == 2 and new.current and new.computed_at > old.computed_at
    assert counter.calls == 2
    # Nothing more is due.
    assert (
        rollups.refresh_due() == {"refreshed": 0, "failed": 0, "dropped": 0} and counter.calls == 2
    )


def test_an_old_count_is_refreshed_and_a_stale_one_counted_by_the_reader(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    counter.value = 2
    _age(heavy.OPENDAY_ROLLUP_REFRESH_SECONDS - 30)
    assert rollups.get("test_count", {"x": 1}).current
    assert rollups.refresh_due() == {"refreshed": 0, "failed": 0, "dropped": 0}
    # Older than REFRESH_SECONDS: still served, not current, and due.
    _age(heavy.OPENDAY_ROLLUP_REFRESH_SECONDS + 30)
    old = rollups.get("test_count", {"x": 1})
    assert old.value["n"] == 1 and not old.current and counter.calls == 1
    assert _row().wanted_at is not None
    assert rollups.refresh_due() == {"refreshed": 1, "failed": 0, "dropped": 0}
    assert rollups.get("test_count", {"x": 1}) == rollups.Snapshot(
        {"n": 2, "params": {"x": 1}}, _row().computed_at, True, True
    )
    # Older than STALE_SECONDS (no worker running): the reader counts itself and stores it.
    counter.value = 3
    _age(heavy.OPENDAY_ROLLUP_STALE_SECONDS + 30)
    before = timezone.now()
    fresh = rollups.get("test_count", {"x": 1})
    assert fresh.value["n"] == 3 and fresh.stored and fresh.current and counter.calls == 3
    assert _row().computed_at >= before
    # An old row is also due without any reader asking for it.
    counter.value = 4
    _age(heavy.OPENDAY_ROLLUP_REFRESH_SECONDS + 30)
    assert rollups.refresh_due() == {"refreshed": 1, "failed": 0, "dropped": 0}
    assert rollups.get("test_count", {"x": 1}).value["n"] == 4


def test_a_row_nobody_read_lately_is_not_refreshed(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    pagecache.bump("board")
    Rollup.objects.update(read_at=timezone.now() - rollups.READ_RECENTLY - timedelta(minutes=1))
    assert (
        rollups.refresh_due() == {"refreshed": 0, "failed": 0, "dropped": 0} and counter.calls == 1
    )


def test_a_failed_refresh_is_recorded_and_the_others_still_run(db, monkeypatch, heavy, caplog):
    bad = _kind(monkeypatch, "test_bad", "测试失败的统计")
    good = _kind(monkeypatch, "test_good", "测试正常的统计")
    rollups.get("test_bad", {"x": 1})
    rollups.get("test_good", {"x": 1})
    bad.value = good.value = 2
    bad.fail = RuntimeError("统计超时")
    pagecache.bump("board")
    rollups.get("test_bad", {"x": 1})  # wanted: it is tried first
    with caplog.at_level(logging.ERROR, logger="openday.rollups"):
        assert rollups.refresh_due() == {"refreshed": 1, "failed": 1, "dropped": 0}
    logged = [r for r in caplog.records if r.name == "openday.rollups"]
    assert len(logged) == 1 and "test_bad" in logged[0].getMessage()
    assert logged[0].exc_info[1] is bad.fail
    row = _row("test_bad")
    assert row.failed_at is not None and row.error == "RuntimeError: 统计超时"
    assert row.wanted_at is None and row.refreshing_until is None
    # The last good figures are still served; the other row was refreshed.
    assert rollups.get("test_bad", {"x": 1}).value["n"] == 1
    assert rollups.get("test_good", {"x": 1}).value["n"] == 2
    assert _row("test_good").failed_at is None
    # The operators see it, in Chinese.
    state = rollups.status()
    assert state["kept"] == 2 and state["refresh_seconds"] == 300
    assert [(f["kind"], f["error"]) for f in state["failed"]] == [
        ("测试失败的统计", "RuntimeError: 统计超时")
    ]
    facts = ops_status.gather()
    assert facts["rollups"]["failed"][0]["kind"] == "测试失败的统计"
    assert FAILED in facts["problems"]
    # /api/v1/health gives the figures to monitoring, not the error text.
    health = ops_status.public_health(facts)
    assert health["rollups"]["failed"] == 1 and health["rollups"]["kept"] == 2
    assert health["status"] == "degraded" and "统计超时" not in str(health["rollups"])
    # Not retried in a loop: within the refresh period the failed row is left alone …
    calls = bad.calls
    pagecache.bump("board")
    rollups.get("test_bad", {"x": 1})
    assert rollups.refresh_due()["failed"] == 0 and bad.calls == calls
    # … and tried again after it; a success clears the failure.
    bad.fail = None
    later = timezone.now() + timedelta(seconds=heavy.OPENDAY_ROLLUP_REFRESH_SECONDS + 1)
    assert rollups.refresh_due(now=later)["refreshed"] >= 1 and bad.calls == calls + 1
    row = _row("test_bad")
    assert row.failed_at is None and row.error == ""
    assert rollups.get("test_bad", {"x": 1}).value["n"] == 2
    assert rollups.status()["failed"] == []
    assert FAILED not in ops_status.gather()["problems"]


def test_the_status_page_shows_a_failed_roll_up(world, client, monkeypatch, heavy):
    bad = _kind(monkeypatch, "test_bad", "测试失败的统计")
    rollups.get("test_bad", {"x": 1})
    bad.fail = ValueError("除数为零")
    pagecache.bump("board")
    assert rollups.refresh_due()["failed"] == 1
    text = world.client_for(client, "operator").get("/staff/status/").content.decode()
    assert "统计快照" in text and FAILED in text
    assert "测试失败的统计" in text and "ValueError: 除数为零" in text


def test_status_warns_when_the_kept_counts_are_not_refreshed(db, monkeypatch, heavy):
    _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    warning = "统计快照已超过三个周期没有更新：请检查后台任务进程。"
    assert warning not in ops_status.gather()["problems"]
    _age(3 * heavy.OPENDAY_ROLLUP_REFRESH_SECONDS + 60)
    facts = ops_status.gather()
    assert facts["rollups"]["oldest_seconds"] >= 3 * heavy.OPENDAY_ROLLUP_REFRESH_SECONDS + 60
    assert warning in facts["problems"]


# --- recount(), forgetting, housekeeping and the worker ----------------------------------------


def test_recount_waits_for_another_holder_of_the_lease(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    counter.value = 2
    Rollup.objects.update(refreshing_until=timezone.now() + timedelta(minutes=5))
    assert rollups.recount("test_count", {"x": 1}) is False
    assert counter.calls == 1 and rollups.get("test_count", {"x": 1}).value["n"] == 1
    # The worker skips a row someone else is counting, too.
    pagecache.bump("board")
    assert (
        rollups.refresh_due() == {"refreshed": 0, "failed": 0, "dropped": 0} and counter.calls == 1
    )
    # A lapsed lease (its holder died) is free.
    Rollup.objects.update(refreshing_until=timezone.now() - timedelta(seconds=1))
    assert rollups.recount("test_count", {"x": 1}) is True
    assert counter.calls == 2
    row = _row()
    assert row.refreshing_until is None and row.wanted_at is None
    snapshot = rollups.get("test_count", {"x": 1})
    assert snapshot.value["n"] == 2 and snapshot.current
    # No row yet: recount() of a heavy count stores one.
    assert rollups.recount("test_count", {"x": 9}) is True
    assert _row(params={"x": 9}).params == {"x": 9}


def test_a_recount_that_fails_frees_the_lease(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    counter.fail = RuntimeError("统计超时")
    with pytest.raises(RuntimeError):
        rollups.recount("test_count", {"x": 1})
    assert _row().refreshing_until is None
    counter.fail = None
    assert rollups.recount("test_count", {"x": 1}) is True


def test_forget_old_deletes_what_nobody_read_for_a_week(db, monkeypatch, heavy):
    _kind(monkeypatch)
    for x in (1, 2, 3):
        rollups.get("test_count", {"x": x})
    now = timezone.now()
    Rollup.objects.filter(key=_row(params={"x": 1}).key).update(read_at=now - timedelta(days=8))
    Rollup.objects.filter(key=_row(params={"x": 2}).key).update(read_at=now - timedelta(days=6))
    assert rollups.forget_old() == 1
    assert set(Rollup.objects.values_list("params__x", flat=True)) == {2, 3}


def test_the_housekeeping_step_refreshes_and_forgets(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    rollups.get("test_count", {"x": 2})
    Rollup.objects.filter(key=_row(params={"x": 2}).key).update(
        read_at=timezone.now() - timedelta(days=8)
    )
    counter.value = 2
    pagecache.bump("board")
    step = next(s for s in STEPS if s.name == "rollups")
    record = run_step(step)
    assert record["ok"] is True, record.get("traceback")
    assert record["counts"] == {"refreshed": 1, "failed": 0, "dropped": 0, "forgotten": 1}
    assert describe_counts(record["counts"]) == "已更新 1，失败 0，已失效 0，已删除 1"
    assert step.atomic is False  # each recount commits on its own
    assert list(Rollup.objects.values_list("params__x", flat=True)) == [1]
    assert rollups.get("test_count", {"x": 1}).value["n"] == 2


def test_the_worker_s_roll_up_loop(db, monkeypatch, heavy):
    heavy.OPENDAY_ROLLUP_POLL_SECONDS = 7
    counter = _kind(monkeypatch)
    worker = object.__new__(OpendayWorker)  # the loop needs nothing of a running worker
    rollups.get("test_count", {"x": 1})
    assert worker._rollup_loop() == 7  # nothing due: sleep
    counter.value = 2
    pagecache.bump("board")
    assert worker._rollup_loop() == 0  # did something: look again at once
    assert rollups.get("test_count", {"x": 1}).value["n"] == 2
    assert worker._rollup_loop() == 7


def test_a_count_that_became_light_is_dropped_by_the_refresh_and_the_recount(
    db, monkeypatch, heavy
):
    counter = _kind(monkeypatch)
    rollups.get("test_count", {"x": 1})
    rollups.get("test_count", {"x": 2})
    heavy.OPENDAY_ROLLUP_HEAVY_MS = 10**9  # both counts are light from now on
    counter.value = 2
    pagecache.bump("board")
    assert rollups.refresh_due()["dropped"] == 2
    assert not Rollup.objects.exists()
    snapshot = rollups.get("test_count", {"x": 1})
    assert snapshot.value["n"] == 2 and not snapshot.stored
    heavy.OPENDAY_ROLLUP_HEAVY_MS = 0
    rollups.get("test_count", {"x": 1})
    heavy.OPENDAY_ROLLUP_HEAVY_MS = 10**9
    assert rollups.recount("test_count", {"x": 1}) is True
    assert not Rollup.objects.exists()


def test_a_database_error_in_one_recount_spares_the_others(db, monkeypatch, heavy, caplog):
    """The housekeeping step is not one transaction: a count that fails in the database (a
    statement timeout) is recorded on its row and the others' recounts are kept."""
    from django.db import connection

    broken = _kind(monkeypatch, name="broken")
    fine = _kind(monkeypatch)
    rollups.get("broken", {"x": 1})
    rollups.get("test_count", {"x": 1})

    def bad_sql(params):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_here")

    monkeypatch.setitem(
        rollups.KINDS, "broken", rollups.Kind("broken", "坏的统计", bad_sql, ("board",))
    )
    fine.value = 2
    pagecache.bump("board")
    step = next(s for s in STEPS if s.name == "rollups")
    record = run_step(step)
    assert record["ok"] is True, record.get("traceback")
    assert record["counts"]["refreshed"] == 1 and record["counts"]["failed"] == 1
    assert _row("broken").failed_at is not None and "no_such_table_here" in _row("broken").error
    assert rollups.get("test_count", {"x": 1}).value["n"] == 2
    assert broken.calls == 1  # the first count, before it broke


def test_an_operator_row_is_recounted_as_someone_who_still_has_the_scope(world, said, heavy):
    """The shared row of operators ("*") carries the last reader as its params; when the user
    it names loses the scope, the row is dropped instead of counting another scope under it."""
    from openday.accounts.models import User

    ops = world.users["operator"]
    other = User.objects.create_user("ops2", password="x", full_name="另一位运维")
    other.is_superuser = True
    other.save(update_fields=["is_superuser"])
    assert calc.page_figures(Access(ops), "").value["total"]["received"] == 3
    calc.page_figures(Access(ops), "", "opinion_topics")
    ops.is_superuser = False
    ops.save(update_fields=["is_superuser"])
    pagecache.bump("board")
    # The hot topics too: their own failures are swallowed (the page shows without them),
    # but not this one.
    assert rollups.refresh_due()["dropped"] == 2
    assert not Rollup.objects.filter(kind__in=calc.PAGE_KINDS).exists()
    # The other operator counts anew, as themselves, and the worker then recounts as them.
    assert calc.page_figures(Access(other), "").value["total"]["received"] == 3
    row = Rollup.objects.get(kind="opinion_figures")
    assert row.params["user"] == other.pk and row.params["scope"] == "*"
    pagecache.bump("board")
    assert rollups.refresh_due()["refreshed"] >= 1
    assert calc.page_figures(Access(other), "").value["total"]["received"] == 3
    # A user deleted meanwhile: dropped too, not a failure every period.
    other.delete()
    pagecache.bump("board")
    counts = rollups.refresh_due()
    assert counts["dropped"] >= 1 and counts["failed"] == 0


# --- The evaluation ----------------------------------------------------------------------------


def _numbers(result):
    return [
        (u.unit.pk, u.rank, u.score, {c: (line.plain, line.points) for c, line in u.lines.items()})
        for u in result.units
    ]


def test_evaluate_from_a_stored_row_gives_the_live_numbers(hand, monkeypatch, settings):
    campaign = hand.campaign
    live = scoring.evaluate(campaign)
    assert not live.counted.stored and not Rollup.objects.exists()
    live_numbers, live_overall = _numbers(live), exports.overall(campaign, live)
    live_months = scoring.by_month(campaign)
    assert live_overall["held"] == 4 and live_overall["participants"] == 9

    settings.OPENDAY_ROLLUP_HEAVY_MS = 0
    stored = scoring.evaluate(campaign)
    assert stored.counted.stored
    assert Rollup.objects.get().kind == "evaluation"

    def no_counting(*args, **kwargs):
        raise AssertionError("counted again instead of reading the stored roll-up")

    monkeypatch.setattr(ind, "compute", no_counting)
    again = scoring.evaluate(campaign)
    assert again.counted.stored and again.counted.current
    assert again.counted.computed_at == stored.counted.computed_at
    assert _numbers(again) == live_numbers
    assert exports.overall(campaign, again) == live_overall
    assert exports.overall(campaign) == live_overall
    assert scoring.by_month(campaign, again) == live_months == scoring.by_month(campaign)
    # What the row holds is scoring._count's whole count, the same one the live path made.
    assert sorted(again.counted.value["units"]) == sorted([hand.a.pk, hand.b.pk, hand.c.pk])
    assert again.counted.value == live.counted.value == scoring.counted(campaign).value
    assert set(again.counted.value) == {"units", "figures", "facts", "months"}


def _dashboard(c, hand):
    r = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/")
    assert r.status_code == 200
    return r.content.decode()


def _held_and_people(page):
    held = page.split("<div>已举办活动")[0].rsplit("<strong>", 1)[1].split("</strong>")[0]
    people = page.split("<div>签到参加人次")[0].rsplit("<strong>", 1)[1].split("</strong>")[0]
    return int(held), int(people)


def test_a_light_evaluation_says_nothing_of_a_stored_count(hand, world, client):
    page = _dashboard(world.client_for(client, "kf_office"), hand)
    assert _held_and_people(page) == (4, 9)
    assert "统计于" not in page and "立即重新统计" not in page
    assert not Rollup.objects.exists()


def test_the_dashboard_shows_the_stored_figures_until_recounted(hand, world, client, heavy):
    c = world.client_for(client, "kf_office")
    recount = f"/staff/campaigns/{hand.campaign.pk}/evaluation/recount/"
    page = _dashboard(c, hand)
    assert "统计于" in page and "立即重新统计" in page and f'action="{recount}"' in page
    counted_at = timezone.localtime(Rollup.objects.get().computed_at)
    assert f"统计于 <strong>{counted_at:%Y-%m-%d %H:%M:%S}</strong>" in page
    assert "后台会自动重新统计" in page
    assert _held_and_people(page) == (4, 9)
    assert Rollup.objects.filter(kind="evaluation").count() == 1
    # A check-in bumps no version: the stored figures stand until recounted …
    _people(hand.eb2, 1)
    page = _dashboard(c, hand)
    assert _held_and_people(page) == (4, 9) and "后台会自动重新统计" in page
    # … by the button.
    r = c.post(recount)
    assert (
        r.status_code == 302 and r["Location"] == f"/staff/campaigns/{hand.campaign.pk}/evaluation/"
    )
    page = c.get(r["Location"]).content.decode()
    assert "已按最新数据重新统计。" in page
    assert _held_and_people(page) == (4, 10)
    # A new held event bumps the campaign's version: the page says the figures are behind …
    _event(hand.campaign, hand.c, at(10, 8), "held")
    page = _dashboard(c, hand)
    assert _held_and_people(page) == (4, 10)
    assert "此后数据已有变化，后台正在重新统计" in page
    # … until the worker's refresh.
    assert rollups.refresh_due() == {"refreshed": 1, "failed": 0, "dropped": 0}
    page = _dashboard(c, hand)
    assert _held_and_people(page) == (5, 10) and "后台会自动重新统计" in page
    # The unit page and the export read the same row (no second one, no recount).
    computed_at = Rollup.objects.get(kind="evaluation").computed_at
    base = f"/staff/campaigns/{hand.campaign.pk}"
    assert c.get(f"{base}/evaluation/units/{hand.a.pk}/").status_code == 200
    assert c.get(f"{base}/evaluation.xlsx").status_code == 200
    assert Rollup.objects.get(kind="evaluation").computed_at == computed_at


def test_the_recount_button_while_the_worker_counts(hand, world, client, heavy):
    c = world.client_for(client, "kf_office")
    _dashboard(c, hand)
    Rollup.objects.update(refreshing_until=timezone.now() + timedelta(minutes=5))
    _people(hand.eb2, 1)
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation/recount/", follow=True)
    page = r.content.decode()
    assert "后台正在统计，请稍后刷新页面。" in page
    assert _held_and_people(page) == (4, 9)


# --- The opinion figures ------------------------------------------------------------------------


def _figures(c, query=""):
    r = c.get(f"/staff/opinion-figures/{query}")
    assert r.status_code == 200
    return r


def _new_opinion(world, office=None, content="小区门口的路灯坏了很久，晚上出行不方便。"):
    office = office or world.kaifu
    actor = world.users["kf_office" if office == world.kaifu else "nm_office"]
    return opinions.submit_opinion(content=content, source="forum", office=office, actor=actor)


@pytest.fixture
def said(world):
    """The demo has no opinions: two in 开福区, one in 奈曼旗."""
    _new_opinion(world)
    _new_opinion(world, content="希望增加公交线路，方便去医院看病。")
    _new_opinion(world, world.naiman, content="村里的道路坑洼不平，雨天出行困难。")


def test_the_opinion_figures_page_with_a_stored_count(world, said, client, heavy):
    c = world.client_for(client, "kf_office")
    r = _figures(c)
    page = r.content.decode()
    received = r.context["data"]["total"]["received"]
    assert received == 2
    assert "统计于" in page and "立即重新统计" in page
    assert 'action="/staff/opinion-figures/recount/"' in page
    assert set(Rollup.objects.values_list("kind", flat=True)) == {
        "opinion_figures",
        "opinion_topics",
    }
    _new_opinion(world)  # bumps "board"
    r = _figures(c)
    assert r.context["data"]["total"]["received"] == received
    assert not r.context["counted"].current and "此后数据已有变化" in r.content.decode()
    assert rollups.refresh_due() == {"refreshed": 2, "failed": 0, "dropped": 0}
    r = _figures(c)
    assert r.context["data"]["total"]["received"] == received + 1
    assert r.context["counted"].current
    # The button counts at once.
    _new_opinion(world)
    r = c.post("/staff/opinion-figures/recount/")
    assert r.status_code == 302 and r["Location"] == "/staff/opinion-figures/"
    r = _figures(c)
    assert r.context["data"]["total"]["received"] == received + 2
    # With a year, the year's rows are recounted and the page comes back to that year.
    r = c.post(f"/staff/opinion-figures/recount/?year={YEAR}")
    assert r["Location"] == f"/staff/opinion-figures/?year={YEAR}"
    # While the worker holds a row, the button says so and counts nothing.
    _new_opinion(world)
    Rollup.objects.update(refreshing_until=timezone.now() + timedelta(minutes=5))
    r = c.post("/staff/opinion-figures/recount/", follow=True)
    assert "后台正在统计，请稍后刷新页面。" in r.content.decode()
    assert r.context["data"]["total"]["received"] == received + 2


def test_a_light_opinion_figures_page_says_nothing_of_a_stored_count(world, said, client):
    r = _figures(world.client_for(client, "kf_office"))
    assert r.context["data"]["total"]["received"] == 2
    assert "统计于" not in r.content.decode() and not r.context["counted"].stored
    assert not Rollup.objects.exists()


def test_viewers_of_one_scope_share_a_row(world, said, heavy):
    from openday.accounts.models import User

    ops = world.users["operator"]
    other = User.objects.create_user("ops2", password="x", full_name="另一位运维")
    other.is_superuser = True
    other.save(update_fields=["is_superuser"])
    first = calc.page_figures(Access(ops), "")
    second = calc.page_figures(Access(other), "")
    assert Rollup.objects.filter(kind="opinion_figures").count() == 1
    assert second.computed_at == first.computed_at and second.value == first.value
    # Another scope, or another year, is another row with its own figures.
    kaifu = calc.page_figures(Access(world.users["kf_office"]), "")
    naiman = calc.page_figures(Access(world.users["nm_office"]), "")
    calc.page_figures(Access(ops), 2023)
    assert Rollup.objects.filter(kind="opinion_figures").count() == 4
    totals = [s.value["total"]["received"] for s in (first, kaifu, naiman)]
    assert totals == [3, 2, 1]  # everywhere, 开福区, 奈曼旗


# --- Who may recount ----------------------------------------------------------------------------


def test_the_recount_posts_are_post_only_and_for_staff(hand, world, client, heavy):
    evaluation = f"/staff/campaigns/{hand.campaign.pk}/evaluation/recount/"
    figures = "/staff/opinion-figures/recount/"
    c = world.client_for(client, "kf_office")
    assert c.get(evaluation).status_code == 405
    assert c.get(figures).status_code == 405
    c = world.client_for(client, "anonymous")
    for url in (evaluation, figures):
        r = c.post(url)
        assert r.status_code == 302 and r["Location"].startswith("/staff/login/?next=")
    assert world.client_for(client, "norole").post(figures).status_code == 403
    assert not Rollup.objects.exists()


def test_only_those_who_see_every_unit_recount_the_evaluation(hand, world, client, heavy):
    url = f"/staff/campaigns/{hand.campaign.pk}/evaluation/recount/"
    # A unit sees nothing before publishing, and only its own row after: no recount either way.
    c = world.client_for(client, "unit_admin")
    assert c.post(url).status_code == 403
    services.publish_scheme(world.users["kf_office"], services.scheme_for(hand.campaign))
    page = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/")
    assert page.status_code == 200 and "立即重新统计" not in page.content.decode()
    Rollup.objects.all().delete()
    assert c.post(url).status_code == 403
    assert world.client_for(client, "handler").post(url).status_code == 403
    # Another region's office does not see the campaign at all.
    assert world.client_for(client, "nm_office").post(url).status_code == 403
    assert not Rollup.objects.exists()
    # A viewer of the office sees every unit, so may recount.
    assert world.client_for(client, "kf_viewer").post(url).status_code == 302
    assert Rollup.objects.filter(kind="evaluation").count() == 1
    assert (
        world.client_for(client, "kf_office")
        .post("/staff/campaigns/999999/evaluation/recount/")
        .status_code
        == 404
    )


def test_each_viewer_recounts_only_their_own_scope(world, said, client, heavy):
    c = world.client_for(client, "nm_office")
    assert c.post("/staff/opinion-figures/recount/").status_code == 302
    naiman = Access(world.users["nm_office"])
    rows = Rollup.objects.filter(kind__in=calc.PAGE_KINDS)
    assert {r.key for r in rows} == {
        rollups.key_of(kind, [scope_key(naiman), ""]) for kind in calc.PAGE_KINDS
    }


def test_the_roll_up_of_lower_offices_keeps_each_light_count(hand, world, client):
    """Each lower office's count is light, but a province adds up dozens of them: rollup()
    keeps them (rollups.get keep=True), the worker refreshes and does not drop them, and the
    tab says when they were counted. The lower office's own page still counts per request."""
    from openday.campaigns.models import Campaign
    from openday.orgs.models import Membership

    from .test_evaluation import _upper

    city = world.kaifu.parent
    upper = _upper(city)
    Campaign.objects.filter(pk=hand.campaign.pk).update(parent=upper)
    first = scoring.rollup(upper)
    kept = Rollup.objects.get()
    assert kept.params == {"campaign": hand.campaign.pk, "keep": True}
    assert first["counted"].stored and first["counted"].current
    held = first["offices"][0].lines["events_held"].plain
    # The lower office's own dashboard is light (conftest): counted per request, not this row.
    assert not scoring.counted(hand.campaign).stored and Rollup.objects.count() == 1
    # A new held event: the tab shows the kept count, marked, until the worker recounts it.
    _event(hand.campaign, hand.b, at(11, 2), "held")
    stale = scoring.rollup(upper)
    assert stale["offices"][0].lines["events_held"].plain == held
    assert not stale["counted"].current
    assert rollups.refresh_due() == {"refreshed": 1, "failed": 0, "dropped": 0}
    fresh = scoring.rollup(upper)
    assert fresh["offices"][0].lines["events_held"].plain == held + 1 and fresh["counted"].current
    # The page: the table and when it was counted.
    user = type(world.users["kf_office"]).objects.create_user(
        "city-office", password="x", full_name="市政务公开办"
    )
    user.two_factor_exempt = True
    user.save(update_fields=["two_factor_exempt"])
    Membership.objects.create(user=user, org=city, role="office_admin")
    client.force_login(user)
    html = client.get(f"/staff/campaigns/{upper.pk}/evaluation/?tab=rollup").content.decode()
    assert "下级政务公开办汇总" in html and "统计于" in html


def test_the_api_says_when_a_stored_evaluation_was_counted(hand, world, client, heavy):
    from datetime import datetime

    from .test_evaluation_api import _get

    snapshot = scoring.counted(hand.campaign)  # stored (heavy)
    Rollup.objects.update(computed_at=snapshot.computed_at - timedelta(minutes=3))
    body = _get(client, hand, world.users["kf_viewer"]).json()
    counted = datetime.fromisoformat(body["counted_at"])  # JSON keeps milliseconds
    stored = _row("evaluation", {"campaign": hand.campaign.pk}).computed_at
    assert abs(counted - stored) < timedelta(milliseconds=1)
    assert counted < timezone.now() - timedelta(minutes=2)


# --- Two readers of figures not counted yet --------------------------------------------------


def _another_request_counts(monkeypatch, key, stores):
    """Hold the counting lock as another request would, and let it finish (store a row or
    not) the first time this reader waits."""
    from django.core.cache import cache

    lock = f"openday:rollup-counting:{key}"
    cache.add(lock, 1, 60)

    def finish(_seconds):
        if cache.get(lock) is not None:
            stores()
            cache.delete(lock)

    monkeypatch.setattr(rollups.time, "sleep", finish)
    return lock


def test_a_second_reader_waits_for_the_first_count_instead_of_counting(db, monkeypatch, heavy):
    counter = _kind(monkeypatch)
    key = rollups.key_of("test_count", {"x": 1})

    def other_request_stores():
        kind = rollups.KINDS["test_count"]
        rollups._store(key, kind, {"x": 1}, {"n": 41}, {}, 900, timezone.now())

    _another_request_counts(monkeypatch, key, other_request_stores)
    snapshot = rollups.get("test_count", {"x": 1})
    assert snapshot.value == {"n": 41} and snapshot.stored and snapshot.current
    assert counter.calls == 0


def test_a_second_reader_counts_itself_when_the_first_stored_nothing(db, monkeypatch, heavy):
    """A light count (nothing stored), a failed one, or a lock never released (WAIT_SECONDS)."""
    from django.core.cache import cache

    counter = _kind(monkeypatch)
    key = rollups.key_of("test_count", {"x": 1})
    lock = _another_request_counts(monkeypatch, key, lambda: None)
    assert rollups.get("test_count", {"x": 1}).value["n"] == 1 and counter.calls == 1
    assert cache.get(lock) is None  # released after counting
    # A lock nobody releases: the reader gives up waiting and counts.
    cache.add(lock, 1, 60)
    monkeypatch.setattr(rollups.time, "sleep", lambda _s: None)
    monkeypatch.setattr(rollups, "WAIT_SECONDS", 0.05)
    Rollup.objects.all().delete()
    assert rollups.get("test_count", {"x": 1}).value["n"] == 1 and counter.calls == 2


def test_a_count_that_raises_releases_the_lock(db, monkeypatch, heavy):
    from django.core.cache import cache

    counter = _kind(monkeypatch)
    counter.fail = RuntimeError("统计超时")
    with pytest.raises(RuntimeError):
        rollups.get("test_count", {"x": 1})
    key = rollups.key_of("test_count", {"x": 1})
    assert cache.get(f"openday:rollup-counting:{key}") is None
