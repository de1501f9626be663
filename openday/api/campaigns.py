"""Public campaign endpoints: published campaigns and their plans (no personal data)."""

from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from openday.campaigns import workbooks
from openday.campaigns.models import Campaign
from openday.lib import pagecache
from openday.lib.params import ObjectId, Year

router = Router(tags=["年度活动"])


class CampaignOut(Schema):
    id: int
    year: int
    kind: str
    kind_label: str
    title: str
    theme: str
    office: str
    doc_number: str
    status: str
    window_start_month: int
    window_end_month: int
    declaration_deadline: date
    topic_areas: list[str]
    activity_forms: list[str]
    plan_published: bool
    parent_id: int | None


class PlanRow(Schema):
    seq: int
    unit: str
    theme: str
    month: int
    week_of: date
    forms: list[str]
    topic_area: str
    intro: str


def _published():
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("office")


def _out(c):
    return {
        "id": c.pk,
        "year": c.year,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "title": c.title,
        "theme": c.theme,
        "office": c.office.name,
        "doc_number": c.doc_number,
        "status": c.status,
        "window_start_month": c.window_start_month,
        "window_end_month": c.window_end_month,
        "declaration_deadline": c.declaration_deadline,
        "topic_areas": c.topic_areas,
        "activity_forms": c.activity_forms,
        "plan_published": c.plan_published_at is not None,
        "parent_id": c.parent_id,
    }


@router.get("/campaigns", auth=None, response=list[CampaignOut])
def list_campaigns(request, response: HttpResponse, year: Year | None = None):
    """Campaigns whose notice has been issued, newest first. ETag: 304 to If-None-Match."""
    if unchanged := pagecache.not_modified(request, response, ["campaigns"]):
        return unchanged
    qs = _published().order_by("-year", "office__path")
    if year is not None:
        qs = qs.filter(year=year)
    return [_out(c) for c in qs]


@router.get("/campaigns/{campaign_id}", auth=None, response=CampaignOut)
def get_campaign(request, campaign_id: ObjectId):
    return _out(get_object_or_404(_published(), pk=campaign_id))


def _plan_campaign(campaign_id):
    return get_object_or_404(_published().exclude(plan_published_at=None), pk=campaign_id)


@router.get("/campaigns/{campaign_id}/plan", auth=None, response=list[PlanRow])
def get_plan(request, campaign_id: ObjectId):
    """The published 计划安排表, one row per event, in calendar order."""
    campaign = _plan_campaign(campaign_id)
    return [
        {
            "seq": i,
            "unit": e.unit.name,
            "theme": e.theme,
            "month": e.month,
            "week_of": e.week,
            "forms": e.forms,
            "topic_area": e.topic_area,
            "intro": e.intro,
        }
        for i, e in enumerate(campaign.plan_entries.select_related("unit"), start=1)
    ]


@router.get("/campaigns/{campaign_id}/plan.xlsx", auth=None)
def get_plan_xlsx(request, campaign_id: ObjectId):
    """The published plan in the official xlsx form (mobile numbers masked)."""
    campaign = _plan_campaign(campaign_id)
    data = workbooks.plan_workbook(
        campaign, campaign.plan_entries.select_related("unit"), full_phone=False
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="plan-{campaign.pk}.xlsx"'
    return response
