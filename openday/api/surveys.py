"""Questionnaires: answering from mini-programs and the government website, results for staff.

Answers use the shape of openday.surveys.answers, keyed by question id: single and rating the
option code (1 = first option), multiple a list of codes, score 0–10, text a string, matrix
{row code: scale code}.
"""

import time
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from openday.audit.services import client_ip
from openday.events.models import GUEST_CATEGORIES
from openday.lib import pagecache, validation
from openday.lib.edge import InputSchema
from openday.lib.params import ObjectId
from openday.ops import ratelimit
from openday.surveys import answers as checks
from openday.surveys import services
from openday.surveys.access import can_see_results
from openday.surveys.models import Response, Survey

router = Router(tags=["调查问卷"])

RESULT_CHANNELS = ("online", "paper")


def _error(code, message, status, **extra):
    from .v1 import error

    return error(code, message, status, **extra)


def _not_found():
    return _error("not_found", "问卷不存在。", 404)


class SurveySummaryOut(Schema):
    id: int
    title: str
    org: str
    event_id: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    anonymous: bool
    question_count: int


@router.get("/surveys", auth=None, response=list[SurveySummaryOut])
def list_surveys(request, response: HttpResponse):
    """Surveys the public may answer now. ETag: 304 to a matching If-None-Match."""
    # A survey opens and closes by the clock too: the ETag changes each minute as well.
    minute = int(time.time() // 60)
    if unchanged := pagecache.not_modified(request, response, ["surveys"], minute):
        return unchanged
    surveys = services.open_surveys()
    return [
        {
            "id": s.pk,
            "title": s.title,
            "org": s.org.name,
            "event_id": s.event_id,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "anonymous": s.anonymous,
            "question_count": s.question_count,  # type: ignore[attr-defined]  # open_surveys annotates it
        }
        for s in surveys
    ]


class CodeLabel(Schema):
    code: int
    label: str


class ShowIf(Schema):
    question: int
    values: list[int]


class QuestionOut(Schema):
    id: int
    kind: str
    title: str
    help_text: str
    required: bool
    options: list[CodeLabel]
    rows: list[CodeLabel]
    min_choices: int | None
    max_choices: int | None
    max_length: int | None
    show_if: ShowIf | None


class CategoryOut(Schema):
    code: str
    name: str


class SurveyOut(Schema):
    id: int
    title: str
    intro: str
    org: str
    event_id: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    anonymous: bool
    consent_text: str
    ask_category: bool
    categories: list[CategoryOut]
    accepting: bool
    message: str | None
    questions: list[QuestionOut]


def _coded(labels):
    return [{"code": i, "label": label} for i, label in enumerate(labels, 1)]


@router.get("/surveys/{survey_id}", auth=None, response=SurveyOut)
def get_survey(request, survey_id: ObjectId):
    """A published survey and its questions; when it does not take answers now, `message` says
    why. Only questions whose `show_if` is met are answered: {question, values} names an earlier
    question and the codes that show this one."""
    survey = Survey.objects.select_related("org").filter(pk=survey_id).first()
    if survey is None or survey.status == Survey.Status.DRAFT:
        return _not_found()
    defn = services.get_definition(survey.pk)
    accepting = services.accepting(defn)
    return {
        "id": survey.pk,
        "title": survey.title,
        "intro": survey.intro,
        "org": survey.org.name,
        "event_id": survey.event_id,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "anonymous": survey.anonymous,
        "consent_text": "" if survey.anonymous else survey.consent_text,
        "ask_category": survey.ask_category,
        "categories": [{"code": c, "name": n} for c, n in GUEST_CATEGORIES]
        if survey.ask_category
        else [],
        "accepting": accepting,
        "message": None if accepting else services.closed_message(defn),
        "questions": [
            {
                "id": q["id"],
                "kind": q["kind"],
                "title": q["title"],
                "help_text": q["help_text"],
                "required": q["required"] and q["kind"] != "section",
                "options": _coded(q["options"]),
                "rows": _coded(q["rows"]),
                "min_choices": q["min_choices"],
                "max_choices": q["max_choices"],
                "max_length": q["max_length"],
                "show_if": q["show_if"],
            }
            for q in defn["questions"]
        ],
    }


class ResponseIn(InputSchema):
    single_line = frozenset({"device_id", "name", "phone", "category"})

    answers: dict[str, Any]
    device_id: str | None = None
    name: str | None = None
    phone: str | None = None
    category: str | None = None
    consent: bool = False


class ResponseOut(Schema):
    id: int


def _answer_details(errors):
    return [
        {"question": qid, "field": f"answers.{qid}", "reason": reason}
        for qid, reason in errors.items()
    ]


@router.post("/surveys/{survey_id}/responses", auth=None, response={201: ResponseOut})
def create_response(request, survey_id: ObjectId, payload: ResponseIn):
    """Answer a survey, once per device (`device_id`: a stable id the app keeps) and, on a named
    survey, once per phone. 409 `duplicate` for a second answer, 409 `closed` outside the
    collecting period; 422 `invalid` lists every problem, by question; 429 `too_many_requests`
    past the limit per address."""
    ratelimit.hit(("survey.address", client_ip(request)))
    try:
        response = services.submit_response(
            survey_id,
            payload.answers,
            channel=Response.Channel.API,
            device_id=payload.device_id or "",
            name=payload.name or "",
            phone=payload.phone or "",
            category=payload.category or "",
            consent=payload.consent,
        )
    except Survey.DoesNotExist:
        return _not_found()
    except services.Refused as exc:
        return _error(exc.code, exc.message, 409)
    except ValidationError as exc:
        details = validation.details(exc)
        # The service stops at the respondent's details; list the answers' problems as well.
        try:
            checks.clean(services.get_definition(survey_id), payload.answers)
        except checks.AnswerError as answer_exc:
            details += _answer_details(answer_exc.errors)
        return _error("invalid", f"答卷有{len(details)}处需要修改。", 422, details=details)
    except checks.AnswerError as exc:
        details = _answer_details(exc.errors)
        return _error("invalid", f"答卷有{len(details)}处需要修改。", 422, details=details)
    return Status(201, {"id": response.pk})


@router.get("/surveys/{survey_id}/results", response=dict)
def survey_results(request, survey_id: ObjectId, channel: str = ""):
    """Results by question, for those who may see the owning org; `channel` online or paper
    limits them to answers given that way."""
    survey = get_object_or_404(Survey.objects.select_related("org"), pk=survey_id)
    if not can_see_results(request.access, survey):
        raise PermissionDenied("无权查看该问卷的结果。")
    if channel and channel not in RESULT_CHANNELS:
        return _error(
            "invalid",
            "channel 须为 online 或 paper。",
            422,
            details=[{"field": "channel", "reason": "须为 online 或 paper。"}],
        )
    from openday.surveys import results

    return results.compute(survey, channel=channel or None)
