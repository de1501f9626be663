"""Event summaries (活动总结) and the photos each event keeps as evidence (活动照片).

Both models lived in the publicity app until 2026-12; their tables kept the names they had there
(db_table), so moving them changed no data (migrations publicity 0002 and summaries 0001).
"""

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from openday.orgs.models import Org


class EventPhoto(models.Model):
    """A photo of the event kept as evidence (the seed asks that the logo be visible)."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="event-photos/%Y/%m/")
    caption = models.CharField("说明", max_length=120, blank=True)
    shows_logo = models.BooleanField("照片中可见活动 LOGO", default=False)
    public = models.BooleanField("在专栏中公开", default=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "publicity_eventphoto"
        ordering = ["event", "uploaded_at", "id"]

    def __str__(self) -> str:
        # A stored file always has a name; the stubs allow None for an unset FieldFile.
        return self.caption or cast(str, self.image.name)

    @property
    def audit_org(self) -> "Org":
        return self.event.unit


class EventSummary(models.Model):
    """A unit's summary of one event: figures filled in from the data plus the unit's own text."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已报送"

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="report")
    overview = models.TextField("活动开展情况", blank=True)
    experiences = models.TextField("经验做法", blank=True)
    shortcomings = models.TextField("存在不足", blank=True)
    causes = models.TextField("原因分析", blank=True)
    next_steps = models.TextField("下一步打算", blank=True)
    # The figures as they were when the summary was submitted (see summaries.services.figures).
    figures = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "publicity_eventsummary"

    def __str__(self) -> str:
        return f"{self.event.title} 活动总结"

    @property
    def audit_org(self) -> "Org":
        return self.event.unit
