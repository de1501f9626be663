"""A survey's answers as a spreadsheet (one row per response) and its results as a .docx summary.

The spreadsheet streams: responses and answers are read in response order through two chunked
iterators and merged, and openpyxl's write-only workbook writes each row to disk as it goes, so
memory stays flat however many responses there are.
"""

import tempfile
from io import BytesIO

from django.http import FileResponse
from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from docx.table import _Cell
from openpyxl import Workbook

from openday.events.models import CATEGORY_NAMES
from openday.lib.export_text import append_row
from openday.lib.images import rgb_png
from openday.lib.masking import mask_name, mask_phone
from openday.lib.official_doc import OfficialDocument, chinese_date
from openday.lib.personal_data import decrypt

from . import results
from .models import Answer, Question, Response
from .services import expand_pending

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
MULTI_JOIN = "；"
BAR_RGB = (0xC0, 0x39, 0x2B)
BAR_MAX_PX, BAR_HEIGHT_PX = 300, 14
BAR_MAX_MM, BAR_HEIGHT_MM = 45, 3
TEXT_SHOWN = 20
CHANNEL_NAMES = dict(Response.Channel.choices)


# --- Spreadsheet of responses -----------------------------------------------------------------


def _columns(survey):
    """(header titles, {(question id, row or None): column index}, {question id: question})."""
    base = ["答卷编号", "提交时间", "渠道", "批次号", "表单编号", "参加人类别"]
    if not survey.anonymous:
        base += ["姓名", "手机号"]
    headers = list(base)
    slots = {}
    questions = {}
    for q in results.answerable_questions(survey):
        questions[q.pk] = q
        if q.kind == Question.Kind.MATRIX:
            for r, label in enumerate(q.rows or [], 1):
                slots[(q.pk, r)] = len(headers)
                headers.append(f"{q.title} - {label}")
        else:
            slots[(q.pk, None)] = len(headers)
            headers.append(q.title)
    return headers, slots, questions


def _label(labels, code):
    return labels[code - 1] if code and 1 <= code <= len(labels) else (code if code else "")


def _fill(line, slots, questions, answers):
    """Put one response's answer rows (question id, row, choice, text) into its cells."""
    for qid, row, choice, text in answers:
        q = questions.get(qid)
        col = slots.get((qid, row if q and q.kind == Question.Kind.MATRIX else None))
        if col is None:
            continue
        if q.kind in Question.TEXT_KINDS:
            line[col] = text
        elif q.kind == Question.Kind.SCORE:
            line[col] = choice
        elif q.kind == Question.Kind.MULTIPLE:
            label = _label(q.options, choice)
            line[col] = f"{line[col]}{MULTI_JOIN}{label}" if line[col] else label
        else:  # single, rating, matrix
            line[col] = _label(q.options, choice)


def responses_xlsx(survey, fileobj_or_path):
    """Write every response of the survey as one row of an xlsx sheet, in constant memory."""
    expand_pending(survey.pk)
    headers, slots, questions = _columns(survey)
    named = not survey.anonymous
    width = len(headers)
    first_question = 8 if named else 6

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("答卷")
    ws.freeze_panes = "B2"
    append_row(ws, headers)

    fields = ["id", "submitted_at", "channel", "batch_no", "form_no", "category"]
    if named:
        fields += ["name", "phone_encrypted"]
    responses = (
        Response.objects.filter(survey=survey)
        .order_by("id")
        .values_list(*fields)
        .iterator(chunk_size=CHUNK)
    )
    answers = (
        Answer.objects.filter(survey=survey)
        .order_by("response_id", "question_id", "row", "choice")
        .values_list("response_id", "question_id", "row", "choice", "text")
        .iterator(chunk_size=CHUNK)
    )
    tz = timezone.get_current_timezone()
    pending = next(answers, None)
    for values in responses:
        rid, submitted, channel, batch_no, form_no, category = values[:6]
        line = [
            rid,
            _local(submitted, tz),
            CHANNEL_NAMES.get(channel, channel),
            batch_no,
            form_no,
            CATEGORY_NAMES.get(category, category),
        ]
        if named:
            line += [mask_name(values[6]), mask_phone(decrypt(values[7]))]
        line += [None] * (width - first_question)
        mine = []
        while pending is not None and pending[0] <= rid:
            if pending[0] == rid:
                mine.append(pending[1:])
            pending = next(answers, None)
        _fill(line, slots, questions, mine)
        append_row(ws, line)
    wb.save(fileobj_or_path)


def _local(moment, tz):
    """A naive local (Asia/Shanghai) datetime, to the second: Excel has no time zones."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def responses_xlsx_response(survey, filename):
    """An attachment download of responses_xlsx, written to a temporary file and streamed from
    it (the file disappears when the response is closed)."""
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # FileResponse closes (and so deletes) it
    try:
        responses_xlsx(survey, tmp)
        tmp.flush()
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX)


# --- Bar images -------------------------------------------------------------------------------


def bar_png(width, height=BAR_HEIGHT_PX, rgb=BAR_RGB):
    """A solid rectangle as an 8-bit RGB PNG."""
    width, height = max(1, int(width)), max(1, int(height))
    return rgb_png(width, height, [bytes(rgb) * width] * height)


# --- Summary document -------------------------------------------------------------------------


def _num(value):
    return "—" if value is None else f"{value:.2f}"


def _pct(value):
    return f"{value:.1f}%"


def _cells(table, row_index):
    row = table.rows[row_index]
    return [_Cell(tc, table) for tc in row._tr.tc_lst]


def _choice_table(doc, options):
    """选项 | 图示 | 人数 | 占比, with a red bar proportional to the percentage."""
    doc.table(
        ["选项", "图示", "人数", "占比"],
        # The empty cell gets the picture below.
        [[o["label"], "", str(o["count"]), _pct(o["percent"])] for o in options],
        [50, 56, 22, 24],
    )
    table = doc.doc.tables[-1]
    for i, o in enumerate(options, 1):
        paragraph = _cells(table, i)[1].paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        run = paragraph.runs[0] if paragraph.runs else paragraph.add_run()
        run.text = ""
        share = min(max(o["percent"], 0.0), 100.0) / 100
        if share <= 0:
            continue
        png = bar_png(round(BAR_MAX_PX * share))
        run.add_picture(BytesIO(png), width=Mm(BAR_MAX_MM * share), height=Mm(BAR_HEIGHT_MM))


def _matrix_table(doc, q, scale):
    headers = ["项目", *scale, "平均分"]
    rows = [
        [r["label"], *(str(o["count"]) for o in r["options"]), _num(r["average"])]
        for r in q["rows"]
    ]
    widths = [36] + [max(14, 100 / max(len(scale), 1))] * len(scale) + [20]
    doc.table(headers, rows, widths)


def _points_note(labels):
    n = len(labels)
    if n < 2:
        return ""
    return f"（“{labels[0]}”计{n}分，依次递减，“{labels[-1]}”计1分）"


def summary_docx(survey):
    """The results as a GB/T 9704-style .docx, one section per question; returns the bytes."""
    data = results.compute(survey)
    questions = {q.pk: q for q in results.answerable_questions(survey)}
    doc = OfficialDocument()
    doc.title(f"《{survey.title}》调查结果汇总")
    by = data["by_channel"]
    online = by.get("web", 0) + by.get("api", 0)
    doc.paragraph(
        f"截至{chinese_date(timezone.localdate())}，本问卷共收回答卷{data['responses']}份，"
        f"其中网上填写{online}份、纸质录入{by.get('paper', 0)}份。各题统计结果如下。"
    )
    for q in data["questions"]:
        question = questions[q["id"]]
        kind_label = Question.Kind(q["kind"]).label
        doc.heading(f"{q['position_label']}　{q['title']}（{kind_label}）", 3)
        if q["kind"] in Question.TEXT_KINDS:
            _text_section(doc, survey, question, q)
            continue
        if q["kind"] == Question.Kind.MATRIX:
            doc.paragraph(
                f"作答{q['respondents']}人。各行人数如下{_points_note(question.options)}："
            )
            _matrix_table(doc, q, list(question.options or []))
            doc.paragraph(f"全部项目平均分：{_num(q['average'])}。")
            continue
        note = f"作答{q['respondents']}人。"
        if q["kind"] == Question.Kind.MULTIPLE:
            note += "本题为多选题，占比按作答人数计算，各项合计可超过100%。"
        doc.paragraph(note)
        _choice_table(doc, q["options"])
        if q["kind"] == Question.Kind.RATING:
            doc.paragraph(f"平均分：{_num(q['average'])}{_points_note(question.options)}。")
        elif q["kind"] == Question.Kind.SCORE:
            doc.paragraph(f"平均分：{_num(q['average'])}（满分10分）。")
    return doc.to_bytes()


def _text_section(doc, survey, question, q):
    count = q["text_count"]
    if not count:
        doc.paragraph("本题暂无填写内容。")
        return
    shown = list(results.text_answers(survey, question)[:TEXT_SHOWN])
    more = f"，以下列出最近的{len(shown)}条" if count > len(shown) else "，内容如下"
    doc.paragraph(f"共收到{count}条填写内容{more}：")
    for i, answer in enumerate(shown, 1):
        doc.paragraph(f"{i}. {answer.text}")
