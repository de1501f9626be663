"""Pluggable senders for email and SMS. The default writes to the log (console).

Set OPENDAY_SENDER to the dotted path of a class with send(channel, to, subject, body) to
connect a real SMS gateway or mail server.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("openday.messages")


class LogSender:
    """Writes each message to the log instead of sending it."""

    def send(self, channel, to, subject, body):
        logger.info("[%s] to=%s subject=%s\n%s", channel, to, subject, body)


class MemorySender:
    """Keeps messages in a list; for tests."""

    outbox: list = []

    def send(self, channel, to, subject, body):
        MemorySender.outbox.append({"channel": channel, "to": to, "subject": subject, "body": body})


def get_sender():
    return import_string(settings.OPENDAY_SENDER)()
