"""Evaluation (绩效考核 / 第三方评估): a campaign's indicators and weights, hand adjustments with
their reasons, and the marks for best events and excellent organizers. Scores themselves are
computed from the data every time (see evaluation.scoring); nothing here caches them."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from openday.orgs.models import Org


class Scheme(models.Model):
    """The office's indicator scheme for one campaign (one year)."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="evaluation"
    )
    note = models.TextField("说明", blank=True)
    # The office's own words in the annual report (evaluation.exports.annual_summary_docx).
    report_experiences = models.TextField("经验做法", blank=True)
    report_shortcomings = models.TextField("存在不足", blank=True)
    report_next_steps = models.TextField("下一步打算", blank=True)
    # Once published, units see their own scores and ranks.
    published_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.campaign.title} 考核指标"

    @property
    def audit_org(self) -> "Org":
        return self.campaign.office


class Weight(models.Model):
    """One indicator of a scheme: its weight (points) and the value that earns full points."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="weights")
    indicator = models.CharField("指标", max_length=32)
    weight = models.DecimalField("分值", max_digits=5, decimal_places=1)
    target = models.DecimalField("满分标准", max_digits=9, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator"], name="one_weight_per_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.weight}"


class Adjustment(models.Model):
    """A hand adjustment of one unit's score, always with a reason."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="adjustments")
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    # Blank: the total; otherwise the indicator whose points are adjusted.
    indicator = models.CharField("指标", max_length=32, blank=True)
    points = models.DecimalField("加减分", max_digits=5, decimal_places=1)
    reason = models.TextField("理由")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["scheme", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.points:+}"

    @property
    def audit_org(self) -> "Org":
        return self.scheme.campaign.office


class Award(models.Model):
    """A best event (优秀活动) or an excellent organizer (优秀组织单位) of the year."""

    class Kind(models.TextChoices):
        BEST_EVENT = "best_event", "优秀活动"
        EXCELLENT_UNIT = "excellent_unit", "优秀组织单位"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="awards")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    citation = models.TextField("推荐理由", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "kind", "unit", "event"], name="one_award_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit}"

    @property
    def audit_org(self) -> "Org":
        return self.scheme.campaign.office
