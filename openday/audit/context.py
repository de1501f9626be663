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
            return self.get_response(request)
