"""The evaluation of a campaign (绩效考核): indicator values and scores per unit (staff token).

The same rules as the staff pages (openday.evaluation.access): the campaign's office and the
offices above it see every unit; a unit's admins, staff and viewers see their own unit once the
office has published the scores; everyone else gets 403.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from openday.campaigns.access import can_view_campaign
from openday.campaigns.models import Campaign
from openday.evaluation import scoring
from openday.evaluation.access import NOT_PUBLISHED, NOT_SEEN, is_published, own_unit_ids, sees_all
from openday.lib.params import ObjectId

router = Router(tags=["绩效考核"])


class CampaignRef(Schema):
    id: int
    title: str
    year: int
    office: str


class IndicatorOut(Schema):
    code: str
    label: str
    measure: str
    kind: str
    weight: float
    target: float
    definition: str


class UnitScoreOut(Schema):
    id: int
    name: str
    values: dict[str, float | int | None]
    points: dict[str, float]
    adjustments: float
    score: float
    rank: int


class AwardOut(Schema):
    kind: str
    kind_label: str
    unit_id: int
    unit: str
    event_id: int | None
    event: str | None
    citation: str


class EvaluationOut(Schema):
    campaign: CampaignRef
    published: bool
    published_at: datetime | None
    # When the figures were counted: now for a small campaign, by the worker for a province's
    # (ops.rollups; the same figures as the pages and exports).
    counted_at: datetime
    indicators: list[IndicatorOut]
    units: list[UnitScoreOut]
    awards: list[AwardOut]


@router.get("/campaigns/{campaign_id}/evaluation", response=EvaluationOut)
def get_evaluation(request, campaign_id: ObjectId):
    """Every indicator's value (rates as a share, 0–1; null: no data) and points per unit, the
    net adjustments, the score and the rank (ties share a rank)."""
    campaign = get_object_or_404(Campaign.objects.select_related("office"), pk=campaign_id)
    access = request.access
    only = None
    if not can_view_campaign(access, campaign):
        raise PermissionDenied(NOT_SEEN)
    if not sees_all(access, campaign):
        only = own_unit_ids(access, campaign)
        if not only:
            raise PermissionDenied(NOT_SEEN)
        if not is_published(campaign):
            raise PermissionDenied(NOT_PUBLISHED)
    result = scoring.evaluate(campaign)
    units = [u for u in result.units if only is None or u.unit.pk in only]
    return {
        "campaign": {
            "id": campaign.pk,
            "title": campaign.title,
            "year": campaign.year,
            "office": campaign.office.name,
        },
        "published": result.published,
        "published_at": result.scheme.published_at if result.scheme else None,
        "counted_at": result.counted.computed_at,
        "indicators": [
            {
                "code": s.code,
                "label": s.indicator.label,
                "measure": s.indicator.measure,
                "kind": s.indicator.kind,
                "weight": float(s.weight),
                "target": float(s.target),
                "definition": s.indicator.definition,
            }
            for s in result.standards
        ],
        "units": [
            {
                "id": u.unit.pk,
                "name": u.unit.name,
                "values": {c: line.plain for c, line in u.lines.items()},
                "points": {c: float(line.points) for c, line in u.lines.items()},
                "adjustments": float(u.adjustment_total),
                "score": float(u.score),
                "rank": u.rank,
            }
            for u in units
        ],
        "awards": [
            {
                "kind": a.kind,
                "kind_label": a.get_kind_display(),
                "unit_id": a.unit_id,
                "unit": a.unit.name,
                "event_id": a.event_id,
                "event": a.event.title if a.event else None,
                "citation": a.citation,
            }
            for a in result.awards
            if only is None or a.unit_id in only
        ],
    }
