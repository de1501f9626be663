"""The real gateways: Alibaba Cloud and Tencent Cloud SMS over their signed HTTP APIs, and SMTP.

Standard library only, no vendor SDK: each SMS is one signed HTTP request, and the answer is
sorted into Sent, TemporaryFailure (the worker retries) or PermanentFailure (marked failed).
Reasons are shown to operators, so they are short, Chinese, carry the gateway's code, and
never hold a full phone number, an email address or a credential.

Signing:
- Alibaba Cloud, RPC signature V1 (HMAC-SHA1 over the sorted, percent-encoded parameters):
  https://help.aliyun.com/en/cmn/developer-reference/signature-mechanism
- Tencent Cloud API 3.0, TC3-HMAC-SHA256:
  https://tencentcloud.com/document/api/382/40466 ("Signature v3", the same page for every product)
Both documents' worked examples are unit tests in tests/test_gateways.py.
"""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import socket
import ssl
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .senders import Outgoing, PermanentFailure, Sent, TemporaryFailure

logger = logging.getLogger("openday.messages")

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALIYUN_SMS_VERSION = "2017-05-25"
TENCENT_SMS_VERSION = "2021-01-11"


# --- Alibaba Cloud RPC signature (V1) ------------------------------------------------------------


def aliyun_percent_encode(value) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ stay as they are.

    Space is %20 (not +), * is %2A and ~ is kept, which is what Alibaba Cloud asks for.
    """
    return quote(str(value), safe="~")


def aliyun_string_to_sign(method: str, params: dict) -> str:
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(method: str, params: dict, secret: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)); params must not include Signature."""
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


# --- Tencent Cloud TC3-HMAC-SHA256 ---------------------------------------------------------------

TC3_CONTENT_TYPE = "application/json; charset=utf-8"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str,
    *,
    service: str,
    host: str,
    timestamp: int,
    payload: bytes,
    content_type: str = TC3_CONTENT_TYPE,
) -> str:
    """The hex signature of a POST / request whose signed headers are content-type and host."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type.lower()}\nhost:{host.lower()}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical_request.encode())]
    )
    secret_date = _hmac_sha256(f"TC3{secret_key}".encode(), date)
    secret_service = _hmac_sha256(secret_date, service)
    secret_signing = _hmac_sha256(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str, secret_key: str, *, service: str, host: str, timestamp: int, payload: bytes
) -> str:
    signature = tc3_signature(
        secret_key, service=service, host=host, timestamp=timestamp, payload=payload
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


# --- HTTP with kept-alive connections ------------------------------------------------------------

# Idle connections per endpoint, shared by every sending thread: the worker's thread pool lives
# for one batch, the connections outlive it, so a burst costs a few TLS handshakes, not one per
# message. A connection is used by one thread at a time (taken out, put back).
_idle: dict[tuple, list] = {}
_idle_lock = threading.Lock()
MAX_IDLE_PER_ENDPOINT = 16
# A connection idle longer than this is not reused: the far end may have closed it already,
# and a request on a closed connection might or might not have reached the gateway.
IDLE_REUSE_SECONDS = 15


def _new_connection(parts, timeout):
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _take(key):
    now = time.monotonic()
    with _idle_lock:
        idle = _idle.get(key, [])
        while idle:
            conn, last_used = idle.pop()
            if now - last_used <= IDLE_REUSE_SECONDS:
                return conn
            conn.close()
    return None


def _give_back(key, conn):
    with _idle_lock:
        idle = _idle.setdefault(key, [])
        if len(idle) < MAX_IDLE_PER_ENDPOINT:
            idle.append((conn, time.monotonic()))
            return
    conn.close()


def http_post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    """POST body to url and return (status, body); raises OSError on network failures."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    key = (parts.scheme, parts.hostname, parts.port, timeout)
    conn = _take(key)
    for attempt in (1, 2):
        reused = conn is not None
        if conn is None:
            conn = _new_connection(parts, timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()
            conn = None
            # A kept connection the server closed while idle: send once more on a new one.
            if reused and attempt == 1:
                continue
            raise
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            _give_back(key, conn)
        return response.status, data
    raise AssertionError("unreachable")


def _seconds_to_tomorrow() -> float:
    """Until a few minutes past the next midnight in China, when daily limits reset."""
    now = datetime.now(SHANGHAI)
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def _short(text, limit=120) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Templates ----------------------------------------------------------------------------------


def template_for(message: Outgoing, content_limit: int | None) -> tuple[str, list[tuple[str, str]]]:
    """The template code and its (name, value) pairs for message, from OPENDAY_SMS_TEMPLATES.

    The "default" entry serves every kind without its own; a variable named "content" takes the
    message body (cut to the gateway's variable limit) unless the message's params give it.
    """
    templates = settings.OPENDAY_SMS_TEMPLATES or {}
    entry = templates.get(message.kind) if message.kind else None
    entry = entry or templates.get("default")
    if not entry or not entry.get("code"):
        raise PermanentFailure(
            f"未配置短信模板（消息类型“{message.kind or '普通'}”，见 OPENDAY_SMS_TEMPLATES）"
        )
    values = []
    for name in entry.get("params", []):
        if name in message.params:
            value = str(message.params[name])
        elif name == "content":
            value = message.body.strip()
            limit = settings.OPENDAY_SMS_CONTENT_MAX_CHARS or content_limit
            if limit and len(value) > limit:
                value = value[: limit - 1] + "…"
        else:
            raise PermanentFailure(f"短信模板 {entry['code']} 缺少变量 {name}")
        values.append((name, value))
    return str(entry["code"]), values


def _timeout() -> float:
    return float(settings.OPENDAY_SMS_TIMEOUT_SECONDS)


def _network_failure(gateway: str, exc: BaseException) -> TemporaryFailure:
    if isinstance(exc, TimeoutError | socket.timeout):
        return TemporaryFailure(f"{gateway}短信网关超时")
    return TemporaryFailure(f"{gateway}短信网关连接失败（{type(exc).__name__}）")


# --- Alibaba Cloud SMS ---------------------------------------------------------------------------

# The per-number flow control (验证码 1/min, 5/hour, 10/day …) says which window it hit.
_ALIYUN_WINDOWS = (("分钟", 60.0), ("小时", 3600.0))
ALIYUN_THROTTLED = {"Throttling", "Throttling.User", "Throttling.Api", "Throttling.Tps"}
# Codes that may pass later without anyone changing anything.
ALIYUN_TEMPORARY = {
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "isv.SYSTEM_ERROR",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",
    "InvalidTimeStamp.Expired",
}
# Out of money: retried slowly, so messages go out once the account is topped up.
ALIYUN_BALANCE = {"isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE"}


class AliyunSmsSender:
    """Alibaba Cloud SMS (dysmsapi SendSms 2017-05-25), one number per request."""

    name = "aliyun"
    # Notification templates' variables hold at most 35 characters (Alibaba Cloud SMS rules).
    content_limit = 35

    def send(self, message: Outgoing) -> Sent:
        key_id = settings.OPENDAY_ALIYUN_ACCESS_KEY_ID
        secret = settings.OPENDAY_ALIYUN_ACCESS_KEY_SECRET
        if not (key_id and secret and settings.OPENDAY_SMS_SIGN_NAME):
            raise PermanentFailure(
                "阿里云短信未配置（OPENDAY_ALIYUN_ACCESS_KEY_ID/SECRET、OPENDAY_SMS_SIGN_NAME）"
            )
        code, values = template_for(message, self.content_limit)
        params = {
            "AccessKeyId": key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": settings.OPENDAY_ALIYUN_SMS_REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_SMS_VERSION,
            "PhoneNumbers": aliyun_number(message.to),
            "SignName": settings.OPENDAY_SMS_SIGN_NAME,
            "TemplateCode": code,
            "OutId": str(message.id),
        }
        if values:
            params["TemplateParam"] = json.dumps(
                dict(values), ensure_ascii=False, separators=(",", ":")
            )
        params["Signature"] = aliyun_signature("POST", params, secret)
        body = "&".join(
            f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in params.items()
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
        }
        try:
            status, raw = http_post(settings.OPENDAY_ALIYUN_SMS_ENDPOINT, body, headers, _timeout())
        except OSError as exc:
            raise _network_failure("阿里云", exc) from None
        return self.outcome(message, status, raw)

    def outcome(self, message: Outgoing, status: int, raw: bytes) -> Sent:
        try:
            answer = json.loads(raw)
            gateway_code = str(answer.get("Code", ""))
            text = _short(answer.get("Message", ""))
        except (ValueError, AttributeError):
            answer, gateway_code, text = {}, "", ""
        if status == 200 and gateway_code == "OK":
            logger.debug("aliyun took #%s to=%s", message.id, message.masked_to)
            return Sent(self.name, str(answer.get("BizId", "")))
        reason = f"阿里云短信 {gateway_code or f'HTTP {status}'}：{text}".rstrip("：")
        logger.warning("aliyun refused #%s to=%s: %s", message.id, message.masked_to, reason)
        if gateway_code == "isv.BUSINESS_LIMIT_CONTROL":
            wait = next((s for word, s in _ALIYUN_WINDOWS if word in text), None)
            raise TemporaryFailure(reason, retry_after=wait or _seconds_to_tomorrow())
        if gateway_code == "isv.DAY_LIMIT_CONTROL":
            raise TemporaryFailure(reason, retry_after=_seconds_to_tomorrow())
        if gateway_code in ALIYUN_THROTTLED or gateway_code.startswith("Throttling"):
            raise TemporaryFailure(reason, retry_after=2.0)
        if gateway_code in ALIYUN_BALANCE:
            raise TemporaryFailure(reason, retry_after=3600.0)
        if gateway_code in ALIYUN_TEMPORARY or (
            status >= 500 and not gateway_code.startswith("isv.")
        ):
            raise TemporaryFailure(reason)
        # Refused numbers, templates, signs and credentials: the same request fails every time.
        raise PermanentFailure(reason)


def aliyun_number(to: str) -> str:
    """Mainland numbers bare (13800000000); others with their country code and no "+"."""
    to = to.strip().replace(" ", "")
    if to.startswith("+86") and len(to) == 14:
        return to[3:]
    return to.removeprefix("+")


# --- Tencent Cloud SMS ---------------------------------------------------------------------------

TENCENT_WINDOWS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
}
TENCENT_BALANCE = {"FailedOperation.InsufficientBalanceInSmsPackage"}


class TencentSmsSender:
    """Tencent Cloud SMS (API 3.0 SendSms 2021-01-11), one number per request."""

    name = "tencent"
    # Enterprise-verified accounts have no per-variable limit; set OPENDAY_SMS_CONTENT_MAX_CHARS
    # (12 for personal accounts) when the template was approved with one.
    content_limit = None

    def send(self, message: Outgoing) -> Sent:
        secret_id = settings.OPENDAY_TENCENT_SECRET_ID
        secret_key = settings.OPENDAY_TENCENT_SECRET_KEY
        app_id = settings.OPENDAY_TENCENT_SMS_SDK_APP_ID
        if not (secret_id and secret_key and app_id and settings.OPENDAY_SMS_SIGN_NAME):
            raise PermanentFailure(
                "腾讯云短信未配置（OPENDAY_TENCENT_SECRET_ID/KEY、OPENDAY_TENCENT_SMS_SDK_APP_ID、"
                "OPENDAY_SMS_SIGN_NAME）"
            )
        code, values = template_for(message, self.content_limit)
        payload = json.dumps(
            {
                "PhoneNumberSet": [tencent_number(message.to)],
                "SmsSdkAppId": app_id,
                "SignName": settings.OPENDAY_SMS_SIGN_NAME,
                "TemplateId": code,
                "TemplateParamSet": [value for _name, value in values],
                "SessionContext": str(message.id),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        endpoint = settings.OPENDAY_TENCENT_SMS_ENDPOINT
        host = urlsplit(endpoint).netloc
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(
                secret_id,
                secret_key,
                service="sms",
                host=host,
                timestamp=timestamp,
                payload=payload,
            ),
            "Content-Type": TC3_CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_SMS_VERSION,
            "X-TC-Region": settings.OPENDAY_TENCENT_SMS_REGION,
        }
        try:
            status, raw = http_post(endpoint, payload, headers, _timeout())
        except OSError as exc:
            raise _network_failure("腾讯云", exc) from None
        return self.outcome(message, status, raw)

    def outcome(self, message: Outgoing, status: int, raw: bytes) -> Sent:
        try:
            response = json.loads(raw)["Response"]
            error = response.get("Error")
            if error:
                gateway_code, text = str(error.get("Code", "")), error.get("Message", "")
            else:
                first = response["SendStatusSet"][0]
                gateway_code, text = str(first.get("Code", "")), first.get("Message", "")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            response, error, first, gateway_code, text = {}, None, {}, "", ""
        if status == 200 and not error and gateway_code == "Ok":
            logger.debug("tencent took #%s to=%s", message.id, message.masked_to)
            return Sent(self.name, str(first.get("SerialNo", "")))
        reason = f"腾讯云短信 {gateway_code or f'HTTP {status}'}：{_short(text)}".rstrip("：")
        logger.warning("tencent refused #%s to=%s: %s", message.id, message.masked_to, reason)
        if gateway_code in TENCENT_WINDOWS:
            raise TemporaryFailure(reason, retry_after=TENCENT_WINDOWS[gateway_code])
        if gateway_code.startswith("LimitExceeded."):
            # The daily limits (per number, per content, per app): not before tomorrow.
            daily = "Daily" in gateway_code
            raise TemporaryFailure(reason, retry_after=_seconds_to_tomorrow() if daily else 60.0)
        if gateway_code.startswith("RequestLimitExceeded"):
            raise TemporaryFailure(reason, retry_after=2.0)
        if gateway_code in TENCENT_BALANCE:
            raise TemporaryFailure(reason, retry_after=3600.0)
        if (
            gateway_code.startswith("InternalError")
            or gateway_code == "AuthFailure.SignatureExpire"
        ):
            raise TemporaryFailure(reason)
        if not gateway_code and (status >= 500 or status == 200):
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)


def tencent_number(to: str) -> str:
    """E.164: +86 in front of a bare mainland number."""
    to = to.strip().replace(" ", "")
    if to.startswith("+"):
        return to
    if to.startswith("0086"):
        return "+" + to[2:]
    if len(to) == 11 and to.startswith("1"):
        return "+86" + to
    return "+" + to


# --- SMTP ---------------------------------------------------------------------------------------


class SmtpEmailSender:
    """Email through Django's SMTP backend, with the EMAIL_* settings."""

    name = "smtp"

    def send(self, message: Outgoing) -> Sent:
        connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            connection=connection,
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            reason = self._reason(message, "收件人被拒绝", codes[0] if codes else None)
            if codes and all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(reason) from None
            raise PermanentFailure(reason) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(self._reason(message, "SMTP 登录失败", exc.smtp_code)) from None
        except smtplib.SMTPResponseException as exc:
            reason = self._reason(message, "SMTP 服务器拒绝", exc.smtp_code, exc.smtp_error)
            if exc.smtp_code >= 500:
                raise PermanentFailure(reason) from None
            raise TemporaryFailure(reason) from None
        except (smtplib.SMTPException, OSError) as exc:
            if isinstance(exc, TimeoutError | socket.timeout):
                raise TemporaryFailure("SMTP 服务器超时") from None
            raise TemporaryFailure(f"SMTP 连接失败（{type(exc).__name__}）") from None
        logger.debug("smtp took #%s to=%s", message.id, message.masked_to)
        return Sent(self.name)

    @staticmethod
    def _reason(message: Outgoing, what: str, code=None, text=b"") -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        # Servers echo the address in their answers; operators see the masked one.
        text = _short(str(text).replace(message.to, message.masked_to), 100)
        return " ".join(part for part in (f"{what} {code or ''}".strip(), text) if part)
