"""Paper for the day: the 签到表 (xlsx and .docx) and 桌签 (name cards)."""

import io

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from openday.lib.export_text import append_row, xml_text
from openday.lib.official_doc import OfficialDocument, add_text

from .models import Registration

HEADERS = ["序号", "姓名", "类别", "单位/职务", "手机号后四位", "签到时间", "签名"]


def _rows(event):
    regs = event.registrations.filter(status=Registration.Status.CONFIRMED).order_by(
        "category", "name"
    )
    for seq, r in enumerate(regs, start=1):
        arrived = timezone.localtime(r.checked_in_at).strftime("%H:%M") if r.checked_in_at else ""
        yield [seq, r.name, r.get_category_display(), r.organization, r.phone_last4, arrived, ""]


def signin_xlsx(event):
    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    append_row(ws, [f"{event.title}签到表"])
    ws["A1"].font = Font(size=14, bold=True)
    local = timezone.localtime(event.starts_at)
    append_row(
        ws,
        [
            f"时间：{local.year}年{local.month}月{local.day}日 {local:%H:%M}　地点："
            + "、".join(v.get("name", "") for v in event.venues)
        ],
    )
    append_row(ws, HEADERS)
    thin = Side(style="thin")
    for row in _rows(event):
        append_row(ws, row)
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for col, width in zip("ABCDEFG", (6, 12, 12, 28, 12, 10, 18), strict=True):
        ws.column_dimensions[col].width = width
    for i in range(4, ws.max_row + 1):
        ws.row_dimensions[i].height = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def signin_docx(event):
    doc = OfficialDocument()
    _logo(doc.doc, event)
    doc.attachment("附件", f"{event.title}签到表")
    local = timezone.localtime(event.starts_at)
    doc.line(
        f"时间：{local.year}年{local.month}月{local.day}日 {local:%H:%M}　地点："
        + "、".join(v.get("name", "") for v in event.venues)
    )
    rows = [[xml_text(v) for v in row] for row in _rows(event)]
    doc.table(HEADERS, rows, [12, 22, 24, 42, 20, 16, 20], blank_rows=5)
    return doc.to_bytes()


def name_cards_docx(event):
    """One folded card per confirmed guest: the name large on A4 landscape, to fold in half."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for margin in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, margin, Mm(15))
    regs = list(
        event.registrations.filter(status=Registration.Status.CONFIRMED).order_by(
            "category", "name"
        )
    )
    for i, r in enumerate(regs):
        spacer = document.add_paragraph()
        spacer.paragraph_format.space_before = Mm(95)
        name = document.add_paragraph()
        name.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(name, r.name, "黑体", 96)
        if r.organization:
            org = document.add_paragraph()
            org.alignment = WD_ALIGN_PARAGRAPH.CENTER
            add_text(org, r.organization, "仿宋_GB2312", 24)
        if i < len(regs) - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if not regs:
        p = document.add_paragraph("暂无报名成功的人员。")
        p.runs[0].font.size = Pt(16)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _logo(document, event, width_mm=40):
    """The campaign's LOGO, centred, at the top of a printed page (if there is one)."""
    from openday.campaigns.logo import logo_bytes

    data, _kind = logo_bytes(event.campaign)
    if data is None:
        return
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    try:
        paragraph.add_run().add_picture(io.BytesIO(data), width=Mm(width_mm))
    except Exception:  # a LOGO file damaged on disk leaves the page without it, not broken
        paragraph.text = ""
