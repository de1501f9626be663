"""The bulletin-board notice (宣传栏): a printable A4 page with the title, the lead, the first
image and a QR code to the article in the campaign's special column."""

from django.urls import reverse

from openday.campaigns.models import Campaign
from openday.events.tickets import qr_svg

from . import rendering
from .access import is_public


def column_url(campaign, base_url=""):
    if campaign is None or campaign.status == Campaign.Status.DRAFT:
        return ""
    return base_url.rstrip("/") + reverse("portal:column", args=[campaign.pk])


def public_url(article, base_url=""):
    """Where the public reads the article: its own page once published, else the column."""
    if is_public(article):
        return base_url.rstrip("/") + reverse("portal:article", args=[article.pk])
    return column_url(article.campaign, base_url)


def bulletin_context(article, base_url):
    """What the printable page shows; url and qr are empty when nothing public exists yet."""
    url = public_url(article, base_url)
    images = list(article.images.order_by("position", "id"))
    lead = rendering.lead_of(article, limit=300)
    return {
        "article": article,
        "lead": lead,
        "image": images[0] if images else None,
        "url": url,
        "qr": qr_svg(url) if url else "",
        "published": is_public(article),
        "points_to_column": bool(url) and not is_public(article),
    }
