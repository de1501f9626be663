"""The official forms as xlsx: the 申报表 template and upload, the 计划安排表, and imports.

Uploads and imports are all-or-nothing: every bad row is reported and nothing is saved.
"""

import io
import re
from typing import TYPE_CHECKING

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.datavalidation import DataValidation

from openday.lib.export_text import append_row, safe_cell, xml_text
from openday.lib.imports import ImportResult
from openday.lib.spreadsheet import cell_text, open_workbook
from openday.orgs.models import Org

from . import services
from .models import Campaign, Declaration, DeclarationEvent

if TYPE_CHECKING:
    from openday.accounts.models import User

DECLARATION_HEADERS = [
    "序号",
    "活动主题",
    "活动时间（月份）",
    "活动形式",
    "活动简介",
    "主题领域（可选）",
]
PLAN_HEADERS = [
    "序号",
    "单位",
    "活动主题",
    "活动时间（月份）",
    "活动形式",
    "活动简介",
    "联系人",
    "联系电话",
]
SHEET_HEADERS = PLAN_HEADERS  # a declarations sheet or last year's plan share the official columns
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CN_MONTHS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "十一": 11,
    "十二": 12,
}


def parse_month(text):
    text = cell_text(text).replace("月份", "").replace("月", "").strip()
    if text.isdecimal():
        return int(text)
    return CN_MONTHS.get(text)


def split_forms(text):
    return [f for f in re.split(r"[、，,；;/\s]+", cell_text(text)) if f]


def _open(data):
    wb, problem = open_workbook(data)
    return wb, (problem[:-1] + "（可先下载模板）。") if problem else None


def _title(campaign):
    place = campaign.office.region.name if campaign.office.region else campaign.office.display_name
    return f"{place}{campaign.year}年{campaign.kind_quoted}活动主题申报表"


# --- The 申报表 -------------------------------------------------------------------------


def declaration_template(campaign, unit, declaration=None):
    wb = Workbook()
    ws = wb.active
    ws.title = "申报表"
    ws.merge_cells("A1:F1")
    ws["A1"] = safe_cell(_title(campaign))
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    contact = declaration.contact_name if declaration else ""
    phone = declaration.contact_phone if declaration else ""
    ws["A2"] = safe_cell(f"填报单位（公章）：{unit.name}")
    ws["C2"] = safe_cell(f"联系人：{contact}")
    ws["E2"] = safe_cell(f"联系电话：{phone}")
    append_row(ws, DECLARATION_HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = list(declaration.rows.all()) if declaration else []
    for seq in range(1, campaign.themes_per_unit + 1):
        row = rows[seq - 1] if seq <= len(rows) else None
        append_row(
            ws,
            [
                seq,
                row.theme if row else "",
                f"{row.month}月" if row and row.month else "",
                row.forms_label if row else "",
                row.intro if row else "",
                row.topic_area if row else "",
            ],
        )
    last = 3 + campaign.themes_per_unit
    for line in ws.iter_rows(min_row=4, max_row=last):
        for cell in line:
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    months = ",".join(f"{m}月" for m in campaign.months)
    month_check = DataValidation(
        type="list",
        formula1=f'"{months}"',
        allow_blank=True,
        error="请从下拉列表中选择开展期内的月份。",
    )
    month_check.add(f"C4:C{last}")
    ws.add_data_validation(month_check)
    # A list validation is a formula by design: the office's own areas, as a quoted list.
    areas = xml_text(",".join(campaign.topic_areas)).replace('"', "")
    if len(areas) < 250:
        area_check = DataValidation(type="list", formula1=f'"{areas}"', allow_blank=True)
        area_check.add(f"F4:F{last}")
        ws.add_data_validation(area_check)
    for col, width in zip("ABCDEF", (6, 30, 14, 22, 50, 14), strict=True):
        ws.column_dimensions[col].width = width
    note = ws.cell(row=last + 2, column=1)
    note.value = safe_cell(
        f"填写说明：活动时间须在{campaign.window_label}之间；活动形式从“{'、'.join(campaign.activity_forms)}”"
        f"中选择，多种用顿号分隔；活动简介不少于 {campaign.min_intro_length} 字。"
        f"请勿修改表头和第 1—3 行的格式。"
    )
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=6)
    note.alignment = Alignment(wrap_text=True)
    ws.row_dimensions[last + 2].height = 45
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse_declaration(campaign: Campaign, data: bytes) -> ImportResult:
    """Read an uploaded 申报表 (nothing is saved here): what is wrong with it, per row, and
    what it says, whether right or wrong: details["fields"] (contact_name, contact_phone,
    seal_note; empty when the header cannot be read) and details["rows"] (one dict per row)."""
    parsed = ImportResult(details={"fields": {}, "rows": []})
    fields, rows = parsed.details["fields"], parsed.details["rows"]
    wb, problem = _open(data)
    if problem:
        parsed.add_error(0, problem)
        return parsed
    ws = wb.worksheets[0]
    lines = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    header_at = next((i for i, line in enumerate(lines) if "活动主题" in line), None)
    if header_at is None:
        parsed.add_error(
            0, "找不到表头（序号、活动主题、活动时间（月份）…），请使用下载的申报表模板。"
        )
        return parsed
    header = lines[header_at]
    cols = {name: header.index(name) for name in DECLARATION_HEADERS if name in header}
    missing = [h for h in DECLARATION_HEADERS[:5] if h not in cols]
    if missing:
        parsed.add_error(header_at + 1, f"表头缺少列：{'、'.join(missing)}。")
        return parsed
    text = " ".join(" ".join(line) for line in lines[:header_at])
    contact = re.search(r"联系人[：:]\s*([^\s联]*)", text)
    phone = re.search(r"联系电话[：:]\s*([0-9\-+ ]*)", text)
    fields.update(
        contact_name=contact.group(1).strip() if contact else "",
        contact_phone=phone.group(1).strip() if phone else "",
        seal_note="",
    )
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        line = line + [""] * (len(header) - len(line))

        def get(name, line=line):
            return line[cols[name]] if name in cols else ""

        if get("活动主题") == "" and get("活动简介") == "" and get("活动形式") == "":
            if get("序号", line) and get("序号", line).startswith("填写说明"):
                break
            continue
        month_text = get("活动时间（月份）")
        month = parse_month(month_text)
        row = {
            "theme": get("活动主题"),
            "month": month,
            "forms": split_forms(get("活动形式")),
            "intro": get("活动简介"),
            "topic_area": get("主题领域（可选）"),
            "_line": number,
        }
        if month_text and month is None:
            parsed.add_error(number, f"活动时间“{month_text}”无法识别，请填写如“4月”。")
        rows.append(row)
    errors, _filled = services.check_declaration(campaign, fields, rows)
    for key, message in errors.items():
        if key == "row_errors":
            for index, problems in message.items():
                parsed.add_error(rows[index]["_line"], "；".join(problems))
        else:
            parsed.add_error(0, message)
    parsed.errors.sort(key=lambda e: e.row)
    return parsed


# --- The 计划安排表 ---------------------------------------------------------------------


def plan_workbook(campaign, entries, *, full_phone):
    """The official plan form; write-only so that thousands of rows stay fast and small."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("计划安排表")
    place = campaign.office.region.name if campaign.office.region else campaign.office.display_name
    append_row(ws, [f"{place}{campaign.year}年{campaign.kind_quoted}活动计划安排表"])
    append_row(ws, PLAN_HEADERS)
    for seq, e in enumerate(entries, start=1):
        phone = e.contact_phone
        if not full_phone and phone.startswith("1"):
            from openday.lib.masking import mask_phone

            phone = mask_phone(phone)
        append_row(
            ws,
            [
                seq,
                e.unit.name,
                e.theme,
                f"{e.month}月",
                e.forms_label,
                e.intro,
                e.contact_name,
                phone,
            ],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Importing a declarations sheet or last year's plan ---------------------------------


def import_sheet(actor: "User", campaign: Campaign, data: bytes) -> ImportResult:
    """Rows of 单位 + theme become submitted declarations, one per unit; all or nothing.
    created counts the units that had no declaration yet, updated those whose one is replaced."""
    result = ImportResult()
    wb, problem = _open(data)
    if problem:
        result.add_error(0, problem)
        return result
    ws = wb.worksheets[0]
    lines = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    header_at = next(
        (i for i, line in enumerate(lines) if "单位" in line and "活动主题" in line), None
    )
    if header_at is None:
        result.add_error(
            0, "找不到表头：需要“单位”“活动主题”“活动时间（月份）”“活动形式”“活动简介”等列。"
        )
        return result
    header = lines[header_at]
    cols = {name: header.index(name) for name in [*SHEET_HEADERS, "主题领域"] if name in header}
    missing = [h for h in SHEET_HEADERS[1:6] if h not in cols]
    if missing:
        result.add_error(header_at + 1, f"表头缺少列：{'、'.join(missing)}。")
        return result
    units = {u.name: u for u in services.units_of(campaign)}
    units.update({u.short_name: u for u in units.values() if u.short_name})
    grouped: dict[int, dict] = {}
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        line = line + [""] * (len(header) - len(line))

        def get(name, line=line):
            return line[cols[name]] if name in cols else ""

        if not any(line):
            continue
        unit = units.get(get("单位"))
        if unit is None:
            result.add_error(number, f"单位“{get('单位')}”不是{campaign.office.name}的下属单位。")
            continue
        month_text = get("活动时间（月份）")
        month = parse_month(month_text)
        if month_text and month is None:
            result.add_error(number, f"活动时间“{month_text}”无法识别，请填写如“4月”。")
            continue
        group = grouped.setdefault(unit.pk, {"unit": unit, "fields": {}, "rows": []})
        group["fields"] = {
            "contact_name": get("联系人") or group["fields"].get("contact_name", ""),
            "contact_phone": get("联系电话") or group["fields"].get("contact_phone", ""),
        }
        group["rows"].append(
            {
                "theme": get("活动主题"),
                "month": month,
                "forms": split_forms(get("活动形式")),
                "intro": get("活动简介"),
                "topic_area": get("主题领域"),
                "_line": number,
            }
        )
    for group in grouped.values():
        # Without contact columns, the unit's own contact in the org tree is used.
        unit = group["unit"]
        group["fields"]["contact_name"] = group["fields"]["contact_name"] or unit.contact_name
        group["fields"]["contact_phone"] = group["fields"]["contact_phone"] or unit.contact_phone
        found, _filled = services.check_declaration(campaign, group["fields"], group["rows"])
        unit_name = group["unit"].name
        first_line = group["rows"][0]["_line"]
        for key, message in found.items():
            if key == "row_errors":
                for index, problems in message.items():
                    result.add_error(group["rows"][index]["_line"], "；".join(problems))
            else:
                result.add_error(first_line, f"{unit_name}：{message}")
        existing = Declaration.objects.filter(campaign=campaign, unit=group["unit"]).first()
        group["new"] = existing is None
        if existing and existing.status == Declaration.Status.APPROVED:
            result.add_error(first_line, f"{unit_name}的申报表已通过审核，不能用导入覆盖。")
    if not grouped and not result.errors:
        result.add_error(0, "文件中没有数据行。")
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    with transaction.atomic():
        for group in grouped.values():
            declaration = services.declaration_for(campaign, group["unit"])
            if declaration.status == Declaration.Status.SUBMITTED:
                Declaration.objects.filter(pk=declaration.pk).update(
                    status=Declaration.Status.RETURNED
                )
                declaration.status = Declaration.Status.RETURNED
            services.save_declaration(
                actor, declaration, group["fields"], group["rows"], submit=True
            )
            DeclarationEvent.objects.create(
                declaration=declaration, action=DeclarationEvent.Action.IMPORTED, actor=actor
            )
            if group["new"]:
                result.created += 1
            else:
                result.updated += 1
    return result


__all__ = ["Org", "declaration_template", "import_sheet", "parse_declaration", "plan_workbook"]
