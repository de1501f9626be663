"""Publicity (宣传报道): articles for the campaign's special column (活动专栏).

Event photos and summaries are in openday.summaries."""

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import models
from django.db.models import Q

from openday.lib import personal_data

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


WECHAT_API = "https://api.weixin.qq.com"


class WeChatAccount(models.Model):
    """An office's WeChat official account (微信公众号), for one-click publishing
    (openday.publicity.tasks). The AppSecret is encrypted at rest with settings.FIELD_KEY and never
    shown again once saved."""

    office = models.OneToOneField(
        "orgs.Org", on_delete=models.CASCADE, related_name="wechat_account"
    )
    app_id = models.CharField("开发者ID（AppID）", max_length=32, blank=True)
    secret_encrypted = models.TextField(blank=True, editable=False)
    # WeChat shows at most 16 characters of an article's author (作者).
    author_name = models.CharField("作者署名", max_length=16, blank=True)
    enabled = models.BooleanField("启用一键发布", default=False)
    base_url = models.URLField("接口地址", max_length=200, default=WECHAT_API)
    tested_at = models.DateTimeField("最近测试连接", null=True, blank=True)
    test_ok = models.BooleanField("测试连接成功", null=True, blank=True)
    test_message = models.CharField("测试结果", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.office.name} 微信公众号"

    @property
    def audit_org(self) -> "Org":
        return self.office

    @property
    def secret(self) -> str:
        return personal_data.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = personal_data.encrypt(value)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def ready(self) -> bool:
        """Enabled and complete: the publish button is offered."""
        return self.enabled and bool(self.app_id) and self.has_secret


class WeChatPublication(models.Model):
    """One request to publish an article to an office's WeChat official account, and how far the
    worker got: what it uploaded, the draft, the publish task and its result."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        UPLOADING = "uploading", "正在上传"
        SUBMITTED = "submitted", "已提交，等待微信发布"
        PUBLISHED = "published", "已发布到公众号"
        FAILED = "failed", "发布失败"

    ACTIVE = (State.QUEUED, State.UPLOADING, State.SUBMITTED)

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="wechat_publications"
    )
    account = models.ForeignKey(
        WeChatAccount, on_delete=models.PROTECT, related_name="publications"
    )
    state = models.CharField(
        "公众号发布状态", max_length=16, choices=State.choices, default=State.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The site's address when the publication was asked for (the worker has no request):
    # for the article's public URL (阅读原文) and the links in the content.
    site_url = models.CharField(max_length=200, blank=True)
    # What the worker has done so far, so that a retry does not upload or submit again.
    thumb_media_id = models.CharField(max_length=128, blank=True)
    image_urls = models.JSONField(default=dict, blank=True)
    draft_media_id = models.CharField("草稿 media_id", max_length=128, blank=True)
    publish_id = models.CharField("发布任务 publish_id", max_length=64, blank=True)
    article_url = models.URLField("公众号文章链接", max_length=500, blank=True)
    error = models.CharField("失败原因", max_length=500, blank=True)
    error_code = models.IntegerField("微信错误码", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("已重试次数", default=0)
    polls = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the row until then (a second task for the same row waits or does nothing).
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A second click while one is under way finds that one instead of making another.
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(state__in=["queued", "uploading", "submitted"]),
                name="wechat_one_active_publication",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article.title}（微信公众号）"

    @property
    def audit_org(self) -> "Org":
        return self.article.unit

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE
