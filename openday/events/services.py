"""Write paths for events and registrations.

Capacity rule (pretix's, not Indico's): lock the event row, recount confirmed seats from the
database, then insert. Never check-then-insert without the lock.
"""

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from openday.audit.services import record
from openday.lib import personal_data
from openday.lib.personal_data import is_mobile, lookup_hash, normalize_phone
from openday.lib.text import InputError, clean_code, clean_text
from openday.messaging import kinds
from openday.messaging.models import OutboundMessage
from openday.messaging.services import queue_message
from openday.ops import ratelimit

from .models import CATEGORY_NAMES, Event, Quota, Registration
from .naming_rule import check_title

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.orgs.models import Org

    from .models import Invitation

TICKET_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
DEFAULT_CONSENT = (
    "为办理本次活动的报名、签到、通知和回访，我们将收集您的姓名、手机号、参加人类别和单位。"
    "手机号加密保存，活动结束后按规定期限删除或匿名化，不用于其他用途。"
)


class Refused(Exception):
    """A registration the rules do not allow; code is one of the API's error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- Events ------------------------------------------------------------------------------


def title_problems(title: str, unit: "Org", campaign: "Campaign | None") -> list[str]:
    if campaign is None:
        return []
    names = [n for n in (unit.name, unit.short_name) if n]
    result = check_title(
        title,
        patterns=campaign.name_patterns,
        forbidden=campaign.forbidden_names,
        unit_names=names,
        year=campaign.year,
    )
    return [] if result.ok else result.reasons


def check_event(unit: "Org", fields: dict[str, Any]) -> None:
    errors = {}
    title = (fields.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写会标（活动名称）。"
    else:
        problems = title_problems(title, unit, fields.get("campaign"))
        if problems:
            errors["title"] = " ".join(problems)
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if not starts:
        errors["starts_at"] = "请填写开始时间。"
    if not ends:
        errors["ends_at"] = "请填写结束时间。"
    elif starts and ends <= starts:
        errors["ends_at"] = "结束时间须晚于开始时间。"
    capacity = fields.get("capacity")
    if capacity is None or capacity < 1:
        errors["capacity"] = "总名额至少为 1。"
    quotas = fields.get("quotas") or {}
    unknown = [c for c in quotas if c not in CATEGORY_NAMES]
    if unknown:
        errors["quotas"] = f"未知的参加人类别：{'、'.join(unknown)}。"
    elif capacity and sum(quotas.values()) > capacity:
        errors["quotas"] = f"各类别名额之和（{sum(quotas.values())}）超过了总名额（{capacity}）。"
    elif any(v < 0 for v in quotas.values()):
        errors["quotas"] = "类别名额不能为负数。"
    if not fields.get("venues"):
        errors["venues"] = "请至少填写一个活动地点。"
    if fields.get("registration_mode") not in Event.Mode.values:
        errors["registration_mode"] = "报名方式须为：公开报名、报名需审核、仅限受邀之一。"
    opens, closes = fields.get("registration_opens_at"), fields.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = "报名截止时间须晚于报名开始时间。"
    if closes and starts and closes > starts:
        errors["registration_closes_at"] = "报名截止时间不能晚于活动开始时间。"
    if errors:
        raise ValidationError(errors)


EVENT_FIELDS = [
    "title",
    "theme",
    "topic_area",
    "forms",
    "summary",
    "starts_at",
    "ends_at",
    "venues",
    "agenda",
    "directory",
    "capacity",
    "waitlist_limit",
    "registration_mode",
    "registration_opens_at",
    "registration_closes_at",
    "consent_text",
    "campaign",
    "plan_entry",
]


def create_event(
    actor: "User | None",
    unit: "Org",
    *,
    quotas: dict[str, int] | None = None,
    publish: bool = False,
    **fields: Any,
) -> Event:
    fields.setdefault("registration_mode", Event.Mode.OPEN)
    check_event(unit, {**fields, "quotas": quotas})
    with transaction.atomic():
        data = {k: v for k, v in fields.items() if k in EVENT_FIELDS}
        data.setdefault("consent_text", DEFAULT_CONSENT)
        event = Event.objects.create(unit=unit, created_by=actor, **data)
        for code, seats in (quotas or {}).items():
            Quota.objects.create(event=event, category=code, seats=seats)
        record(
            "event.created",
            actor=actor,
            obj=event,
            changes={"title": [None, event.title], "capacity": [None, event.capacity]},
        )
        if publish:
            event = publish_event(actor, event)
    return event


def update_event(
    actor: "User | None", event: Event, *, quotas: dict[str, int] | None = None, **fields: Any
) -> Event:
    merged = {f: getattr(event, f) for f in EVENT_FIELDS}
    merged.update(fields)
    if quotas is None:
        quotas = {q.category: q.seats for q in event.quotas.all()}
    check_event(event.unit, {**merged, "quotas": quotas})
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED).count()
        if merged["capacity"] < confirmed:
            raise ValidationError(
                {"capacity": f"已有 {confirmed} 人报名成功，总名额不能少于此数。"}
            )
        before = {"title": event.title, "capacity": event.capacity}
        for key, value in merged.items():
            setattr(event, key, value)
        event.save()
        event.quotas.exclude(category__in=list(quotas)).delete()
        for code, seats in quotas.items():
            Quota.objects.update_or_create(event=event, category=code, defaults={"seats": seats})
        # More seats (or a larger quota) go to the waitlist first, in order, not to newcomers.
        _promote(event, quotas)
        _forget_full(event.pk)
        transaction.on_commit(lambda: _forget_full(event.pk))
        record(
            "event.updated",
            actor=actor,
            obj=event,
            changes={
                "title": [before["title"], event.title],
                "capacity": [before["capacity"], event.capacity],
            },
        )
    return event


def publish_event(actor: "User | None", event: Event) -> Event:
    """Publish and open registration (now, or when its window opens)."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status in (Event.Status.DRAFT, Event.Status.PUBLISHED):
            event.status = Event.Status.OPEN
            event.save(update_fields=["status", "updated_at"])
            record("event.published", actor=actor, obj=event)
    return event


def set_status(actor: "User | None", event: Event, status: str) -> Event:
    with transaction.atomic():
        old = event.status
        Event.objects.filter(pk=event.pk).update(status=status)
        event.status = status
        _forget_full(event.pk)
        transaction.on_commit(lambda: _forget_full(event.pk))
        record(
            "event.status",
            actor=actor,
            obj=event,
            changes={"status": [old, status]},
        )
    return event


# --- Seats -------------------------------------------------------------------------------


def category_seats(
    capacity: int, quotas: Mapping[str, int], confirmed: Mapping[str, int]
) -> tuple[int, list[dict[str, Any]]]:
    """The seat rule shown to the public: (seats left, [{code, name, quota, left}] for the
    categories the event invites, all if none set), from the confirmed count per category.
    A category with no seats is not invited (it would only ever wait)."""
    total_left = max(capacity - sum(confirmed.values()), 0)
    invited = {c: seats for c, seats in quotas.items() if seats > 0}
    if not invited:
        return total_left, [
            {"code": c, "name": n, "quota": None, "left": total_left}
            for c, n in CATEGORY_NAMES.items()
        ]
    return total_left, [
        {
            "code": c,
            "name": CATEGORY_NAMES[c],
            "quota": seats,
            "left": min(max(seats - confirmed.get(c, 0), 0), total_left),
        }
        for c, seats in invited.items()
    ]


def categories(event: Event) -> list[dict[str, Any]]:
    """[{code, name, quota, left}] for the categories the event invites (all if none set)."""
    confirmed = dict(
        event.registrations.filter(status=Registration.Status.CONFIRMED)
        .values_list("category")
        .annotate(n=Count("id"))
    )
    quotas = {q.category: q.seats for q in event.quotas.all()}
    return category_seats(event.capacity, quotas, confirmed)[1]


def seats_left(event: Event) -> int:
    confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED).count()
    return max(event.capacity - confirmed, 0)


def _fits(event: Event, category: str, quotas: Mapping[str, int]) -> tuple[bool, str]:
    """Whether one more confirmed seat of category fits; call while holding the event lock."""
    counts = event.registrations.filter(status=Registration.Status.CONFIRMED).aggregate(
        total=Count("id"), mine=Count("id", filter=Q(category=category))
    )
    if counts["total"] >= event.capacity:
        return False, "full"
    if category in quotas and counts["mine"] >= quotas[category]:
        return False, "quota_full"
    return True, ""


# Confirmed seats in all and in a category, the waitlist, and a phone's active registrations,
# over one event's active registrations. Plain SQL: every registration of a burst asks it
# (the ORM's query building cost more than the query).
_COUNTS = ("total", "mine", "waiting", "same_phone")
_COUNTS_SQL = (
    "SELECT SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS total,"
    " SUM(CASE WHEN status = %s AND category = %s THEN 1 ELSE 0 END) AS mine,"
    " SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS waiting,"
    " SUM(CASE WHEN phone_hash = %s THEN 1 ELSE 0 END) AS same_phone"
    " FROM events_registration WHERE event_id = %s AND status IN (%s, %s, %s)"
)


def _counts_params(event_id: int, category: str, phone_hash: str) -> list[str | int]:
    return [
        "confirmed",
        "confirmed",
        category,
        "waitlisted",
        phone_hash,
        event_id,
        *map(str, Registration.ACTIVE),
    ]


def _counts(event_id: int, category: str, phone_hash: str = "") -> dict[str, int]:
    """{total, mine, waiting, same_phone} (see _COUNTS_SQL); same_phone given a phone hash."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL, _counts_params(event_id, category, phone_hash))
        row = cursor.fetchone()
    return dict(zip(_COUNTS, (n or 0 for n in row), strict=True))


# The event's columns register() reads, in the model's field order (which from_db expects).
_EVENT_FIELDS = [
    "id",
    "unit_id",
    "title",
    "capacity",
    "waitlist_limit",
    "registration_mode",
    "status",
]

# One row per quota (one with NULLs when there are none); the event and the counts repeat.
# MATERIALIZED: counted once, not once per quota row (SQLite 3.35+, PostgreSQL 12+).
_SNAPSHOT_SQL = "".join(
    (
        "WITH c AS MATERIALIZED (",
        _COUNTS_SQL,
        ")"
        " SELECT e.id, e.unit_id, e.title, e.capacity, e.waitlist_limit, e.registration_mode,"
        " e.status, c.total, c.mine, c.waiting, c.same_phone, q.category, q.seats"
        " FROM events_event e CROSS JOIN c"
        " LEFT JOIN events_quota q ON q.event_id = e.id AND q.seats > 0"
        " WHERE e.id = %s ORDER BY q.id",
    )
)


def _snapshot(
    event_id: int, category: str, phone_hash: str = ""
) -> tuple[Event, dict[str, int], dict[str, int]]:
    """The event (fields not read here load on access), its {category: seats} and _counts():
    one statement, as every registration of a burst asks it before the seat decision (three
    round trips were a third of an accepted registration's time, docs/performance.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL, [*_counts_params(event_id, category, phone_hash), event_id])
        rows = cursor.fetchall()
    if not rows:
        raise Event.DoesNotExist
    first = rows[0]
    # from_db marks the other fields deferred, exactly as .only() would.
    event = Event.from_db("default", _EVENT_FIELDS, first[:7])
    counts = dict(zip(_COUNTS, (n or 0 for n in first[7:11]), strict=True))
    quotas = {row[11]: row[12] for row in rows if row[11] is not None}
    return event, quotas, counts


def _room(
    event: Event, category: str, quotas: Mapping[str, int], counts: Mapping[str, int]
) -> bool:
    if counts["total"] >= event.capacity:
        return False
    return not (category in quotas and counts["mine"] >= quotas[category])


def _refusal(
    event: Event, category: str, quotas: Mapping[str, int], counts: Mapping[str, int]
) -> Refused | None:
    """The Refused to raise when there is neither a seat nor room on the waitlist, else None."""
    if _room(event, category, quotas, counts) or counts["waiting"] < event.waitlist_limit:
        return None
    if counts["total"] >= event.capacity:
        return Refused("full", "名额已满，候补也已满。")
    return Refused("quota_full", f"“{CATEGORY_NAMES[category]}”类别的名额已满，候补也已满。")


# How long "sold out" is answered from the cache. Seats only come back by a cancellation or
# an edit, which clear it at once in a shared cache (Redis); per-process caches may say
# "full" for at most this long after that, which refuses a person but never oversells.
FULL_SECONDS = 2


def _full_key(event_id: int, category: str) -> str:
    return f"openday:event:{event_id}:full:{category}"


def _remember_full(event_id: int, category: str, refusal: Refused) -> None:
    cache.set(_full_key(event_id, category), (refusal.code, refusal.message), FULL_SECONDS)


def _forget_full(event_id: int) -> None:
    cache.delete_many([_full_key(event_id, c) for c in CATEGORY_NAMES])


def _has_active(event_id: int, phone_hash: str) -> bool:
    """Whether the phone holds an active registration for the event. Plain SQL: this answers
    most requests of a sold-out burst, and the ORM's query building was a third of its cost."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM events_registration WHERE event_id = %s AND phone_hash = %s"
            " AND status IN (%s, %s, %s) LIMIT 1",
            [event_id, phone_hash, *map(str, Registration.ACTIVE)],
        )
        return cursor.fetchone() is not None


def _new_ticket() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(10))


def check_registration(
    event: Event,
    *,
    name: str | None,
    phone: str | None,
    category: str,
    consent: object,
    seats: dict[str, int] | None = None,
) -> tuple[str, str]:
    errors = {}
    try:  # callers other than forms and the API (commands, imports) meet the same rule
        name = clean_text(name, multiline=False)
    except InputError as exc:
        name = ""  # refused: the error below is raised, the name never returned
        errors["name"] = str(exc)
    else:
        if not name:
            errors["name"] = "请填写姓名。"
        elif len(name) > 64:
            errors["name"] = "姓名不能超过 64 个字。"
    phone = normalize_phone(phone or "")
    if not phone:
        errors["phone"] = "请填写手机号。"
    elif not is_mobile(phone):
        errors["phone"] = "手机号格式不正确，请填写 11 位手机号。"
    if seats is None:
        seats = {q.category: q.seats for q in event.quotas.all() if q.seats > 0}
    allowed = list(seats) or list(CATEGORY_NAMES)
    if category not in allowed:
        names = "、".join(CATEGORY_NAMES[c] for c in allowed)
        errors["category"] = f"请选择参加人类别（本活动邀请：{names}）。"
    if consent is not True:
        errors["consent"] = "请阅读并同意个人信息告知后再报名。"
    if errors:
        raise ValidationError(errors)
    return name, phone


def register(
    event_id: int,
    *,
    name: str | None,
    phone: str | None,
    category: str,
    organization: str | None = "",
    consent: object = False,
    source: str = Registration.Source.ONLINE,
    actor: "User | None" = None,
    invitation_code: str | None = None,
    limits: Iterable[tuple[str, object]] = (),
) -> Registration:
    """Register one person. Raises ValidationError (bad input) or Refused (rules).

    limits: (rule, value) pairs for ops.ratelimit, counted once the request goes on to the
    seat decision (an answer of "full" from the cache costs the database nearly nothing, so
    a burst at a sold-out event is not counted against the crowd behind one address);
    raises ratelimit.Limited."""

    staff = source == Registration.Source.STAFF
    normalized = normalize_phone(phone or "")
    digest = lookup_hash(normalized)
    well_formed = bool((name or "").strip()) and is_mobile(normalized) and consent is True
    cached = cache.get(_full_key(event_id, category)) if well_formed else None
    if cached and not staff and not invitation_code:
        # Sold out a moment ago: answer from the cache, after the one check that must still
        # win (a retry from someone already registered is told so, not "full"). Bad input
        # takes the normal path, so it is still told what is wrong with it.
        if _has_active(event_id, digest):
            raise Refused("duplicate", "该手机号已报名本活动，请勿重复报名。")
        raise Refused(*cached)
    if limits:
        ratelimit.hit(*limits)
    event, quotas, counts = _snapshot(event_id, category, digest)
    if event.status == Event.Status.DRAFT and not staff:
        raise Refused("not_found", "活动不存在或尚未发布。")
    invitation = None
    if invitation_code:
        invitation = event.invitations.filter(code=clean_code(invitation_code)).first()
        if invitation is None:
            raise Refused("closed", "邀请码无效，请核对邀请函中的链接。")
        # An invited guest registers in the category they were invited as.
        if invitation.category != category:
            category = invitation.category
            counts = _counts(event_id, category, digest)
    name, phone = check_registration(
        event, name=name, phone=phone, category=category, consent=consent, seats=quotas
    )
    now = timezone.now()
    # Everything that needs no seat decision happens before the lock, so the lock is held
    # for as little as possible: the duplicate check (the partial unique index is the real
    # guard), the quotas, encrypting the phone.
    approval = event.registration_mode == Event.Mode.APPROVAL and not staff and invitation is None
    registration = Registration(
        event_id=event_id,
        name=name,
        category=category,
        organization=(organization or "")[:100],
        source=source,
        ticket_code=_new_ticket(),
        consent_at=now,
    )
    registration.phone = phone
    if counts["same_phone"]:
        raise Refused("duplicate", "该手机号已报名本活动，请勿重复报名。")
    if not approval:
        # A full event whose waitlist is full answers without queueing for the lock; seats
        # only come back through a cancellation, which promotes from the waitlist first.
        refusal = _refusal(event, category, quotas, counts)
        if refusal:
            _remember_full(event_id, category, refusal)
            raise refusal
    try:
        if connection.vendor == "postgresql" and invitation is None and not approval:
            status, sms_id = _seat_pg(
                event, registration, quotas, now=now, staff=staff, actor=actor
            )
        else:
            status, sms_id = _seat_orm(
                event_id,
                registration,
                quotas,
                now=now,
                staff=staff,
                approval=approval,
                invitation=invitation,
                actor=actor,
            )
    except IntegrityError as exc:
        # The partial unique index caught a concurrent duplicate from the same phone.
        raise Refused("duplicate", "该手机号已报名本活动，请勿重复报名。") from exc
    # When sms_id is set, the database function recorded the confirmation SMS in the outbox.
    if status == Registration.Status.CONFIRMED and not sms_id:
        _tell(
            registration,
            "registration_confirmed",
            event=event.title,
            ticket=registration.ticket_code,
        )
    return registration


def _confirmation(event: Event, registration: Registration) -> str:
    return kinds.render(
        "registration_confirmed", event=event.title, ticket=registration.ticket_code
    )


def _check_window(event: Event, *, now: datetime, staff: bool, invited: bool) -> None:
    """Raise Refused when the event does not take this registration now; call under the lock."""
    state = event.registration_window(now, staff=staff, invited=invited)
    if state != "open":
        raise Refused("closed", Event.WINDOW_REASONS[state])


def _seat_orm(
    event_id: int,
    registration: Registration,
    quotas: Mapping[str, int],
    *,
    now: datetime,
    staff: bool,
    approval: bool,
    invitation: "Invitation | None",
    actor: "User | None",
) -> tuple[str, None]:
    """Lock the event, recount, insert: the portable path (SQLite, approvals, invitations)."""
    from .invitations import accept

    with transaction.atomic():
        # The lock on the event row serializes every seat decision for this event.
        event = (
            Event.objects.select_for_update(of=("self",)).select_related("unit").get(pk=event_id)
        )
        _check_window(event, now=now, staff=staff, invited=invitation is not None)
        category = registration.category
        if approval:
            status = Registration.Status.PENDING
        else:
            counts = _counts(event_id, category)  # recounted under the lock
            refusal = _refusal(event, category, quotas, counts)
            if refusal:
                _remember_full(event_id, category, refusal)
                raise refusal
            status = (
                Registration.Status.CONFIRMED
                if _room(event, category, quotas, counts)
                else Registration.Status.WAITLISTED
            )
        registration.status = status
        registration.event = event
        registration.save()
        record(
            "registration.created",
            actor=actor,
            obj=registration,
            org=event.unit,
            changes={"status": [None, status], "source": registration.source},
        )
        if invitation is not None:
            accept(invitation, registration)
    return status, None  # the SMS is queued by the caller


# Why the PostgreSQL function refused, in the words the Python path uses.
_CLOSED = Event.WINDOW_REASONS


def _seat_pg(
    event: Event,
    registration: Registration,
    quotas: Mapping[str, int],
    *,
    now: datetime,
    staff: bool,
    actor: "User | None",
) -> tuple[str, int | None]:
    """The seat decision on PostgreSQL, for a registration that needs no approval or invitation.

    One call of openday_register() (events migrations 0002, 0003) locks the event row,
    recounts, inserts the registration, its audit entry and, when confirmed, the SMS record
    (returns the status and that message's id); outside a transaction it commits in the same
    round trip, so the row lock is held for no Python work at all. That lock hold is what
    bounds a burst's throughput (docs/performance.md).
    """
    from openday.audit import context

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    bound = context.current()
    category = registration.category
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM openday_register(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s, %s)",
            [
                event.pk,
                category,
                staff,
                now,
                registration.name,
                registration.phone_encrypted,
                registration.phone_hash,
                registration.phone_last4,
                registration.organization,
                registration.source,
                registration.ticket_code,
                actor.pk if actor else None,
                actor.get_username() if actor else bound.origin,
                f"{registration.masked_name}（{event.pk}号活动）"[:255],
                bound.ip,
                registration.masked_phone,
                _confirmation(event, registration),
            ],
        )
        outcome, pk, total, mine, waiting, sms_id = cursor.fetchone()
    if outcome == "not_found":
        raise Event.DoesNotExist
    if outcome in _CLOSED:
        raise Refused("closed", _CLOSED[outcome])
    if outcome == "not_invited":
        raise Refused("quota_full", f"本活动不再邀请“{CATEGORY_NAMES[category]}”类别报名。")
    if outcome == "refused":
        refusal = _refusal(
            event, category, quotas, {"total": total, "mine": mine, "waiting": waiting}
        )
        if refusal is None:  # the capacity or a quota changed since the event was read
            refusal = Refused("full", "名额已满，候补也已满。")
        _remember_full(event.pk, category, refusal)
        raise refusal
    registration.pk, registration.status = pk, outcome
    registration.event_id, registration.created_at = event.pk, now
    registration._state.adding, registration._state.db = False, "default"
    return outcome, sms_id


def _tell(registration: Registration, kind: str, **params: object) -> None:
    """An SMS of this kind (messaging.kinds) to the registrant, recorded once this commits."""
    transaction.on_commit(
        lambda: queue_message(
            OutboundMessage.Channel.SMS, registration.phone, "", kind=kind, params=params
        )
    )


def _promote(event: Event, quotas: Mapping[str, int]) -> list[Registration]:
    """Fill freed seats from the waitlist in order of registration; call under the lock."""
    promoted = []
    for waiting in event.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
        "created_at", "id"
    ):
        fits, why = _fits(event, waiting.category, quotas)
        if not fits and why == "full":
            break
        if fits:
            Registration.objects.filter(pk=waiting.pk).update(status=Registration.Status.CONFIRMED)
            waiting.status = Registration.Status.CONFIRMED
            record(
                "registration.promoted",
                obj=waiting,
                changes={"status": ["waitlisted", "confirmed"]},
            )
            _tell(waiting, "registration_promoted", event=event.title, ticket=waiting.ticket_code)
            promoted.append(waiting)
    return promoted


def cancel(
    ticket_code: str, *, actor: "User | None" = None
) -> tuple[Registration, list[Registration]]:
    """Cancel by ticket; a freed seat goes to the first who fits on the waitlist. Idempotent."""
    with transaction.atomic():
        registration = Registration.objects.select_related("event").get(
            ticket_code=clean_code(ticket_code)
        )
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        registration.refresh_from_db()
        if registration.status not in Registration.ACTIVE:
            return registration, []
        if registration.checked_in_at:
            raise Refused("checked_in", "已签到的报名不能取消。")
        if event.status in (Event.Status.HELD, Event.Status.SUMMARIZED):
            raise Refused("closed", "活动已举办，报名不能再取消。")
        old = registration.status
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        record(
            "registration.cancelled",
            actor=actor,
            obj=registration,
            changes={"status": [old, "cancelled"]},
        )
        _forget_full(event.pk)
        transaction.on_commit(lambda: _forget_full(event.pk))
        promoted = []
        if old == Registration.Status.CONFIRMED:
            promoted = _promote(event, {q.category: q.seats for q in event.quotas.all()})
    return registration, promoted


def review(actor: "User | None", registration: Registration, *, approve: bool) -> Registration:
    """Decide a pending registration: approved ones take a seat, or the waitlist if full."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        registration.refresh_from_db()
        if registration.status != Registration.Status.PENDING:
            raise ValidationError("只能审核待审核的报名。")
        if approve:
            fits, _why = _fits(
                event, registration.category, {q.category: q.seats for q in event.quotas.all()}
            )
            status = Registration.Status.CONFIRMED if fits else Registration.Status.WAITLISTED
        else:
            status = Registration.Status.REJECTED
        Registration.objects.filter(pk=registration.pk).update(status=status)
        registration.status = status
        record(
            "registration.reviewed",
            actor=actor,
            obj=registration,
            changes={"status": ["pending", status]},
        )
        kind = {
            Registration.Status.CONFIRMED: "registration_approved",
            Registration.Status.WAITLISTED: "registration_waitlisted",
            Registration.Status.REJECTED: "registration_rejected",
        }[status]
        params = {"event": event.title}
        if status == Registration.Status.CONFIRMED:
            params["ticket"] = registration.ticket_code
        _tell(registration, kind, **params)
    return registration


class AlreadyCheckedIn(Refused):
    def __init__(self, registration: Registration):
        local = timezone.localtime(registration.checked_in_at)
        super().__init__(
            "already_checked_in", f"{registration.masked_name} 已于 {local:%H:%M} 签到。"
        )
        self.registration = registration


def check_in(actor: "User | None", event: Event, ticket_code: str) -> Registration:
    """Mark a confirmed ticket as arrived; the conditional update makes retries harmless."""
    ticket_code = clean_code(ticket_code)
    registration = event.registrations.filter(ticket_code=ticket_code).first()
    if registration is None:
        raise Refused("not_found", "票号不存在或不属于本活动。")
    if registration.status != Registration.Status.CONFIRMED:
        raise Refused(
            "not_confirmed", f"该报名状态为“{registration.get_status_display()}”，不能签到。"
        )
    now = timezone.now()
    claimed = Registration.objects.filter(pk=registration.pk, checked_in_at=None).update(
        checked_in_at=now, checked_in_by=actor if actor and actor.is_authenticated else None
    )
    registration.refresh_from_db()
    if not claimed:
        raise AlreadyCheckedIn(registration)
    record("registration.checked_in", actor=actor, obj=registration)
    return registration


def counters(event: Event) -> list[dict[str, Any]]:
    """Registered and arrived per category, for the check-in page."""
    rows = (
        event.registrations.filter(status=Registration.Status.CONFIRMED)
        .values("category")
        .annotate(registered=Count("id"), arrived=Count("id", filter=~Q(checked_in_at=None)))
        .order_by("category")
    )
    return [{"name": CATEGORY_NAMES[r["category"]], **r} for r in rows]


def send_day_before_reminders() -> int:
    """SMS every confirmed registrant of an event starting within 36 hours, once each."""
    now = timezone.now()
    sent = 0
    due = Registration.objects.filter(
        status=Registration.Status.CONFIRMED,
        reminded_at=None,
        event__status__in=[Event.Status.OPEN, Event.Status.CLOSED],
        event__starts_at__gt=now,
        event__starts_at__lte=now + timedelta(hours=36),
    ).select_related("event")
    for registration in due:
        # Claim the row first: two workers running this at once still send one message.
        if not Registration.objects.filter(pk=registration.pk, reminded_at=None).update(
            reminded_at=now
        ):
            continue
        event = registration.event
        local = timezone.localtime(event.starts_at)
        place = "、".join(v.get("name", "") for v in event.venues)
        with transaction.atomic():
            queue_message(
                OutboundMessage.Channel.SMS,
                registration.phone,
                "",
                kind="event_reminder",
                params={
                    "event": event.title,
                    "time": f"{local.month}月{local.day}日{local:%H:%M}",
                    "place": place,
                    "ticket": registration.ticket_code,
                },
            )
        sent += 1
    return sent


ANONYMIZED = personal_data.REMOVED_NAME


def anonymize_past_events(now: datetime | None = None, batch_size: int | None = None) -> int:
    """Remove names, phones and organizations of events that ended RETENTION_DAYS ago.

    Category, status and check-in times stay, so the event's figures remain. Rows are
    erased in batches, each in its own transaction, and the event is marked done last (by a
    conditional update, so its audit entry is written once); a run cut short resumes, and two
    runs at once write the same values. Each erased hash becomes "removed:<pk>", so the
    one-active-registration-per-phone and one-invitation-per-phone constraints still hold.
    """
    from django.conf import settings

    from openday.opinions.models import Callback

    from .models import Invitation

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    done = 0
    erase = personal_data.erase_in_batches
    for event in Event.objects.filter(ends_at__lt=cutoff, personal_data_removed_at=None):
        people = erase(
            event.registrations.exclude(name=ANONYMIZED),
            {
                "name": ANONYMIZED,
                "phone_encrypted": "",
                "phone_hash": personal_data.removed_hash(),
                "phone_last4": "",
                "organization": "",
            },
            batch_size,
        )
        invited = erase(
            Invitation.objects.filter(event=event).exclude(name=ANONYMIZED),
            {
                "name": ANONYMIZED,
                "phone_encrypted": "",
                "phone_hash": personal_data.removed_hash(),
                "organization": "",
            },
            batch_size,
        )
        called = erase(
            Callback.objects.filter(event=event, opinion=None).exclude(phone_encrypted=""),
            {"name": "", "phone_encrypted": "", "phone_hash": personal_data.removed_hash()},
            batch_size,
        )
        with transaction.atomic():
            if not Event.objects.filter(pk=event.pk, personal_data_removed_at=None).update(
                personal_data_removed_at=now
            ):
                continue
            record(
                "event.personal_data_removed",
                obj=event,
                changes={
                    "registrations": people,
                    "invitations": invited,
                    "callbacks": called,
                    "retention_days": settings.RETENTION_DAYS,
                },
            )
            done += 1
    return done
