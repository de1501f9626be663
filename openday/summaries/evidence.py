"""An event's evidence (活动佐证材料): the checklist of what it must keep, and the zip bundles
the office downloads, one per event or one per unit and campaign.

Checklist decisions (also in docs/summary.md):
- plan_entry: an event made from a plan entry (计划安排表) is ok; a standalone event (a town's own
  open day, not in a campaign plan) is legitimate and also ok, with the detail "非计划活动".
- opinions: ok when no opinion of the event is still open (待交办, 办理中, 退回修改); an event that
  received no opinions is ok too ("未收到意见建议") — there is nothing left to answer.
- every other item needs at least one row: a checked-in registration, a photo and a photo with the
  logo visible, a survey response, a published article, a submitted summary.

A bundle holds the summary's .docx (services.summary_docx), so this module comes after services,
which never imports it; the campaign's figures workbook (workbook.py) uses both.
"""

import io
import os
import re
import shutil
import tempfile
import zipfile

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from openday.audit.services import record
from openday.campaigns.models import PlanEntry
from openday.events.documents import HEADERS, signin_xlsx
from openday.events.models import Event, Registration
from openday.lib.export_text import append_row, safe_cell
from openday.lib.masking import mask_name, mask_phone
from openday.opinions.models import Opinion
from openday.publicity.models import Article
from openday.surveys.exports import responses_xlsx, summary_docx
from openday.surveys.models import Response

from .models import EventPhoto, EventSummary
from .services import summary_docx as event_summary_docx

KEYS = ["plan_entry", "signin", "photos", "survey", "opinions", "articles", "summary"]
LABELS = {
    "plan_entry": "计划安排",
    "signin": "签到表",
    "photos": "活动照片（含可见LOGO照片）",
    "survey": "问卷结果",
    "opinions": "意见建议及办理结果",
    "articles": "宣传报道",
    "summary": "活动总结",
}


def _count(qs, filt=None):
    """A correlated COUNT subquery over qs (already filtered by event=OuterRef("pk"))."""
    qs = qs.filter(filt) if filt is not None else qs
    sub = qs.order_by().values("event").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


FACT_FIELDS = [
    "pk",
    "plan_entry_id",
    "plan_entry__theme",
    "plan_entry__month",
    "n_checked_in",
    "n_photos",
    "n_logo",
    "n_responses",
    "n_opinions",
    "n_open",
    "n_articles",
    "has_summary",
]


def _facts(event_ids):
    """Every count the checklists of these events need, in one query: {event id: facts}."""
    me = OuterRef("pk")
    rows = (
        Event.objects.filter(pk__in=event_ids)
        .annotate(
            n_checked_in=_count(
                Registration.objects.filter(event=me), Q(checked_in_at__isnull=False)
            ),
            n_photos=_count(EventPhoto.objects.filter(event=me)),
            n_logo=_count(EventPhoto.objects.filter(event=me), Q(shows_logo=True)),
            n_responses=Coalesce(
                Subquery(
                    Response.objects.filter(survey__event=me)
                    .order_by()
                    .values("survey__event")
                    .annotate(n=Count("id"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            n_opinions=_count(Opinion.objects.filter(event=me)),
            n_open=_count(Opinion.objects.filter(event=me), Q(status__in=Opinion.OPEN_STATUSES)),
            n_articles=_count(Article.objects.filter(event=me), Q(status=Article.Status.PUBLISHED)),
            has_summary=Exists(
                EventSummary.objects.filter(event=me, status=EventSummary.Status.SUBMITTED)
            ),
        )
        .order_by()
        .values(*FACT_FIELDS)
    )
    return {row["pk"]: row for row in rows}


def _item(key, ok, detail):
    return {"key": key, "label": LABELS[key], "ok": bool(ok), "detail": detail}


def checklist(event) -> list[dict]:
    """What the event's evidence holds and lacks: [{key, label, ok, detail}] in KEYS order."""
    return _items(_facts([event.pk])[event.pk])


def checklists(events) -> dict:
    """{event id: checklist} for many events (or event ids), in one query."""
    ids = [getattr(e, "pk", e) for e in events]
    return {pk: _items(f) for pk, f in _facts(ids).items()}


def _items(f):
    if f["plan_entry_id"]:
        plan = _item(
            "plan_entry",
            True,
            f"已列入计划安排表：{f['plan_entry__month']}月 {f['plan_entry__theme']}",
        )
    else:
        plan = _item("plan_entry", True, "非计划活动")
    if not f["n_photos"]:
        photos = _item("photos", False, "尚未上传活动照片")
    elif not f["n_logo"]:
        photos = _item("photos", False, f"已上传 {f['n_photos']} 张，但没有标记“可见LOGO”的照片")
    else:
        photos = _item("photos", True, f"已上传 {f['n_photos']} 张，其中可见LOGO {f['n_logo']} 张")
    if not f["n_opinions"]:
        opinions = _item("opinions", True, "未收到意见建议")
    elif f["n_open"]:
        opinions = _item("opinions", False, f"共 {f['n_opinions']} 条，尚有 {f['n_open']} 条未答复")
    else:
        opinions = _item("opinions", True, f"共 {f['n_opinions']} 条，均已答复")
    return [
        plan,
        _item(
            "signin",
            f["n_checked_in"],
            f"已签到 {f['n_checked_in']} 人" if f["n_checked_in"] else "尚无签到记录",
        ),
        photos,
        _item(
            "survey",
            f["n_responses"],
            f"已回收问卷 {f['n_responses']} 份" if f["n_responses"] else "尚无问卷答卷",
        ),
        opinions,
        _item(
            "articles",
            f["n_articles"],
            f"已发布 {f['n_articles']} 篇" if f["n_articles"] else "尚无已发布的宣传报道",
        ),
        _item("summary", f["has_summary"], "已报送" if f["has_summary"] else "活动总结尚未报送"),
    ]


def is_complete(event) -> bool:
    return all(item["ok"] for item in checklist(event))


# --- The zip bundles ----------------------------------------------------------------------------

MARK = {True: "✓", False: "✗"}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\u3000]+')
OPINION_HEADERS = [
    "查询码",
    "收到时间",
    "来源",
    "意见内容",
    "公开摘要",
    "姓名",
    "手机号",
    "参加人类别",
    "主题领域",
    "责任单位",
    "办理期限",
    "状态",
    "采纳情况",
    "答复",
    "答复时间",
    "整改措施",
    "整改完成",
    "结果公开时间",
]


def safe_name(text, limit=50):
    """A file or folder name from free text: no path separators or characters Windows refuses."""
    text = _UNSAFE.sub("_", (text or "").strip()).strip(" ._")
    return text[:limit] or "未命名"


def _local(moment, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(moment).strftime(fmt) if moment else ""


def _event_info(event):
    start = timezone.localtime(event.starts_at)
    venues = "、".join(v.get("name", "") for v in event.venues if v.get("name"))
    return [
        f"活动：{event.title}",
        f"单位：{event.unit.name}",
        f"时间：{start.year}年{start.month}月{start.day}日 {start:%H:%M}",
        f"地点：{venues or '—'}",
        f"状态：{event.get_status_display()}",
    ]


def _plan_text(entry):
    lines = [
        "计划安排表（本活动对应的一行）",
        "",
        f"年度活动：{entry.campaign.title}",
        f"单位：{entry.unit.name}",
        f"活动主题：{entry.theme}",
        f"主题领域：{entry.topic_area or '—'}",
        f"活动时间（月份）：{entry.month}月",
        f"所在周：{entry.week:%Y-%m-%d} 起",
        f"活动形式：{entry.forms_label or '—'}",
        f"活动简介：{entry.intro or '—'}",
        f"联系人：{mask_name(entry.contact_name) or '—'}",
        f"联系电话：{mask_phone(entry.contact_phone) or '—'}",
    ]
    return "\n".join(lines) + "\n"


def _signin_sheet(event):
    """The sign-in sheet of events.documents with the names masked (the bundle leaves the unit)."""
    wb = load_workbook(io.BytesIO(signin_xlsx(event)))
    ws = wb.active
    column = HEADERS.index("姓名") + 1
    for row in ws.iter_rows(min_row=4, min_col=column, max_col=column):
        for cell in row:
            if cell.value:
                # Mask the name itself, not the apostrophe safe_cell put before a formula.
                cell.value = safe_cell(mask_name(str(cell.value).removeprefix("'")))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _opinion_sheet(opinions):
    """Every opinion of the event with its answer and rectification; names and phones masked."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("意见建议及办理结果")
    append_row(ws, OPINION_HEADERS)
    for o in opinions:
        steps = list(o.steps.all())
        append_row(
            ws,
            [
                o.tracking_code,
                _local(o.received_at),
                o.get_source_display(),
                o.content,
                o.summary,
                o.masked_name,
                o.masked_phone,
                o.get_category_display(),
                o.topic_area,
                o.unit.name if o.unit else "",
                o.due_date.isoformat() if o.due_date else "",
                o.get_status_display(),
                o.get_decision_display(),
                o.answer,
                _local(o.answered_at),
                "；".join(s.description for s in steps),
                "；".join(s.done_date.isoformat() if s.done_date else "未完成" for s in steps),
                _local(o.published_at),
            ],
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_IMAGE_LINE = re.compile(r"^\[图(\d+)\]$")
ARTICLE_CSS = (
    "body{font-family:'Microsoft YaHei','PingFang SC',sans-serif;max-width:46em;margin:2em auto;"
    "padding:0 1em;line-height:1.8;color:#222}h1{font-size:1.6em;line-height:1.4}"
    ".meta{color:#666}.lead{font-weight:bold}figure{margin:1.5em 0;text-align:center}"
    "img{max-width:100%}figcaption{color:#666;font-size:.9em}p{text-indent:2em}"
)


def article_html(article, image_names):
    """A self-contained page of the article; image_names[i] is the file of its (i+1)th image."""
    images = list(article.images.all())
    placed = set()

    def figure(index):
        placed.add(index)
        caption = images[index].caption
        cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
        return f'<figure><img src="{escape(image_names[index])}" alt="{escape(caption)}">{cap}</figure>'

    parts = []
    for block in re.split(r"\n\s*\n", article.body.replace("\r\n", "\n")):
        block = block.strip()
        if not block:
            continue
        match = _IMAGE_LINE.match(block)
        if (
            match
            and 0 < int(match.group(1)) <= len(images)
            and image_names[int(match.group(1)) - 1]
        ):
            parts.append(figure(int(match.group(1)) - 1))
        else:
            parts.append("<p>" + "<br>".join(escape(x) for x in block.split("\n")) + "</p>")
    parts += [figure(i) for i in range(len(images)) if i not in placed and image_names[i]]
    when = _local(article.published_at, "%Y年%m月%d日") if article.published_at else ""
    meta = " ".join(x for x in [article.unit.name, when, article.author_name] if x)
    lead = f'<p class="lead">{escape(article.lead)}</p>' if article.lead else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(article.title)}</title><style>{ARTICLE_CSS}</style></head><body>"
        f'<article><h1>{escape(article.title)}</h1><p class="meta">{escape(meta)}</p>{lead}'
        + "".join(parts)
        + "</article></body></html>\n"
    )


def _copy_file(zf, field, arcname):
    """Copy a stored file into the zip in chunks; False if the file is gone from storage."""
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError, OSError):
        return False
    with handle, zf.open(arcname, "w") as out:
        shutil.copyfileobj(handle, out, 1024 * 1024)
    return True


def _ext(name, default=".jpg"):
    ext = os.path.splitext(name or "")[1].lower()
    return ext if ext in (".png", ".jpg", ".jpeg", ".gif", ".webp") else default


def _write_event(zf, event, prefix=""):
    """Write one event's evidence under prefix; returns (checklist, [file names], [problems])."""
    items = checklist(event)
    names, problems = [], []

    def put(name, data):
        zf.writestr(prefix + name, data)
        names.append(name)

    if event.plan_entry_id:
        entry = PlanEntry.objects.select_related("campaign", "unit").get(pk=event.plan_entry_id)
        put("01_计划安排.txt", _plan_text(entry))
    if event.registrations.filter(status="confirmed").exists():
        put("02_签到表.xlsx", _signin_sheet(event))
    photos = list(EventPhoto.objects.filter(event=event))
    for i, photo in enumerate(photos, 1):
        logo = "_可见LOGO" if photo.shows_logo else ""
        name = f"03_活动照片/{i:02d}_{safe_name(photo.caption or '活动照片', 30)}{logo}{_ext(photo.image.name)}"
        if _copy_file(zf, photo.image, prefix + name):
            names.append(name)
        else:
            problems.append(f"照片“{photo.caption or photo.pk}”的文件已丢失")
    surveys = [s for s in event.surveys.all() if s.responses.exists()]
    for n, survey in enumerate(surveys, 1):
        suffix = "" if len(surveys) == 1 else f"_{n}_{safe_name(survey.title, 30)}"
        put(f"04_问卷结果{suffix}.docx", summary_docx(survey))
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            responses_xlsx(survey, tmp)
            tmp.flush()
            zf.write(tmp.name, prefix + f"04_问卷答卷{suffix}.xlsx")
        names.append(f"04_问卷答卷{suffix}.xlsx")
    opinions = (
        Opinion.objects.filter(event=event)
        .select_related("unit")
        .prefetch_related("steps")
        .order_by("received_at", "id")
    )
    if opinions.exists():
        put("05_意见建议及办理结果.xlsx", _opinion_sheet(opinions))
    articles = (
        Article.objects.filter(event=event, status=Article.Status.PUBLISHED)
        .select_related("unit")
        .prefetch_related("images")
        .order_by("published_at", "id")
    )
    for n, article in enumerate(articles, 1):
        stem = f"06_宣传报道/{n:02d}_{safe_name(article.title, 40)}"
        image_names = []
        for k, image in enumerate(article.images.all(), 1):
            rel = f"{n:02d}_图片/{k:02d}{_ext(image.image.name)}"
            if _copy_file(zf, image.image, prefix + "06_宣传报道/" + rel):
                names.append("06_宣传报道/" + rel)
                image_names.append(rel)
            else:
                image_names.append("")
                problems.append(f"报道“{article.title}”的第{k}张图片文件已丢失")
        put(stem + ".html", article_html(article, image_names))
    summary = EventSummary.objects.filter(event=event).first()
    if summary is not None:
        draft = summary.status != EventSummary.Status.SUBMITTED
        put("07_活动总结（草稿）.docx" if draft else "07_活动总结.docx", event_summary_docx(event))
    put("00_材料清单.txt", _manifest(event, items, names, problems))
    return items, names, problems


def _manifest(event, items, names, problems):
    lines = [*_event_info(event), f"生成时间：{_local(timezone.now())}", "", "一、材料清单"]
    lines += [f"{MARK[i['ok']]} {i['label']}：{i['detail']}" for i in items]
    missing = [i["label"] for i in items if not i["ok"]]
    lines += ["", "二、尚缺材料", "、".join(missing) if missing else "无，材料齐全。"]
    lines += ["", "三、本压缩包中的文件", *sorted(set(names) | {"00_材料清单.txt"})]
    if problems:
        lines += ["", "四、需要注意", *problems]
    return "\n".join(lines) + "\n"


def _spooled():
    return tempfile.TemporaryFile(suffix=".zip")


def event_zip(event):
    """The event's evidence as a zip in a temporary file, rewound; the caller closes it."""
    tmp = _spooled()
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            _write_event(zf, event)
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    return tmp


def unit_events(unit, campaign):
    """The unit's events (its departments' too) of a campaign, or standalone ones if None."""
    events = Event.objects.filter(unit__path__startswith=unit.path).select_related("unit")
    events = (
        events.filter(campaign=campaign) if campaign is not None else events.filter(campaign=None)
    )
    return events.exclude(status=Event.Status.DRAFT).order_by("starts_at", "id")


def event_folder(event):
    return f"{timezone.localtime(event.starts_at):%Y%m%d}_{safe_name(event.title, 40)}_{event.pk}/"


def unit_zip(unit, campaign):
    """One folder per event of the unit in the campaign, and an overall list; a temporary file."""
    tmp = _spooled()
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            lines = [
                f"单位：{unit.name}",
                f"年度活动：{campaign.title if campaign else '未关联年度活动的活动'}",
                f"生成时间：{_local(timezone.now())}",
                "",
            ]
            events = list(unit_events(unit, campaign))
            for event in events:
                folder = event_folder(event)
                items, _names, _problems = _write_event(zf, event, prefix=folder)
                missing = [i["label"] for i in items if not i["ok"]]
                state = "材料齐全" if not missing else "尚缺：" + "、".join(missing)
                lines.append(f"{folder.rstrip('/')}　{state}")
            if not events:
                lines.append("该单位在此年度活动中没有已发布的活动。")
            zf.writestr("00_材料清单汇总.txt", "\n".join(lines) + "\n")
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    return tmp


def record_download(actor, *, event=None, unit=None, campaign=None):
    """Audit one download of an evidence bundle."""
    if event is not None:
        record(
            "evidence.downloaded",
            actor=actor,
            obj=event,
            changes={"范围": "单个活动", "活动": event.title},
        )
    else:
        record(
            "evidence.downloaded",
            actor=actor,
            obj=unit,
            changes={
                "范围": "单位",
                "单位": unit.name,
                "年度活动": campaign.title if campaign else "未关联年度活动",
            },
        )
