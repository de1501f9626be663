"""Questionnaires: answer validation for every question type, conditions, one answer per person,
building and locking, paper entry from the keyboard and from xlsx, the audit trail."""

import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from openday.audit.models import AuditEntry
from openday.surveys import answers as checks
from openday.surveys import paper, services
from openday.surveys.models import Answer, Question, Response, Survey

# --- Pure validation ------------------------------------------------------------------------


def q(id, kind, **kw):
    base = {"id": id, "kind": kind, "title": f"题{id}", "help_text": "", "required": True,
            "options": [], "rows": [], "min_choices": None, "max_choices": None,
            "max_length": checks.TEXT_LIMITS.get(kind), "show_if": None}  # fmt: skip
    base.update(kw)
    return base


OPTS = ["甲", "乙", "丙", "丁"]
DEFN = {
    "id": 1, "anonymous": True,
    "questions": [
        q(1, "single", options=OPTS),
        q(2, "multiple", options=OPTS, min_choices=2, max_choices=3),
        q(3, "rating", options=["非常满意", "满意", "一般", "不满意", "非常不满意"]),
        q(4, "score"),
        q(5, "text"),
        q(6, "textarea", required=False),
        q(7, "matrix", options=["好", "中", "差"], rows=["服务", "环境"]),
        q(8, "section"),
        q(9, "text", required=False, show_if={"question": 1, "values": [2]}),
        q(10, "single", options=["是", "否"], show_if={"question": 9, "values": [1]}),
    ],
}  # fmt: skip
VALID = {1: 1, 2: [1, 3], 3: 2, 4: 10, 5: "挺好", 7: {"1": 1, "2": 3}}


def test_a_valid_answer_becomes_one_row_per_value():
    rows = checks.clean(DEFN, VALID)
    assert rows == [
        (1, None, 1, ""), (2, None, 1, ""), (2, None, 3, ""), (3, None, 2, ""),
        (4, None, 10, ""), (5, None, None, "挺好"), (7, 1, 1, ""), (7, 2, 3, ""),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "change, qid, reason",
    [
        ({1: 5}, 1, "请选择列出的选项之一（1–4）。"),
        ({1: "二"}, 1, "请选择列出的选项之一（1–4）。"),
        ({1: True}, 1, "请选择列出的选项之一（1–4）。"),
        ({2: [1]}, 2, "请至少选择2项。"),
        ({2: [1, 2, 3, 4]}, 2, "最多选择3项。"),
        ({2: [1, 1]}, 2, "同一选项只能选一次。"),
        ({2: [0, 2]}, 2, "请选择列出的选项（1–4）。"),
        ({3: 6}, 3, "请选择列出的选项之一（1–5）。"),
        ({4: 11}, 4, "请打0到10之间的整数分。"),
        ({4: -1}, 4, "请打0到10之间的整数分。"),
        ({4: 7.5}, 4, "请打0到10之间的整数分。"),
        ({5: "字" * 201}, 5, "请不要超过200字（现有201字）。"),
        ({5: 12}, 5, "请填写文字。"),
        ({5: "   "}, 5, "请回答此题。"),
        ({7: {"1": 1}}, 7, "请为每一行选择一项，尚未选择：环境。"),
        ({7: {"1": 1, "3": 1}}, 7, "没有第3行。"),
        ({7: {"1": 4, "2": 1}}, 7, "“服务”一行请选择列出的选项之一（1–3）。"),
        ({7: [1, 2]}, 7, "请为每一行选择一项。"),
        ({99: 1}, 99, "问卷中没有编号为99的题目。"),
    ],
)
def test_each_invalid_answer_names_the_question_and_the_reason(change, qid, reason):
    with pytest.raises(checks.AnswerError) as exc:
        checks.clean(DEFN, {**VALID, **change})
    assert exc.value.errors[qid] == reason


def test_every_problem_is_listed_at_once():
    with pytest.raises(checks.AnswerError) as exc:
        checks.clean(DEFN, {})
    assert set(exc.value.errors) == {1, 2, 3, 4, 5, 7}
    assert all(m == "请回答此题。" for m in exc.value.errors.values())


def test_conditions_show_hide_and_chain():
    # Q9 shows only when Q1 is 2; Q10 only when Q9 ... is a text question, so never via codes.
    assert checks.clean(DEFN, {**VALID, 9: "隐藏时的回答"}) == checks.clean(DEFN, VALID)
    rows = checks.clean(DEFN, {**VALID, 1: 2, 9: "显示时的回答"})
    assert (9, None, None, "显示时的回答") in rows
    # A required question hidden by its condition does not block.
    hidden_required = {**DEFN, "questions": [
        *DEFN["questions"][:8],
        q(9, "single", options=["是", "否"]),
        q(10, "textarea", show_if={"question": 9, "values": [1]}),
        q(11, "text", show_if={"question": 10, "values": [1]}),
    ]}  # fmt: skip
    assert checks.clean(hidden_required, {**VALID, 9: 2})
    with pytest.raises(checks.AnswerError) as exc:
        checks.clean(hidden_required, {**VALID, 9: 1})
    assert set(exc.value.errors) == {10}


def _shape(question):
    kind, n = question["kind"], len(question["options"])
    if kind in ("single", "rating"):
        return st.integers(1, n)
    if kind == "multiple":
        lo, hi = question["min_choices"] or 1, question["max_choices"] or n
        return st.lists(st.integers(1, n), min_size=lo, max_size=hi, unique=True)
    if kind == "score":
        return st.integers(0, 10)
    if kind == "text":
        return st.text(alphabet="政务公开开放日好建议 ", min_size=1, max_size=200).filter(str.strip)
    if kind == "matrix":
        return st.fixed_dictionaries({str(i): st.integers(1, n) for i in range(1, 3)})
    return st.none()


VALID_SHAPES = st.fixed_dictionaries(
    {qq["id"]: _shape(qq) for qq in DEFN["questions"] if qq["id"] in VALID}
)
ANYTHING = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 20)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(VALID_SHAPES)
def test_any_well_formed_answer_is_accepted_and_kept_exactly(answer):
    rows = checks.clean(DEFN, answer)
    assert {r[0] for r in rows} == set(answer)
    assert sorted(c for qid, _r, c, _t in rows if qid == 2) == sorted(answer[2])
    assert [t for qid, _r, _c, t in rows if qid == 5] == [answer[5].strip()]


@given(st.sampled_from([1, 2, 3, 4, 5, 7]), ANYTHING)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_garbage_is_refused_with_a_reason_or_accepted_as_a_valid_row(qid, value):
    """Whatever arrives, clean() either raises AnswerError naming the question or returns rows
    that respect the question's limits; it never crashes or stores an out-of-range value."""
    try:
        rows = checks.clean(DEFN, {**VALID, qid: value})
    except checks.AnswerError as exc:
        assert exc.errors.get(qid)
        return
    question = next(x for x in DEFN["questions"] if x["id"] == qid)
    mine = [r for r in rows if r[0] == qid]
    for _qid, row, choice, text in mine:
        if question["kind"] == "score":
            assert 0 <= choice <= 10
        elif question["kind"] in ("text", "textarea"):
            assert 0 < len(text) <= 200
        else:
            assert 1 <= choice <= len(question["options"])
        if question["kind"] == "matrix":
            assert 1 <= row <= len(question["rows"])


@pytest.mark.parametrize(
    "kind, typed, shape",
    [
        ("single", "2", 2),
        ("single", "乙", 2),
        ("multiple", "134", [1, 3, 4]),
        ("multiple", "1,3 4", [1, 3, 4]),
        ("multiple", "甲、丁", [1, 4]),
        ("score", "10", 10),
        ("matrix", "13", {"1": 1, "2": 3}),
        ("matrix", "1 0", {"1": 1}),
        ("text", " 原文 ", "原文"),
        ("single", "", ""),
    ],
)
def test_paper_codes(kind, typed, shape):
    question = next(x for x in DEFN["questions"] if x["kind"] == kind)
    assert checks.from_paper(question, typed) == shape


def test_paper_codes_refuse_unknown_labels():
    with pytest.raises(ValueError, match="不是本题的选项"):
        checks.from_paper(DEFN["questions"][0], "戊")
    with pytest.raises(ValueError, match="本题只有2行"):
        checks.from_paper(DEFN["questions"][6], "123")


# --- With the database ------------------------------------------------------------------------


@pytest.fixture
def survey(world):
    """The event-satisfaction preset, open; answers() gives a valid answer dict."""
    s = services.create_survey(world.users["unit_admin"], world.housing, template="event")
    services.set_status(world.users["unit_admin"], s, "open")
    return s


def answers_for(survey, **override):
    out = {}
    for qq in survey.questions.exclude(kind="section"):
        if qq.kind in ("single", "rating"):
            out[qq.pk] = 2 if qq.kind == "single" else 1
        elif qq.kind == "multiple":
            out[qq.pk] = [1, 2]
        elif qq.kind == "score":
            out[qq.pk] = 9
        elif qq.kind == "matrix":
            out[qq.pk] = {str(i): 1 for i in range(1, len(qq.rows) + 1)}
    out.update(override)
    return out


def test_a_template_survey_has_sections_and_a_condition(survey):
    kinds = list(survey.questions.values_list("kind", flat=True))
    assert kinds == ["section", "rating", "matrix", "multiple", "score", "section", "single",
                     "textarea"]  # fmt: skip
    yes_no, textarea = survey.questions.filter(kind__in=["single", "textarea"])
    assert textarea.show_if == {"question": yes_no.pk, "values": [1]}


def test_one_answer_per_device_and_per_phone(world):
    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, title="实名问卷", anonymous=False)
    services.save_question(admin, s, {"kind": "score", "title": "打分"})
    services.set_status(admin, s, "open")
    qid = s.questions.get().pk
    who = {"name": "张三", "phone": "13800138000", "consent": True}
    services.submit_response(s.pk, {qid: 8}, device_id="dev-1", **who)
    with pytest.raises(services.Refused) as exc:
        services.submit_response(s.pk, {qid: 3}, device_id="dev-2", **who)
    assert exc.value.code == "duplicate"
    with pytest.raises(services.Refused):
        services.submit_response(s.pk, {qid: 3}, device_id="dev-1", name="李四",
                                 phone="13900139000", consent=True)  # fmt: skip
    assert Response.objects.filter(survey=s).count() == 1
    r = Response.objects.get(survey=s)
    assert r.phone == "13800138000" and "13800138000" not in r.phone_encrypted
    assert r.masked_phone == "138****8000"
    with pytest.raises(ValidationError) as exc:
        services.submit_response(s.pk, {qid: 3}, device_id="dev-3", name="", phone="123")
    assert set(exc.value.message_dict) == {"name", "phone", "consent"}


def test_closed_draft_and_window(world, survey):
    admin = world.users["unit_admin"]
    services.set_status(admin, survey, "closed")
    with pytest.raises(services.Refused) as exc:
        services.submit_response(survey.pk, answers_for(survey), device_id="x")
    assert exc.value.code == "closed" and "已结束" in exc.value.message
    # Paper forms collected on the day may still be entered after closing.
    services.enter_paper(admin, survey, batch_no="1", form_no="1", answers=answers_for(survey))
    draft = services.create_survey(admin, world.housing, title="草稿")
    with pytest.raises(Survey.DoesNotExist):
        services.submit_response(draft.pk, {}, device_id="x")


def test_an_edit_reaches_answers_at_once(world, survey):
    """The cached definition is dropped when staff change the survey."""
    admin = world.users["unit_admin"]
    services.get_definition(survey.pk)
    services.set_status(admin, survey, "closed")
    with pytest.raises(services.Refused):
        services.submit_response(survey.pk, answers_for(survey), device_id="x")


@pytest.mark.django_db(transaction=True)
def test_double_submits_at_once_count_once(world):
    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, title="并发问卷")
    services.save_question(admin, s, {"kind": "single", "title": "好吗", "options": ["好", "不好"]})
    services.set_status(admin, s, "open")
    qid = s.questions.get().pk
    barrier = threading.Barrier(8)
    outcomes = []

    def submit(i):
        try:
            barrier.wait()
            services.submit_response(s.pk, {qid: 1}, device_id=f"phone-{i % 2}")
            outcomes.append("ok")
        except services.Refused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 6 + ["ok"] * 2
    assert Response.objects.filter(survey=s).count() == 2
    assert services.expand_pending(s.pk) == 2
    assert Answer.objects.filter(survey=s).count() == 2


def test_building_checks_and_locks(world):
    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, title="建题")
    with pytest.raises(ValidationError) as exc:
        services.save_question(admin, s, {"kind": "single", "title": "", "options": ["只有一个"]})
    assert exc.value.message_dict == {"title": ["请填写题目。"],
                                      "options": ["请至少填写两个选项（每行一个）。"]}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.save_question(admin, s, {"kind": "multiple", "title": "多选", "options": ["a", "b"],
                                          "min_choices": 3})  # fmt: skip
    assert "最少选项数" in exc.value.message_dict["min_choices"][0]
    a = services.save_question(
        admin, s, {"kind": "single", "title": "去过吗", "options": ["去过", "没去过"]}
    )
    with pytest.raises(ValidationError) as exc:
        services.save_question(admin, s, {"kind": "text", "title": "印象",
                                          "show_if": {"question": a.pk, "values": [3]}})  # fmt: skip
    assert "1–2" in exc.value.message_dict["show_if"][0]
    b = services.save_question(admin, s, {"kind": "text", "title": "印象",
                                          "show_if": {"question": a.pk, "values": [1]}})  # fmt: skip
    with pytest.raises(ValidationError, match="不能移到它前面"):
        services.move_question(admin, b, -1)
    with pytest.raises(ValidationError, match="显示条件"):
        services.delete_question(admin, a)
    with pytest.raises(ValidationError, match="还没有题目"):
        services.set_status(admin, services.create_survey(admin, world.housing, title="空"), "open")
    services.set_status(admin, s, "open")
    services.submit_response(s.pk, {a.pk: 2}, device_id="d")
    # Locked: wording may change, structure may not.
    services.save_question(admin, s, {"kind": "single", "title": "您去过吗", "options": ["去过", "从没去过"]},
                           question=a)  # fmt: skip
    with pytest.raises(ValidationError, match="结构不能再改动"):
        services.save_question(admin, s, {"kind": "single", "title": "去过吗",
                                          "options": ["去过", "没去过", "不记得"]}, question=a)  # fmt: skip
    with pytest.raises(ValidationError, match="结构不能再改动"):
        services.delete_question(admin, b)
    with pytest.raises(ValidationError, match="不能退回草稿"):
        services.set_status(admin, s, "draft")
    copy = services.copy_survey(admin, s)
    qa, qb = copy.questions.all()
    assert copy.status == "draft" and qb.show_if == {"question": qa.pk, "values": [1]}
    actions = set(AuditEntry.objects.filter(object_id=str(s.pk)).values_list("action", flat=True))
    assert {
        "survey.create",
        "survey.question_add",
        "survey.question_edit",
        "survey.status",
    } <= actions


def test_paper_entry_page_keyboard_flow(world, client, survey):
    c = world.client_for(client, "unit_staff")
    url = f"/staff/surveys/{survey.pk}/paper/"
    qs = list(survey.questions.exclude(kind="section"))
    rating, matrix, multiple, score, yes_no, textarea = qs
    form = {"batch_no": "20230606", "form_no": "1", "category": "deputy",
            f"q{rating.pk}": "1", f"q{matrix.pk}": "1122", f"q{multiple.pk}": "13",
            f"q{score.pk}": "8", f"q{yes_no.pk}": "1", f"q{textarea.pk}": "停车位太少"}  # fmt: skip
    response = c.post(url, form)
    assert response.status_code == 302 and response["Location"].endswith("?batch=20230606")
    page = c.get(response["Location"])
    assert 'value="2"' in page.content.decode()  # the next form number
    r = Response.objects.get(survey=survey, channel="paper")
    assert (r.batch_no, r.form_no, r.category) == ("20230606", "1", "deputy")
    assert Answer.objects.filter(response=r).count() == 1 + 4 + 2 + 1 + 1 + 1
    # A bad form keeps every typed value and says what is wrong, in Chinese.
    bad = {**form, "form_no": "2", f"q{matrix.pk}": "1199", f"q{score.pk}": "12"}
    response = c.post(url, bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert "1199" in html and "停车位太少" in html and 'value="12"' in html
    assert "请打0到10之间的整数分。" in html
    # The same form number twice is refused with the reason.
    response = c.post(url, form)
    assert response.status_code == 400
    assert "已经录入过" in response.content.decode()
    assert AuditEntry.objects.filter(action="survey.paper_entry").count() == 1


def _xlsx(rows, survey):
    wb = load_workbook(io.BytesIO(paper.template_workbook(survey)))
    ws = wb[paper.SHEET]
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_is_all_or_nothing_and_lists_every_bad_row(world, survey):
    admin = world.users["unit_admin"]
    good = ["A", "1", "人大代表", "1", "1121", "1,3", "9", "2", ""]
    rows = [
        good,
        ["A", "2", "群众", "1", "11", "13", "9", "2", ""],  # unknown category, matrix short
        ["A", "1", "", "6", "1111", "13", "9", "2", ""],  # duplicate number, bad rating
        [None] * 9,  # blank rows are skipped
        ["A", "3", "", "1", "1111", "1", "9", "1", ""],  # said "有" but wrote no suggestion
    ]
    result = paper.import_paper(admin, survey, _xlsx(rows, survey))
    assert not result.ok
    assert [e.row for e in result.errors] == [3, 4, 6]
    reasons = {e.row: e.reason for e in result.errors}
    assert "参加人类别“群众”不正确" in reasons[3] and "尚未选择" in reasons[3]
    assert "与第 2 行的批次号和表单编号重复" in reasons[4] and "第1题" in reasons[4]
    assert reasons[6] == "第6题：请回答此题。"
    assert Response.objects.filter(survey=survey).count() == 0
    fixed = [good, ["A", "2", "普通群众", "2", "2222", "甲", "10", "1", "希望多办"]]
    fixed[1][5] = "政府网站"
    result = paper.import_paper(admin, survey, _xlsx(fixed, survey))
    assert result.ok and result.created == 2
    assert Response.objects.filter(survey=survey, channel="paper").count() == 2
    assert Answer.objects.filter(survey=survey, text="希望多办", category="public").count() == 1
    again = paper.import_paper(admin, survey, _xlsx([good], survey))
    assert [e.reason for e in again.errors] == ["批次 A 第 1 号表单已经录入过"]


def test_import_refuses_another_layout_and_junk(world, survey):
    admin = world.users["unit_admin"]
    wb = Workbook()
    wb.active.append(["姓名", "手机号"])
    out = io.BytesIO()
    wb.save(out)
    result = paper.import_paper(admin, survey, out.getvalue())
    assert result.errors[0].reason.startswith("表头与本问卷的录入模板不一致")
    result = paper.import_paper(admin, survey, b"not a spreadsheet")
    assert result.errors[0].reason.startswith("无法读取文件")


def test_builder_pages(world, client):
    c = world.client_for(client, "unit_admin")
    response = c.post("/staff/surveys/new/", {"org": world.housing.pk, "template": "hall",
                                              "anonymous": "on", "ask_category": "on"})  # fmt: skip
    assert response.status_code == 302
    s = Survey.objects.get(template="hall")
    assert s.title == "政务服务大厅办事体验调查" and s.questions.count() == 7
    response = c.post(f"/staff/surveys/{s.pk}/questions/new/",
                      {"kind": "single", "title": "", "options_text": "一个"})  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写题目" in html and "请至少填写两个选项" in html and "一个" in html
    response = c.post(f"/staff/surveys/{s.pk}/questions/new/",
                      {"kind": "rating", "title": "总体满意度", "required": "on",
                       "options_text": "满意\n一般\n不满意"})  # fmt: skip
    assert response.status_code == 302
    assert s.questions.last().options == ["满意", "一般", "不满意"]
    assert c.post(f"/staff/surveys/{s.pk}/open/").status_code == 302
    page = c.get(f"/staff/surveys/{s.pk}/").content.decode()
    assert "收集中" in page and "总体满意度" in page
    poster = c.get(f"/staff/surveys/{s.pk}/poster/").content.decode()
    assert "<svg" in poster and f"/surveys/{s.pk}/" in poster


def test_deleting_an_answer_needs_a_reason_and_is_logged(world, client, survey):
    r = services.enter_paper(world.users["unit_admin"], survey, batch_no="1", form_no="1",
                             answers=answers_for(survey))  # fmt: skip
    c = world.client_for(client, "unit_admin")
    url = f"/staff/surveys/{survey.pk}/responses/{r.pk}/"
    assert "请填写删除原因" in c.post(url, {"reason": ""}, follow=True).content.decode()
    assert Response.objects.filter(pk=r.pk).exists()
    assert c.post(url, {"reason": "重复录入"}).status_code == 302
    assert not Response.objects.filter(pk=r.pk).exists()
    entry = AuditEntry.objects.get(action="survey.response_delete")
    assert entry.changes["原因"] == "重复录入"


def test_question_kinds_match_the_validator():
    assert set(Question.Kind.values) - {"section"} == {"single", "multiple", "rating", "score",
                                                       "text", "textarea", "matrix"}  # fmt: skip


def test_demo_has_the_town_survey_answered_online_and_on_paper(world):
    from openday.demo.services import load_demo_campaigns, load_demo_events, load_demo_surveys

    load_demo_campaigns()
    load_demo_events()
    load_demo_surveys()
    load_demo_surveys()  # twice: nothing doubles
    s = Survey.objects.get(event__unit=world.town)
    assert s.status == "closed"
    assert s.responses.filter(channel="web").count() == 24
    assert s.responses.filter(channel="paper").count() == 12
    assert Answer.objects.filter(survey=s).exclude(text="").exists()


def test_names_and_phones_of_old_answers_are_removed(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, title="实名", anonymous=False)
    services.save_question(admin, s, {"kind": "score", "title": "打分"})
    services.set_status(admin, s, "open")
    qid = s.questions.get().pk
    r = services.submit_response(s.pk, {qid: 7}, device_id="d", name="王五", phone="13700137000",
                                 consent=True)  # fmt: skip
    later = timezone.now() + timedelta(days=settings.RETENTION_DAYS - 1)
    assert services.anonymize_old_responses(later) == 0
    later = timezone.now() + timedelta(days=settings.RETENTION_DAYS + 1)
    assert services.anonymize_old_responses(later) == 1
    assert services.anonymize_old_responses(later) == 0
    r.refresh_from_db()
    assert (r.name, r.phone_encrypted, r.phone_hash) == ("", "", "")
    services.expand_pending()
    assert r.answers.get().choice == 7
    assert AuditEntry.objects.filter(action="survey.personal_data_removed").count() == 1


def test_every_recorded_action_has_a_chinese_label():
    import re
    from pathlib import Path

    from openday.audit.models import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent / "openday"
    used = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        used |= set(re.findall(r'(?:record|_log)\(\s*"([a-z_]+\.[a-z_]+)"', text))
        used |= set(re.findall(r'"([a-z_]+\.[a-z_]+)" if ', text))
    assert used and used - set(ACTION_LABELS) == set()


def test_import_page_refuses_other_files_and_lists_bad_rows(world, client, survey):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = world.client_for(client, "unit_staff")
    url = f"/staff/surveys/{survey.pk}/import/"
    response = c.post(url, {"file": SimpleUploadedFile("答卷.csv", b"a,b")})
    assert (
        response.status_code == 400
        and "文件类型不正确：请上传 .xlsx 文件" in response.content.decode()
    )
    bad = _xlsx([["A", "1", "", "9", "1111", "1", "9", "2", ""]], survey)
    response = c.post(url, {"file": SimpleUploadedFile("答卷.xlsx", bad)})
    assert response.status_code == 400
    assert "第 2 行" in response.content.decode() and "第1题" in response.content.decode()
    good = _xlsx([["A", "1", "", "1", "1111", "1", "9", "2", ""]], survey)
    response = c.post(url, {"file": SimpleUploadedFile("答卷.xlsx", good)})
    assert response.status_code == 302
    assert survey.responses.filter(channel="paper").count() == 1


@pytest.mark.django_db(transaction=True)
def test_answers_waiting_to_be_expanded_are_written_once_by_concurrent_readers(world):
    """Results pages, exports and housekeeping may expand the same waiting answers at once."""
    admin = world.users["unit_admin"]
    s = services.create_survey(admin, world.housing, title="展开")
    q1 = services.save_question(
        admin, s, {"kind": "multiple", "title": "多选", "options": ["a", "b"]}
    )
    services.set_status(admin, s, "open")
    for i in range(300):
        services.submit_response(s.pk, {q1.pk: [1, 2]}, device_id=f"d{i}")
    assert Answer.objects.filter(survey=s).count() == 0
    barrier = threading.Barrier(4)
    done = []

    def expand():
        try:
            barrier.wait()
            done.append(services.expand_pending(s.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=expand) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == 300
    assert Answer.objects.filter(survey=s).count() == 600
    assert not Response.objects.filter(survey=s, pending__isnull=False).exists()
