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

    def __str__(self):
        return self.title


class OutboundMessage(models.Model):
    """An email or SMS handed to the configured sender, kept as the record of what was sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", "邮件"
        SMS = "sms", "短信"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to_encrypted = models.TextField()
    to_masked = models.CharField(max_length=64)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_channel_display()} {self.to_masked}"
