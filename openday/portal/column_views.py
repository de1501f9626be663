"""The public special column (活动专栏) of a campaign: its LOGO, notice and plan, every public
event (before: the announcement and registration; after: the news, photos and the opinion
results board), the published articles with search and pages; one article's page; the images.

The public sees only published articles of issued campaigns (publicity.access.public_articles).
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone

from openday.campaigns import documents
from openday.campaigns.models import Campaign
from openday.events.models import Event
from openday.lib import pagecache
from openday.lib import params as param
from openday.opinions.models import Opinion
from openday.publicity import rendering
from openday.publicity.access import can_see, is_public, public_articles
from openday.publicity.models import Article, ArticleImage
from openday.summaries.models import EventPhoto

from .context import public_page

PAGE_SIZE = 10
PHOTOS_PER_EVENT = 8
QUERY_LIMIT = 50
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _campaigns():
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("office")


def image_src(image, n=None):
    return reverse("portal:article_image", args=[image.pk])


def _search(qs, q):
    if not q:
        return qs
    return qs.filter(Q(title__icontains=q) | Q(lead__icontains=q) | Q(body__icontains=q))


def _events(campaign):
    """(upcoming, held) public events of the campaign, each with its articles and photos."""
    events = list(
        Event.objects.filter(campaign=campaign)
        .exclude(status=Event.Status.DRAFT)
        .select_related("unit")
        .order_by("starts_at", "id")
    )
    ids = [e.pk for e in events]
    articles, photos = {}, {}
    for a in public_articles().filter(event_id__in=ids).order_by("-published_at", "-id"):
        articles.setdefault(a.event_id, []).append(a)
    for p in EventPhoto.objects.filter(event_id__in=ids, public=True).order_by("uploaded_at", "id"):
        photos.setdefault(p.event_id, []).append(p)
    board = dict(
        Opinion.objects.filter(event_id__in=ids, status=Opinion.Status.PUBLISHED)
        .order_by()
        .values_list("event_id")
        .annotate(n=Count("id"))
    )
    now = timezone.now()
    upcoming, held = [], []
    for e in events:
        mine = articles.get(e.pk, [])
        e.announcements = [a for a in mine if a.kind == Article.Kind.ANNOUNCEMENT]
        e.news = [a for a in mine if a.kind != Article.Kind.ANNOUNCEMENT]
        e.public_photos = photos.get(e.pk, [])[:PHOTOS_PER_EVENT]
        e.more_photos = max(len(photos.get(e.pk, [])) - PHOTOS_PER_EVENT, 0)
        e.board_count = board.get(e.pk, 0)
        done = e.status in (Event.Status.HELD, Event.Status.SUMMARIZED) or e.ends_at < now
        (held if done else upcoming).append(e)
    held.reverse()
    return upcoming, held


# A search (q=) is not kept: any text could be asked for.
@public_page(
    lambda campaign_id: [pagecache.campaign(campaign_id), "articles", "board"],
    query=("kind", "page"),
)
def column(request, campaign_id):
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    q = request.GET.get("q", "").strip()[:QUERY_LIMIT]
    kind = request.GET.get("kind", "")
    articles = public_articles().filter(campaign=campaign).select_related("unit", "event")
    if kind in Article.Kind.values:
        articles = articles.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(_search(articles, q).order_by("-published_at", "-id"), PAGE_SIZE).get_page(
        param.page(request.GET.get("page"))
    )
    for a in page:
        a.lead_text = rendering.lead_of(a)
    upcoming, held = _events(campaign)
    plan = []
    if campaign.plan_published_at is not None:
        plan = list(campaign.plan_entries.select_related("unit"))
    params = [(k, v) for k, v in (("q", q), ("kind", kind)) if v]
    return render(
        request,
        "portal/column/column.html",
        {
            "campaign": campaign,
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": Article.Kind.choices,
            "query": urlencode(params),
            "upcoming": upcoming,
            "held": held,
            "plan": plan,
            "body": documents.filled_body(campaign),
        },
    )


def article(request, article_id):
    article = get_object_or_404(
        public_articles().select_related("unit", "event", "campaign", "campaign__office"),
        pk=article_id,
    )
    # Counted in the database: two readers at once make two views, never one.
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
    article.views += 1
    images = list(article.images.order_by("position", "id"))
    related = public_articles().exclude(pk=article.pk).select_related("unit")
    if article.event_id:
        related = related.filter(event_id=article.event_id)
    elif article.campaign_id:
        related = related.filter(campaign_id=article.campaign_id)
    else:
        related = related.none()
    return render(
        request,
        "portal/column/article.html",
        {
            "a": article,
            "body": rendering.render(article.body, images, image_src),
            "lead": article.lead,
            "related": related.order_by("-published_at")[:5],
            "campaign": article.campaign,
        },
    )


def _file_response(field, public):
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("图片不存在。") from exc
    head = handle.read(8)
    handle.seek(0)
    content_type = next((t for magic, t in IMAGE_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        handle.close()
        raise Http404("图片不存在。")
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


def article_image(request, image_id):
    """An article's image: public once the article is, to the staff who may see it before."""
    image = get_object_or_404(
        ArticleImage.objects.select_related("article", "article__unit"), pk=image_id
    )
    public = is_public(image.article)
    if not public and not (
        request.user.is_authenticated and can_see(request.access, image.article)
    ):
        raise Http404("图片不存在。")
    return _file_response(image.image, public)


def column_photo(request, photo_id):
    """A public photo of a public event (EventPhoto.public)."""
    photo = get_object_or_404(
        EventPhoto.objects.exclude(event__status=Event.Status.DRAFT), pk=photo_id, public=True
    )
    return _file_response(photo.image, True)


urlpatterns = [
    path("campaigns/<id:campaign_id>/column/", column, name="column"),
    path("articles/<id:article_id>/", article, name="article"),
    path("articles/images/<id:image_id>", article_image, name="article_image"),
    path("column/photos/<id:photo_id>", column_photo, name="column_photo"),
]
