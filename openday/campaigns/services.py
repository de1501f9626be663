"""Write paths for campaigns, declarations and the annual plan.

check_* validate and raise ValidationError in Chinese; the others change, record to the
audit log and tell people, inside one transaction. Permission checks live in access.py.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from openday.audit.services import diff, record
from openday.lib.masking import mask_phone
from openday.lib.official_doc import chinese_date
from openday.lib.personal_data import is_mobile, is_phone, normalize_phone
from openday.messaging import kinds
from openday.messaging.models import OutboundMessage
from openday.messaging.services import notify_org, queue_message
from openday.orgs.models import Org

from . import presets, scheduler
from .models import Campaign, Declaration, DeclarationEvent, DeclarationRow, PlanEntry, Reminder

if TYPE_CHECKING:
    from openday.accounts.models import User

CAMPAIGN_FIELDS = [
    "year",
    "kind",
    "title",
    "theme",
    "upper_documents",
    "recipients",
    "body",
    "topic_areas",
    "activity_forms",
    "guest_categories",
    "window_start_month",
    "window_end_month",
    "declaration_deadline",
    "themes_per_unit",
    "min_intro_length",
    "reminder_days",
    "opinion_due_days",
    "contact_name",
    "contact_phone",
    "contact_email",
    "name_patterns",
    "forbidden_names",
    "parent",
]


def today() -> date:
    return timezone.localdate()


def units_of(campaign: Campaign) -> QuerySet[Org]:
    """The units that declare in a campaign: the office's active units."""
    return Org.objects.filter(parent=campaign.office, kind=Org.Kind.UNIT, is_active=True).order_by(
        "path"
    )


# --- Campaigns ---------------------------------------------------------------------------


def _clean_list(value: str | Iterable[str] | None) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[\n,，、;；]+", value)
    return [v.strip() for v in value or [] if v and v.strip()]


def check_campaign(
    office: Org, fields: Mapping[str, Any], instance: Campaign | None = None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data = dict(fields)
    for key in ("topic_areas", "activity_forms", "guest_categories", "forbidden_names"):
        data[key] = _clean_list(data.get(key))
    data["name_patterns"] = [p.strip() for p in _clean_list_lines(data.get("name_patterns"))]
    year = data.get("year")
    if not year or not 2000 <= int(year) <= 2100:
        errors["year"] = "请填写 2000—2100 之间的年度。"
    start, end = data.get("window_start_month"), data.get("window_end_month")
    if not (start and end and 1 <= start <= 12 and 1 <= end <= 12):
        errors["window_start_month"] = "开展月份须在 1—12 月之间。"
    elif start > end:
        errors["window_end_month"] = "截止月份不能早于起始月份。"
    deadline = data.get("declaration_deadline")
    if not deadline:
        errors["declaration_deadline"] = "请填写申报截止日期。"
    elif year and start and (deadline.year, deadline.month) > (int(year), end or 12):
        errors["declaration_deadline"] = "申报截止日期不能晚于活动开展期。"
    if not data.get("title", "").strip():
        errors["title"] = "请填写活动名称。"
    if not data["topic_areas"]:
        errors["topic_areas"] = "请至少填写一个主题领域。"
    if not data["activity_forms"]:
        errors["activity_forms"] = "请至少填写一种活动形式。"
    per_unit = data.get("themes_per_unit") or 0
    if not 1 <= per_unit <= 10:
        errors["themes_per_unit"] = "每单位申报主题数须在 1—10 之间。"
    phone = normalize_phone(data.get("contact_phone") or "")
    if phone and not is_phone(phone):
        errors["contact_phone"] = (
            "联系电话格式不正确：请填写手机号或带区号的固定电话，如 0731-84390197。"
        )
    data["contact_phone"] = phone
    email = (data.get("contact_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_email"] = "电子邮箱格式不正确。"
    bad = [p for p in data["name_patterns"] if "{单位}" not in p]
    if bad:
        errors["name_patterns"] = f"命名规则须包含“{{单位}}”：{'；'.join(bad)}"
    parent = data.get("parent")
    if parent is not None:
        if office.parent_id is None or parent.office_id != office.parent_id:
            errors["parent"] = "上级活动须是上级政务公开办的活动。"
        elif year and parent.year != int(year):
            errors["parent"] = "上级活动须是同一年度的活动。"
    if instance is not None and instance.status != Campaign.Status.DRAFT:
        if data.get("year") != instance.year:
            errors["year"] = "通知已印发，不能再修改年度。"
    if errors:
        raise ValidationError(errors)
    data["title"] = data["title"].strip()
    return data


def _clean_list_lines(value: str | Iterable[str] | None) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [v for v in value or [] if v and v.strip()]


def preset_fields(preset_key: str, office: Org, year: int) -> dict[str, Any]:
    preset: Mapping[str, Any] = presets.PRESETS[preset_key]
    place = office.region.name if office.region else office.display_name
    start, end = preset["window"]
    return {
        "year": year,
        "kind": preset["kind"],
        "title": preset["title"].format(place=place, year=year),
        "theme": preset["theme"],
        "recipients": preset["recipients"],
        "body": preset["body"],
        "topic_areas": list(preset["topic_areas"]),
        "activity_forms": list(preset["activity_forms"]),
        "guest_categories": list(preset["guest_categories"]),
        "window_start_month": start,
        "window_end_month": end,
        "declaration_deadline": date(year, max(start - 1, 1), 3),
        "themes_per_unit": 1,
        "min_intro_length": 30,
        "reminder_days": 3,
        "opinion_due_days": 15,
        "contact_name": office.contact_name,
        "contact_phone": office.contact_phone,
        "contact_email": office.email,
        "name_patterns": list(preset["name_patterns"]),
        "forbidden_names": list(preset["forbidden_names"]),
        "upper_documents": "",
        "parent": None,
    }


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    out = {}
    for f in CAMPAIGN_FIELDS:
        value = getattr(campaign, f)
        out[f] = str(value) if isinstance(value, date | Campaign) else value
    if is_mobile(out["contact_phone"]):
        out["contact_phone"] = mask_phone(out["contact_phone"])
    return out


def create_campaign(actor: "User | None", office: Org, **fields: Any) -> Campaign:
    data = check_campaign(office, fields)
    with transaction.atomic():
        campaign = Campaign.objects.create(office=office, created_by=actor, **data)
        record(
            "campaign.created",
            actor=actor,
            obj=campaign,
            changes=diff({}, _snapshot(campaign)),
        )
    return campaign


def update_campaign(actor: "User | None", campaign: Campaign, **fields: Any) -> Campaign:
    merged = {**{f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}, **fields}
    data = check_campaign(campaign.office, merged, instance=campaign)
    with transaction.atomic():
        before = _snapshot(campaign)
        for key, value in data.items():
            setattr(campaign, key, value)
        campaign.save()
        changes = diff(before, _snapshot(campaign))
        if changes:
            record("campaign.updated", actor=actor, obj=campaign, changes=changes)
    return campaign


def issue_notice(actor: "User | None", campaign: Campaign) -> Campaign:
    """Number the notice (发文字号), open declarations and tell every unit. Idempotent."""
    with transaction.atomic():
        # The office row serializes numbering: two notices never get the same number.
        Org.objects.select_for_update().get(pk=campaign.office_id)
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Campaign.Status.DRAFT:
            return campaign
        if not campaign.office.doc_code:
            raise ValidationError("请先在组织架构中为本办设置发文字号代字，再印发通知。")
        issued_on = today()
        last = Campaign.objects.filter(office=campaign.office, doc_year=issued_on.year).aggregate(
            m=Max("doc_seq")
        )["m"]
        campaign.doc_year = issued_on.year
        campaign.doc_seq = (last or 0) + 1
        campaign.status = Campaign.Status.OPEN
        campaign.notice_issued_on = issued_on
        campaign.notice_published_at = timezone.now()
        campaign.save()
        record(
            "campaign.notice_issued",
            actor=actor,
            obj=campaign,
            changes={"doc_number": [None, campaign.doc_number]},
        )
        deadline = campaign.declaration_deadline
        for unit in units_of(campaign):
            notify_org(
                unit,
                f"请申报：{campaign.title}",
                f"{campaign.office.name}已印发{campaign.doc_number}，请于"
                f"{chinese_date(deadline)}前填写并提交活动主题申报表。",
                link=f"/staff/campaigns/{campaign.pk}/declare/{unit.pk}/",
            )
    return campaign


# --- Declarations ------------------------------------------------------------------------


def declaration_for(campaign: Campaign, unit: Org) -> Declaration:
    declaration, _ = Declaration.objects.get_or_create(campaign=campaign, unit=unit)
    return declaration


def check_declaration(
    campaign: Campaign, fields: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """Validate the header and every row; errors are {"field": msg, "rows": {index: [msgs]}}."""
    errors: dict[str, Any] = {}
    row_errors: dict[int, list[str]] = {}
    phone = normalize_phone(fields.get("contact_phone") or "")
    if not (fields.get("contact_name") or "").strip():
        errors["contact_name"] = "请填写联系人。"
    if not phone:
        errors["contact_phone"] = "请填写联系电话。"
    elif not is_phone(phone):
        errors["contact_phone"] = (
            "联系电话格式不正确：请填写 11 位手机号或带区号的固定电话，如 0731-84390197。"
        )
    filled = [
        r
        for r in rows
        if any(str(v).strip() for k, v in r.items() if k != "forms") or r.get("forms")
    ]
    if not filled:
        errors["rows"] = "请至少填写一个活动主题。"
    elif len(filled) > campaign.themes_per_unit:
        errors["rows"] = (
            f"每个单位最多申报 {campaign.themes_per_unit} 个活动主题，现填写了 {len(filled)} 个。"
        )
    start, end = campaign.window_start_month, campaign.window_end_month
    for index, row in enumerate(rows):
        if row not in filled:
            continue
        problems: list[str] = []
        theme = (row.get("theme") or "").strip()
        if not theme:
            problems.append("请填写活动主题。")
        elif len(theme) > 200:
            problems.append("活动主题不能超过 200 个字。")
        month = row.get("month")
        if not month:
            problems.append("请选择活动时间（月份）。")
        elif not start <= int(month) <= end:
            problems.append(f"活动时间须在 {start}—{end} 月之间。")
        forms = row.get("forms") or []
        if not forms:
            problems.append("请至少选择一种活动形式。")
        unknown = [f for f in forms if f not in campaign.activity_forms]
        if unknown:
            problems.append(
                f"活动形式“{'、'.join(unknown)}”不在本次活动允许的范围内（{'、'.join(campaign.activity_forms)}）。"
            )
        area = (row.get("topic_area") or "").strip()
        if area and area not in campaign.topic_areas:
            problems.append(f"主题领域“{area}”不在本次活动的主题领域中。")
        intro = (row.get("intro") or "").strip()
        if len(intro) < campaign.min_intro_length:
            problems.append(
                f"活动简介至少 {campaign.min_intro_length} 个字，现有 {len(intro)} 个字。"
            )
        if problems:
            row_errors[index] = problems
    if row_errors:
        errors["row_errors"] = row_errors
    return errors, filled


class DeclarationInvalid(Exception):
    def __init__(self, errors: dict[str, Any]):
        super().__init__("申报表有误")
        self.errors = errors


def save_declaration(
    actor: "User | None",
    declaration: Declaration,
    fields: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    submit: bool = False,
) -> Declaration:
    """Save a draft (lenient) or submit (strict). A submitted or approved one is not edited."""
    campaign = declaration.campaign
    if campaign.status == Campaign.Status.DRAFT:
        raise ValidationError("活动通知尚未印发，暂不能申报。")
    if declaration.status in (Declaration.Status.SUBMITTED, Declaration.Status.APPROVED):
        raise ValidationError(
            "申报表已提交，等待或已经通过审核，不能再修改。如需修改请联系政务公开办退回。"
        )
    errors, filled = check_declaration(campaign, fields, rows)
    if submit and errors:
        raise DeclarationInvalid(errors)
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        before = _declaration_snapshot(declaration)
        declaration.contact_name = (fields.get("contact_name") or "").strip()
        declaration.contact_phone = fields.get("contact_phone") or ""
        declaration.seal_note = (fields.get("seal_note") or "").strip()
        declaration.rows.all().delete()
        for seq, row in enumerate(filled, start=1):
            DeclarationRow.objects.create(
                declaration=declaration,
                seq=seq,
                theme=(row.get("theme") or "").strip()[:200],
                month=int(row["month"]) if row.get("month") else 0,
                forms=list(row.get("forms") or []),
                topic_area=(row.get("topic_area") or "").strip(),
                intro=(row.get("intro") or "").strip(),
            )
        action = DeclarationEvent.Action.SAVED
        if submit:
            declaration.status = Declaration.Status.SUBMITTED
            declaration.submitted_at = timezone.now()
            declaration.is_late = (
                timezone.localdate(declaration.submitted_at) > campaign.declaration_deadline
            )
            action = DeclarationEvent.Action.SUBMITTED
        declaration.save()
        DeclarationEvent.objects.create(declaration=declaration, action=action, actor=actor)
        record(
            "declaration.submitted" if submit else "declaration.saved",
            actor=actor,
            obj=declaration,
            changes=diff(before, _declaration_snapshot(declaration)),
        )
    return declaration


def _declaration_snapshot(declaration: Declaration) -> dict[str, Any]:
    return {
        "status": declaration.status,
        "contact_name": declaration.contact_name,
        "contact_phone": declaration.masked_contact_phone,
        "rows": [
            f"{r.seq}. {r.theme}（{r.month}月，{r.forms_label}）" for r in declaration.rows.all()
        ],
    }


def review_declaration(
    actor: "User | None", declaration: Declaration, *, approve: bool, comment: str | None = ""
) -> Declaration:
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": "退回时请写明退回意见，方便单位修改。"})
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.status != Declaration.Status.SUBMITTED:
            raise ValidationError("只有已提交的申报表可以审核。")
        declaration.status = Declaration.Status.APPROVED if approve else Declaration.Status.RETURNED
        declaration.review_comment = comment
        declaration.reviewed_at = timezone.now()
        declaration.save()
        DeclarationEvent.objects.create(
            declaration=declaration,
            action=DeclarationEvent.Action.APPROVED
            if approve
            else DeclarationEvent.Action.RETURNED,
            actor=actor,
            comment=comment,
        )
        record(
            "declaration.approved" if approve else "declaration.returned",
            actor=actor,
            obj=declaration,
            changes={
                "status": [Declaration.Status.SUBMITTED, declaration.status],
                "comment": comment,
            },
        )
        campaign = declaration.campaign
        if approve:
            notify_org(
                declaration.unit,
                f"申报已通过：{campaign.title}",
                comment,
                link=f"/staff/campaigns/{campaign.pk}/declare/{declaration.unit_id}/",
            )
        else:
            notify_org(
                declaration.unit,
                f"申报被退回，请修改后重新提交：{campaign.title}",
                f"退回意见：{comment}",
                link=f"/staff/campaigns/{campaign.pk}/declare/{declaration.unit_id}/",
            )
    return declaration


BOARD_STATES = {
    "not_started": "未开始",
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已通过",
}


def board(campaign: Campaign) -> list[dict[str, Any]]:
    """Every unit with its declaration's state, for the office's review board."""
    declarations = {
        d.unit_id: d for d in campaign.declarations.select_related("unit").prefetch_related("rows")
    }
    reminded: dict[int, date] = {}
    for r in campaign.reminders.order_by("sent_on"):
        reminded[r.unit_id] = r.sent_on
    rows: list[dict[str, Any]] = []
    for unit in units_of(campaign):
        d = declarations.get(unit.pk)
        state = d.status if d else "not_started"
        if d and d.status == Declaration.Status.DRAFT and not d.rows.all():
            state = "not_started" if not d.contact_name else "draft"
        late = bool(d and d.is_late) or (
            state in ("not_started", "draft", "returned")
            and today() > campaign.declaration_deadline
        )
        rows.append(
            {
                "unit": unit,
                "declaration": d,
                "state": state,
                "state_label": BOARD_STATES[state],
                "late": late,
                "reminded_on": reminded.get(unit.pk),
            }
        )
    return rows


def remind_units(
    actor: "User | None",
    campaign: Campaign,
    units: Iterable[Org] | None = None,
    *,
    automatic: bool = False,
) -> list[Org]:
    """Remind units that have not submitted: in-app, and by email/SMS through the sender.

    At most one reminder per unit and day, so a double click or a rerun sends nothing twice.
    """
    if campaign.status != Campaign.Status.OPEN:
        return []
    pending = [
        row["unit"]
        for row in board(campaign)
        if row["state"] in ("not_started", "draft", "returned")
    ]
    if units is not None:
        wanted = {u.pk for u in units}
        pending = [u for u in pending if u.pk in wanted]
    sent: list[Org] = []
    day = today()
    deadline = campaign.declaration_deadline
    for unit in pending:
        with transaction.atomic():
            _reminder, created = Reminder.objects.get_or_create(
                campaign=campaign,
                unit=unit,
                sent_on=day,
                defaults={"automatic": automatic, "actor": actor},
            )
            if not created:
                continue
            params: dict[str, object] = {
                "office": campaign.office.name,
                "campaign": campaign.title,
                "deadline": chinese_date(deadline),
            }
            text = kinds.render("declaration_reminder", **params)
            notify_org(
                unit,
                f"申报提醒：{campaign.title}",
                text,
                link=f"/staff/campaigns/{campaign.pk}/declare/{unit.pk}/",
            )
            if unit.email:
                queue_message(
                    OutboundMessage.Channel.EMAIL,
                    unit.email,
                    f"申报提醒：{campaign.title}",
                    kind="declaration_reminder",
                    params=params,
                )
            if (
                unit.contact_phone
                and is_phone(unit.contact_phone)
                and unit.contact_phone.startswith("1")
            ):
                queue_message(
                    OutboundMessage.Channel.SMS,
                    unit.contact_phone,
                    "",
                    kind="declaration_reminder",
                    params=params,
                )
            declaration = Declaration.objects.filter(campaign=campaign, unit=unit).first()
            if declaration:
                DeclarationEvent.objects.create(
                    declaration=declaration, action=DeclarationEvent.Action.REMINDED, actor=actor
                )
            record(
                "declaration.reminded",
                actor=actor,
                obj=campaign,
                org=unit,
                changes={"unit": unit.name, "automatic": automatic},
            )
            sent.append(unit)
    return sent


def send_due_reminders() -> int:
    """For every open campaign within its reminder days before the deadline, remind once a day."""
    day = today()
    count = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.OPEN).select_related("office"):
        days_left = (campaign.declaration_deadline - day).days
        if 0 <= days_left <= campaign.reminder_days:
            count += len(remind_units(None, campaign, automatic=True))
    return count


# --- The annual plan ---------------------------------------------------------------------


def generate_plan(
    actor: "User | None", campaign: Campaign, *, month_capacity: int | None = None
) -> scheduler.Plan:
    """(Re)build the plan from every approved theme; hand-placed entries stay where they are."""
    if campaign.status == Campaign.Status.DRAFT:
        raise ValidationError("活动通知尚未印发，不能生成计划。")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        rows = list(
            DeclarationRow.objects.filter(
                declaration__campaign=campaign, declaration__status=Declaration.Status.APPROVED
            ).select_related("declaration")
        )
        existing = {e.row_id: e for e in campaign.plan_entries.exclude(row=None)}
        manual = list(campaign.plan_entries.filter(row=None))
        items: list[scheduler.Item] = []
        by_item: dict[int, DeclarationRow] = {}
        for row in rows:
            entry = existing.get(row.pk)
            pinned_week = entry.week if entry and entry.pinned else None
            items.append(
                scheduler.Item(
                    id=row.pk,
                    unit_id=row.declaration.unit_id,
                    topic_area=row.topic_area,
                    requested_month=row.month or None,
                    pinned_week=pinned_week,
                )
            )
            by_item[row.pk] = row
        for entry in manual:
            key = -entry.pk
            items.append(
                scheduler.Item(
                    id=key,
                    unit_id=entry.unit_id,
                    topic_area=entry.topic_area,
                    requested_month=entry.requested_month,
                    pinned_week=entry.week if entry.pinned else None,
                )
            )
        capacity = month_capacity or None
        plan = scheduler.schedule(
            items,
            year=campaign.year,
            start_month=campaign.window_start_month,
            end_month=campaign.window_end_month,
            month_capacity=capacity,
        )
        problems: dict[int, list[str]] = {}
        for p in plan.problems:
            problems.setdefault(p.item_id, []).append(p.message)
        campaign.plan_entries.exclude(row_id__in=list(by_item)).exclude(row=None).delete()
        to_create: list[PlanEntry] = []
        to_update: list[PlanEntry] = []
        for item in items:
            slot = plan.slots[item.id]
            found = problems.get(item.id, [])
            if item.id < 0:
                entry = next(e for e in manual if e.pk == -item.id)
            elif row_entry := existing.get(item.id):
                entry = row_entry
            else:
                row = by_item[item.id]
                d = row.declaration
                to_create.append(
                    PlanEntry(
                        campaign=campaign,
                        row=row,
                        unit_id=d.unit_id,
                        theme=row.theme,
                        topic_area=row.topic_area,
                        forms=row.forms,
                        intro=row.intro,
                        contact_name=d.contact_name,
                        contact_phone_encrypted=d.contact_phone_encrypted,
                        requested_month=row.month or None,
                        month=slot.month,
                        week=slot.week,
                        problems=found,
                    )
                )
                continue
            # An approved theme no longer changes, so only its place and notes are rewritten.
            if (entry.month, entry.week, entry.problems) != (slot.month, slot.week, found):
                entry.month, entry.week, entry.problems = slot.month, slot.week, found
                to_update.append(entry)
        PlanEntry.objects.bulk_create(to_create, batch_size=500)
        PlanEntry.objects.bulk_update(to_update, ["month", "week", "problems"], batch_size=200)
        campaign.month_capacity = month_capacity or None
        campaign.save(update_fields=["month_capacity", "updated_at"])
        record(
            "plan.generated",
            actor=actor,
            obj=campaign,
            changes={
                "entries": len(items),
                "capacity": plan.month_capacity,
                "problems": len(plan.problems),
            },
        )
    return plan


def move_entry(actor: "User | None", entry: PlanEntry, week: date) -> PlanEntry:
    """Place one entry by hand in a week (a Monday) of the window; it stays there on regeneration."""
    campaign = entry.campaign
    allowed = {w for m in campaign.months for w in scheduler.weeks_of_month(campaign.year, m)}
    if week not in allowed:
        raise ValidationError({"week": f"所选周不在活动开展期（{campaign.window_label}）内。"})
    month = next(m for m in campaign.months if week in scheduler.weeks_of_month(campaign.year, m))
    with transaction.atomic():
        before = {"month": entry.month, "week": str(entry.week)}
        entry.month, entry.week, entry.pinned = month, week, True
        clash = campaign.plan_entries.filter(unit_id=entry.unit_id, week=week).exclude(pk=entry.pk)
        entry.problems = (
            [f"{entry.unit.display_name}在同一周已有其他活动。"] if clash.exists() else []
        )
        entry.save()
        record(
            "plan.entry_moved",
            actor=actor,
            obj=entry,
            changes=diff(before, {"month": month, "week": str(week)}),
        )
    return entry


def publish_plan(actor: "User | None", campaign: Campaign) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not campaign.plan_entries.exists():
            raise ValidationError("计划安排表还没有内容，请先生成计划。")
        campaign.status = Campaign.Status.PLAN_PUBLISHED
        campaign.plan_published_at = timezone.now()
        campaign.save(update_fields=["status", "plan_published_at", "updated_at"])
        record(
            "plan.published",
            actor=actor,
            obj=campaign,
            changes={"entries": campaign.plan_entries.count()},
        )
        for unit in Org.objects.filter(pk__in=campaign.plan_entries.values("unit")):
            notify_org(
                unit, f"计划安排表已发布：{campaign.title}", link=f"/campaigns/{campaign.pk}/"
            )
    return campaign
