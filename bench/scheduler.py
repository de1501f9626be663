"""Annual plan scheduler figures: time to place 2,000 items over April-November 2023.

Standard library and the scheduler module only (no Django):

    .venv/bin/python bench/scheduler.py
"""

import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openday.campaigns.scheduler import (
    RULES,
    Item,
    default_capacity,
    schedule,
    weeks_of_month,
)

ITEMS = 2000
UNITS = 60
RUNS = 5
YEAR, START, END = 2023, 4, 11
TOPICS = [
    "改革开放",
    "品质城市",
    "营商环境",
    "乡村振兴",
    "蓝天碧水",
    "民生实事",
    "社会治理",
    "政府自身建设",
]
# Requested month weights, January..December: most units ask for September to November.
MONTH_WEIGHTS = [1, 1, 2, 5, 6, 7, 4, 4, 12, 15, 17, 3]


def make_items(rng: random.Random) -> list[Item]:
    pin_weeks = [w for m in range(3, 13) for w in weeks_of_month(YEAR, m)]  # some outside
    items = []
    for item_id in range(1, ITEMS + 1):
        unit = rng.randrange(1, UNITS + 1)
        topic = "" if rng.random() < 0.05 else rng.choice(TOPICS)
        month = None if rng.random() < 0.05 else rng.choices(range(1, 13), MONTH_WEIGHTS)[0]
        pinned = None
        if rng.random() < 0.02:
            pinned = rng.choice(pin_weeks) + timedelta(days=rng.choice([0, 0, 2]))
        items.append(Item(item_id, unit, topic, month, pinned))
    return items


def main() -> None:
    items = make_items(random.Random(2023))
    n_months = END - START + 1
    n_weeks = sum(len(weeks_of_month(YEAR, m)) for m in range(START, END + 1))
    timings = []
    plan = None
    for _ in range(RUNS):
        began = time.perf_counter()
        plan = schedule(items, year=YEAR, start_month=START, end_month=END)
        timings.append((time.perf_counter() - began) * 1000)
    assert plan is not None
    print(f"python {platform.python_version()} on {platform.machine()}, {RUNS} runs")
    units = Counter(item.unit_id for item in items)
    print(
        f"items {len(items)}, units {len(units)} (largest {max(units.values())} items), "
        f"months {n_months} ({START}-{END}/{YEAR}), weeks {n_weeks}, "
        f"capacity {plan.month_capacity} (default {default_capacity(len(items), n_months)})"
    )
    requested = Counter(item.requested_month for item in items)
    print(
        "requested: "
        + ", ".join(f"{m}: {requested[m]}" for m in range(1, 13))
        + f", none: {requested[None]}; pinned: {sum(1 for i in items if i.pinned_week)}"
    )
    print(
        f"schedule {len(items)} items: median {statistics.median(timings):.1f} ms "
        f"(best {min(timings):.1f} ms)"
    )
    rules = Counter(problem.rule for problem in plan.problems)
    print("problems: " + ", ".join(f"{rule} {rules[rule]}" for rule in RULES))
    loads = Counter(slot.month for slot in plan.slots.values())
    print(
        f"month load: min {min(loads.values())}, max {max(loads.values())} ("
        + ", ".join(f"{m}: {loads[m]}" for m in range(START, END + 1))
        + ")"
    )
    weekly = Counter(slot.week for slot in plan.slots.values())
    print(f"week load: min {min(weekly.values())}, max {max(weekly.values())}")


if __name__ == "__main__":
    main()
