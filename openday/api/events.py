"""Events and registrations: the contract mini-programs and the government website use."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from openday.audit.services import client_ip
from openday.events import services
from openday.events.access import can_manage_event, can_run_event_for
from openday.events.models import Event, Registration
from openday.lib import pagecache, validation
from openday.lib.edge import InputSchema
from openday.lib.params import ObjectId
from openday.lib.personal_data import normalize_phone
from openday.lib.text import clean_code
from openday.orgs.models import Org

router = Router(tags=["活动与报名"])


def _error(code, message, status, **extra):
    from .v1 import error

    return error(code, message, status, **extra)


class CategoryOut(Schema):
    code: str
    name: str
    quota: int | None
    left: int


class Venue(Schema):
    name: str
    address: str = ""


class EventOut(Schema):
    id: int
    title: str
    unit: str
    theme: str
    starts_at: datetime
    ends_at: datetime
    venues: list[Venue]
    status: str
    registration_mode: str
    capacity: int
    seats_left: int
    categories: list[CategoryOut]
    campaign_id: int | None


def _event_out(e):
    return {
        "id": e.pk,
        "title": e.title,
        "unit": e.unit.name,
        "theme": e.theme,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "venues": e.venues,
        "status": e.status,
        "registration_mode": e.registration_mode,
        "capacity": e.capacity,
        "seats_left": services.seats_left(e),
        "categories": services.categories(e),
        "campaign_id": e.campaign_id,
    }


def _public():
    return Event.objects.exclude(status=Event.Status.DRAFT).select_related("unit")


@router.get("/events", auth=None, response=list[EventOut])
def list_events(request, response: HttpResponse):
    """Published events, soonest first. ETag: a matching If-None-Match is answered 304."""
    # The seats left change with every registration, which bumps no version: the ETag takes
    # the confirmed registrations per event too (one grouped count).
    seats = list(
        Registration.objects.filter(status=Registration.Status.CONFIRMED)
        .order_by("event_id")
        .values_list("event_id")
        .annotate(n=Count("id"))
    )
    if unchanged := pagecache.not_modified(request, response, ["events"], seats):
        return unchanged
    return [_event_out(e) for e in _public().order_by("starts_at", "id")]


@router.get("/events/{event_id}", auth=None, response=EventOut)
def get_event(request, event_id: ObjectId):
    return _event_out(get_object_or_404(_public(), pk=event_id))


class RegistrationIn(InputSchema):
    single_line = frozenset({"name", "phone", "category", "organization", "invitation_code"})

    name: str
    phone: str
    category: str
    organization: str = ""
    invitation_code: str | None = None
    consent: bool = False


class RegistrationOut(Schema):
    id: int
    status: str
    ticket_code: str


@router.post("/events/{event_id}/registrations", auth=None, response={201: RegistrationOut})
def create_registration(request, event_id: ObjectId, payload: RegistrationIn):
    """Register for an event: confirmed, waitlisted, or pending review (approval mode).
    429 `too_many_requests` (with Retry-After) past the limits per phone and per address."""
    try:
        registration = services.register(
            event_id,
            name=payload.name,
            phone=payload.phone,
            category=payload.category,
            organization=payload.organization,
            consent=payload.consent,
            source=Registration.Source.API,
            invitation_code=payload.invitation_code,
            limits=[
                ("registration.phone", normalize_phone(payload.phone)),
                ("registration.address", client_ip(request)),
            ],
        )
    except Event.DoesNotExist:
        return _error("not_found", "活动不存在。", 404)
    except ValidationError as exc:
        details = validation.details(exc)
        return _error("invalid", "报名信息不正确。", 422, details=details)
    except services.Refused as exc:
        return _error(exc.code, exc.message, 404 if exc.code == "not_found" else 409)
    return Status(
        201,
        {
            "id": registration.pk,
            "status": registration.status,
            "ticket_code": registration.ticket_code,
        },
    )


@router.delete("/registrations/{ticket_code}", auth=None, response={200: RegistrationOut})
def cancel_registration(request, ticket_code: str):
    """Cancel with the ticket code; a freed seat goes to the waitlist. Repeating is harmless."""
    ticket_code = clean_code(ticket_code)
    get_object_or_404(Registration, ticket_code=ticket_code)
    try:
        registration, _promoted = services.cancel(ticket_code)
    except services.Refused as exc:
        return _error(exc.code, exc.message, 409)
    return Status(
        200,
        {
            "id": registration.pk,
            "status": registration.status,
            "ticket_code": registration.ticket_code,
        },
    )


# --- Staff (token) -----------------------------------------------------------------------


class EventIn(InputSchema):
    single_line = frozenset({"title", "venue", "address"})

    title: str
    unit_id: ObjectId
    starts_at: datetime
    ends_at: datetime
    venue: str
    address: str = ""
    capacity: int
    quotas: dict[str, int] | None = None
    registration_mode: str = "open"
    campaign_id: ObjectId | None = None
    theme: str = ""
    publish: bool = False


@router.post("/events", response={201: EventOut})
def create_event(request, payload: EventIn):
    """Create an event for a unit the token may act for; with publish, open registration."""
    unit = get_object_or_404(Org, pk=payload.unit_id)
    if not can_run_event_for(request.access, unit):
        raise PermissionDenied("无权为该组织创建活动。")
    campaign = None
    if payload.campaign_id is not None:
        from openday.campaigns.models import Campaign

        campaign = get_object_or_404(Campaign, pk=payload.campaign_id)
        if not unit.path.startswith(campaign.office.path):
            raise PermissionDenied("该单位不属于这个年度活动的政务公开办。")
    try:
        event = services.create_event(
            request.user,
            unit,
            title=payload.title,
            theme=payload.theme,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            venues=[{"name": payload.venue, "address": payload.address}],
            capacity=payload.capacity,
            quotas=payload.quotas,
            registration_mode=payload.registration_mode,
            campaign=campaign,
            publish=payload.publish,
        )
    except ValidationError as exc:
        details = validation.details(exc)
        return _error("invalid", "活动信息不正确。", 422, details=details)
    return Status(201, _event_out(event))


class StaffRegistrationOut(Schema):
    id: int
    name: str
    phone: str
    category: str
    organization: str
    status: str
    ticket_code: str
    created_at: datetime
    checked_in_at: datetime | None


@router.get("/events/{event_id}/registrations", response=list[StaffRegistrationOut])
def list_registrations(request, event_id: ObjectId):
    """Registrations of an event the token's user manages; phones masked."""
    event = get_object_or_404(Event, pk=event_id)
    if not can_manage_event(request.access, event):
        raise PermissionDenied("无权查看该活动的报名。")
    return [
        {
            "id": r.pk,
            "name": r.masked_name,
            "phone": r.masked_phone,
            "category": r.category,
            "organization": r.organization,
            "status": r.status,
            "ticket_code": r.ticket_code,
            "created_at": r.created_at,
            "checked_in_at": r.checked_in_at,
        }
        for r in event.registrations.all()
    ]


class CheckinIn(InputSchema):
    single_line = frozenset({"ticket_code"})

    ticket_code: str


class CheckinOut(Schema):
    id: int
    name: str
    category: str
    checked_in_at: datetime


@router.post("/events/{event_id}/checkins", response={201: CheckinOut})
def create_checkin(request, event_id: ObjectId, payload: CheckinIn):
    """Check a ticket in; the same ticket a second time answers 409 already_checked_in."""
    event = get_object_or_404(Event, pk=event_id)
    if not can_manage_event(request.access, event):
        raise PermissionDenied("无权为该活动签到。")
    try:
        r = services.check_in(request.user, event, payload.ticket_code)
    except services.Refused as exc:
        return _error(exc.code, exc.message, 404 if exc.code == "not_found" else 409)
    return Status(
        201,
        {
            "id": r.pk,
            "name": r.masked_name,
            "category": r.category,
            "checked_in_at": r.checked_in_at,
        },
    )
