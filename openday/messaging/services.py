"""Telling people things: in-app notifications now, email/SMS through the sender on commit."""

from django.db import transaction
from django.utils import timezone

from openday.lib import personal_data
from openday.lib.masking import mask_email, mask_phone

from .models import Notification, OutboundMessage


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
    send_recorded(message.pk)
    return message


def send_recorded(message_id):
    """Hand an already recorded message to the sender after the transaction commits."""
    transaction.on_commit(lambda: _deliver(message_id))


def _deliver(message_id):
    from .tasks import deliver_message

    deliver_message.enqueue(message_id)


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
