"""The summary and evidence panel on the staff event page."""

from django import template

from openday.summaries import access as rules
from openday.summaries import evidence
from openday.summaries.models import EventPhoto, EventSummary

register = template.Library()


@register.inclusion_tag("control/summary/_panel.html", takes_context=True)
def summary_panel(context, event):
    """Checklist (✓/✗), photo count and summary state with links; nothing for outsiders."""
    request = context.get("request")
    access = getattr(request, "access", None)
    if access is None or not rules.can_view(access, event):
        return {"hidden": True}
    items = evidence.checklist(event)
    summary = EventSummary.objects.filter(event=event).first()
    return {
        "event": event,
        "summary": summary,
        "submitted": summary is not None and summary.status == EventSummary.Status.SUBMITTED,
        "can_edit": rules.can_edit(access, event),
        "checklist": items,
        "missing": [i for i in items if not i["ok"]],
        "complete": all(i["ok"] for i in items),
        "photo_count": EventPhoto.objects.filter(event=event).count(),
    }


@register.filter
def uses_summaries(access):
    """Whether the staff navigation shows 活动总结 (handlers have no part in summaries)."""
    return access is not None and rules.may_use_summaries(access)
