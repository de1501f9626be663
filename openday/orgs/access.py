"""Who may see and change what, along the organization tree.

An office admin manages its office's subtree, a unit admin its unit's subtree; every role
sees the subtree of the org it belongs to; an operator (superuser) sees everything.
"""

from collections.abc import Callable, Collection
from functools import cached_property
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject

from openday.lib.params import object_id

from .models import MANAGING_ROLES, ROLES_FOR_KIND, Membership, Org, Region, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from openday.accounts.models import User


class Access:
    def __init__(self, user: "User | AnonymousUser"):
        self.user = user

    @cached_property
    def memberships(self) -> list[Membership]:
        if not self.user.is_authenticated or not self.user.is_active:
            return []
        return list(Membership.objects.filter(user=self.user).select_related("org", "org__parent"))

    @property
    def is_operator(self) -> bool:
        return self.user.is_authenticated and self.user.is_active and self.user.is_superuser

    @property
    def is_staff_member(self) -> bool:
        return self.is_operator or bool(self.memberships)

    def _paths(self, roles: Collection[str] | None = None) -> list[str]:
        return [m.org.path for m in self.memberships if roles is None or m.role in roles]

    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def has_role(self, *roles: str) -> bool:
        return self.is_operator or any(m.role in roles for m in self.memberships)

    def _covers(self, org: Org, roles: Collection[str] | None = None) -> bool:
        return any(org.path.startswith(p) for p in self._paths(roles))

    def can_see_org(self, org: Org) -> bool:
        return self.is_operator or self._covers(org)

    def can_manage_org(self, org: Org) -> bool:
        return self.is_operator or self._covers(org, MANAGING_ROLES)

    def is_office_admin_over(self, org: Org) -> bool:
        return self.is_operator or self._covers(org, {Role.OFFICE_ADMIN})

    def scope_q(self, roles: Collection[str] | None = None, field: str = "path") -> Q:
        """Rows whose org path (under `field`) lies in the subtree of a membership with one of
        `roles` (any role when None): everything for an operator, nothing without a role."""
        paths = self._paths(roles)
        if self.is_operator:
            return Q()
        if not paths:
            return Q(pk__in=[])
        q = Q()
        for p in paths:
            q |= Q(**{f"{field}__startswith": p})
        return q

    def visible_orgs(self) -> QuerySet[Org]:
        return Org.objects.filter(self.scope_q())

    def managed_orgs(self) -> QuerySet[Org]:
        return Org.objects.filter(self.scope_q(MANAGING_ROLES))

    def audit_scope_q(self) -> Q:
        """Audit entries an actor may read: those of the orgs they manage."""
        return self.scope_q(MANAGING_ROLES, field="org_path")

    @property
    def can_view_audit(self) -> bool:
        return self.has_role(Role.OFFICE_ADMIN, Role.UNIT_ADMIN)

    def can_manage_regions(self) -> bool:
        """May maintain some regions: those at or below an office's own region."""
        return self.has_role(Role.OFFICE_ADMIN)

    def managed_region_ids(self, paths: dict[int, list[Region]]) -> set[int]:
        """Ids of regions this actor may edit, given orgs.models.region_paths()."""
        if self.is_operator:
            return set(paths)
        own = {m.org.region_id for m in self.memberships if m.role == Role.OFFICE_ADMIN}
        return {rid for rid, chain in paths.items() if any(n.pk in own for n in chain)}

    def can_manage_region(self, region: Region | None) -> bool:
        if self.is_operator:
            return True
        if region is None:
            return False
        own = {m.org.region_id for m in self.memberships if m.role == Role.OFFICE_ADMIN}
        node: Region | None = region
        while node is not None:
            if node.pk in own:
                return True
            node = node.parent
        return False

    def can_import_orgs(self) -> bool:
        return self.has_role(Role.OFFICE_ADMIN)

    def grantable_roles(self, org: Org) -> list[str]:
        """Roles this actor may give to someone in org."""
        if not self.can_manage_org(org):
            return []
        roles: list[str] = list(ROLES_FOR_KIND[org.kind])
        if not self.is_office_admin_over(org):
            roles = [r for r in roles if r != Role.OFFICE_ADMIN]
        return roles

    def can_manage_user(self, target: "User") -> bool:
        """True if every role the target holds is in an org this actor manages.

        Holding one role in a unit does not put a person under that unit's admin: an office
        admin who is also a viewer somewhere must not have their password reset from there.
        """
        if self.is_operator:
            return True
        if target.is_superuser:
            return False
        orgs = [m.org for m in target.memberships.select_related("org")]
        if not orgs:
            # Someone whose last role was revoked still belongs where they were last placed.
            orgs = [org for org in [self._last_home(target)] if org is not None]
        return bool(orgs) and all(self.can_manage_org(org) for org in orgs)

    @staticmethod
    def _last_home(target: "User") -> Org | None:
        from openday.audit.models import AuditEntry

        entry = (
            AuditEntry.objects.filter(
                Q(action="user.created", object_type="accounts.user", object_id=str(target.pk))
                | Q(action="membership.revoked", changes__user__0=target.username)
            )
            .exclude(org=None)
            .select_related("org")
            .order_by("-created_at", "-id")
            .first()
        )
        return entry.org if entry else None

    def can_see_full_phone(self, org: Org) -> bool:
        return self.can_manage_org(org)


class AccessRequest(HttpRequest):
    """A request that went through AccessMiddleware, as the type checker sees it."""

    access: Access


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: AccessRequest) -> HttpResponse:
        request.access = cast(Access, SimpleLazyObject(lambda: Access(request.user)))
        return self.get_response(request)


def access_org(request: AccessRequest, org_id: object, *, manage: bool = False) -> Org:
    """Fetch an org the request's user may see (or manage); 404 if it does not exist."""
    org = get_object_or_404(Org.objects.select_related("parent", "region"), pk=object_id(org_id))
    allowed = request.access.can_manage_org(org) if manage else request.access.can_see_org(org)
    if not allowed:
        raise PermissionDenied("您无权访问该组织。")
    return org
