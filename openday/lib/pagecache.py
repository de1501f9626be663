"""The page cache of the public read path (issue #21): the event page, the campaign page, the
special column, the results board and the home page are kept rendered in the cache and served
from it to anonymous visitors; the API's public lists answer 304 to a matching If-None-Match.

Versions. Public data is divided into scopes, each with a version in the database (ops.PageVersion):
"site" (the organizations), "events" (any event), "event:<id>" (one event, its quotas, articles
and surveys), "campaigns" (any campaign), "campaign:<id>" (one campaign, its plan, events,
articles and photos), "articles", "surveys" and "board" (the opinions); "callbacks" (the
opinions' call-backs) only keys the staff's opinion figures (ops.rollups). A cached
page is stored under a key made of the versions of the scopes it shows (PAGES below), so a change
makes a new key and the old entry is never read again; nothing has to be deleted, on any node.

Where the versions are bumped: in two choke points, never in the views or per service.
`changed(obj)` maps a changed object to its scopes (scopes_of, the one table of what shows
what) and is called from
  * the save and delete signals of the few public models (connect(), from PortalConfig.ready):
    every save() and delete() of an event, quota, campaign, plan row, article, photo, opinion,
    survey, question or organization, whoever makes it (services, imports, the demo, the admin);
  * audit.services.record(obj=…): the services that change public data with a queryset
    update() (an event's status, a plan published in bulk) audit that change, and the audit
    call names the object.
A registration is neither: the seats left on the event page are filled in per request from the
registration counts (portal.event_views), so registrations never invalidate a page.

The bump runs after the transaction commits (transaction.on_commit), as one atomic
UPDATE … SET version = version + 1 (INSERT … ON CONFLICT), all scopes of a transaction at once
in a fixed order: a reader that read the new version is sure to read the committed data, and no
transaction holds a version row locked while it runs. A process that dies between its commit and
the bump leaves pages stale for at most SERVER_SECONDS. Inside a test's wrapping transaction,
where on_commit never fires, the bump is written at once.

Several processes. The rule of the design: nothing shared between requests lives in one
process's memory. The cache itself may be per process (LocMemCache, the embedded default) or
shared (Redis): an entry is only ever read under the versions it was made from, and every
request reads the versions from the database (one indexed query for all the scopes of the page).

Per request. Only the generic page is cached: GET or HEAD, no session and no message cookie (so
never a signed-in member of staff), and no query string but the parameters the page itself
uses. The key includes the host, the path and query, and the cookies that change the page
(关怀版, told by the portal). The page is rendered with a
sentinel for the CSP nonce and the CSRF token, and each answer gets its own (the CSRF cookie is
set as usual). Seats left are markers filled in per request. The answers carry
`Cache-Control: private` (a shared cache must not hand one visitor's nonce and CSRF token to
another), a short max-age (none on the event page, whose seats change), an ETag (versions and
seats) and Last-Modified; a matching If-None-Match is answered 304 without a body.
"""

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils.http import http_date

log = logging.getLogger(__name__)

# How long the server keeps a page at most: bounds what depends on the clock alone (an event
# that ended leaves the home page, a survey window opens). The event page ends its entry at the
# next registration window boundary itself (PAGE_UNTIL).
SERVER_SECONDS = 60
MESSAGE_COOKIE = "messages"  # django.contrib.messages CookieStorage

# Rendered in place of the request's values, replaced on each answer. The nonce sentinel has the
# alphabet of secrets.token_urlsafe; the CSRF one the length and alphabet of a masked token.
NONCE_SENTINEL = "odPageCacheNonce00000000"
CSRF_SENTINEL = "odPageCacheCsrf" + "0" * 49
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')

# Set on the response by a view: extra data its `fill` needs, and when its page goes stale.
PAGE_EXTRA = "page_cache_extra"
PAGE_UNTIL = "page_cache_until"


def event(pk: object) -> str:
    return f"event:{pk}" if pk else ""


def campaign(pk: object) -> str:
    return f"campaign:{pk}" if pk else ""


def _event_campaign(event_id: int | None) -> str:
    if not event_id:
        return ""
    from openday.events.models import Event

    return campaign(Event.objects.filter(pk=event_id).values_list("campaign_id", flat=True).first())


def scopes_of(obj: models.Model) -> set[str]:
    """The scopes whose pages show `obj`: the one table of what invalidates what."""
    label = obj._meta.label_lower
    get = obj.__dict__.get
    found: set[str]
    if label == "events.event":
        found = {event(obj.pk), campaign(get("campaign_id")), "events"}
    elif label == "events.quota":
        found = {event(get("event_id")), "events"}
    elif label == "campaigns.campaign":
        found = {campaign(obj.pk), "campaigns"}
    elif label == "campaigns.planentry":
        found = {campaign(get("campaign_id"))}
    elif label == "publicity.article":
        found = {event(get("event_id")), campaign(get("campaign_id")), "articles"}
    elif label == "summaries.eventphoto":
        found = {_event_campaign(get("event_id"))}
    elif label == "opinions.opinion":
        found = {"board"}
    elif label == "opinions.callback":  # no public page; the staff's opinion figures
        found = {"callbacks"}
    elif label == "surveys.survey":
        found = {event(get("event_id")), "surveys"}
    elif label == "surveys.question":
        found = {"surveys"}
    elif label == "orgs.org":
        found = {"site"}
    else:
        return set()
    return found - {""}


PUBLIC_MODELS = (
    "events.Event",
    "events.Quota",
    "campaigns.Campaign",
    "campaigns.PlanEntry",
    "publicity.Article",
    "summaries.EventPhoto",
    "opinions.Opinion",
    "opinions.Callback",
    "surveys.Survey",
    "surveys.Question",
    "orgs.Org",
)


def changed(obj: models.Model | None) -> None:
    """Bump the scopes that show `obj` once the current transaction commits."""
    if obj is not None:
        bump(*scopes_of(obj))


def _on_signal(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata
        return
    changed(instance)


def connect() -> None:
    """Wire the save and delete signals of PUBLIC_MODELS (called once, from an AppConfig)."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for name in PUBLIC_MODELS:
        model = apps.get_model(name)
        post_save.connect(_on_signal, sender=model, dispatch_uid=f"pagecache-save-{name}")
        post_delete.connect(_on_signal, sender=model, dispatch_uid=f"pagecache-delete-{name}")


# --- Versions -------------------------------------------------------------------------------------

_pending = threading.local()
# ops.PageVersion; standard SQL that SQLite (3.24+) and PostgreSQL both run.
BUMP_SQL = (
    'INSERT INTO ops_pageversion ("key", version) VALUES (%s, 1) '
    'ON CONFLICT ("key") DO UPDATE SET version = ops_pageversion.version + 1'
)


def bump(*keys: str) -> None:
    """Add one to each scope's version after the transaction commits (at once outside one)."""
    wanted = {k for k in keys if k}
    if not wanted:
        return
    # OPENDAY_PAGECACHE_BUMP_AT_ONCE (the test suite's setting, where each test is one
    # transaction that never commits) writes the bump inside the transaction instead.
    if not connection.in_atomic_block or settings.OPENDAY_PAGECACHE_BUMP_AT_ONCE:
        _write(wanted)
        return
    pending: set[str] | None = getattr(_pending, "keys", None)
    if pending is None:
        pending = _pending.keys = set()
    pending |= wanted
    # One callback per transaction; keys left by a rolled-back one are bumped with the next
    # (a needless bump only costs a render).
    if not any(entry[1] is _flush for entry in connection.run_on_commit):
        transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    keys: set[str] | None = getattr(_pending, "keys", None)
    if keys:
        _pending.keys = set()
        _write(keys)


def _write(keys: set[str]) -> None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for k in sorted(keys):  # one order everywhere: no deadlock between two bumps
                cursor.execute(BUMP_SQL, [k[:64]])
    except Exception:
        if connection.in_atomic_block:
            raise
        # The change itself has committed; its pages go stale for SERVER_SECONDS at most.
        log.exception("page cache: could not bump %s", sorted(keys))


def versions(keys: Iterable[str]) -> dict[str, int]:
    """{scope: version} for the scopes (0 for one never bumped): one indexed query, in SQL
    (on a cached hit the ORM's query building would cost more than the query)."""
    wanted = sorted(set(keys))
    marks = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "key", version FROM ops_pageversion WHERE "key" IN ({marks})',  # noqa: S608 - placeholders only
            wanted,
        )
        found = dict(cursor.fetchall())
    return {k: found.get(k, 0) for k in wanted}


def _digest(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags


# --- Pages ----------------------------------------------------------------------------------------


@dataclass
class Entry:
    body: bytes
    content_type: str
    expires: float
    made: float
    extra: Any = field(default=None)


def rendering(request: HttpRequest) -> bool:
    """True while a view renders the generic page for the cache (fill in markers, not values)."""
    return getattr(request, "_page_cache_rendering", False)


def generic(request: HttpRequest, query: Iterable[str] = ()) -> bool:
    """Whether this request gets the generic page: anonymous, no session, no own parameters."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or MESSAGE_COOKIE in cookies:
        return False
    if "Authorization" in request.headers:
        return False
    allowed = set(query)
    return all(k in allowed and len(request.GET.getlist(k)) == 1 for k in request.GET)


Fill = Callable[[HttpRequest, bytes, Any], tuple[bytes, str]]


def _personalize(request: HttpRequest, body: bytes) -> bytes:
    nonce = getattr(request, "csp_nonce", "")
    body = body.replace(NONCE_SENTINEL.encode(), nonce.encode())
    if CSRF_SENTINEL.encode() in body:
        body = body.replace(CSRF_SENTINEL.encode(), get_token(request).encode())
    return body


def _render(view: Callable[..., HttpResponseBase], request: HttpRequest, args: Any, kwargs: Any):
    real = getattr(request, "csp_nonce", "")
    request.csp_nonce = NONCE_SENTINEL  # type: ignore[attr-defined]
    request._page_cache_rendering = True  # type: ignore[attr-defined]
    try:
        response = view(request, *args, **kwargs)
    finally:
        request.csp_nonce = real  # type: ignore[attr-defined]
        request._page_cache_rendering = False  # type: ignore[attr-defined]
    if isinstance(response, HttpResponse) and not response.streaming:
        tokens = {m.group(1) for m in CSRF_INPUT.finditer(response.content)}
        body = response.content
        for token in tokens:
            body = body.replace(token, CSRF_SENTINEL.encode())
        response.content = body
    return response


def _storable(response: HttpResponseBase) -> bool:
    return (
        isinstance(response, HttpResponse)
        and not response.streaming
        and response.status_code == 200
        and not response.cookies
        and not getattr(response, "no_store", False)
        and response.get("Content-Type", "").startswith("text/html")
    )


def cached_page(
    scopes: Callable[..., Iterable[str]],
    *,
    query: Iterable[str] = (),
    max_age: int = 10,
    fill: Fill | None = None,
    flavour: Callable[[HttpRequest], object] | None = None,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Serve the view's generic page from the cache (see the module).

    `scopes(**view_kwargs)` names the scopes the page shows ("site" is always added); `query`
    the parameters the page takes (another parameter means no cache); `flavour(request)` what
    else changes the page (关怀版), part of the key; `max_age` the browser's
    (0: revalidate each time); `fill(request, body, extra)` puts per-request values in the
    cached body and returns it with a fingerprint of those values for the ETag."""
    allowed = tuple(query)

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        name = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not generic(request, allowed):
                return view(request, *args, **kwargs)
            current = versions(["site", *scopes(**kwargs)])
            kind = flavour(request) if flavour is not None else None
            key = "pagecache:" + _digest(
                name, request.get_host(), request.get_full_path(), kind, sorted(current.items())
            )
            now = time.time()
            entry: Entry | None = cache.get(key)
            state = "hit"
            if entry is None or entry.expires <= now:
                state = "miss"
                response = _render(view, request, args, kwargs)
                extra = getattr(response, PAGE_EXTRA, None)
                if not _storable(response):
                    assert isinstance(response, HttpResponse) or not extra
                    if isinstance(response, HttpResponse) and not response.streaming:
                        body = response.content
                        if fill is not None and extra is not None:
                            body, _ = fill(request, body, extra)
                        response.content = _personalize(request, body)
                    return response
                assert isinstance(response, HttpResponse)
                until = getattr(response, PAGE_UNTIL, None)
                expires = now + SERVER_SECONDS
                if until is not None:
                    expires = min(expires, until.timestamp())
                entry = Entry(response.content, response["Content-Type"], expires, now, extra)
                if expires > now:
                    cache.set(key, entry, max(1, int(expires - now)))
            body, fingerprint = entry.body, ""
            if fill is not None and entry.extra is not None:
                body, fingerprint = fill(request, body, entry.extra)
            etag = f'"{_digest(key, fingerprint)[:20]}"'
            headers = {
                "ETag": etag,
                "Last-Modified": http_date(entry.made),
                "Cache-Control": f"private, max-age={max_age}" if max_age else "private, no-cache",
                "Vary": "Cookie",
                "X-Page-Cache": state,
            }
            answer: HttpResponse
            if _etag_matches(request, etag):
                answer = HttpResponseNotModified()
            else:
                answer = HttpResponse(_personalize(request, body), content_type=entry.content_type)
            for header, value in headers.items():
                answer[header] = value
            return answer

        return wrapped

    return decorator


# --- The API's public lists -----------------------------------------------------------------------


def not_modified(
    request: HttpRequest, response: HttpResponse, scopes: Iterable[str], extra: object = ""
) -> HttpResponse | None:
    """For a public API list: put an ETag of its scopes' versions (and `extra`, what else the
    answer shows) on `response` (ninja's temporal response); a 304 when the client has it."""
    current = versions(["site", *scopes])
    etag = f'"{_digest(request.get_full_path(), sorted(current.items()), extra)[:20]}"'
    response["ETag"] = etag
    if _etag_matches(request, etag):
        answer = HttpResponseNotModified()
        answer["ETag"] = etag
        return answer
    return None
