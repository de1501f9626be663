"""A local stand-in for the Alibaba Cloud and Tencent Cloud SMS gateways, for tests and benchmarks.

It speaks both SendSms protocols, checks their signatures with the same credentials the senders
use, answers as told (per phone number or for all), and counts every message it accepted by our
message id (OutId / SessionContext), so a test can see each was sent exactly once.

In a test::

    with FakeGateway() as gw:            # 127.0.0.1, any free port
        settings.OPENDAY_ALIYUN_SMS_ENDPOINT = gw.url
        gw.answer("rate_limit", number="13800000001")

As a process (then point OPENDAY_ALIYUN_SMS_ENDPOINT or OPENDAY_TENCENT_SMS_ENDPOINT at it, with
the credentials below)::

    python -m openday.messaging.fake_gateway --port 8765 [--latency-ms N]

HTTP: GET /_stats (accepted, per-id counts, duplicates), POST /_reset, POST /_answer with
{"behaviour": "...", "number": "..."} (number omitted: for all). Behaviours: ok, rate_limit,
refuse, timeout (no answer until the client has given up; not counted), error500.
"""

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from openday.messaging.gateways import aliyun_signature, tc3_signature

BEHAVIOURS = ("ok", "rate_limit", "refuse", "timeout", "error500")
ALIYUN_KEY = ("fake-access-key-id", "fake-access-key-secret")
TENCENT_KEY = ("fake-secret-id", "fake-secret-key")
TENCENT_APP_ID = "1400000000"


def _national(number: str) -> str:
    number = number.strip().removeprefix("+")
    return number[2:] if number.startswith("86") and len(number) == 13 else number


class FakeGateway:
    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        aliyun_key=ALIYUN_KEY,
        tencent_key=TENCENT_KEY,
        latency_ms=0,
        hang_seconds=3.0,
    ):
        self.aliyun_key = aliyun_key
        self.tencent_key = tencent_key
        self.latency = latency_ms / 1000
        # How long a "timeout" answer hangs: longer than the client's timeout in tests.
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        self.default = "ok"
        self.by_number: dict[str, str] = {}
        self.reset()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = None

    # --- control ---

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def answer(self, behaviour: str, number: str | None = None):
        """Answer every message (or those to number) with behaviour, one of BEHAVIOURS."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        with self.lock:
            if number is None:
                self.default = behaviour
                self.by_number.clear()
            else:
                self.by_number[_national(number)] = behaviour

    def reset(self):
        with self.lock:
            self.accepted = Counter()
            self.requests = 0
            self.refused = Counter()
            self.bad_signatures = 0
            self.nonces = set()
            self.last = {}
            self.default = "ok"
            self.by_number = {}

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "accepted": sum(self.accepted.values()),
                "by_id": dict(self.accepted),
                "duplicates": sorted(k for k, n in self.accepted.items() if n > 1),
                "refused": dict(self.refused),
                "bad_signatures": self.bad_signatures,
            }

    def behaviour_for(self, number: str) -> str:
        with self.lock:
            self.requests += 1
            return self.by_number.get(_national(number), self.default)

    def count(self, gateway: str, our_id: str, behaviour: str, request: dict):
        with self.lock:
            self.last[gateway] = request
            if behaviour == "ok":
                self.accepted[our_id] += 1
            else:
                self.refused[behaviour] += 1

    # --- the two protocols ---

    def aliyun(self, method: str, params: dict) -> tuple[int, dict | None]:
        signature = params.pop("Signature", "")
        key_id, secret = self.aliyun_key
        if params.get("AccessKeyId") != key_id:
            return self._aliyun_auth(
                "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        if aliyun_signature(method, params, secret) != signature:
            return self._aliyun_auth("SignatureDoesNotMatch", "Specified signature is not matched.")
        with self.lock:
            nonce = params.get("SignatureNonce", "")
            if nonce in self.nonces:
                return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used"}
            self.nonces.add(nonce)
        if params.get("Action") != "SendSms":
            return 400, {"Code": "InvalidAction.NotFound", "Message": "action not found"}
        behaviour = self.behaviour_for(params.get("PhoneNumbers", ""))
        self.count("aliyun", params.get("OutId", ""), behaviour, params)
        request_id = str(uuid.uuid4()).upper()
        if behaviour == "ok":
            biz_id = f"{int(time.time() * 1000)}{uuid.uuid4().int % 10**6:06d}^0"
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}
        if behaviour == "rate_limit":
            return 200, {
                "Code": "isv.BUSINESS_LIMIT_CONTROL",
                "Message": "触发分钟级流控Permits:1",
                "RequestId": request_id,
            }
        if behaviour == "refuse":
            return 200, {
                "Code": "isv.MOBILE_NUMBER_ILLEGAL",
                "Message": "非法手机号",
                "RequestId": request_id,
            }
        return self._failure(behaviour)

    def _aliyun_auth(self, code, message):
        with self.lock:
            self.bad_signatures += 1
        return 400, {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper()}

    def tencent(self, headers, body: bytes) -> tuple[int, dict | None]:
        request_id = str(uuid.uuid4())
        secret_id, secret_key = self.tencent_key
        auth = headers.get("Authorization", "")
        parts = auth.removeprefix("TC3-HMAC-SHA256 ").split(",")
        fields = dict(part.strip().split("=", 1) for part in parts if "=" in part)
        credential = fields.get("Credential", "").split("/")
        try:
            timestamp = int(headers.get("X-TC-Timestamp", ""))
        except ValueError:
            timestamp = 0
        expected = tc3_signature(
            secret_key,
            service=credential[2] if len(credential) > 2 else "",
            host=headers.get("Host", ""),
            timestamp=timestamp,
            payload=body,
            content_type=headers.get("Content-Type", ""),
        )
        if (
            not auth.startswith("TC3-HMAC-SHA256 ")
            or credential[0] != secret_id
            or fields.get("SignedHeaders") != "content-type;host"
            or fields.get("Signature") != expected
        ):
            with self.lock:
                self.bad_signatures += 1
            return 200, _tencent_error("AuthFailure.SignatureFailure", "签名错误", request_id)
        if abs(time.time() - timestamp) > 300:
            return 200, _tencent_error("AuthFailure.SignatureExpire", "签名过期", request_id)
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            return 200, _tencent_error("InvalidAction", "接口不存在", request_id)
        try:
            request = json.loads(body)
            number = request["PhoneNumberSet"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return 200, _tencent_error("InvalidParameter", "参数错误", request_id)
        behaviour = self.behaviour_for(number)
        self.count("tencent", request.get("SessionContext", ""), behaviour, request)
        status = {
            "SerialNo": "",
            "PhoneNumber": number,
            "Fee": 0,
            "SessionContext": request.get("SessionContext", ""),
            "IsoCode": "CN",
        }
        if behaviour == "ok":
            status.update(
                SerialNo=f"2433:{uuid.uuid4().int % 10**20:020d}",
                Fee=1,
                Code="Ok",
                Message="send success",
            )
        elif behaviour == "rate_limit":
            status.update(
                Code="LimitExceeded.PhoneNumberThirtySecondLimit",
                Message="单个手机号30秒内下发短信条数超过设定的上限",
            )
        elif behaviour == "refuse":
            status.update(
                Code="FailedOperation.PhoneNumberInBlacklist", Message="手机号在免打扰名单库中"
            )
        else:
            return self._failure(behaviour)
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    def _failure(self, behaviour):
        if behaviour == "timeout":
            time.sleep(self.hang_seconds)
            return 0, None  # no answer: the connection is closed
        return 500, None


def _tencent_error(code, message, request_id):
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


def _handler_for(gateway: FakeGateway):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the senders keep their connections

        def log_message(self, *args):
            pass

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _reply(self, status, answer):
            if gateway.latency:
                time.sleep(gateway.latency)
            if status == 0:
                self.close_connection = True
                return
            if answer is None:
                raw, kind = b"Internal Server Error", "text/plain"
            else:
                raw, kind = json.dumps(answer, ensure_ascii=False).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path == "/_stats":
                return self._reply(200, gateway.stats())
            if parts.query:
                return self._reply(*gateway.aliyun("GET", dict(parse_qsl(parts.query))))
            return self._reply(404, {"Code": "NotFound"})

        def do_POST(self):
            parts = urlsplit(self.path)
            body = self._body()
            if parts.path == "/_reset":
                gateway.reset()
                return self._reply(200, {"ok": True})
            if parts.path == "/_answer":
                try:
                    order = json.loads(body or b"{}")
                    gateway.answer(order.get("behaviour", "ok"), order.get("number"))
                except (ValueError, AttributeError) as exc:
                    return self._reply(400, {"error": str(exc)})
                return self._reply(200, {"ok": True})
            if "X-TC-Action" in self.headers:
                return self._reply(*gateway.tencent(self.headers, body))
            params = dict(parse_qsl(parts.query))
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            return self._reply(*gateway.aliyun("POST", params))

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=int, default=0, help="wait this long before answering")
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long 'timeout' hangs")
    args = parser.parse_args(argv)
    gateway = FakeGateway(
        args.host, args.port, latency_ms=args.latency_ms, hang_seconds=args.hang_seconds
    )
    print(
        f"fake SMS gateway on {gateway.url}\n"
        f"  Alibaba Cloud: OPENDAY_ALIYUN_SMS_ENDPOINT={gateway.url} "
        f"OPENDAY_ALIYUN_ACCESS_KEY_ID={ALIYUN_KEY[0]} OPENDAY_ALIYUN_ACCESS_KEY_SECRET={ALIYUN_KEY[1]}\n"
        f"  Tencent Cloud: OPENDAY_TENCENT_SMS_ENDPOINT={gateway.url} "
        f"OPENDAY_TENCENT_SECRET_ID={TENCENT_KEY[0]} OPENDAY_TENCENT_SECRET_KEY={TENCENT_KEY[1]} "
        f"OPENDAY_TENCENT_SMS_SDK_APP_ID={TENCENT_APP_ID}\n"
        f"  stats: GET {gateway.url}_stats",
        flush=True,
    )
    try:
        gateway.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.server.server_close()


if __name__ == "__main__":
    main()
