"""The event summary (活动总结): figures counted from the data, the unit's own text, submission,
reopening and the GB/T 9704 .docx.

Who may do what is in access.py (views check, services trust their caller). The campaign's
figures workbook is in workbook.py, the evidence checklist and bundles in evidence.py.

Submitting moves a held event (已举办) to 已总结 through events.services.set_status, which
records it; reopening moves it back.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Field, Q
from django.utils import timezone

from openday.audit.services import record
from openday.events import services as events
from openday.events.models import GUEST_CATEGORIES, Event, Invitation
from openday.lib.official_doc import OfficialDocument, chinese_date
from openday.lib.placeholders import find_placeholders
from openday.opinions import figures as opinion_figures
from openday.publicity import prose
from openday.publicity.models import Article

from .models import EventPhoto, EventSummary

if TYPE_CHECKING:
    from openday.accounts.models import User

TEXT_FIELDS = ["overview", "experiences", "shortcomings", "causes", "next_steps"]
# Minimum length (characters, blanks not counted) of each text required on submit.
REQUIRED = {"experiences": 20, "shortcomings": 20, "causes": 10, "next_steps": 10}
TEXT_MAX = 5000
# The text fields are columns, never relations, so each has a verbose_name.
FIELD_NAMES = {
    f: cast("Field[Any, Any]", EventSummary._meta.get_field(f)).verbose_name for f in TEXT_FIELDS
}


class Refused(Exception):
    """A move the rules do not allow now; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Figures ------------------------------------------------------------------------------------


def figures(event: Event) -> dict[str, Any]:
    """Every figure of the summary, counted from the data now (JSON-serializable)."""
    quotas = dict(event.quotas.values_list("category", "seats"))
    # The check-in page's counters: confirmed registrations, and those who arrived.
    rows = {r["category"]: r for r in events.counters(event)}
    categories: list[dict[str, Any]] = []
    for code, name in GUEST_CATEGORIES:
        r = rows.get(code)
        if r is None and code not in quotas:
            continue
        categories.append(
            {
                "code": code,
                "name": name,
                "quota": quotas.get(code),
                "registered": r["registered"] if r else 0,
                "checked_in": r["arrived"] if r else 0,
            }
        )
    inv = Invitation.objects.filter(event=event).aggregate(
        total=Count("id"),
        sent=Count("id", filter=~Q(status=Invitation.Status.NEW)),
        accepted=Count("id", filter=Q(status=Invitation.Status.ACCEPTED)),
    )
    opinions = event.opinions.all()
    opinion_counts = opinion_figures.counts(opinions)
    opinion_counts["decisions"] = {
        d["code"]: d["count"] for d in opinion_figures.decisions(opinions)
    }
    photos = EventPhoto.objects.filter(event=event).aggregate(
        total=Count("id"), with_logo=Count("id", filter=Q(shows_logo=True))
    )
    return {
        "computed_at": timezone.now().isoformat(timespec="seconds"),
        "participants": {
            "categories": categories,
            "registered": sum(c["registered"] for c in categories),
            "checked_in": sum(c["checked_in"] for c in categories),
            "capacity": event.capacity,
        },
        "invitations": inv,
        "survey": prose.survey_figures(event),
        "opinions": opinion_counts,
        "callbacks": opinion_figures.event_callbacks(event),
        "articles": Article.objects.filter(event=event, status=Article.Status.PUBLISHED).count(),
        "photos": photos,
    }


def shown_figures(event: Event, summary: EventSummary | None = None) -> dict[str, Any]:
    """The submitted snapshot if there is one, else the figures counted now."""
    if summary is not None and summary.status == EventSummary.Status.SUBMITTED and summary.figures:
        return summary.figures
    return figures(event)


def _num(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{suffix}"


def opinion_lines(f: Mapping[str, Any]) -> str:
    """The opinions paragraph of section 二, in words, from a figures dict."""
    o, d, cb = f["opinions"], f["opinions"].get("decisions", {}), f["callbacks"]
    if not o["received"]:
        text = "本次活动未收到意见建议。"
    else:
        text = (
            f"本次活动共收集意见建议{o['received']}条（合并重复后{o['handled']}条），"
            f"已答复{o['answered']}条，其中按期答复{o['on_time']}条；"
            f"采纳{d.get('adopted', 0)}条、部分采纳{d.get('partly', 0)}条、"
            f"解释说明{d.get('explained', 0)}条、已解决{d.get('solved', 0)}条，"
            f"采纳率{_num(o['adoption_rate'], '%')}；已完成整改{o['rectified']}条，"
            f"整改率{_num(o['rectification_rate'], '%')}；已公开办理结果{o['published']}条。"
        )
    if cb["callbacks_reached"]:
        text += (
            f"电话回访接通{cb['callbacks_reached']}人次，办理满意度{_num(cb['satisfaction'])}分、"
            f"活动满意度{_num(cb['event_satisfaction'])}分（满分5分）。"
        )
    return text


def survey_line(f: Mapping[str, Any]) -> str:
    s = f["survey"]
    if not s["responses"]:
        return "本次活动未回收调查问卷。"
    text = f"共回收调查问卷{s['responses']}份"
    if s["rated"]:
        text += (
            f"，满意度评价{s['rated']}人次，“非常满意”和“满意”占{_num(s['satisfaction_rate'], '%')}，"
            f"平均{_num(s['satisfaction_score'])}分（满分5分）"
        )
    return text + "。"


# --- The summary row ----------------------------------------------------------------------------


def summary_for(event: Event) -> EventSummary:
    """The event's summary, created as an empty draft the first time."""
    summary = EventSummary.objects.filter(event=event).first()
    if summary is not None:
        return summary
    try:
        with transaction.atomic():
            return EventSummary.objects.create(event=event)
    except IntegrityError:  # created meanwhile by a second request
        return EventSummary.objects.get(event=event)


def _clean_texts(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in TEXT_FIELDS:
        if field not in data:
            continue
        value = (data.get(field) or "").replace("\r\n", "\n").strip()
        if len(value) > TEXT_MAX:
            errors[field] = f"{FIELD_NAMES[field]}不能超过 {TEXT_MAX} 字。"
        texts[field] = value
    return texts, errors


def save_summary(actor: "User", event: Event, data: Mapping[str, Any]) -> EventSummary:
    """Keep the unit's text as a draft; what is typed is saved whatever its length."""
    texts, errors = _clean_texts(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        summary = summary_for(event)
        summary = EventSummary.objects.select_for_update().get(pk=summary.pk)
        if summary.status == EventSummary.Status.SUBMITTED:
            raise Refused("总结已报送，不能再修改；如需修改，请由单位管理员或政务公开办退回。")
        changed = [FIELD_NAMES[f] for f, v in texts.items() if getattr(summary, f) != v]
        for field, value in texts.items():
            setattr(summary, field, value)
        summary.updated_by = actor
        summary.save()
        if changed:
            record(
                "summary.saved",
                actor=actor,
                obj=summary,
                changes={"修改内容": changed},
            )
    return summary


def placeholder_problem(name: str, text: str) -> str:
    """Why a section still holding a 【请补充：…】 placeholder cannot be submitted ('' if none)."""
    left = find_placeholders(text)
    if not left:
        return ""
    shown = "、".join(dict.fromkeys(left[:3]))
    more = f"等{len(left)}处" if len(left) > 3 else ""
    return f"“{name}”中还有待补充的内容：{shown}{more}，请改成实际情况后再报送。"


def submit_problems(summary: EventSummary) -> dict[str, str]:
    """{field: message} for every required text missing or too short, and every section that
    still holds a placeholder of the drafted text."""
    problems: dict[str, str] = {}
    for field in TEXT_FIELDS:
        text = getattr(summary, field)
        value = "".join(text.split())
        name = FIELD_NAMES[field]
        minimum = REQUIRED.get(field, 0)
        if minimum and not value:
            problems[field] = f"请填写“{name}”。"
        elif placeholder := placeholder_problem(str(name), text):
            problems[field] = placeholder
        elif len(value) < minimum:
            problems[field] = f"“{name}”至少写 {minimum} 个字（现有 {len(value)} 个字）。"
    return problems


def submit_summary(
    actor: "User",
    event: Event,
    data: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> EventSummary:
    """Save the text (if given), check it, snapshot the figures and mark the summary 已报送.

    The text is committed before the checks, so a refused submission loses nothing.
    """
    if data is not None:
        save_summary(actor, event, data)
    now = now or timezone.now()
    if event.ends_at > now:
        raise Refused("活动尚未结束，结束后才能报送总结。")
    summary = summary_for(event)
    if summary.status == EventSummary.Status.SUBMITTED:
        raise Refused("总结已经报送过了。")
    problems = submit_problems(summary)
    if problems:
        missing = "；".join(problems.values())
        raise ValidationError({**problems, "__all__": f"还不能报送：{missing}"})
    with transaction.atomic():
        summary = EventSummary.objects.select_for_update().get(pk=summary.pk)
        if summary.status == EventSummary.Status.SUBMITTED:
            raise Refused("总结已经报送过了。")
        summary.figures = figures(event)
        summary.status = EventSummary.Status.SUBMITTED
        summary.submitted_at = now
        summary.submitted_by = actor
        summary.updated_by = actor
        summary.save()
        record(
            "summary.submitted",
            actor=actor,
            obj=summary,
            changes={"活动": event.title},
        )
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.status == Event.Status.HELD:
            event.status = current.status
            events.set_status(actor, event, Event.Status.SUMMARIZED)
    return summary


def reopen_summary(actor: "User", event: Event, reason: str | None) -> EventSummary:
    """Return a submitted summary to draft (with the reason); a 已总结 event goes back to 已举办."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回修改的原因。"})
    if len(reason) > 300:
        raise ValidationError({"reason": "原因不能超过 300 字。"})
    with transaction.atomic():
        summary = EventSummary.objects.select_for_update().filter(event=event).first()
        if summary is None or summary.status != EventSummary.Status.SUBMITTED:
            raise Refused("总结尚未报送，无需退回。")
        summary.status = EventSummary.Status.DRAFT
        summary.updated_by = actor
        summary.save(update_fields=["status", "updated_by", "updated_at"])
        record("summary.reopened", actor=actor, obj=summary, changes={"原因": reason})
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.status == Event.Status.SUMMARIZED:
            event.status = current.status
            events.set_status(actor, event, Event.Status.HELD)
    return summary


# --- Documents ----------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _when(event: Event) -> str:
    start, end = _local(event.starts_at), _local(event.ends_at)
    text = f"{chinese_date(start.date())}{start:%H:%M}"
    if end.date() == start.date():
        return f"{text}—{end:%H:%M}"
    return f"{text}至{chinese_date(end.date())}{end:%H:%M}"


def _paragraphs(doc: OfficialDocument, text: str | None, empty: str = "（未填写）") -> None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in lines or [empty]:
        doc.paragraph(line)


def summary_docx(event: Event) -> bytes:
    """The summary as a GB/T 9704-2012 document (the snapshot figures once submitted)."""
    summary = EventSummary.objects.filter(event=event).first() or EventSummary(event=event)
    f = shown_figures(event, summary)
    unit = event.unit
    doc = OfficialDocument()
    doc.title(f"{unit.name}关于{event.title}的总结")
    p = f["participants"]
    if summary.overview.strip():
        _paragraphs(doc, summary.overview)
    doc.heading("一、活动基本情况", 1)
    venues = "、".join(v.get("name", "") for v in event.venues if v.get("name")) or "—"
    doc.paragraph(f"活动时间：{_when(event)}。")
    doc.paragraph(f"活动地点：{venues}。")
    if event.theme:
        doc.paragraph(f"活动主题：{event.theme}。")
    if event.forms:
        doc.paragraph(f"活动形式：{'、'.join(event.forms)}。")
    if event.agenda:
        doc.paragraph("活动议程：")
        for i, item in enumerate(event.agenda, 1):
            parts = [item.get("time", ""), item.get("form", ""), item.get("place", "")]
            host = f"（{item['host']}）" if item.get("host") else ""
            doc.paragraph(f"{i}. {' '.join(x for x in parts if x)}{host}")
    inv = f["invitations"]
    intro = f"本次活动计划名额{p['capacity']}人，报名成功{p['registered']}人，实际到场签到{p['checked_in']}人"
    if inv.get("sent"):
        intro += f"；发出邀请{inv['sent']}份，受邀报名{inv['accepted']}人"
    doc.paragraph(intro + "。参加人员构成如下：")
    rows = [
        [c["name"], _num(c["quota"]), str(c["registered"]), str(c["checked_in"])]
        for c in p["categories"]
    ]
    rows.append(["合计", str(p["capacity"]), str(p["registered"]), str(p["checked_in"])])
    doc.table(["参加人类别", "计划名额", "报名人数", "签到人数"], rows, [50, 35, 35, 35])
    doc.paragraph(survey_line(f))
    doc.heading("二、意见建议办理情况", 1)
    doc.paragraph(opinion_lines(f))
    extras: list[str] = []
    if f["articles"]:
        extras.append(f"发布宣传报道{f['articles']}篇")
    if f["photos"]["total"]:
        extras.append(f"留存活动照片{f['photos']['total']}张")
    if extras:
        doc.paragraph("活动期间" + "，".join(extras) + "。")
    doc.heading("三、经验做法", 1)
    _paragraphs(doc, summary.experiences)
    doc.heading("四、存在不足及原因", 1)
    _paragraphs(doc, summary.shortcomings)
    if summary.causes.strip():
        doc.paragraph("原因分析：")
        _paragraphs(doc, summary.causes)
    doc.heading("五、下一步打算", 1)
    _paragraphs(doc, summary.next_steps)
    on = _local(summary.submitted_at).date() if summary.submitted_at else timezone.localdate()
    doc.signature(unit.name, on)
    return doc.to_bytes()
