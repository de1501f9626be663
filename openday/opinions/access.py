"""Who sees and does what with opinions, along the organization tree.

- office admins (and operators) sort, assign, review and publish everything under their office;
- unit admins name the responsible person, answer, review and publish their unit's opinions;
- unit staff enter opinions for their unit's events, see and answer their unit's opinions;
- handlers see and answer only the opinions assigned to them;
- viewers read what is in their part of the tree;
- the public sees only what is published (portal and API).
"""

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from openday.lib.params import object_id
from openday.orgs.models import Org, Role

from .models import Opinion

if TYPE_CHECKING:
    from openday.orgs.access import Access, AccessRequest

SEE_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.VIEWER}


def _under(access: "Access", path: str, roles: Collection[str]) -> bool:
    return any(m.role in roles and path.startswith(m.org.path) for m in access.memberships)


def _paths(opinion: Opinion) -> list[str]:
    """The unit responsible, the office, and the unit whose event it was raised at."""
    paths = [opinion.office.path]
    if opinion.unit is not None:
        paths.append(opinion.unit.path)
    if opinion.event is not None:
        paths.append(opinion.event.unit.path)
    return paths


def can_see(access: "Access", opinion: Opinion) -> bool:
    if access.is_operator or (opinion.assignee_id and opinion.assignee_id == access.user.pk):
        return True
    return any(_under(access, p, SEE_ROLES) for p in _paths(opinion))


def can_sort(access: "Access", opinion: Opinion) -> bool:
    """Classify, merge, split, assign to a unit: the office above it."""
    return access.is_operator or _under(access, opinion.office.path, {Role.OFFICE_ADMIN})


def can_assign_person(access: "Access", opinion: Opinion) -> bool:
    """Name the responsible person within the unit (认领): the unit's admins and the office."""
    if can_sort(access, opinion):
        return True
    return opinion.unit is not None and _under(access, opinion.unit.path, {Role.UNIT_ADMIN})


def can_answer(access: "Access", opinion: Opinion) -> bool:
    if not opinion.unit_id:
        return False
    if opinion.assignee_id and opinion.assignee_id == access.user.pk:
        return True
    return can_assign_person(access, opinion) or (
        opinion.unit is not None and _under(access, opinion.unit.path, {Role.UNIT_STAFF})
    )


def can_review(access: "Access", opinion: Opinion) -> bool:
    """Approve, return, publish: the unit's admins (and the office above)."""
    return can_assign_person(access, opinion)


def can_enter_for(access: "Access", org: Org) -> bool:
    """Staff who may type in opinions received by org (forum notes, calls, paper cards)."""
    return access.is_operator or _under(
        access, org.path, {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF}
    )


def visible(access: "Access") -> QuerySet[Opinion]:
    """Every opinion the viewer may see (for lists and figures)."""
    if access.is_operator:
        return Opinion.objects.all()
    q = Q(assignee=access.user) if access.user.is_authenticated else Q(pk__in=[])
    for m in access.memberships:
        if m.role in SEE_ROLES:
            q |= (
                Q(office__path__startswith=m.org.path)
                | Q(unit__path__startswith=m.org.path)
                | Q(event__unit__path__startswith=m.org.path)
            )
    return Opinion.objects.filter(q)


def access_opinion(
    request: "AccessRequest",
    opinion_id: object,
    check: "Callable[[Access, Opinion], bool]" = can_see,
    message: str = "您无权查看这条意见。",
) -> Opinion:
    opinion = get_object_or_404(
        Opinion.objects.select_related("office", "unit", "event", "assignee", "merged_into"),
        pk=object_id(opinion_id),
    )
    if not can_see(request.access, opinion) or not check(request.access, opinion):
        raise PermissionDenied(message)
    return opinion
