"""The campaign's summary figures workbook (活动总结数据.xlsx): one row per event, with whether
its evidence is complete.

It uses services (the figures) and evidence (the checklists); neither imports it, and evidence
uses services, never the other way round.
"""

import io

from django.utils import timezone
from openpyxl import Workbook

from openday.events.models import GUEST_CATEGORIES
from openday.lib.export_text import append_row

from .evidence import checklists
from .models import EventSummary
from .services import shown_figures

FIGURE_HEADERS = [
    "单位",
    "活动",
    "活动日期",
    "活动状态",
    "总结状态",
    "报送时间",
    "计划名额",
    "报名人数",
    "签到人数",
    *[f"签到-{name}" for _code, name in GUEST_CATEGORIES],
    "发出邀请",
    "受邀报名",
    "问卷份数",
    "问卷满意率(%)",
    "问卷平均分",
    "意见建议",
    "已答复",
    "按期答复",
    "采纳（含部分）",
    "部分采纳",
    "解释说明",
    "已解决",
    "已整改",
    "已公开",
    "采纳率(%)",
    "整改率(%)",
    "回访接通",
    "办理满意度",
    "活动满意度",
    "宣传报道",
    "活动照片",
    "可见LOGO照片",
    "佐证材料齐全",
]


def figure_row(event, summary, f, complete):
    p, s, o = f["participants"], f["survey"], f["opinions"]
    d, cb, inv = o.get("decisions", {}), f["callbacks"], f["invitations"]
    by_cat = {c["code"]: c["checked_in"] for c in p["categories"]}
    submitted = summary is not None and summary.status == EventSummary.Status.SUBMITTED
    return [
        event.unit.name,
        event.title,
        timezone.localtime(event.starts_at).strftime("%Y-%m-%d"),
        event.get_status_display(),
        summary.get_status_display() if summary else "未填写",
        timezone.localtime(summary.submitted_at).strftime("%Y-%m-%d %H:%M") if submitted else "",
        p["capacity"],
        p["registered"],
        p["checked_in"],
        *[by_cat.get(code, 0) for code, _name in GUEST_CATEGORIES],
        inv.get("sent", 0),
        inv.get("accepted", 0),
        s["responses"],
        s["satisfaction_rate"],
        s["satisfaction_score"],
        o["received"],
        o["answered"],
        o["on_time"],
        o["adopted"],
        d.get("partly", 0),
        d.get("explained", 0),
        d.get("solved", 0),
        o["rectified"],
        o["published"],
        o["adoption_rate"],
        o["rectification_rate"],
        cb["callbacks_reached"],
        cb["satisfaction"],
        cb["event_satisfaction"],
        f["articles"],
        f["photos"]["total"],
        f["photos"]["with_logo"],
        "是" if complete else "否",
    ]


def campaign_xlsx(events, fileobj):
    """One row of summary figures per event (the snapshot once submitted), written to fileobj."""
    events = list(events.select_related("unit", "report").order_by("unit__path", "starts_at", "id"))
    states = checklists(events)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("活动总结数据")
    append_row(ws, FIGURE_HEADERS)
    for event in events:
        summary = getattr(event, "report", None)
        f = shown_figures(event, summary)
        complete = all(item["ok"] for item in states[event.pk])
        append_row(ws, figure_row(event, summary, f, complete))
    wb.save(fileobj)


def campaign_xlsx_bytes(events):
    out = io.BytesIO()
    campaign_xlsx(events, out)
    return out.getvalue()
