"""Opinions from the public: submitting from mini-programs and the government website, checking
progress with the tracking code, and the published results board. No personal data goes out:
names are masked, phone numbers never leave.

Look-up statuses: `received` (not yet with a unit), `in_progress` (with a unit, also while the
answer is being reviewed), `published` (the answer is public), `merged` (handled together with
another opinion on the same matter: `merged_into` carries that one's progress).
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from ninja import Router, Schema, Status

from openday.audit.services import client_ip
from openday.lib import pagecache, validation
from openday.lib.edge import InputSchema
from openday.lib.params import ObjectId, Page
from openday.lib.personal_data import normalize_phone
from openday.opinions import public, services
from openday.opinions.models import Opinion
from openday.ops import ratelimit

router = Router(tags=["意见建议"])

API_FIELDS = {"office": "office_id"}


def _error(code, message, status, **extra):
    from .v1 import error

    return error(code, message, status, **extra)


class OpinionIn(InputSchema):
    single_line = frozenset({"name", "phone", "category"})

    content: str = ""
    event_id: ObjectId | None = None
    office_id: ObjectId | None = None
    name: str | None = None
    phone: str | None = None
    category: str | None = None
    anonymous: bool = False
    consent: bool = False


class OpinionCreated(Schema):
    tracking_code: str


@router.post("/opinions", auth=None, response={201: OpinionCreated})
def create_opinion(request, payload: OpinionIn):
    """Submit an opinion. With `event_id` the event's openness office receives it (`office_id`
    is then ignored); otherwise `office_id` names an office (GET /orgs lists them for staff; the
    online form lists the public ones). Leaving `name` or `phone` requires `consent` to the
    notice (services.DEFAULT_CONSENT); `anonymous` stores neither. 404 for an unknown event;
    422 `invalid` lists every problem by field."""
    event = office = None
    if payload.event_id is not None:
        event = public.public_events().filter(pk=payload.event_id).first()
        if event is None:
            return _error("not_found", "活动不存在。", 404)
    elif payload.office_id is not None:
        office = public.public_offices().filter(pk=payload.office_id).first()
    ratelimit.hit(
        ("opinion.address", client_ip(request)),
        ("opinion.phone", normalize_phone(public.ascii_text(payload.phone))),
    )
    try:
        opinion = services.submit_opinion(
            content=payload.content,
            source=Opinion.Source.API,
            office=office,
            event=event,
            name=(payload.name or "").strip(),
            phone=public.ascii_text(payload.phone),
            anonymous=payload.anonymous,
            consent=payload.consent,
            category=payload.category or "",
        )
    except ValidationError as exc:
        details = validation.details(exc, API_FIELDS)
        return _error("invalid", f"意见建议有{len(details)}处需要修改。", 422, details=details)
    return Status(201, {"tracking_code": opinion.tracking_code})


class StepOut(Schema):
    description: str
    planned_date: date
    done_date: date | None


class BoardRowOut(Schema):
    id: int
    short: str
    submitter: str
    category: str
    category_label: str
    unit: str
    event: str
    decision: str
    decision_label: str
    answer: str
    steps_total: int
    steps_done: int
    latest_step: StepOut | None
    merged_count: int
    received_at: datetime
    answered_at: datetime | None
    published_at: datetime | None


class DecisionCount(Schema):
    code: str
    label: str
    count: int


class BoardSummary(Schema):
    total: int
    decisions: list[DecisionCount]


class BoardPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    summary: BoardSummary
    results: list[BoardRowOut]


# Registered before /opinions/{tracking_code} so that "published" is not read as a code.
@router.get("/opinions/published", auth=None, response=BoardPage)
def published_opinions(
    request,
    response: HttpResponse,
    event_id: ObjectId | None = None,
    campaign_id: ObjectId | None = None,
    decision: str = "",
    page: Page = 1,
):
    """The results board (采纳及整改结果公开), newest first, 20 a page: for one event, one
    campaign, or everything published. `decision` filters by adoption; `summary` counts the
    scope by decision. Submitters are masked; phone numbers are never included."""
    if decision and decision not in Opinion.Decision.values:
        reason = f"须为 {'、'.join(Opinion.Decision.values)} 之一。"
        return _error(
            "invalid", "请求参数不正确。", 422, details=[{"field": "decision", "reason": reason}]
        )
    if page < 1:
        return _error(
            "invalid",
            "请求参数不正确。",
            422,
            details=[{"field": "page", "reason": "页码从 1 开始。"}],
        )
    if unchanged := pagecache.not_modified(request, response, ["board", "events", "campaigns"]):
        return unchanged
    try:
        qs, _event, _campaign = public.board_scope(event_id, campaign_id)
    except Http404:
        return _error("not_found", "活动不存在。", 404)
    paginator = Paginator(public.board_queryset(qs, decision), public.BOARD_PAGE_SIZE)
    current = paginator.get_page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "page_size": public.BOARD_PAGE_SIZE,
        "summary": public.board_summary(qs),
        "results": [public.board_row(o) for o in current.object_list],
    }


class ProgressOut(Schema):
    status: str
    status_label: str
    received_at: datetime
    unit: str | None
    due_date: date | None
    due_estimated: bool
    answered_at: datetime | None = None
    decision: str | None = None
    decision_label: str | None = None
    answer: str | None = None
    steps: list[StepOut] | None = None


class LookupOut(ProgressOut):
    tracking_code: str
    merged_into: ProgressOut | None = None


@router.get("/opinions/{tracking_code}", auth=None, response=LookupOut, exclude_unset=True)
def lookup_opinion(request, tracking_code: str, phone_tail: str = ""):
    """Progress of one opinion: the tracking code and the last four digits of the phone given
    with it (empty when none was given). Once published: the answer, the decision and the
    rectification steps. 404 `not_found` when code and tail do not match, whether or not the
    code exists; 429 `too_many_requests` (with Retry-After) after too many failed look-ups from
    one address or for one tracking code (shared with the web page, docs/api.md)."""
    code = public.normalize_code(tracking_code)
    limited = public.lookup_limit(code)
    if limited:
        raise limited
    tail = public.ascii_text(phone_tail)
    if tail and not public.TAIL_RE.match(tail):
        return _error(
            "invalid",
            "请求参数不正确。",
            422,
            details=[{"field": "phone_tail", "reason": "须为4位数字，或留空。"}],
        )
    opinion = services.lookup(code, tail)
    if opinion is None:
        public.note_failed_lookup(code)
        return _error("not_found", public.NOT_FOUND_MESSAGE, 404)
    return public.public_result(opinion)
