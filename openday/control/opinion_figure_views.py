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


def _scope(request):
    opinions = visible(request.access)
    year = param.year(request.GET.get("year"), default="")
    if year:
        opinions = opinions.filter(received_at__year=year)
    return opinions, year


def _topics(opinions):
    import logging

    from openday.opinions.triage import topics_of

    try:
        return topics_of(opinions)
    except Exception:  # a help for the summary; the figures must show without it
        logging.getLogger(__name__).exception("hot topics failed")
        return []


@staff_required
def figures(request):
    opinions, year = _scope(request)
    years = sorted(
        {d.year for d in visible(request.access).dates("received_at", "year")}, reverse=True
    )
    data = {
        "total": calc.counts(opinions),
        "groups": {g: calc.by(opinions, g) for g in GROUP_LABELS},
        "months": calc.by_month(opinions),
        "decisions": calc.decisions(opinions),
    }
    topics = _topics(opinions)
    return render(
        request,
        "control/opinions/figures.html",
        {
            "topics": topics,
            "data": data,
            "columns": COLUMNS,
            "group_labels": GROUP_LABELS,
            "year": year,
            "years": years,
            "empty": not data["total"]["received"],
        },
    )


@staff_required
def figures_xlsx(request):
    opinions, year = _scope(request)
    wb = Workbook()
    wb.remove(wb.active)
    for group, title in GROUP_LABELS.items():
        ws = wb.create_sheet(title)
        append_row(ws, ["名称", *[label for _k, label in COLUMNS]])
        for row in calc.by(opinions, group):
            append_row(ws, [row["label"], *[row[k] for k, _l in COLUMNS]])
        total = calc.counts(opinions)
        append_row(ws, ["合计", *[total[k] for k, _l in COLUMNS]])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    name = f"意见建议办理统计{year or ''}.xlsx"
    return download(out.getvalue(), XLSX, name)
