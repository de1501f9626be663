"""Publicity (宣传报道): articles for the campaign's special column (活动专栏).

Event photos and summaries are in openday.summaries."""

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from openday.orgs.models import Org


class Article(models.Model):
    """A news article, announcement or notice in a campaign's special column."""

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", "活动预告"
        NEWS = "news", "活动报道"
        NOTICE = "notice", "通知公告"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待审核"
        RETURNED = "returned", "退回修改"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    EDITABLE = (Status.DRAFT, Status.RETURNED, Status.WITHDRAWN)

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    # The unit that writes the article (the event's unit, or the office for its own notices).
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="articles")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField("标题", max_length=120)
    lead = models.CharField("导语", max_length=300, blank=True)
    # Plain text; a blank line separates paragraphs, a line "[图N]" places the Nth image.
    body = models.TextField("正文")
    author_name = models.CharField("署名", max_length=64, blank=True)
    generated = models.BooleanField("由系统生成初稿", default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    review_note = models.TextField("审核意见", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField("阅读次数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_org(self) -> "Org":
        return self.unit

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleImage(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(upload_to="article-images/%Y/%m/")
    caption = models.CharField("图片说明", max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["article", "position", "id"]

    def __str__(self) -> str:
        # A stored file always has a name; the stubs allow None for an unset FieldFile.
        return self.caption or cast(str, self.image.name)
