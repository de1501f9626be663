"""The opinions dashboard: figures per unit, event and campaign (ECharts) and their xlsx."""

import io

from django.shortcuts import render
from openpyxl import Workbook
from openpyxl.styles import Font

from openday.lib import params as param
from openday.lib.export_text import append_row
from openday.opinions import figures as calc
from openday.opinions.access import visible

from .shortcuts import XLSX, download, staff_required

COLUMNS = [
    ("received", "收到"),
    ("handled", "去重后"),
    ("assigned", "已交办"),
    ("answered", "已答复"),
    ("on_time", "按期答复"),
    ("on_time_rate", "按期率%"),
    ("adopted", "采纳（含部分）"),
    ("adoption_rate", "采纳率%"),
    ("rectified", "整改完成"),
    ("rectification_rate", "整改率%"),
    ("published", "已公开"),
    ("callbacks_reached", "回访接通"),
    ("satisfaction", "办理满意度"),
    ("event_satisfaction", "活动满意度"),
]
GROUP_LABELS = {"unit": "按责任单位", "event": "按活动", "campaign": "按年度活动"}
# Rows per group on the page and its chart (those with the most opinions); the xlsx has all.
# A province's year has thousands of units and events: rendering them all took seconds.
SHOWN_ROWS = 50


def _year(request):
    return param.year(request.GET.get("year"), default="")


def _opinions(access, year):
    opinions = visible(access)
    return opinions.filter(received_at__year=year) if year else opinions


def _topics(opinions):
    import logging

    from openday.opinions.triage import topics_of

    try:
        topics = topics_of(opinions)
    except Exception:  # a help for the summary; the figures must show without it
        logging.getLogger(__name__).exception("hot topics failed")
        return []
    # Plain values, for the cache (the template reads o.pk, o.tracking_code, o.short).
    return [
        (
            label,
            count,
            [{"pk": o.pk, "tracking_code": o.tracking_code, "short": o.short} for o in reps],
        )
        for label, count, reps in topics
    ]


def _data(access, year):
    """The page's figures, counted once per scope, year and change of the data (calc.cached)."""

    def compute():
        opinions = _opinions(access, year)
        return {
            **calc.dashboard(opinions),
            "months": calc.by_month(opinions),
            "decisions": calc.decisions(opinions),
        }

    return calc.cached(access, "figures", (year,), compute)


@staff_required
def figures(request):
    access = request.access
    year = _year(request)
    data = _data(access, year)
    topics = calc.cached(access, "topics", (year,), lambda: _topics(_opinions(access, year)))
    years = calc.cached(
        access,
        "years",
        (),
        lambda: sorted(
            {d.year for d in visible(access).dates("received_at", "year")}, reverse=True
        ),
    )
    groups = data["groups"]
    shown = dict(data, groups={g: rows[:SHOWN_ROWS] for g, rows in groups.items()})
    return render(
        request,
        "control/opinions/figures.html",
        {
            "topics": topics,
            "data": shown,
            "group_sizes": {g: len(rows) for g, rows in groups.items()},
            "shown_rows": SHOWN_ROWS,
            "columns": COLUMNS,
            "group_labels": GROUP_LABELS,
            "year": year,
            "years": years,
            "empty": not data["total"]["received"],
        },
    )


@staff_required
def figures_xlsx(request):
    year = _year(request)
    data = _data(request.access, year)
    total = data["total"]
    wb = Workbook()
    wb.remove(wb.active)
    for group, title in GROUP_LABELS.items():
        ws = wb.create_sheet(title)
        append_row(ws, ["名称", *[label for _k, label in COLUMNS]])
        for row in data["groups"][group]:
            append_row(ws, [row["label"], *[row[k] for k, _l in COLUMNS]])
        append_row(ws, ["合计", *[total[k] for k, _l in COLUMNS]])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    name = f"意见建议办理统计{year or ''}.xlsx"
    return download(out.getvalue(), XLSX, name)
