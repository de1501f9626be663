"""Write paths for opinions. Every change is audit-logged; only the moves below are allowed:

    new ──assign──> assigned ──answer──> answered ──approve──> approved ──publish──> published
     │                 ▲  │                 │                     ▲         │
     │                 │  └─reassign─┐      └──return──> returned ─┘answer  └─unpublish─> approved
     └──merge──> merged              └──────────────────────────────┘

Deadlines count working days (openday.workdays): the campaign's `opinion_due_days`, default 15.
"""

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from openday.audit.services import record
from openday.events.models import CATEGORY_NAMES
from openday.lib import personal_data
from openday.lib.personal_data import is_mobile, is_phone, normalize_phone
from openday.lib.placeholders import refuse_placeholders
from openday.lib.text import clean_code
from openday.messaging.models import OutboundMessage
from openday.messaging.services import notify_org, queue_message
from openday.orgs.models import Membership, Org, Role

from .access import can_review, can_see, can_sort
from .models import Callback, Evidence, Opinion, RectificationStep

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.events.models import Event
    from openday.orgs.access import Access
    from openday.surveys.models import Answer, Response

_P = ParamSpec("_P")
_R = TypeVar("_R")

S = Opinion.Status
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # read aloud over the phone: no 0/O, 1/I
DEFAULT_DUE_DAYS = 15
CONTENT_LIMIT = 2000
DEFAULT_CONSENT = (
    "我们收集您的姓名和手机号，仅用于答复、回访和查询办理进度；手机号加密保存，"
    "办结后按规定期限删除。公开办理结果时姓名和手机号均作脱敏处理。不留联系方式也可以提交。"
)
EVIDENCE_TYPES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"%PDF": "application/pdf",
}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


class Refused(Exception):
    """A move the rules do not allow now; the message says why, in Chinese."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def office_of(org: Org | None) -> Org | None:
    """The nearest office at or above org (its openness office runs the opinions loop)."""
    if org is None:
        return None
    prefixes = [org.path[:i] for i in range(len(org.path), 0, -1) if org.path[i - 1] == "/"]
    prefixes.append(org.path)
    return Org.objects.filter(kind=Org.Kind.OFFICE, path__in=prefixes).order_by("-path").first()


def _locked(
    fn: "Callable[Concatenate[User | None, Opinion, _P], _R]",
) -> "Callable[Concatenate[User | None, Opinion, _P], _R]":
    """Run a move on a fresh, locked copy of the opinion inside a transaction, so two people
    acting at once are serialized and the second sees the first's result (e.g. a second
    'publish' is refused instead of sending the SMS twice); the caller's instance is then
    refreshed."""

    @wraps(fn)
    def wrapper(actor: "User | None", opinion: Opinion, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transaction.atomic():
            fresh = Opinion.objects.select_for_update().get(pk=opinion.pk)
            result = fn(actor, fresh, *args, **kwargs)
        opinion.refresh_from_db()
        # The move returned the locked copy: the caller gets its own instance, now refreshed.
        return cast(_R, opinion) if result is fresh else result

    return wrapper


def _log(action: str, actor: "User | None", opinion: Opinion, **changes: object) -> None:
    record(action, actor=actor, obj=opinion, changes=changes or None)


# --- Intake ------------------------------------------------------------------------------------


def check_submission(
    *,
    content: str | None,
    name: str | None,
    phone: str | None,
    anonymous: bool,
    consent: bool,
    category: str | None,
    public: bool,
) -> dict[str, str]:
    errors = {}
    content = (content or "").strip()
    if not content:
        errors["content"] = "请填写意见建议的内容。"
    elif len(content) > CONTENT_LIMIT:
        errors["content"] = f"意见内容请不要超过{CONTENT_LIMIT}字（现有{len(content)}字）。"
    if category and category not in CATEGORY_NAMES:
        errors["category"] = "参加人类别不正确。"
    name, phone = (name or "").strip(), (phone or "").strip()
    if not anonymous:
        if len(name) > 64:
            errors["name"] = "姓名太长。"
        # The public leaves a mobile (for SMS); staff may record a caller's landline too.
        if phone and not (is_mobile(phone) if public else is_phone(phone)):
            errors["phone"] = "请填写11位手机号码，或不填。" if public else "电话号码格式不正确。"
        if public and (name or phone) and not consent:
            errors["consent"] = "留下姓名或手机号时，请阅读个人信息告知并勾选同意。"
    return errors


def submit_opinion(
    *,
    content: str,
    source: str,
    office: Org | None = None,
    event: "Event | None" = None,
    name: str | None = "",
    phone: str | None = "",
    anonymous: bool = False,
    consent: bool = False,
    category: str | None = "",
    actor: "User | None" = None,
    topic_area: str | None = "",
    survey_response: "Response | None" = None,
    received_at: datetime | None = None,
) -> Opinion:
    """A new opinion from any channel; returns it with its tracking code."""
    public = source in (Opinion.Source.ONLINE, Opinion.Source.API)
    errors = check_submission(
        content=content,
        name=name,
        phone=phone,
        anonymous=anonymous,
        consent=consent,
        category=category,
        public=public,
    )
    if office is None and event is not None:
        office = office_of(event.unit)
    if office is None:
        errors["office"] = "请选择受理意见的政务公开办。"
    if errors or office is None:
        raise ValidationError(errors)
    opinion = Opinion(
        source=source,
        content=content.strip(),
        office=office,
        event=event,
        campaign=event.campaign if event is not None else None,
        category=category or "",
        anonymous=anonymous,
        topic_area=topic_area or (event.topic_area if event else ""),
        survey_response=survey_response,
        created_by=actor,
        received_at=received_at or timezone.now(),
    )
    if not anonymous:
        opinion.name = (name or "").strip()
        if phone:
            opinion.phone = normalize_phone(phone)
        if name or phone:
            opinion.consent_at = timezone.now() if (consent or not public) else None
    for _ in range(5):
        opinion.tracking_code = _code()
        try:
            with transaction.atomic():
                opinion.save(force_insert=True)
                _log("opinion.received", actor, opinion, 来源=opinion.get_source_display())
            break
        except IntegrityError:
            opinion.pk = None  # a tracking-code collision: draw again
    else:  # pragma: no cover - 32^10 codes
        raise RuntimeError("could not draw a free tracking code")
    notify_org(
        office,
        "收到新的意见建议",
        f"{opinion.tracking_code}：{opinion.short[:40]}",
        link=f"/staff/opinions/{opinion.pk}/",
    )
    return opinion


def opinion_from_answer(actor: "User | None", answer: "Answer") -> Opinion:
    """Turn a questionnaire's free-text answer into an opinion (source: questionnaire)."""
    response = answer.response
    survey = response.survey
    existing = Opinion.objects.filter(survey_response=response, content=answer.text).first()
    if existing is not None:
        return existing
    return submit_opinion(
        content=answer.text,
        source=Opinion.Source.SURVEY,
        event=survey.event,
        office=office_of(survey.org) if survey.event is None else None,
        name=response.name,
        phone=response.phone if response.phone_encrypted else "",
        anonymous=survey.anonymous,
        category=response.category,
        actor=actor,
        survey_response=response,
        received_at=response.submitted_at,
    )


def lookup(tracking_code: str | None, phone_tail: str | None) -> Opinion | None:
    """The opinion when code and the last four digits of the phone match; None otherwise
    (the same answer whether or not the code exists)."""
    code = clean_code(tracking_code)
    tail = (phone_tail or "").strip()  # the page and the API made it ASCII (lib.text)
    if not code:
        return None
    opinion = (
        Opinion.objects.filter(tracking_code=code).select_related("unit", "merged_into").first()
    )
    if opinion is None:
        return None
    expected = opinion.phone_last4
    if not expected:
        return opinion if not tail else None
    if tail.isascii() and secrets.compare_digest(expected, tail):
        return opinion
    return None


# --- Sorting: topic, merge, split ---------------------------------------------------------------


@_locked
def classify(
    actor: "User | None",
    opinion: Opinion,
    *,
    topic_area: str | None = None,
    topic: str | None = None,
    summary: str | None = None,
) -> Opinion:
    before = {"主题领域": opinion.topic_area, "分类": opinion.topic, "公开摘要": opinion.summary}
    if topic_area is not None:
        opinion.topic_area = topic_area.strip()[:32]
    if topic is not None:
        opinion.topic = topic.strip()[:64]
    if summary is not None:
        opinion.summary = summary.strip()[:200]
    opinion.save(update_fields=["topic_area", "topic", "summary", "updated_at"])
    after = {"主题领域": opinion.topic_area, "分类": opinion.topic, "公开摘要": opinion.summary}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        _log("opinion.classified", actor, opinion, **changes)
    return opinion


def merge(actor: "User | None", target: Opinion, others: Iterable[Opinion]) -> Opinion:
    """Merge duplicates into target; every submitter stays linked and hears the result."""
    ids = [o.pk for o in others if o.pk != target.pk]
    with transaction.atomic():
        locked = {
            o.pk: o for o in Opinion.objects.select_for_update().filter(pk__in=[target.pk, *ids])
        }
        target = locked[target.pk]
        others = [locked[i] for i in ids]
        if target.status == S.MERGED:
            raise Refused("不能合并到一条已被合并的意见。")
        if any(o.office_id != target.office_id for o in others):
            raise Refused("只能合并同一政务公开办受理的意见。")
        for o in others:
            if o.status not in (S.NEW, S.ASSIGNED, S.RETURNED):
                raise Refused(f"{o.tracking_code} 已答复或已公开，不能再合并。")
            o.status, o.merged_into = S.MERGED, target
            o.save(update_fields=["status", "merged_into", "updated_at"])
            # Those merged into o before now follow target too, so no one is left a step away.
            Opinion.objects.filter(merged_into=o).update(merged_into=target)
            _log("opinion.merged", actor, o, 合并到=target.tracking_code)
        _log(
            "opinion.merged",
            actor,
            target,
            合并了="、".join(o.tracking_code for o in others),
        )
        if target.status == S.PUBLISHED:
            # Late duplicates of a matter already answered hear the published result now.
            for o in others:
                if o.phone_encrypted:
                    queue_message(
                        OutboundMessage.Channel.SMS,
                        o.phone,
                        "意见办理结果",
                        kind="opinion_result",
                        params={"code": o.tracking_code, "decision": target.get_decision_display()},
                    )
    return target


@_locked
def split(actor: "User | None", opinion: Opinion, parts: Iterable[str]) -> list[Opinion]:
    """One opinion that raises several matters becomes several; the first keeps the code."""
    parts = [p.strip() for p in parts if p and p.strip()]
    if len(parts) < 2:
        raise ValidationError({"parts": "请至少拆分为两条，每条一段。"})
    if opinion.status not in (S.NEW, S.ASSIGNED, S.RETURNED):
        raise Refused("已答复或已公开的意见不能再拆分。")
    made = []
    with transaction.atomic():
        original = opinion.content
        opinion.content = parts[0]
        opinion.save(update_fields=["content", "updated_at"])
        for text in parts[1:]:
            new = submit_opinion(
                content=text,
                source=opinion.source,
                office=opinion.office,
                event=opinion.event,
                name=opinion.name,
                phone=opinion.phone if opinion.phone_encrypted else "",
                anonymous=opinion.anonymous,
                category=opinion.category,
                actor=actor,
                received_at=opinion.received_at,
                consent=True,
            )
            new.split_from = opinion
            new.consent_at = opinion.consent_at
            new.save(update_fields=["split_from", "consent_at"])
            made.append(new)
        _log(
            "opinion.split",
            actor,
            opinion,
            原文=original,
            拆出="、".join(m.tracking_code for m in made),
        )
    return made


# --- Assignment ---------------------------------------------------------------------------------


def due_days_for(opinion: Opinion) -> int:
    if opinion.campaign is not None and getattr(opinion.campaign, "opinion_due_days", None):
        return opinion.campaign.opinion_due_days
    return DEFAULT_DUE_DAYS


def handlers_of(unit: Org) -> "list[User]":
    """People who may be named responsible for a unit's opinions (anyone holding a role in the
    unit or one of its departments, handlers first)."""
    memberships = (
        Membership.objects.filter(org__path__startswith=unit.path, user__is_active=True)
        .select_related("user", "org")
        .order_by("user__full_name")
    )
    seen, people = set(), []
    for m in sorted(memberships, key=lambda m: m.role != Role.HANDLER):
        if m.user_id not in seen and m.role != Role.VIEWER:
            seen.add(m.user_id)
            people.append(m.user)
    return people


@_locked
def assign(
    actor: "User | None",
    opinion: Opinion,
    *,
    unit: Org | None,
    assignee: "User | None" = None,
    due_days: int | None = None,
    reason: str = "",
    today: date | None = None,
) -> Opinion:
    """认领/交办: a responsible unit, a named person (now or later by the unit) and a due date."""
    from openday.workdays.services import add_working_days

    if opinion.status not in (S.NEW, S.ASSIGNED, S.RETURNED):
        raise Refused(f"意见当前状态为“{opinion.get_status_display()}”，不能交办。")
    if unit is None:
        raise ValidationError({"unit": "请选择责任单位。"})
    if not unit.path.startswith(opinion.office.path):
        raise ValidationError({"unit": "责任单位应在本政务公开办所辖范围内。"})
    if assignee is not None and assignee not in handlers_of(unit):
        raise ValidationError({"assignee": "责任人应是该单位（或其部门）的工作人员。"})
    reassigning = opinion.status != S.NEW and (
        opinion.unit_id != unit.pk
        or (opinion.assignee_id and assignee and opinion.assignee_id != assignee.pk)
    )
    if reassigning and not reason.strip():
        raise ValidationError({"reason": "改派时请写明原因。"})
    if due_days is not None and not 1 <= due_days <= 90:
        raise ValidationError({"due_days": "办理期限应在1到90个工作日之间。"})
    before = {
        "责任单位": str(opinion.unit or ""),
        "责任人": str(opinion.assignee or ""),
        "办理期限": str(opinion.due_date or ""),
    }
    today = today or timezone.localdate()
    if opinion.due_date is None or due_days is not None or reassigning:
        due = add_working_days(today, due_days or due_days_for(opinion))
        opinion.due_date, opinion.due_estimated = due.date, due.estimated
    opinion.unit, opinion.assignee = (
        unit,
        assignee or (opinion.assignee if opinion.unit_id == unit.pk else None),
    )
    if opinion.status == S.NEW:
        opinion.status = S.ASSIGNED
    opinion.assigned_at = timezone.now()
    opinion.reminded_at = opinion.escalated_at = None
    opinion.save()
    after = {
        "责任单位": str(opinion.unit or ""),
        "责任人": str(opinion.assignee or ""),
        "办理期限": str(opinion.due_date or ""),
    }
    changes: dict[str, object] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if reason:
        changes["原因"] = reason.strip()
    _log(
        "opinion.reassigned" if reassigning else "opinion.assigned",
        actor,
        opinion,
        **changes,
    )
    notify_org(
        unit,
        "交办意见建议",
        f"{opinion.tracking_code}，请于{opinion.due_date:%m月%d日}前答复",
        link=f"/staff/opinions/{opinion.pk}/",
    )
    return opinion


# --- Answer, rectification, review, publication ------------------------------------------------


@_locked
def answer(actor: "User | None", opinion: Opinion, *, text: str | None, decision: str) -> Opinion:
    if opinion.status not in (S.ASSIGNED, S.RETURNED, S.ANSWERED):
        raise Refused(f"意见当前状态为“{opinion.get_status_display()}”，不能答复。")
    errors = {}
    text = (text or "").strip()
    if decision not in Opinion.Decision.values:
        errors["decision"] = "请选择采纳情况。"
    if not text:
        errors["answer"] = (
            "选择“解释说明”时，请写明未采纳的理由。"
            if decision == Opinion.Decision.EXPLAINED
            else "请填写答复内容。"
        )
    elif len(text) > 5000:
        errors["answer"] = "答复请不要超过5000字。"
    if errors:
        raise ValidationError(errors)
    refuse_placeholders(answer=text)  # a draft's 【请补充：…】 never reaches the public
    before = {"答复": opinion.answer, "采纳情况": opinion.get_decision_display()}
    opinion.answer, opinion.decision = text, decision
    opinion.status, opinion.answered_at, opinion.answered_by = S.ANSWERED, timezone.now(), actor
    opinion.save()
    _log(
        "opinion.answered",
        actor,
        opinion,
        答复=[before["答复"], text],
        采纳情况=[before["采纳情况"], opinion.get_decision_display()],
    )
    if opinion.unit is not None:
        notify_org(
            opinion.unit,
            "意见答复待审核",
            opinion.tracking_code,
            link=f"/staff/opinions/{opinion.pk}/",
        )
    return opinion


def add_step(
    actor: "User | None", opinion: Opinion, *, description: str, planned_date: date | None
) -> RectificationStep:
    errors = {}
    if not (description or "").strip():
        errors["description"] = "请填写整改措施。"
    if planned_date is None:
        errors["planned_date"] = "请填写计划完成日期。"
    if errors or planned_date is None:
        raise ValidationError(errors)
    if opinion.status in (S.NEW, S.MERGED):
        raise Refused("请先交办，再填写整改措施。")
    step = RectificationStep.objects.create(
        opinion=opinion,
        description=description.strip()[:300],
        planned_date=planned_date,
        created_by=actor,
    )
    _log(
        "opinion.step_added",
        actor,
        opinion,
        整改措施=step.description,
        计划完成=str(planned_date),
    )
    return step


def complete_step(
    actor: "User | None", step: RectificationStep, *, done_date: date | None
) -> RectificationStep:
    if done_date is None:
        raise ValidationError({"done_date": "请填写实际完成日期。"})
    if done_date > timezone.localdate():
        raise ValidationError({"done_date": "实际完成日期不能晚于今天。"})
    step.done_date = done_date
    step.save(update_fields=["done_date"])
    _log(
        "opinion.step_done",
        actor,
        step.opinion,
        整改措施=step.description,
        实际完成=str(done_date),
    )
    return step


def add_evidence(actor: "User | None", step: RectificationStep, upload: UploadedFile) -> Evidence:
    """A photo (PNG/JPEG) or PDF, checked by its content, at most 10 MB."""
    assert upload.size is not None and upload.name is not None  # an upload has both
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError({"file": "文件不能超过 10 MB。"})
    head = upload.read(8)
    upload.seek(0)
    content_type = next((t for magic, t in EVIDENCE_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        raise ValidationError({"file": "只能上传照片（JPG、PNG）或 PDF 文件。"})
    evidence = Evidence.objects.create(
        step=step,
        file=upload,
        name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    _log(
        "opinion.evidence_added",
        actor,
        step.opinion,
        整改措施=step.description,
        文件=evidence.name,
    )
    return evidence


@_locked
def review(
    actor: "User | None",
    opinion: Opinion,
    *,
    approve: bool,
    note: str | None = "",
    publish: bool = False,
) -> Opinion:
    """The unit admin's check before anything is published: approve (and publish) or return."""
    if opinion.status != S.ANSWERED:
        raise Refused("只有待审核的答复可以审核。")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "退回修改时请写明审核意见。"})
    opinion.status = S.APPROVED if approve else S.RETURNED
    opinion.review_note, opinion.reviewed_at, opinion.reviewed_by = note, timezone.now(), actor
    opinion.save()
    _log(
        "opinion.approved" if approve else "opinion.returned",
        actor,
        opinion,
        审核意见=note,
    )
    if approve and publish:
        publish_result(actor, opinion)
    elif not approve and opinion.assignee_id and opinion.unit is not None:
        notify_org(
            opinion.unit,
            "意见答复被退回修改",
            f"{opinion.tracking_code}：{note}",
            link=f"/staff/opinions/{opinion.pk}/",
        )
    return opinion


def _tell_submitters(opinion: Opinion) -> None:
    """Each submitter, the merged ones too, hears the result with their own tracking code."""
    people = [opinion, *Opinion.objects.filter(merged_into=opinion)]
    decision = opinion.get_decision_display()
    for o in people:
        if o.phone_encrypted:
            queue_message(
                OutboundMessage.Channel.SMS,
                o.phone,
                "意见办理结果",
                kind="opinion_result",
                params={"code": o.tracking_code, "decision": decision},
            )


@_locked
def publish_result(actor: "User | None", opinion: Opinion) -> Opinion:
    if opinion.status != S.APPROVED:
        raise Refused("答复经单位管理员审核通过后才能公开。")
    opinion.status, opinion.published_at = S.PUBLISHED, timezone.now()
    opinion.save(update_fields=["status", "published_at", "updated_at"])
    _log("opinion.published", actor, opinion)
    _tell_submitters(opinion)
    return opinion


@_locked
def unpublish(actor: "User | None", opinion: Opinion, *, reason: str) -> Opinion:
    if opinion.status != S.PUBLISHED:
        raise Refused("这条意见没有公开。")
    if not (reason or "").strip():
        raise ValidationError({"reason": "撤回公开时请写明原因。"})
    opinion.status, opinion.published_at = S.APPROVED, None
    opinion.save(update_fields=["status", "published_at", "updated_at"])
    _log("opinion.unpublished", actor, opinion, 原因=reason.strip())
    return opinion


# --- Bulk moves: the single moves, one opinion at a time ----------------------------------------

BULK_LIMIT = 200
NOT_FOUND = "找不到这条意见，或您无权查看。"


@dataclass
class BulkResult:
    """What a bulk move did: the opinions moved and, for each one not moved, its label (the
    tracking code, or the id asked for when the actor may not see it) and the reason."""

    done: list[Opinion] = dc_field(default_factory=list)
    refused: list[tuple[str, str]] = dc_field(default_factory=list)

    def summary(self, verb: str) -> str:
        """已交办 3 条；1 条未处理：ABC — 原因。"""
        text = f"{verb} {len(self.done)} 条"
        if self.refused:
            listed = "；".join(f"{label} — {reason.rstrip('。')}" for label, reason in self.refused)
            text += f"；{len(self.refused)} 条未处理：{listed}"
        return text + "。"


def _bulk_load(
    actor: "User", opinions: "Iterable[Opinion | int]"
) -> "tuple[Access, list[Opinion], BulkResult]":
    """The opinions asked for (ids or instances), at most BULK_LIMIT, fresh from the database;
    unknown ones and those the actor may not see are refused alike."""
    from openday.orgs.access import Access

    wanted = list(dict.fromkeys(o.pk if isinstance(o, Opinion) else int(o) for o in opinions))
    if not wanted:
        raise Refused("请先勾选要处理的意见。")
    if len(wanted) > BULK_LIMIT:
        raise Refused(f"一次最多处理{BULK_LIMIT}条，本次选择了{len(wanted)}条。")
    found = Opinion.objects.select_related("office", "unit", "event__unit", "assignee").in_bulk(
        wanted
    )
    access, items, result = Access(actor), [], BulkResult()
    for pk in wanted:
        opinion = found.get(pk)
        if opinion is None or not can_see(access, opinion):
            result.refused.append((f"编号 {pk}", NOT_FOUND))
        else:
            items.append(opinion)
    return access, items, result


def _bulk_each(result: BulkResult, opinion: Opinion, move: Callable[[Opinion], object]) -> None:
    """One opinion's move in its own savepoint: a refusal undoes that opinion only."""
    try:
        with transaction.atomic():
            move(opinion)
    except Refused as exc:
        result.refused.append((opinion.tracking_code, exc.message))
    except ValidationError as exc:
        result.refused.append((opinion.tracking_code, "；".join(exc.messages)))
    else:
        result.done.append(opinion)


def bulk_assign(
    actor: "User",
    opinions: "Iterable[Opinion | int]",
    *,
    unit: Org,
    assignee: "User | None" = None,
    due_days: int | None = None,
    today: date | None = None,
) -> BulkResult:
    """批量交办: `assign` for each opinion the actor may sort (the office above it). An opinion
    already with another unit is left alone: reassigning needs a reason, given on its page."""
    access, items, result = _bulk_load(actor, opinions)
    for opinion in items:
        if not can_sort(access, opinion):
            result.refused.append((opinion.tracking_code, "只有政务公开办可以交办这条意见。"))
        elif unit.pk == opinion.office_id or not unit.is_active:
            result.refused.append((opinion.tracking_code, "请选择本政务公开办所辖的责任单位。"))
        elif opinion.status in (S.ASSIGNED, S.RETURNED) and opinion.unit_id != unit.pk:
            result.refused.append(
                (opinion.tracking_code, "已交办给其他单位，改派请在意见页面写明原因。")
            )
        else:
            _bulk_each(
                result,
                opinion,
                lambda o: assign(
                    actor, o, unit=unit, assignee=assignee, due_days=due_days, today=today
                ),
            )
    return result


def bulk_review(
    actor: "User", opinions: "Iterable[Opinion | int]", *, publish: bool = False
) -> BulkResult:
    """批量审核通过: `review` (approve, and publish when asked) for each answer the actor may
    review (the unit's admins and the office above)."""
    access, items, result = _bulk_load(actor, opinions)
    for opinion in items:
        if not can_review(access, opinion):
            result.refused.append((opinion.tracking_code, "您无权审核这条意见。"))
        else:
            _bulk_each(
                result, opinion, lambda o: review(actor, o, approve=True, note="", publish=publish)
            )
    return result


# --- Reminders ----------------------------------------------------------------------------------


def remind_and_escalate(today: date | None = None) -> dict[str, int]:
    """Before the due date, remind the unit; once overdue, tell the unit and the office.
    Each opinion is claimed with a conditional update, so two workers never send twice."""
    from openday.workdays.services import add_working_days

    today = today or timezone.localdate()
    soon = add_working_days(today, 2).date
    now = timezone.now()
    reminded = escalated = 0
    waiting = Opinion.objects.filter(status__in=Opinion.OPEN_STATUSES).exclude(due_date=None)
    for o in waiting.filter(
        due_date__lte=soon, due_date__gte=today, reminded_at=None
    ).select_related("unit"):
        if Opinion.objects.filter(pk=o.pk, reminded_at=None).update(reminded_at=now) and o.unit:
            notify_org(
                o.unit,
                "意见建议即将到期",
                f"{o.tracking_code} 请于{o.due_date:%m月%d日}前答复",
                link=f"/staff/opinions/{o.pk}/",
            )
            reminded += 1
    for o in waiting.filter(due_date__lt=today, escalated_at=None).select_related("unit", "office"):
        if Opinion.objects.filter(pk=o.pk, escalated_at=None).update(escalated_at=now):
            text = f"{o.tracking_code} 已超过办理期限（{o.due_date:%m月%d日}）"
            if o.unit:
                notify_org(o.unit, "意见建议已超期", text, link=f"/staff/opinions/{o.pk}/")
            notify_org(o.office, "意见建议已超期", text, link=f"/staff/opinions/{o.pk}/")
            record("opinion.escalated", obj=o, changes={"办理期限": str(o.due_date)})
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


# --- Call-backs ---------------------------------------------------------------------------------

SATISFACTION = range(1, 6)


def build_call_list(
    actor: "User | None", *, event: "Event | None" = None, org: Org | None = None
) -> int:
    """Call-back rows for the submitters of published opinions (of the event, or of org's units)
    and, for an event, its participants who checked in. Existing rows are kept."""
    made = 0
    opinions = Opinion.objects.filter(status=S.PUBLISHED).exclude(phone_encrypted="")
    if event is not None:
        opinions = opinions.filter(event=event)
        scope_org = event.unit
    else:
        assert org is not None, "build_call_list needs an event or an org"
        opinions = opinions.filter(unit__path__startswith=org.path)
        scope_org = org
    for o in opinions:
        _, created = Callback.objects.get_or_create(
            opinion=o,
            phone_hash=o.phone_hash,
            defaults={
                "org": event.unit if event is not None else (o.unit or o.office),
                "event": o.event,
                "name": o.name,
                "phone_encrypted": o.phone_encrypted,
            },
        )
        made += created
    if event is not None:
        for r in event.registrations.exclude(checked_in_at=None).exclude(phone_encrypted=""):
            _, created = Callback.objects.get_or_create(
                event=event,
                opinion=None,
                phone_hash=r.phone_hash,
                defaults={
                    "org": event.unit,
                    "registration": r,
                    "name": r.name,
                    "phone_encrypted": r.phone_encrypted,
                },
            )
            made += created
    record(
        "callback.list_built",
        actor=actor,
        org=scope_org,
        changes={"新增": made, "活动": event.title if event else ""},
    )
    return made


def reveal_phone(actor: "User | None", callback: Callback) -> str:
    """The full number, for the person about to call; the viewing is audit-logged."""
    record("callback.phone_viewed", actor=actor, obj=callback)
    return callback.phone


def log_call(
    actor: "User | None",
    callback: Callback,
    *,
    outcome: str,
    satisfaction_handling: int | None = None,
    satisfaction_event: int | None = None,
    notes: str | None = "",
    retry_at: datetime | None = None,
) -> Callback:
    errors = {}
    if outcome not in Callback.Outcome.values or outcome == Callback.Outcome.TODO:
        errors["outcome"] = "请选择回访结果。"
    for field, value in (
        ("satisfaction_handling", satisfaction_handling),
        ("satisfaction_event", satisfaction_event),
    ):
        if value is not None and value not in SATISFACTION:
            errors[field] = "满意度请选择1到5分。"
    if outcome != Callback.Outcome.REACHED and (satisfaction_handling or satisfaction_event):
        errors["outcome"] = "未接通时不能记录满意度。"
    if errors:
        raise ValidationError(errors)
    if outcome == Callback.Outcome.NO_ANSWER and retry_at is None:
        retry_at = timezone.now() + timedelta(days=1)
    callback.outcome, callback.attempts = outcome, callback.attempts + 1
    callback.satisfaction_handling = satisfaction_handling
    callback.satisfaction_event = satisfaction_event
    callback.notes = (notes or "").strip()
    callback.retry_at = retry_at if outcome == Callback.Outcome.NO_ANSWER else None
    callback.caller, callback.called_at = actor, timezone.now()
    callback.save()
    record(
        "callback.logged",
        actor=actor,
        obj=callback,
        changes={
            "结果": callback.get_outcome_display(),
            "办理满意度": satisfaction_handling,
            "活动满意度": satisfaction_event,
        },
    )
    return callback


def anonymize_closed_opinions(
    now: datetime | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """Remove the names and phones of opinions whose loop closed RETENTION_DAYS ago.

    Closed means published (the result was made public) or merged into another opinion.
    The text, topic, answer and figures stay; the people's call-back records lose their name
    and number too (the hash becomes "removed:<pk>", outside every unique constraint).
    One audit entry per office and run says how many were removed."""
    from django.conf import settings
    from django.db.models import Count, Q

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    closed = Q(status=Opinion.Status.PUBLISHED, published_at__lt=cutoff) | Q(
        status=Opinion.Status.MERGED, updated_at__lt=cutoff
    )
    old = Opinion.objects.filter(closed)
    erase = personal_data.erase_in_batches
    holding = old.exclude(name="", phone_encrypted="")
    per_office = holding.values("office_id").annotate(n=Count("id")).order_by()
    offices = {row["office_id"]: row["n"] for row in per_office}
    done = erase(
        holding,
        {"name": "", "phone_encrypted": "", "phone_hash": "", "phone_last4": ""},
        batch_size,
    )
    called = erase(
        Callback.objects.filter(opinion__in=old).exclude(name="", phone_encrypted=""),
        {"name": "", "phone_encrypted": "", "phone_hash": personal_data.removed_hash()},
        batch_size,
    )
    for office in Org.objects.filter(pk__in=offices):
        record(
            "opinion.personal_data_removed",
            org=office,
            changes={"opinions": offices[office.pk], "retention_days": settings.RETENTION_DAYS},
        )
    return {"opinions": done, "callbacks": called}
