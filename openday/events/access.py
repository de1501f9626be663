"""Who may run which events: the unit's admins and staff, and the office above it."""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from openday.lib.params import object_id
from openday.orgs.models import Org, Role

from .models import Event

if TYPE_CHECKING:
    from openday.orgs.access import Access, AccessRequest

RUNNING_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF}


def can_run_event_for(access: "Access", org: Org) -> bool:
    """Unit admins and staff of org (or above it), office admins above it, operators."""
    return access.is_operator or any(
        m.role in RUNNING_ROLES and org.path.startswith(m.org.path) for m in access.memberships
    )


def can_manage_event(access: "Access", event: Event) -> bool:
    return can_run_event_for(access, event.unit)


def can_see_event(access: "Access", event: Event) -> bool:
    return event.is_public or can_manage_event(access, event) or access.can_see_org(event.unit)


def managed_events(access: "Access") -> QuerySet[Event]:
    return Event.objects.filter(access.scope_q(RUNNING_ROLES, field="unit__path"))


def access_event(request: "AccessRequest", event_id: object, *, manage: bool = False) -> Event:
    event = get_object_or_404(
        Event.objects.select_related("unit", "campaign"), pk=object_id(event_id)
    )
    allowed = (can_manage_event if manage else can_see_event)(request.access, event)
    if not allowed:
        raise PermissionDenied("您无权管理该活动。" if manage else "您无权查看该活动。")
    return event
