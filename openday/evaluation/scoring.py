"""Scores computed from the data every time they are shown (nothing is cached).

The rule (also in docs/evaluation.md):

- an indicator's points = weight × min(value ÷ target, 1), to two decimals (half up);
  for 回访满意度 (1–5) the share is (value − 1) ÷ (target − 1): 1 分 earns nothing, the target
  or more earns full points;
- a unit with no data for an indicator that is a share or an average (nothing planned, nothing
  answered, no held event …) gets 0 points for it, shown as 无数据; counts are never 无数据;
- active adjustments of one indicator are added to its points, which stay within 0 and the
  indicator's weight; adjustments of the total are added to the sum, which never goes below 0;
- units with the same final score share a rank (1, 1, 3).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from openday.ops import rollups

from . import indicators as ind
from .models import Award, Scheme

CENT = Decimal("0.01")
ZERO = Decimal("0")


def _decimal(fraction):
    return (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def share_of(indicator, target, value):
    """How much of the target a value reaches, between 0 and 1 (None: no data)."""
    if value is None:
        return None
    target = Fraction(target)
    if indicator.kind == ind.SCORE:
        share = (value - 1) / (target - 1) if target > 1 else Fraction(1 if value >= target else 0)
    else:
        share = value / target if target > 0 else Fraction(0)
    return min(max(share, Fraction(0)), Fraction(1))


def points_for(indicator, weight, target, value):
    share = share_of(indicator, target, value)
    return ZERO.quantize(CENT) if share is None else _decimal(Fraction(weight) * share)


@dataclass
class Standard:
    """One indicator as a scheme weighs it."""

    indicator: ind.Indicator
    weight: Decimal
    target: Decimal

    @property
    def code(self):
        return self.indicator.code

    @property
    def target_label(self):
        return self.indicator.format_target(self.target)


@dataclass
class Line:
    """One indicator of one unit: the figure, its points and what changed them."""

    standard: Standard
    figure: ind.Figure
    computed: Decimal
    adjustment: Decimal = ZERO
    points: Decimal = ZERO

    @property
    def indicator(self):
        return self.standard.indicator

    @property
    def value(self):
        return self.figure.value

    @property
    def no_data(self):
        return self.value is None

    @property
    def display(self):
        return self.indicator.format(self.value)

    @property
    def plain(self):
        return self.indicator.plain(self.value)

    @property
    def explanation(self):
        """How the points were reached, in words, for the unit's page and the spreadsheet."""
        i, s, f = self.indicator, self.standard, self.figure
        if f.den is None:
            basis = f"{i.format(f.value)}"
        elif not f.den:
            return f"{i.label}：无数据，得 0 分。"
        elif i.kind == ind.SCORE:
            basis = f"平均 {i.format(f.value)}（回访接通 {f.den} 次）"
        else:
            num = f.num if f.num.denominator != 1 else int(f.num)
            basis = f"{num} ÷ {f.den} = {i.format(f.value)}"
        share = share_of(i, s.target, f.value)
        if i.kind == ind.SCORE:
            rule = f"（{float(f.value):.2f} − 1）÷（{float(s.target):g} − 1）"
        else:
            rule = f"{i.format(f.value)} ÷ {s.target_label}"
        text = (
            f"{basis}；{rule}，完成满分标准的 {float(share) * 100:.1f}%（最高按 100% 计），"
            f"× {s.weight} 分 = {self.computed} 分"
        )
        if self.adjustment:
            text += f"；调整 {self.adjustment:+} 分，计 {self.points} 分"
        return text + "。"


@dataclass
class UnitScore:
    unit: object
    lines: dict
    adjustments: list = field(default_factory=list)  # active ones, newest first
    subtotal: Decimal = ZERO
    total_adjustment: Decimal = ZERO
    score: Decimal = ZERO
    rank: int = 0

    @property
    def adjustment_total(self):
        """Every active adjustment together, as the score shows it (after the limits)."""
        return self.score - sum((line.computed for line in self.lines.values()), ZERO)

    def line_list(self):
        return list(self.lines.values())


@dataclass
class Result:
    campaign: object
    scheme: object  # None while the office has not opened the scheme
    standards: list
    units: list  # UnitScore, by rank
    awards: list
    counted: object = None  # the ops.rollups.Snapshot the figures came from

    @property
    def published(self):
        return bool(self.scheme and self.scheme.published_at)

    @property
    def total_weight(self):
        return sum((s.weight for s in self.standards), ZERO)

    def unit(self, unit_id):
        return next((u for u in self.units if u.unit.pk == unit_id), None)


def standards_of(scheme):
    """The scheme's weights in catalogue order; the defaults where a scheme has none."""
    rows = {w.indicator: w for w in scheme.weights.all()} if scheme else {}
    out = []
    for i in ind.CATALOGUE:
        w = rows.get(i.code)
        if scheme is not None and w is None:
            out.append(Standard(i, ZERO, i.target))  # added to the catalogue after the scheme
        elif w is None:
            out.append(Standard(i, i.weight, i.target))
        else:
            out.append(Standard(i, w.weight, w.target if w.target is not None else i.target))
    return out


def scored_units(campaign):
    """The office's units with plan entries or events in the campaign."""
    from openday.campaigns.models import PlanEntry
    from openday.events.models import Event
    from openday.orgs.models import Org

    office = campaign.office
    paths = set(PlanEntry.objects.filter(campaign=campaign).values_list("unit__path", flat=True))
    paths |= set(
        Event.objects.filter(Q(campaign=campaign) | Q(plan_entry__campaign=campaign))
        .values_list("unit__path", flat=True)
        .distinct()
    )
    depth = office.path.count("/") + 1
    tops = {"/".join(p.split("/")[:depth]) + "/" for p in paths if p.startswith(office.path)}
    return list(
        Org.objects.filter(parent=office, path__in=tops)
        .exclude(kind=Org.Kind.OFFICE)
        .order_by("path")
    )


def rank(items, key):
    """Competition ranking (1, 1, 3) by key, highest first; sets .rank, returns sorted."""
    ordered = sorted(items, key=lambda x: (-key(x), getattr(x, "order", 0)))
    previous, position = None, 0
    for index, item in enumerate(ordered, start=1):
        if key(item) != previous:
            position, previous = index, key(item)
        item.rank = position
    return ordered


def score_lines(standards, figures_of, adjustments=()):
    """Lines, subtotal, total adjustment and final score for one subject."""
    by_indicator = defaultdict(lambda: ZERO)
    total_adjustment = ZERO
    for a in adjustments:
        if a.indicator:
            by_indicator[a.indicator] += a.points
        else:
            total_adjustment += a.points
    lines = {}
    for s in standards:
        figure = figures_of(s.code)
        computed = points_for(s.indicator, s.weight, s.target, figure.value)
        adjusted = computed + by_indicator[s.code]
        points = min(max(adjusted, ZERO), s.weight).quantize(CENT)
        lines[s.code] = Line(s, figure, computed, by_indicator[s.code], points)
    subtotal = sum((line.points for line in lines.values()), ZERO)
    score = max(subtotal + total_adjustment, ZERO).quantize(CENT)
    return lines, subtotal.quantize(CENT), total_adjustment, score


def scheme_of(campaign):
    return (
        Scheme.objects.filter(campaign=campaign).prefetch_related("weights").first()
        if campaign.pk
        else None
    )


def _scopes(params):
    """What changes the counted figures, as lib.pagecache versions them (check-ins are not
    versioned: a stored roll-up shows them within OPENDAY_ROLLUP_REFRESH_SECONDS)."""
    campaign = f"campaign:{params['campaign']}"
    return ("events", "articles", "board", "callbacks", "surveys", "site", campaign)


@rollups.register("evaluation", "绩效考核统计", scopes=_scopes)
def _count(params):
    """Everything the evaluation pages count from the data of one campaign: the indicators'
    figures per scored unit, the campaign's facts (exports.facts) and the months."""
    from openday.campaigns.models import Campaign

    from .exports import facts

    campaign = Campaign.objects.select_related("office").get(pk=params["campaign"])
    units = scored_units(campaign)
    figures, scope = ind.compute(campaign, units)
    return {
        "units": [u.pk for u in units],
        "figures": figures,
        "facts": facts(campaign, scope),
        "months": _months(campaign, scope),
    }


def counted(campaign, keep=False):
    """The campaign's counted figures (an ops.rollups.Snapshot): counted now for a small
    campaign, kept and refreshed by the worker for a province's (its computed_at says when);
    keep: kept in any case (the roll-up of many lower offices' campaigns)."""
    return rollups.get("evaluation", {"campaign": campaign.pk}, keep=keep)


def evaluate(campaign, scheme=None, keep=False):
    """Every scored unit's values, points, adjustments, score and rank."""
    from openday.orgs.models import Org

    scheme = scheme if scheme is not None else scheme_of(campaign)
    standards = standards_of(scheme)
    snapshot = counted(campaign, keep)
    data = snapshot.value
    by_pk = Org.objects.in_bulk(data["units"])
    units = [by_pk[pk] for pk in data["units"] if pk in by_pk]
    figures = data["figures"]
    adjustments = defaultdict(list)
    awards = []
    if scheme is not None:
        for a in scheme.adjustments.filter(revoked_at=None).select_related("created_by"):
            adjustments[a.unit_id].append(a)
        awards = list(
            Award.objects.filter(scheme=scheme).select_related("unit", "event", "created_by")
        )
    scores = []
    for order, unit in enumerate(units):
        lines, subtotal, total_adj, score = score_lines(
            standards, lambda code, u=unit: figures[code][u.pk], adjustments[unit.pk]
        )
        item = UnitScore(unit, lines, adjustments[unit.pk], subtotal, total_adj, score)
        item.order = order
        scores.append(item)
    ranked = rank(scores, lambda u: u.score)
    return Result(campaign, scheme, standards, ranked, awards, snapshot)


# --- The dashboard by month and the roll-up --------------------------------------------------


def by_month(campaign, result=None):
    """Held events and checked-in participants per month (Asia/Shanghai), per unit."""
    return (result.counted if result is not None else counted(campaign)).value["months"]


def _months(campaign, scope):
    from openday.events.models import Event, Registration

    units = scope.units
    events = (
        Event.objects.filter(scope.event_q(), status__in=ind.HELD)
        .annotate(m=TruncMonth("starts_at"))
        .values("unit__path", "m")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    people = (
        Registration.objects.filter(event_id__in=scope.event_ids, checked_in_at__isnull=False)
        .annotate(m=TruncMonth("event__starts_at"))
        .values("event__unit__path", "m")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    cells = defaultdict(lambda: {"events": 0, "participants": 0})
    for rows, path_key, key in (
        (events, "unit__path", "events"),
        (people, "event__unit__path", "participants"),
    ):
        for r in rows:
            uid = scope.unit_of(r[path_key])
            if uid is not None and r["m"] is not None:
                cells[(uid, r["m"].strftime("%Y-%m"))][key] += r["n"]
    months = {f"{campaign.year}-{m:02d}" for m in campaign.months} | {m for _u, m in cells}
    months = sorted(months)
    out_units = []
    for u in units:
        out_units.append(
            {
                "id": u.pk,
                "name": u.display_name,
                "events": [cells[(u.pk, m)]["events"] for m in months],
                "participants": [cells[(u.pk, m)]["participants"] for m in months],
            }
        )
    return {
        "months": months,
        "units": out_units,
        "events": [sum(u["events"][i] for u in out_units) for i in range(len(months))],
        "participants": [sum(u["participants"][i] for u in out_units) for i in range(len(months))],
    }


@dataclass
class OfficeScore:
    """One lower office in an upper office's roll-up."""

    office: object
    campaign: object
    lines: dict
    units: int
    average: Decimal | None  # the mean of its units' own final scores
    published: bool
    score: Decimal = ZERO
    rank: int = 0

    def line_list(self):
        return list(self.lines.values())


def totals(result):
    """{code: Figure} for all the units of a result together."""
    out = {}
    for s in result.standards:
        total = ind.Figure(0, None if s.indicator.kind == ind.COUNT else 0)
        for u in result.units:
            total = total + u.lines[s.code].figure
        out[s.code] = total
    return out


def rollup(campaign, scheme=None):
    """For an upper office: each lower office's figures, from its child campaign, scored with
    the upper office's weights; units' own scores averaged beside them."""
    scheme = scheme if scheme is not None else scheme_of(campaign)
    standards = standards_of(scheme)
    children = (
        campaign.children.select_related("office", "office__region")
        .filter(office__path__startswith=campaign.office.path)
        .exclude(office=campaign.office)
        .order_by("office__path")
    )
    rows, counted = [], []
    for order, child in enumerate(children):
        result = evaluate(child, keep=True)
        counted.append(result.counted)
        sums = totals(result)
        lines, _subtotal, _adj, score = score_lines(standards, lambda code, s=sums: s[code])
        scores = [u.score for u in result.units]
        average = (sum(scores, ZERO) / len(scores)).quantize(CENT) if scores else None
        row = OfficeScore(child.office, child, lines, len(scores), average, result.published, score)
        row.order = order
        rows.append(row)
    # The children's counts are kept (rollups.get keep): the page names the oldest, or one
    # that is out of date, as when its figures were counted.
    oldest = min(counted, key=lambda c: (c.current, c.computed_at)) if counted else None
    return {"standards": standards, "offices": rank(rows, lambda r: r.score), "counted": oldest}
