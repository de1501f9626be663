"""Staff endpoints of the opinions loop (token): list, assign, answer, review, publish.

The same rules as the staff pages: openday.opinions.access decides, openday.opinions.services acts.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from openday.accounts.models import User
from openday.lib import validation
from openday.lib.edge import InputSchema
from openday.lib.params import ObjectId, Offset
from openday.opinions import access
from openday.opinions import services as ops
from openday.opinions.models import Opinion
from openday.orgs.models import Org

router = Router(tags=["意见建议（工作人员）"])


class StaffOpinionOut(Schema):
    id: int
    tracking_code: str
    status: str
    status_label: str
    source: str
    content: str
    name: str
    phone: str
    category: str
    event_id: int | None
    office: str
    unit: str | None
    assignee: str | None
    due_date: date | None
    due_estimated: bool
    received_at: datetime
    decision: str
    answer: str


def _out(o):
    return {
        "id": o.pk,
        "tracking_code": o.tracking_code,
        "status": o.status,
        "status_label": o.get_status_display(),
        "source": o.source,
        "content": o.content,
        "name": o.masked_name,
        "phone": o.masked_phone,
        "category": o.category,
        "event_id": o.event_id,
        "office": o.office.name,
        "unit": o.unit.name if o.unit else None,
        "assignee": o.assignee.full_name or o.assignee.username if o.assignee else None,
        "due_date": o.due_date,
        "due_estimated": o.due_estimated,
        "received_at": o.received_at,
        "decision": o.decision,
        "answer": o.answer,
    }


def _error(code, message, status, **extra):
    from .v1 import error

    return error(code, message, status, **extra)


def _invalid(exc):
    details = validation.details(exc)
    return _error("invalid", "请求内容不正确。", 422, details=details)


def _get(request, opinion_id, check, message):
    o = get_object_or_404(
        Opinion.objects.select_related("office", "unit", "assignee", "campaign"), pk=opinion_id
    )
    if not access.can_see(request.access, o) or not check(request.access, o):
        raise PermissionDenied(message)
    return o


@router.get("/staff/opinions", response=list[StaffOpinionOut])
def list_opinions(
    request,
    status: str = "",
    event_id: ObjectId | None = None,
    mine: bool = False,
    limit: int = 100,
    offset: Offset = 0,
):
    """Opinions the token's user may see (a handler: those assigned to them); names and phones
    masked. Newest first; `limit` at most 500."""
    qs = access.visible(request.access).select_related("office", "unit", "assignee")
    if status:
        qs = qs.filter(status=status)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if mine:
        qs = qs.filter(assignee=request.user)
    limit = max(1, min(limit, 500))
    return [_out(o) for o in qs[offset : offset + limit]]


class AssignIn(InputSchema):
    unit_id: ObjectId
    assignee_id: ObjectId | None = None
    due_days: int | None = None
    reason: str = ""


@router.post("/opinions/{opinion_id}/assign", response=StaffOpinionOut)
def assign(request, opinion_id: ObjectId, payload: AssignIn):
    """认领/交办: a responsible unit, optionally a named person, a due date in working days."""
    o = _get(request, opinion_id, access.can_assign_person, "无权交办这条意见。")
    unit = Org.objects.filter(pk=payload.unit_id).first()
    if unit is None:
        return _error(
            "invalid",
            "责任单位不存在。",
            422,
            details=[{"field": "unit_id", "reason": "责任单位不存在。"}],
        )
    if not access.can_sort(request.access, o) and unit.pk != o.unit_id:
        raise PermissionDenied("单位管理员只能在本单位内指定责任人；改派其他单位请联系政务公开办。")
    assignee = User.objects.filter(pk=payload.assignee_id).first() if payload.assignee_id else None
    try:
        ops.assign(
            request.user,
            o,
            unit=unit,
            assignee=assignee,
            due_days=payload.due_days,
            reason=payload.reason,
        )
    except ValidationError as exc:
        return _invalid(exc)
    except ops.Refused as exc:
        return _error("conflict", exc.message, 409)
    return _out(o)


class AnswerIn(InputSchema):
    answer: str
    decision: str


@router.post("/opinions/{opinion_id}/answer", response=StaffOpinionOut)
def answer(request, opinion_id: ObjectId, payload: AnswerIn):
    """The answer and the adoption decision: adopted, partly, explained (with reasons), solved."""
    o = _get(request, opinion_id, access.can_answer, "无权答复这条意见。")
    try:
        ops.answer(request.user, o, text=payload.answer, decision=payload.decision)
    except ValidationError as exc:
        return _invalid(exc)
    except ops.Refused as exc:
        return _error("conflict", exc.message, 409)
    return _out(o)


class ReviewIn(InputSchema):
    approve: bool
    note: str = ""
    publish: bool = False


@router.post("/opinions/{opinion_id}/review", response=StaffOpinionOut)
def review(request, opinion_id: ObjectId, payload: ReviewIn):
    """The unit admin's review: approve (and publish), or return with a note."""
    o = _get(request, opinion_id, access.can_review, "无权审核这条意见的答复。")
    try:
        ops.review(
            request.user,
            o,
            approve=payload.approve,
            note=payload.note,
            publish=payload.publish,
        )
    except ValidationError as exc:
        return _invalid(exc)
    except ops.Refused as exc:
        return _error("conflict", exc.message, 409)
    return _out(o)


@router.post("/opinions/{opinion_id}/publish", response=StaffOpinionOut)
def publish(request, opinion_id: ObjectId):
    """Publish an approved answer on the results board and tell the submitter(s)."""
    o = _get(request, opinion_id, access.can_review, "无权公开这条意见的办理结果。")
    try:
        ops.publish_result(request.user, o)
    except ops.Refused as exc:
        return _error("conflict", exc.message, 409)
    return _out(o)
