"""Who may see and change an event's summary, photos and evidence, along the organization tree.

- the event's unit admins and staff (and the units above it) write, save and submit the summary
  and upload, change and delete photos;
- office admins and viewers above the unit, and the unit's admins and staff, see and download;
- office admins above the unit, and the unit's admins, reopen a submitted summary with a reason;
- handlers, and everybody outside the unit's branch of the tree, see nothing.

Views check; the services (services, photos, evidence) trust their caller.
"""

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db.models import Q

from openday.orgs.models import Org, Role

if TYPE_CHECKING:
    from openday.events.models import Event
    from openday.orgs.access import Access

EDIT_ROLES = {Role.UNIT_ADMIN, Role.UNIT_STAFF}
VIEW_ROLES = {Role.OFFICE_ADMIN, Role.VIEWER, Role.UNIT_ADMIN, Role.UNIT_STAFF}
REOPEN_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN}


def _covers(access: "Access", org: Org, roles: Collection[str]) -> bool:
    return access.is_operator or any(
        m.role in roles and org.path.startswith(m.org.path) for m in access.memberships
    )


def can_edit(access: "Access", event: "Event") -> bool:
    return _covers(access, event.unit, EDIT_ROLES)


def can_view(access: "Access", event: "Event") -> bool:
    return _covers(access, event.unit, VIEW_ROLES)


def can_reopen(access: "Access", event: "Event") -> bool:
    return _covers(access, event.unit, REOPEN_ROLES)


def can_view_unit(access: "Access", unit: Org) -> bool:
    return _covers(access, unit, VIEW_ROLES)


def viewable_q(access: "Access", field: str = "unit__path") -> Q:
    """A Q over events (or anything with a unit path under `field`) the access may see."""
    return access.scope_q(VIEW_ROLES, field=field)


def may_use_summaries(access: "Access") -> bool:
    return access.is_operator or any(m.role in VIEW_ROLES for m in access.memberships)
