"""Who may build a survey and see its results: the owning org's runners and the tree above."""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from openday.events.access import can_run_event_for
from openday.lib.params import object_id

from .models import Survey

if TYPE_CHECKING:
    from openday.orgs.access import Access, AccessRequest


def can_manage_survey(access: "Access", survey: Survey) -> bool:
    """Unit admins and staff of the owning org or above, office admins above it, operators."""
    return can_run_event_for(access, survey.org)


def can_see_results(access: "Access", survey: Survey) -> bool:
    """Those who manage it, and anyone who sees the owning org (viewers, handlers)."""
    return can_manage_survey(access, survey) or access.can_see_org(survey.org)


def visible_surveys(access: "Access") -> QuerySet[Survey]:
    return Survey.objects.filter(access.scope_q(field="org__path"))


def access_survey(request: "AccessRequest", survey_id: object, *, manage: bool = False) -> Survey:
    survey = get_object_or_404(
        Survey.objects.select_related("org", "event", "campaign"), pk=object_id(survey_id)
    )
    allowed = (can_manage_survey if manage else can_see_results)(request.access, survey)
    if not allowed:
        raise PermissionDenied("您无权管理该问卷。" if manage else "您无权查看该问卷。")
    return survey
