"""Context for the publicity panels on the staff event and campaign pages and on the public
event page, whose views belong to other modules."""

from django import template
from django.db.models import Count

from openday.campaigns.models import Campaign
from openday.publicity import access as rules
from openday.publicity.bulletin import column_url
from openday.publicity.models import Article

register = template.Library()


@register.simple_tag(takes_context=True)
def event_publicity(context, event):
    """The event's articles the viewer may see, and whether they may write for the event."""
    access = context["request"].access
    articles = (
        rules.visible(access).filter(event=event).select_related("unit").order_by("-updated_at")
    )
    return {
        "articles": list(articles[:20]),
        "can_write": rules.can_write_for(access, event.unit),
        "column_url": column_url(event.campaign) if event.campaign_id else "",
    }


@register.simple_tag(takes_context=True)
def campaign_publicity(context, campaign):
    """Counts by status of the campaign's articles the viewer sees; the review queue's size."""
    access = context["request"].access
    seen = rules.visible(access).filter(campaign=campaign)
    counts = dict(seen.order_by().values_list("status").annotate(n=Count("id")))
    queue = 0
    if rules.reviews_anything(access):
        queue = rules.review_queue(access).filter(campaign=campaign).count()
    return {
        "counts": [(label, counts.get(code, 0)) for code, label in Article.Status.choices],
        "total": sum(counts.values()),
        "queue": queue,
        "can_write_notice": rules.can_write_for(access, campaign.office),
        "column_url": column_url(campaign),
        "draft_campaign": campaign.status == Campaign.Status.DRAFT,
    }


@register.simple_tag
def public_event_articles(event):
    """Published articles of a public event, for its portal page."""
    return list(rules.public_articles().filter(event=event).order_by("-published_at", "-id")[:10])


@register.simple_tag
def campaign_column_url(campaign):
    return column_url(campaign) if campaign is not None else ""
