"""Write Chinese government official documents (公文) as .docx per GB/T 9704-2012.

The layout follows the national standard closely enough for everyday notices:

* A4 page, margins top 37 mm / bottom 35 mm / left 28 mm / right 26 mm, which gives a
  156 x 225 mm text area;
* body text 3号 (16 pt) 仿宋_GB2312 at an exact 28.95 pt line pitch (22 lines a page) with a
  two-character first-line indent;
* a red 发文机关标志 in 方正小标宋简体 35 mm below the top of the text area, the 发文字号 two
  lines below it and a red rule 4 mm under the 发文字号;
* a 2号 方正小标宋简体 title, 黑体 / 楷体_GB2312 / 仿宋 headings for the three outline levels;
* page numbers "— N —" in 4号 宋体, right on odd pages and left on even pages.

Fonts are written for every script slot (ascii, hAnsi, eastAsia, cs) because Word otherwise
falls back to a Latin theme font for part of the text.

Usage::

    doc = OfficialDocument()
    doc.red_header("某某办公室文件", "某办发〔2023〕1号")
    doc.title("关于……的通知")
    doc.recipients("各单位：")
    doc.body("正文……")
    doc.signature("某某办公室", date(2023, 3, 28))
    data = doc.to_bytes()
"""

from __future__ import annotations

import copy
import io
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.run import Run

from openday.lib.export_text import xml_text

if TYPE_CHECKING:
    from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.section import Section
    from docx.shared import Length
    from docx.text.paragraph import Paragraph

# Fonts named by GB/T 9704-2012 (as installed on Chinese government desktops).
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

# Chinese type sizes (字号) in points.
SIZE_2 = 22.0  # 二号
SIZE_3 = 16.0  # 三号
SIZE_4 = 14.0  # 四号
SIZE_SMALL_4 = 12.0  # 小四

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 37, 35
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 28, 26
LINE_PT = 28.95  # 22 lines in the 225 mm text area
CHAR_PT = SIZE_3  # one body character
RED = RGBColor(0xFF, 0x00, 0x00)

HEADER_MAX_PT = 26.0
HEADER_TOP_MM = 35  # 发文机关标志 top edge below the top of the text area
RULE_GAP_MM = 4  # red rule below the 发文字号

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_NUM = "一二三四五六七八九十"
HEADING_1 = re.compile(rf"^[{_NUM}]+、")
HEADING_2 = re.compile(rf"^（[{_NUM}]+）")
# A heading that runs on into its paragraph ("（一）实地调研。围绕……") is set in the heading
# font only up to the first full stop.
_RUN_IN = re.compile(r"^(.{1,40}?。)(.+)$")


def chinese_date(d: date) -> str:
    """``date(2023, 3, 28)`` -> ``"2023年3月28日"`` (Arabic numerals, no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日"


def text_units(text: str) -> float:
    """Width of ``text`` in body characters: full-width glyphs count 1, Latin/digits 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "FWA" else 0.5 for c in text)


def set_run_font(
    run: Run, name: str, size_pt: float | None = None, *, bold: bool | None = None
) -> Run:
    """Set ``run``'s font for every script (ascii, hAnsi, eastAsia, cs), plus size and weight."""
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), name)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold
    return run


def add_text(
    paragraph: Paragraph,
    text: object,
    font: str,
    size_pt: float | None = None,
    *,
    bold: bool | None = None,
) -> Run:
    """Append ``text`` to ``paragraph`` as one run in ``font``: the one way text enters a document.

    The text goes through ``xml_text`` first: python-docx refuses characters XML cannot hold
    (a control character in one registrant's name would otherwise fail the whole document).
    """
    return set_run_font(paragraph.add_run(xml_text(text)), font, size_pt, bold=bold)


def condensing_pt(text: str, size_pt: float, width_pt: float) -> float | None:
    """Per-character tightening that fits ``text`` on one line: 0 if it fits as is,
    None if it would need more than 10% of the font size (then it should wrap)."""
    excess = text_units(text) * size_pt - width_pt * 0.95  # 5% slack for font metrics
    if excess <= 0:
        return 0.0
    per_char = excess / max(len(text), 1)
    return per_char if len(text) > 1 and per_char <= size_pt * 0.1 else None


def condense_to_fit(run: Run, text: str, size_pt: float, width_pt: float) -> None:
    """Tighten character spacing (紧缩) so a slightly over-long line stays on one line.

    Lines more than ~10% too long are left alone and wrap; GB/T 9704 titles may take two
    or more lines.
    """
    per_char = condensing_pt(text, size_pt, width_pt)
    if not per_char:
        return
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(-math.ceil(per_char * 20)))  # twentieths of a point
    run._element.get_or_add_rPr().insert_element_before(
        spacing,
        *("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u"),
        *("w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:lang"),
    )


# Schema order matters to Word: each element must precede the ones listed here.
_AFTER_PBDR = (
    *("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap"),
    *("w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi"),
    *("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing"),
    *("w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment"),
    *("w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr"),
    "w:pPrChange",
)
_AFTER_TBLBORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption")


def _set_border(
    parent: BaseOxmlElement,
    tag: str,
    edges: Iterable[str],
    *,
    sz: int,
    color: str,
    space: int = 0,
) -> BaseOxmlElement:
    """Add a ``w:pBdr``/``w:tblBorders`` element with single lines on ``edges``."""
    borders = OxmlElement(tag)
    for edge in edges:
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(sz))  # eighths of a point
        el.set(qn("w:space"), str(space))
        el.set(qn("w:color"), color)
        borders.append(el)
    successors = _AFTER_PBDR if tag == "w:pBdr" else _AFTER_TBLBORDERS
    parent.insert_element_before(borders, *successors)
    return borders


def _add_page_field(paragraph: Paragraph) -> None:
    """Append a complex ``PAGE`` field (begin, instruction, separate, "1", end)."""

    def fld_char(kind: str) -> BaseOxmlElement:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    for child in (fld_char("begin"), instr, fld_char("separate"), "1", fld_char("end")):
        if isinstance(child, str):
            add_text(paragraph, child, SONGTI, SIZE_4)  # cached result
        else:
            set_run_font(paragraph.add_run(), SONGTI, SIZE_4)._element.append(child)


class OfficialDocument:
    """Builder for one 公文 .docx; call the methods in reading order, then ``to_bytes()``."""

    def __init__(self) -> None:
        self.doc = Document()
        self._break_pending = False
        self._space_before_pending = 0.0
        self._reset_defaults()
        self.doc.settings.odd_and_even_pages_header_footer = True
        section = self.doc.sections[0]
        self._layout(section, landscape=False)
        self._footers(section)

    # ----------------------------------------------------------------- setup
    def _reset_defaults(self) -> None:
        """Make 仿宋 3号, zh-CN, zero paragraph spacing and no CJK/Latin autospace the defaults."""
        styles = self.doc.styles.element
        rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = rpr.find(qn("w:rFonts"))
        for attr in list(fonts.attrib):
            del fonts.attrib[attr]
        for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{attr}"), FANGSONG)
        for tag in ("w:sz", "w:szCs"):
            rpr.find(qn(tag)).set(qn("w:val"), str(int(SIZE_3 * 2)))
        rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
        ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
        spacing = ppr.find(qn("w:spacing"))
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
        # No automatic extra space between Chinese and Latin/digits ("2023年" stays tight),
        # so character counts predict line widths.
        for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
            off = OxmlElement(tag)
            off.set(qn("w:val"), "0")
            spacing.addprevious(off)

    def _layout(self, section: Section, *, landscape: bool) -> None:
        width, height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        if landscape:
            width, height = height, width
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
        section.header_distance = Mm(15)
        # The page number sits about 7 mm below the text area.
        section.footer_distance = Mm(MARGIN_BOTTOM_MM - 7 - 6)

    def _footers(self, section: Section) -> None:
        """'— N —': odd pages right, even pages left, each one character in from the edge."""
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.alignment = align
            fmt = p.paragraph_format
            fmt.space_before = fmt.space_after = Pt(0)
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(SIZE_4)
            else:
                fmt.left_indent = Pt(SIZE_4)
            add_text(p, "— ", SONGTI, SIZE_4)
            _add_page_field(p)
            add_text(p, " —", SONGTI, SIZE_4)

    def _text_width_pt(self) -> float:
        section = self.doc.sections[-1]
        width, left, right = section.page_width, section.left_margin, section.right_margin
        assert width is not None and left is not None and right is not None  # set by _layout
        return (width - left - right) / 12700

    # ------------------------------------------------------------ paragraphs
    def _para(
        self,
        *,
        align: str = "justify",
        indent: bool = False,
        line_pt: float | None = LINE_PT,
    ) -> Paragraph:
        p = self.doc.add_paragraph()
        p.alignment = _ALIGN[align]
        fmt = p.paragraph_format
        fmt.space_before = Pt(self._space_before_pending)
        fmt.space_after = Pt(0)
        fmt.first_line_indent = Pt(2 * CHAR_PT) if indent else Pt(0)
        if line_pt is not None:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(line_pt)
        fmt.widow_control = False
        if self._break_pending:
            fmt.page_break_before = True
        self._break_pending = False
        self._space_before_pending = 0.0
        return p

    def red_header(self, issuer_mark: str, doc_number: str) -> None:
        """发文机关标志 in red 方正小标宋简体, the 发文字号 below it, then a red rule."""
        # Shrink the mark so it stays on one line of the text area (0.5 pt steps).
        fit = self._text_width_pt() * 0.97 / max(text_units(issuer_mark), 1)
        size = min(HEADER_MAX_PT, math.floor(fit * 2) / 2)
        p = self._para(align="center", line_pt=None)
        p.paragraph_format.space_before = Mm(HEADER_TOP_MM)
        run = add_text(p, issuer_mark, XIAOBIAOSONG, size)
        run.font.color.rgb = RED

        p = self._para(align="center")
        p.paragraph_format.space_before = Pt(2 * LINE_PT)
        add_text(p, doc_number, FANGSONG, SIZE_3)
        # w:space is in points; the rule sits 4 mm under the 发文字号 line.
        _set_border(
            p._p.get_or_add_pPr(),
            "w:pBdr",
            ["bottom"],
            sz=12,
            color="FF0000",
            space=round(RULE_GAP_MM * 72 / 25.4),
        )
        self._space_before_pending = 2 * LINE_PT  # the title starts two lines below the rule

    def title(self, text: str, *, size_pt: float = SIZE_2) -> None:
        """Centered title lines (split on newlines) followed by one blank line.

        A line slightly wider than the text area is condensed rather than left to wrap.
        """
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        for i, line in enumerate(lines):
            p = self._para(align="center", line_pt=max(LINE_PT, size_pt * 1.6))
            run = add_text(p, line, XIAOBIAOSONG, size_pt)
            condense_to_fit(run, line, size_pt, self._text_width_pt())
            if i == len(lines) - 1:
                p.paragraph_format.space_after = Pt(LINE_PT)
        if not lines:
            return
        title = self.doc.core_properties.title or xml_text("".join(lines))
        self.doc.core_properties.title = title

    def recipients(self, text: str) -> None:
        """主送机关: flush left, no indent."""
        p = self._para(align="justify")
        add_text(p, text.strip(), FANGSONG, SIZE_3)

    def paragraph(self, text: str, *, indent: bool = True, align: str = "justify") -> None:
        p = self._para(align=align, indent=indent)
        add_text(p, text, FANGSONG, SIZE_3)

    def heading(self, text: str, level: int) -> None:
        """Outline heading: level 1 黑体, level 2 楷体_GB2312, level 3 仿宋.

        A heading followed by more text on the same line ("（一）实地调研。围绕……") keeps
        the heading font up to the first full stop and 仿宋 for the rest.
        """
        font = {1: HEITI, 2: KAITI}.get(level, FANGSONG)
        p = self._para(indent=True)
        head, rest = text, ""
        match = _RUN_IN.match(text)
        if match and level in (1, 2):
            head, rest = match.groups()
        add_text(p, head, font, SIZE_3)
        if rest:
            add_text(p, rest, FANGSONG, SIZE_3)

    def body(self, text: str) -> None:
        """One paragraph per non-blank line; "一、" lines are level-1, "（一）" level-2 headings."""
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            if HEADING_1.match(line):
                self.heading(line, 1)
            elif HEADING_2.match(line):
                self.heading(line, 2)
            else:
                self.paragraph(line)

    def signature(self, issuer: str, on: date) -> None:
        """发文机关署名 and 成文日期 (right indent 4 characters), room left above for a seal.

        The issuer is centred over the date when it is short enough, otherwise flush right.
        """
        when = chinese_date(on)
        date_indent = 4.0
        issuer_indent = max(0.0, date_indent + (text_units(when) - text_units(issuer)) / 2)
        p = self._para(align="right")
        p.paragraph_format.space_before = Pt(2 * LINE_PT)
        p.paragraph_format.right_indent = Pt(issuer_indent * CHAR_PT)
        add_text(p, issuer, FANGSONG, SIZE_3)
        p = self._para(align="right")
        p.paragraph_format.right_indent = Pt(date_indent * CHAR_PT)
        add_text(p, when, FANGSONG, SIZE_3)

    def page_break(self) -> None:
        """The next paragraph (or table) starts on a new page."""
        self._break_pending = True

    def attachment(self, label: str, title: str, *, landscape: bool = False) -> None:
        """Start an attachment on a new page: "附件"/"附表" label in 黑体, then its title.

        Switching orientation starts a new section (A4 landscape keeps the same margins).
        A one-line title too long for 2号 is set smaller, down to 小二 (18 pt)
        if that keeps it on one line.
        """
        section = self.doc.sections[-1]
        if (section.orientation == WD_ORIENT.LANDSCAPE) != landscape:
            new = self.doc.add_section(WD_SECTION.NEW_PAGE)
            self._layout(new, landscape=landscape)
            self._break_pending = False
        else:
            self._break_pending = True
        p = self._para(align="left")
        add_text(p, label, HEITI, SIZE_3)
        self._space_before_pending = 0.0
        size = SIZE_2
        if "\n" not in title.strip():
            width = self._text_width_pt()
            fitting = [
                pt for pt in (22, 20, 18) if condensing_pt(title.strip(), pt, width) is not None
            ]
            size = fitting[0] if fitting else SIZE_2
        self.title(title, size_pt=size)

    def line(self, text: str) -> None:
        """A flush-left line in 4号 仿宋, e.g. "填报单位（公章）：    联系人：    联系电话："."""
        p = self._para(align="left")
        add_text(p, text, FANGSONG, SIZE_4)  # python-docx preserves spaces

    # ---------------------------------------------------------------- tables
    def table(
        self,
        headers: list[str],
        rows: list[list[str]],
        widths_mm: list[float],
        *,
        blank_rows: int = 0,
        font_pt: float = SIZE_SMALL_4,
        blank_row_mm: float = 14,
    ) -> None:
        """A bordered table: bold header row (repeated on each page), then ``rows`` and
        ``blank_rows`` empty rows (``blank_row_mm`` high, for forms filled in by hand).

        Column widths are in mm and are scaled down proportionally if they exceed the
        text width of the current section.
        """
        if len(widths_mm) != len(headers):
            raise ValueError("widths_mm must give one width per column")
        if self._break_pending:  # a table cannot carry page_break_before itself
            self._para(line_pt=None).add_run().add_break(WD_BREAK.PAGE)
            self._break_pending = False
        total_mm = self._text_width_pt() * 25.4 / 72
        scale = min(1.0, total_mm / sum(widths_mm))
        widths = [Mm(w * scale) for w in widths_mm]

        # Python-docx spends ~10 ms per row building elements; beyond the first data row,
        # rows are deep copies of that formatted row with their texts replaced.
        texts = [[xml_text(v) for v in r] for r in rows]
        built = [[xml_text(h) for h in headers], *texts[:1]] + [[""] * len(headers)] * blank_rows
        table = self.doc.add_table(rows=len(built), cols=len(headers))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        edges = ["top", "left", "bottom", "right", "insideH", "insideV"]
        _set_border(tbl_pr, "w:tblBorders", edges, sz=6, color="000000")
        tbl_w = tbl_pr.find(qn("w:tblW"))
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(sum(round(w.twips) for w in widths)))
        for col, width in zip(table.columns, widths, strict=True):
            col.width = width

        header_tr = table.rows[0]._tr.get_or_add_trPr()
        header_tr.append(OxmlElement("w:tblHeader"))
        n_data = min(len(texts), 1)
        for r, (row, values) in enumerate(zip(table.rows, built, strict=True)):
            if r > n_data:
                row.height = Mm(blank_row_mm)
                row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            # row.cells rebuilds the whole table grid on each call (quadratic in rows);
            # wrapping this row's own <w:tc> elements is linear.
            cells = [_Cell(tc, table) for tc in row._tr.tc_lst]
            for c, (cell, value) in enumerate(zip(cells, values, strict=False)):
                cell.width = widths[c]
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                p = cell.paragraphs[0]
                p.alignment = self._cell_align(r == 0, value, widths[c], font_pt)
                fmt = p.paragraph_format
                fmt.space_before = fmt.space_after = Pt(2)
                fmt.first_line_indent = Pt(0)
                # The template data row gets a run in every cell (an empty one too), so copies
                # can reuse it.
                if value or r == 1:
                    add_text(p, value, FANGSONG, font_pt, bold=r == 0)
        if len(texts) > 1:
            template = table.rows[1]._tr
            last = template
            for values in texts[1:]:
                tr = copy.deepcopy(template)
                for c, (tc, value) in enumerate(zip(tr.tc_lst, values, strict=False)):
                    paragraph = tc.p_lst[0]
                    # The run's text setter, not its <w:t>: an empty template cell has no <w:t>,
                    # and tabs and line breaks need their own elements.
                    Run(paragraph.r_lst[0], table).text = value
                    align = self._cell_align(False, value, widths[c], font_pt)
                    paragraph.get_or_add_pPr().get_or_add_jc().val = align
                last.addnext(tr)
                last = tr
        self._space_before_pending = 0.0

    @staticmethod
    def _cell_align(
        header: bool, value: str, width: Length, font_pt: float
    ) -> WD_PARAGRAPH_ALIGNMENT:
        short = text_units(value) * font_pt <= width.pt - 12
        return WD_ALIGN_PARAGRAPH.CENTER if header or short else _ALIGN["justify"]

    # ---------------------------------------------------------------- output
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()
