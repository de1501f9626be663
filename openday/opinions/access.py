"""Who sees and does what with opinions, along the organization tree.

- office admins (and operators) sort, assign, review and publish everything under their office;
- unit admins name the responsible person, answer, review and publish their unit's opinions;
- unit staff enter opinions for their unit's events, see and answer their unit's opinions;
- handlers see and answer only the opinions assigned to them;
- viewers read what is in their part of the tree;
- the public sees only what is published (portal and API).
"""

from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from openday.events.models import Event
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


def _top_paths(paths: Iterable[str]) -> list[str]:
    """The paths not under another one of them (a subtree inside another adds nothing)."""
    tops: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(t) for t in tops):
            tops.append(p)
    return tops


# Up to this many orgs (and events) under the viewer's paths are listed in the query itself, so
# the database can combine the indexes on office, unit and event (a unit's few opinions out of
# a province's year); more than that (an office high in the tree, most rows visible) stay a
# subquery, and the list walks its ordering index instead.
LISTED_IDS = 500


def _ids_or_subquery(qs: "QuerySet[Any]") -> "list[int] | QuerySet[Any]":
    ids = list(qs.values_list("pk", flat=True)[: LISTED_IDS + 1])
    return ids if len(ids) <= LISTED_IDS else qs.values("pk")


def visible_scope(access: "Access") -> tuple[QuerySet[Opinion], bool]:
    """visible(access), and whether it is narrow: the orgs and events under the viewer's paths
    are few enough to be listed in the query (LISTED_IDS), so a list is best ordered after
    the database combined the foreign-key indexes rather than by walking its ordering index."""
    if access.is_operator:
        return Opinion.objects.all(), False
    q = Q(assignee=access.user) if access.user.is_authenticated else Q(pk__in=[])
    tops = _top_paths(m.org.path for m in access.memberships if m.role in SEE_ROLES)
    narrow = True
    if tops:
        under = Q(pk__in=[])
        for p in tops:
            under |= Q(path__startswith=p)
        orgs = _ids_or_subquery(Org.objects.filter(under).order_by())
        events = _ids_or_subquery(Event.objects.filter(unit_id__in=orgs).order_by())
        narrow = isinstance(orgs, list) and isinstance(events, list)
        q |= Q(office_id__in=orgs) | Q(unit_id__in=orgs) | Q(event_id__in=events)
    return Opinion.objects.filter(q), narrow


def visible(access: "Access") -> QuerySet[Opinion]:
    """Every opinion the viewer may see (for lists and figures): assigned to them, or whose
    office, responsible unit or event's unit lies under one of their SEE_ROLES memberships.

    Written as `office_id IN (orgs under the paths)` etc. rather than joins on org paths, so
    the database can use the indexes on the foreign keys and on Org.path (LIKE 'x%' uses the
    varchar_pattern_ops index Django makes for a db_index CharField on PostgreSQL); at most
    two small queries find the orgs and events (see LISTED_IDS)."""
    return visible_scope(access)[0]


def scope_key(access: "Access") -> str:
    """What visible(access) depends on besides the data, for cache keys: the viewer's
    SEE_ROLES paths and (for the opinions assigned to them) the user; "*" for operators."""
    if access.is_operator:
        return "*"
    tops = _top_paths(m.org.path for m in access.memberships if m.role in SEE_ROLES)
    user = access.user.pk if access.user.is_authenticated else 0
    return f"{user}:{','.join(tops)}"


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
