"""The evaluation panel on the staff campaign page."""

from django import template

from openday.evaluation.access import can_manage, own_unit_ids, sees_all
from openday.evaluation.models import Scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def evaluation_panel(context, campaign):
    """What the campaign page shows of the evaluation to this viewer (None: nothing)."""
    request = context.get("request")
    if request is None or campaign is None or not campaign.pk:
        return None
    access = request.access
    scheme = Scheme.objects.filter(campaign=campaign).first()
    published = bool(scheme and scheme.published_at)
    if sees_all(access, campaign):
        return {
            "all": True,
            "manage": can_manage(access, campaign),
            "scheme": scheme,
            "published": published,
            "adjustments": scheme.adjustments.filter(revoked_at=None).count() if scheme else 0,
            "awards": scheme.awards.count() if scheme else 0,
        }
    mine = own_unit_ids(access, campaign)
    if not mine:
        return None
    if not published:
        return {"all": False, "published": False, "rows": []}
    from openday.evaluation.scoring import evaluate

    result = evaluate(campaign, scheme)
    rows = [u for u in result.units if u.unit.pk in mine]
    return {"all": False, "published": True, "rows": rows, "count": len(result.units)}
