"""One import-result type: every import returns openday.lib.imports.ImportResult, its problems
are RowError, and every import's error page lists them the same way (the first
OPENDAY_IMPORT_ERRORS_SHOWN, each with its row, and the same "共 N 行有问题" note)."""

import ast
import importlib
import inspect
import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from openday.lib.imports import ImportResult, RowError, errors_note, errors_shown

PACKAGE = Path(__file__).resolve().parent.parent / "openday"
NEXT_YEAR = timezone.localdate().year + 1
JUNK = b"not a workbook"

# Every function that reads an uploaded file for an import: "module:function". A new import
# goes here (the scan below fails until it does) and returns ImportResult.
IMPORTS = {
    "openday.workdays.services:import_days",
    "openday.orgs.tree_xlsx:import_workbook",
    "openday.events.invitations:import_invitees",
    "openday.surveys.paper:import_paper",
    "openday.campaigns.workbooks:import_sheet",
    "openday.campaigns.workbooks:parse_declaration",
    "openday.opinions.forms:read_workbook",
}


# --- The registry against the source ----------------------------------------------------------


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if "migrations" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts)
        yield module, ast.parse(path.read_text(encoding="utf-8"))


def _called_names(node):
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def test_every_import_in_the_source_is_in_the_registry():
    """Functions named import_*, and every function that opens an uploaded workbook
    (lib.spreadsheet.open_workbook), are registered, or are private helpers of one that is."""
    found, unregistered, classes = set(), [], []
    for module, tree in _modules():
        functions = {
            node.name: node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        registered = {name for name in functions if f"{module}:{name}" in IMPORTS}
        found |= {f"{module}:{name}" for name in registered}
        # What the registered functions reach inside their module, helper by helper.
        reached, todo = set(registered), list(registered)
        while todo:
            for name in _called_names(functions[todo.pop()]) & set(functions):
                if name not in reached:
                    reached.add(name)
                    todo.append(name)
        for name, node in functions.items():
            opens = module != "openday.lib.spreadsheet" and "open_workbook" in _called_names(node)
            if (name.startswith("import_") or opens) and name not in reached:
                unregistered.append(f"{module}:{name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in ("ImportResult", "RowError"):
                if module != "openday.lib.imports":
                    classes.append(f"{module}:{node.name}")
    assert unregistered == [], "register these imports in IMPORTS and return ImportResult"
    assert found == IMPORTS, f"registered but not found: {sorted(IMPORTS - found)}"
    assert classes == [], "one ImportResult and one RowError, in openday/lib/imports.py"


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_every_import_is_annotated_to_return_the_one_type(name):
    module, function = name.split(":")
    fn = getattr(importlib.import_module(module), function)
    signature = inspect.signature(fn)
    assert signature.return_annotation is ImportResult
    bare = [p.name for p in signature.parameters.values() if p.annotation is p.empty]
    assert bare == [], f"{name}: annotate {bare}"


# --- What the imports return ------------------------------------------------------------------


def _event(world):
    from openday.events import services

    start = timezone.now() - timedelta(days=1)
    return services.create_event(
        world.users["unit_admin"],
        world.housing,
        title="住建局政务开放日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会议室"}],
        capacity=30,
        publish=True,
    )


def _survey(world):
    from openday.surveys import services

    survey = services.create_survey(world.users["unit_admin"], world.housing, template="event")
    services.set_status(world.users["unit_admin"], survey, "open")
    return survey


def _issued(world, **extra):
    from openday.campaigns import services

    office = world.users["kf_office"]
    fields = services.preset_fields("theme_day", world.kaifu, NEXT_YEAR)
    fields["declaration_deadline"] = timezone.localdate() + timedelta(days=10)
    fields.update(extra)
    return services.issue_notice(office, services.create_campaign(office, world.kaifu, **fields))


def _junk_import(name, world):
    from openday.campaigns import workbooks
    from openday.events import invitations
    from openday.opinions import forms as opinion_forms
    from openday.orgs.access import Access
    from openday.orgs.tree_xlsx import import_workbook
    from openday.surveys import paper
    from openday.workdays.services import import_days

    office, unit_admin = world.users["kf_office"], world.users["unit_admin"]
    run = {
        "import_days": lambda: import_days(world.users["operator"], JUNK),
        "import_workbook": lambda: import_workbook(Access(office), JUNK),
        "import_invitees": lambda: invitations.import_invitees(unit_admin, _event(world), JUNK),
        "import_paper": lambda: paper.import_paper(unit_admin, _survey(world), JUNK),
        "import_sheet": lambda: workbooks.import_sheet(office, _issued(world), JUNK),
        "parse_declaration": lambda: workbooks.parse_declaration(_issued(world), JUNK),
        "read_workbook": lambda: opinion_forms.read_workbook(
            JUNK, source="forum", events={}, default_office=world.kaifu
        ),
    }
    return run[name.split(":")[1]]()


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_every_import_returns_the_one_type_with_row_errors(world, name):
    result = _junk_import(name, world)
    assert type(result) is ImportResult and not result.ok
    assert all(type(e) is RowError for e in result.errors)
    assert [e.row for e in result.errors] == [0]  # row 0: the file itself
    assert result.errors[0].reason.startswith("无法读取文件")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)


def test_the_result_adds_errors_and_the_page_helpers_count_rows(settings):
    settings.OPENDAY_IMPORT_ERRORS_SHOWN = 2
    result = ImportResult()
    assert result.ok
    assert result.add_error(3, "甲") == RowError(3, "甲", "")
    result.add_error(3, "乙")
    result.add_error(3, "丙", sheet="组织")
    result.add_error(0, "文件")
    assert not result.ok
    assert errors_shown(result.errors) == result.errors[:2]
    # Two rows (the same number on two sheets), four problems, two listed.
    assert errors_note(result.errors) == (
        "共 2 行有问题（4 处），下面列出前 2 处，修改后重新上传可看到其余的。"
    )
    assert errors_note([RowError(0, "文件")]) == "共 1 行有问题。"


# --- The error pages --------------------------------------------------------------------------


def _xlsx(rows, *, book=None, sheet=None):
    wb = book or Workbook()
    ws = wb[sheet] if sheet else wb.active
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(data, name="导入.xlsx"):
    return SimpleUploadedFile(name, data)


def _workdays_page(world):
    rows = [("日期", "类型（休/班）", "名称")]
    rows += [("2027-02-30", "休", "春节"), ("2027-05-06", "调", "劳动节")]
    rows += [("2027-05-07", "班", "劳动节")]
    # The shared calendar is kept by operators (docs/operator.md 6.6).
    return "operator", "/staff/workdays/import/", {"file": _upload(_xlsx(rows))}


def _org_page(world):
    from openday.orgs.tree_xlsx import ORG_HEADERS, REGION_HEADERS

    wb = Workbook()
    wb.active.title = "行政区划"
    wb.active.append(REGION_HEADERS)
    wb.create_sheet("组织").append(ORG_HEADERS)
    rows = [
        (f"坏电话单位{i}", "", "单位", world.kaifu.name, "", "", "123", "", "") for i in range(3)
    ]
    return "kf_office", "/staff/orgs/import/", {"file": _upload(_xlsx(rows, book=wb, sheet="组织"))}


def _invitations_page(world):
    event = _event(world)
    rows = [("姓名", "手机号", "类别", "单位/职务")]
    rows += [(f"坏行{i}", "123", "外宾", "") for i in range(3)]
    url = f"/staff/events/{event.pk}/invitations/"
    return "unit_admin", url, {"file": _upload(_xlsx(rows))}


def _survey_page(world):
    from openday.surveys import paper

    survey = _survey(world)
    book = load_workbook(io.BytesIO(paper.template_workbook(survey)))
    rows = [["A", str(i), "", "9", "1111", "1", "9", "2", ""] for i in range(1, 4)]
    data = _xlsx(rows, book=book, sheet=paper.SHEET)
    return "unit_staff", f"/staff/surveys/{survey.pk}/import/", {"file": _upload(data)}


def _campaign_page(world):
    from openday.campaigns import workbooks

    campaign = _issued(world)
    intro = "邀请人大代表、政协委员和市民代表参加，现场介绍工作举措并座谈交流，收集意见建议。"
    rows = [workbooks.PLAN_HEADERS]
    rows += [(i, f"不存在的单位{i}", "主题", "6月", "座谈交流", intro, "", "") for i in range(3)]
    url = f"/staff/campaigns/{campaign.pk}/import/"
    return "kf_office", url, {"file": _upload(_xlsx(rows))}


def _declaration_page(world):
    from openday.campaigns import workbooks

    campaign = _issued(world, themes_per_unit=3)
    book = load_workbook(io.BytesIO(workbooks.declaration_template(campaign, world.housing)))
    ws = book.active
    ws["C2"], ws["E2"] = "联系人：李四", "联系电话：0731-84391234"
    for line in (4, 5, 6):
        ws[f"B{line}"], ws[f"C{line}"], ws[f"D{line}"] = f"主题{line}", "6月", "现场观摩"
        ws[f"E{line}"] = "短"
    url = f"/staff/campaigns/{campaign.pk}/declare/{world.housing.pk}/"
    return "unit_admin", url, {"upload": "1", "file": _upload(_xlsx([], book=book))}


def _opinions_page(world):
    from openday.opinions.forms import HEADERS

    event = _event(world)
    rows = [HEADERS, *[("", f"发言人{i}", "", "", event.pk, "") for i in range(3)]]
    return (
        "unit_admin",
        "/staff/opinions/import/",
        {"source": "forum", "file": _upload(_xlsx(rows))},
    )


PAGES = {
    "import_days": _workdays_page,
    "import_workbook": _org_page,
    "import_invitees": _invitations_page,
    "import_paper": _survey_page,
    "import_sheet": _campaign_page,
    "parse_declaration": _declaration_page,
    "read_workbook": _opinions_page,
}


class _ListedItems(HTMLParser):
    """From the start of the error block to its end: the text of each cell of each table row,
    or of each list item."""

    def __init__(self):
        super().__init__()
        self.depth, self.items, self.cells, self.text = 0, [], None, None
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "div":
            self.depth += 1
        elif self.depth and tag in ("tr", "li"):
            self.cells = []
        if self.depth and tag in ("td", "li"):
            self.text = []

    def handle_endtag(self, tag):
        if self.done:
            return
        if tag == "div":
            self.depth -= 1
            self.done = not self.depth  # the block is over: read nothing more
        elif tag in ("td", "li") and self.text is not None:
            self.cells.append("".join(self.text).strip())
            self.text = None
        if tag in ("tr", "li") and self.cells:
            self.items.append(self.cells)
            self.cells = None

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)


def _listed(page):
    """[(sheet, row, reason)] as the error block lists them; row 0 where it shows none."""
    note = re.search(r"发现 \d+ 处(错误|问题)", page).start()
    parser = _ListedItems()
    parser.feed(page[page.rfind('<div class="form-errors"', 0, note) :])
    out = []
    for cells in parser.items:
        if len(cells) == 1:  # <li>第 N 行：reason</li>, or <li>reason</li> for the file
            m = re.fullmatch(r"第 (\d+) 行：(.*)", cells[0], flags=re.S)
            out.append(("", int(m[1]), m[2]) if m else ("", 0, cells[0]))
        else:  # <tr>[<td>sheet</td>]<td>第 N 行 or —</td><td>reason</td></tr>
            m = re.fullmatch(r"第 (\d+) 行", cells[-2])
            sheet = cells[0].replace("—", "") if len(cells) == 3 else ""
            out.append((sheet, int(m[1]) if m else 0, cells[-1]))
    return out


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_import_page_lists_its_bad_rows_the_same_way(world, client, settings, name):
    settings.OPENDAY_IMPORT_ERRORS_SHOWN = 2
    persona, url, data = PAGES[name](world)
    response = world.client_for(client, persona).post(url, data)
    assert response.status_code == 400
    result = response.context["result"]
    assert type(result) is ImportResult and len(result.errors) >= 3
    assert all(type(e) is RowError and e.row for e in result.errors)
    page = response.content.decode()
    assert f"发现 {len(result.errors)} 处" in page and errors_note(result.errors) in page
    assert "下面列出前 2 处" in page
    assert _listed(page) == [(e.sheet, e.row, e.reason) for e in result.errors[:2]]
