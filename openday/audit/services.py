import ipaddress
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from openday.lib import pagecache

from . import context
from .models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from openday.accounts.models import User
    from openday.orgs.models import Org


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    ip = request.META.get("REMOTE_ADDR")
    # Only a proxy we run may speak for the client; otherwise the header is the client's word.
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = forwarded.split(",")[-1].strip()
    try:
        ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    return ip


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose values differ."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    action: str,
    *,
    actor: "User | AnonymousUser | None" = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    org: "Org | None" = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry. Call inside the transaction that makes the change.

    The client's address comes from the audit context (audit/context.py) that the middleware,
    the worker and the commands bind; without an actor, the context's origin names what acted."""
    bound = context.current()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if actor is None and not actor_label:
        actor_label = bound.origin
    if org is None and obj is not None:
        org = getattr(obj, "audit_org", None)
    if bound.token:
        changes = {**(changes or {}), "via": f"API 令牌 {bound.token}"}
    # A change the audit names may show on a public page: its versions move after the commit.
    pagecache.changed(obj)
    return AuditEntry.objects.create(
        actor=cast("User | None", actor),  # an anonymous user became None above
        actor_label=actor_label or (actor.get_username() if actor else ""),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:255] if obj is not None else "",
        org=org,
        org_path=org.path if org is not None else "",
        changes=changes or {},
        ip=bound.ip,
    )
