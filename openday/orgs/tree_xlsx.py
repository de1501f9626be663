"""The organization tree as an xlsx workbook: export, template, and all-or-nothing import.

Two sheets: 行政区划 (代码, 名称, 级别, 上级区划) and 组织 (名称, 简称, 类型, 上级组织, 行政区划,
联系人, 联系电话, 电子邮箱, 发文字号代字). A row whose name already exists under the same parent
updates that record; any bad row means nothing is written and every bad row is reported.
"""

import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from openpyxl import Workbook

from openday.audit.services import record
from openday.lib.export_text import append_row
from openday.lib.imports import ImportResult
from openday.lib.spreadsheet import append_header, cell_text, open_workbook

from .access import Access
from .models import ROLES_FOR_KIND, Org, Region
from .services import (
    ORG_FIELDS,
    REGION_FIELDS,
    _set_path,
    check_org,
    check_region,
    check_region_access,
)

REGION_SHEET = "行政区划"
ORG_SHEET = "组织"
REGION_HEADERS = ["代码", "名称", "级别", "上级区划"]
ORG_HEADERS = [
    "名称",
    "简称",
    "类型",
    "上级组织",
    "行政区划",
    "联系人",
    "联系电话",
    "电子邮箱",
    "发文字号代字",
]
LEVEL_BY_LABEL = {
    "省": "province",
    "省级": "province",
    "市": "city",
    "市级": "city",
    "县": "county",
    "县级": "county",
    "区": "county",
    "旗": "county",
    "镇": "town",
    "乡": "town",
    "街道": "town",
    "乡镇": "town",
    "乡镇级": "town",
    "村": "village",
    "社区": "village",
    "村级": "village",
}
KIND_BY_LABEL = {"政务公开办": "office", "单位": "unit", "部门": "department"}
FIELD_LABELS = {
    "name": "名称",
    "code": "代码",
    "level": "级别",
    "parent": "上级",
    "kind": "类型",
    "short_name": "简称",
    "region": "行政区划",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "email": "电子邮箱",
    "doc_code": "发文字号代字",
}


# What import_workbook's result.details counts (created and updated are their sums).
COUNTS = ("regions_created", "regions_updated", "orgs_created", "orgs_updated")


def _style_header(ws, headers):
    append_header(ws, headers)
    for i, _ in enumerate(headers):
        ws.column_dimensions[chr(ord("A") + i)].width = 18 if i else 24


def export_workbook(access):
    """The regions and the orgs this access can see, in import format."""
    wb = Workbook()
    ws = wb.active
    ws.title = REGION_SHEET
    _style_header(ws, REGION_HEADERS)
    orgs = list(access.visible_orgs().select_related("parent", "region").order_by("path"))
    region_ids = {o.region_id for o in orgs if o.region_id}
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    # Include each used region's ancestors so the file imports on an empty database.
    wanted = set()
    for rid in region_ids:
        node = regions.get(rid)
        while node is not None and node.pk not in wanted:
            wanted.add(node.pk)
            node = regions.get(node.parent_id)
    if access.is_operator:
        wanted = set(regions)
    ordered = sorted(
        (regions[i] for i in wanted), key=lambda r: (Region.DEPTH[r.level], r.code, r.name)
    )
    for r in ordered:
        parent = regions.get(r.parent_id)
        append_row(
            ws,
            [r.code, r.name, r.get_level_display(), (parent.code or parent.name) if parent else ""],
        )
    ws2 = wb.create_sheet(ORG_SHEET)
    _style_header(ws2, ORG_HEADERS)
    for o in orgs:
        append_row(
            ws2,
            [
                o.name,
                o.short_name,
                o.get_kind_display(),
                o.parent.name if o.parent else "",
                (o.region.code or o.region.name) if o.region else "",
                o.contact_name,
                o.contact_phone,
                o.email,
                o.doc_code,
            ],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook():
    wb = Workbook()
    ws = wb.active
    ws.title = REGION_SHEET
    _style_header(ws, REGION_HEADERS)
    append_row(ws, ["430105", "开福区", "县级", "430100"])
    ws2 = wb.create_sheet(ORG_SHEET)
    _style_header(ws2, ORG_HEADERS)
    append_row(
        ws2,
        [
            "开福区示例局",
            "示例局",
            "单位",
            "开福区政务公开政务服务工作领导小组办公室",
            "430105",
            "张三",
            "0731-84390000",
            "",
            "",
        ],
    )
    ws3 = wb.create_sheet("填写说明")
    for line in [
        "级别：省级、市级、县级、乡镇级、村级（也可写 省/市/县/区/旗/镇/乡/街道/村/社区）。",
        "上级区划、行政区划：填区划代码，没有代码时填名称（名称须唯一）。",
        "类型：政务公开办、单位、部门。单位的上级是政务公开办；部门的上级是单位或部门。",
        "上级组织：填组织全称；可以是本文件中前面的行，也可以是系统里已有的组织。",
        "同一上级下名称相同的组织会被更新，否则新建。任何一行有误时整个文件都不导入。",
    ]:
        append_row(ws3, [line])
    ws3.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read_sheet(wb, name, headers, result):
    if name not in wb.sheetnames:
        return []
    ws = wb[name]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [cell_text(v) for v in rows[0]]
    missing = [h for h in headers if h not in header]
    if missing:
        result.add_error(1, f"表头缺少列：{'、'.join(missing)}。", sheet=name)
        return []
    index = {h: header.index(h) for h in headers}
    out = []
    for number, values in enumerate(rows[1:], start=2):
        values = list(values) + [None] * (len(header) - len(values))
        row = {h: cell_text(values[i]) for h, i in index.items()}
        if any(row.values()):
            out.append((number, row))
    return out


def _messages(exc):
    if hasattr(exc, "message_dict"):
        return "；".join(
            f"{FIELD_LABELS.get(k, k)}：{'，'.join(v)}" for k, v in exc.message_dict.items()
        )
    return "；".join(exc.messages)


def import_workbook(access: Access, data: bytes) -> ImportResult:
    """Validate every row, then write all of them in one transaction, or none.

    created/updated count regions and orgs together, unchanged the regions already as in the
    file; details has the four counts apart (COUNTS)."""
    result = ImportResult(details=dict.fromkeys(COUNTS, 0))
    wb, problem = open_workbook(data)
    if problem:
        result.add_error(0, problem)
        return result
    if REGION_SHEET not in wb.sheetnames and ORG_SHEET not in wb.sheetnames:
        result.add_error(0, f"文件中没有“{REGION_SHEET}”或“{ORG_SHEET}”工作表，请使用导入模板。")
        return result
    region_rows = _read_sheet(wb, REGION_SHEET, REGION_HEADERS, result)
    org_rows = _read_sheet(wb, ORG_SHEET, ORG_HEADERS, result)
    if result.errors:
        return result
    if region_rows and not access.can_manage_regions():
        result.add_error(0, "只有政务公开办管理员可以导入行政区划。", sheet=REGION_SHEET)
        return result
    try:
        with transaction.atomic():
            _apply_regions(access, region_rows, result)
            _apply_orgs(access, org_rows, result)
            if result.errors:
                raise _Rollback
            record(
                "org.imported",
                actor=access.user,
                changes=dict(result.details),
                org=_import_scope_org(access),
            )
    except _Rollback:
        result.created = result.updated = result.unchanged = 0
        result.details.update(dict.fromkeys(COUNTS, 0))
    return result


def _count(result, key):
    """One region or org written: its own count and the total (key ends in _created/_updated)."""
    result.details[key] += 1
    if key.endswith("_created"):
        result.created += 1
    else:
        result.updated += 1


class _Rollback(Exception):
    pass


def _import_scope_org(access):
    managing = [m for m in access.memberships if m.is_managing]
    return managing[0].org if managing else None


def _find_region(ref, by_code, by_name):
    if not ref:
        return None, None
    if ref.isdecimal():
        found = by_code.get(ref) or Region.objects.filter(code=ref).first()
        return found, None if found else f"找不到区划代码为 {ref} 的行政区划。"
    matches = by_name.get(ref) or list(Region.objects.filter(name=ref))
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        return None, f"找不到名为“{ref}”的行政区划。"
    return None, f"名为“{ref}”的行政区划不止一个，请改填区划代码。"


def _unchanged(instance, data):
    return instance is not None and all(getattr(instance, k) == v for k, v in data.items())


def _apply_regions(access, rows, result):
    # Rows are applied in file order inside the transaction, so a later row may name an
    # earlier one as its parent; validation errors are collected, not raised.
    by_code, by_name = {}, {}
    for number, row in rows:
        level = LEVEL_BY_LABEL.get(row["级别"], row["级别"])
        parent, problem = _find_region(row["上级区划"], by_code, by_name)
        if problem:
            result.add_error(number, f"上级区划：{problem}", sheet=REGION_SHEET)
            continue
        existing = None
        if row["代码"]:
            existing = Region.objects.filter(code=row["代码"]).first()
        if existing is None:
            existing = Region.objects.filter(parent=parent, name=row["名称"]).first()
        try:
            data = check_region(
                name=row["名称"], code=row["代码"], level=level, parent=parent, instance=existing
            )
        except ValidationError as exc:
            result.add_error(number, _messages(exc), sheet=REGION_SHEET)
            continue
        if _unchanged(existing, data):
            # An export lists the regions above an office too; re-importing them is a no-op.
            region = existing
            result.unchanged += 1
            by_code[region.code] = region
            by_name.setdefault(region.name, []).append(region)
            continue
        try:
            check_region_access(access, instance=existing, parent=parent)
        except PermissionDenied as exc:
            result.add_error(number, f"权限：{exc}", sheet=REGION_SHEET)
            continue
        if existing is None:
            region = Region.objects.create(**data)
            _count(result, "regions_created")
        else:
            for key, value in data.items():
                setattr(existing, key, value)
            existing.save()
            region = existing
            _count(result, "regions_updated")
        if region.code:
            by_code[region.code] = region
        by_name.setdefault(region.name, []).append(region)


def _apply_orgs(access, rows, result):
    seen = {}
    # Where a parent may be found: what the importer sees, plus the parents of their own
    # orgs (an office's export names its upper office as the office's parent).
    lookable = access.visible_orgs() | Org.objects.filter(
        pk__in=[m.org.parent_id for m in access.memberships if m.org.parent_id]
    )
    for number, row in rows:
        kind = KIND_BY_LABEL.get(row["类型"], row["类型"])
        parent = None
        if row["上级组织"]:
            # Look only where the importer can see, so other trees' names neither clash nor leak.
            candidates = seen.get(row["上级组织"]) or list(
                lookable.filter(name=row["上级组织"]).distinct()
            )
            if not candidates:
                result.add_error(number, f"上级组织：找不到“{row['上级组织']}”。", sheet=ORG_SHEET)
                continue
            if len(candidates) > 1:
                result.add_error(
                    number, f"上级组织：名为“{row['上级组织']}”的组织不止一个。", sheet=ORG_SHEET
                )
                continue
            parent = candidates[0]
        region, problem = _find_region(row["行政区划"], {}, {})
        if problem:
            result.add_error(number, f"行政区划：{problem}", sheet=ORG_SHEET)
            continue
        existing = Org.objects.filter(parent=parent, name=row["名称"]).first()
        if existing is not None:
            allowed = access.can_manage_org(existing)
        else:
            allowed = access.is_operator or (parent is not None and access.can_manage_org(parent))
        if not allowed:
            where = f"“{parent.name}”下" if parent is not None else "顶级"
            result.add_error(
                number, f"权限：您无权在{where}新建或修改组织“{row['名称']}”。", sheet=ORG_SHEET
            )
            continue
        fields = {
            "name": row["名称"],
            "kind": kind,
            "parent": parent,
            "short_name": row["简称"],
            "region": region,
            "contact_name": row["联系人"],
            "contact_phone": row["联系电话"],
            "email": row["电子邮箱"],
            "doc_code": row["发文字号代字"],
        }
        try:
            if existing is not None:
                fields["is_active"] = existing.is_active  # the file has no 启用 column
            data = check_org(instance=existing, **fields)
        except ValidationError as exc:
            result.add_error(number, _messages(exc), sheet=ORG_SHEET)
            continue
        if existing is None:
            org = Org.objects.create(**data)
            _set_path(org)
            _count(result, "orgs_created")
        else:
            if existing.kind != kind:
                problem = None
                if not (access.is_operator or (parent and access.can_manage_org(parent))):
                    problem = "只有上级组织的管理员可以更改组织类型。"
                elif existing.memberships.exclude(role__in=ROLES_FOR_KIND[kind]).exists():
                    problem = "该组织现有人员的角色与新类型不符，请先调整这些人员的角色。"
                if problem:
                    result.add_error(number, problem, sheet=ORG_SHEET)
                    continue
            for key, value in data.items():
                setattr(existing, key, value)
            existing.save()
            org = existing
            _count(result, "orgs_updated")
        seen.setdefault(org.name, [])
        if org not in seen[org.name]:
            seen[org.name].append(org)


__all__ = ["ORG_FIELDS", "REGION_FIELDS", "export_workbook", "import_workbook", "template_workbook"]
