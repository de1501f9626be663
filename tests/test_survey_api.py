"""The questionnaire API: listing and reading surveys, answering them, results for staff."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openday.accounts.services import create_token
from openday.surveys import services
from openday.surveys.models import Answer, Response


def make_survey(world, *, status="open", **fields):
    """The "event" preset: section, rating, matrix, multiple (1–3), score, section, single
    (有/没有), and a textarea shown only when the single question's answer is 1 (有)."""
    survey = services.create_survey(world.users["unit_admin"], world.housing, template="event",
                                    **fields)  # fmt: skip
    if status != "draft":
        services.set_status(world.users["unit_admin"], survey, "open")
    if status == "closed":
        services.set_status(world.users["unit_admin"], survey, "closed")
    return survey


def questions(survey):
    qs = list(survey.questions.all())
    return {"rating": qs[1], "matrix": qs[2], "multiple": qs[3], "score": qs[4], "single": qs[6],
            "textarea": qs[7]}  # fmt: skip


def good_answers(survey, **change):
    q = questions(survey)
    answers = {
        str(q["rating"].pk): 1,
        str(q["matrix"].pk): {"1": 1, "2": 2, "3": 1, "4": 3},
        str(q["multiple"].pk): [1, 3],
        str(q["score"].pk): 9,
        str(q["single"].pk): 2,
    }
    for name, value in change.items():
        if value is None:
            answers.pop(str(q[name].pk), None)
        else:
            answers[str(q[name].pk)] = value
    return answers


def post(client, survey_id, body):
    return client.post(f"/api/v1/surveys/{survey_id}/responses", body,
                       content_type="application/json")  # fmt: skip


def _auth(raw):
    return {"Authorization": f"Bearer {raw}"}


# --- Listing and reading ------------------------------------------------------------------------


def test_the_list_shows_only_surveys_taking_answers(client, world):
    now = timezone.now()
    open_ = make_survey(world, title="正在收集的问卷")
    make_survey(world, status="draft", title="草稿问卷")
    make_survey(world, status="closed", title="已结束的问卷")
    make_survey(world, title="还没开始的问卷", opens_at=now + timedelta(days=1))
    make_survey(world, title="已过截止时间的问卷", closes_at=now - timedelta(minutes=1))
    response = client.get("/api/v1/surveys")
    assert response.status_code == 200
    body = response.json()
    assert [s["title"] for s in body] == ["正在收集的问卷"]
    item = body[0]
    assert item == {"id": open_.pk, "title": "正在收集的问卷", "org": world.housing.name,
                    "event_id": None, "opens_at": None, "closes_at": None, "anonymous": True,
                    "question_count": 6}  # fmt: skip


def test_a_survey_reads_with_its_questions(client, world):
    survey = make_survey(world)
    q = questions(survey)
    response = client.get(f"/api/v1/surveys/{survey.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == survey.pk and body["accepting"] is True and body["message"] is None
    assert body["title"] == "政府开放日活动满意度调查问卷" and body["org"] == world.housing.name
    assert (
        body["ask_category"] is True
        and {"code": "deputy", "name": "人大代表"} in body["categories"]
    )
    kinds = [x["kind"] for x in body["questions"]]
    assert kinds == ["section", "rating", "matrix", "multiple", "score", "section", "single",
                     "textarea"]  # fmt: skip
    matrix = body["questions"][2]
    assert matrix["id"] == q["matrix"].pk and matrix["required"] is True
    assert matrix["rows"][0] == {"code": 1, "label": "浏览介绍"}
    assert matrix["options"][0] == {"code": 1, "label": "非常满意"}
    multiple = body["questions"][3]
    assert multiple["min_choices"] == 1 and multiple["max_choices"] == 3
    textarea = body["questions"][7]
    assert textarea["show_if"] == {"question": q["single"].pk, "values": [1]}
    assert textarea["max_length"] == 2000
    assert body["questions"][0]["required"] is False  # a section is never answered


def test_a_closed_survey_reads_with_the_reason(client, world):
    survey = make_survey(world, status="closed")
    body = client.get(f"/api/v1/surveys/{survey.pk}").json()
    assert body["accepting"] is False and body["message"] == "本问卷已结束收集，感谢您的关注。"
    later = make_survey(world, opens_at=timezone.now() + timedelta(days=2))
    body = client.get(f"/api/v1/surveys/{later.pk}").json()
    assert body["accepting"] is False and body["message"].startswith("问卷将于")


def test_drafts_and_unknown_surveys_are_not_found(client, world):
    draft = make_survey(world, status="draft")
    for path in (f"/api/v1/surveys/{draft.pk}", "/api/v1/surveys/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "问卷不存在。"}}
    for survey_id in (draft.pk, 999999):
        response = post(client, survey_id, {"answers": {}})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- Answering ---------------------------------------------------------------------------------------


def test_an_answer_is_stored_once_per_device(client, world):
    survey = make_survey(world)
    q = questions(survey)
    body = {"answers": good_answers(survey), "device_id": "app-install-1", "category": "deputy"}
    response = post(client, survey.pk, body)
    assert response.status_code == 201, response.json()
    saved = Response.objects.get(pk=response.json()["id"])
    assert saved.survey_id == survey.pk and saved.channel == "api" and saved.category == "deputy"
    services.expand_pending(survey.pk)
    rows = Answer.objects.filter(response=saved)
    assert rows.count() == 1 + 4 + 2 + 1 + 1  # rating, matrix rows, two ticks, score, single
    assert set(rows.filter(question=q["multiple"]).values_list("choice", flat=True)) == {1, 3}
    assert rows.filter(channel="api", category="deputy").count() == rows.count()

    again = post(client, survey.pk, body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate"
    assert "已经提交过" in again.json()["error"]["message"]
    assert Response.objects.filter(survey=survey).count() == 1
    # Another device may answer.
    other = post(client, survey.pk, {**body, "device_id": "app-install-2"})
    assert other.status_code == 201


def test_a_named_survey_takes_one_answer_per_phone(client, world):
    survey = make_survey(world, anonymous=False)
    body = {"answers": good_answers(survey), "device_id": "phone-a", "name": "张三",
            "phone": "13812345678", "consent": True}  # fmt: skip
    first = post(client, survey.pk, body)
    assert first.status_code == 201
    saved = Response.objects.get(pk=first.json()["id"])
    assert saved.name == "张三" and saved.phone == "13812345678" and saved.consent_at
    again = post(client, survey.pk, {**body, "device_id": "phone-b", "phone": "138 1234 5678"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"


def test_a_named_survey_lists_respondent_and_answer_problems_together(client, world):
    survey = make_survey(world, anonymous=False)
    q = questions(survey)
    body = {"answers": good_answers(survey, rating=None), "name": "张三", "phone": "12345"}
    response = post(client, survey.pk, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    fields = {d["field"]: d["reason"] for d in error["details"]}
    assert fields["phone"] == "请填写11位手机号码。"
    assert fields["consent"] == "请阅读个人信息告知并勾选同意。"
    assert fields[f"answers.{q['rating'].pk}"] == "请回答此题。"
    assert {"question": q["rating"].pk, "field": f"answers.{q['rating'].pk}",
            "reason": "请回答此题。"} in error["details"]  # fmt: skip
    assert not Response.objects.exists()


def test_every_problem_is_listed_by_question(client, world):
    survey = make_survey(world)
    q = questions(survey)
    answers = good_answers(survey, rating=None, score=11, multiple=[1, 2, 3, 4],
                           matrix={"1": 1, "2": 2})  # fmt: skip
    response = post(client, survey.pk, {"answers": answers, "device_id": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "答卷有4处需要修改。"
    by_question = {d["question"]: d for d in error["details"]}
    assert by_question[q["rating"].pk]["reason"] == "请回答此题。"
    assert by_question[q["rating"].pk]["field"] == f"answers.{q['rating'].pk}"
    assert by_question[q["score"].pk]["reason"] == "请打0到10之间的整数分。"
    assert by_question[q["multiple"].pk]["reason"] == "最多选择3项。"
    assert "座谈交流、政策发布" in by_question[q["matrix"].pk]["reason"]
    assert [d["question"] for d in error["details"]] == [
        q["rating"].pk, q["matrix"].pk, q["multiple"].pk, q["score"].pk]  # fmt: skip
    assert not Response.objects.exists()


def test_a_question_hidden_by_its_condition_is_neither_required_nor_stored(client, world):
    survey = make_survey(world)
    q = questions(survey)
    # 没有 (2): the suggestion box is hidden, so its answer is dropped and its absence is fine.
    answers = good_answers(survey, textarea="这段文字不会保存")
    assert post(client, survey.pk, {"answers": answers, "device_id": "a"}).status_code == 201
    services.expand_pending()
    assert not Answer.objects.filter(question=q["textarea"]).exists()
    # 有 (1): now it is shown and required.
    shown = post(client, survey.pk, {"answers": good_answers(survey, single=1), "device_id": "b"})
    assert shown.status_code == 422
    assert shown.json()["error"]["details"] == [
        {"question": q["textarea"].pk, "field": f"answers.{q['textarea'].pk}",
         "reason": "请回答此题。"}]  # fmt: skip
    answers = good_answers(survey, single=1, textarea="  希望增加停车位  ")
    assert post(client, survey.pk, {"answers": answers, "device_id": "b"}).status_code == 201
    services.expand_pending()
    assert Answer.objects.get(question=q["textarea"]).text == "希望增加停车位"


def test_a_closed_or_not_yet_open_survey_refuses_answers(client, world):
    survey = make_survey(world, status="closed")
    response = post(client, survey.pk, {"answers": good_answers(survey)})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "closed",
        "message": "本问卷已结束收集，感谢您的关注。",
    }
    later = make_survey(world, opens_at=timezone.now() + timedelta(hours=3))
    response = post(client, later.pk, {"answers": good_answers(later)})
    assert response.status_code == 409 and response.json()["error"]["code"] == "closed"
    assert "开始填写" in response.json()["error"]["message"]


def test_a_malformed_body_has_the_one_error_shape(client, world):
    survey = make_survey(world)
    response = post(client, survey.pk, {"device_id": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["details"][0]["field"].endswith("answers")
    bad_category = post(client, survey.pk, {"answers": good_answers(survey), "category": "alien"})
    assert bad_category.status_code == 422
    assert bad_category.json()["error"]["details"] == [
        {"field": "category", "reason": "参加人类别不正确。"}]  # fmt: skip


def test_answering_costs_no_query_beyond_the_service(client, world):
    survey = make_survey(world)
    answers = good_answers(survey)
    services.get_definition(survey.pk)  # warm, as under load
    with CaptureQueriesContext(connection) as direct:
        services.submit_response(survey.pk, answers, channel="api", device_id="d1")
    with CaptureQueriesContext(connection) as api:
        response = post(client, survey.pk, {"answers": answers, "device_id": "d2"})
    assert response.status_code == 201
    everything = [x["sql"] for x in api.captured_queries]
    # Beyond the service: the one upsert of the per-address rate counter (ops.ratelimit).
    counted = [s for s in everything if "ops_ratecounter" in s]
    assert len(counted) == 1, everything
    sql = [s for s in everything if "ops_ratecounter" not in s]
    assert len(sql) == len(direct), sql
    # One INSERT: the response with its answers pending (inside a savepoint here).
    assert [s.split()[0] for s in sql if "SAVEPOINT" not in s] == ["INSERT"], sql


# --- Results ----------------------------------------------------------------------------------------


def test_results_are_for_staff_who_see_the_owning_unit(client, world):
    survey = make_survey(world)
    post(client, survey.pk, {"answers": good_answers(survey), "device_id": "r1"})
    path = f"/api/v1/surveys/{survey.pk}/results"
    assert client.get(path).status_code == 401

    _t, other_tree = create_token(world.users["nm_office"])
    refused = client.get(path, headers=_auth(other_tree))
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "forbidden", "message": "无权查看该问卷的结果。"}

    _t, owner = create_token(world.users["unit_admin"])
    response = client.get(path, headers=_auth(owner))
    assert response.status_code == 200
    body = response.json()
    assert body["responses"] == 1 and body["by_channel"]["api"] == 1

    _t, office = create_token(world.users["kf_office"])
    assert client.get(path, headers=_auth(office)).status_code == 200

    paper = client.get(path, {"channel": "paper"}, headers=_auth(owner)).json()
    assert paper["responses"] == 0
    online = client.get(path, {"channel": "online"}, headers=_auth(owner)).json()
    assert online["responses"] == 1
    bad = client.get(path, {"channel": "fax"}, headers=_auth(owner))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    missing = client.get("/api/v1/surveys/999999/results", headers=_auth(owner))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_openapi_document_lists_the_survey_endpoints(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/surveys", "/api/v1/surveys/{survey_id}",
            "/api/v1/surveys/{survey_id}/responses",
            "/api/v1/surveys/{survey_id}/results"} <= set(doc["paths"])  # fmt: skip
