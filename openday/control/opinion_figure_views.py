"""The opinions dashboard: figures per unit, event and campaign (ECharts) and their xlsx."""

import io

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from openday.lib import params as param
from openday.lib.export_text import append_row
from openday.opinions import figures as calc

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


@staff_required
def figures(request):
    access = request.access
    year = _year(request)
    counted = calc.page_figures(access, year)
    data = counted.value
    topics = calc.page_figures(access, year, "opinion_topics").value
    years = data["years"]
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
            "counted": counted,
            "recount_url": reverse("control:opinion_figures_recount")
            + (f"?year={year}" if year else ""),
        },
    )


@staff_required
@require_POST
def recount(request):
    """立即重新统计 the figures and hot topics of this viewer's scope and year."""
    year = _year(request)
    done = [calc.recount_page(request.access, year, what) for what in calc.PAGE_KINDS]
    if all(done):
        messages.success(request, "已按最新数据重新统计。")
    else:
        messages.info(request, "后台正在统计，请稍后刷新页面。")
    target = reverse("control:opinion_figures")
    return redirect(f"{target}?year={year}" if year else target)


@staff_required
def figures_xlsx(request):
    year = _year(request)
    data = calc.page_figures(request.access, year).value
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
