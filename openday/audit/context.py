"""Who is acting and from where, for the audit trail, without passing the request around.

A middleware binds the context for each web request (the signed-in user and the client's
address); the API's token check adds the token; the worker binds one per task and each
management command one for its run. audit.services.record() reads it, so services keep plain
signatures: `publish_event(actor, event)`, not `publish_event(actor, event, request=request)`.

The context lives in a contextvars.ContextVar: each thread (and each asyncio task) sees its own,
so concurrent requests in one process never see each other's.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class AuditContext:
    ip: str | None = None  # the client's address (web and API requests)
    actor: Any = None  # the signed-in user or the API token's user
    token: str = ""  # the API token used, by its prefix as its owner sees it ("od_AbC123…")
    # What acts when no person does: "任务：housekeeping", "命令：openday demo". Becomes the
    # audit entry's actor label when the entry has no actor.
    origin: str = ""


_current: ContextVar[AuditContext] = ContextVar("openday_audit")
_NOBODY = AuditContext()


def current() -> AuditContext:
    return _current.get(_NOBODY)


@contextmanager
def bound(**fields: Any) -> Iterator[AuditContext]:
    """Bind the given fields over the current context for the duration of the block."""
    token = _current.set(replace(current(), **fields))
    try:
        yield current()
    finally:
        _current.reset(token)


def update(**fields: Any) -> None:
    """Change fields of the context bound by the enclosing bound() (the API's token check,
    which runs inside the request's block, adds the token's user this way)."""
    _current.set(replace(current(), **fields))


class AuditContextMiddleware:
    """Bind the request's address and user for everything the view calls."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .services import client_ip

        user = getattr(request, "user", None)
        with bound(ip=client_ip(request), actor=user, token="", origin=""):
            response = self.get_response(request)
            _audit_download(response)
            return response


def _audit_download(response: HttpResponse) -> None:
    """Every file a signed-in person or a token downloads leaves an audit entry naming who took
    which file, however the view built it: exports carry personal data out of the system
    (等保三级, 安全审计). Public downloads of anonymous visitors are not logged."""
    disposition = response.get("Content-Disposition", "")
    if response.status_code != 200 or not disposition.lower().startswith("attachment"):
        return
    actor = current().actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    import re
    from urllib.parse import unquote

    from openday.accounts.services import _home_org

    from .services import record

    encoded = re.search(r"filename\*=utf-8''([^;]+)", disposition, re.IGNORECASE)
    plain = re.search(r'filename="?([^";]+)"?', disposition)
    name = unquote(encoded.group(1)) if encoded else plain.group(1) if plain else ""
    record("export.downloaded", actor=actor, org=_home_org(actor), changes={"file": name})
