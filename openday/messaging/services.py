"""Telling people things: in-app notifications, and email/SMS through the outbox.

queue_message records a message in the outbox (OutboundMessage) inside the caller's
transaction; nothing else happens on the request path. The worker's delivery loop
(deliver_due, run by `openday worker` every second) claims due rows, hands them to the
gateway outside any transaction, and records the outcome: sent, retried later with
exponential backoff, or failed with the reason. Nothing depends on one process's memory:
a claim is a row update with a lease, so two workers never send one message twice, and a
message whose worker died is claimed again when the lease lapses.
"""

import logging
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from openday.lib import personal_data
from openday.lib.masking import mask_email, mask_phone

from . import kinds
from .models import Notification, OutboundMessage
from .senders import Outgoing, PermanentFailure, Sender, Sent, TemporaryFailure, get_sender

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.orgs.models import Org

log = logging.getLogger(__name__)

Status = OutboundMessage.Status


def notify_org(org: "Org", title: str, body: str = "", link: str = "") -> Notification:
    """An in-app notice for the staff of org (shown on their dashboard)."""
    return Notification.objects.create(org=org, title=title, body=body, link=link)


def queue_message(
    channel: str,
    to: str | None,
    subject: str,
    body: str | None = None,
    *,
    kind: str = "",
    params: dict[str, object] | None = None,
) -> OutboundMessage | None:
    """Record an email/SMS in the outbox; the worker sends it once the transaction commits.

    With a kind from messaging.kinds, the text is rendered from its params (body may be
    left out) and both are kept, so a template-only SMS gateway can send it."""
    if not to:
        return None
    params = {k: str(v) for k, v in (params or {}).items()}
    if body is None:
        body = kinds.render(kind, **params)
    masked = mask_phone(to) if channel == OutboundMessage.Channel.SMS else mask_email(to)
    return OutboundMessage.objects.create(
        channel=channel,
        kind=kind,
        params=params,
        to_encrypted=personal_data.encrypt(to),
        to_masked=masked,
        subject=subject,
        body=body,
    )


def _due(now: datetime) -> QuerySet[OutboundMessage]:
    """Pending rows whose backoff has passed, and sending rows whose claim lapsed (their
    worker died or hung mid-send)."""
    pending = Q(status=Status.PENDING) & (Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
    lapsed = Q(status=Status.SENDING, claimed_until__lt=now)
    return OutboundMessage.objects.filter(pending | lapsed)


def claim_due(limit: int = 50, now: datetime | None = None) -> list[OutboundMessage]:
    """Claim up to limit due messages for this caller; returns them, already marked SENDING.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so two workers take disjoint rows without waiting.
    SQLite: the transaction is IMMEDIATE (settings), so claims run one at a time and the
    second sees the first's rows as SENDING with a live lease."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.OPENDAY_DELIVERY_LEASE_SECONDS)
    # A read first: an idle outbox costs one index look-up a second, not a write lock (SQLite's
    # IMMEDIATE transactions take the database's write lock at BEGIN).
    if not _due(now).exists():
        return []
    with transaction.atomic():
        rows = list(_due(now).order_by("id").select_for_update(skip_locked=True)[:limit])
        if not rows:
            return []
        OutboundMessage.objects.filter(pk__in=[m.pk for m in rows]).update(
            status=Status.SENDING, claimed_until=lease, attempts=F("attempts") + 1
        )
    for message in rows:
        message.status, message.claimed_until = Status.SENDING, lease
        message.attempts += 1
    return rows


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Wait before try attempts+1: base × 2^(attempts-1), capped, with ±20 % jitter so a
    crowd of retries after a gateway outage does not come back at one instant."""
    base = settings.OPENDAY_DELIVERY_BACKOFF_SECONDS
    wait = min(base * 2 ** max(attempts - 1, 0), settings.OPENDAY_DELIVERY_BACKOFF_MAX_SECONDS)
    wait *= random.uniform(0.8, 1.2)
    return max(wait, retry_after or 0)


def _send_one(
    message: OutboundMessage, senders: dict[str, Sender]
) -> tuple[OutboundMessage, Sent | Exception]:
    """(message, Sent or exception): the gateway call, outside any transaction."""
    try:
        outgoing = Outgoing(
            id=message.pk,
            channel=message.channel,
            to=personal_data.decrypt(message.to_encrypted),
            subject=message.subject,
            body=message.body,
            kind=message.kind,
            params=message.params or {},
        )
        if not outgoing.to:
            raise PermanentFailure("收件人无法解密（密钥不符或已匿名化）")
        sender = senders.get(message.channel)
        if sender is None:
            sender = senders[message.channel] = get_sender(message.channel)
        return message, sender.send(outgoing)
    except Exception as exc:
        return message, exc


def _record(message: OutboundMessage, outcome: Sent | Exception, now: datetime) -> str:
    """Write one message's outcome if the claim is still ours (same try, still SENDING);
    returns the status it gets."""
    mine = OutboundMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, attempts=message.attempts
    )
    if not isinstance(outcome, Exception):
        mine.update(
            status=Status.SENT,
            sent_at=now,
            claimed_until=None,
            error="",
            gateway=outcome.gateway[:16],
            gateway_message_id=(outcome.gateway_message_id or "")[:64],
        )
        return Status.SENT
    reason = str(outcome)[:500] or type(outcome).__name__
    permanent = isinstance(outcome, PermanentFailure)
    if not isinstance(outcome, TemporaryFailure | PermanentFailure):
        log.warning("message %s: unexpected sender error", message.pk, exc_info=outcome)
        reason = f"发送出错：{type(outcome).__name__}: {reason}"[:500]
    if permanent or message.attempts >= settings.OPENDAY_DELIVERY_MAX_ATTEMPTS:
        log.warning("message %s failed after %s tries: %s", message.pk, message.attempts, reason)
        mine.update(status=Status.FAILED, claimed_until=None, error=reason)
        return Status.FAILED
    wait = backoff_seconds(message.attempts, getattr(outcome, "retry_after", None))
    log.info("message %s: try %s: %s; next in %.0f s", message.pk, message.attempts, reason, wait)
    mine.update(
        status=Status.PENDING,
        claimed_until=None,
        error=reason,
        next_attempt_at=now + timedelta(seconds=wait),
    )
    return Status.PENDING


def deliver_due(limit: int = 50, concurrency: int | None = None) -> dict[str, int]:
    """Claim due messages, send them (concurrency at once), record each outcome.

    Returns {"claimed", "sent", "retrying", "failed"}. Safe to call from any number of
    processes at once; the worker calls it in a loop."""
    messages = claim_due(limit)
    counts = {"claimed": len(messages), "sent": 0, "retrying": 0, "failed": 0}
    if not messages:
        return counts
    senders: dict[str, Sender] = {}
    workers = max(1, min(concurrency or settings.OPENDAY_DELIVERY_CONCURRENCY, len(messages)))
    if workers == 1:
        outcomes = [_send_one(m, senders) for m in messages]
    else:
        for channel in {m.channel for m in messages}:  # build once, before the threads share it
            senders[channel] = get_sender(channel)
        with ThreadPoolExecutor(workers, thread_name_prefix="deliver") as pool:
            outcomes = list(pool.map(lambda m: _send_one(m, senders), messages))
    now = timezone.now()
    names: dict[str, str] = {
        Status.SENT: "sent",
        Status.PENDING: "retrying",
        Status.FAILED: "failed",
    }
    with transaction.atomic():
        for message, outcome in outcomes:
            counts[names[_record(message, outcome, now)]] += 1
    return counts


def deliver_all_due(limit: int | None = None) -> int:
    """Send everything due now (housekeeping's catch-up, and tests); returns how many were sent."""
    sent = 0
    seen = 0
    while limit is None or seen < limit:
        counts = deliver_due()
        if not counts["claimed"]:
            break
        seen += counts["claimed"]
        sent += counts["sent"]
    return sent


def retry_failed(message_ids: Iterable[int]) -> int:
    """Put failed messages back in the outbox for a fresh round of tries (an operator's action)."""
    return OutboundMessage.objects.filter(pk__in=message_ids, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_until=None
    )


def forget_old_recipients(now: datetime | None = None, batch_size: int | None = None) -> int:
    """Erase the recipient of messages finished RETENTION_DAYS ago; the masked form stays."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    old = OutboundMessage.objects.filter(
        created_at__lt=cutoff, status__in=[Status.SENT, Status.FAILED]
    ).exclude(to_encrypted="")
    return personal_data.erase_in_batches(old, {"to_encrypted": ""}, batch_size)


def outbox_figures(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per channel: unsent, failed, and the age in seconds of the oldest unsent message."""
    from django.db.models import Count, Min

    now = now or timezone.now()
    figures = {}
    for channel, label in OutboundMessage.Channel.choices:
        rows = OutboundMessage.objects.filter(channel=channel)
        unsent = rows.filter(status__in=[Status.PENDING, Status.SENDING]).aggregate(
            n=Count("id"), oldest=Min("created_at")
        )
        figures[channel] = {
            "label": label,
            "unsent": unsent["n"],
            "oldest_unsent_seconds": (
                round((now - unsent["oldest"]).total_seconds()) if unsent["oldest"] else None
            ),
            "failed": rows.filter(status=Status.FAILED).count(),
        }
    return figures


def unread_for(user: "User", orgs: "Iterable[Org]") -> QuerySet[Notification]:
    return Notification.objects.filter(org__in=orgs).exclude(read_by=user)
