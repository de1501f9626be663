"""Paper answers from a spreadsheet: the blank template and an all-or-nothing import.

One row per paper form: 批次号, 表单编号, 参加人类别, then one column per question in order, filled
with the same short codes as keyboard entry (option numbers, "135" for several, a digit per matrix
row, the score, or the text as written).
"""

import io
from typing import TYPE_CHECKING

from django.db import transaction
from openpyxl import Workbook

from openday.audit.services import record
from openday.events.models import CATEGORY_NAMES, GUEST_CATEGORIES
from openday.lib.export_text import append_row
from openday.lib.imports import ImportResult
from openday.lib.spreadsheet import append_header, cell_text, open_workbook

from . import answers as checks
from .models import Answer, Question, Response, Survey
from .services import get_definition

if TYPE_CHECKING:
    from openday.accounts.models import User

FIXED = ["批次号", "表单编号", "参加人类别"]
SHEET = "纸质答卷"
BY_NAME = {name: code for code, name in GUEST_CATEGORIES}


def _questions(defn):
    return [q for q in defn["questions"] if q["kind"] != "section"]


def headers(defn):
    return FIXED + [f"第{i}题 {q['title']}" for i, q in enumerate(_questions(defn), 1)]


def template_workbook(survey):
    defn = get_definition(survey.pk)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    append_header(ws, headers(defn))
    for col in ws.iter_cols(min_row=1, max_row=1):
        ws.column_dimensions[col[0].column_letter].width = 16
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("填写说明")
    append_header(help_ws, ["题号", "题目", "题型", "填写方法", "选项序号"])
    append_row(
        help_ws, ["—", "参加人类别", "可空", "填类别名称", "、".join(CATEGORY_NAMES.values())]
    )
    kinds = dict(Question.Kind.choices)
    for i, q in enumerate(_questions(defn), 1):
        options = "；".join(f"{n}={label}" for n, label in enumerate(q["options"], 1))
        if q["kind"] == "matrix":
            options = "行：" + "、".join(q["rows"]) + "；选项：" + options
        append_row(
            help_ws, [i, q["title"], kinds.get(q["kind"], q["kind"]), checks.paper_hint(q), options]
        )
    for letter, width in zip("ABCDE", (6, 40, 14, 30, 60), strict=True):
        help_ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _category(text):
    text = text.strip()
    if not text:
        return "", None
    if text in CATEGORY_NAMES:
        return text, None
    if text in BY_NAME:
        return BY_NAME[text], None
    return "", f"参加人类别“{text}”不正确，应为：{'、'.join(CATEGORY_NAMES.values())}。"


def import_paper(actor: "User", survey: Survey, data: bytes) -> ImportResult:
    """Import every row or none; the result lists each bad row with its reason, or how many
    paper forms were created."""
    result = ImportResult()
    if survey.status == survey.Status.DRAFT:
        result.add_error(0, "问卷尚未发布，不能录入纸质答卷。")
        return result
    wb, problem = open_workbook(data)
    if problem:
        result.add_error(0, problem)
        return result
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    defn = get_definition(survey.pk)
    questions = _questions(defn)
    expected = headers(defn)
    rows = ws.iter_rows(values_only=True)
    head = [cell_text(v) for v in next(rows, ())]
    while head and not head[-1]:
        head.pop()
    if head[:3] != FIXED or len(head) != len(expected):
        result.add_error(1, "表头与本问卷的录入模板不一致，请重新下载模板后填写。")
        return result
    parsed: list[tuple] = []
    seen: dict[tuple[str, str], int] = {}
    existing = set(
        survey.responses.filter(channel=Response.Channel.PAPER).values_list("batch_no", "form_no")
    )
    for n, values in enumerate(rows, 2):
        cells = [cell_text(v) for v in values][: len(expected)]
        cells += [""] * (len(expected) - len(cells))
        if not any(cells):
            continue
        batch, form, cat = cells[0], cells[1], cells[2]
        reasons = []
        if not batch:
            reasons.append("缺少批次号")
        if not form:
            reasons.append("缺少表单编号")
        category, problem = _category(cat)
        if problem:
            reasons.append(problem)
        key = (batch, form)
        if batch and form:
            if key in existing:
                reasons.append(f"批次 {batch} 第 {form} 号表单已经录入过")
            elif key in seen:
                reasons.append(f"与第 {seen[key]} 行的批次号和表单编号重复")
            seen.setdefault(key, n)
        answers, unreadable = {}, False
        for q, text in zip(questions, cells[3:], strict=True):
            try:
                answers[q["id"]] = checks.from_paper(q, text)
            except ValueError as exc:
                unreadable = True
                reasons.append(f"{_label(questions, q)}：{exc}")
        clean = None
        if not unreadable:
            try:
                clean = checks.clean(defn, answers)
            except checks.AnswerError as exc:
                reasons.extend(
                    f"{_label(questions, _by_id(questions, qid))}：{msg}"
                    for qid, msg in exc.errors.items()
                )
        if reasons:
            result.add_error(n, "；".join(reasons))
        else:
            parsed.append((batch, form, category, clean))
    if result.errors:
        return result
    if not parsed:
        result.add_error(0, "文件中没有答卷数据。")
        return result
    with transaction.atomic():
        for batch, form, category, clean in parsed:
            response = Response.objects.create(
                survey=survey,
                channel=Response.Channel.PAPER,
                category=category,
                batch_no=batch,
                form_no=form,
                entered_by=actor,
            )
            Answer.objects.bulk_create(
                [
                    Answer(
                        survey=survey,
                        response=response,
                        question_id=q,
                        row=r,
                        choice=c,
                        text=t,
                        category=category,
                        channel=Response.Channel.PAPER,
                    )
                    for q, r, c, t in clean
                ]
            )
        result.created = len(parsed)
        record(
            "survey.paper_import",
            actor=actor,
            obj=survey,
            changes={"导入纸质答卷": f"{len(parsed)}份"},
        )
    return result


def _by_id(questions, qid):
    return next((q for q in questions if q["id"] == qid), {"id": qid, "title": str(qid)})


def _label(questions, q):
    for i, other in enumerate(questions, 1):
        if other["id"] == q["id"]:
            return f"第{i}题"
    return "题目"
