"""Evaluation (绩效考核): indicator arithmetic against a hand-made world, counted by hand in the
comments; adjustments, ranks, weights, awards, publishing, the roll-up, the exports and pages.

The world, campaign 开福区 2024 (default weights and targets):

unit A = 开福区住房和城乡建设局, B = 四方坪街道 (with a department), C = 开福区教育局
- plan: A1 May, A2 June; B1 July; C1 September
- events: A1 held 20 May (on plan); A2 held 3 July (planned June: late); B1 summarized
  1 July 07:00 Shanghai (30 June in UTC: on plan only if months are local); B2 held in August,
  not in the plan; C1 still open (not held)
- check-ins: A1 3 (+1 registered, not arrived), A2 2, B1 4  -> A 5, B 4, C 0
- opinions at held events: A1 3, A2 1, B1 2 (one merged into the other)
- handling: A answered 3 (2 on time, 1 late), adopted 1 + partly 1, explained 1; one
  rectified (steps all done), one not; call-backs reached 5 and 4 (and one not reached).
  B's department answered 1, late, adopted and rectified; call-back 2. C: one unanswered.
- articles published: A 1 (+1 draft), B 2. Evidence complete: B1 only.
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.campaigns import services as campaigns
from openday.campaigns.models import Campaign, PlanEntry
from openday.evaluation import indicators as ind
from openday.evaluation import services
from openday.evaluation.models import Adjustment, Award, Scheme
from openday.evaluation.scoring import by_month, evaluate, rank, rollup
from openday.events.models import Event, Registration
from openday.opinions.models import Callback, Opinion, RectificationStep
from openday.orgs.models import Org
from openday.publicity.models import Article
from openday.summaries.models import EventPhoto, EventSummary
from openday.surveys.models import Response, Survey

SH = ZoneInfo("Asia/Shanghai")
YEAR = 2024


def at(month, day, hour=10):
    return datetime(YEAR, month, day, hour, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _org(name, kind, parent):
    org = Org.objects.create(name=name, kind=kind, parent=parent, region=parent.region)
    org.path = f"{parent.path}{org.pk:08d}/"
    org.save(update_fields=["path"])
    return org


def _upper(office):
    """An upper office's campaign (the city has no 发文字号代字 in the demo: no notice)."""
    return Campaign.objects.create(office=office, year=YEAR, kind="theme_day", title="市级活动",
                                   declaration_deadline=date(YEAR, 3, 1), status="open")  # fmt: skip


def _campaign(office, actor, year=YEAR, parent=None):
    fields = campaigns.preset_fields("theme_day", office, year)
    campaign = campaigns.create_campaign(actor, office, **fields)
    campaign = campaigns.issue_notice(actor, campaign)
    if parent is not None:
        Campaign.objects.filter(pk=campaign.pk).update(parent=parent)
        campaign.refresh_from_db()
    return campaign


def _entry(campaign, unit, month):
    return PlanEntry.objects.create(campaign=campaign, unit=unit, theme=f"{unit.name}{month}月主题",
                                    month=month, week=date(YEAR, month, 1))  # fmt: skip


def _event(campaign, unit, starts, status, entry=None):
    return Event.objects.create(
        unit=unit, campaign=campaign, plan_entry=entry, title=f"{unit.name}{YEAR}年活动{starts:%m%d}",
        starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=50, status=status,
    )  # fmt: skip


_seq = iter(range(10_000, 99_999))


def _people(event, arrived, category="public", absent=0):
    for i in range(arrived + absent):
        n = next(_seq)
        r = Registration(event=event, name=f"参加人{n}", category=category, status="confirmed",
                         ticket_code=f"T{n}", consent_at=timezone.now(),
                         checked_in_at=event.starts_at if i < arrived else None)  # fmt: skip
        r.phone = f"139{n:08d}"
        r.save()


def _opinion(office, event, unit, status, *, decision="", answered=None, due=None, merged=None):
    n = next(_seq)
    return Opinion.objects.create(
        tracking_code=f"EV{n}", source="forum", content=f"意见{n}", office=office, event=event,
        campaign=event.campaign, unit=unit, status=status, decision=decision,
        answered_at=answered, due_date=due, merged_into=merged,
    )  # fmt: skip


def _callback(opinion, outcome, score=None):
    Callback.objects.create(opinion=opinion, event=opinion.event, org=opinion.unit,
                            outcome=outcome, satisfaction_handling=score)  # fmt: skip


class Hand:
    """The hand-made world described in the module docstring."""

    def __init__(self, w):
        self.w = w
        kf = w.users["kf_office"]
        self.a, self.b = w.housing, w.street
        self.c = Org.objects.get(name="开福区教育局")
        self.b_dept = _org("街道党政综合办", "department", self.b)
        self.campaign = c = _campaign(w.kaifu, kf)
        a1, a2 = _entry(c, self.a, 5), _entry(c, self.a, 6)
        b1, c1 = _entry(c, self.b, 7), _entry(c, self.c, 9)
        self.ea1 = _event(c, self.a, at(5, 20), "held", a1)
        self.ea2 = _event(c, self.a, at(7, 3), "held", a2)
        self.eb1 = _event(c, self.b, at(7, 1, 7), "summarized", b1)
        self.eb2 = _event(c, self.b, at(8, 15), "held")
        self.ec1 = _event(c, self.c, at(9, 10), "open", c1)
        _people(self.ea1, 2, "deputy")
        _people(self.ea1, 1, "public", absent=1)
        _people(self.ea2, 2)
        _people(self.eb1, 4, "media")
        _people(self.ec1, 0, absent=1)
        o = w.kaifu
        due = date(YEAR, 6, 10)
        self.o1 = _opinion(o, self.ea1, self.a, "published", decision="adopted",
                           answered=at(5, 25, 12), due=due)  # fmt: skip
        self.o2 = _opinion(o, self.ea1, self.a, "approved", decision="partly",
                           answered=at(6, 20, 12), due=due)  # fmt: skip
        self.o3 = _opinion(o, self.ea1, self.a, "answered", decision="explained",
                           answered=at(6, 1, 12), due=due)  # fmt: skip
        self.o4 = _opinion(o, self.ea2, self.a, "assigned", due=date(YEAR, 7, 20))
        RectificationStep.objects.create(opinion=self.o1, description="整改", planned_date=due,
                                         done_date=due)  # fmt: skip
        RectificationStep.objects.create(opinion=self.o2, description="整改", planned_date=due)
        _callback(self.o1, "reached", 5)
        _callback(self.o2, "reached", 4)
        _callback(self.o3, "no_answer")
        self.o5 = _opinion(o, self.eb1, self.b_dept, "answered", decision="adopted",
                           answered=at(6, 30, 12), due=date(YEAR, 6, 20))  # fmt: skip
        _opinion(o, self.eb1, None, "merged", merged=self.o5)
        RectificationStep.objects.create(opinion=self.o5, description="整改", planned_date=due,
                                         done_date=due)  # fmt: skip
        _callback(self.o5, "reached", 2)
        _opinion(o, self.ec1, self.c, "assigned", due=date(YEAR, 10, 10))
        for unit, event, status in ((self.a, self.ea1, "published"), (self.a, self.ea1, "draft"),
                                    (self.b, self.eb1, "published"), (self.b, self.eb2, "published"),
                                    (w.kaifu, None, "published")):  # fmt: skip
            Article.objects.create(campaign=c, event=event, unit=unit, title="报道", body="正文",
                                   status=status)  # fmt: skip
        # B1's evidence is complete: photos with the logo, a survey answer, a summary.
        EventPhoto.objects.create(event=self.eb1, image="event-photos/x.png", shows_logo=True)
        survey = Survey.objects.create(org=self.b, event=self.eb1, title="满意度问卷")
        Response.objects.create(survey=survey)
        EventSummary.objects.create(event=self.eb1, status="submitted")


@pytest.fixture
def hand(world):
    return Hand(world)


# Hand count, default weights (weight, target):
EXPECTED_VALUES = {
    # held_on_plan: A 1 of 2 plan entries held in its month; B 1 of 1 (local July); C 0 of 1
    "held_on_plan": {"a": 0.5, "b": 1.0, "c": 0.0},
    "events_held": {"a": 2, "b": 2, "c": 0},
    "participants": {"a": 5, "b": 4, "c": 0},
    # opinions at held events / held events: A 4/2, B 2/2 (the merged one counts), C none held
    "opinions_per_event": {"a": 2.0, "b": 1.0, "c": None},
    # on time / answered: A 2/3, B 0/1 (late), C nothing answered
    "answered_on_time": {"a": 0.6667, "b": 0.0, "c": None},
    # adopted / answered: A 2/3, B 1/1
    "adoption_rate": {"a": 0.6667, "b": 1.0, "c": None},
    # rectified / adopted: A 1/2, B 1/1
    "rectification_rate": {"a": 0.5, "b": 1.0, "c": None},
    # reached call-backs: A (5+4)/2, B 2
    "satisfaction": {"a": 4.5, "b": 2.0, "c": None},
    # published articles / held events: A 1/2, B 2/2
    "publicity": {"a": 0.5, "b": 1.0, "c": None},
    # complete evidence / held events: A 0/2, B 1/2
    "evidence_complete": {"a": 0.0, "b": 0.5, "c": None},
}
EXPECTED_POINTS = {
    "held_on_plan": {"a": "7.50", "b": "15.00", "c": "0.00"},  # 15 × 0.5/1, 15 × 1
    "events_held": {"a": "10.00", "b": "10.00", "c": "0.00"},  # 10 × min(2/1, 1)
    "participants": {"a": "1.67", "b": "1.33", "c": "0.00"},  # 10 × 5/30, 10 × 4/30
    "opinions_per_event": {"a": "4.00", "b": "2.00", "c": "0.00"},  # 10 × 2/5, 10 × 1/5
    "answered_on_time": {"a": "11.11", "b": "0.00", "c": "0.00"},  # 15 × (2/3)/0.9
    "adoption_rate": {"a": "10.00", "b": "10.00", "c": "0.00"},  # 10 × min((2/3)/0.6, 1)
    "rectification_rate": {"a": "5.56", "b": "10.00", "c": "0.00"},  # 10 × 0.5/0.9
    "satisfaction": {"a": "10.00", "b": "2.86", "c": "0.00"},  # 10 × (2−1)/(4.5−1) for B
    "publicity": {"a": "2.50", "b": "5.00", "c": "0.00"},  # 5 × 0.5/1
    "evidence_complete": {"a": "0.00", "b": "2.50", "c": "0.00"},  # 5 × 0.5/1
}
# A: 7.50+10+1.67+4+11.11+10+5.56+10+2.50+0 = 62.34; B: 15+10+1.33+2+0+10+10+2.86+5+2.50 = 58.69
SCORES = {"a": Decimal("62.34"), "b": Decimal("58.69"), "c": Decimal("0.00")}


def _units(hand):
    return {"a": hand.a, "b": hand.b, "c": hand.c}


def test_every_indicator_value_and_points_match_the_hand_count(hand):
    result = evaluate(hand.campaign)
    assert [u.unit for u in result.units] == [hand.a, hand.b, hand.c]
    for key, unit in _units(hand).items():
        lines = result.unit(unit.pk).lines
        for code in ind.CODES:
            assert lines[code].plain == EXPECTED_VALUES[code][key], (code, key)
            assert lines[code].points == Decimal(EXPECTED_POINTS[code][key]), (code, key)
    c = result.unit(hand.c.pk).lines
    assert c["answered_on_time"].display == "无数据" and c["events_held"].display == "0 场"
    assert result.unit(hand.a.pk).lines["answered_on_time"].display == "66.7%"


def test_scores_add_up_and_rank(hand):
    result = evaluate(hand.campaign)
    for key, unit in _units(hand).items():
        assert result.unit(unit.pk).score == SCORES[key]
    assert [(u.unit, u.rank) for u in result.units] == [(hand.a, 1), (hand.b, 2), (hand.c, 3)]


def test_the_opinion_figures_are_those_of_the_opinions_dashboard(hand):
    from openday.opinions import figures

    by_unit = {r["key"]: r for r in figures.by(Opinion.objects.all(), "unit")}
    a = by_unit[hand.a.pk]
    line = evaluate(hand.campaign).unit(hand.a.pk).lines
    assert round(line["answered_on_time"].plain * 100, 1) == a["on_time_rate"]
    assert round(line["adoption_rate"].plain * 100, 1) == a["adoption_rate"]
    assert line["satisfaction"].plain == a["satisfaction"]
    # B's opinion was answered by its department: it counts for B.
    assert by_unit[hand.b_dept.pk]["answered"] == 1 and hand.b.pk not in by_unit


def test_ties_share_a_rank():
    class X:
        def __init__(self, v):
            self.v = v

    items = [X(5), X(3), X(5), X(1)]
    assert [(i.v, i.rank) for i in rank(items, lambda i: i.v)] == [(5, 1), (5, 1), (3, 3), (1, 4)]


def test_adjustments_stay_within_limits_and_revoked_ones_are_ignored(hand, world):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    # A total −70: 62.34 − 70 < 0, so 0, tied with C at 0.00 -> ranks B 1, A 2, C 2.
    minus = services.adjust(kf, scheme, hand.a, "-70", "材料弄虚作假，按规定扣分")
    result = evaluate(hand.campaign)
    assert result.unit(hand.a.pk).score == Decimal("0.00")
    assert {u.unit: u.rank for u in result.units} == {hand.b: 1, hand.a: 2, hand.c: 2}
    services.revoke_adjustment(kf, minus, "核实后撤销该扣分")
    # One indicator: evidence 0 + 2 = 2 (≤ 5); satisfaction 10 + 3 stays 10; events 10 − 15 -> 0.
    services.adjust(kf, scheme, hand.a, "2", "补交佐证材料经核实", indicator="evidence_complete")
    services.adjust(kf, scheme, hand.a, "3", "回访工作突出加分", indicator="satisfaction")
    services.adjust(kf, scheme, hand.a, "-15", "活动场次统计有误", indicator="events_held")
    services.adjust(kf, scheme, hand.b, "1.5", "经验做法被市里推广")
    result = evaluate(hand.campaign)
    a = result.unit(hand.a.pk)
    assert a.lines["evidence_complete"].points == Decimal("2.00")
    assert a.lines["satisfaction"].points == Decimal("10.00")
    assert a.lines["events_held"].points == Decimal("0.00")
    assert a.score == Decimal("54.34")  # 62.34 + 2 − 10
    assert a.adjustment_total == Decimal("-8.00")
    assert result.unit(hand.b.pk).score == Decimal("60.19")  # 58.69 + 1.5
    assert [u.unit for u in result.units] == [hand.b, hand.a, hand.c]
    minus.refresh_from_db()
    assert minus.revoked_at and minus.revoke_reason == "核实后撤销该扣分"
    assert AuditEntry.objects.filter(action="evaluation.adjustment_revoked").count() == 1
    assert AuditEntry.objects.filter(action="evaluation.adjusted").count() == 5


def test_adjustments_need_a_reason_and_a_number(hand, world):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    for points, reason, field in (("2", "", "reason"), ("2", "太好", "reason"),
                                  ("0", "理由足够长了", "points"), ("abc", "理由足够长了", "points"),
                                  ("1.25", "理由足够长了", "points"), ("101", "理由足够长了", "points")):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            services.adjust(kf, scheme, hand.a, points, reason)
        assert field in exc.value.message_dict
    other = Org.objects.get(name="沙日浩来镇人民政府")
    with pytest.raises(ValidationError):
        services.adjust(kf, scheme, other, "1", "不是本办的单位")
    adj = services.adjust(kf, scheme, hand.a, "1", "理由足够长了")
    with pytest.raises(ValidationError):
        services.revoke_adjustment(kf, adj, "")
    services.revoke_adjustment(kf, adj, "撤销的理由写清楚")
    with pytest.raises(ValidationError):
        services.revoke_adjustment(kf, adj, "再撤销一次试试")
    assert Adjustment.objects.count() == 1


def test_only_the_office_admins_change_anything(hand, world):
    scheme = services.scheme_for(hand.campaign, world.users["kf_office"])
    for persona in ("kf_viewer", "unit_admin", "nm_office", "handler"):
        user = world.users[persona]
        with pytest.raises(PermissionDenied):
            services.adjust(user, scheme, hand.a, "1", "理由足够长了")
        with pytest.raises(PermissionDenied):
            services.publish_scheme(user, scheme)
        with pytest.raises(PermissionDenied):
            services.save_weights(user, scheme, [])
    services.adjust(world.users["operator"], scheme, hand.a, "1", "运维代为录入加分")
    assert Adjustment.objects.count() == 1


def _rows(**changes):
    rows = {i.code: {"indicator": i.code, "weight": str(i.weight), "target": str(i.target)}
            for i in ind.CATALOGUE}  # fmt: skip
    for code, (weight, target) in changes.items():
        rows[code].update(weight=weight, target=target)
    return list(rows.values())


def test_weights_are_checked_row_by_row_and_must_total_100(hand, world):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    with pytest.raises(services.WeightsInvalid) as exc:
        services.save_weights(kf, scheme, _rows(held_on_plan=("-5", "1"), adoption_rate=("10", "60"),
                                                satisfaction=("10", "1"), participants=("x", "0")))  # fmt: skip
    rows = exc.value.rows
    assert set(rows) == {"held_on_plan", "adoption_rate", "satisfaction", "participants"}
    assert "不能为负数" in rows["held_on_plan"][0] and "0–1" in rows["adoption_rate"][0]
    assert len(rows["participants"]) == 2
    with pytest.raises(services.WeightsInvalid) as exc:
        services.save_weights(kf, scheme, _rows(publicity=("10", "1")))
    assert exc.value.total == "各项分值合计须为 100 分，现在是 105 分。"
    assert scheme.weights.get(indicator="publicity").weight == Decimal("5")  # nothing changed
    # Move 5 points from publicity to participants and lower its target to 10 people.
    services.save_weights(kf, scheme, _rows(publicity=("0", "1"), participants=("15", "10")))
    a = evaluate(hand.campaign).unit(hand.a.pk)
    # participants 15 × min(5/10, 1) = 7.50; publicity 0: 62.34 − 1.67 − 2.50 + 7.50 = 65.67
    assert a.lines["participants"].points == Decimal("7.50") and a.score == Decimal("65.67")
    entry = AuditEntry.objects.get(action="evaluation.weights_saved")
    assert entry.changes == {"participants": [["10.0", "30.00"], ["15", "10"]],
                             "publicity": [["5.0", "1.00"], ["0", "1"]]}  # fmt: skip


def test_awards(hand, world):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    award = services.mark_award(kf, scheme, Award.Kind.BEST_EVENT, None, hand.eb1, "组织有序")
    assert award.unit == hand.b
    with pytest.raises(ValidationError):  # twice
        services.mark_award(kf, scheme, Award.Kind.BEST_EVENT, None, hand.eb1)
    with pytest.raises(ValidationError):  # not the unit's event
        services.mark_award(kf, scheme, Award.Kind.BEST_EVENT, hand.a, hand.eb1)
    other = _event(None, hand.a, at(10, 1), "held")
    with pytest.raises(ValidationError):  # not in the campaign
        services.mark_award(kf, scheme, Award.Kind.BEST_EVENT, None, other)
    with pytest.raises(ValidationError):
        services.mark_award(kf, scheme, Award.Kind.EXCELLENT_UNIT, None)
    services.mark_award(kf, scheme, Award.Kind.EXCELLENT_UNIT, hand.a, citation="按期答复率高")
    assert [(a.kind, a.unit) for a in evaluate(hand.campaign).awards] == [
        ("best_event", hand.b), ("excellent_unit", hand.a)]  # fmt: skip
    services.remove_award(kf, award)
    assert Award.objects.count() == 1
    assert AuditEntry.objects.filter(action="evaluation.award_removed").exists()


def test_publishing_and_withdrawing(hand, world):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    services.publish_scheme(kf, scheme)
    assert evaluate(hand.campaign).published
    with pytest.raises(ValidationError):
        services.publish_scheme(kf, scheme)
    with pytest.raises(ValidationError):
        services.unpublish(kf, scheme, "")
    services.unpublish(kf, scheme, "更正后重新公布")
    assert Scheme.objects.get(pk=scheme.pk).published_at is None


def test_by_month_counts_local_months(hand):
    data = by_month(hand.campaign)
    assert data["months"][:2] == ["2024-04", "2024-05"]
    idx = {m: i for i, m in enumerate(data["months"])}
    b = next(u for u in data["units"] if u["id"] == hand.b.pk)
    assert b["events"][idx["2024-07"]] == 1 and b["participants"][idx["2024-07"]] == 4
    assert b["events"][idx["2024-06"]] == 0
    assert data["events"][idx["2024-07"]] == 2  # A2 (3 July) and B1 (1 July)
    assert data["participants"][idx["2024-05"]] == 3


def test_rollup_shows_each_lower_office(hand, world):
    city = world.kaifu.parent
    upper = _upper(city)
    Campaign.objects.filter(pk=hand.campaign.pk).update(parent=upper)
    other = _org("测试区政务公开办", "office", city)
    unit = _org("测试区某局", "unit", other)
    lower = Campaign.objects.create(office=other, parent=upper, year=YEAR, kind="theme_day",
                                    title="测试区活动", declaration_deadline=date(YEAR, 4, 1),
                                    status="plan_published")  # fmt: skip
    _event(lower, unit, at(6, 5), "held", _entry(lower, unit, 6))
    rows = rollup(upper)["offices"]
    assert [(r.office, r.rank) for r in rows] == [(world.kaifu, 1), (other, 2)]
    k = rows[0]
    # 开福区 as a whole: plan 2/4; held 4; 9 people; opinions 6/4; on time 2/4; adopted 3/4;
    # rectified 2/3; satisfaction (5+4+2)/3; articles 3/4; evidence 1/4.
    assert k.lines["held_on_plan"].plain == 0.5 and k.lines["participants"].plain == 9
    assert k.lines["opinions_per_event"].plain == 1.5
    assert k.lines["satisfaction"].plain == 3.67
    # 7.50 + 10 + 3.00 + 3.00 + 8.33 + 10 + 7.41 + 7.62 + 3.75 + 1.25
    assert k.score == Decimal("61.86")
    assert k.units == 3 and k.average == Decimal("40.34")  # (62.34 + 58.69 + 0) / 3
    assert rows[1].score == Decimal("25.00")  # on plan 15 + one event 10, nothing else


def test_evaluate_reads_a_fixed_number_of_queries(hand, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    services.adjust(kf, scheme, hand.a, "1", "理由足够长了")

    def count():
        with CaptureQueriesContext(connection) as queries:
            evaluate(hand.campaign)
        return len(queries.captured_queries)

    before = count()
    for month in (8, 9, 10):
        event = _event(
            hand.campaign, hand.b, at(month, 2), "held", _entry(hand.campaign, hand.b, month)
        )
        _people(event, 2)
        _opinion(world.kaifu, event, hand.b, "answered", decision="adopted", answered=at(month, 3))
    # The count behind evaluate() (scoring._count) also counts the campaign's facts and months,
    # so that one roll-up serves the dashboard, the unit pages and the exports.
    assert count() == before <= 28


def test_the_xlsx_holds_every_indicator_and_the_definitions(hand, world):
    from openpyxl import load_workbook

    from openday.evaluation.exports import indicators_xlsx

    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    services.adjust(kf, scheme, hand.b, "1.5", "经验做法被市里推广")
    services.mark_award(kf, scheme, Award.Kind.EXCELLENT_UNIT, hand.a, citation="按期答复率高")
    wb = load_workbook(io.BytesIO(indicators_xlsx(hand.campaign)))
    assert wb.sheetnames == ["考核得分", "指标说明", "表彰"]
    rows = list(wb["考核得分"].values)
    header = rows[0]
    a = dict(zip(header, rows[1], strict=True))
    assert a["单位"] == hand.a.name and a["排名"] == 1 and a["总分"] == 62.34
    assert a["按期答复率（%）"] == 0.6667 and a["按期答复率得分"] == 11.11
    b = dict(zip(header, rows[2], strict=True))
    assert b["总分"] == 60.19 and "经验做法被市里推广" in b["加减分及理由"]
    c = dict(zip(header, rows[3], strict=True))
    assert c["采纳率（%）"] == "无数据" and c["举办活动场次（场）"] == 0
    defs = list(wb["指标说明"].values)
    assert defs[1][:5] == ("按计划举办率", "held_on_plan", "%", 15, "100%")
    assert list(wb["表彰"].values)[1][:2] == ("优秀组织单位", hand.a.name)


def test_the_annual_summary_holds_the_figures_and_the_ranking(hand):
    from docx import Document

    from openday.evaluation.exports import PLACEHOLDER_SHORTCOMINGS, annual_summary_docx

    data = annual_summary_docx(hand.campaign, experiences="一是提前谋划，二是全程公开。")
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "计划安排表共列入 4 场活动" in text and "已举办 4 场" in text
    assert "共签到参加 9 人次" in text and "新闻媒体 4 人" in text
    assert "共收到意见建议 7 条" in text and "一是提前谋划" in text
    assert PLACEHOLDER_SHORTCOMINGS in text
    ranking = doc.tables[-1]
    cells = [[c.text for c in row.cells] for row in ranking.rows]
    assert cells[0] == ["排名", "单位", "指标得分", "加减分", "总分"]
    assert cells[1][:2] == ["1", hand.a.name] and cells[1][4] == "62.34"
    assert cells[3][1] == hand.c.name


def test_the_demo_evaluation_loads_once(world):
    from openday.demo.evaluation import load_demo_evaluation
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    scheme = load_demo_evaluation()
    load_demo_evaluation()
    assert scheme.weights.count() == len(ind.CATALOGUE)
    assert scheme.adjustments.count() == 1 and scheme.awards.count() == 1
    assert evaluate(scheme.campaign).units


# --- Pages -------------------------------------------------------------------------------


def test_the_dashboard_shows_the_ranking_to_the_office(hand, world, client):
    c = world.client_for(client, "kf_viewer")
    r = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/")
    page = r.content.decode()
    assert r.status_code == 200
    assert hand.a.display_name in page and hand.c.display_name in page and "62.34" in page
    assert "evaluation-data" in page and "公布考核结果" not in page  # a viewer cannot publish
    r = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/?tab=month")
    assert "2024-07" in r.content.decode()
    r = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/units/{hand.a.pk}/")
    assert "2 ÷ 3 = 66.7%" in r.content.decode()


def test_a_unit_sees_only_its_own_row_and_only_once_published(hand, world, client):
    url = f"/staff/campaigns/{hand.campaign.pk}/evaluation/"
    c = world.client_for(client, "unit_admin")
    assert c.get(url).status_code == 403
    assert c.get(f"{url}units/{hand.a.pk}/").status_code == 403
    services.publish_scheme(world.users["kf_office"], services.scheme_for(hand.campaign))
    r = c.get(url)
    page = r.content.decode()
    assert r.status_code == 200 and hand.a.display_name in page
    assert hand.b.display_name not in page and "58.69" not in page
    assert c.get(f"{url}units/{hand.a.pk}/").status_code == 200
    assert c.get(f"{url}units/{hand.b.pk}/").status_code == 403
    assert world.client_for(client, "handler").get(url).status_code == 403
    c = world.client_for(client, "unit_admin")
    detail = c.get(f"/staff/campaigns/{hand.campaign.pk}/").content.decode()
    assert "总分 <strong>62.34</strong>，排名第 1" in detail


def test_the_rollup_tab_for_an_upper_office(hand, world, client):
    from openday.orgs.models import Membership

    city = world.kaifu.parent
    kf = world.users["kf_office"]
    upper = _upper(city)
    Campaign.objects.filter(pk=hand.campaign.pk).update(parent=upper)
    user = type(kf).objects.create_user("city-office", password="x", full_name="市政务公开办")
    user.two_factor_exempt = True  # an office admin; the second-factor gate is tested elsewhere
    user.save(update_fields=["two_factor_exempt"])
    Membership.objects.create(user=user, org=city, role="office_admin")
    client.force_login(user)
    r = client.get(f"/staff/campaigns/{upper.pk}/evaluation/?tab=rollup")
    assert r.status_code == 200 and "下级政务公开办汇总" in r.content.decode()
    assert world.kaifu.display_name in r.content.decode()
    # The city office sees 开福区's own evaluation too, but cannot change it.
    assert client.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/").status_code == 200
    assert client.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/weights/").status_code == 403


def test_a_rejected_weights_form_keeps_what_was_typed(hand, world, client):
    c = world.client_for(client, "kf_office")
    data = {f"weight_{i.code}": str(i.weight) for i in ind.CATALOGUE}
    data |= {f"target_{i.code}": str(i.target) for i in ind.CATALOGUE}
    data["weight_publicity"] = "7.5"
    data["target_adoption_rate"] = "60"
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation/weights/", data)
    page = r.content.decode()
    assert r.status_code == 400
    assert 'value="7.5"' in page and 'value="60"' in page and "0–1 之间" in page
    data["target_adoption_rate"] = "0.6"
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation/weights/", data)
    assert "现在是 102.5 分" in r.content.decode()
    data["weight_publicity"] = "5"
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation/weights/", data)
    assert r.status_code == 302


@pytest.mark.parametrize("persona", ["kf_office", "kf_viewer", "unit_admin", "nm_office",
                                     "anonymous"])  # fmt: skip
def test_posting_an_adjustment_as(hand, world, client, persona):
    c = world.client_for(client, persona)
    url = f"/staff/campaigns/{hand.campaign.pk}/evaluation/units/{hand.a.pk}/adjust/"
    r = c.post(url, {"indicator": "", "points": "2", "reason": "经验做法被推广加分"})
    allowed = persona == "kf_office"
    expected = 302 if persona in ("kf_office", "anonymous") else 403
    assert r.status_code == expected
    assert Adjustment.objects.filter(unit=hand.a).exists() is allowed
    if allowed:
        r = c.post(url, {"indicator": "", "points": "2", "reason": ""})
        assert r.status_code == 400 and "请写明加减分理由" in r.content.decode()
        assert 'value="2"' in r.content.decode()


@pytest.mark.parametrize("persona", ["kf_office", "kf_viewer", "unit_admin", "nm_office",
                                     "anonymous"])  # fmt: skip
def test_revoking_publishing_and_removing_an_award_as(hand, world, client, persona):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    adj = services.adjust(kf, scheme, hand.a, "2", "经验做法被推广加分")
    award = services.mark_award(kf, scheme, Award.Kind.EXCELLENT_UNIT, hand.a)
    c = world.client_for(client, persona)
    allowed = persona == "kf_office"
    expected = 302 if persona in ("kf_office", "anonymous") else 403
    r = c.post(
        f"/staff/evaluation/adjustments/{adj.pk}/revoke/", {f"r{adj.pk}-reason": "核实有误撤销"}
    )
    assert r.status_code == expected
    adj.refresh_from_db()
    assert (adj.revoked_at is not None) is allowed
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation/publish/", {"action": "publish"})
    assert r.status_code == expected
    assert (Scheme.objects.get(pk=scheme.pk).published_at is not None) is allowed
    r = c.post(f"/staff/evaluation/awards/{award.pk}/remove/")
    assert r.status_code == expected
    assert Award.objects.filter(pk=award.pk).exists() is not allowed


def test_marking_an_award_on_the_page(hand, world, client):
    url = f"/staff/campaigns/{hand.campaign.pk}/evaluation/awards/"
    data = {"kind": "best_event", "event": hand.eb1.pk, "citation": "组织有序"}
    assert world.client_for(client, "kf_viewer").post(url, data).status_code == 403
    c = world.client_for(client, "kf_office")
    assert c.post(url, data).status_code == 302
    r = c.post(url, data)
    assert r.status_code == 400 and "已经标记过" in r.content.decode()
    assert Award.objects.get().unit == hand.b


def test_the_exports_download(hand, world, client):
    c = world.client_for(client, "kf_viewer")
    r = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    r = c.post(f"/staff/campaigns/{hand.campaign.pk}/evaluation-report.docx",
               {"experiences": "全程公开。", "shortcomings": "", "next_steps": ""})  # fmt: skip
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_the_office_s_report_text_is_kept_for_the_next_download(hand, world, client):
    from io import BytesIO

    from docx import Document

    from openday.audit.models import AuditEntry

    url = f"/staff/campaigns/{hand.campaign.pk}/evaluation-report.docx"
    text = {
        "experiences": "一是提前谋划。",
        "shortcomings": "群众参与面还不够广。",
        "next_steps": "扩大邀请范围。",
    }
    # A viewer may try wording in the document, but it is not kept.
    assert world.client_for(client, "kf_viewer").post(url, text).status_code == 200
    assert services.report_text(hand.campaign)["experiences"] == ""
    c = world.client_for(client, "kf_office")
    assert c.post(url, text).status_code == 200
    assert services.report_text(hand.campaign) == text
    assert AuditEntry.objects.filter(action="evaluation.report_saved").count() == 1
    body = "\n".join(p.text for p in Document(BytesIO(c.get(url).content)).paragraphs)
    assert "群众参与面还不够广。" in body and "扩大邀请范围。" in body
    page = c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/").content.decode()
    assert "一是提前谋划。" in page


def test_the_dashboard_reads_a_bounded_number_of_queries(
    hand, world, client, django_assert_max_num_queries
):
    c = world.client_for(client, "kf_office")
    with django_assert_max_num_queries(35):
        assert c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/").status_code == 200
    with django_assert_max_num_queries(36):
        assert (
            c.get(f"/staff/campaigns/{hand.campaign.pk}/evaluation/units/{hand.a.pk}/").status_code
            == 200
        )
