from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from openday.campaigns import documents, scheduler
from openday.campaigns.models import Campaign
from openday.lib import pagecache
from openday.lib.security_headers import no_store
from openday.orgs.models import Org

from .context import CARE_COOKIE, public_page


@public_page(lambda: ["events", "campaigns", "surveys"])
def home(request):
    offices = (
        Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True)
        .select_related("region")
        .annotate(
            unit_count=Count(
                "children", filter=Q(children__kind=Org.Kind.UNIT, children__is_active=True)
            )
        )
        .filter(unit_count__gt=0)
        .order_by("path")
    )
    campaigns = _published().order_by("-year", "office__path")[:6]
    from django.utils import timezone

    from openday.events.models import Event

    events = (
        Event.objects.filter(
            status__in=[Event.Status.OPEN, Event.Status.CLOSED], ends_at__gte=timezone.now()
        )
        .select_related("unit")
        .order_by("starts_at")[:6]
    )
    from openday.surveys.services import open_surveys

    return render(
        request,
        "portal/home.html",
        {
            "offices": offices,
            "campaigns": campaigns,
            "events": events,
            "surveys": open_surveys().order_by("-created_at")[:6],
        },
    )


def _published():
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("office")


def campaign_list(request):
    campaigns = _published().order_by("-year", "office__path")
    return render(request, "portal/campaign_list.html", {"campaigns": campaigns})


@public_page(lambda campaign_id: [pagecache.campaign(campaign_id)])
def campaign_detail(request, campaign_id):
    from django.shortcuts import get_object_or_404

    campaign = get_object_or_404(_published(), pk=campaign_id)
    months = []
    if campaign.status in (Campaign.Status.PLAN_PUBLISHED, Campaign.Status.CLOSED):
        from openday.events.models import Event

        entries = list(campaign.plan_entries.select_related("unit"))
        # A plan row leads to its event once the unit has published it.
        public = Event.objects.filter(plan_entry__campaign=campaign).exclude(
            status=Event.Status.DRAFT
        )
        event_of = dict(public.values_list("plan_entry_id", "pk"))
        for e in entries:
            e.public_event_id = event_of.get(e.pk)
        for m in campaign.months:
            weeks = [
                {"monday": w, "entries": [e for e in entries if e.week == w]}
                for w in scheduler.weeks_of_month(campaign.year, m)
            ]
            months.append(
                {"month": m, "weeks": weeks, "count": sum(len(w["entries"]) for w in weeks)}
            )
    from openday.publicity.access import public_articles

    articles = public_articles().filter(campaign=campaign).select_related("unit")
    return render(
        request,
        "portal/campaign_detail.html",
        {
            "campaign": campaign,
            "months": months,
            "body": documents.filled_body(campaign),
            "articles": articles.order_by("-published_at", "-id")[:3],
        },
    )


def privacy(request):
    return render(request, "portal/privacy.html")


def _safe_next(request, fallback="/"):
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@require_POST
def toggle_care(request):
    response = HttpResponseRedirect(_safe_next(request))
    if request.POST.get("care") == "1":
        response.set_cookie(
            CARE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    else:
        response.delete_cookie(CARE_COOKIE, samesite="Lax")
    return response


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "您没有权限访问此页面。"
    return render(
        request, "error.html", {"title": "无权访问", "message": message, "code": 403}, status=403
    )


def bad_request(request, exception=None):
    """400, or 413 when the body was over the cap (Django reports that as a 400)."""
    from django.core.exceptions import RequestDataTooBig

    from openday.lib.params import BadParam
    from openday.lib.request_limits import too_large

    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    message = str(exception) if isinstance(exception, BadParam) else "请求不正确，请检查后重试。"
    context = {"title": "请求不正确", "message": message, "code": 400}
    return render(request, "error.html", context, status=400)


# Fields never shown back on the CSRF failure page, by a part of their name.
SECRET_FIELDS = ("csrf", "password", "passwd", "token", "secret", "otp", "totp", "captcha")
ECHO_FIELDS, ECHO_CHARS = 50, 20000


def _typed(request):
    """[(name, text)] the failed form sent: text fields with a value, never a password, a token
    or a file, each clipped; shown read-only (and escaped) so nothing typed is lost."""
    from django.core.exceptions import SuspiciousOperation
    from django.http.multipartparser import MultiPartParserError

    out = []
    try:
        items = request.POST.lists()
    except (OSError, SuspiciousOperation, MultiPartParserError):  # unreadable, too big
        return out
    for name, values in items:
        if any(part in name.lower() for part in SECRET_FIELDS):
            continue
        for value in values:
            if isinstance(value, str) and value.strip() and len(out) < ECHO_FIELDS:
                out.append((name[:100], value[:ECHO_CHARS]))
    return out


def _back_path(request):
    """The Referer's path and query when it is this site's own page, else ''."""
    from urllib.parse import urlsplit

    from django.core.exceptions import DisallowedHost

    referer = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    if not parts.netloc:  # a relative Referer is not sent by browsers
        return ""
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return ""
    return path + (f"?{parts.query}" if parts.query else "")


@no_store
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the page was open too long, the session ended, or cookies are off.

    The answer is 403 and kept by no cache: it may show what the person typed."""
    message = "页面已过期或浏览器禁用了 Cookie，为保护您的信息，本次提交没有保存。"
    if request.path_info.startswith("/api/"):
        from openday.api.v1 import error

        return error("csrf_failed", message, 403)
    context = {
        "title": "页面已过期，请重新提交",
        "message": message,
        "code": 403,
        "typed": _typed(request),
        "back": _back_path(request),
        "no_cookies": not request.COOKIES,
    }
    return render(request, "csrf_failure.html", context, status=403)


def page_not_found(request, exception=None):
    return render(
        request,
        "error.html",
        {"title": "页面不存在", "message": "您访问的页面不存在或已被删除。", "code": 404},
        status=404,
    )


def server_error(request):
    return render(
        request,
        "error.html",
        {"title": "系统繁忙", "message": "服务器出现错误，我们已记录，请稍后再试。", "code": 500},
        status=500,
    )


def campaign_logo(request, campaign_id):
    """The LOGO of a campaign: public once the notice is out, to its staff always."""
    from django.http import Http404, HttpResponse
    from django.shortcuts import get_object_or_404

    from openday.campaigns.access import can_view_campaign
    from openday.campaigns.logo import logo_bytes

    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.status == Campaign.Status.DRAFT and not (
        request.user.is_authenticated and can_view_campaign(request.access, campaign)
    ):
        raise Http404
    data, content_type = logo_bytes(campaign)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def favicon(request):
    """/favicon.ico: the site's icon, for browsers and readers that ask for it by that name."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.http import HttpResponsePermanentRedirect
    from django.utils.cache import patch_cache_control

    response = HttpResponsePermanentRedirect(staticfiles_storage.url("openday/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response
