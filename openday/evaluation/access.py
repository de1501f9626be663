"""Who sees and changes a campaign's evaluation.

- the campaign office's admins (and operators) change everything: weights, adjustments,
  awards, publishing;
- everyone else in the office (viewers, handlers) and the offices above it see every unit;
- a unit's admins, staff and viewers see only their own unit's row, and only once the office
  has published the scores; handlers (who see only the opinions assigned to them) do not;
- other regions see nothing.
"""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from openday.campaigns.access import access_campaign, runs_campaign
from openday.orgs.models import Role

from .models import Scheme

if TYPE_CHECKING:
    from openday.campaigns.models import Campaign
    from openday.orgs.access import Access, AccessRequest

UNIT_ROLES = {Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.VIEWER}
NOT_PUBLISHED = "考核结果尚未公布：政务公开办公布后，本单位可查看自己的得分和排名。"
NOT_MANAGER = "只有本级政务公开办管理员可以修改考核指标、加减分和表彰。"
NOT_SEEN = "您无权查看该年度活动的考核结果。"


def can_manage(access: "Access", campaign: "Campaign") -> bool:
    return runs_campaign(access, campaign)


def sees_all(access: "Access", campaign: "Campaign") -> bool:
    return runs_campaign(access, campaign) or access.can_see_org(campaign.office)


def own_unit_ids(access: "Access", campaign: "Campaign") -> set[int]:
    """The office's units in which the user holds a role that may see its own score."""
    return {
        m.org_id
        for m in access.memberships
        if m.role in UNIT_ROLES and m.org.parent_id == campaign.office_id
    }


def is_published(campaign: "Campaign") -> bool:
    return Scheme.objects.filter(campaign=campaign, published_at__isnull=False).exists()


def visible_unit_ids(access: "Access", campaign: "Campaign") -> set[int] | None:
    """None: every unit; otherwise the set of unit ids this viewer may see (may be empty)."""
    if sees_all(access, campaign):
        return None
    if not is_published(campaign):
        return set()
    return own_unit_ids(access, campaign)


def access_evaluation(
    request: "AccessRequest", campaign_id: object, *, manage: bool = False
) -> "tuple[Campaign, set[int] | None]":
    """(campaign, visible unit ids or None for all); 403 with the reason otherwise."""
    campaign = access_campaign(request, campaign_id)
    access = request.access
    if manage:
        if not can_manage(access, campaign):
            raise PermissionDenied(NOT_MANAGER)
        return campaign, None
    if sees_all(access, campaign):
        return campaign, None
    mine = own_unit_ids(access, campaign)
    if not mine:
        raise PermissionDenied(NOT_SEEN)
    if not is_published(campaign):
        raise PermissionDenied(NOT_PUBLISHED)
    return campaign, mine
