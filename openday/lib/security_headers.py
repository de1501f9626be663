"""Security headers on every answer (等保三级): a Content-Security-Policy with a fresh nonce per
request, Referrer-Policy, Permissions-Policy, and Cache-Control: no-store where an answer must
not be kept by a browser or a proxy.

The policy allows scripts and style sheets from this site and inline <script>/<style> blocks
that carry the request's nonce (`nonce="{{ csp_nonce }}"`); no inline event handler (onclick=)
and no style="" attribute runs. Pages set behaviour with data- attributes read by the scripts
under static/openday/js (confirm.js: data-confirm, data-print) and pass values with json_script.

No-store, one rule for the whole site (needs_no_store): every staff page (/staff/), every
download (Content-Disposition: attachment), every answer to a POST (it echoes what was typed),
every API answer except the public lists and details read anonymously, and the public pages
that show personal data (PERSONAL_VIEWS; a view may also be marked with @no_store).
Public pages for anonymous visitors that hold no personal data stay cacheable.

OPENDAY_CSP_REPORT_ONLY=1 sends the policy as Content-Security-Policy-Report-Only (browsers
report violations but block nothing); OPENDAY_CSP_REPORT_URI adds a report-uri.
"""

import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

# Features no page uses; the staff check-in page alone may use the camera (@allow_camera).
DENIED_FEATURES = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "usb",
)

# Public pages that show a person's own data: the ticket (name, QR code), the opinion receipt
# (tracking code, masked phone) and the progress look-up result, the survey receipt, the
# invitation's answer. The registration form prefilled from an invitation (?invite=) too.
PERSONAL_VIEWS = frozenset(
    {
        "portal:ticket",
        "portal:ticket_cancel",
        "portal:invitation_decline",
        "portal:opinion_done",
        "portal:opinion_status",
        "portal:survey_done",
    }
)

# The WeChat export shown as is: a document whose every element carries a style attribute for
# the WeChat editor (publicity/wechat.py). It gets a policy with no script at all and inline
# styles allowed, instead of the site's policy.
INLINE_STYLE_DOCUMENTS = frozenset({"control:article_wechat"})

# What the API answers without no-store: the public lists and details, read without a token.
PUBLIC_API = re.compile(
    r"^/api/v1/(?:campaigns(?:/\d+(?:/plan|/articles)?)?|events(?:/\d+)?|surveys(?:/\d+)?"
    r"|articles/\d+|opinions/published|openapi\.json|docs)/?$"
)

NO_STORE = "no-store"


def _marking(attribute: str, doc: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator that sets `attribute` on the view's answers for the middleware."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            setattr(response, attribute, True)
            return response

        return wrapped

    decorator.__doc__ = doc
    return decorator


no_store = _marking("no_store", "Marks a view whose answers carry personal data: no-store.")
allow_camera = _marking(
    "allow_camera", "Marks a view whose page may use the camera (camera=(self))."
)


def content_security_policy(nonce: str, *, inline_styles: bool = False) -> str:
    if inline_styles:
        directives = [
            "default-src 'none'",
            "img-src 'self' data:",
            "style-src 'unsafe-inline'",
        ]
    else:
        directives = [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
        ]
    directives += [
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if settings.OPENDAY_CSP_REPORT_URI:
        directives.append(f"report-uri {settings.OPENDAY_CSP_REPORT_URI}")
    return "; ".join(directives)


def permissions_policy(*, camera: bool = False) -> str:
    return ", ".join(
        f"{f}=(self)" if f == "camera" and camera else f"{f}=()" for f in DENIED_FEATURES
    )


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


def needs_no_store(request: HttpRequest, response: HttpResponseBase) -> bool:
    """The site's one rule for answers that no browser or proxy may keep (see the module)."""
    path = request.path_info
    if getattr(response, "no_store", False) or path.startswith("/staff/"):
        return True
    if response.get("Content-Disposition", "").lower().startswith("attachment"):
        return True
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    if path.startswith("/api/"):
        return bool(request.headers.get("Authorization")) or not PUBLIC_API.match(path)
    return _view_name(request) in PERSONAL_VIEWS or "invite" in request.GET


class SecurityHeadersMiddleware:
    """Makes request.csp_nonce, then adds the headers above to the answer.

    Sits before CommonMiddleware, so the answers of the error handlers (a bad Host is answered
    400 by handler400 from within CommonMiddleware) get the headers and a nonce as well. It
    never reads the Host header itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        self.add_headers(request, response, nonce)
        return response

    def add_headers(self, request: HttpRequest, response: HttpResponseBase, nonce: str) -> None:
        inline_styles = _view_name(request) in INLINE_STYLE_DOCUMENTS
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.OPENDAY_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        # A 304 updates the headers the browser kept with its copy: a new policy would not match
        # the nonce in that copy's body (the page cache answers 304, lib/pagecache.py).
        if response.status_code != 304:
            response.headers.setdefault(
                header, content_security_policy(nonce, inline_styles=inline_styles)
            )
        response.headers.setdefault(
            "Permissions-Policy",
            permissions_policy(camera=getattr(response, "allow_camera", False)),
        )
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        if needs_no_store(request, response):
            if NO_STORE not in response.get("Cache-Control", ""):
                response["Cache-Control"] = NO_STORE
            response.headers.pop("Expires", None)
            response["Pragma"] = "no-cache"

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A rate limit a view did not catch: the 429 page (or the API's error) with Retry-After."""
        from openday.ops.ratelimit import Limited, too_many_requests

        if isinstance(exception, Limited):
            return too_many_requests(request, exception)
        return None


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """Context processor: {{ csp_nonce }} for nonce="…" on inline <script> and <style>."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
