"""Questionnaires (调查问卷): a survey, its questions, and the answers given online or on paper.

Answers are stored one row per chosen value (a multiple choice with three ticks is three rows, a
matrix is one row per matrix row), so that results are a single GROUP BY in the database. The
response's guest category and channel are copied onto each answer row for the same reason:
cross-tabs and the paper/online split need no join.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from openday.events.models import GUEST_CATEGORIES
from openday.lib import personal_data
from openday.lib.masking import mask_name, mask_phone

if TYPE_CHECKING:
    from openday.orgs.models import Org


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "收集中"
        CLOSED = "closed", "已结束"

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="surveys")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    title = models.CharField("问卷标题", max_length=200)
    intro = models.TextField("问卷说明", blank=True)
    thanks = models.CharField("提交后致谢语", max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField("开始时间", null=True, blank=True)
    closes_at = models.DateTimeField("截止时间", null=True, blank=True)
    anonymous = models.BooleanField("匿名填写", default=True)
    ask_category = models.BooleanField("询问参加人类别", default=True)
    consent_text = models.TextField("个人信息告知", blank=True)
    template = models.CharField(max_length=32, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_org(self) -> "Org":
        return self.org

    def accepting(self, now: datetime | None = None) -> bool:
        """Whether the public may answer now; paper forms may still be entered after closing."""
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and not (self.opens_at and now < self.opens_at)
            and not (self.closes_at and now > self.closes_at)
        )

    def state_label(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.status == self.Status.OPEN:
            if self.opens_at and now < self.opens_at:
                return "未开始"
            if self.closes_at and now > self.closes_at:
                return "已截止"
        return self.get_status_display()


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "单选题"
        MULTIPLE = "multiple", "多选题"
        RATING = "rating", "满意度量表"
        SCORE = "score", "0–10 分打分"
        TEXT = "text", "填空（短文本）"
        TEXTAREA = "textarea", "意见建议（长文本）"
        MATRIX = "matrix", "矩阵量表"
        SECTION = "section", "分节标题"

    CHOICE_KINDS = {Kind.SINGLE, Kind.MULTIPLE, Kind.RATING}
    TEXT_KINDS = {Kind.TEXT, Kind.TEXTAREA}

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField("题型", max_length=16, choices=Kind.choices)
    title = models.CharField("题目", max_length=300)
    help_text = models.CharField("填写说明", max_length=300, blank=True)
    required = models.BooleanField("必答", default=True)
    # Choice labels (single, multiple, rating: best first) and matrix scale; a choice's code is
    # its 1-based position, so labels may be corrected but not reordered once answers exist.
    options = models.JSONField("选项", default=list, blank=True)
    rows = models.JSONField("矩阵行", default=list, blank=True)
    min_choices = models.PositiveSmallIntegerField("最少选", null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField("最多选", null=True, blank=True)
    max_length = models.PositiveIntegerField("字数上限", null=True, blank=True)
    # {"question": <id of an earlier question>, "values": [<codes>]}: shown only when the earlier
    # answer includes one of the codes.
    show_if = models.JSONField("显示条件", null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_org(self) -> "Org":
        return self.survey.org

    @property
    def answerable(self) -> bool:
        return self.kind != self.Kind.SECTION


class Response(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", "网上填写"
        API = "api", "接口"
        PAPER = "paper", "纸质录入"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    category = models.CharField("参加人类别", max_length=16, choices=GUEST_CATEGORIES, blank=True)
    name = models.CharField("姓名", max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    device_hash = models.CharField(max_length=64, blank=True, editable=False)
    batch_no = models.CharField("批次号", max_length=32, blank=True)
    form_no = models.CharField("表单编号", max_length=32, blank=True)
    # Not indexed: every public answer would pay for an index only paper entry uses.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    # Answers as [[question, row, choice, text], ...] until expand_pending() writes the Answer
    # rows: an answer from the public is then a single INSERT (see services.submit_response).
    pending = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "device_hash"],
                condition=~models.Q(device_hash=""),
                name="one_response_per_device",
            ),
            models.UniqueConstraint(
                fields=["survey", "phone_hash"],
                condition=~models.Q(phone_hash=""),
                name="one_response_per_phone",
            ),
            models.UniqueConstraint(
                fields=["survey", "batch_no", "form_no"],
                condition=models.Q(channel="paper"),
                name="one_paper_form_per_number",
            ),
        ]
        indexes = [
            models.Index(
                fields=["survey"],
                condition=models.Q(pending__isnull=False),
                name="response_pending",
            ),
        ]

    def __str__(self) -> str:
        if self.channel == self.Channel.PAPER:
            return f"纸质问卷 {self.batch_no}-{self.form_no}"
        return f"第{self.pk}份答卷"

    @property
    def audit_org(self) -> "Org":
        return self.survey.org

    phone = personal_data.encrypted_phone("phone_encrypted", hash_field="phone_hash")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone_encrypted else ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


class Answer(models.Model):
    """One chosen value: `choice` is the option code, the rating, the 0–10 score or the matrix
    scale code (with `row`); text answers keep `text`."""

    # survey and question are served by the answer_results index, which starts with them.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    row = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    category = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=8)

    class Meta:
        ordering = ["response_id", "question_id", "row", "choice"]
        indexes = [
            models.Index(fields=["survey", "question", "row", "choice"], name="answer_results"),
        ]

    def __str__(self) -> str:
        return f"答卷{self.response_id}第{self.question_id}题"
