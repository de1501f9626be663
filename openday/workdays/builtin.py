"""The official arrangements shipped with the code, read from the pinned chinese-calendar.

Migration 0002 seeds the same rows with its own copy of this code (migrations stay frozen).
"""

import chinese_calendar

FIRST_YEAR, LAST_YEAR = 2023, 2026
# chinese-calendar's short names, spelled as the State Council's notices spell them.
NOTICE_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


def _name(english):
    try:
        chinese = chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english[:50]
    return NOTICE_NAMES.get(chinese, chinese)


def builtin_rows(first=FIRST_YEAR, last=LAST_YEAR):
    """[{date, kind, name, source}] of every special day of the years first..last."""
    rows = []
    for table, kind in (
        (chinese_calendar.holidays, "holiday"),
        (chinese_calendar.workdays, "workday"),
    ):
        for day, english in table.items():
            if first <= day.year <= last:
                rows.append({"date": day, "kind": kind, "name": _name(english), "source": "seed"})
    return sorted(rows, key=lambda r: r["date"])
