from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from openday.lib import personal_data
from openday.lib.masking import mask_name, mask_phone

if TYPE_CHECKING:
    from openday.orgs.models import Org

# The seed's guest categories; an event sets a quota per category it invites.
GUEST_CATEGORIES = [
    ("deputy", "人大代表"),
    ("member", "政协委员"),
    ("expert", "专家学者"),
    ("media", "新闻媒体"),
    ("business", "企业"),
    ("trader", "个体工商户"),
    ("model", "劳模道德模范"),
    ("public", "普通群众"),
]
CATEGORY_NAMES = dict(GUEST_CATEGORIES)


class Event(models.Model):
    """One open day or theme-day event: its 会标, time, venues, agenda and seats."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        OPEN = "open", "报名中"
        CLOSED = "closed", "报名已截止"
        HELD = "held", "已举办"
        SUMMARIZED = "summarized", "已总结"

    class Mode(models.TextChoices):
        OPEN = "open", "公开报名"
        APPROVAL = "approval", "报名需审核"
        INVITATION = "invitation", "仅限受邀"

    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="events")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    plan_entry = models.OneToOneField(
        "campaigns.PlanEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event",
    )
    title = models.CharField("会标（活动名称）", max_length=200)
    theme = models.CharField("活动主题", max_length=200, blank=True)
    topic_area = models.CharField("主题领域", max_length=32, blank=True)
    forms = models.JSONField("活动形式", default=list, blank=True)
    summary = models.TextField("活动简介", blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    venues = models.JSONField("活动地点", default=list, blank=True)
    agenda = models.JSONField("活动议程", default=list, blank=True)
    capacity = models.PositiveIntegerField("总名额")
    waitlist_limit = models.PositiveIntegerField("候补名额", default=50)
    registration_mode = models.CharField(
        "报名方式", max_length=16, choices=Mode.choices, default=Mode.OPEN
    )
    registration_opens_at = models.DateTimeField("报名开始", null=True, blank=True)
    registration_closes_at = models.DateTimeField("报名截止", null=True, blank=True)
    consent_text = models.TextField("个人信息告知", blank=True)
    directory = models.JSONField("参观部门介绍", default=list, blank=True)
    personal_data_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "id"]
        indexes = [
            # The staff event list (newest first) and the public list's pages walk this order.
            models.Index(fields=["starts_at", "id"], name="event_starts"),
            # The public list's upcoming events (not over yet), and their count.
            models.Index(fields=["ends_at"], name="event_ends"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_org(self) -> "Org":
        return self.unit

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    # Why a registration is not taken now, as the PostgreSQL function openday_register()
    # answers it (events migrations; tests/test_registration_window.py checks the two agree).
    WINDOW_REASONS = {
        "closed": "本活动当前不接受报名。",
        "not_yet": "报名尚未开始。",
        "ended": "报名已截止。",
        "invitation_only": "本活动仅限受邀人员参加，请使用邀请函中的链接报名。",
    }

    def registration_window(
        self, now: datetime, *, staff: bool = False, invited: bool = False
    ) -> str:
        """ "open", or why a registration is not taken now: "closed", "not_yet", "ended" or
        "invitation_only" (the key of WINDOW_REASONS). Staff registering someone who phoned
        in may do so while the event is published or closed, before and after the window."""
        if self.status != self.Status.OPEN and not (
            staff and self.status in (self.Status.PUBLISHED, self.Status.CLOSED)
        ):
            return "closed"
        if not staff:
            if self.registration_opens_at and now < self.registration_opens_at:
                return "not_yet"
            if self.registration_closes_at and now > self.registration_closes_at:
                return "ended"
            if self.registration_mode == self.Mode.INVITATION and not invited:
                return "invitation_only"
        return "open"


class Quota(models.Model):
    """Seats reserved for one guest category; confirmed registrations of it count against it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="quotas")
    category = models.CharField(max_length=16, choices=GUEST_CATEGORIES)
    seats = models.PositiveIntegerField("名额")

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "category"], name="one_quota_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.seats}"


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "报名成功"
        WAITLISTED = "waitlisted", "候补"
        PENDING = "pending", "待审核"
        CANCELLED = "cancelled", "已取消"
        REJECTED = "rejected", "未通过"

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED, Status.PENDING)

    class Source(models.TextChoices):
        ONLINE = "online", "网上报名"
        API = "api", "接口"
        STAFF = "staff", "工作人员代报"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField("姓名", max_length=64)
    phone_encrypted = models.TextField(editable=False)
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    phone_last4 = models.CharField(max_length=4, db_index=True, editable=False)
    category = models.CharField("类别", max_length=16, choices=GUEST_CATEGORIES)
    organization = models.CharField("单位/职务", max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    ticket_code = models.CharField(max_length=16, unique=True)
    consent_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One active registration per phone and event: a double click cannot make two.
            models.UniqueConstraint(
                fields=["event", "phone_hash"],
                condition=models.Q(status__in=["confirmed", "waitlisted", "pending"]),
                name="one_active_registration_per_phone",
            )
        ]

    def __str__(self) -> str:
        # Never the ticket code: it is enough to cancel, and audit readers should not hold it.
        return f"{self.masked_name}（{self.event_id}号活动）"

    @property
    def audit_org(self) -> "Org":
        return self.event.unit

    phone = personal_data.encrypted_phone(
        "phone_encrypted", hash_field="phone_hash", last4_field="phone_last4"
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


class Invitation(models.Model):
    """A personal invitation: sent by SMS or a printed letter, answered by registering or not."""

    class Status(models.TextChoices):
        NEW = "new", "未发送"
        SENT = "sent", "已发送"
        ACCEPTED = "accepted", "已报名"
        DECLINED = "declined", "已谢绝"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    name = models.CharField("姓名", max_length=64)
    phone_encrypted = models.TextField(editable=False)
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    category = models.CharField("类别", max_length=16, choices=GUEST_CATEGORIES)
    organization = models.CharField("单位/职务", max_length=100, blank=True)
    code = models.CharField(max_length=16, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    registration = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "phone_hash"], name="one_invitation_per_phone")
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {self.get_status_display()}"

    @property
    def audit_org(self) -> "Org":
        return self.event.unit

    phone = personal_data.encrypted_phone("phone_encrypted", hash_field="phone_hash")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)
