"""The special column (活动专栏) for mini-programs and the government website: published articles
of a campaign and one article. Public (no token); drafts, articles under review and withdrawn
ones are never listed and answer 404."""

from datetime import datetime

from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Schema

from openday.campaigns.models import Campaign
from openday.lib import pagecache
from openday.lib.params import ObjectId, Offset
from openday.publicity import rendering
from openday.publicity.access import public_articles
from openday.publicity.models import Article

router = Router(tags=["活动专栏"])
MAX_LIMIT = 100


def _error(code, message, status, **extra):
    from .v1 import error

    return error(code, message, status, **extra)


class ImageOut(Schema):
    url: str
    caption: str
    width: int | None
    height: int | None


class ArticleOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    lead: str
    unit: str
    event_id: int | None
    event_title: str | None
    campaign_id: int | None
    published_at: datetime
    url: str
    images: list[ImageOut]


class ArticlePage(Schema):
    count: int
    offset: int
    limit: int
    results: list[ArticleOut]


class ArticleDetail(ArticleOut):
    author_name: str
    body: str
    body_html: str
    views: int


def _image_out(request, image):
    return {
        "url": request.build_absolute_uri(reverse("portal:article_image", args=[image.pk])),
        "caption": image.caption,
        "width": image.width,
        "height": image.height,
    }


def _out(request, a):
    images = sorted(a.images.all(), key=lambda i: (i.position, i.pk))
    return {
        "id": a.pk,
        "title": a.title,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "lead": rendering.lead_of(a),
        "unit": a.unit.name,
        "event_id": a.event_id,
        "event_title": a.event.title if a.event_id else None,
        "campaign_id": a.campaign_id,
        "published_at": a.published_at,
        "url": request.build_absolute_uri(reverse("portal:article", args=[a.pk])),
        "images": [_image_out(request, i) for i in images],
    }


def _queryset():
    return public_articles().select_related("unit", "event").prefetch_related("images")


@router.get("/campaigns/{campaign_id}/articles", auth=None, response=ArticlePage)
def campaign_articles(
    request,
    response: HttpResponse,
    campaign_id: ObjectId,
    offset: Offset = 0,
    limit: int = 20,
    q: str = "",
    kind: str = "",
):
    """Published articles of the campaign's special column, newest first. `q` searches titles
    and text; `kind` is announcement (活动预告), news (活动报道) or notice (通知公告).
    404 `not_found` for an unknown campaign or one whose notice is not issued yet."""
    if limit < 1 or limit > MAX_LIMIT or offset < 0:
        return _error(
            "invalid",
            "请求参数不正确。",
            422,
            details=[
                {"field": "limit", "reason": f"limit 须在 1–{MAX_LIMIT} 之间，offset 不能为负数。"}
            ],
        )
    if kind and kind not in Article.Kind.values:
        return _error(
            "invalid",
            "请求参数不正确。",
            422,
            details=[{"field": "kind", "reason": f"须为 {'、'.join(Article.Kind.values)} 之一。"}],
        )
    campaign = Campaign.objects.exclude(status=Campaign.Status.DRAFT).filter(pk=campaign_id).first()
    if campaign is None:
        return _error("not_found", "年度活动不存在或尚未发布。", 404)
    scopes = [pagecache.campaign(campaign.pk), "articles"]
    if unchanged := pagecache.not_modified(request, response, scopes):
        return unchanged
    qs = _queryset().filter(campaign=campaign)
    if kind:
        qs = qs.filter(kind=kind)
    q = q.strip()[:50]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(lead__icontains=q) | Q(body__icontains=q))
    qs = qs.order_by("-published_at", "-id")
    return {
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "results": [_out(request, a) for a in qs[offset : offset + limit]],
    }


@router.get("/articles/{article_id}", auth=None, response=ArticleDetail)
def get_article(request, article_id: ObjectId):
    """One published article with its plain-text body and the same body as safe HTML (images
    as absolute addresses). Reading through the API does not count as a view."""
    a = _queryset().filter(pk=article_id).first()
    if a is None:
        return _error("not_found", "文章不存在或尚未发布。", 404)
    images = sorted(a.images.all(), key=lambda i: (i.position, i.pk))

    def src(image, n):
        return request.build_absolute_uri(reverse("portal:article_image", args=[image.pk]))

    return {
        **_out(request, a),
        "author_name": a.author_name,
        "body": a.body,
        "body_html": str(rendering.render(a.body, images, src)),
        "views": a.views,
    }
