"""The catalogue of evaluation indicators (考核指标) and how each is counted per unit.

Every indicator yields, per unit of a campaign, a `Figure`: a numerator and a denominator, so
that the same numbers add up for a whole office (the roll-up) and the pages can say how a value
was reached ("3 / 4"). A count has no denominator; a rate or an average whose denominator is 0
has no data (无数据).

The opinion figures are those of openday.opinions.figures (docs/opinions.md), grouped by the
responsible unit and added up from a unit's departments to the unit; nothing is redefined here.
Everything is counted with a fixed number of aggregate queries per campaign (the evidence
checklists of openday.summaries.evidence included).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from django.db.models import Count, F, Q

RATE, COUNT, RATIO, SCORE = "rate", "count", "ratio", "score"


@dataclass(frozen=True)
class Figure:
    """num / den; den None: a plain count (the value is num); den 0: no data."""

    num: Fraction = Fraction(0)
    den: int | None = None

    @property
    def value(self):
        if self.den is None:
            return Fraction(self.num)
        if not self.den:
            return None
        return Fraction(self.num) / self.den

    def __add__(self, other):
        den = None if self.den is None and other.den is None else (self.den or 0) + (other.den or 0)
        return Figure(Fraction(self.num) + Fraction(other.num), den)


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    measure: str  # the unit of measure shown beside a value
    definition: str  # one sentence, shown on the pages, in the exports and in the docs
    weight: Decimal  # default points
    target: Decimal  # default value that earns full points
    kind: str  # RATE (a share, 0–1), COUNT, RATIO (per held event) or SCORE (1–5)
    compute: object  # Scope -> {unit id: Figure}

    @property
    def is_rate(self):
        return self.kind == RATE

    def format(self, value):
        """A value as the pages show it; None is 无数据."""
        if value is None:
            return "无数据"
        if self.kind == RATE:
            return f"{float(value) * 100:.1f}%"
        if self.kind == COUNT:
            return f"{int(value)} {self.measure}"
        return f"{float(value):.2f} {self.measure}"

    def format_target(self, target):
        if self.kind == RATE:
            return f"{float(target) * 100:g}%"
        if self.kind == COUNT:
            return f"{Decimal(target).normalize():f} {self.measure}"
        return f"{float(target):g} {self.measure}"

    def plain(self, value):
        """A value for JSON and spreadsheets: a float (a share for rates), an int for counts."""
        if value is None:
            return None
        if self.kind == COUNT:
            return int(value)
        return round(float(value), 4 if self.kind == RATE else 2)


HELD = ["held", "summarized"]  # Event.Status.HELD, Event.Status.SUMMARIZED


class Scope:
    """One campaign's data, read once and shared by the indicators.

    `units` are the campaign office's direct child orgs being scored; rows of their
    departments (an opinion answered by a unit's department) count for the unit.
    """

    def __init__(self, campaign, units):
        self.campaign = campaign
        self.units = list(units)
        self._by_path = {u.path: u.pk for u in self.units}
        self._depth = campaign.office.path.count("/") + 1

    def unit_of(self, path):
        """The scored unit whose subtree holds the org at `path`, or None."""
        if not path:
            return None
        parts = path.split("/")
        return self._by_path.get("/".join(parts[: self._depth]) + "/")

    def sum_by_unit(self, rows, path_key, make):
        out = defaultdict(Figure)
        for r in rows:
            uid = self.unit_of(r[path_key])
            if uid is not None:
                out[uid] = out[uid] + make(r)
        return out

    def event_q(self, prefix=""):
        """The campaign's events: linked to it, or made from one of its plan entries."""
        return Q(**{f"{prefix}campaign": self.campaign}) | Q(
            **{f"{prefix}plan_entry__campaign": self.campaign}
        )

    @cached_property
    def held_events(self):
        from openday.events.models import Event

        return list(
            Event.objects.filter(self.event_q(), status__in=HELD)
            .distinct()
            .only("id", "unit_id", "unit__path", "starts_at", "title")
            .select_related("unit")
        )

    @cached_property
    def held_by_unit(self):
        counts = defaultdict(int)
        for e in self.held_events:
            uid = self.unit_of(e.unit.path)
            if uid is not None:
                counts[uid] += 1
        return counts

    def per_held_event(self, numerators):
        """{unit: Figure(numerator, held events)} for every unit (no held event: no data)."""
        return {
            u.pk: Figure(Fraction(numerators.get(u.pk, 0)), self.held_by_unit.get(u.pk, 0))
            for u in self.units
        }

    @cached_property
    def event_ids(self):
        """The ids of the campaign's events (a campaign has hundreds, a province's thousands)."""
        from openday.events.models import Event

        return list(Event.objects.filter(self.event_q()).values_list("id", flat=True))

    @cached_property
    def opinions(self):
        """The campaign's opinions: raised at its events or filed under it. By the events' ids:
        both columns are indexed, where the OR across joined events and plan entries read all
        of a province's opinions (0.4 s against 0.01–0.05 s for a county's campaign)."""
        from openday.opinions.models import Opinion

        return Opinion.objects.filter(Q(campaign=self.campaign) | Q(event_id__in=self.event_ids))

    @cached_property
    def handling(self):
        """opinions.figures.by(..., "unit") added up per scored unit (departments included)."""
        from openday.opinions import figures
        from openday.orgs.models import Org

        rows = figures.by(self.opinions, "unit")
        paths = dict(Org.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "path"))
        keys = ["answered", "on_time", "adopted", "rectified", "callbacks_reached"]
        out = defaultdict(lambda: dict.fromkeys([*keys, "satisfaction_sum"], Fraction(0)))
        for r in rows:
            uid = self.unit_of(paths.get(r["key"], ""))
            if uid is None:
                continue
            for k in keys:
                out[uid][k] += r[k]
            if r["satisfaction"] is not None:
                # figures gives the mean to two decimals; mean × n puts the sum back together.
                out[uid]["satisfaction_sum"] += (
                    Fraction(str(r["satisfaction"])) * r["callbacks_reached"]
                )
        return out


# --- How each indicator is counted --------------------------------------------------------


def _held_on_plan(scope):
    from openday.campaigns.models import PlanEntry

    on_plan = Q(
        event__status__in=HELD,
        event__starts_at__year=scope.campaign.year,
        event__starts_at__month=F("month"),
    )
    rows = (
        PlanEntry.objects.filter(campaign=scope.campaign)
        .values("unit__path")
        .annotate(planned=Count("id"), on_plan=Count("id", filter=on_plan))
        .order_by()
    )
    return scope.sum_by_unit(rows, "unit__path", lambda r: Figure(r["on_plan"], r["planned"]))


def _events_held(scope):
    return {u.pk: Figure(scope.held_by_unit.get(u.pk, 0)) for u in scope.units}


def _participants(scope):
    from openday.events.models import Registration

    rows = (
        Registration.objects.filter(event_id__in=scope.event_ids, checked_in_at__isnull=False)
        .values("event__unit__path")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    return scope.sum_by_unit(rows, "event__unit__path", lambda r: Figure(r["n"]))


def _opinions_per_event(scope):
    from openday.opinions import figures
    from openday.opinions.models import Opinion

    held = {e.pk: scope.unit_of(e.unit.path) for e in scope.held_events}
    received = defaultdict(int)
    if held:
        for r in figures.by(Opinion.objects.filter(event_id__in=list(held)), "event"):
            if held.get(r["key"]) is not None:
                received[held[r["key"]]] += r["received"]
    return scope.per_held_event(received)


def _handling_rate(num_key, den_key):
    def compute(scope):
        return {uid: Figure(h[num_key], int(h[den_key])) for uid, h in scope.handling.items()}

    return compute


def _satisfaction(scope):
    return {
        uid: Figure(h["satisfaction_sum"], int(h["callbacks_reached"]))
        for uid, h in scope.handling.items()
    }


def _publicity(scope):
    from openday.publicity.models import Article

    rows = (
        Article.objects.filter(
            Q(campaign=scope.campaign) | Q(event_id__in=scope.event_ids),
            status=Article.Status.PUBLISHED,
        )
        .values("unit__path")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    articles = defaultdict(int)
    for r in rows:
        uid = scope.unit_of(r["unit__path"])
        if uid is not None:
            articles[uid] += r["n"]
    return scope.per_held_event(articles)


def _evidence_complete(scope):
    # evidence.checklists() reads many events in one query; an event is complete when every item
    # of its checklist is ok, which is what is_complete() says for one event.
    from openday.summaries import evidence

    events = scope.held_events
    if hasattr(evidence, "checklists"):
        lists = evidence.checklists([e.pk for e in events]) if events else {}
        done = {pk for pk, items in lists.items() if all(item["ok"] for item in items)}
    else:
        done = {e.pk for e in events if evidence.is_complete(e)}
    complete = defaultdict(int)
    for event in events:
        uid = scope.unit_of(event.unit.path)
        if uid is not None and event.pk in done:
            complete[uid] += 1
    return scope.per_held_event(complete)


D = Decimal
CATALOGUE = [
    Indicator("held_on_plan", "按计划举办率", "%",
              "计划安排表中本单位的活动，在计划月份内举办（状态为已举办或已总结）的比例。",
              D("15"), D("1"), RATE, _held_on_plan),
    Indicator("events_held", "举办活动场次", "场",
              "本单位在本年度活动中已举办（含已总结）的活动场次。",
              D("10"), D("1"), COUNT, _events_held),
    Indicator("participants", "参加人数", "人",
              "本单位本年度活动中已签到的参加人数。",
              D("10"), D("30"), COUNT, _participants),
    Indicator("opinions_per_event", "场均意见建议", "条/场",
              "本单位已举办活动收到的意见建议条数（含被合并的）除以已举办活动场次。",
              D("10"), D("5"), RATIO, _opinions_per_event),
    Indicator("answered_on_time", "按期答复率", "%",
              "交由本单位（含下属部门）办理的意见中，按期答复的条数除以已答复条数（口径同“办理统计”）。",
              D("15"), D("0.9"), RATE, _handling_rate("on_time", "answered")),
    Indicator("adoption_rate", "采纳率", "%",
              "本单位已答复的意见中，采纳和部分采纳的比例（口径同“办理统计”）。",
              D("10"), D("0.6"), RATE, _handling_rate("adopted", "answered")),
    Indicator("rectification_rate", "整改完成率", "%",
              "本单位采纳（含部分采纳）的意见中，有整改措施且全部完成的比例（口径同“办理统计”）。",
              D("10"), D("0.9"), RATE, _handling_rate("rectified", "adopted")),
    Indicator("satisfaction", "回访满意度", "分",
              "本单位办理的意见经电话回访接通后的办理满意度平均分（1–5 分，口径同“办理统计”）。",
              D("10"), D("4.5"), SCORE, _satisfaction),
    Indicator("publicity", "宣传报道", "篇/场",
              "本单位已发布的宣传报道篇数除以已举办活动场次。",
              D("5"), D("1"), RATIO, _publicity),
    Indicator("evidence_complete", "佐证材料齐全率", "%",
              "本单位已举办活动中，佐证材料清单（签到、照片、问卷、意见办理、报道、总结）全部齐全的比例。",
              D("5"), D("1"), RATE, _evidence_complete),
]  # fmt: skip
BY_CODE = {i.code: i for i in CATALOGUE}
CODES = [i.code for i in CATALOGUE]
DEFAULT_TOTAL = sum(i.weight for i in CATALOGUE)


def compute(campaign, units):
    """{indicator code: {unit id: Figure}} for every indicator and every unit."""
    scope = Scope(campaign, units)
    out = {}
    for indicator in CATALOGUE:
        figures = indicator.compute(scope)
        out[indicator.code] = {
            u.pk: figures.get(u.pk, Figure(0, None if indicator.kind == COUNT else 0))
            for u in scope.units
        }
    return out, scope
