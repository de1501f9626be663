from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app message to the staff of one org (reminders, returned declarations …)."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class OutboundMessage(models.Model):
    """An email or SMS in the outbox: the worker delivers it, retrying with backoff.

    Rows are also inserted by the PostgreSQL function openday_register (events migration
    0003), which names only the first columns: every newer column has a database default.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "邮件"
        SMS = "sms", "短信"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    class Receipt(models.TextChoices):
        NONE = "", "无回执"
        DELIVERED = "delivered", "已送达"
        UNDELIVERED = "undelivered", "未送达"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    # What the message is for (a gateway template is chosen by it); "" is a plain text message.
    kind = models.CharField(max_length=32, blank=True, default="", db_default="")
    # The template's variables, for gateways that send only templates (Chinese SMS gateways).
    params = models.JSONField(default=dict, db_default={})
    to_encrypted = models.TextField()
    to_masked = models.CharField(max_length=64)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_default="pending"
    )
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    # Not before this time (a retry's backoff); NULL means as soon as possible.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While SENDING: the claim lapses at this time, so a message whose worker died is retried.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    gateway = models.CharField(max_length=16, blank=True, default="", db_default="")
    gateway_message_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    receipt = models.CharField(
        max_length=12, choices=Receipt.choices, blank=True, default="", db_default=""
    )
    receipt_at = models.DateTimeField(null=True, blank=True)
    receipt_error = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's claim: pending rows in order, and sending rows whose claim lapsed.
            models.Index(
                fields=["status", "next_attempt_at", "id"],
                name="outbox_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["gateway", "gateway_message_id"],
                name="outbox_receipt",
                condition=~models.Q(gateway_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.to_masked}"
