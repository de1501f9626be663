"""The public's opinions (意见建议) and their closed loop: intake, assignment to a responsible unit
and person (认领/交办), answer and adoption (采纳情况), rectification (整改), review, publication of
the results (采纳及整改结果公开) and phone call-backs (电话回访)."""

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from openday.events.models import GUEST_CATEGORIES
from openday.lib import personal_data
from openday.lib.masking import mask_name, mask_phone

if TYPE_CHECKING:
    from openday.orgs.models import Org


class Opinion(models.Model):
    class Source(models.TextChoices):
        FORUM = "forum", "座谈会发言"
        SURVEY = "survey", "调查问卷"
        ONLINE = "online", "网上提交"
        API = "api", "接口"
        PHONE = "phone", "电话"
        PAPER = "paper", "意见卡/来信"

    class Status(models.TextChoices):
        NEW = "new", "待交办"
        ASSIGNED = "assigned", "办理中"
        ANSWERED = "answered", "待审核"
        RETURNED = "returned", "退回修改"
        APPROVED = "approved", "已审核"
        PUBLISHED = "published", "已公开"
        MERGED = "merged", "已合并"

    class Decision(models.TextChoices):
        ADOPTED = "adopted", "采纳"
        PARTLY = "partly", "部分采纳"
        EXPLAINED = "explained", "解释说明（未采纳）"
        SOLVED = "solved", "已解决"

    OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.RETURNED)

    tracking_code = models.CharField("查询码", max_length=16, unique=True)
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    content = models.TextField("意见内容")
    summary = models.CharField("公开摘要", max_length=200, blank=True)
    # The office whose campaign loop the opinion belongs to: it sorts and assigns it.
    office = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
    )
    survey_response = models.ForeignKey(
        "surveys.Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField("姓名", max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    category = models.CharField("参加人类别", max_length=16, choices=GUEST_CATEGORIES, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    topic_area = models.CharField("主题领域", max_length=32, blank=True)
    topic = models.CharField("分类", max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    unit = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="opinions"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_opinions",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField("办理期限", null=True, blank=True)
    due_estimated = models.BooleanField(default=False)
    answer = models.TextField("答复", blank=True)
    decision = models.CharField("采纳情况", max_length=12, choices=Decision.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField("审核意见", blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField("收到时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["office", "status"], name="opinion_office_status"),
            models.Index(fields=["unit", "status"], name="opinion_unit_status"),
            models.Index(fields=["assignee", "status"], name="opinion_assignee_status"),
            # The staff list's order (also its keyset pager's), alone and within one status.
            models.Index(fields=["-received_at", "-id"], name="opinion_received"),
            models.Index(fields=["status", "-received_at", "-id"], name="opinion_status_received"),
        ]

    def __str__(self) -> str:
        return f"意见 {self.tracking_code}"

    @property
    def audit_org(self) -> "Org":
        return self.unit or self.office

    phone = personal_data.encrypted_phone(
        "phone_encrypted", hash_field="phone_hash", last4_field="phone_last4"
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone_encrypted else ""

    @property
    def masked_name(self) -> str:
        return "匿名" if self.anonymous or not self.name else mask_name(self.name)

    @property
    def short(self) -> str:
        """What the public board shows: the summary, or the start of the content."""
        text = self.summary or self.content
        return text if len(text) <= 120 else text[:118] + "……"

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return bool(self.due_date and self.status in self.OPEN_STATUSES and today > self.due_date)


def overdue_q(today: date) -> models.Q:
    """Open opinions past their due date, as Opinion.is_overdue says of one (the opinion
    list's ?due=overdue and the dashboard's to-dos)."""
    return models.Q(status__in=Opinion.OPEN_STATUSES, due_date__lt=today)


def answering_q() -> models.Q:
    """Opinions assigned to a unit and waiting for its answer (办理中, 退回修改)."""
    return models.Q(status__in=[Opinion.Status.ASSIGNED, Opinion.Status.RETURNED])


class RectificationStep(models.Model):
    """One step of putting an adopted opinion into practice: planned, then done with evidence."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="steps")
    description = models.CharField("整改措施", max_length=300)
    planned_date = models.DateField("计划完成")
    done_date = models.DateField("实际完成", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_date", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def audit_org(self) -> "Org":
        return self.opinion.audit_org


class Evidence(models.Model):
    """A photo or PDF proving a rectification step (types and sizes checked on upload)."""

    step = models.ForeignKey(RectificationStep, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Callback(models.Model):
    """A phone call-back (电话回访) to a submitter or participant: outcome and satisfaction."""

    class Outcome(models.TextChoices):
        TODO = "todo", "待回访"
        REACHED = "reached", "已接通"
        NO_ANSWER = "no_answer", "无人接听"
        WRONG = "wrong", "号码错误"
        DECLINED = "declined", "拒绝回访"

    opinion = models.ForeignKey(
        Opinion, null=True, blank=True, on_delete=models.CASCADE, related_name="callbacks"
    )
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="callbacks"
    )
    registration = models.ForeignKey(
        "events.Registration", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.TODO)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField("再次回访时间", null=True, blank=True)
    satisfaction_handling = models.PositiveSmallIntegerField("办理满意度", null=True, blank=True)
    satisfaction_event = models.PositiveSmallIntegerField("活动满意度", null=True, blank=True)
    notes = models.TextField("回访记录", blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["outcome", "retry_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opinion", "phone_hash"],
                condition=models.Q(opinion__isnull=False),
                name="one_callback_per_opinion_phone",
            ),
            models.UniqueConstraint(
                fields=["event", "phone_hash"],
                condition=models.Q(opinion__isnull=True),
                name="one_callback_per_event_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"回访 {mask_name(self.name)}"

    @property
    def audit_org(self) -> "Org":
        return self.org

    phone = personal_data.encrypted_phone("phone_encrypted", hash_field="phone_hash")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone_encrypted else ""


class TriageModel(models.Model):
    """An office's own classifier (for the category or the responsible unit), kept only if it
    scored at least as well as the one it replaced on a held-back part of the office's data."""

    class Target(models.TextChoices):
        CATEGORY = "category", "分类"
        UNIT = "unit", "责任单位"

    office = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=10, choices=Target.choices)
    data = models.BinaryField()
    labels = models.JSONField(default=list)
    examples = models.PositiveIntegerField(default=0)
    score_new = models.FloatField(null=True)
    score_old = models.FloatField(null=True)
    held_back = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_target_display()}模型（{self.examples}条）"

    @property
    def audit_org(self) -> "Org":
        return self.office


class TriageLabel(models.Model):
    """What staff decided for an opinion (accepting or correcting a suggestion): training data."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="triage_labels")
    office = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=10, choices=TriageModel.Target.choices)
    value = models.CharField(max_length=64)
    suggested = models.CharField(max_length=64, blank=True)
    confidence = models.FloatField(null=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opinion", "target"], name="one_label_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}：{self.value}"

    @property
    def accepted(self) -> bool:
        return self.value == self.suggested


class TriageSettings(models.Model):
    """An office's own list of opinion categories: what staff choose from and what triage
    may suggest. Without a row the office uses the starter model's categories."""

    office = models.OneToOneField("orgs.Org", on_delete=models.CASCADE, related_name="+")
    categories = models.JSONField("分类", default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"意见分类（{len(self.categories)}类）"

    @property
    def audit_org(self) -> "Org":
        return self.office
