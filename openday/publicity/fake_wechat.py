"""A local stand-in for the WeChat official account API (api.weixin.qq.com), for tests and trying
one-click publishing without an account.

It keeps everything in memory and answers the calls openday.publicity.wechat_mp makes with the
same JSON shapes: stable_token (and the older token), material/add_material, media/uploadimg,
draft/add, freepublish/submit and freepublish/get. It checks the AppID and AppSecret and the
access token of every call, and can be told to fail.

In a test::

    with FakeWeChat() as wx:             # 127.0.0.1, any free port
        account.base_url = wx.url
        wx.expire_token()                # the next call with the current token gets 42001
        wx.fail(40164)                   # every call: IP not in the whitelist
        wx.fail(48001, path="/cgi-bin/freepublish/submit", times=1)
        wx.publish_result(4)             # publishing ends "平台审核不通过"

As a process (then set the account's 接口地址 to http://127.0.0.1:8766 with the AppID and
AppSecret below)::

    python -m openday.publicity.fake_wechat --port 8766
"""

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"

MESSAGES = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40013: "invalid appid",
    40125: "invalid appsecret",
    40164: "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist",
    42001: "access_token expired",
    45009: "reach max api daily quota limit",
    48001: "api unauthorized",
    53503: "该草稿未通过发布检查",
}


class FakeWeChat:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app_id: str = APP_ID,
        secret: str = APP_SECRET,
        expires_in: int = 7200,
        publish_polls: int = 1,
    ):
        self.app_id = app_id
        self.secret = secret
        self.expires_in = expires_in
        # How many freepublish/get answers say "publishing" (1) before the result.
        self.publish_polls = publish_polls
        self.lock = threading.Lock()
        self.reset()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    # --- control ---

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> "FakeWeChat":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeWeChat":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
            self.current = ""
            self.token_requests = 0
            self.calls: Counter[str] = Counter()
            self.failures: list[dict[str, Any]] = []
            self.hangs: dict[str, float] = {}
            self.materials: dict[str, bytes] = {}
            self.images: list[tuple[str, bytes]] = []
            self.drafts: dict[str, list[dict[str, Any]]] = {}
            self.publishes: dict[str, dict[str, Any]] = {}
            self.result = 0
            self.tokens_used: list[str] = []

    def fail(self, code: int, *, path: str | None = None, times: int | None = None) -> None:
        """Answer calls (to path, or all, the token included) with errcode code, times times (or
        until reset / clear_failures)."""
        with self.lock:
            self.failures.append({"code": code, "path": path, "times": times})

    def clear_failures(self) -> None:
        with self.lock:
            self.failures.clear()
            self.hangs.clear()

    def hang(self, path: str, seconds: float) -> None:
        """Answer calls to path only after seconds (longer than the client waits: a timeout)."""
        with self.lock:
            self.hangs[path] = seconds

    def expire_token(self) -> None:
        """The current token expires now: the next call with it gets 42001."""
        with self.lock:
            if self.current:
                self.tokens[self.current] = 0.0

    def publish_result(self, status: int) -> None:
        """How publishing ends from now on: 0 published, 2–6 a failure (freepublish/get)."""
        with self.lock:
            self.result = status

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "token_requests": self.token_requests,
                "calls": dict(self.calls),
                "images": len(self.images),
                "materials": len(self.materials),
                "drafts": len(self.drafts),
                "publishes": len(self.publishes),
            }

    def draft_articles(self) -> list[dict[str, Any]]:
        with self.lock:
            return [a for articles in self.drafts.values() for a in articles]

    # --- the API ---

    def _failure(self, path: str) -> int | None:
        for rule in self.failures:
            if rule["path"] not in (None, path):
                continue
            if rule["times"] is not None:
                if rule["times"] <= 0:
                    continue
                rule["times"] -= 1
            return rule["code"]
        return None

    def _issue(self, *, force: bool) -> dict[str, Any]:
        now = time.monotonic()
        if force or not self.current or self.tokens.get(self.current, 0) <= now:
            if force and self.current:
                self.tokens[self.current] = 0.0
            self.current = "fake-token-" + uuid.uuid4().hex
            self.tokens[self.current] = now + self.expires_in
        left = max(int(self.tokens[self.current] - now), 0)
        return {"access_token": self.current, "expires_in": left}

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, ctype: str
    ) -> dict[str, Any]:
        with self.lock:
            self.calls[path] += 1
            code = self._failure(path)
            if code is not None:
                return _error(code)
            if path == "/cgi-bin/stable_token" and method == "POST":
                asked = _json(body)
                self.token_requests += 1
                if asked.get("appid") != self.app_id:
                    return _error(40013)
                if asked.get("secret") != self.secret:
                    return _error(40125)
                return self._issue(force=bool(asked.get("force_refresh")))
            if path == "/cgi-bin/token" and method == "GET":
                self.token_requests += 1
                if query.get("appid") != self.app_id:
                    return _error(40013)
                if query.get("secret") != self.secret:
                    return _error(40125)
                return self._issue(force=True)
            token = query.get("access_token", "")
            if not token:
                return _error(41001)
            expiry = self.tokens.get(token)
            if expiry is None:
                return _error(40001)
            if expiry <= time.monotonic():
                return _error(42001)
            self.tokens_used.append(token)
            if path == "/cgi-bin/material/add_material" and method == "POST":
                if query.get("type") != "image":
                    return _error(40004)
                data = _file(body, ctype)
                if not data:
                    return _error(41005)
                media_id = "fake-media-" + uuid.uuid4().hex[:16]
                self.materials[media_id] = data
                return {"media_id": media_id, "url": f"http://mmbiz.qpic.cn/fake/{media_id}/0"}
            if path == "/cgi-bin/media/uploadimg" and method == "POST":
                data = _file(body, ctype)
                if not data:
                    return _error(41005)
                if len(data) > 1024 * 1024:
                    return _error(40009)
                url = f"http://mmbiz.qpic.cn/fake_body/{len(self.images) + 1}-{uuid.uuid4().hex[:8]}/0"
                self.images.append((url, data))
                return {"url": url}
            if path == "/cgi-bin/draft/add" and method == "POST":
                articles = _json(body).get("articles")
                if not isinstance(articles, list) or not articles:
                    return _error(44003)
                for article in articles:
                    if article.get("thumb_media_id") not in self.materials:
                        return _error(40007)
                media_id = "fake-draft-" + uuid.uuid4().hex[:16]
                self.drafts[media_id] = articles
                return {"media_id": media_id}
            if path == "/cgi-bin/freepublish/submit" and method == "POST":
                draft_id = str(_json(body).get("media_id"))
                if draft_id not in self.drafts:
                    return _error(40007)
                publish_id = str(2247483000 + len(self.publishes) + 1)
                self.publishes[publish_id] = {
                    "media_id": draft_id,
                    "polls": 0,
                    "result": self.result,
                }
                return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": 1}
            if path == "/cgi-bin/freepublish/get" and method == "POST":
                publish_id = str(_json(body).get("publish_id"))
                job = self.publishes.get(publish_id)
                if job is None:
                    return _error(40007)
                job["polls"] += 1
                if job["polls"] <= self.publish_polls:
                    return {"publish_id": publish_id, "publish_status": 1, "fail_idx": []}
                if job["result"] != 0:
                    return {
                        "publish_id": publish_id,
                        "publish_status": job["result"],
                        "fail_idx": [1] if job["result"] in (2, 4) else [],
                    }
                article_id = "fake-article-" + publish_id
                return {
                    "publish_id": publish_id,
                    "publish_status": 0,
                    "article_id": article_id,
                    "article_detail": {
                        "count": 1,
                        "item": [
                            {"idx": 1, "article_url": f"https://mp.weixin.qq.com/s/{article_id}"}
                        ],
                    },
                    "fail_idx": [],
                }
            return _error(-1)


def _error(code: int) -> dict[str, Any]:
    rid = uuid.uuid4().hex[:8]
    return {"errcode": code, "errmsg": f"{MESSAGES.get(code, 'error')} rid: {rid}"}


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _file(body: bytes, ctype: str) -> bytes:
    """The "media" part of a multipart/form-data body."""
    marker = "boundary="
    if marker not in ctype:
        return b""
    boundary = ctype.split(marker, 1)[1].strip().strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, sep, data = part.partition(b"\r\n\r\n")
        if sep and b'name="media"' in head:
            return data[:-2] if data.endswith(b"\r\n") else data
    return b""


def _handler_for(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with fake.lock:
                wait = fake.hangs.get(parts.path, 0.0)
            if wait:
                time.sleep(wait)
            answer = fake.handle(
                method, parts.path, query, body, self.headers.get("Content-Type", "")
            )
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a "hang")

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the query string holds the access token

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="本地模拟的微信公众平台接口（测试用）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    fake = FakeWeChat(args.host, args.port)
    print(f"模拟微信接口：{fake.url}  AppID {fake.app_id}  AppSecret {fake.secret}")
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
