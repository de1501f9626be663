"""Scheduler for the annual plan (计划安排表).

Places approved event themes ("items") into weeks of a campaign window, e.g. April to November
of one year. Pure standard library, no Django import: benchmarks and scripts use it as is.

Rules, higher priority first (the names are the ``Problem.rule`` values):

1. ``window`` (hard): every item lands in a week of a month inside the window. A week belongs to
   the month that contains its Thursday (the ISO rule). A pinned week inside the window is kept
   exactly; a pinned week outside it is ignored and reported.
2. ``unit_week``: a unit has at most one item per week, whenever it has no more items than the
   window has weeks. A larger unit first gets one item in every week; only its items beyond
   the number of weeks share weeks (capacity comes first for those). Pinned items are never
   moved, even when they clash.
3. ``month_capacity``: at most ``month_capacity`` items per month; pinned items count too.
4. ``requested_month``: an item lands in its requested month when possible, otherwise in the
   nearest month with room (ties go to the earlier month). Items without a request go to the
   least loaded month.
5. ``topic_week``: within a month, avoid two items of the same topic area in one week; among
   equally good weeks take the one with fewer items.

Method: months first, then weeks.

* Months. Pinned items are fixed. "Room" in a month means below capacity and a week there
  without the unit's items. Every item that has room in its requested month stays there (in id
  order), the others go to the nearest month with room, then items without a request go to the
  least loaded month with room. A small unit (no more items than weeks) never gets more items in
  a month than it has free weeks there, even over capacity, so rule 2 only needs distinct weeks
  later. If a month still ends over capacity, augmenting paths shift the excess: each hop moves
  one item to a month where its unit may go (a free week, or any month for a large unit), and the
  path ends in a month under capacity. When no such path exists the overflow is forced by rules
  1 and 2 (max-flow/min-cut). A last pass (a safety net; it rarely moves anything) moves
  displaced items to a nearer month with room, so "nearest month with room" holds in the final
  plan.
* Weeks. In each month every item takes the week with the fewest items of its unit, then of its
  topic, then the fewest items, then the earliest. Then an item that shares a week with a
  same-topic item moves to a week of its month holding neither that topic nor its unit, until no
  such move is left.

Problems come from the final plan: ``check`` yields the window, unit_week, month_capacity and
topic_week problems, and each item outside its requested month gets one ``requested_month``
problem giving the reason found in the final plan. Everything is ordered by item id, so the
result does not depend on the order of the input list. Cost is about O(n x weeks per month).
"""

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Rule names in priority order; problems are listed per item in this order.
RULES = ("window", "unit_week", "month_capacity", "requested_month", "topic_week")
# The rules `check` verifies on a finished plan.
CHECKED_RULES = ("window", "unit_week", "month_capacity", "topic_week")
_RULE_RANK = {rule: rank for rank, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Item:
    id: int
    unit_id: int
    topic_area: str  # "" when unknown
    requested_month: int | None  # 1..12, may be outside the window
    pinned_week: date | None = None  # a Monday set by hand


@dataclass(frozen=True)
class Slot:
    month: int
    week: date  # Monday of the ISO week; the week belongs to the month of its Thursday


@dataclass(frozen=True)
class Problem:
    item_id: int
    rule: str
    message: str


@dataclass
class Plan:
    slots: dict[int, Slot]
    problems: list[Problem]
    month_capacity: int


def weeks_of_month(year: int, month: int) -> list[date]:
    """Mondays of the ISO weeks whose Thursday falls in the month (4 or 5 of them)."""
    if not 1 <= month <= 12:
        raise ValueError(f"月份应在 1 到 12 之间，收到 {month}。")
    first = date(year, month, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    weeks = []
    while thursday.month == month:
        weeks.append(thursday - timedelta(days=3))
        thursday += timedelta(days=7)
    return weeks


def default_capacity(n_items: int, n_months: int) -> int:
    """ceil(n_items / n_months * 1.2), at least 1 (integer arithmetic, no rounding drift)."""
    if n_months < 1:
        raise ValueError("活动期至少要包含一个月。")
    return max(1, -(-6 * n_items // (5 * n_months)))


def _nearness(target: int) -> Callable[[int], tuple[int, int]]:
    """Sort key of months: nearest to target first, the earlier on ties."""
    return lambda month: (abs(month - target), month)


class _Window:
    """The months and weeks of a campaign window, with the labels used in messages."""

    def __init__(self, year: int, start_month: int, end_month: int):
        if not (1 <= start_month <= 12 and 1 <= end_month <= 12):
            raise ValueError(f"活动期的月份应在 1 到 12 之间，收到 {start_month} 至 {end_month}。")
        if start_month > end_month:
            raise ValueError(
                f"活动期的开始月份（{start_month}月）不能晚于结束月份（{end_month}月）。"
            )
        self.year = year
        self.start_month = start_month
        self.end_month = end_month
        self.months = tuple(range(start_month, end_month + 1))
        self.weeks = {month: weeks_of_month(year, month) for month in self.months}
        self.month_of_week = {week: m for m, weeks in self.weeks.items() for week in weeks}
        self.n_weeks = len(self.month_of_week)
        # For each possible request (1..12), the window's months nearest first, earlier on ties.
        self._by_distance = {
            target: sorted(self.months, key=_nearness(target)) for target in range(1, 13)
        }

    def by_distance(self, target: int) -> list[int]:
        return self._by_distance[target]

    def nearest(self, month: int) -> int:
        return min(max(month, self.start_month), self.end_month)

    def label(self) -> str:
        if self.start_month == self.end_month:
            return f"活动期（{self.start_month}月）"
        return f"活动期（{self.start_month}月至{self.end_month}月）"

    def week_label(self, week: date) -> str:
        month = self.month_of_week.get(week)
        if month is None:
            return f"{week.year}年{week.month}月{week.day}日起的一周"
        index = self.weeks[month].index(week) + 1
        return f"{month}月第{index}周（{week.month}月{week.day}日起）"

    def week_number(self, week: date) -> str:
        """Short label inside a month's context: 第3周."""
        return f"第{self.weeks[self.month_of_week[week]].index(week) + 1}周"


def _monday(day: date) -> date:
    if isinstance(day, datetime):
        day = day.date()
    return day - timedelta(days=day.weekday())


def _pin_in_window(item: Item, window: _Window) -> date | None:
    """The item's pinned week (as a Monday) when it lies inside the window, else None."""
    if item.pinned_week is None:
        return None
    week = _monday(item.pinned_week)
    return week if week in window.month_of_week else None


def _validate(items: Iterable[Item]) -> None:
    seen = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"活动编号 {item.id} 重复。")
        seen.add(item.id)
        month = item.requested_month
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"活动 {item.id} 的申报月份应在 1 到 12 之间，收到 {month}。")


class _Months:
    """Month-level placement: month loads and, per unit, items and free weeks per month."""

    def __init__(self, window: _Window, capacity: int, items: list[Item], pins: dict[int, date]):
        self.window = window
        self.capacity = capacity
        self.items = {item.id: item for item in items}
        sizes = Counter(item.unit_id for item in items)
        # Units that can have one item per week; rule 2 applies to them only.
        self.small = {unit for unit, size in sizes.items() if size <= window.n_weeks}
        self.load = dict.fromkeys(window.months, 0)
        self.count: Counter[tuple[int, int]] = Counter()  # (unit, month) -> movable items
        self.month_of: dict[int, int] = {}
        # month -> unit -> ids of the movable items there
        self.movable: dict[int, dict[int, set[int]]] = {m: {} for m in window.months}
        pinned = defaultdict(set)
        for item_id, week in pins.items():
            month = window.month_of_week[week]
            self.load[month] += 1
            self.month_of[item_id] = month
            pinned[(self.items[item_id].unit_id, month)].add(week)
        # (unit, month) -> weeks still free for the unit's movable items
        self.free = {
            (unit, month): len(window.weeks[month]) - len(pinned.get((unit, month), ()))
            for unit in sizes
            for month in window.months
        }

    def spread(self, unit: int, month: int) -> bool:
        """Whether the unit still has a free week in the month."""
        return self.count[(unit, month)] < self.free[(unit, month)]

    def unit_fits(self, unit: int, month: int) -> bool:
        """The hard form of rule 2: binding for small units only."""
        return unit not in self.small or self.spread(unit, month)

    def fits(self, unit: int, month: int) -> bool:
        """Room in the month, and a free week there for the unit (whatever its size)."""
        return self.load[month] < self.capacity and self.spread(unit, month)

    def put(self, item: Item, month: int) -> None:
        unit = item.unit_id
        old = self.month_of.get(item.id)
        if old is not None:
            self.load[old] -= 1
            self.count[(unit, old)] -= 1
            ids = self.movable[old][unit]
            ids.discard(item.id)
            if not ids:
                del self.movable[old][unit]
        self.month_of[item.id] = month
        self.load[month] += 1
        self.count[(unit, month)] += 1
        self.movable[month].setdefault(unit, set()).add(item.id)

    def _first(self, order: list[int], unit: int) -> int:
        """First month in order with room and a free week for the unit.

        Failing that, a small unit takes the first month where it has a free week (rule 2 over
        capacity); a large unit, which has used all its weeks, the first month with room.
        """
        for month in order:
            if self.fits(unit, month):
                return month
        if unit not in self.small:
            for month in order:
                if self.load[month] < self.capacity:
                    return month
        for month in order:
            if self.spread(unit, month):
                return month
        return order[0]  # only a large unit, with every month over capacity

    def place(self, movable: list[Item]) -> None:
        """Place the movable items (sorted by id), then repair capacity and settle."""
        spilled = []
        for item in movable:
            wanted = item.requested_month
            if wanted is None:
                continue
            if wanted in self.load and self.fits(item.unit_id, wanted):
                self.put(item, wanted)
            else:
                spilled.append((item, wanted))
        for item, wanted in spilled:
            self.put(item, self._first(self.window.by_distance(wanted), item.unit_id))
        for item in movable:
            if item.requested_month is None:
                order = sorted(self.window.months, key=self._load_key)
                self.put(item, self._first(order, item.unit_id))
        self._repair()
        self._settle(movable)

    def _load_key(self, month: int) -> tuple[int, int]:
        return (self.load[month], month)

    @staticmethod
    def _distance(item: Item, month: int) -> int:
        wanted = item.requested_month
        return 0 if wanted is None else abs(month - wanted)

    def _best_move(self, source: int, target: int) -> int | None:
        """The movable item in source that can go to target at the least cost, if any."""
        best = None
        for unit, ids in self.movable[source].items():
            if not self.unit_fits(unit, target):
                continue
            clash = not self.spread(unit, target)  # a large unit doubling up a week
            for item_id in ids:
                item = self.items[item_id]
                cost = self._distance(item, target) - self._distance(item, source)
                key = (clash, cost, item_id)
                if best is None or key < best:
                    best = key
        return None if best is None else best[2]

    def _repair(self) -> None:
        """Move excess out of over-full months along augmenting paths while any path exists."""
        months = self.window.months
        while True:
            over = [m for m in months if self.load[m] > self.capacity]
            if not over:
                return
            parent: dict[int, tuple[int, int] | None] = dict.fromkeys(over)
            queue = deque(over)
            end = None
            while queue and end is None:
                month = queue.popleft()
                for target in months:
                    if target in parent:
                        continue
                    item_id = self._best_move(month, target)
                    if item_id is None:
                        continue
                    parent[target] = (month, item_id)
                    if self.load[target] < self.capacity:
                        end = target
                        break
                    queue.append(target)
            if end is None:
                return  # the overflow is forced by the window and the unit-week rule
            path = []
            month = end
            while (step := parent[month]) is not None:
                path.append((step[1], month))
                month = step[0]
            # Each hop's source only gains items and its target is untouched by earlier hops,
            # so the moves found on the unchanged state stay valid when made in order.
            for item_id, target in reversed(path):
                self.put(self.items[item_id], target)

    def _settle(self, movable: list[Item]) -> None:
        """Move each displaced item to a nearer month with room until none can move."""
        changed = True
        while changed:
            changed = False
            for item in movable:
                wanted = item.requested_month
                if wanted is None:
                    continue
                current = self.month_of[item.id]
                if current == wanted:
                    continue
                here = (abs(current - wanted), current)
                for month in self.window.by_distance(wanted):
                    if (abs(month - wanted), month) >= here:
                        break
                    if self.fits(item.unit_id, month):
                        self.put(item, month)
                        changed = True
                        break


def _most_items_first(months: _Months, month: int) -> Callable[[Item], tuple[int, int, int]]:
    """Sort key of a month's items: units with the most items there first, then unit and id."""
    return lambda item: (-months.count[(item.unit_id, month)], item.unit_id, item.id)


def _choose_weeks(
    window: _Window, months: _Months, pins: dict[int, date], movable: list[Item]
) -> dict[int, date]:
    items = months.items
    week_of = dict(pins)
    load: Counter[date] = Counter()
    topic_count: Counter[tuple[date, str]] = Counter()
    unit_count: Counter[tuple[date, int]] = Counter()

    def add(item: Item, week: date, step: int) -> None:
        load[week] += step
        unit_count[(week, item.unit_id)] += step
        if item.topic_area:
            topic_count[(week, item.topic_area)] += step

    for item_id, week in pins.items():
        add(items[item_id], week, 1)
    by_month = defaultdict(list)
    for item in movable:
        by_month[months.month_of[item.id]].append(item)

    for month in window.months:
        weeks = window.weeks[month]
        # Units with the most items in the month pick first: they are the most constrained.
        group = sorted(by_month[month], key=_most_items_first(months, month))
        for item in group:
            best_key, best_week = None, None
            for week in weeks:
                key = (
                    unit_count[(week, item.unit_id)],
                    topic_count[(week, item.topic_area)] if item.topic_area else 0,
                    load[week],
                    week,
                )
                if best_key is None or key < best_key:
                    best_key, best_week = key, week
            assert best_week is not None  # a month has four or five weeks
            week_of[item.id] = best_week
            add(item, best_week, 1)
        # Break same-topic weeks where a week without that topic and without the unit exists.
        # Each move lowers the number of same-topic pairs, so this ends.
        changed = True
        while changed:
            changed = False
            for item in group:
                topic = item.topic_area
                week = week_of[item.id]
                if not topic or topic_count[(week, topic)] < 2:
                    continue
                best_move: tuple[int, date] | None = None
                best_week = None
                for other in weeks:
                    if (
                        other != week
                        and topic_count[(other, topic)] == 0
                        and unit_count[(other, item.unit_id)] == 0
                    ):
                        move = (load[other], other)
                        if best_move is None or move < best_move:
                            best_move, best_week = move, other
                if best_week is not None:
                    add(item, week, -1)
                    add(item, best_week, 1)
                    week_of[item.id] = best_week
                    changed = True
    return week_of


def schedule(
    items: list[Item],
    *,
    year: int,
    start_month: int,
    end_month: int,
    month_capacity: int | None = None,
) -> Plan:
    """Place every item in a week of the window; see the module docstring for the rules."""
    window = _Window(year, start_month, end_month)
    _validate(items)
    if month_capacity is None:
        month_capacity = default_capacity(len(items), len(window.months))
    if month_capacity < 1:
        raise ValueError(f"每月上限至少为 1 项，收到 {month_capacity}。")
    ordered = sorted(items, key=lambda item: item.id)
    pins = {}
    for item in ordered:
        week = _pin_in_window(item, window)
        if week is not None:
            pins[item.id] = week
    movable = [item for item in ordered if item.id not in pins]

    months = _Months(window, month_capacity, ordered, pins)
    months.place(movable)
    week_of = _choose_weeks(window, months, pins, movable)

    plan = Plan(
        slots={item.id: Slot(months.month_of[item.id], week_of[item.id]) for item in ordered},
        problems=[],
        month_capacity=month_capacity,
    )
    problems = check(plan, ordered, year, start_month, end_month)
    problems += _requested_month_problems(plan, ordered, window, pins)
    problems.sort(key=lambda p: (p.item_id, _RULE_RANK[p.rule]))
    plan.problems = problems
    return plan


def _requested_month_problems(
    plan: Plan, items: list[Item], window: _Window, pins: dict[int, date]
) -> list[Problem]:
    """One problem per item outside its requested month, with the reason in the final plan."""
    capacity = plan.month_capacity
    load = Counter(slot.month for slot in plan.slots.values())
    unit_weeks = defaultdict(set)
    for item in items:
        slot = plan.slots[item.id]
        unit_weeks[(item.unit_id, slot.month)].add(slot.week)

    def reasons(unit: int, month: int) -> str:
        parts = []
        if load[month] >= capacity:
            parts.append(f"{month}月已排满（上限 {capacity} 项）")
        if len(unit_weeks[(unit, month)]) >= len(window.weeks[month]):
            parts.append(f"本单位{month}月的各周都已有活动")
        return "，且".join(parts) or f"{month}月无法安排"

    def skipped(wanted: int, first: int, month: int) -> str:
        """Months nearer to the request than the chosen one, besides the one already named."""
        here = (abs(month - wanted), month)
        nearer = [
            m for m in window.by_distance(wanted) if m != first and (abs(m - wanted), m) < here
        ]
        if not nearer:
            return ""
        return f"，更近的{'、'.join(f'{m}月' for m in sorted(nearer))}也没有空位"

    problems = []
    for item in items:
        wanted = item.requested_month
        slot = plan.slots[item.id]
        if wanted is None or slot.month == wanted:
            continue
        if item.id in pins:
            message = f"申报在{wanted}月，按手动指定的周安排在{window.week_label(slot.week)}。"
        elif wanted not in window.weeks:
            nearest = window.nearest(wanted)
            if slot.month == nearest:
                message = f"申报在{wanted}月，不在{window.label()}内，安排在最近的{nearest}月。"
            else:
                message = (
                    f"申报在{wanted}月，不在{window.label()}内；"
                    f"{reasons(item.unit_id, nearest)}{skipped(wanted, nearest, slot.month)}，"
                    f"安排在{slot.month}月。"
                )
        else:
            message = (
                f"申报在{wanted}月，因{reasons(item.unit_id, wanted)}"
                f"{skipped(wanted, wanted, slot.month)}，安排在{slot.month}月。"
            )
        problems.append(Problem(item.id, "requested_month", message))
    return problems


def _ids(ids: Iterable[int]) -> str:
    return "、".join(str(i) for i in sorted(ids))


def check(
    plan: Plan, items: list[Item], year: int, start_month: int, end_month: int
) -> list[Problem]:
    """Problems of a finished plan for the rules window, unit_week, month_capacity, topic_week.

    - window: an item without a slot, or with a slot outside the window (or whose week does not
      belong to its month); a pinned week outside the window (ignored); a pinned week inside the
      window that was not kept.
    - unit_week: items of one unit sharing a week. Reported on the items not kept at a pinned
      week; when all of them are pinned, on all of them.
    - month_capacity: a month holding more than ``plan.month_capacity`` items. Reported on its
      items not kept at a pinned week (on all of them when all are pinned).
    - topic_week: an item sharing its week with an item of the same non-empty topic area while
      another week of its month holds neither that topic nor an item of its unit, i.e. when
      the clash could have been avoided without breaking the unit-week rule.

    Items are checked in id order; each item's problems follow the rule priority order.
    """
    window = _Window(year, start_month, end_month)
    capacity = plan.month_capacity
    problems = []
    placed: list[tuple[Item, Slot]] = []
    kept_pin = set()
    sizes = Counter(item.unit_id for item in items)

    for item in sorted(items, key=lambda it: it.id):
        slot = plan.slots.get(item.id)
        if slot is None:
            problems.append(Problem(item.id, "window", "未安排到任何一周。"))
            continue
        if slot.month not in window.weeks:
            problems.append(
                Problem(item.id, "window", f"安排在{slot.month}月，不在{window.label()}内。")
            )
            continue
        if window.month_of_week.get(slot.week) != slot.month:
            week = slot.week
            problems.append(
                Problem(
                    item.id,
                    "window",
                    f"安排的周（{week.year}年{week.month}月{week.day}日）不是{slot.month}月的一周。",
                )
            )
            continue
        placed.append((item, slot))
        if item.pinned_week is None:
            continue
        pin = _monday(item.pinned_week)
        if pin not in window.month_of_week:
            message = (
                f"手动指定的{window.week_label(pin)}不在{window.label()}内，已忽略，"
                f"改为安排在{window.week_label(slot.week)}。"
            )
            problems.append(Problem(item.id, "window", message))
        elif slot.week != pin:
            message = (
                f"未保留手动指定的{window.week_label(pin)}，"
                f"而是安排在{window.week_label(slot.week)}。"
            )
            problems.append(Problem(item.id, "window", message))
        else:
            kept_pin.add(item.id)

    by_unit_week = defaultdict(list)
    by_month = defaultdict(list)
    by_topic_week = defaultdict(list)
    unit_weeks = set()
    topic_weeks = set()
    for item, slot in placed:
        by_unit_week[(item.unit_id, slot.week)].append(item.id)
        by_month[slot.month].append(item.id)
        unit_weeks.add((item.unit_id, slot.week))
        if item.topic_area:
            by_topic_week[(item.topic_area, slot.week)].append(item.id)
            topic_weeks.add((item.topic_area, slot.week))

    def flagged(ids: list[int]) -> list[int]:
        loose = [i for i in ids if i not in kept_pin]
        return loose or ids

    for (unit, week), ids in by_unit_week.items():
        if len(ids) < 2:
            continue
        for item_id in flagged(ids):
            others = [i for i in ids if i != item_id]
            message = f"与本单位的其他活动（编号 {_ids(others)}）同在{window.week_label(week)}。"
            pinned_others = [i for i in others if i in kept_pin]
            if item_id in kept_pin:
                message += "本项是手动指定的周。"
            if pinned_others:
                message += f"编号 {_ids(pinned_others)} 是手动指定的周。"
            if sizes[unit] > window.n_weeks:
                message += (
                    f"本单位共 {sizes[unit]} 项，多于{window.label()}的 {window.n_weeks} 周。"
                )
            problems.append(Problem(item_id, "unit_week", message))

    for month, ids in by_month.items():
        if len(ids) <= capacity:
            continue
        message = f"{month}月共安排 {len(ids)} 项，超过每月上限 {capacity} 项。"
        for item_id in flagged(ids):
            problems.append(Problem(item_id, "month_capacity", message))

    items_by_id = {item.id: item for item, _ in placed}
    for (topic, week), ids in by_topic_week.items():
        if len(ids) < 2:
            continue
        month_weeks = window.weeks[window.month_of_week[week]]
        for item_id in ids:
            unit = items_by_id[item_id].unit_id
            free = [
                w
                for w in month_weeks
                if w != week and (topic, w) not in topic_weeks and (unit, w) not in unit_weeks
            ]
            if not free:
                continue
            others = [i for i in ids if i != item_id]
            message = (
                f"与同为“{topic}”主题的活动（编号 {_ids(others)}）同在{window.week_label(week)}，"
                f"而本月{'、'.join(window.week_number(w) for w in free)}"
                "既没有该主题也没有本单位的活动。"
            )
            problems.append(Problem(item_id, "topic_week", message))

    problems.sort(key=lambda p: (p.item_id, _RULE_RANK[p.rule]))
    return problems
