# mypy: disallow-untyped-defs, check-untyped-defs
"""A client for the WeChat official account API (微信公众平台), the calls one-click publishing needs:
the access token (stable_token), a permanent image for the cover (material/add_material), images
for the body (media/uploadimg), a draft (draft/add), publishing it (freepublish/submit) and the
result (freepublish/get). openday.publicity.tasks drives it; openday.publicity.fake_wechat
stands in for WeChat in the tests.

WeChat answers HTTP 200 with {"errcode": n, "errmsg": "..."} when something is wrong; every
failure here becomes a WeChatError carrying a reason in Chinese for the office and whether trying
again later may help. The access token lives in the shared Django cache, one per account, so
every worker and app node reuses it until shortly before it expires; stable_token (not
/cgi-bin/token) is used because fetching it again does not invalidate the copy others hold. The
AppSecret travels only in a POST body, never in a URL, and nothing here logs a body or a URL.
"""

import hashlib
import json
import logging
import re
import socket
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache

from .models import WECHAT_API

if TYPE_CHECKING:
    from .models import Article, WeChatAccount

log = logging.getLogger("openday.wechat")

TIMEOUT_SECONDS = 20.0
# Refresh the token this long before WeChat says it expires (a call in flight must not carry a
# token that dies on the way).
TOKEN_MARGIN_SECONDS = 300
# WeChat's limits for an image in the body (uploadimg) and for a permanent image (the cover).
BODY_IMAGE_MAX_BYTES = 1024 * 1024
COVER_MAX_BYTES = 10 * 1024 * 1024
DIGEST_LIMIT = 120

UNREACHABLE = (
    "无法连接微信服务器：请确认本系统所在服务器可以访问外网地址 api.weixin.qq.com（HTTPS，443 端口），"
    "稍后会自动重试。"
)
TIMED_OUT = "连接微信服务器超时，稍后会自动重试。"
TOKEN_INVALID = {40001, 40014, 42001}
# Errors that may pass by themselves: worth trying again after a while.
RETRYABLE = {-1, 45011, 45015}

# The common return codes (全局返回码 and those of the publishing calls), as the office reads them.
REASONS: dict[int, str] = {
    -1: "微信服务器繁忙，稍后会自动重试。",
    40001: "接口调用凭证无效：请检查开发者密码（AppSecret）是否正确，或是否已在公众号后台重置。",
    40002: "凭证类型不正确。",
    40004: "图片格式不受支持：请使用 JPG 或 PNG 图片。",
    40005: "图片格式不受支持：请使用 JPG 或 PNG 图片。",
    40006: "图片文件大小不符合微信的要求。",
    40007: "素材编号（media_id）无效：请重试；仍失败请联系运维人员。",
    40009: "图片过大：正文图片不超过 1MB，封面图片不超过 10MB。",
    40013: "开发者ID（AppID）无效：请核对公众号后台“设置与开发 → 基本配置”中的开发者ID。",
    40014: "接口调用凭证无效。",
    40113: "图片格式不受支持：请使用 JPG 或 PNG 图片。",
    40125: "开发者密码（AppSecret）无效：请核对，或在公众号后台重置开发者密码后重新填写。",
    40164: (
        "本系统服务器的 IP 地址不在公众号的 IP 白名单中：请在公众号后台“设置与开发 → 基本配置 → "
        "IP白名单”中添加服务器的出口 IP 地址（可向运维人员索取）。"
    ),
    41001: "缺少接口调用凭证。",
    42001: "接口调用凭证已过期。",
    44003: "图文内容为空。",
    45001: "图片文件超过微信的大小限制。",
    45002: "正文超过微信的长度限制（2 万字以内、1MB 以内）。",
    45003: "标题超过微信的长度限制（64 个字以内）。",
    45004: "摘要（导语）超过微信的长度限制（120 个字以内）。",
    45009: "公众号今日的接口调用次数已达上限：请明天再试，或在公众号后台“设置与开发 → 基本配置”中清零调用次数。",
    45011: "接口调用太频繁，稍后会自动重试。",
    45015: "接口调用太频繁，稍后会自动重试。",
    45166: "正文含有微信不允许的内容（如不支持的标签或链接）：请修改正文后重试。",
    47001: "提交给微信的数据格式不正确：请联系运维人员。",
    48001: (
        "公众号没有此接口的权限：一键发布（发布能力 freepublish）需要已完成微信认证（已认证）的公众号，"
        "请在公众号后台“设置与开发 → 接口权限”中查看。未认证的公众号请继续使用“下载公众号图文包”手工发布。"
    ),
    48004: "公众号的接口已被封禁：请登录公众号后台查看原因。",
    50002: "公众号受限（可能已被冻结或注销）：请登录公众号后台查看。",
    53503: "草稿未通过微信的发布检查：请检查标题、正文和图片（如敏感词、外部链接），修改后重试。",
    53504: "该草稿需要在公众号后台（公众平台官网）手动发表。",
    53505: "请先在公众号后台（公众平台官网）手动保存该草稿，再发表。",
}

# freepublish/get publish_status, other than 0 (published) and 1 (publishing).
PUBLISH_FAILURES: dict[int, str] = {
    2: "原创声明未通过，微信未发布本文。",
    3: "微信发布失败（常规失败）：请登录公众号后台“发表记录”查看原因后重试。",
    4: "未通过微信平台审核，微信未发布本文：请检查内容后修改重试。",
    5: "文章发布后已被删除。",
    6: "文章发布后已被微信系统封禁。",
}


class WeChatError(Exception):
    """A call that did not work: reason in Chinese for the pages, code WeChat's errcode (None for a
    network failure), retryable when trying again later may help."""

    def __init__(self, reason: str, *, code: int | None = None, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable


def reason_for(code: int, errmsg: str = "") -> str:
    if code in REASONS:
        return REASONS[code]
    # errmsg carries WeChat's own hint and a request id (rid) that its support staff ask for.
    return f"微信返回错误（错误码 {code}）：{errmsg[:200]}".rstrip("：")


def error_for(code: int, errmsg: str = "") -> WeChatError:
    return WeChatError(reason_for(code, errmsg), code=code, retryable=code in RETRYABLE)


class DraftArticle(TypedDict):
    title: str
    author: str
    digest: str
    content: str
    content_source_url: str
    thumb_media_id: str
    need_open_comment: int
    only_fans_can_comment: int


@dataclass(frozen=True)
class PublishStatus:
    status: int
    article_url: str = ""
    fail_idx: list[int] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status != 1

    @property
    def failure(self) -> str:
        if self.status in (0, 1):
            return ""
        return PUBLISH_FAILURES.get(self.status, f"微信发布失败（状态 {self.status}）。")


def token_cache_key(app_id: str, base_url: str) -> str:
    where = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return f"openday:wechat:token:{app_id}:{where}"


def forget_token(app_id: str, base_url: str) -> None:
    cache.delete(token_cache_key(app_id, base_url))


class WeChatClient:
    """One official account's calls. Create one per job; the token is shared through the cache."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        base_url: str = WECHAT_API,
        *,
        timeout: float | None = None,
    ):
        self.app_id = app_id
        self._secret = secret
        self.base_url = (base_url or WECHAT_API).rstrip("/")
        self.timeout = timeout or TIMEOUT_SECONDS

    @classmethod
    def for_account(cls, account: "WeChatAccount", **kwargs: Any) -> "WeChatClient":
        return cls(account.app_id, account.secret, account.base_url, **kwargs)

    def __repr__(self) -> str:  # never the secret
        return f"<WeChatClient {self.app_id} {urlsplit(self.base_url).netloc}>"

    # --- the token -------------------------------------------------------------------------

    @property
    def _cache_key(self) -> str:
        return token_cache_key(self.app_id, self.base_url)

    def token(self, *, fresh: bool = False, force_refresh: bool = False) -> str:
        """The access token: from the cache unless fresh; force_refresh makes WeChat issue a new
        one (after it said ours is invalid or expired)."""
        if not (fresh or force_refresh):
            cached = cache.get(self._cache_key)
            if isinstance(cached, str) and cached:
                return cached
        if not self.app_id or not self._secret:
            raise WeChatError("尚未填写开发者ID（AppID）或开发者密码（AppSecret）。")
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        answer = self._send("POST", "/cgi-bin/stable_token", json_body=body)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError("微信没有返回接口调用凭证（access_token）。", retryable=True)
        expires = _int(answer.get("expires_in"), 7200)
        keep = (
            expires - TOKEN_MARGIN_SECONDS if expires > 2 * TOKEN_MARGIN_SECONDS else expires // 2
        )
        cache.set(self._cache_key, token, max(keep, 1))
        log.info("wechat token fetched for %s (valid %s s)", self.app_id, expires)
        return token

    def check(self) -> None:
        """测试连接: fetch a token from WeChat (not the cache) with the saved AppID and AppSecret."""
        self.token(fresh=True)

    # --- the calls -------------------------------------------------------------------------

    def add_image_material(self, data: bytes, filename: str, content_type: str) -> str:
        """A permanent image (the cover): its media_id."""
        if len(data) > COVER_MAX_BYTES:
            raise WeChatError(REASONS[40009], code=40009)
        answer = self._call(
            "POST",
            "/cgi-bin/material/add_material",
            query={"type": "image"},
            file=(filename, data, content_type),
        )
        return _text(answer, "media_id")

    def upload_content_image(self, data: bytes, filename: str, content_type: str) -> str:
        """An image for the body (media/uploadimg): the URL to put in the content."""
        if len(data) > BODY_IMAGE_MAX_BYTES:
            raise WeChatError(REASONS[40009], code=40009)
        answer = self._call("POST", "/cgi-bin/media/uploadimg", file=(filename, data, content_type))
        return _text(answer, "url")

    def add_draft(self, article: DraftArticle) -> str:
        """A draft in the account's 草稿箱: its media_id."""
        answer = self._call("POST", "/cgi-bin/draft/add", json_body={"articles": [article]})
        return _text(answer, "media_id")

    def submit(self, media_id: str) -> str:
        """Publish the draft (发布, not 群发): the publish task's id."""
        answer = self._call("POST", "/cgi-bin/freepublish/submit", json_body={"media_id": media_id})
        return _text(answer, "publish_id")

    def publish_status(self, publish_id: str) -> PublishStatus:
        answer = self._call(
            "POST", "/cgi-bin/freepublish/get", json_body={"publish_id": publish_id}
        )
        status = _int(answer.get("publish_status"), -1)
        if status < 0:
            raise WeChatError("微信没有返回发布状态。", retryable=True)
        url = ""
        detail = answer.get("article_detail")
        if isinstance(detail, dict):
            for item in detail.get("item") or []:
                if isinstance(item, dict) and isinstance(item.get("article_url"), str):
                    url = item["article_url"]
                    break
        fails = answer.get("fail_idx")
        fail_idx = [n for n in fails if isinstance(n, int)] if isinstance(fails, list) else []
        return PublishStatus(status, url, fail_idx)

    # --- HTTP ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        json_body: Any = None,
        file: tuple[str, bytes, str] | None = None,
    ) -> dict[str, Any]:
        """A call with the token; an invalid or expired token is refreshed once and the call
        made again."""
        for attempt in (1, 2):
            token = self.token(force_refresh=attempt == 2)
            try:
                return self._send(
                    method,
                    path,
                    query={**(query or {}), "access_token": token},
                    json_body=json_body,
                    file=file,
                )
            except WeChatError as exc:
                if exc.code not in TOKEN_INVALID or attempt == 2:
                    raise
                log.info(
                    "wechat token of %s refused (%s); fetching a new one", self.app_id, exc.code
                )
                cache.delete(self._cache_key)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        json_body: Any = None,
        file: tuple[str, bytes, str] | None = None,
    ) -> dict[str, Any]:
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if file is not None:
            data, content_type = multipart("media", *file)
            headers["Content-Type"] = content_type
        elif json_body is not None:
            # WeChat reads UTF-8 as is; \\u escapes would show up in the article as written.
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise WeChatError("接口地址必须以 https:// 开头。")
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            log.warning("wechat %s answered HTTP %s", path, exc.code)
            raise WeChatError(
                f"微信服务器返回 HTTP {exc.code}，稍后会自动重试。", retryable=exc.code >= 500
            ) from None
        except TimeoutError:
            log.warning("wechat %s timed out after %s s", path, self.timeout)
            raise WeChatError(TIMED_OUT, retryable=True) from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError | socket.timeout):
                log.warning("wechat %s timed out after %s s", path, self.timeout)
                raise WeChatError(TIMED_OUT, retryable=True) from None
            log.warning("wechat %s unreachable: %s", path, type(reason).__name__)
            raise WeChatError(UNREACHABLE, retryable=True) from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("wechat %s answered something that is not JSON", path)
            raise WeChatError(
                "微信服务器的应答无法识别，稍后会自动重试。", retryable=True
            ) from None
        if not isinstance(answer, dict):
            raise WeChatError("微信服务器的应答无法识别，稍后会自动重试。", retryable=True)
        code = _int(answer.get("errcode"), 0)
        if code != 0:
            errmsg = str(answer.get("errmsg") or "")
            log.warning("wechat %s errcode %s: %s", path, code, errmsg[:200])
            raise error_for(code, errmsg)
        return answer


def multipart(field_name: str, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """One file as multipart/form-data: (body, Content-Type header)."""
    boundary = uuid.uuid4().hex
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "image"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field_name}"; filename="{safe_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return default


def _text(answer: dict[str, Any], key: str) -> str:
    value = answer.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # publish_id comes as a number from some versions of the API
    if not isinstance(value, str) or not value:
        raise WeChatError(f"微信的应答中缺少 {key}，稍后会自动重试。", retryable=True)
    return value


# --- The article as WeChat takes it ----------------------------------------------------------

_SECTION = re.compile(r"<section\b.*</section>", re.S)
_H1 = re.compile(r"<h1\b[^>]*>.*?</h1>", re.S)


def draft_content(article: "Article", image_urls: dict[int, str], *, base_url: str = "") -> str:
    """The body for draft/add: the WeChat export's article (openday.publicity.wechat, inline
    styles and all) without its how-to box and its title (WeChat shows the title itself), each
    image placeholder replaced by the URL uploadimg gave for that image."""
    from . import wechat

    page = wechat.wechat_html(article, base_url=base_url)
    found = _SECTION.search(page)
    content = found.group(0) if found else page
    content = _H1.sub("", content, count=1)
    images = list(article.images.order_by("position", "id"))
    for image, name in wechat.image_files(images):
        url = image_urls.get(image.pk)
        if url:
            content = content.replace(f'src="{name}"', f'src="{_attr(url)}"')
    return content


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def digest_of(article: "Article") -> str:
    """WeChat's 摘要: the lead (or the body's first paragraph), at most 120 characters."""
    from . import rendering

    text = rendering.lead_of(article, limit=DIGEST_LIMIT)
    return text if len(text) <= DIGEST_LIMIT else text[: DIGEST_LIMIT - 1] + "…"
