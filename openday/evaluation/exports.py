"""Exports for upward reporting and third-party evaluation: every indicator per unit (.xlsx) and
the office's annual summary (GB/T 9704 .docx)."""

import io

from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment

from openday.lib.export_text import append_row
from openday.lib.official_doc import OfficialDocument
from openday.lib.spreadsheet import append_header

from . import indicators as ind
from .scoring import evaluate, rollup, totals

PLACEHOLDER_EXPERIENCES = "（请在此填写本办组织开展活动的经验做法。）"
PLACEHOLDER_SHORTCOMINGS = "（请在此填写存在的不足和原因分析。）"
PLACEHOLDER_NEXT = "（请在此填写下一步工作打算。）"


def _cell(indicator, value):
    """A value for a cell: a number (rates as a share with a % format) or 无数据."""
    plain = indicator.plain(value)
    return "无数据" if plain is None else plain


def _adjustment_text(unit_score):
    # The label first: a cell starting with "+" or "-" would be written with an apostrophe.
    return "；".join(
        f"{ind.BY_CODE[a.indicator].label if a.indicator else '总分'}{a.points:+}：{a.reason}"
        for a in unit_score.adjustments
    )


def indicators_xlsx(campaign, unit_ids=None, result=None):
    """考核得分 (one row per unit), 指标说明, 表彰, and 下级汇总 for an upper office."""
    result = result or evaluate(campaign)
    units = [u for u in result.units if unit_ids is None or u.unit.pk in unit_ids]
    wb = Workbook()
    ws = wb.active
    ws.title = "考核得分"
    headers = ["排名", "单位"]
    for s in result.standards:
        headers += [f"{s.indicator.label}（{s.indicator.measure}）", f"{s.indicator.label}得分"]
    headers += ["指标得分合计", "加减分合计", "加减分及理由", "总分"]
    append_header(ws, headers)
    for u in units:
        row = [u.rank, u.unit.name]
        for s in result.standards:
            line = u.lines[s.code]
            row += [_cell(s.indicator, line.value), float(line.points)]
        row += [float(u.subtotal), float(u.adjustment_total), _adjustment_text(u), float(u.score)]
        append_row(ws, row)
        for n, s in enumerate(result.standards):
            if s.indicator.kind == ind.RATE:
                ws.cell(ws.max_row, 3 + 2 * n).number_format = "0.0%"
    ws.freeze_panes = "C2"
    ws.column_dimensions["B"].width = 32
    _definitions(wb.create_sheet("指标说明"), result)
    _awards(wb.create_sheet("表彰"), result, unit_ids)
    if unit_ids is None and campaign.children.exists():
        _rollup(wb.create_sheet("下级汇总"), campaign)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _definitions(ws, result):
    append_header(ws, ["指标", "代码", "计量单位", "分值", "满分标准", "口径"])
    for s in result.standards:
        i = s.indicator
        append_row(ws, [i.label, i.code, i.measure, float(s.weight), s.target_label, i.definition])
    append_row(ws, ["合计", "", "", float(result.total_weight), "", ""])
    append_row(ws, [])
    for text in (
        "得分 = 分值 × 指标值 ÷ 满分标准，达到或超过满分标准的得该项全部分值，保留两位小数；回访满意度按（平均分 − 1）÷（满分标准 − 1）计算。",
        "比例和平均数类指标没有数据（如没有已答复的意见）的记 0 分，表中显示“无数据”。",
        "单项加减分后该项得分不低于 0、不高于分值；总分加减分后总分不低于 0。总分相同的单位名次相同。",
    ):
        append_row(ws, [text])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["F"].width = 80
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _awards(ws, result, unit_ids):
    append_header(ws, ["类型", "单位", "活动", "推荐理由", "标记时间"])
    for a in result.awards:
        if unit_ids is not None and a.unit_id not in unit_ids:
            continue
        append_row(
            ws,
            [
                a.get_kind_display(),
                a.unit.name,
                a.event.title if a.event else "",
                a.citation,
                timezone.localtime(a.created_at).strftime("%Y-%m-%d"),
            ],
        )
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 50
    ws.column_dimensions["D"].width = 50


def _rollup(ws, campaign):
    data = rollup(campaign)
    headers = ["排名", "政务公开办", "参评单位数", "单位平均分"]
    for s in data["standards"]:
        headers += [f"{s.indicator.label}（{s.indicator.measure}）", f"{s.indicator.label}得分"]
    headers += ["总分"]
    append_header(ws, headers)
    for row in data["offices"]:
        values = [
            row.rank,
            row.office.name,
            row.units,
            float(row.average) if row.average is not None else "无数据",
        ]
        for s in data["standards"]:
            line = row.lines[s.code]
            values += [_cell(s.indicator, line.value), float(line.points)]
        append_row(ws, [*values, float(row.score)])
    ws.column_dimensions["B"].width = 36


# --- The annual summary -------------------------------------------------------------------


def facts(campaign, scope):
    """What the summary shows beside the indicators, counted with the roll-up (scoring._count):
    participants by category, the opinions' figures and the published articles."""
    from openday.events.models import CATEGORY_NAMES, Registration
    from openday.opinions import figures
    from openday.publicity.models import Article

    categories = (
        Registration.objects.filter(event_id__in=scope.event_ids, checked_in_at__isnull=False)
        .values("category")
        .annotate(n=Count("id", distinct=True))
        .order_by("-n", "category")
    )
    articles = (
        Article.objects.filter(
            Q(campaign=campaign) | Q(event_id__in=scope.event_ids), status=Article.Status.PUBLISHED
        )
        .distinct()
        .count()
    )
    return {
        "by_category": [
            (CATEGORY_NAMES.get(r["category"], r["category"]), r["n"]) for r in categories
        ],
        "opinions": figures.counts(scope.opinions),
        "articles": articles,
    }


def overall(campaign, result=None):
    """The figures of the whole campaign, for the summary and the dashboard's counters."""
    result = result or evaluate(campaign)
    sums = totals(result)
    plan = sums["held_on_plan"]
    counted = result.counted.value["facts"]
    return {
        "planned": plan.den or 0,
        "held_on_plan": int(plan.num),
        "held": int(sums["events_held"].num),
        "participants": int(sums["participants"].num),
        "by_category": counted["by_category"],
        "opinions": counted["opinions"],
        "articles": counted["articles"],
        "units": len(result.units),
    }


def _pct(value):
    return "—" if value is None else f"{value}%"


def annual_summary_docx(campaign, experiences="", shortcomings="", next_steps="", result=None):
    """The office's annual summary of the campaign, ready to print, edit or send upward."""
    result = result or evaluate(campaign)
    facts = overall(campaign, result)
    office = campaign.office
    place = office.region.name if office.region else office.display_name
    doc = OfficialDocument()
    doc.red_header(f"{office.name}文件", f"{office.doc_code}〔{timezone.localdate().year}〕  号")
    doc.title(f"关于{place}{campaign.year}年{campaign.kind_quoted}活动开展情况的报告")
    if campaign.parent_id:
        doc.recipients(f"{campaign.parent.office.name}：")
    number = f"（{campaign.doc_number}）" if campaign.doc_number else ""
    doc.paragraph(
        f"按照《{campaign.title}》{number}的部署，{office.display_name}组织各单位开展了"
        f"{campaign.year}年{campaign.kind_quoted}活动。现将活动开展和考核情况报告如下。"
    )
    doc.heading("一、总体情况", 1)
    o = facts["opinions"]
    doc.heading("（一）活动开展。", 2)
    rate = (
        f"，按计划月份举办 {facts['held_on_plan']} 场，按计划举办率 "
        f"{facts['held_on_plan'] * 100 / facts['planned']:.1f}%"
        if facts["planned"]
        else ""
    )
    doc.paragraph(
        f"计划安排表共列入 {facts['planned']} 场活动，涉及 {facts['units']} 个单位；"
        f"已举办 {facts['held']} 场{rate}。"
    )
    doc.heading("（二）参与情况。", 2)
    if facts["by_category"]:
        parts = "、".join(f"{name} {n} 人" for name, n in facts["by_category"])
        doc.paragraph(f"共签到参加 {facts['participants']} 人次，其中{parts}。")
        doc.table(
            ["参加人类别", "人数"], [[name, str(n)] for name, n in facts["by_category"]], [60, 30]
        )
    else:
        doc.paragraph("尚无签到记录。")
    doc.heading("（三）意见建议办理。", 2)
    doc.paragraph(
        f"共收到意见建议 {o['received']} 条（去重后 {o['handled']} 条），已答复 {o['answered']} 条，"
        f"按期答复 {o['on_time']} 条，按期率 {_pct(o['on_time_rate'])}；采纳（含部分采纳）"
        f"{o['adopted']} 条，采纳率 {_pct(o['adoption_rate'])}；整改完成 {o['rectified']} 条，"
        f"整改完成率 {_pct(o['rectification_rate'])}；办理结果已公开 {o['published']} 条。"
    )
    sat = o["satisfaction"]
    doc.paragraph(
        f"电话回访接通 {o['callbacks_reached']} 次，办理满意度平均 "
        f"{sat if sat is not None else '—'} 分（满分 5 分）。"
    )
    doc.heading("（四）宣传报道。", 2)
    doc.paragraph(f"在活动专栏等渠道发布宣传报道 {facts['articles']} 篇。")
    doc.heading("二、考核情况", 1)
    weights = "、".join(
        f"{s.indicator.label} {s.weight.normalize():f} 分" for s in result.standards if s.weight
    )
    doc.paragraph(f"考核指标及分值为：{weights}。各单位得分及排名如下：")
    rows = [
        [str(u.rank), u.unit.name, f"{u.subtotal}", f"{u.adjustment_total:+}", f"{u.score}"]
        for u in result.units
    ]
    doc.table(["排名", "单位", "指标得分", "加减分", "总分"], rows, [16, 70, 24, 20, 22])
    doc.heading("三、表彰情况", 1)
    awards = result.awards
    best = [a for a in awards if a.kind == "best_event"]
    excellent = [a for a in awards if a.kind == "excellent_unit"]
    if best:
        doc.paragraph(
            "优秀活动：" + "；".join(f"{a.unit.name}“{a.event.title}”" for a in best) + "。"
        )
    if excellent:
        doc.paragraph("优秀组织单位：" + "、".join(a.unit.name for a in excellent) + "。")
    if not awards:
        doc.paragraph("（尚未评定优秀活动和优秀组织单位。）")
    doc.heading("四、经验做法", 1)
    doc.body(experiences.strip() or PLACEHOLDER_EXPERIENCES)
    doc.heading("五、存在不足", 1)
    doc.body(shortcomings.strip() or PLACEHOLDER_SHORTCOMINGS)
    doc.heading("六、下一步打算", 1)
    doc.body(next_steps.strip() or PLACEHOLDER_NEXT)
    doc.signature(office.name, timezone.localdate())
    return doc.to_bytes()
