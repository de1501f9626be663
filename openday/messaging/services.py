"""Telling people things: in-app notifications now, email/SMS through the sender on commit."""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from openday.lib import personal_data
from openday.lib.masking import mask_email, mask_phone

from .models import Notification, OutboundMessage

log = logging.getLogger(__name__)


def notify_org(org, title, body="", link=""):
    """An in-app notice for the staff of org (shown on their dashboard)."""
    return Notification.objects.create(org=org, title=title, body=body, link=link)


def queue_message(channel, to, subject, body):
    """Record an email/SMS and hand it to the sender after the transaction commits."""
    if not to:
        return None
    masked = mask_phone(to) if channel == OutboundMessage.Channel.SMS else mask_email(to)
    message = OutboundMessage.objects.create(
        channel=channel,
        to_encrypted=personal_data.encrypt(to),
        to_masked=masked,
        subject=subject,
        body=body,
    )
    send_after_commit()
    return message


# One delivery task sends every message recorded before it starts, so a burst of registrations
# queues one task, not one per confirmation SMS (each enqueue is an insert and a commit of its
# own: a fifth of an accepted registration's time, docs/performance.md). The key says "a
# delivery task is queued and has not started"; it expires in case that task is lost.
WAKE_KEY = "openday:messaging:deliver-pending"
WAKE_SECONDS = 30


def send_after_commit():
    """Have the messages recorded in this transaction sent once it commits."""
    transaction.on_commit(_wake_sender)


def _wake_sender():
    """Queue a delivery task unless one is queued and has not started yet: that one reads the
    pending messages when it starts, so it will see everything committed before now."""
    from .tasks import deliver_pending

    try:
        queued = not cache.add(WAKE_KEY, 1, WAKE_SECONDS)
    except Exception:  # the cache is down: queue a task for this message, as if none were
        log.warning("cache unavailable, queueing a delivery task", exc_info=True)
        queued = False
    if queued:
        return
    try:
        deliver_pending.enqueue()
    except Exception:
        _forget_wake()  # nothing is queued after all: let the next message try again
        raise


def _forget_wake():
    try:
        cache.delete(WAKE_KEY)
    except Exception:
        log.warning("cache unavailable", exc_info=True)


def deliver_pending():
    """Send every recorded message that has not been sent or tried; returns how many were sent.

    The key goes first: a message committed after this point queues a new task."""
    _forget_wake()
    pending = OutboundMessage.objects.filter(sent_at=None, error="").order_by("id")
    ids = list(pending.values_list("id", flat=True))  # read first: each send updates its row
    return sum(1 for pk in ids if deliver_now(pk))


def deliver_now(message_id):
    """Send one message if it has not been sent; whoever claims the row sends it."""
    from .senders import get_sender

    now = timezone.now()
    claimed = OutboundMessage.objects.filter(pk=message_id, sent_at=None).update(sent_at=now)
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        get_sender().send(
            message.channel, personal_data.decrypt(message.to_encrypted), message.subject,
            message.body,
        )  # fmt: skip
    except Exception as exc:  # a gateway failure is recorded, not raised
        OutboundMessage.objects.filter(pk=message_id).update(sent_at=None, error=str(exc)[:500])
        return False
    return True


def unread_for(user, orgs):
    return Notification.objects.filter(org__in=orgs).exclude(read_by=user)
