from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from openday.lib import personal_data
from openday.lib.masking import mask_phone

if TYPE_CHECKING:
    from openday.orgs.models import Org


class Campaign(models.Model):
    """An office's annual campaign: the notice, the declarations and the plan."""

    class Kind(models.TextChoices):
        THEME_DAY = "theme_day", "政务公开主题日"
        OPEN_DAY = "open_day", "政府开放日"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "申报中"
        PLAN_PUBLISHED = "plan_published", "计划已发布"
        CLOSED = "closed", "已结束"

    office = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="campaigns")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    year = models.PositiveIntegerField("年度")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    title = models.CharField("活动名称", max_length=200)
    theme = models.CharField("活动主题", max_length=200, blank=True)
    upper_documents = models.TextField("依据的上级文件", blank=True)
    recipients = models.CharField("主送", max_length=200, default="区属各单位、各街道：")
    body = models.TextField("实施方案正文", blank=True)
    # 发文字号, assigned when the notice is issued: 开政务公开办发〔2023〕1号 is the office's
    # first document of the year it was issued in (which may precede the campaign year).
    doc_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    doc_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    topic_areas = models.JSONField("主题领域", default=list)
    opinion_due_days = models.PositiveSmallIntegerField("意见办理期限（工作日）", default=15)
    activity_forms = models.JSONField("活动形式", default=list)
    guest_categories = models.JSONField("邀请对象类别", default=list)
    window_start_month = models.PositiveSmallIntegerField("开展起始月份", default=4)
    window_end_month = models.PositiveSmallIntegerField("开展截止月份", default=11)
    declaration_deadline = models.DateField("申报截止日期")
    themes_per_unit = models.PositiveSmallIntegerField("每单位申报主题数", default=1)
    min_intro_length = models.PositiveSmallIntegerField("活动简介最少字数", default=30)
    reminder_days = models.PositiveSmallIntegerField("截止前几天提醒", default=3)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    contact_email = models.EmailField("电子邮箱", blank=True)
    logo = models.FileField("活动 LOGO", upload_to="campaign-logos/", blank=True)
    name_patterns = models.JSONField("会标命名规则", default=list)
    forbidden_names = models.JSONField("禁止使用的名称", default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    notice_issued_on = models.DateField("成文日期", null=True, blank=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    plan_published_at = models.DateTimeField(null=True, blank=True)
    month_capacity = models.PositiveSmallIntegerField("每月活动上限", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "office__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "doc_year", "doc_seq"], name="doc_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_org(self) -> "Org":
        return self.office

    @property
    def doc_number(self) -> str:
        if self.doc_seq is None or not self.office.doc_code:
            return ""
        return f"{self.office.doc_code}〔{self.doc_year}〕{self.doc_seq}号"

    @property
    def months(self) -> list[int]:
        return list(range(self.window_start_month, self.window_end_month + 1))

    @property
    def window_label(self) -> str:
        return f"{self.year}年{self.window_start_month}—{self.window_end_month}月"

    @property
    def is_open_for_declarations(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def kind_quoted(self) -> str:
        return f"“{self.get_kind_display()}”"


class Declaration(models.Model):
    """A unit's 申报表 for one campaign."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "已通过"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="declarations")
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="declarations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone_encrypted = models.TextField(blank=True, editable=False)
    seal_note = models.CharField("盖章说明", max_length=200, blank=True)
    is_late = models.BooleanField("逾期提交", default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="one_declaration_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}：{self.campaign}"

    @property
    def audit_org(self) -> "Org":
        return self.unit

    contact_phone = personal_data.encrypted_phone("contact_phone_encrypted")

    @property
    def masked_contact_phone(self) -> str:
        phone = self.contact_phone
        return phone if not personal_data.is_mobile(phone) else mask_phone(phone)


class DeclarationRow(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="rows")
    seq = models.PositiveSmallIntegerField("序号")
    theme = models.CharField("活动主题", max_length=200)
    month = models.PositiveSmallIntegerField("活动时间（月份）")
    forms = models.JSONField("活动形式", default=list)
    topic_area = models.CharField("主题领域", max_length=32, blank=True)
    intro = models.TextField("活动简介")

    class Meta:
        ordering = ["declaration", "seq"]

    def __str__(self) -> str:
        return self.theme

    @property
    def forms_label(self) -> str:
        return "、".join(self.forms)


class DeclarationEvent(models.Model):
    """The history of a declaration: saved, submitted, returned, approved, reminded."""

    class Action(models.TextChoices):
        SAVED = "saved", "保存草稿"
        SUBMITTED = "submitted", "提交"
        RETURNED = "returned", "退回"
        APPROVED = "approved", "通过"
        REMINDED = "reminded", "提醒"
        IMPORTED = "imported", "导入"

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """One reminder to a unit that has not declared; sent once per unit and campaign per day."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    automatic = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "sent_on"], name="one_reminder_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.sent_on}"


class PlanEntry(models.Model):
    """One row of the 计划安排表: an approved theme placed in a month and week."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="plan_entries")
    row = models.OneToOneField(
        DeclarationRow, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_entry"
    )
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="plan_entries")
    theme = models.CharField("活动主题", max_length=200)
    topic_area = models.CharField("主题领域", max_length=32, blank=True)
    forms = models.JSONField("活动形式", default=list)
    intro = models.TextField("活动简介", blank=True)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone_encrypted = models.TextField(blank=True, editable=False)
    requested_month = models.PositiveSmallIntegerField(null=True, blank=True)
    month = models.PositiveSmallIntegerField("活动时间（月份）")
    week = models.DateField("所在周（周一）")
    pinned = models.BooleanField("手工调整", default=False)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["month", "week", "unit__path", "id"]

    def __str__(self) -> str:
        return self.theme

    @property
    def audit_org(self) -> "Org":
        return self.unit

    contact_phone = personal_data.encrypted_phone("contact_phone_encrypted")

    @property
    def forms_label(self) -> str:
        return "、".join(self.forms)
