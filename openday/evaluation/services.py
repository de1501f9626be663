"""Write paths of the evaluation: the scheme and its weights, adjustments, awards, publishing.

Each function checks that the actor runs the campaign (its office's admins, or an operator),
checks its inputs, changes rows inside one transaction and records an `evaluation.*` audit entry.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openday.audit.services import record
from openday.orgs.access import Access

from . import indicators as ind
from .access import NOT_MANAGER, can_manage
from .models import Adjustment, Award, Scheme, Weight

if TYPE_CHECKING:
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.events.models import Event
    from openday.orgs.models import Org

REASON_MIN = 5
TOTAL = Decimal("100")
MAX_ADJUSTMENT = Decimal("100")


class WeightsInvalid(ValidationError):
    """Bad weights: `rows` maps an indicator code to its problems, `total` is the sum's."""

    def __init__(self, rows: dict[str, list[str]], total: str = ""):
        self.rows, self.total = rows, total
        problems = [p for ps in rows.values() for p in ps] + ([total] if total else [])
        super().__init__(problems)


def _check_runs(actor: "User", campaign: "Campaign") -> None:
    if not can_manage(Access(actor), campaign):
        raise PermissionDenied(NOT_MANAGER)


def _reason(reason: str | None, what: str = "理由") -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError(
            {"reason": f"请写明{what}（至少 {REASON_MIN} 个字），它会记入考核记录。"}
        )
    return reason


def scheme_for(campaign: "Campaign", actor: "User | None" = None) -> Scheme:
    """The campaign's scheme, created with the catalogue's default weights the first time."""
    scheme = Scheme.objects.filter(campaign=campaign).first()
    if scheme is not None:
        return scheme
    try:
        with transaction.atomic():
            scheme = Scheme.objects.create(campaign=campaign, updated_by=_user(actor))
            Weight.objects.bulk_create(
                Weight(
                    scheme=scheme, indicator=i.code, weight=i.weight, target=i.target, position=n
                )
                for n, i in enumerate(ind.CATALOGUE)
            )
            record(
                "evaluation.scheme_created",
                actor=actor,
                obj=scheme,
                changes={"weights": [None, {i.code: str(i.weight) for i in ind.CATALOGUE}]},
            )
    except IntegrityError:  # someone else opened it at the same moment
        scheme = Scheme.objects.get(campaign=campaign)
    return scheme


REPORT_FIELDS = {
    "experiences": "report_experiences",
    "shortcomings": "report_shortcomings",
    "next_steps": "report_next_steps",
}


def save_report_text(actor: "User", campaign: "Campaign", texts: Mapping[str, Any]) -> Scheme:
    """Keep the office's own text of the annual report, so the next download has it too."""
    _check_runs(actor, campaign)
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme_for(campaign, actor).pk)
        changes = {}
        for key, field in REPORT_FIELDS.items():
            new = (texts.get(key) or "").strip()
            if getattr(scheme, field) != new:
                changes[field] = [getattr(scheme, field), new]
                setattr(scheme, field, new)
        if changes:
            scheme.updated_by = _user(actor)
            scheme.save()
            record("evaluation.report_saved", actor=actor, obj=scheme, changes=changes)
    return scheme


def report_text(campaign: "Campaign") -> dict[str, str]:
    """The saved text of the annual report, as keyword arguments of annual_summary_docx."""
    scheme = Scheme.objects.filter(campaign=campaign).first()
    return {k: getattr(scheme, f) if scheme else "" for k, f in REPORT_FIELDS.items()}


def _user(actor: "User | None") -> "User | None":
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _decimal(text: object) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def check_weights(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, Decimal, Decimal]]:
    """[(code, weight, target)] from rows of {indicator, weight, target}; WeightsInvalid else."""
    errors: dict[str, list[str]] = {}
    clean: list[tuple[str, Decimal, Decimal]] = []
    seen = set()
    for row in rows:
        code = row.get("indicator", "")
        indicator = ind.BY_CODE.get(code)
        if indicator is None:
            errors.setdefault(code or "?", []).append(f"未知的指标“{code}”。")
            continue
        seen.add(code)
        problems = []
        weight = _decimal(row.get("weight", ""))
        if weight is None:
            problems.append(f"{indicator.label}：分值须为数字，如 10 或 7.5。")
        elif weight < 0:
            problems.append(f"{indicator.label}：分值不能为负数（不考核的指标填 0）。")
        elif weight > TOTAL or weight != weight.quantize(Decimal("0.1")):
            problems.append(f"{indicator.label}：分值须在 0–100 之间，最多一位小数。")
        target = _decimal(row.get("target", ""))
        if target is None:
            problems.append(f"{indicator.label}：满分标准须为数字。")
        elif target <= 0:
            problems.append(f"{indicator.label}：满分标准须大于 0。")
        elif indicator.kind == ind.RATE and target > 1:
            problems.append(
                f"{indicator.label}：满分标准是比例，须在 0–1 之间（如 0.9 表示 90%）。"
            )
        elif indicator.kind == ind.SCORE and not (1 < target <= 5):
            problems.append(f"{indicator.label}：满分标准须大于 1、不超过 5 分。")
        elif target != target.quantize(Decimal("0.01")) or target >= Decimal("10000000"):
            problems.append(f"{indicator.label}：满分标准最多两位小数。")
        if problems:
            errors[code] = problems
        elif weight is not None and target is not None:  # no problems: both were read
            clean.append((code, weight, target))
    missing = [c for c in ind.CODES if c not in seen]
    for code in missing:
        errors.setdefault(code, []).append(f"{ind.BY_CODE[code].label}：缺少该指标的分值。")
    total_error = ""
    if not errors:
        total = sum((w for _c, w, _t in clean), Decimal(0))
        if total != TOTAL:
            total_error = f"各项分值合计须为 100 分，现在是 {total.normalize():f} 分。"
    if errors or total_error:
        raise WeightsInvalid(errors, total_error)
    return clean


def save_weights(actor: "User", scheme: Scheme, rows: Iterable[Mapping[str, Any]]) -> Scheme:
    """Replace the scheme's weights and targets; all rows are checked before anything changes."""
    _check_runs(actor, scheme.campaign)
    clean = check_weights(rows)
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
        before = {w.indicator: [str(w.weight), str(w.target)] for w in scheme.weights.all()}
        changes = {}
        for position, (code, weight, target) in enumerate(clean):
            Weight.objects.update_or_create(
                scheme=scheme,
                indicator=code,
                defaults={"weight": weight, "target": target, "position": position},
            )
            after = [str(weight), str(target)]
            old = before.get(code)
            if old is None or [Decimal(v) for v in old] != [weight, target]:
                changes[code] = [old, after]
        scheme.weights.exclude(indicator__in=[c for c, _w, _t in clean]).delete()
        scheme.updated_by = _user(actor)
        scheme.save(update_fields=["updated_by", "updated_at"])
        record("evaluation.weights_saved", actor=actor, obj=scheme, changes=changes)
    return scheme


def _check_unit(scheme: Scheme, unit: "Org") -> None:
    if unit.parent_id != scheme.campaign.office_id:
        raise ValidationError({"unit": "只能对本办所属单位加减分或表彰。"})


def adjust(
    actor: "User",
    scheme: Scheme,
    unit: "Org",
    points: object,
    reason: str | None,
    indicator: str = "",
) -> Adjustment:
    """Add or take off points by hand, with a reason; the score never goes below 0."""
    _check_runs(actor, scheme.campaign)
    _check_unit(scheme, unit)
    if indicator and indicator not in ind.BY_CODE:
        raise ValidationError({"indicator": "请选择考核指标，或选择“总分”。"})
    value = _decimal(points)
    if value is None or value == 0:
        raise ValidationError({"points": "请填写加减分，如 2 或 -1.5（不能为 0）。"})
    if abs(value) > MAX_ADJUSTMENT or value != value.quantize(Decimal("0.1")):
        raise ValidationError({"points": "加减分须在 -100 到 100 之间，最多一位小数。"})
    reason = _reason(reason, "加减分理由")
    with transaction.atomic():
        adjustment = Adjustment.objects.create(
            scheme=scheme,
            unit=unit,
            indicator=indicator,
            points=value,
            reason=reason,
            created_by=_user(actor),
        )
        record(
            "evaluation.adjusted",
            actor=actor,
            obj=adjustment,
            changes={
                "unit": [None, unit.name],
                "indicator": [None, indicator or "总分"],
                "points": [None, str(value)],
                "reason": [None, reason],
            },
        )
    return adjustment


def revoke_adjustment(actor: "User", adjustment: Adjustment, reason: str | None) -> Adjustment:
    """Take back an adjustment; it stays in the history with who revoked it and why."""
    _check_runs(actor, adjustment.scheme.campaign)
    reason = _reason(reason, "撤销理由")
    with transaction.atomic():
        claimed = Adjustment.objects.filter(pk=adjustment.pk, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_by=_user(actor), revoke_reason=reason
        )
        if not claimed:
            raise ValidationError("该加减分已撤销。")
        adjustment.refresh_from_db()
        record(
            "evaluation.adjustment_revoked",
            actor=actor,
            obj=adjustment,
            changes={
                "revoked": [False, True],
                "reason": [None, reason],
                "points": [str(adjustment.points), None],
            },
        )
    return adjustment


def mark_award(
    actor: "User",
    scheme: Scheme,
    kind: str,
    unit: "Org | None",
    event: "Event | None" = None,
    citation: str | None = "",
) -> Award:
    """Mark a best event (优秀活动, needs the event) or an excellent organizer (优秀组织单位)."""
    _check_runs(actor, scheme.campaign)
    if kind not in Award.Kind.values:
        raise ValidationError({"kind": "请选择表彰类型。"})
    campaign = scheme.campaign
    if kind == Award.Kind.BEST_EVENT:
        if event is None:
            raise ValidationError({"event": "请选择优秀活动。"})
        in_campaign = event.campaign_id == campaign.pk or (
            event.plan_entry is not None and event.plan_entry.campaign_id == campaign.pk
        )
        if not in_campaign:
            raise ValidationError({"event": "只能表彰本年度活动中的活动。"})
        if unit is None:
            unit = next(
                (o for o in _ancestors(event.unit) if o.parent_id == campaign.office_id), None
            )
        if unit is None or not event.unit.path.startswith(unit.path):
            raise ValidationError({"event": "该活动不属于所选单位。"})
    else:
        event = None
        if unit is None:
            raise ValidationError({"unit": "请选择优秀组织单位。"})
    _check_unit(scheme, unit)
    citation = (citation or "").strip()
    if len(citation) > 500:
        raise ValidationError({"citation": "推荐理由请控制在 500 字以内。"})
    if Award.objects.filter(scheme=scheme, kind=kind, unit=unit, event=event).exists():
        raise ValidationError({"__all__": "已经标记过，不需要重复标记。"})
    with transaction.atomic():
        try:
            award = Award.objects.create(
                scheme=scheme,
                kind=kind,
                unit=unit,
                event=event,
                citation=citation,
                created_by=_user(actor),
            )
        except IntegrityError:
            raise ValidationError({"__all__": "已经标记过，不需要重复标记。"}) from None
        record(
            "evaluation.award_marked",
            actor=actor,
            obj=award,
            changes={
                "kind": [None, kind],
                "unit": [None, unit.name],
                "event": [None, event.title if event else None],
                "citation": [None, citation],
            },
        )
    return award


def _ancestors(org: "Org") -> "list[Org]":
    from openday.orgs.models import Org

    return list(Org.objects.filter(pk__in=org.ancestor_ids()))


def remove_award(actor: "User", award: Award) -> None:
    _check_runs(actor, award.scheme.campaign)
    with transaction.atomic():
        record(
            "evaluation.award_removed",
            actor=actor,
            obj=award,
            changes={
                "kind": [award.kind, None],
                "unit": [award.unit.name, None],
                "event": [award.event.title if award.event else None, None],
            },
        )
        award.delete()


def publish_scheme(actor: "User", scheme: Scheme) -> Scheme:
    """Units see their own score and rank from now on."""
    _check_runs(actor, scheme.campaign)
    with transaction.atomic():
        now = timezone.now()
        if not Scheme.objects.filter(pk=scheme.pk, published_at=None).update(
            published_at=now, updated_by=_user(actor)
        ):
            raise ValidationError("考核结果已经公布。")
        scheme.published_at = now
        record(
            "evaluation.published",
            actor=actor,
            obj=scheme,
            changes={"published": [False, True]},
        )
    return scheme


def unpublish(actor: "User", scheme: Scheme, reason: str | None = "") -> Scheme:
    """Hide the scores from the units again (e.g. to correct them)."""
    _check_runs(actor, scheme.campaign)
    reason = _reason(reason, "撤回理由")
    with transaction.atomic():
        if not Scheme.objects.filter(pk=scheme.pk, published_at__isnull=False).update(
            published_at=None, updated_by=_user(actor)
        ):
            raise ValidationError("考核结果尚未公布。")
        scheme.published_at = None
        record(
            "evaluation.unpublished",
            actor=actor,
            obj=scheme,
            changes={"published": [True, False], "reason": [None, reason]},
        )
    return scheme
