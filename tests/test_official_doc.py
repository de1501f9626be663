"""The GB/T 9704-2012 公文 writer: build a notice with every method, reopen it, check it."""

import io
from datetime import date

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from openday.lib.official_doc import OfficialDocument, chinese_date, text_units

ISSUER = "开福区政务公开政务服务工作领导小组办公室"
DOC_NUMBER = "开政务公开办发〔2023〕1号"
TITLE = "关于印发《开福区2023年“政务公开主题日”\n活动实施方案》的通知"
PLAN = """
根据有关部署要求，现就组织开展2023年“政务公开主题日”活动制定本实施方案。

一、活动主题
围绕贯彻落实全区“两会”精神，组织开展“政务公开主题日”活动。
二、活动形式
（一）实地调研。围绕年度重点工作任务，组织人大代表、政协委员到项目现场开展实地调研。
（二）现场观摩。邀请市民群众现场观摩办事服务。
"""
FORM_HEADERS = ["序号", "活动主题", "活动时间（月份）", "活动形式", "活动简介"]
PLAN_HEADERS = ["序号", "单位", "活动主题", "月份", "形式", "地点", "联系人", "电话"]
PLAN_ROWS = [
    ["1", "区住房和城乡建设局", "走进城市更新", "4月", "现场观摩", "某小区", "张三", "0731-1"],
    ["2", "四方坪街道", "政策面对面", "5月", "政策发布", "街道大厅", "李四", "0731-2"],
]


@pytest.fixture(scope="module")
def reopened():
    doc = OfficialDocument()
    doc.red_header(ISSUER + "文件", DOC_NUMBER)
    doc.title(TITLE)
    doc.recipients("区属各单位、各街道：")
    doc.paragraph("《开福区2023年“政务公开主题日”活动实施方案》已经区人民政府同意，现印发给你们。")
    doc.signature(ISSUER, date(2023, 3, 28))
    doc.page_break()
    doc.title("开福区2023年“政务公开主题日”活动\n实施方案")
    doc.body(PLAN)
    doc.paragraph("附表：开福区2023年“政务公开主题日”活动主题申报表", indent=True)
    doc.attachment("附表", "开福区2023年“政务公开主题日”活动主题申报表")
    doc.line("填报单位（公章）：        联系人：        联系电话：")
    doc.table(FORM_HEADERS, [], [14, 40, 26, 26, 50], blank_rows=3)
    doc.attachment("附件", "开福区2023年“政务公开主题日”活动计划安排表", landscape=True)
    doc.table(PLAN_HEADERS, PLAN_ROWS, [12, 45, 50, 18, 25, 35, 20, 35])
    data = doc.to_bytes()
    assert data[:2] == b"PK"
    return docx.Document(io.BytesIO(data))


def east_asia(run):
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def para(document, startswith):
    return next(p for p in document.paragraphs if p.text.startswith(startswith))


def test_chinese_date():
    assert chinese_date(date(2023, 3, 28)) == "2023年3月28日"
    assert chinese_date(date(2024, 12, 1)) == "2024年12月1日"


def test_text_units_counts_latin_as_half():
    assert text_units("〔2023〕1号") == 3 + 2.5


def test_a4_page_and_margins(reopened):
    section = reopened.sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.5)
    assert section.page_height.mm == pytest.approx(297, abs=0.5)
    assert section.top_margin.mm == pytest.approx(37, abs=0.5)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.5)
    assert section.left_margin.mm == pytest.approx(28, abs=0.5)
    assert section.right_margin.mm == pytest.approx(26, abs=0.5)


def test_red_header_and_doc_number(reopened):
    mark = para(reopened, ISSUER + "文件")
    run = mark.runs[0]
    assert str(run.font.color.rgb) == "FF0000"
    assert east_asia(run) == "方正小标宋简体"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # 22 characters in a 156 mm line: shrunk below 2号 so it stays on one line.
    assert Pt(18) <= run.font.size <= Pt(26)
    assert run.font.size.pt * 22 <= 156 / 25.4 * 72
    number = para(reopened, DOC_NUMBER)
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"
    assert bottom.get(qn("w:val")) == "single"


def test_title_lines(reopened):
    first = para(reopened, "关于印发《开福区2023年")
    assert first.text == "关于印发《开福区2023年“政务公开主题日”"
    assert para(reopened, "活动实施方案》的通知").alignment == WD_ALIGN_PARAGRAPH.CENTER
    run = first.runs[0]
    assert run.font.size == Pt(22)
    assert east_asia(run) == "方正小标宋简体"
    assert run._element.rPr.rFonts.get(qn("w:ascii")) == "方正小标宋简体"


def test_recipients_flush_left(reopened):
    p = para(reopened, "区属各单位、各街道：")
    assert p.paragraph_format.first_line_indent in (None, 0)
    assert east_asia(p.runs[0]) == "仿宋_GB2312"


def test_body_paragraph(reopened):
    p = para(reopened, "根据有关部署要求")
    run = p.runs[0]
    assert run.font.size == Pt(16)
    assert east_asia(run) == "仿宋_GB2312"
    fmt = p.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    assert fmt.first_line_indent == Pt(32)


def test_headings(reopened):
    h1 = para(reopened, "一、活动主题")
    assert east_asia(h1.runs[0]) == "黑体"
    assert h1.runs[0].font.size == Pt(16)
    h2 = para(reopened, "（一）实地调研")
    assert east_asia(h2.runs[0]) == "楷体_GB2312"
    assert h2.runs[0].text == "（一）实地调研。"
    # the text running on after the heading is plain body text
    assert east_asia(h2.runs[1]) == "仿宋_GB2312"
    assert h2.runs[1].text.startswith("围绕年度重点工作任务")
    assert para(reopened, "二、活动形式").runs[0].text == "二、活动形式"


def test_blank_lines_skipped(reopened):
    texts = [p.text for p in reopened.paragraphs]
    start = texts.index("一、活动主题")
    assert "" not in texts[start - 1 : start + 5]


def test_signature(reopened):
    issuer = [p for p in reopened.paragraphs if p.text == ISSUER]
    assert issuer and issuer[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    dated = para(reopened, "2023年3月28日")
    assert dated.text == "2023年3月28日"
    assert dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert dated.paragraph_format.right_indent == Pt(64)


def test_page_break_before_plan(reopened):
    plan_title = para(reopened, "开福区2023年“政务公开主题日”活动")
    assert plan_title.paragraph_format.page_break_before


def test_attachment_label_and_line(reopened):
    label = next(p for p in reopened.paragraphs if p.text == "附表")
    assert east_asia(label.runs[0]) == "黑体"
    assert label.paragraph_format.page_break_before
    line = para(reopened, "填报单位（公章）：")
    assert "        联系人：" in line.text
    assert line.runs[0].font.size == Pt(14)


def test_blank_form_table(reopened):
    form = reopened.tables[0]
    assert [c.text for c in form.rows[0].cells] == FORM_HEADERS
    assert len(form.rows) == 1 + 3
    assert all(c.text == "" for row in form.rows[1:] for c in row.cells)
    header_run = form.rows[0].cells[0].paragraphs[0].runs[0]
    assert header_run.font.bold
    assert east_asia(header_run) == "仿宋_GB2312"
    borders = form._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.tag.split("}")[1] for b in borders} >= {"top", "bottom", "insideH", "insideV"}
    assert form.columns[1].width.mm == pytest.approx(40, abs=0.5)


def test_plan_table_in_landscape_section(reopened):
    plan = reopened.tables[1]
    assert [c.text for c in plan.rows[0].cells] == PLAN_HEADERS
    assert [c.text for c in plan.rows[1].cells] == PLAN_ROWS[0]
    assert [c.text for c in plan.rows[2].cells] == PLAN_ROWS[1]
    assert len(plan.rows) == 3
    last = reopened.sections[-1]
    assert len(reopened.sections) == 2
    assert last.page_width > last.page_height
    assert last.orientation == WD_ORIENT.LANDSCAPE
    text_width = last.page_width - last.left_margin - last.right_margin
    assert sum(c.width for c in plan.columns) <= text_width


def test_page_numbers_in_footers(reopened):
    assert reopened.settings.odd_and_even_pages_header_footer
    section = reopened.sections[0]
    odd, even = section.footer, section.even_page_footer
    assert "PAGE" in odd._element.xml and "PAGE" in even._element.xml
    assert odd.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert even.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert odd.paragraphs[0].text.startswith("— ")
    assert east_asia(odd.paragraphs[0].runs[0]) == "宋体"


def test_table_widths_must_match_headers():
    doc = OfficialDocument()
    with pytest.raises(ValueError):
        doc.table(["a", "b"], [], [10])


def test_wide_table_is_scaled_into_text_area():
    doc = OfficialDocument()
    doc.table(["a", "b"], [["1", "2"]], [100, 100])
    table = docx.Document(io.BytesIO(doc.to_bytes())).tables[0]
    assert sum(c.width.mm for c in table.columns) == pytest.approx(156, abs=0.5)


def test_slightly_long_title_line_is_condensed(reopened):
    first = para(reopened, "关于印发《开福区2023年")  # 20 characters of 22 pt in 156 mm
    spacing = first.runs[0]._element.rPr.find(qn("w:spacing"))
    assert spacing is not None and int(spacing.get(qn("w:val"))) < 0
    # a line that already fits keeps normal spacing
    fits = para(reopened, "活动实施方案》的通知")
    assert fits.runs[0]._element.rPr.find(qn("w:spacing")) is None


def test_long_attachment_title_is_set_smaller(reopened):
    title = para(reopened, "开福区2023年“政务公开主题日”活动主题申报表")
    assert Pt(18) <= title.runs[0].font.size < Pt(22)
    # the landscape attachment's title fits at 2号
    wide = para(reopened, "开福区2023年“政务公开主题日”活动计划安排表")
    assert wide.runs[0].font.size == Pt(22)
