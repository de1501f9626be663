"""The annual plan scheduler: hand examples, then properties checked against naive oracles."""

import random
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openday.campaigns.scheduler import (
    CHECKED_RULES,
    Item,
    Plan,
    Problem,
    Slot,
    check,
    default_capacity,
    schedule,
    weeks_of_month,
)

APR_NOV = {"year": 2023, "start_month": 4, "end_month": 11}
CJK = re.compile(r"[\u4e00-\u9fff]")


def problems_of(plan, rule=None, item_id=None):
    return [
        p
        for p in plan.problems
        if (rule is None or p.rule == rule) and (item_id is None or p.item_id == item_id)
    ]


# --- weeks_of_month -------------------------------------------------------------------------


def test_weeks_of_april_2023():
    assert weeks_of_month(2023, 4) == [
        date(2023, 4, 3),
        date(2023, 4, 10),
        date(2023, 4, 17),
        date(2023, 4, 24),
    ]


def test_month_with_five_weeks_starts_in_the_previous_month():
    # 2023-03-01 is a Wednesday: the week of Monday 02-27 has its Thursday on 03-02.
    assert weeks_of_month(2023, 3) == [
        date(2023, 2, 27),
        date(2023, 3, 6),
        date(2023, 3, 13),
        date(2023, 3, 20),
        date(2023, 3, 27),
    ]


def test_month_starting_on_a_friday_leaves_that_week_to_the_previous_month():
    assert date(2023, 9, 1).weekday() == 4
    assert weeks_of_month(2023, 9) == [
        date(2023, 9, 4),
        date(2023, 9, 11),
        date(2023, 9, 18),
        date(2023, 9, 25),
    ]
    assert weeks_of_month(2023, 8)[-1] == date(2023, 8, 28)


def test_january_may_start_in_december():
    # 2026-01-01 is a Thursday, so ISO week 1 of 2026 starts on Monday 2025-12-29.
    assert weeks_of_month(2026, 1)[0] == date(2025, 12, 29)


@pytest.mark.parametrize("year", [2020, 2021, 2023, 2024, 2026, 2027])
def test_months_cover_the_iso_weeks_of_the_year_once(year):
    weeks = [w for month in range(1, 13) for w in weeks_of_month(year, month)]
    monday = date(year, 1, 4) - timedelta(days=date(year, 1, 4).weekday())  # ISO week 1
    expected = []
    while monday.isocalendar()[0] == year:
        expected.append(monday)
        monday += timedelta(days=7)
    assert weeks == expected
    for month in range(1, 13):
        for week in weeks_of_month(year, month):
            assert week.weekday() == 0
            assert (week + timedelta(days=3)).month == month
        assert len(weeks_of_month(year, month)) in (4, 5)


def test_default_capacity():
    assert default_capacity(2000, 8) == 300
    assert default_capacity(10, 3) == 4  # 10 / 3 * 1.2 = 4.0 exactly
    assert default_capacity(5, 6) == 1  # exactly 1.0, no float drift to 2
    assert default_capacity(11, 3) == 5
    assert default_capacity(0, 8) == 1


def test_invalid_input_is_refused_in_chinese():
    with pytest.raises(ValueError, match="不能晚于"):
        schedule([], year=2023, start_month=11, end_month=4)
    with pytest.raises(ValueError, match="重复"):
        schedule([Item(1, 1, "", 4), Item(1, 2, "", 5)], **APR_NOV)
    with pytest.raises(ValueError, match="申报月份"):
        schedule([Item(1, 1, "", 13)], **APR_NOV)
    with pytest.raises(ValueError, match="上限"):
        schedule([Item(1, 1, "", 4)], **APR_NOV, month_capacity=0)


# --- hand examples --------------------------------------------------------------------------


def test_requested_months_are_honored():
    items = [
        Item(1, 10, "营商环境", 4),
        Item(2, 11, "乡村振兴", 9),
        Item(3, 12, "", 11),
        Item(4, 13, "民生实事", None),
    ]
    plan = schedule(items, **APR_NOV)
    assert plan.slots[1].month == 4
    assert plan.slots[2].month == 9
    assert plan.slots[3].month == 11
    assert 4 <= plan.slots[4].month <= 11
    assert plan.problems == []
    assert plan.month_capacity == default_capacity(4, 8)


def test_overfull_month_spills_to_the_nearest_month_with_a_reason():
    items = [Item(i, 100 + i, "", 11) for i in range(1, 4)]
    plan = schedule(items, **APR_NOV, month_capacity=2)
    assert [plan.slots[i].month for i in (1, 2, 3)] == [11, 11, 10]
    assert problems_of(plan) == [
        Problem(3, "requested_month", "申报在11月，因11月已排满（上限 2 项），安排在10月。")
    ]


def test_spill_goes_to_the_earlier_month_on_ties():
    items = [Item(1, 1, "", 6), Item(2, 2, "", 6)]
    plan = schedule(items, year=2023, start_month=5, end_month=7, month_capacity=1)
    assert plan.slots[1].month == 6
    assert plan.slots[2].month == 5
    [problem] = problems_of(plan)
    assert problem.item_id == 2
    assert problem.message == "申报在6月，因6月已排满（上限 1 项），安排在5月。"


def test_spill_past_full_months_names_them():
    items = [Item(i, i, "", 11) for i in range(1, 5)]
    plan = schedule(items, **APR_NOV, month_capacity=1)
    assert [plan.slots[i].month for i in range(1, 5)] == [11, 10, 9, 8]
    assert problems_of(plan, item_id=4)[0].message == (
        "申报在11月，因11月已排满（上限 1 项），更近的9月、10月也没有空位，安排在8月。"
    )


def test_a_unit_gets_different_weeks_in_its_month():
    items = [Item(i, 7, "营商环境" if i < 3 else "", 4) for i in range(1, 4)]
    plan = schedule(items, **APR_NOV, month_capacity=5)
    assert {plan.slots[i].month for i in (1, 2, 3)} == {4}
    assert len({plan.slots[i].week for i in (1, 2, 3)}) == 3
    assert plan.problems == []


def test_a_unit_with_more_items_than_weeks_in_its_month_spills():
    items = [Item(i, 7, "", 4) for i in range(1, 6)]  # April 2023 has 4 weeks
    plan = schedule(items, **APR_NOV, month_capacity=10)
    assert [plan.slots[i].month for i in range(1, 6)] == [4, 4, 4, 4, 5]
    assert len({plan.slots[i].week for i in range(1, 6)}) == 5
    assert problems_of(plan) == [
        Problem(5, "requested_month", "申报在4月，因本单位4月的各周都已有活动，安排在5月。")
    ]


def test_pinned_items_stay_even_against_capacity_and_unit_clash():
    week = date(2023, 5, 8)
    items = [
        Item(1, 1, "", 5, pinned_week=week),
        Item(2, 1, "", 5, pinned_week=week),  # same unit, same week: both pinned
        Item(3, 2, "", 5, pinned_week=week),
        Item(4, 1, "", 5),  # free item of the same unit avoids the pinned week
    ]
    plan = schedule(items, **APR_NOV, month_capacity=3)
    for item_id in (1, 2, 3):
        assert plan.slots[item_id] == Slot(5, week)
    assert plan.slots[4].week != week
    # May is already full with the three pinned items, so item 4 moves on.
    assert plan.slots[4].month == 4
    assert {(p.item_id, p.rule) for p in plan.problems} == {
        (1, "unit_week"),
        (2, "unit_week"),
        (4, "requested_month"),
    }
    assert "手动指定" in problems_of(plan, "unit_week", 1)[0].message


def test_pinned_item_in_another_month_than_requested_is_explained():
    plan = schedule([Item(1, 1, "", 4, pinned_week=date(2023, 6, 12))], **APR_NOV)
    assert plan.slots[1] == Slot(6, date(2023, 6, 12))
    assert problems_of(plan) == [
        Problem(1, "requested_month", "申报在4月，按手动指定的周安排在6月第3周（6月12日起）。")
    ]


def test_pinned_pair_over_capacity_reports_only_the_free_item():
    week = date(2023, 6, 5)
    items = [
        Item(1, 1, "", 6, pinned_week=week),
        Item(2, 2, "", 6, pinned_week=week),
        Item(3, 3, "", 6),
    ]
    plan = schedule(items, year=2023, start_month=6, end_month=6, month_capacity=2)
    assert {(p.item_id, p.rule) for p in plan.problems} == {(3, "month_capacity")}
    assert problems_of(plan)[0].message == "6月共安排 3 项，超过每月上限 2 项。"


def test_pinned_week_outside_the_window_is_ignored_and_reported():
    plan = schedule([Item(1, 1, "", 5, pinned_week=date(2023, 3, 20))], **APR_NOV)
    assert plan.slots[1].month == 5
    [problem] = problems_of(plan)
    assert problem.rule == "window"
    assert problem.message.startswith("手动指定的2023年3月20日起的一周不在活动期（4月至11月）内")


def test_pinned_day_is_read_as_its_week():
    plan = schedule([Item(1, 1, "", 5, pinned_week=date(2023, 5, 10))], **APR_NOV)
    assert plan.slots[1] == Slot(5, date(2023, 5, 8))
    assert plan.problems == []


def test_requested_month_outside_the_window():
    items = [Item(1, 1, "", 2), Item(2, 2, "", 12), Item(3, 3, "", 2), Item(4, 4, "", 2)]
    plan = schedule(items, **APR_NOV, month_capacity=2)
    assert [plan.slots[i].month for i in (1, 2, 3, 4)] == [4, 11, 4, 5]
    messages = {p.item_id: p.message for p in plan.problems}
    assert messages[1] == "申报在2月，不在活动期（4月至11月）内，安排在最近的4月。"
    assert messages[2] == "申报在12月，不在活动期（4月至11月）内，安排在最近的11月。"
    assert (
        messages[4] == "申报在2月，不在活动期（4月至11月）内；4月已排满（上限 2 项），安排在5月。"
    )


def test_items_without_a_request_fill_the_lightest_months():
    items = [Item(i, i, "", 4) for i in range(1, 4)] + [Item(i, i, "", None) for i in range(4, 7)]
    plan = schedule(items, year=2023, start_month=4, end_month=6, month_capacity=5)
    assert Counter(slot.month for slot in plan.slots.values()) == {4: 3, 5: 2, 6: 1}
    assert plan.problems == []


def test_same_topic_is_spread_over_the_weeks_and_unavoidable_clashes_are_not_reported():
    items = [Item(i, i, "乡村振兴", 4) for i in range(1, 6)]  # five items, four weeks
    plan = schedule(items, **APR_NOV, month_capacity=10)
    assert Counter(Counter(plan.slots[i].week for i in range(1, 6)).values()) == {1: 3, 2: 1}
    assert plan.problems == []


def test_pinned_same_topic_clash_with_a_free_week_is_reported():
    week = date(2023, 4, 10)
    items = [Item(i, i, "蓝天碧水", 4, pinned_week=week) for i in (1, 2)]
    plan = schedule(items, **APR_NOV, month_capacity=5)
    assert {(p.item_id, p.rule) for p in plan.problems} == {(1, "topic_week"), (2, "topic_week")}
    assert problems_of(plan, item_id=1)[0].message == (
        "与同为“蓝天碧水”主题的活动（编号 2）同在4月第2周（4月10日起），"
        "而本月第1周、第3周、第4周既没有该主题也没有本单位的活动。"
    )


def test_load_is_spread_within_a_month():
    items = [Item(i, i, "", 9) for i in range(1, 9)]
    plan = schedule(items, **APR_NOV, month_capacity=8)
    assert Counter(plan.slots[i].week for i in range(1, 9)) == dict.fromkeys(
        weeks_of_month(2023, 9), 2
    )


def test_unit_week_wins_over_capacity_when_both_cannot_hold():
    # March 2023 has 5 weeks, April 4; capacity 9 x 2 months = 18 items = 2 units x 9 items.
    # Each unit fits at most 5 items in March and 4 in April, so March must take 10.
    items = [Item(u * 100 + i, u, "", 3) for u in (1, 2) for i in range(9)]
    plan = schedule(items, year=2023, start_month=3, end_month=4, month_capacity=9)
    assert Counter(slot.month for slot in plan.slots.values()) == {3: 10, 4: 8}
    assert problems_of(plan, "unit_week") == []
    assert len(problems_of(plan, "month_capacity")) == 10


def test_capacity_repair_moves_other_units_out_of_the_way():
    # June 2023 has 5 weeks, July 4. Unit 1 has 9 items: it needs every week of both months.
    # Unit 2's items came first and filled June, so the greedy pass overfills June with unit 1;
    # repair moves unit 2's items to July instead.
    items = [Item(i, 2, "", 6) for i in (1, 2, 3)]
    items += [Item(10 + i, 1, "", 6) for i in range(9)]
    plan = schedule(items, year=2023, start_month=6, end_month=7, month_capacity=6)
    assert Counter(slot.month for slot in plan.slots.values()) == {6: 6, 7: 6}
    assert [plan.slots[i].month for i in (1, 2, 3)] == [7, 7, 6]
    assert {p.rule for p in plan.problems} == {"requested_month"}
    assert problems_of(plan, item_id=1)[0].message == (
        "申报在6月，因6月已排满（上限 6 项），安排在7月。"
    )


def test_same_input_same_output_whatever_the_order():
    rng = random.Random(7)
    items = [
        Item(
            i * 3,
            rng.randrange(8),
            rng.choice(["", "改革开放", "营商环境"]),
            rng.choice([None, 3, 4, 9, 10, 11, 12]),
        )
        for i in range(120)
    ]
    first = schedule(items, **APR_NOV, month_capacity=16)
    shuffled = items[:]
    rng.shuffle(shuffled)
    assert schedule(items, **APR_NOV, month_capacity=16) == first
    assert schedule(shuffled, **APR_NOV, month_capacity=16) == first


# --- properties -----------------------------------------------------------------------------

TOPICS = ["", "改革开放", "乡村振兴", "民生实事"]


@st.composite
def loose_scenarios(draw):
    """Any window, up to 40 items of up to 6 units, some pinned."""
    year = draw(st.integers(2020, 2030))
    length = draw(st.one_of(st.integers(0, 2), st.integers(0, 11)))
    start = draw(st.integers(1, 12 - length))
    end = start + length
    first = weeks_of_month(year, start)[0] - timedelta(weeks=3)
    last = weeks_of_month(year, end)[-1] + timedelta(weeks=3)
    span = (last - first).days // 7
    n_units = draw(st.integers(1, 6))
    # Pins (some outside the window) in about half of the scenarios, on one item in five.
    pin = st.none()
    if draw(st.booleans()):
        pin = st.one_of(*[st.none()] * 4, st.integers(0, span))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(-10_000, 10_000),
                st.integers(1, n_units),
                st.sampled_from(TOPICS),
                st.one_of(st.none(), st.integers(1, 12), st.integers(start, end)),
                pin,
            ),
            max_size=40,
            unique_by=lambda row: row[0],
        )
    )
    items = [
        Item(item_id, unit, topic, month, None if weeks is None else first + timedelta(weeks=weeks))
        for item_id, unit, topic, month, weeks in rows
    ]
    # Default, arbitrary, or just enough for the items (the tight case exercises repair).
    tight = -(-len(items) // (length + 1)) if items else 1
    capacity = draw(st.one_of(st.none(), st.integers(1, 12), st.integers(tight, tight + 1)))
    return items, year, start, end, capacity


@st.composite
def crowded_scenarios(draw):
    """Two or three months, units of about as many items as weeks, capacity about just enough.

    Here the greedy pass alone often overfills a month that a different split of the units'
    items avoids, so the repair step is exercised.
    """
    year = draw(st.integers(2020, 2030))
    start = draw(st.integers(1, 10))
    end = start + draw(st.integers(1, 2))
    n_weeks = sum(len(weeks_of_month(year, m)) for m in range(start, end + 1))
    sizes = draw(st.lists(st.integers(1, n_weeks + 4), min_size=1, max_size=4))
    items = []
    for unit, size in enumerate(sizes):
        for _ in range(size):
            month = draw(st.integers(start, end))
            items.append(Item(len(items) * 7 % 1000, unit, draw(st.sampled_from(TOPICS)), month))
    tight = -(-len(items) // (end - start + 1))
    return items, year, start, end, draw(st.integers(max(1, tight - 1), tight + 1))


def scenarios():
    return st.one_of(loose_scenarios(), crowded_scenarios())


def run(scenario) -> Plan:
    items, year, start, end, capacity = scenario
    return schedule(items, year=year, start_month=start, end_month=end, month_capacity=capacity)


def window_weeks(year, start, end):
    return {m: weeks_of_month(year, m) for m in range(start, end + 1)}


def kept_pin(item, slot):
    return item.pinned_week is not None and slot.week == item.pinned_week


def naive_problems(plan, items, year, start, end):
    """(item id, rule) for the checked rules, by pairwise scans written independently."""
    weeks = window_weeks(year, start, end)
    all_weeks = {w for ws in weeks.values() for w in ws}
    slot = plan.slots
    found = set()
    for a in items:
        if a.pinned_week is not None and a.pinned_week not in all_weeks:
            found.add((a.id, "window"))
    for a in items:
        mates = [b for b in items if b.unit_id == a.unit_id and slot[b.id].week == slot[a.id].week]
        if len(mates) > 1:
            loose = [b for b in mates if not kept_pin(b, slot[b.id])]
            if a in loose or not loose:
                found.add((a.id, "unit_week"))
    for a in items:
        same_month = [b for b in items if slot[b.id].month == slot[a.id].month]
        if len(same_month) > plan.month_capacity:
            loose = [b for b in same_month if not kept_pin(b, slot[b.id])]
            if a in loose or not loose:
                found.add((a.id, "month_capacity"))
    for a in items:
        if not a.topic_area:
            continue
        week = slot[a.id].week
        if not any(
            b.id != a.id and b.topic_area == a.topic_area and slot[b.id].week == week for b in items
        ):
            continue
        for other in weeks[slot[a.id].month]:
            there = [b for b in items if slot[b.id].week == other]
            if other != week and not any(
                b.topic_area == a.topic_area or b.unit_id == a.unit_id for b in there
            ):
                found.add((a.id, "topic_week"))
                break
    return found


def capacity_feasible(items, year, start, end, capacity):
    """Whether months can stay within capacity with each unit's items in distinct weeks.

    Max-flow / min-cut over units -> months (a unit with no more items than weeks may put at
    most one item per week of a month; a larger unit is unlimited) -> sink (capacity each).
    For a cut taking k months at the sink side, the cheapest choice is the k longest months.
    """
    lengths = sorted((len(ws) for ws in window_weeks(year, start, end).values()), reverse=True)
    total_weeks = sum(lengths)
    sizes = Counter(item.unit_id for item in items).values()
    for k in range(len(lengths) + 1):
        rest = total_weeks - sum(lengths[:k])
        cut = capacity * k
        for size in sizes:
            if size <= total_weeks:
                cut += min(size, rest)
            elif k < len(lengths):
                cut += size
        if cut < len(items):
            return False
    return True


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_every_item_is_placed_in_a_week_of_the_window(scenario):
    items, year, start, end, _ = scenario
    plan = run(scenario)
    weeks = window_weeks(year, start, end)
    assert set(plan.slots) == {item.id for item in items}
    for item in items:
        slot = plan.slots[item.id]
        assert start <= slot.month <= end
        assert slot.week in weeks[slot.month]
        pin = item.pinned_week
        if pin is not None and pin in weeks.get((pin + timedelta(days=3)).month, []):
            assert slot.week == pin


@PROPERTY
@given(scenarios())
def test_reported_problems_are_truthful_and_complete(scenario):
    items, year, start, end, _ = scenario
    plan = run(scenario)
    checked = [p for p in plan.problems if p.rule in CHECKED_RULES]
    assert check(plan, items, year, start, end) == checked
    assert {(p.item_id, p.rule) for p in checked} == naive_problems(plan, items, year, start, end)
    assert len({(p.item_id, p.rule) for p in plan.problems}) == len(plan.problems)
    for problem in plan.problems:
        assert CJK.search(problem.message)
    assert plan.problems == sorted(
        plan.problems,
        key=lambda p: (
            p.item_id,
            ["window", "unit_week", "month_capacity", "requested_month", "topic_week"].index(
                p.rule
            ),
        ),
    )


@PROPERTY
@given(scenarios())
def test_unit_week_and_capacity_hold_when_they_can(scenario):
    items, year, start, end, capacity = scenario
    plan = run(scenario)
    n_weeks = sum(len(ws) for ws in window_weeks(year, start, end).values())
    units = defaultdict(list)
    for item in items:
        units[item.unit_id].append(item)
    clashing = {p.item_id for p in problems_of(plan, "unit_week")}
    for unit_items in units.values():
        if len(unit_items) <= n_weeks and all(i.pinned_week is None for i in unit_items):
            assert not clashing & {i.id for i in unit_items}
            assert len({plan.slots[i.id].week for i in unit_items}) == len(unit_items)
    if all(i.pinned_week is None for i in items) and plan.month_capacity >= len(items):
        # Without capacity pressure, a unit with more items than weeks still uses every week.
        for unit_items in units.values():
            used = {plan.slots[i.id].week for i in unit_items}
            assert len(used) == min(len(unit_items), n_weeks)
    if all(i.pinned_week is None for i in items):
        loads = Counter(slot.month for slot in plan.slots.values())
        over = any(load > plan.month_capacity for load in loads.values())
        # Over capacity only when the window and the unit-week rule leave no other way.
        assert over == (not capacity_feasible(items, year, start, end, plan.month_capacity))
        if len(items) <= plan.month_capacity * (end - start + 1) and all(
            n <= 4 for n in Counter(i.unit_id for i in items).values()
        ):
            assert not over
    if capacity is None:
        assert plan.month_capacity == default_capacity(len(items), end - start + 1)


@PROPERTY
@given(scenarios())
def test_requested_months_are_honored_or_explained(scenario):
    items, year, start, end, _ = scenario
    plan = run(scenario)
    weeks = window_weeks(year, start, end)
    loads = Counter(slot.month for slot in plan.slots.values())
    unit_weeks = defaultdict(set)
    for item in items:
        unit_weeks[(item.unit_id, plan.slots[item.id].month)].add(plan.slots[item.id].week)

    def has_room(item, month):
        # Room, and a free week for the unit: large units are spread too while they can be.
        unit_ok = len(unit_weeks[(item.unit_id, month)]) < len(weeks[month])
        return loads[month] < plan.month_capacity and unit_ok

    for item in items:
        month = plan.slots[item.id].month
        reported = problems_of(plan, "requested_month", item.id)
        if item.requested_month is None or month == item.requested_month:
            assert reported == []
            continue
        [problem] = reported
        wanted = item.requested_month
        assert problem.message.startswith(f"申报在{wanted}月")
        assert problem.message.endswith(f"{month}月。") or "手动指定" in problem.message
        pinned = item.pinned_week is not None and plan.slots[item.id].week == item.pinned_week
        if pinned:
            continue
        # Nearest month with room, earlier on ties: every nearer month has no room.
        for other in weeks:
            if (abs(other - wanted), other) < (abs(month - wanted), month):
                assert not has_room(item, other), (item, other)
        if start <= wanted <= end:
            assert ("已排满" in problem.message) == (loads[wanted] >= plan.month_capacity)
        else:
            assert "不在活动期" in problem.message


@settings(max_examples=50, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(scenario, rnd):
    items, year, start, end, capacity = scenario
    shuffled = items[:]
    rnd.shuffle(shuffled)
    assert run(scenario) == run((shuffled, year, start, end, capacity))
