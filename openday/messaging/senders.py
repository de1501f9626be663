"""Senders: what hands one outbox message to a gateway.

The worker's delivery loop (services.deliver_due) calls ``sender.send(message)`` with an
``Outgoing`` and reads the outcome: a ``Sent`` on success; ``TemporaryFailure`` when the same
message may succeed later (rate limit, time-out, the gateway's own error), so it is retried
with backoff; ``PermanentFailure`` when it never will (a refused number, a bad template), so
it is marked failed at once. Anything else raised counts as temporary.

Which sender serves a channel is set by OPENDAY_SMS_SENDER and OPENDAY_EMAIL_SENDER: a short
name from SENDERS or the dotted path of a class. The default writes to the log, with the
recipient masked. The gateways (Alibaba Cloud and Tencent Cloud SMS, SMTP) are in gateways.py.
"""

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from openday.lib.masking import mask_email, mask_phone

logger = logging.getLogger("openday.messages")


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender sees it: the recipient decrypted, nothing else personal."""

    id: int
    channel: str  # "sms" or "email"
    to: str
    subject: str
    body: str
    kind: str = ""
    params: dict = field(default_factory=dict)

    @property
    def masked_to(self) -> str:
        return mask_phone(self.to) if self.channel == "sms" else mask_email(self.to)


@dataclass(frozen=True)
class Sent:
    """The gateway took the message; gateway_message_id matches its delivery receipts."""

    gateway: str
    gateway_message_id: str = ""


class TemporaryFailure(Exception):
    """The gateway did not take the message this time; try again later."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The gateway will never take this message (refused number, bad template …)."""


class Sender(Protocol):
    """What the delivery loop needs of a sender."""

    def send(self, message: Outgoing) -> Sent: ...


class LogSender:
    """Writes each message to the log instead of sending it; the recipient is masked."""

    name = "log"

    def send(self, message: Outgoing) -> Sent:
        logger.info(
            "[%s #%s] to=%s subject=%s\n%s",
            message.channel,
            message.id,
            message.masked_to,
            message.subject,
            message.body,
        )
        return Sent(self.name)


class MemorySender:
    """Keeps messages in a list; for tests."""

    name = "memory"
    outbox: list = []

    def send(self, message: Outgoing) -> Sent:
        MemorySender.outbox.append(
            {
                "id": message.id,
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "kind": message.kind,
                "params": message.params,
            }
        )
        return Sent(self.name, f"mem-{message.id}")


class LegacySender:
    """Wraps a class of the old OPENDAY_SENDER interface, send(channel, to, subject, body)."""

    name = "legacy"

    def __init__(self, inner: Any):
        self.inner = inner

    def send(self, message: Outgoing) -> Sent:
        self.inner.send(message.channel, message.to, message.subject, message.body)
        return Sent(self.name)


SENDERS = {
    "log": "openday.messaging.senders.LogSender",
    "memory": "openday.messaging.senders.MemorySender",
    "aliyun": "openday.messaging.gateways.AliyunSmsSender",
    "tencent": "openday.messaging.gateways.TencentSmsSender",
    "smtp": "openday.messaging.gateways.SmtpEmailSender",
}


def _build(path: str) -> Sender:
    instance = import_string(SENDERS.get(path, path))()
    params = list(inspect.signature(instance.send).parameters)
    return LegacySender(instance) if len(params) == 4 else instance


def get_sender(channel: str) -> Sender:
    """The sender configured for channel ("sms" or "email")."""
    legacy = getattr(settings, "OPENDAY_SENDER", "")
    configured = settings.OPENDAY_SMS_SENDER if channel == "sms" else settings.OPENDAY_EMAIL_SENDER
    # OPENDAY_SENDER (one class for both channels) is honoured while the new names are unset.
    path = configured or legacy or "log"
    return _build(path)
