"""The official holiday calendar: statutory rest days and make-up working days (调休)."""

from django.conf import settings
from django.db import models


class SpecialDay(models.Model):
    """One date that differs from the plain Monday-to-Friday week.

    A year with at least one row is "known": its other dates follow the ordinary week. A year
    with no rows is estimated from weekends and the statutory holidays computed by rule.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日休息"
        WORKDAY = "workday", "调休上班"

    class Source(models.TextChoices):
        SEED = "seed", "内置"
        MANUAL = "manual", "手工"
        IMPORT = "import", "导入"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, blank=True)
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.MANUAL)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="最后修改人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "放假调休日"
        verbose_name_plural = "放假调休日"

    def __str__(self) -> str:
        short = "休" if self.kind == self.Kind.HOLIDAY else "班"
        return (
            f"{self.date:%Y-%m-%d} {self.name}（{short}）"
            if self.name
            else f"{self.date:%Y-%m-%d}（{short}）"
        )
