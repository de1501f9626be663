"""Write paths for articles (宣传报道) of the special column (活动专栏). Every change is audit-logged
(actions "article.*"); only these moves are allowed:

    draft ──submit──> submitted ──approve──> published ──withdraw──> withdrawn
      ▲                 │   │                                           │
      └─────recall──────┘   └──return──> returned                      │
    returned and withdrawn articles are edited and submitted again ─────┘

A unit's admins and staff write and submit; the office admins above the unit review. Published
articles are read-only until withdrawn. State moves run on a fresh, locked row.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from openday.audit.services import record
from openday.events.models import CATEGORY_NAMES, GUEST_CATEGORIES, Event
from openday.lib.images import BadImage, check_upload
from openday.messaging.services import notify_org
from openday.orgs.access import Access
from openday.orgs.models import Org

from . import access as rules
from . import rendering
from .models import Article, ArticleImage

if TYPE_CHECKING:
    from openday.accounts.models import User

_P = ParamSpec("_P")
_R = TypeVar("_R")

S = Article.Status
K = Article.Kind
TITLE_LIMIT = 120
LEAD_LIMIT = 300
BODY_LIMIT = 20000
AUTHOR_LIMIT = 64
CAPTION_LIMIT = 120
IMAGE_MAX_MB = 5
IMAGE_LIMIT = 30
IMAGE_TYPES = {"png": ("png", "image/png"), "jpeg": ("jpg", "image/jpeg")}
WEEKDAYS = "一二三四五六日"
FIELD_LABELS = {
    "kind": "类型",
    "title": "标题",
    "lead": "导语",
    "body": "正文",
    "author_name": "署名",
    "event": "活动",
    "campaign": "年度活动",
}
NOT_EDITABLE: dict[str, str] = {
    S.SUBMITTED: "稿件正在审核，如需修改请先撤回提交。",
    S.PUBLISHED: "已发布的稿件不能直接修改，请先撤回发布。",
}


class Refused(Exception):
    """A move the rules do not allow now; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _locked(
    fn: "Callable[Concatenate[User, Article, _P], _R]",
) -> "Callable[Concatenate[User, Article, _P], _R]":
    """Run a move on a fresh, locked copy of the article inside a transaction, so that two people
    acting at once are serialized and the second sees the first's result (a second 'approve'
    is refused); the caller's instance is then refreshed."""

    @wraps(fn)
    def wrapper(actor: "User", article: Article, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transaction.atomic():
            fresh = Article.objects.select_for_update().get(pk=article.pk)
            result = fn(actor, fresh, *args, **kwargs)
        if Article.objects.filter(pk=article.pk).exists():
            article.refresh_from_db()
        # The move returned the locked copy: the caller gets its own instance, now refreshed.
        return cast(_R, article) if result is fresh else result

    return wrapper


def _log(action: str, actor: "User", article: Article, **changes: object) -> None:
    record(action, actor=actor, obj=article, changes=changes or None)


def _allow(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _editable(article: Article) -> None:
    if article.status not in Article.EDITABLE:
        raise Refused(NOT_EDITABLE.get(article.status, "当前状态的稿件不能修改。"))


# --- Images ------------------------------------------------------------------------------------


def check_image(upload: File) -> tuple[str, str, tuple[int, int]]:
    """(extension, content type, (width, height)) of an uploaded picture, or a ValidationError."""
    try:
        kind, width, height = check_upload(upload, max_mb=IMAGE_MAX_MB)
    except BadImage as exc:
        raise ValidationError({"image": str(exc)}) from exc
    return (*IMAGE_TYPES[kind], (width, height))


def _images(article: Article) -> list[ArticleImage]:
    return list(ArticleImage.objects.filter(article=article).order_by("position", "id"))


def _renumber_positions(images: Iterable[ArticleImage]) -> None:
    for n, image in enumerate(images, start=1):
        if image.position != n:
            image.position = n
            image.save(update_fields=["position"])


@_locked
def add_image(
    actor: "User", article: Article, upload: File, *, caption: str | None = ""
) -> ArticleImage:
    """A PNG or JPEG (checked by its content), at most 5 MB, added after the others."""
    _allow(rules.can_edit(Access(actor), article), "您无权修改这篇稿件。")
    _editable(article)
    ext, _type, (width, height) = check_image(upload)
    upload.seek(0)
    data = upload.read()
    images = _images(article)
    if len(images) >= IMAGE_LIMIT:
        raise ValidationError({"image": f"每篇稿件最多 {IMAGE_LIMIT} 张图片。"})
    caption = (caption or "").strip()
    if len(caption) > CAPTION_LIMIT:
        raise ValidationError({"caption": f"图片说明请不要超过{CAPTION_LIMIT}字。"})
    last = max((i.position for i in images), default=0)
    image = ArticleImage(
        article=article, caption=caption, position=last + 1, width=width, height=height
    )
    image.image.save(
        f"article-{article.pk}-{uuid.uuid4().hex[:12]}.{ext}", ContentFile(data), save=False
    )
    image.save()
    _log(
        "article.image_added",
        actor,
        article,
        图片=f"图{len(images) + 1}",
        说明=caption,
        尺寸=f"{width}×{height}",
    )
    return image


def _image_move(actor: "User", image: ArticleImage) -> tuple[Article, list[ArticleImage], int]:
    article = Article.objects.select_for_update().get(pk=image.article_id)
    _allow(rules.can_edit(Access(actor), article), "您无权修改这篇稿件。")
    _editable(article)
    images = _images(article)
    n = next((k for k, i in enumerate(images, start=1) if i.pk == image.pk), None)
    if n is None:
        raise Refused("这张图片已被删除。")
    return article, images, n


def remove_image(actor: "User", image: ArticleImage) -> Article:
    """Delete an image; "[图N]" lines in the body follow the renumbering."""
    with transaction.atomic():
        article, images, n = _image_move(actor, image)
        name = cast(str, images[n - 1].image.name)  # a stored image always has a name
        images[n - 1].delete()
        rest = images[: n - 1] + images[n:]
        _renumber_positions(rest)
        mapping = {n: None, **{m: m - 1 for m in range(n + 1, len(images) + 1)}}
        article.body = rendering.renumber(article.body, mapping)
        article.save(update_fields=["body", "updated_at"])
        _log("article.image_removed", actor, article, 图片=f"图{n}", 说明=image.caption)
        transaction.on_commit(lambda: image.image.storage.delete(name))
    return article


def move_image(actor: "User", image: ArticleImage, direction: int) -> Article:
    """Swap an image with the one before (direction -1) or after (+1); the body follows."""
    with transaction.atomic():
        article, images, n = _image_move(actor, image)
        m = n + (-1 if direction < 0 else 1)
        if not 1 <= m <= len(images):
            return article
        images[n - 1], images[m - 1] = images[m - 1], images[n - 1]
        for k, item in enumerate(images, start=1):
            item.position = k
            item.save(update_fields=["position"])
        article.body = rendering.renumber(article.body, {n: m, m: n})
        article.save(update_fields=["body", "updated_at"])
        _log("article.image_moved", actor, article, 图片=f"图{n} → 图{m}")
    return article


def set_caption(actor: "User", image: ArticleImage, caption: str | None) -> ArticleImage:
    caption = (caption or "").strip()
    if len(caption) > CAPTION_LIMIT:
        raise ValidationError({"caption": f"图片说明请不要超过{CAPTION_LIMIT}字。"})
    with transaction.atomic():
        article, images, n = _image_move(actor, image)
        current = images[n - 1]
        if current.caption != caption:
            _log(
                "article.image_updated",
                actor,
                article,
                说明=[current.caption, caption],
                图片=f"图{n}",
            )
            current.caption = caption
            current.save(update_fields=["caption"])
    return current


# --- Writing -----------------------------------------------------------------------------------


def check_fields(unit: Org, fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate and normalize the text fields; returns (cleaned, errors)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, limit, message in (
        ("title", TITLE_LIMIT, "标题"),
        ("lead", LEAD_LIMIT, "导语"),
        ("author_name", AUTHOR_LIMIT, "署名"),
        ("body", BODY_LIMIT, "正文"),
    ):
        if name not in fields:
            continue
        value = (fields[name] or "").strip()
        value = value.replace("\r\n", "\n") if name == "body" else " ".join(value.split())
        if len(value) > limit:
            errors[name] = f"{message}请不要超过{limit}字（现有{len(value)}字）。"
        out[name] = value
    if "title" in out and not out["title"]:
        errors["title"] = "请填写标题。"
    if "kind" in fields:
        if fields["kind"] not in K.values:
            errors["kind"] = "请选择稿件类型。"
        out["kind"] = fields["kind"]
    event = fields.get("event")
    if "event" in fields:
        if event is not None and not event.unit.path.startswith(unit.path):
            errors["event"] = "只能为本单位（或下属部门）举办的活动撰写稿件。"
        out["event"] = event
    if "campaign" in fields or event is not None:
        campaign = fields.get("campaign")
        if event is not None and event.campaign_id:
            campaign = event.campaign
        if campaign is not None and not unit.path.startswith(campaign.office.path):
            errors["campaign"] = "该年度活动不属于本单位所在的政务公开办。"
        out["campaign"] = campaign
    return out, errors


def create_article(actor: "User", unit: Org, *, generated: bool = False, **fields: Any) -> Article:
    """A new draft in unit's name (the office's own notices: unit = the office)."""
    _allow(rules.can_write_for(Access(actor), unit), "您无权以该单位名义撰写稿件。")
    fields.setdefault("kind", K.NEWS)
    fields.setdefault("title", "")
    cleaned, errors = check_fields(unit, fields)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        article = Article.objects.create(
            unit=unit, created_by=actor, generated=generated, status=S.DRAFT, **cleaned
        )
        _log(
            "article.generated" if generated else "article.created",
            actor,
            article,
            类型=article.get_kind_display(),
            标题=article.title,
        )
    return article


def _shown(value: object) -> object:
    if hasattr(value, "pk"):
        return str(value)
    return value


@_locked
def update_article(actor: "User", article: Article, **fields: Any) -> Article:
    _allow(rules.can_edit(Access(actor), article), "您无权修改这篇稿件。")
    _editable(article)
    unknown = set(fields) - set(FIELD_LABELS)
    if unknown:
        raise TypeError(f"unknown fields: {unknown}")
    cleaned, errors = check_fields(article.unit, fields)
    if errors:
        raise ValidationError(errors)
    changes: dict[str, list[object]] = {}
    for name, value in cleaned.items():
        old = getattr(article, name)
        if old != value:
            label = FIELD_LABELS[name]
            # The body can be long: the audit keeps its length, the article keeps the text.
            changes[label] = (
                [f"{len(old or '')}字", f"{len(value)}字"]
                if name == "body"
                else [_shown(old), _shown(value)]
            )
            setattr(article, name, value)
    if changes:
        article.save()
        _log("article.updated", actor, article, **changes)
    return article


@_locked
def delete_article(actor: "User", article: Article) -> None:
    """A draft that was never published goes away; a published one can only be withdrawn."""
    _allow(rules.can_edit(Access(actor), article), "您无权删除这篇稿件。")
    if article.published_at is not None or article.status not in (S.DRAFT, S.RETURNED):
        raise Refused("提交审核中或发布过的稿件不能删除，只能撤回（保留记录）。")
    names = [cast(str, i.image.name) for i in _images(article)]  # stored images have names
    _log("article.deleted", actor, article, 标题=article.title)
    storage = ArticleImage._meta.get_field("image").storage
    article.delete()

    def delete_files() -> None:
        for n in names:
            storage.delete(n)

    transaction.on_commit(delete_files)
    return None


# --- Review ------------------------------------------------------------------------------------


def body_problems(article: Article, images: Sequence[ArticleImage] | None = None) -> dict[str, str]:
    """What stops an article from going to review, as {field: message}."""
    errors: dict[str, str] = {}
    if not article.title.strip():
        errors["title"] = "请填写标题。"
    if not rendering.plain_text(article.body).strip():
        errors["body"] = "请填写正文后再提交。"
    count = len(images if images is not None else _images(article))
    missing = [n for n in rendering.referenced(article.body) if n > count]
    if missing:
        names = "、".join(f"[图{n}]" for n in missing)
        errors["body"] = (
            f"正文中的{names}没有对应的图片（现有 {count} 张），请上传图片或删除这一行。"
        )
    return errors


def _office_of(org: Org) -> Org | None:
    from openday.opinions.services import office_of

    return office_of(org)


def _link(article: Article) -> str:
    return f"/staff/articles/{article.pk}/"


@_locked
def submit_article(actor: "User", article: Article) -> Article:
    _allow(rules.can_write_for(Access(actor), article.unit), "您无权提交这篇稿件。")
    if article.status not in Article.EDITABLE:
        raise Refused("稿件已提交审核或已发布，无需重复提交。")
    errors = body_problems(article)
    if errors:
        raise ValidationError(errors)
    article.status, article.submitted_at, article.review_note = S.SUBMITTED, timezone.now(), ""
    article.save()
    _log("article.submitted", actor, article)
    office = _office_of(article.unit)
    if office is not None:
        notify_org(
            office,
            "有新的宣传稿件待审核",
            f"{article.unit.display_name}：{article.title}",
            link=_link(article),
        )
    return article


@_locked
def recall_article(actor: "User", article: Article) -> Article:
    """The writer takes a submitted article back to change it (undo of submit)."""
    _allow(rules.can_write_for(Access(actor), article.unit), "您无权撤回这篇稿件。")
    if article.status != S.SUBMITTED:
        raise Refused("只有待审核的稿件可以撤回提交。")
    article.status = S.DRAFT
    article.save()
    _log("article.recalled", actor, article)
    return article


@_locked
def approve_article(actor: "User", article: Article, *, note: str | None = "") -> Article:
    """Approve and publish to the campaign's special column."""
    _allow(rules.can_review(Access(actor), article), "只有上级政务公开办管理员可以审核发布稿件。")
    if article.status != S.SUBMITTED:
        raise Refused("只有待审核的稿件可以审核发布。")
    errors = body_problems(article)
    if errors:
        raise Refused("稿件内容不完整，不能发布：" + "；".join(errors.values()))
    now = timezone.now()
    article.status, article.review_note = S.PUBLISHED, (note or "").strip()
    article.reviewed_by, article.reviewed_at, article.published_at = actor, now, now
    article.save()
    _log("article.approved", actor, article, 审核意见=article.review_note)
    notify_org(article.unit, "宣传稿件已审核发布", article.title, link=_link(article))
    return article


@_locked
def return_article(actor: "User", article: Article, *, note: str | None) -> Article:
    _allow(rules.can_review(Access(actor), article), "只有上级政务公开办管理员可以审核稿件。")
    if article.status != S.SUBMITTED:
        raise Refused("只有待审核的稿件可以退回。")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "退回修改时请写明审核意见。"})
    article.status, article.review_note = S.RETURNED, note
    article.reviewed_by, article.reviewed_at = actor, timezone.now()
    article.save()
    _log("article.returned", actor, article, 审核意见=note)
    notify_org(article.unit, "宣传稿件被退回修改", f"{article.title}：{note}", link=_link(article))
    return article


@_locked
def withdraw_article(actor: "User", article: Article, *, reason: str | None) -> Article:
    """Take a published article out of the column; it can be corrected and submitted again."""
    _allow(rules.can_withdraw(Access(actor), article), "您无权撤回这篇稿件。")
    if article.status != S.PUBLISHED:
        raise Refused("只有已发布的稿件可以撤回发布。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤回原因。"})
    article.status, article.review_note = S.WITHDRAWN, f"撤回原因：{reason}"
    article.save()
    _log("article.withdrawn", actor, article, 原因=reason)
    notify_org(
        article.unit, "宣传稿件已撤回发布", f"{article.title}：{reason}", link=_link(article)
    )
    return article


# --- Drafts generated from the event's data ----------------------------------------------------


def _day(dt: datetime) -> str:
    d = timezone.localtime(dt)
    return f"{d.year}年{d.month}月{d.day}日"


def _when(event: Event) -> str:
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    text = f"{_day(start)}（星期{WEEKDAYS[start.weekday()]}）{start:%H:%M}—"
    if end.date() != start.date():
        text += f"{_day(end)} "
    return text + f"{end:%H:%M}"


def _venues(event: Event) -> list[str]:
    return [
        f"{v.get('name', '')}（{v['address']}）" if v.get("address") else v.get("name", "")
        for v in event.venues or []
        if v.get("name")
    ]


def _agenda(event: Event) -> list[str]:
    lines: list[str] = []
    for a in event.agenda or []:
        what = a.get("form") or a.get("title") or ""
        line = f"{a.get('time', '')} {what}".strip()
        if a.get("place"):
            line += f"：{a['place']}"
        if a.get("host"):
            line += f"（{a['host']}）"
        if line:
            lines.append(line)
    return lines


def _category_order(code: str) -> int:
    codes = [c for c, _ in GUEST_CATEGORIES]
    return codes.index(code) if code in codes else len(codes)


def _invited(event: Event) -> list[tuple[str, int]]:
    quotas = sorted(event.quotas.all(), key=lambda q: _category_order(q.category))
    return [(CATEGORY_NAMES.get(q.category, q.category), q.seats) for q in quotas]


def existing_generated(event: Event, kind: str) -> Article | None:
    return (
        Article.objects.filter(event=event, kind=kind, generated=True, status=S.DRAFT)
        .order_by("-created_at")
        .first()
    )


def event_url(event: Event, base_url: str = "") -> str:
    return f"{base_url.rstrip('/')}/events/{event.pk}/"


REGISTRATION_TEXT: dict[str, str] = {
    Event.Mode.OPEN: "公开报名，名额有限，报满为止（报满后可登记候补）。",
    Event.Mode.APPROVAL: "网上报名，经主办单位审核后确认，审核结果以短信通知。",
    Event.Mode.INVITATION: "本次活动仅限受邀人员参加，受邀人员请按邀请短信或邀请函中的链接报名。",
}


def announcement_text(event: Event, base_url: str = "") -> tuple[str, str, str]:
    """(title, lead, body) of the 活动预告, from the event's own data."""
    unit = event.unit
    title = f"活动预告｜{event.title}"[:TITLE_LIMIT]
    lead = f"{unit.name}将于{_day(event.starts_at)}举办{event.title}，欢迎社会各界报名参加。"
    first = f"为进一步推进政务公开，{unit.name}将于{_day(event.starts_at)}举办{event.title}"
    first += f"，主题为“{event.theme}”。" if event.theme else "。"
    if event.summary:
        first += event.summary.strip()
    parts = [first]
    n = 0

    def section(heading: str, lines: list[str]) -> None:
        nonlocal n
        if lines:
            n += 1
            parts.append("\n".join([f"{'一二三四五六七八九十'[n - 1]}、{heading}", *lines]))

    section("活动时间", [_when(event)])
    section("活动地点", _venues(event))
    if event.forms:
        section("活动形式", ["、".join(event.forms)])
    section("活动安排", _agenda(event))
    invited = _invited(event)
    if invited:
        section(
            "邀请对象",
            [
                "、".join(name for name, _ in invited) + f"，共{event.capacity}名。",
                "其中" + "、".join(f"{name}{seats}名" for name, seats in invited) + "。",
            ],
        )
    how = [REGISTRATION_TEXT.get(event.registration_mode, "")]
    if event.registration_opens_at or event.registration_closes_at:
        span = "报名时间："
        if event.registration_opens_at:
            span += f"{_day(event.registration_opens_at)}{timezone.localtime(event.registration_opens_at):%H:%M}起"
        if event.registration_closes_at:
            span += f"，{_day(event.registration_closes_at)}{timezone.localtime(event.registration_closes_at):%H:%M}截止"
        how.append(span.replace("：，", "：") + "。")
    if event.registration_mode != Event.Mode.INVITATION:
        how.append(f"报名网址：{event_url(event, base_url)}（也可扫描活动海报上的二维码报名）")
    section("报名方式", [h for h in how if h])
    section(
        "意见建议",
        [
            "对主办单位的工作有意见建议，可以在活动现场提出，也可以在活动页面在线提交，"
            "办理和整改结果将在活动专栏公开。"
        ],
    )
    if unit.contact_phone:
        section("联系方式", [f"{unit.contact_name or unit.name}：{unit.contact_phone}"])
    return title, lead[:LEAD_LIMIT], "\n\n".join(parts)


def event_figures(event: Event) -> dict[str, Any]:
    """The figures a news draft reports: check-ins by guest category, opinions by status."""
    from openday.events.services import counters
    from openday.opinions import figures
    from openday.opinions.models import Opinion
    from openday.surveys.models import Response

    rows = sorted(counters(event), key=lambda r: _category_order(r["category"]))
    opinions = Opinion.objects.filter(event=event)
    by_status = dict(opinions.order_by().values_list("status").annotate(n=Count("id")))
    statuses = [
        (label, by_status[code]) for code, label in Opinion.Status.choices if by_status.get(code)
    ]
    return {
        "categories": [(r["name"], r["registered"], r["arrived"]) for r in rows],
        "registered": sum(r["registered"] for r in rows),
        "arrived": sum(r["arrived"] for r in rows),
        "opinions": figures.counts(opinions),
        "opinion_statuses": statuses,
        "survey_responses": Response.objects.filter(survey__event=event).count(),
    }


def news_text(event: Event, base_url: str = "") -> tuple[str, str, str]:
    """(title, lead, body) of a news draft after the event, with the real figures."""
    unit, f = event.unit, event_figures(event)
    day = _day(event.starts_at)
    title = f"{event.title}成功举办"[:TITLE_LIMIT]
    came = [name for name, _reg, arrived in f["categories"] if arrived]
    lead = f"{day}，{unit.name}举办{event.title}"
    lead += f"，{f['arrived']}名{'、'.join(came)}等代表参加活动。" if f["arrived"] else "。"
    first = f"{day}，{unit.name}举办{event.title}。"
    if event.theme:
        first += f"活动以“{event.theme}”为主题"
        first += f"，采取{'、'.join(event.forms)}等形式" if event.forms else ""
        first += "，"
    venues = [v.get("name", "") for v in event.venues or [] if v.get("name")]
    if venues:
        first += f"邀请群众代表走进{'、'.join(venues)}，近距离了解政府工作。"
    parts = [first.replace("，。", "。")]
    if f["arrived"]:
        detail = "、".join(
            f"{name}{arrived}名" for name, _reg, arrived in f["categories"] if arrived
        )
        parts.append(
            f"本次活动共有{f['arrived']}人签到参加（报名{f['registered']}人），其中{detail}。"
        )
    else:
        parts.append("（签到数据尚未录入，请补充参加活动的人数和类别。）")
    agenda = _agenda(event)
    if agenda:
        parts.append("\n".join(["活动按以下安排进行：", *agenda]))
    names = [d.get("name", "") for d in event.directory or [] if d.get("name")]
    if names:
        parts.append(
            f"活动中，工作人员向参加人员介绍了{'、'.join(names)}的主要职能、办事程序和重点工作。"
        )
    o = f["opinions"]
    if o["received"]:
        text = f"座谈交流环节，参加人员踊跃发言。活动共收集意见建议{o['received']}条"
        text += "（" + "、".join(f"{label}{n}条" for label, n in f["opinion_statuses"]) + "）"
        text += f"，目前已答复{o['answered']}条"
        text += f"，其中采纳或部分采纳{o['adopted']}条。" if o["answered"] else "。"
        if f["survey_responses"]:
            text += f"活动还发放了满意度调查问卷，回收{f['survey_responses']}份。"
        parts.append(text)
    else:
        parts.append("（本次活动尚未录入意见建议，请补充座谈交流的情况。）")
    parts.append(
        f"下一步，{unit.name}将对收集到的意见建议逐条研究、限时办理，办理和整改结果将在活动专栏公开，"
        "并对提出意见建议的群众进行电话回访。"
    )
    return title, lead[:LEAD_LIMIT], "\n\n".join(parts)


def _generate(event: Event, actor: "User", kind: str, text: tuple[str, str, str]) -> Article:
    _allow(rules.can_write_for(Access(actor), event.unit), "您无权为该活动撰写稿件。")
    existing = existing_generated(event, kind)
    if existing is not None:
        return existing
    title, lead, body = text
    return create_article(
        actor,
        event.unit,
        generated=True,
        kind=kind,
        title=title,
        lead=lead,
        body=body,
        event=event,
    )


def generate_announcement(event: Event, actor: "User", *, base_url: str = "") -> Article:
    """A draft 活动预告 from the event's data: time, venues, agenda, who is invited, how to
    register. A generated draft still in 草稿 is returned instead (a double click makes one)."""
    return _generate(event, actor, K.ANNOUNCEMENT, announcement_text(event, base_url))


def generate_news_draft(event: Event, actor: "User", *, base_url: str = "") -> Article:
    """A draft report after the event: who came by category, what was shown, opinions received
    and their count by status. An existing generated draft is returned instead."""
    return _generate(event, actor, K.NEWS, news_text(event, base_url))
