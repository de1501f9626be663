"""Write paths for articles (宣传报道) of the special column (活动专栏). Every change is audit-logged
(actions "article.*"); only these moves are allowed:

    draft ──submit──> submitted ──approve──> published ──withdraw──> withdrawn
      ▲                 │   │                                           │
      └─────recall──────┘   └──return──> returned                      │
    returned and withdrawn articles are edited and submitted again ─────┘

A unit's admins and staff write and submit; the office admins above the unit review. Published
articles are read-only until withdrawn. State moves run on a fresh, locked row.
"""

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from openday.audit.services import record
from openday.events.models import CATEGORY_NAMES, GUEST_CATEGORIES, Event
from openday.lib.images import BadImage, check_upload
from openday.lib.placeholders import find_placeholders
from openday.messaging.services import notify_org
from openday.orgs.access import Access
from openday.orgs.models import Org

from . import access as rules
from . import prose, rendering
from .models import Article, ArticleImage

if TYPE_CHECKING:
    from openday.accounts.models import User

logger = logging.getLogger(__name__)

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


def placeholder_reason(article: Article) -> str:
    """Where the article still holds a placeholder of a generated draft, e.g.
    "正文中的【请补充：座谈交流中群众的发言】"; '' when it holds none."""
    parts: list[str] = []
    for name in ("title", "lead", "body"):
        left = find_placeholders(getattr(article, name))
        if left:
            shown = "、".join(dict.fromkeys(left[:3]))
            more = f"等{len(left)}处" if len(left) > 3 else ""
            parts.append(f"{FIELD_LABELS[name]}中的{shown}{more}")
    return "；".join(parts)


def _refuse_placeholders(article: Article, then: str) -> None:
    reason = placeholder_reason(article)
    if reason:
        raise Refused(f"稿件中还有待补充的内容：{reason}。请改成实际情况后再{then}。")


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
    _refuse_placeholders(article, "提交")
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
    _refuse_placeholders(article, "发布（可退回单位修改）")
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
# The wording habits (the unit named once, lists, no sentence twice) are in prose.py, shared with
# the event summary's draft. A draft says what only a person knows with a placeholder
# (openday.lib.placeholders), which submit and approve refuse; the news draft writes a neutral
# sentence where a figure is missing, so a generated draft can go to review as it is.

PHOTO_LIMIT = 3
# Photos tried at most, so a long row of broken files cannot hold the draft up.
PHOTO_TRIES = 10
PURPOSE = "为深入推进政务公开，拓宽群众知情、参与、监督的渠道"


def _when(event: Event) -> str:
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    text = f"{prose.day(start)}（星期{WEEKDAYS[start.weekday()]}）{start:%H:%M}—"
    if end.date() != start.date():
        text += f"{prose.day(end)} "
    return text + f"{end:%H:%M}"


def _venues(event: Event) -> list[str]:
    return [
        f"{v.get('name', '')}（{v['address']}）" if v.get("address") else v.get("name", "")
        for v in event.venues or []
        if v.get("name")
    ]


def _venue_names(event: Event) -> list[str]:
    return [v.get("name", "") for v in event.venues or [] if v.get("name")]


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


def agenda_steps(event: Event) -> list[str]:
    """The agenda as steps of a sentence: "现场观摩（项目现场）", "座谈交流"."""
    steps: list[str] = []
    for a in event.agenda or []:
        what = (a.get("form") or a.get("title") or "").strip()
        if not what:
            continue
        step = f"{what}（{a['place']}）" if a.get("place") else what
        if step not in steps:
            steps.append(step)
    return steps


def forms_phrase(forms: list[str]) -> str:
    """ "采取现场观摩、座谈交流相结合的形式" (one form: "采取现场观摩的形式")."""
    forms = [f for f in forms if f]
    if not forms:
        return ""
    if len(forms) == 1:
        return f"采取{forms[0]}的形式"
    return f"采取{prose.join_list(forms)}相结合的形式"


def theme_clause(event: Event, subject: str) -> str:
    """ "此次活动以“…”为主题，采取…相结合的形式" from what the event has ('' when neither)."""
    parts = [f"{subject}以“{event.theme}”为主题"] if event.theme else []
    forms = forms_phrase(event.forms or [])
    if forms:
        parts.append(forms if parts else f"{subject}{forms}")
    return "，".join(parts)


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
    held = prose.holds(unit, event.title, when=prose.day(event.starts_at), future=True)
    lead = f"{held}，欢迎社会各界报名参加。"
    open_to = (
        "邀请社会各界代表参加"
        if event.registration_mode == Event.Mode.INVITATION
        else "面向社会各界开放"
    )
    first = f"{PURPOSE}，{theme_clause(event, '本次活动') or '本次活动'}，{open_to}。"
    first = first.replace("本次活动，", "本次活动")
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
            span += f"{prose.day(event.registration_opens_at)}{timezone.localtime(event.registration_opens_at):%H:%M}起"
        if event.registration_closes_at:
            span += f"，{prose.day(event.registration_closes_at)}{timezone.localtime(event.registration_closes_at):%H:%M}截止"
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
    body = "\n\n".join(prose.no_repeats(parts, prose.said(lead)))
    return title, lead[:LEAD_LIMIT], body


def event_figures(event: Event) -> dict[str, Any]:
    """The figures a news draft reports: check-ins by guest category, opinions, the survey."""
    from openday.events.services import counters
    from openday.opinions import figures

    rows = sorted(counters(event), key=lambda r: _category_order(r["category"]))
    return {
        "categories": [(r["name"], r["registered"], r["arrived"]) for r in rows],
        "registered": sum(r["registered"] for r in rows),
        "arrived": sum(r["arrived"] for r in rows),
        "opinions": figures.counts(event.opinions.all()),
        "survey": prose.survey_figures(event),
    }


def _news_lead(event: Event, f: Mapping[str, Any], held: str) -> str:
    came = [name for name, _reg, arrived in f["categories"] if arrived]
    venues = _venue_names(event)
    lead = f"{prose.day(event.starts_at)}，{held}"
    if f["arrived"]:
        lead += f"，{prose.who(came)}共{f['arrived']}人"
        lead += f"走进{prose.join_and(venues)}" if venues else "参加活动"
    elif venues:
        lead += f"，邀请社会各界代表走进{prose.join_and(venues)}"
    lead += f"，近距离了解“{event.theme}”相关工作。" if event.theme else "，近距离了解政府工作。"
    return lead


def _news_people(event: Event, f: Mapping[str, Any]) -> str:
    invited = [name for name, _seats in _invited(event)]
    if f["arrived"]:
        detail = "、".join(
            f"{name}{arrived}名" for name, _reg, arrived in f["categories"] if arrived
        )
        text = f"活动邀请{prose.join_and(prose.people(invited))}参加，" if invited else ""
        return text + f"实际签到{f['arrived']}人，其中{detail}。"
    if invited:
        return f"活动邀请{prose.join_and(prose.people(invited))}参加。"
    return ""


def _news_opinions(event: Event, f: Mapping[str, Any]) -> str:
    o = f["opinions"]
    forum = "座谈交流" in (event.forms or []) or any(
        a.get("form") == "座谈交流" for a in event.agenda or []
    )
    if not o["received"]:
        return "座谈交流环节，参加人员与相关负责同志面对面交流。" if forum else ""
    text = "座谈交流环节，参加人员踊跃发言、建言献策。" if forum else ""
    text += f"活动共收集意见建议{o['received']}条。"
    if o["answered"]:
        text += f"截至目前，已答复{o['answered']}条，其中采纳（含部分采纳）{o['adopted']}条"
        text += "，其余正在办理。" if o["handled"] > o["answered"] else "。"
    elif o["assigned"] and o["assigned"] >= o["handled"]:
        text += "收集到的意见建议已逐条交办，正在研究办理。"
    elif o["assigned"]:
        text += f"其中{o['assigned']}条已交办责任单位，正在研究办理。"
    else:
        text += "收集到的意见建议将逐条登记、交办。"
    return text


def _news_survey(f: Mapping[str, Any]) -> str:
    s = f["survey"]
    if not s["responses"]:
        return ""
    text = f"活动开展了问卷调查，回收问卷{s['responses']}份"
    if s["rated"]:
        text += f"，对活动表示“非常满意”和“满意”的占{prose.percent(s['satisfaction_rate'])}"
    return text + "。"


def news_text(event: Event, base_url: str = "") -> tuple[str, str, str]:
    """(title, lead, body) of a news draft after the event, in the register of 政务信息: who
    (the unit, once), when, where, who came by category, what they saw, the opinions and the
    satisfaction, the next steps. A missing figure leaves its sentence out; no sentence twice."""
    unit, f = event.unit, event_figures(event)
    held = prose.holds(unit, event.title)
    title = held[:TITLE_LIMIT]
    lead = _news_lead(event, f, held)
    start = timezone.localtime(event.starts_at)
    clause = theme_clause(event, "此次活动")
    first = f"{PURPOSE}，{clause}。" if clause else ""
    venues = _venues(event)
    first += f"活动于{start:%H:%M}开始，在{prose.join_and(venues)}举行。" if venues else ""
    parts = [first, _news_people(event, f)]
    steps = agenda_steps(event)
    visit = f"活动依次安排了{prose.join_list(steps)}等环节。" if len(steps) > 1 else ""
    names = [d.get("name", "") for d in event.directory or [] if d.get("name")]
    if names:
        visit += f"工作人员向参加人员介绍了{prose.join_and(names)}的主要职能、办事程序和重点工作。"
    parts += [visit, _news_opinions(event, f), _news_survey(f)]
    later = prose.short_name(unit)
    if f["opinions"]["received"]:
        parts.append(
            f"下一步，{later}将对收集到的意见建议逐条研究、限时办理，办理和整改结果在活动专栏公开，"
            "并对提出意见建议的群众进行电话回访。"
        )
    else:
        parts.append(
            f"下一步，{later}将认真总结此次活动的经验做法，持续深化政务公开，"
            "让群众更好地了解、参与和监督政府工作。"
        )
    body = "\n\n".join(prose.no_repeats([p for p in parts if p], prose.said(lead)))
    return title, lead[:LEAD_LIMIT], body


def _event_photos(event: Event) -> list[Any]:
    # EventPhoto lives in openday.summaries, which publicity does not import (tests/test_layers):
    # the photos are read through the event's relation. LOGO first, then by upload time.
    photos = event.photos.filter(public=True).order_by("-shows_logo", "uploaded_at", "id")
    return list(photos[:PHOTO_TRIES])


def _attach_photos(actor: "User", article: Article, event: Event) -> int:
    """Copy up to PHOTO_LIMIT public photos of the event into the article through add_image (so
    its checks apply); a photo that cannot be read or is refused is logged and skipped."""
    attached = 0
    for photo in _event_photos(event):
        if attached >= PHOTO_LIMIT:
            break
        try:
            with photo.image.open("rb") as handle:
                data = handle.read()
            name = os.path.basename(photo.image.name or "") or "photo"
            caption = (photo.caption or "").strip()[:CAPTION_LIMIT]
            add_image(actor, article, ContentFile(data, name=name), caption=caption)
        except (OSError, ValueError, ValidationError, Refused) as exc:
            logger.warning("news draft %s: event photo %s skipped: %s", article.pk, photo.pk, exc)
            continue
        attached += 1
    return attached


def place_images(body: str, count: int) -> str:
    """The body with "[图1]" after its first paragraph and the other images before its last."""
    if count <= 0:
        return body
    paragraphs = body.split("\n\n")
    rest = [f"[图{n}]" for n in range(2, count + 1)]
    if len(paragraphs) < 3:
        return "\n\n".join([paragraphs[0], "[图1]", *paragraphs[1:], *rest])
    return "\n\n".join([paragraphs[0], "[图1]", *paragraphs[1:-1], *rest, paragraphs[-1]])


def _generate(event: Event, actor: "User", kind: str, text: tuple[str, str, str]) -> Article:
    _allow(rules.can_write_for(Access(actor), event.unit), "您无权为该活动撰写稿件。")
    existing = existing_generated(event, kind)
    if existing is not None:
        return existing
    title, lead, body = text
    article = create_article(
        actor,
        event.unit,
        generated=True,
        kind=kind,
        title=title,
        lead=lead,
        body=body,
        event=event,
    )
    if kind == K.NEWS:
        attached = _attach_photos(actor, article, event)
        if attached:
            # Part of generating the draft (the images are audited one by one above).
            article.body = place_images(article.body, attached)
            article.save(update_fields=["body", "updated_at"])
    return article


def generate_announcement(event: Event, actor: "User", *, base_url: str = "") -> Article:
    """A draft 活动预告 from the event's data: time, venues, agenda, who is invited, how to
    register. A generated draft still in 草稿 is returned instead (a double click makes one)."""
    return _generate(event, actor, K.ANNOUNCEMENT, announcement_text(event, base_url))


def generate_news_draft(event: Event, actor: "User", *, base_url: str = "") -> Article:
    """A draft report after the event: who came by category, what was shown, the opinions and
    the satisfaction, with up to three of the event's public photos (LOGO first). An existing
    generated draft is returned instead."""
    return _generate(event, actor, K.NEWS, news_text(event, base_url))
