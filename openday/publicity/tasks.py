# mypy: disallow-untyped-defs, check-untyped-defs
"""One-click publishing to an office's WeChat official account (微信公众号): the write paths the
staff pages call (set the account, test it, ask for a publication) and the worker task that does
the work, so that no request waits on WeChat.

A publication moves queued ──> uploading ──> submitted ──> published, or to failed with the
reason in Chinese. Each run of the task claims the row (claimed_until), does what is left, and
records every result WeChat gave (cover media_id, image URLs, draft media_id, publish_id) before
the next call, so a run that is cut short or retried never uploads, drafts or submits twice.
A passing failure (timeout, WeChat busy) is tried again later with a growing delay, up to
MAX_ATTEMPTS; publishing is polled until WeChat says published or failed, up to MAX_POLLS. A
publication that ends failed also fails its task, so it shows on the operators' status page.
"""

import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from openday.audit.services import diff, record
from openday.lib.images import image_info, rgb_png
from openday.orgs.access import Access
from openday.orgs.models import Org

from . import access as rules
from . import wechat_mp
from .bulletin import public_url
from .models import WECHAT_API, Article, ArticleImage, WeChatAccount, WeChatPublication
from .services import Refused
from .wechat_mp import WeChatClient, WeChatError

if TYPE_CHECKING:
    from openday.accounts.models import User

log = logging.getLogger("openday.wechat")

P = WeChatPublication.State
MAX_ATTEMPTS = 5
# Seconds before the next try after a passing failure (the last one repeats).
RETRY_SECONDS: Sequence[int] = (30, 60, 120, 300, 600)
# Seconds between polls of a submitted publication (the last one repeats).
POLL_SECONDS: Sequence[int] = (5, 10, 20, 30, 60)
MAX_POLLS = 90  # about an hour and a half
LEASE = timedelta(minutes=5)
APP_ID_RE = re.compile(r"wx[0-9a-zA-Z]{14,30}", re.ASCII)
AUTHOR_LIMIT = 16
ACCOUNT_KEYS = {
    "app_id": "开发者ID（AppID）",
    "author_name": "作者署名",
    "enabled": "启用一键发布",
    "base_url": "接口地址",
}
NOT_PUBLISHED = "只有已审核发布的稿件可以发布到微信公众号。"
NO_ACCOUNT = "本稿件所属的政务公开办尚未设置或未启用微信公众号，请先在“公众号设置”中填写并启用。"


class PublishFailed(Exception):
    """Raised by the task when a publication ended failed: the task is then recorded as failed
    and counted on the operators' status page (/staff/status/)."""


# --- The account -------------------------------------------------------------------------------


def account_of(office: Org | None) -> WeChatAccount | None:
    if office is None:
        return None
    return WeChatAccount.objects.filter(office=office).select_related("office").first()


def account_for(article: Article) -> WeChatAccount | None:
    return account_of(rules.office_of_article(article))


def _account_facts(account: WeChatAccount) -> dict[str, Any]:
    return {key: getattr(account, key) for key in ACCOUNT_KEYS}


def save_account(
    actor: "User",
    office: Org,
    *,
    app_id: str,
    secret: str = "",
    author_name: str = "",
    enabled: bool = False,
    base_url: str = WECHAT_API,
) -> WeChatAccount:
    """Create or change an office's account. An empty secret keeps the saved one. Only an
    operator may change the API address (the worker calls it with the secret: pointing it at
    another server would hand that server the secret). Audit-logged without the secret (only
    that it was changed)."""
    access = Access(actor)
    if not rules.can_configure_wechat(access, office):
        raise PermissionDenied("只有本政务公开办的管理员和运维人员可以设置微信公众号。")
    if not access.is_operator:
        current = account_of(office)
        base_url = current.base_url if current is not None else WECHAT_API
    app_id, secret = (app_id or "").strip(), (secret or "").strip()
    author_name, base_url = (author_name or "").strip(), (base_url or "").strip() or WECHAT_API
    errors: dict[str, str] = {}
    if app_id and not APP_ID_RE.fullmatch(app_id):
        errors["app_id"] = "开发者ID（AppID）应以 wx 开头，由字母和数字组成，请从公众号后台复制。"
    if secret and not re.fullmatch(r"[0-9A-Za-z]{16,64}", secret, re.ASCII):
        errors["secret"] = "开发者密码（AppSecret）应由字母和数字组成，请从公众号后台复制。"
    if len(author_name) > AUTHOR_LIMIT:
        errors["author_name"] = f"作者署名不超过 {AUTHOR_LIMIT} 个字（微信的限制）。"
    if not re.fullmatch(r"https?://[^\s/?#]+/?", base_url, re.ASCII):
        errors["base_url"] = "接口地址应为 https://api.weixin.qq.com 这样的地址（不含路径）。"
    with transaction.atomic():
        account = WeChatAccount.objects.select_for_update().filter(office=office).first()
        created = account is None
        if account is None:
            account = WeChatAccount(office=office)
        if enabled and not (app_id and (secret or account.has_secret)):
            errors["enabled"] = "启用前请填写开发者ID（AppID）和开发者密码（AppSecret）。"
        if errors:
            raise ValidationError(errors)
        before = {} if created else _account_facts(account)
        old_app_id, old_base = account.app_id, account.base_url
        account.app_id, account.author_name = app_id, author_name
        account.enabled, account.base_url = enabled, base_url.rstrip("/")
        changed_secret = bool(secret) and secret != account.secret
        if changed_secret:
            account.secret = secret
        if changed_secret or account.app_id != old_app_id or account.base_url != old_base:
            account.tested_at, account.test_ok, account.test_message = None, None, ""
        account.save()
        after = _account_facts(account)
        changes: dict[str, Any] = diff(before, after)
        if changed_secret:
            # Only that it changed: the secret itself is never written to the log.
            changes["开发者密码（AppSecret）"] = "已设置" if created else "已更换"
        if changes or created:
            record(
                "wechat_account.created" if created else "wechat_account.changed",
                actor=actor,
                obj=account,
                changes=changes,
            )
    if not created and (changed_secret or old_app_id != account.app_id):
        wechat_mp.forget_token(old_app_id, old_base)
    return account


def check_account(actor: "User", account: WeChatAccount) -> tuple[bool, str]:
    """测试连接: fetch a token with the saved AppID and AppSecret; (ok, what to tell the office)."""
    if not rules.can_configure_wechat(Access(actor), account.office):
        raise PermissionDenied("只有本政务公开办的管理员和运维人员可以设置微信公众号。")
    try:
        WeChatClient.for_account(account).check()
    except WeChatError as exc:
        ok, message = False, exc.reason
    else:
        ok, message = True, "连接成功：已用开发者ID和开发者密码取得接口调用凭证。"
    account.tested_at, account.test_ok, account.test_message = timezone.now(), ok, message[:300]
    account.save(update_fields=["tested_at", "test_ok", "test_message", "updated_at"])
    record(
        "wechat_account.tested",
        actor=actor,
        obj=account,
        changes={"结果": "成功" if ok else "失败", "说明": message},
    )
    return ok, message


# --- Asking for a publication -----------------------------------------------------------------


def latest_publication(article: Article) -> WeChatPublication | None:
    return article.wechat_publications.order_by("-created_at", "-id").first()


def publish_problems(article: Article) -> list[str]:
    """What WeChat would refuse in any case, said before queueing (the office can fix it)."""
    problems = []
    for n, image in enumerate(article.images.order_by("position", "id"), start=1):
        try:
            size = image.image.size
        except (OSError, ValueError):
            problems.append(f"图{n} 的文件已不存在，请撤回发布后重新上传。")
            continue
        if size > wechat_mp.BODY_IMAGE_MAX_BYTES:
            problems.append(
                f"图{n} 大于 1MB，微信正文图片不能超过 1MB：请撤回发布，换一张较小的图片后重新提交。"
            )
    return problems


def request_publication(
    actor: "User", article: Article, *, site_url: str = ""
) -> tuple[WeChatPublication, bool]:
    """Queue the article for the office's official account: (publication, created). A second
    request while one is queued or under way returns that one (created False)."""
    if not rules.can_publish_wechat(Access(actor), article):
        raise PermissionDenied("只有本稿件所属政务公开办的管理员可以发布到微信公众号。")
    account = account_for(article)
    with transaction.atomic():
        # Serialize two clicks (two people, or one double click) on this article.
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.status != Article.Status.PUBLISHED:
            raise Refused(NOT_PUBLISHED)
        existing = locked.wechat_publications.filter(state__in=WeChatPublication.ACTIVE).first()
        if existing is not None:
            return existing, False
        if account is None or not account.ready:
            raise Refused(NO_ACCOUNT)
        if locked.wechat_publications.filter(state=P.PUBLISHED).exists():
            raise Refused("本文已发布到微信公众号，不再重复发布。")
        problems = publish_problems(locked)
        if problems:
            raise Refused("；".join(problems))
        try:
            with transaction.atomic():
                publication = WeChatPublication.objects.create(
                    article=locked, account=account, requested_by=actor, site_url=site_url[:200]
                )
        except IntegrityError:  # another request made one between our check and our insert
            other = locked.wechat_publications.filter(state__in=WeChatPublication.ACTIVE).first()
            if other is None:
                raise
            return other, False
        record(
            "article.wechat_requested",
            actor=actor,
            obj=locked,
            changes={"公众号": account.office.name},
        )
        publication_id = publication.pk
        transaction.on_commit(lambda: _enqueue(publication_id))
    return publication, True


def _enqueue(publication_id: int, seconds: int = 0) -> None:
    if seconds > 0:
        when = timezone.now() + timedelta(seconds=seconds)
        publish_to_wechat.using(run_after=when).enqueue(publication_id)
    else:
        publish_to_wechat.enqueue(publication_id)


def _delay(delays: Sequence[int], n: int) -> int:
    return delays[min(max(n, 0), len(delays) - 1)] if delays else 0


# --- The worker's part ------------------------------------------------------------------------


def _claim(publication_id: int) -> WeChatPublication | None:
    now = timezone.now()
    claimed = (
        WeChatPublication.objects.filter(pk=publication_id, state__in=WeChatPublication.ACTIVE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )
    if not claimed:
        return None
    return WeChatPublication.objects.select_related(
        "article", "article__unit", "article__campaign", "account", "account__office"
    ).get(pk=publication_id)


def _save(publication: WeChatPublication, *fields: str) -> None:
    publication.save(update_fields=[*fields, "updated_at"])


def _fail(publication: WeChatPublication, reason: str, code: int | None = None) -> None:
    now = timezone.now()
    publication.state, publication.error, publication.error_code = P.FAILED, reason[:500], code
    publication.finished_at, publication.next_try_at, publication.claimed_until = now, None, None
    _save(
        publication, "state", "error", "error_code", "finished_at", "next_try_at", "claimed_until"
    )
    log.error(
        "wechat publication %s of article %s failed (code %s): %s",
        publication.pk,
        publication.article_id,
        code,
        reason,
    )


def _read(image: ArticleImage) -> bytes:
    with image.image.open("rb") as handle:
        return handle.read()


def _kind(data: bytes) -> tuple[str, str]:
    """(file extension, content type) of a PNG or JPEG."""
    info = image_info(data)
    if info is None:
        raise WeChatError("图片不是 JPG 或 PNG 格式，微信不接受。")
    return ("png", "image/png") if info[0] == "png" else ("jpg", "image/jpeg")


def banner_png(width: int = 900, height: int = 383) -> bytes:
    """A plain cover (WeChat's 2.35:1) for an article with no picture and a campaign with no logo:
    the product's red fading to gold."""
    top, bottom = (179, 38, 30), (244, 180, 0)
    line = bytearray()
    for x in range(width):
        t = x / max(width - 1, 1)
        line += bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
    return rgb_png(width, height, [bytes(line)] * height)


def cover_image(article: Article, images: Sequence[ArticleImage]) -> tuple[bytes, str, str]:
    """(data, file name, content type) of the cover: the first picture, else the campaign's
    logo, else a plain banner."""
    if images:
        data = _read(images[0])
        ext, content_type = _kind(data)
        return data, f"cover.{ext}", content_type
    campaign = article.campaign
    if campaign is not None and campaign.logo:
        try:
            with campaign.logo.open("rb") as handle:
                data = handle.read()
            ext, content_type = _kind(data)
            return data, f"cover.{ext}", content_type
        except (OSError, ValueError, WeChatError):
            log.warning("campaign %s logo unusable as a WeChat cover", campaign.pk)
    return banner_png(), "cover.png", "image/png"


def _draft(
    publication: WeChatPublication, thumb: str, urls: dict[int, str]
) -> wechat_mp.DraftArticle:
    article, account = publication.article, publication.account
    author = (account.author_name or article.author_name or "")[:AUTHOR_LIMIT]
    return {
        "title": article.title,
        "author": author,
        "digest": wechat_mp.digest_of(article),
        "content": wechat_mp.draft_content(article, urls, base_url=publication.site_url),
        "content_source_url": public_url(article, publication.site_url),
        "thumb_media_id": thumb,
        "need_open_comment": 0,
        "only_fans_can_comment": 0,
    }


def _upload_and_submit(publication: WeChatPublication, client: WeChatClient) -> None:
    if publication.state == P.QUEUED:
        publication.state = P.UPLOADING
        _save(publication, "state")
    article = publication.article
    images = list(article.images.order_by("position", "id"))
    if not publication.thumb_media_id:
        data, name, content_type = cover_image(article, images)
        publication.thumb_media_id = client.add_image_material(data, name, content_type)
        _save(publication, "thumb_media_id")
    urls: dict[int, str] = {int(k): v for k, v in (publication.image_urls or {}).items()}
    for n, image in enumerate(images, start=1):
        if image.pk in urls:
            continue
        try:
            data = _read(image)
        except (OSError, ValueError):
            raise WeChatError(f"图{n} 的文件已不存在，请撤回发布后重新上传。") from None
        ext, content_type = _kind(data)
        urls[image.pk] = client.upload_content_image(data, f"image{n:02d}.{ext}", content_type)
        publication.image_urls = {str(k): v for k, v in urls.items()}
        _save(publication, "image_urls")
    if not publication.draft_media_id:
        publication.draft_media_id = client.add_draft(
            _draft(publication, publication.thumb_media_id, urls)
        )
        _save(publication, "draft_media_id")
    # A submit that timed out may have gone through: WeChat then has the publish task and we do
    # not; the office sees the article in the account's 发表记录 either way.
    publication.publish_id = client.submit(publication.draft_media_id)
    publication.state, publication.submitted_at = P.SUBMITTED, timezone.now()
    publication.attempts, publication.polls, publication.error = 0, 0, ""
    _save(publication, "publish_id", "state", "submitted_at", "attempts", "polls", "error")
    log.info("wechat publication %s submitted as %s", publication.pk, publication.publish_id)


def _poll(publication: WeChatPublication, client: WeChatClient) -> int | None:
    """Ask WeChat how publishing went; seconds until the next poll, or None when done."""
    status = client.publish_status(publication.publish_id)
    if status.status == 0:
        now = timezone.now()
        publication.state, publication.article_url = P.PUBLISHED, status.article_url[:500]
        publication.finished_at, publication.error, publication.error_code = now, "", None
        _save(publication, "state", "article_url", "finished_at", "error", "error_code")
        log.info("wechat publication %s published: %s", publication.pk, status.article_url)
        return None
    if status.done:
        _fail(publication, status.failure)
        return None
    publication.polls, publication.error = publication.polls + 1, ""
    if publication.polls >= MAX_POLLS:
        _fail(
            publication,
            "微信长时间没有给出发布结果：请登录公众号后台“发表记录”查看本文是否已发表。",
        )
        return None
    _save(publication, "polls", "error")
    return _delay(POLL_SECONDS, publication.polls)


def run_publication(publication_id: int) -> WeChatPublication | None:
    """One run of the task: do what is left of the publication, schedule the next run if there is
    one. None when there was nothing to do (finished, or another worker holds it)."""
    publication = _claim(publication_id)
    if publication is None:
        return None
    client = WeChatClient.for_account(publication.account)
    again: int | None = None
    try:
        if publication.state in (P.QUEUED, P.UPLOADING):
            _upload_and_submit(publication, client)
            again = _delay(POLL_SECONDS, 0)
        else:
            again = _poll(publication, client)
    except WeChatError as exc:
        if exc.retryable and publication.attempts + 1 < MAX_ATTEMPTS:
            again = _delay(RETRY_SECONDS, publication.attempts)
            publication.attempts += 1
            publication.error, publication.error_code = exc.reason[:500], exc.code
            publication.next_try_at = timezone.now() + timedelta(seconds=again)
            _save(publication, "attempts", "error", "error_code", "next_try_at")
            log.warning(
                "wechat publication %s: try %s failed (%s); again in %s s",
                publication.pk,
                publication.attempts,
                exc.code,
                again,
            )
        else:
            _fail(publication, exc.reason, exc.code)
            again = None
    except Exception:
        log.exception("wechat publication %s: unexpected error", publication.pk)
        _fail(publication, "发布时出现程序错误，请联系运维人员查看后台日志。")
        again = None
    finally:
        WeChatPublication.objects.filter(pk=publication.pk).update(claimed_until=None)
    if again is not None and publication.state in WeChatPublication.ACTIVE:
        if publication.state == P.SUBMITTED and not publication.error:
            publication.next_try_at = timezone.now() + timedelta(seconds=again)
            _save(publication, "next_try_at")
        _enqueue(publication.pk, again)
    return publication


@task()
def publish_to_wechat(publication_id: int) -> dict[str, Any] | None:
    """Move a WeChat publication on (idempotent: a finished or claimed one is left alone)."""
    publication = run_publication(publication_id)
    if publication is None:
        return None
    if publication.state == P.FAILED:
        raise PublishFailed(
            f"微信公众号发布失败（稿件 {publication.article_id}）：{publication.error}"
        )
    return {"publication": publication.pk, "state": publication.state}


# --- What the article page shows --------------------------------------------------------------


def panel(access: Access, article: Article) -> dict[str, Any]:
    """The article page's 微信公众号 part: the latest publication, and which button to offer."""
    office = rules.office_of_article(article)
    account = account_of(office)
    latest = latest_publication(article)
    may_publish = office is not None and rules.can_configure_wechat(access, office)
    offer = ""
    if (
        may_publish
        and account is not None
        and account.ready
        and article.status == Article.Status.PUBLISHED
    ):
        if latest is None:
            offer = "publish"
        elif latest.state == P.FAILED:
            offer = "retry"
    return {
        "shown": latest is not None or (account is not None and account.ready) or may_publish,
        "office": office,
        "account": account,
        "latest": latest,
        "offer": offer,
        "configure": may_publish,
    }
