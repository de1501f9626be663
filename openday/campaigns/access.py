"""Who may do what with a campaign, along the organization tree."""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from openday.lib.params import object_id
from openday.orgs.models import Org, Role

from .models import Campaign, Declaration

if TYPE_CHECKING:
    from openday.orgs.access import Access, AccessRequest


def runs_campaign(access: "Access", campaign: Campaign) -> bool:
    """The office's own admins run its campaign (an upper office only looks)."""
    return access.is_operator or any(
        m.role == Role.OFFICE_ADMIN and m.org_id == campaign.office_id for m in access.memberships
    )


def can_view_campaign(access: "Access", campaign: Campaign) -> bool:
    """The office's people and those above it see drafts; its units once the notice is out."""
    office = campaign.office
    if access.is_operator or access.can_see_org(office):
        return True
    if campaign.status == campaign.Status.DRAFT:
        return False
    return any(m.org.path.startswith(office.path) for m in access.memberships)


def can_declare(access: "Access", campaign: Campaign, unit: Org) -> bool:
    """A unit's admins and staff fill its 申报表; the office may fill it on the unit's behalf."""
    if unit.parent_id != campaign.office_id:
        return False
    if runs_campaign(access, campaign):
        return True
    return any(
        m.role in (Role.UNIT_ADMIN, Role.UNIT_STAFF) and unit.path.startswith(m.org.path)
        for m in access.memberships
    )


def can_view_declaration(access: "Access", declaration: Declaration) -> bool:
    return (
        can_declare(access, declaration.campaign, declaration.unit)
        or runs_campaign(access, declaration.campaign)
        or access.can_see_org(declaration.unit)
    )


def visible_campaigns(access: "Access") -> QuerySet[Campaign]:
    if access.is_operator:
        return Campaign.objects.all()
    q = Q(pk__in=[])
    for m in access.memberships:
        # Campaigns of offices in my subtree, and, once issued, of the offices above my org.
        q |= Q(office__path__startswith=m.org.path)
        above = [part for part in m.org.ancestor_ids() if part != m.org_id]
        q |= Q(office_id__in=above) & ~Q(status=Campaign.Status.DRAFT)
    return Campaign.objects.filter(q).distinct()


def access_campaign(
    request: "AccessRequest", campaign_id: object, *, run: bool = False
) -> Campaign:
    campaign = get_object_or_404(
        Campaign.objects.select_related("office", "parent"), pk=object_id(campaign_id)
    )
    allowed = (
        runs_campaign(request.access, campaign)
        if run
        else can_view_campaign(request.access, campaign)
    )
    if not allowed:
        raise PermissionDenied(
            "您无权访问该活动。" if not run else "只有本级政务公开办管理员可以操作。"
        )
    return campaign


def access_declaration(
    request: "AccessRequest", declaration_id: object, *, review: bool = False
) -> Declaration:
    declaration = get_object_or_404(
        Declaration.objects.select_related("campaign", "campaign__office", "unit"),
        pk=object_id(declaration_id),
    )
    if review:
        allowed = runs_campaign(request.access, declaration.campaign)
    else:
        allowed = can_view_declaration(request.access, declaration)
    if not allowed:
        raise PermissionDenied("您无权查看或审核该申报表。")
    return declaration
