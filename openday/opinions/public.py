"""What the public may see of opinions, shared by the portal pages and the public API so both
say the same: the progress of one opinion by tracking code and phone tail (with the look-up
rate limit), and the results board (采纳及整改结果公开).
"""

import re
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from openday.audit import context
from openday.campaigns.models import Campaign
from openday.events.models import Event
from openday.lib import params as param
from openday.lib import text
from openday.lib.masking import mask_name
from openday.opinions.models import Opinion
from openday.ops import ratelimit
from openday.orgs.models import Org

S = Opinion.Status
D = Opinion.Decision
BOARD_PAGE_SIZE = 20


# --- Look-up rate limit ---------------------------------------------------------------------------

NOT_FOUND_MESSAGE = (
    "没有查到对应的意见。请核对查询码和手机号后四位；提交时没有留手机号的，后四位请留空。"
)


def lookup_limit(code: str) -> ratelimit.Limited | None:
    """The limit this look-up is over, or None: failed look-ups are counted per address and
    per tracking code in the shared store (ops.ratelimit), so codes cannot be guessed and a
    code's phone tail cannot be tried through, across processes and restarts."""
    try:
        ratelimit.blocked(("lookup.address", context.current().ip), ("lookup.code", code))
    except ratelimit.Limited as exc:
        return exc
    return None


def note_failed_lookup(code: str) -> None:
    try:
        ratelimit.hit(("lookup.address", context.current().ip), ("lookup.code", code))
    except ratelimit.Limited:
        pass  # counted; the next look-up is refused by lookup_limit


def ascii_text(value: object) -> str:
    """Digits and letters however typed (full-width, other scripts) as ASCII, no spaces."""
    return text.identifier(value)


def normalize_code(value: object) -> str:
    return text.clean_code(value)


TAIL_RE = re.compile(r"^[0-9]{4}$")


# --- What the public may see --------------------------------------------------------------------

PUBLIC_STATUS: dict[str, tuple[str, str]] = {
    S.NEW: ("received", "已收到，正在分派给责任单位"),
    S.ASSIGNED: ("in_progress", "正在办理"),
    S.RETURNED: ("in_progress", "正在办理"),
    S.ANSWERED: ("in_progress", "正在办理"),
    S.APPROVED: ("in_progress", "正在办理"),
    S.PUBLISHED: ("published", "已办结，结果已公开"),
    S.MERGED: ("merged", "已与同一事项的意见合并办理"),
}

_MOBILE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])"
)


def scrub(text: str | None, opinion: Opinion) -> str:
    """Text for the public: mobile numbers and the submitter's name masked, wherever typed."""
    text = _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text or "")
    name = (opinion.name or "").strip()
    if len(name) >= 2:
        text = text.replace(name, mask_name(name))
    return text


def public_short(opinion: Opinion) -> str:
    """Opinion.short, masked before it is cut so that no number is left half-masked."""
    text = scrub(opinion.summary or opinion.content, opinion)
    return text if len(text) <= 120 else text[:118] + "……"


def _final(opinion: Opinion) -> Opinion:
    """The opinion a merged one now lives in (following a chain, a few hops at most)."""
    seen = {opinion.pk}
    while opinion.status == S.MERGED and opinion.merged_into_id and len(seen) < 6:
        opinion = Opinion.objects.select_related("unit").get(pk=opinion.merged_into_id)
        if opinion.pk in seen:
            break
        seen.add(opinion.pk)
    return opinion


def _steps(opinion: Opinion) -> list[dict[str, Any]]:
    return [
        {"description": s.description, "planned_date": s.planned_date, "done_date": s.done_date}
        for s in opinion.steps.all()
    ]


def progress(opinion: Opinion) -> dict[str, Any]:
    """Status and, once published, the result, in plain words; no personal data."""
    code, label = PUBLIC_STATUS[opinion.status]
    out = {
        "status": code,
        "status_label": label,
        "received_at": opinion.received_at,
        "unit": opinion.unit.name if opinion.status != S.NEW and opinion.unit is not None else None,
        "due_date": opinion.due_date if opinion.status != S.NEW else None,
        "due_estimated": bool(opinion.due_date and opinion.due_estimated),
    }
    if opinion.status == S.PUBLISHED:
        out.update(
            answered_at=opinion.answered_at,
            decision=opinion.decision,
            decision_label=opinion.get_decision_display(),
            answer=scrub(opinion.answer, opinion),
            steps=_steps(opinion),
        )
    return out


def public_result(opinion: Opinion) -> dict[str, Any]:
    """What the submitter sees with code and phone tail (page and API)."""
    out = {"tracking_code": opinion.tracking_code, **progress(opinion)}
    if opinion.status == S.MERGED:
        target = _final(opinion)
        out["unit"], out["due_date"], out["due_estimated"] = None, None, False
        if target.pk != opinion.pk and target.status != S.MERGED:
            out["merged_into"] = progress(target)
    return out


def public_offices() -> QuerySet[Org]:
    """Offices the public may address an opinion to: active offices with active units."""
    return (
        Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True)
        .annotate(
            unit_count=Count(
                "children", filter=Q(children__kind=Org.Kind.UNIT, children__is_active=True)
            )
        )
        .filter(unit_count__gt=0)
        .order_by("path")
    )


def public_events() -> QuerySet[Event]:
    return Event.objects.exclude(status=Event.Status.DRAFT).select_related("unit", "campaign")


def _int(value: object) -> int | None:
    return param.id_or_none(value)


def board_scope(
    event_id: object = None, campaign_id: object = None
) -> tuple[QuerySet[Opinion], Event | None, Campaign | None]:
    """(published opinions in scope, event, campaign); Http404 for an unknown or draft one."""
    qs = Opinion.objects.filter(status=S.PUBLISHED)
    event = campaign = None
    if event_id not in (None, ""):
        number = _int(event_id)
        event = public_events().filter(pk=number).first() if number else None
        if event is None:
            raise Http404("活动不存在。")
        qs = qs.filter(event=event)
    elif campaign_id not in (None, ""):
        number = _int(campaign_id)
        campaign = (
            Campaign.objects.exclude(status=Campaign.Status.DRAFT)
            .select_related("office")
            .filter(pk=number)
            .first()
            if number
            else None
        )
        if campaign is None:
            raise Http404("活动不存在。")
        qs = qs.filter(Q(campaign=campaign) | Q(event__campaign=campaign))
    return qs, event, campaign


def board_summary(qs: QuerySet[Opinion]) -> dict[str, Any]:
    rows = qs.order_by().values("decision").annotate(n=Count("id"))
    counts = {row["decision"]: row["n"] for row in rows}
    decisions = [
        {"code": code, "label": label, "count": counts.get(code, 0)} for code, label in D.choices
    ]
    return {"total": sum(counts.values()), "decisions": decisions}


def board_queryset(qs: QuerySet[Opinion], decision: str = "") -> QuerySet[Opinion]:
    if decision:
        qs = qs.filter(decision=decision)
    return (
        qs.select_related("unit", "event")
        .prefetch_related("steps")
        .annotate(merged_count=Count("merged"))
        .order_by("-published_at", "-id")
    )


def board_row(o: Opinion) -> dict[str, Any]:
    steps = list(o.steps.all())
    done = [s for s in steps if s.done_date]
    pending = [s for s in steps if not s.done_date]
    latest = max(done, key=lambda s: (s.done_date, s.pk)) if done else None
    if latest is None and pending:
        latest = pending[0]
    latest_step = None
    if latest is not None:
        latest_step = {
            "description": latest.description,
            "planned_date": latest.planned_date,
            "done_date": latest.done_date,
        }
    return {
        "id": o.pk,
        "short": public_short(o),
        "submitter": o.masked_name,
        "category": o.category,
        "category_label": o.get_category_display() if o.category else "",
        "unit": o.unit.name if o.unit is not None else "",
        "event": (
            o.event.title if o.event is not None and o.event.status != Event.Status.DRAFT else ""
        ),
        "decision": o.decision,
        "decision_label": o.get_decision_display(),
        "answer": scrub(o.answer, o),
        "steps_total": len(steps),
        "steps_done": len(done),
        "latest_step": latest_step,
        "merged_count": getattr(o, "merged_count", 0),
        "received_at": o.received_at,
        "answered_at": o.answered_at,
        "published_at": o.published_at,
    }
