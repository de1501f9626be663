"""Survey results, the responses spreadsheet and the summary document, against hand counts.

The event preset's answerable questions, in order: rating (5 labels, best first), matrix (4 rows
x the same 5 labels), multiple (6 options, 1–3 picks), score 0–10, single 有/没有, and a textarea
shown only to those who answered 有.
"""

import struct
import zipfile
import zlib
from io import BytesIO

import docx
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from openday.surveys import exports, results, services
from openday.surveys.models import Question, Response

# (category, channel, rating, matrix rows 1–4, multiple, score, single, text)
HAND = [
    ("deputy", "web", 1, [1, 1, 2, 1], [1, 2], 10, 1, "停车位太少"),
    ("deputy", "web", 2, [2, 1, 1, 1], [2], 9, 2, ""),
    ("public", "web", 1, [1, 2, 2, 3], [1, 3, 4], 8, 1, "希望多举办"),
    ("public", "web", 3, [3, 3, 3, 3], [4], 5, 2, ""),
    ("public", "web", 2, [2, 2, 1, 2], [2, 5], 7, 2, ""),
    ("public", "web", 5, [5, 4, 5, 5], [6], 0, 1, "讲解时间太短"),
    ("", "web", 1, [1, 1, 1, 1], [1], 10, 2, ""),
    ("", "web", 2, [2, 2, 2, 2], [1, 2], 9, 2, ""),
    ("public", "api", 4, [4, 3, 4, 3], [3], 6, 2, ""),
    ("public", "paper", 1, [1, 1, 1, 2], [1, 4], 8, 1, "纸质意见"),
]


@pytest.fixture
def actor(world):
    return world.users["unit_admin"]


@pytest.fixture
def event_survey(world, actor):
    survey = services.create_survey(actor, world.housing, template="event")
    services.set_status(actor, survey, "open")
    qs = [q for q in survey.questions.all() if q.kind != "section"]
    assert [q.kind for q in qs] == ["rating", "matrix", "multiple", "score", "single", "textarea"]
    survey.q = dict(
        zip(["rating", "matrix", "multiple", "score", "single", "text"], qs, strict=True)
    )
    survey.responses_made = []
    for i, (cat, channel, rating, matrix, multiple, score, single, text) in enumerate(HAND):
        q = survey.q
        answers = {
            q["rating"].pk: rating,
            q["matrix"].pk: {str(r): c for r, c in enumerate(matrix, 1)},
            q["multiple"].pk: multiple,
            q["score"].pk: score,
            q["single"].pk: single,
        }
        if text:
            answers[q["text"].pk] = text
        if channel == "paper":
            response = services.enter_paper(actor, survey, batch_no="2026-01", form_no="7",
                                            answers=answers, category=cat)  # fmt: skip
        else:
            response = services.submit_response(survey.pk, answers, channel=channel,
                                                device_id=f"device-{i}", category=cat)  # fmt: skip
        survey.responses_made.append(response)
    return survey


def by_kind(data):
    return {q["kind"]: q for q in data["questions"]}


def counts(question):
    return [o["count"] for o in question["options"]]


def percents(question):
    return [o["percent"] for o in question["options"]]


# --- compute ----------------------------------------------------------------------------------


def test_totals_labels_and_sections_omitted(event_survey):
    data = results.compute(event_survey)
    assert data["survey_id"] == event_survey.pk
    assert data["title"] == "政府开放日活动满意度调查问卷"
    assert data["responses"] == 10
    assert data["by_channel"] == {"web": 8, "api": 1, "paper": 1}
    assert [q["position_label"] for q in data["questions"]] == [f"第{n}题" for n in range(1, 7)]
    assert "section" not in {q["kind"] for q in data["questions"]}
    assert [q["id"] for q in data["questions"]] == [q.pk for q in event_survey.q.values()]


def test_rating_counts_percent_average_and_crosstab(event_survey):
    rating = by_kind(results.compute(event_survey))["rating"]
    assert rating["respondents"] == 10
    assert [o["label"] for o in rating["options"]] == [
        "非常满意",
        "满意",
        "一般",
        "不满意",
        "非常不满意",
    ]
    assert [o["code"] for o in rating["options"]] == [1, 2, 3, 4, 5]
    assert counts(rating) == [4, 3, 1, 1, 1]
    assert percents(rating) == [40.0, 30.0, 10.0, 10.0, 10.0]
    # 非常满意 = 5 points ... 非常不满意 = 1: (4*5 + 3*4 + 3 + 2 + 1) / 10
    assert rating["average"] == 3.8
    assert rating["by_category"]["categories"] == [
        {"code": "deputy", "name": "人大代表"},
        {"code": "public", "name": "普通群众"},
        {"code": "", "name": "未填写"},
    ]
    assert rating["by_category"]["counts"] == [
        [1, 2, 1],
        [1, 1, 1],
        [0, 1, 0],
        [0, 1, 0],
        [0, 1, 0],
    ]


def test_matrix_rows_and_averages(event_survey):
    matrix = by_kind(results.compute(event_survey))["matrix"]
    assert matrix["respondents"] == 10
    rows = matrix["rows"]
    assert [r["label"] for r in rows] == ["浏览介绍", "实地观摩", "座谈交流", "政策发布"]
    assert [r["code"] for r in rows] == [1, 2, 3, 4]
    assert [r["respondents"] for r in rows] == [10, 10, 10, 10]
    assert [counts(r) for r in rows] == [
        [4, 3, 1, 1, 1],
        [4, 3, 2, 1, 0],
        [4, 3, 1, 1, 1],
        [3, 3, 3, 0, 1],
    ]
    assert percents(rows[3]) == [30.0, 30.0, 30.0, 0.0, 10.0]
    assert [r["average"] for r in rows] == [3.8, 4.0, 3.8, 3.7]
    # (38 + 40 + 38 + 37) / 40 = 3.825, rounded half up
    assert matrix["average"] == 3.83
    assert "by_category" not in matrix


def test_multiple_choice_respondents_vs_counts(event_survey):
    multiple = by_kind(results.compute(event_survey))["multiple"]
    assert counts(multiple) == [5, 4, 2, 3, 1, 1]
    assert sum(counts(multiple)) == 16  # answer rows
    assert multiple["respondents"] == 10  # people
    assert percents(multiple) == [50.0, 40.0, 20.0, 30.0, 10.0, 10.0]
    assert "average" not in multiple
    # 政府网站 (code 1): deputy 1, public 2, not given 2
    assert multiple["by_category"]["counts"][0] == [1, 2, 2]
    assert multiple["by_category"]["counts"][5] == [0, 1, 0]


def test_score_single_and_text(event_survey):
    data = by_kind(results.compute(event_survey))
    score = data["score"]
    assert [o["code"] for o in score["options"]] == list(range(11))
    assert [o["label"] for o in score["options"]][:2] == ["0分", "1分"]
    assert score["options"][10]["label"] == "10分"
    assert counts(score) == [1, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert score["options"][8]["percent"] == 20.0
    assert score["respondents"] == 10
    assert score["average"] == 7.2

    single = data["single"]
    assert counts(single) == [4, 6]
    assert percents(single) == [40.0, 60.0]
    assert single["respondents"] == 10
    assert single["by_category"]["counts"] == [[1, 3, 0], [1, 3, 2]]

    text = data["textarea"]
    assert text["text_count"] == 4
    assert text["respondents"] == 4
    assert "options" not in text


def test_channel_filter(event_survey):
    online = results.compute(event_survey, channel="online")
    assert online["responses"] == 9
    assert online["by_channel"] == {"web": 8, "api": 1, "paper": 0}
    data = by_kind(online)
    assert counts(data["rating"]) == [3, 3, 1, 1, 1]
    assert percents(data["rating"]) == [33.3, 33.3, 11.1, 11.1, 11.1]
    assert data["rating"]["average"] == 3.67  # 33 / 9
    assert data["multiple"]["respondents"] == 9
    assert counts(data["multiple"]) == [4, 4, 2, 2, 1, 1]
    assert percents(data["multiple"]) == [44.4, 44.4, 22.2, 22.2, 11.1, 11.1]
    assert data["rating"]["by_category"]["counts"][0] == [1, 1, 1]
    assert data["textarea"]["text_count"] == 3

    paper = results.compute(event_survey, channel="paper")
    assert paper["responses"] == 1
    assert paper["by_channel"] == {"web": 0, "api": 0, "paper": 1}
    data = by_kind(paper)
    assert counts(data["rating"]) == [1, 0, 0, 0, 0]
    assert data["rating"]["average"] == 5.0
    assert data["rating"]["by_category"]["categories"] == [{"code": "public", "name": "普通群众"}]
    assert data["matrix"]["rows"][3]["average"] == 4.0
    assert data["score"]["average"] == 8.0

    with pytest.raises(ValueError):
        results.compute(event_survey, channel="mail")


def test_text_answers_newest_first(event_survey):
    q = event_survey.q["text"]
    rows = list(results.text_answers(event_survey, q))
    assert [r.text for r in rows] == ["纸质意见", "讲解时间太短", "希望多举办", "停车位太少"]
    first = rows[0]
    assert first.response_id == event_survey.responses_made[-1].pk
    assert (first.category, first.channel) == ("public", "paper")
    assert first.submitted_at == event_survey.responses_made[-1].submitted_at
    _id, response_id, text, category, channel, submitted_at = rows[-1]
    assert (response_id, text, category, channel) == (
        event_survey.responses_made[0].pk,
        "停车位太少",
        "deputy",
        "web",
    )
    assert submitted_at < first.submitted_at
    online = results.text_answers(event_survey, q, channel="online")
    assert [r.text for r in online[:2]] == ["讲解时间太短", "希望多举办"]
    assert online.count() == 3


def test_no_responses(world, actor):
    survey = services.create_survey(actor, world.housing, template="event")
    data = results.compute(survey)
    assert data["responses"] == 0
    assert data["by_channel"] == {"web": 0, "api": 0, "paper": 0}
    rating = by_kind(data)["rating"]
    assert rating["respondents"] == 0
    assert percents(rating) == [0.0] * 5
    assert rating["average"] is None
    assert rating["by_category"] == {"categories": [], "counts": [[]] * 5}
    matrix = by_kind(data)["matrix"]
    assert matrix["average"] is None
    assert matrix["rows"][0]["average"] is None
    assert by_kind(data)["textarea"]["text_count"] == 0


def test_query_count_does_not_grow(event_survey, django_assert_max_num_queries):
    services.expand_pending(event_survey.pk)
    # nothing waiting to expand, questions, by channel, grouped counts, distinct respondents
    with django_assert_max_num_queries(5):
        results.compute(event_survey)


# --- A named survey made by hand --------------------------------------------------------------

NAMED = [
    ("张三", "13812345678", {"q1": 2, "q2": 1, "q3": {"1": 1, "2": 2}, "q4": "很好"}),
    ("欧阳娜娜", "139 0000 1111", {"q1": 2, "q2": 2, "q3": {"1": 3}}),
    ("李四", "13712340000", {"q1": 3, "q2": 1}),
]


@pytest.fixture
def named_survey(world, actor):
    survey = services.create_survey(actor, world.housing, title="办事体验回访", anonymous=False)
    # fmt: off
    specs = {
        "q1": {"kind": "single", "title": "您的年龄段", "options": ["18岁以下", "18—40岁", "41岁以上"]},
        "q2": {"kind": "rating", "title": "总体评价", "options": ["满意", "一般", "不满意"]},
        "q3": {"kind": "matrix", "title": "各方面", "rows": ["指引", "效率"],
               "options": ["好", "中", "差"], "required": False},
        "q4": {"kind": "text", "title": "其他", "required": False},
    }
    # fmt: on
    survey.q = {key: services.save_question(actor, survey, spec) for key, spec in specs.items()}
    services.set_status(actor, survey, "open")
    for i, (name, phone, given) in enumerate(NAMED):
        answers = {survey.q[k].pk: v for k, v in given.items()}
        services.submit_response(survey.pk, answers, device_id=f"named-{i}", name=name,
                                 phone=phone, consent=True)  # fmt: skip
    return survey


def test_named_survey_results(named_survey):
    data = by_kind(results.compute(named_survey))
    assert counts(data["single"]) == [0, 2, 1]
    assert percents(data["single"]) == [0.0, 66.7, 33.3]
    assert data["single"]["by_category"]["categories"] == [{"code": "", "name": "未填写"}]
    # three labels: 满意 = 3 points, 一般 = 2: (3 + 2 + 3) / 3
    assert data["rating"]["average"] == 2.67
    matrix = data["matrix"]
    assert matrix["respondents"] == 2  # distinct people, not the 3 answer rows
    assert [r["respondents"] for r in matrix["rows"]] == [2, 1]
    assert counts(matrix["rows"][0]) == [1, 0, 1]
    assert percents(matrix["rows"][0]) == [50.0, 0.0, 50.0]
    assert [r["average"] for r in matrix["rows"]] == [2.0, 2.0]
    assert matrix["average"] == 2.0
    assert data["text"]["text_count"] == 1


# --- Spreadsheet ------------------------------------------------------------------------------


def read_xlsx(data):
    """The sheet's rows, each padded to the header's width (trailing empty cells are not kept)."""
    wb = load_workbook(BytesIO(data), read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    return [r + [None] * (len(rows[0]) - len(r)) for r in rows]


def xlsx_bytes(survey):
    buf = BytesIO()
    exports.responses_xlsx(survey, buf)
    return buf.getvalue()


def test_xlsx_one_row_per_response(event_survey):
    rows = read_xlsx(xlsx_bytes(event_survey))
    header = rows[0]
    assert header[:6] == ["答卷编号", "提交时间", "渠道", "批次号", "表单编号", "参加人类别"]
    assert "姓名" not in header
    assert header[6] == "您对本次开放日活动的总体评价是"
    assert header[7:11] == [
        f"请对以下各环节作出评价 - {r}" for r in ["浏览介绍", "实地观摩", "座谈交流", "政策发布"]
    ]
    assert header[11:] == [q.title for q in list(event_survey.q.values())[2:]]
    assert len(rows) == 1 + len(HAND)

    made = event_survey.responses_made
    assert [r[0] for r in rows[1:]] == [r.pk for r in made]
    first = rows[1]
    expected_time = timezone.localtime(made[0].submitted_at).replace(tzinfo=None, microsecond=0)
    assert first[1] == expected_time
    assert first[2:6] == ["网上填写", None, None, "人大代表"]
    assert first[6:] == ["非常满意", "非常满意", "非常满意", "满意", "非常满意",
                         "政府网站；微信公众号", 10, "有", "停车位太少"]  # fmt: skip
    # 0 points is a value, not an empty cell; a hidden text question stays empty
    assert rows[6][6:] == ["非常不满意", "非常不满意", "不满意", "非常不满意", "非常不满意",
                           "其他", 0, "有", "讲解时间太短"]  # fmt: skip
    assert rows[7][5] is None and rows[7][-1] is None
    assert rows[9][2] == "接口"
    assert rows[10][2:6] == ["纸质录入", "2026-01", "7", "普通群众"]
    assert rows[10][11] == "政府网站；村（社区）通知"


def test_xlsx_named_survey_is_masked(named_survey):
    data = xlsx_bytes(named_survey)
    rows = read_xlsx(data)
    assert rows[0][6:8] == ["姓名", "手机号"]
    assert rows[0][8:] == ["您的年龄段", "总体评价", "各方面 - 指引", "各方面 - 效率", "其他"]
    assert [r[6:8] for r in rows[1:]] == [
        ["张*", "138****5678"],
        ["欧***", "139****1111"],
        ["李*", "137****0000"],
    ]
    assert rows[1][8:] == ["18—40岁", "满意", "好", "中", "很好"]
    assert rows[2][8:] == ["18—40岁", "一般", "差", None, None]
    with zipfile.ZipFile(BytesIO(data)) as z:
        xml = b"".join(z.read(name) for name in z.namelist())
    for secret in (
        b"13812345678",
        b"13900001111",
        b"13712340000",
        "张三".encode(),
        "欧阳".encode(),
    ):
        assert secret not in xml


def test_xlsx_file_response_streams(event_survey):
    response = exports.responses_xlsx_response(event_survey, "开放日问卷答卷.xlsx")
    try:
        assert response["Content-Type"] == exports.XLSX
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=utf-8''" in disposition
        body = b"".join(response.streaming_content)
    finally:
        response.close()
    assert len(read_xlsx(body)) == 11


def test_xlsx_without_responses(world, actor):
    survey = services.create_survey(actor, world.housing, template="event")
    rows = read_xlsx(xlsx_bytes(survey))
    assert len(rows) == 1


# --- Summary document ---------------------------------------------------------------------------


def pictures_in(element):
    return len(element.xpath(".//pic:pic"))


def test_summary_docx(event_survey):
    document = docx.Document(BytesIO(exports.summary_docx(event_survey)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "《政府开放日活动满意度调查问卷》调查结果汇总" in text
    assert "共收回答卷10份，其中网上填写9份、纸质录入1份" in text
    assert "平均分：3.80" in text
    assert "平均分：7.20（满分10分）" in text
    assert "全部项目平均分：3.83" in text
    assert "讲解时间太短" in text and "共收到4条填写内容" in text

    tables = document.tables
    choice = [t for t in tables if t.rows[0].cells[1].text == "图示"]
    assert len(choice) == 4  # rating, multiple, score, single
    for table in choice:
        assert pictures_in(table._tbl) >= 1
    # one bar per option with a non-zero share: 5 + 6 + 7 + 2
    assert len(document.inline_shapes) == 20
    rating = choice[0]
    assert [c.text for c in rating.rows[1].cells] == ["非常满意", "", "4", "40.0%"]
    assert pictures_in(rating.rows[1]._tr) == 1
    matrix = next(t for t in tables if t.rows[0].cells[0].text == "项目")
    assert [c.text for c in matrix.rows[4].cells] == ["政策发布", "3", "3", "3", "0", "1", "3.70"]


def test_summary_docx_without_responses(world, actor):
    survey = services.create_survey(actor, world.housing, template="event")
    document = docx.Document(BytesIO(exports.summary_docx(survey)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "共收回答卷0份" in text
    assert "本题暂无填写内容" in text
    assert len(document.inline_shapes) == 0


# --- PNG writer ---------------------------------------------------------------------------------


def test_bar_png_is_valid():
    png = exports.bar_png(120, 14)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = []
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks.append((kind, data))
        pos += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (width, height, depth, colour) == (120, 14, 8, 2)
    raw = zlib.decompress(chunks[1][1])
    assert len(raw) == 14 * (1 + 120 * 3)
    assert raw[:4] == b"\x00\xc0\x39\x2b"
    assert exports.bar_png(0)[16:24] == struct.pack(">II", 1, 14)  # never zero-width


def test_bar_png_read_by_python_docx():
    from docx.image.image import Image

    image = Image.from_blob(exports.bar_png(300))
    assert (image.px_width, image.px_height) == (300, 14)
    assert image.content_type == "image/png"


def test_kinds_cover_model():
    handled = {"single", "multiple", "rating", "score", "text", "textarea", "matrix", "section"}
    assert set(Question.Kind.values) == handled
    assert set(Response.Channel.values) == {"web", "api", "paper"}
