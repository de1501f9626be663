"""Delivery receipts the SMS gateways push to us: was the message delivered to the phone?

Alibaba Cloud (SmsReport, HTTP batch push) and Tencent Cloud (短信下发状态回调) each POST a JSON
array; we match rows by (gateway, gateway_message_id) and answer with the body each expects.
The gateways sign nothing, so the URL carries a secret token, compared in constant time.
"""

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from .models import OutboundMessage

logger = logging.getLogger("openday.messages")

SHANGHAI = ZoneInfo("Asia/Shanghai")
Receipt = OutboundMessage.Receipt


class Malformed(ValueError):
    pass


def _check_token(token: str):
    expected = settings.OPENDAY_SMS_RECEIPT_TOKEN
    if not expected or not constant_time_compare(token, expected):
        raise Http404


def _items(request) -> list:
    try:
        items = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("不是合法的 JSON") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Malformed("应是 JSON 数组，每项一个对象")
    return items


def _local_time(value) -> datetime:
    """The gateways' "2017-01-01 00:00:00", China time; now when absent or unreadable."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return timezone.now()


def record_receipts(gateway: str, receipts: list[tuple[str, bool, datetime, str]]) -> int:
    """Store (gateway_message_id, delivered, at, error) receipts; returns rows updated.

    Unknown ids are ignored (a message sent before the receipt URL was set, another system on
    the same account). A receipt older than the one stored does not overwrite it.
    """
    updated = 0
    with transaction.atomic():
        for message_id, delivered, at, error in receipts:
            updated += (
                OutboundMessage.objects.filter(gateway=gateway, gateway_message_id=message_id)
                .exclude(receipt_at__gt=at)
                .update(
                    receipt=Receipt.DELIVERED if delivered else Receipt.UNDELIVERED,
                    receipt_at=at,
                    receipt_error="" if delivered else error[:200],
                )
            )
    logger.info("%s receipts: %s received, %s matched", gateway, len(receipts), updated)
    return updated


def _aliyun(items) -> list:
    receipts = []
    for item in items:
        biz_id, success = item.get("biz_id"), item.get("success")
        if not biz_id or not isinstance(success, bool):
            raise Malformed("每项需要 biz_id 和 success")
        error = f"{item.get('err_code', '')} {item.get('err_msg', '')}".strip()
        receipts.append((str(biz_id), success, _local_time(item.get("report_time")), error))
    return receipts


def _tencent(items) -> list:
    receipts = []
    for item in items:
        sid, status = item.get("sid"), item.get("report_status")
        if not sid or status not in ("SUCCESS", "FAIL"):
            raise Malformed("每项需要 sid 和 report_status（SUCCESS/FAIL）")
        error = f"{item.get('errmsg', '')} {item.get('description', '')}".strip()
        at = _local_time(item.get("user_receive_time"))
        receipts.append((str(sid), status == "SUCCESS", at, error))
    return receipts


def _hook(gateway, parse, ok, bad):
    @csrf_exempt
    def view(request, token):
        _check_token(token)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            receipts = parse(_items(request))
        except Malformed as exc:
            return JsonResponse(
                bad(str(exc)), status=400, json_dumps_params={"ensure_ascii": False}
            )
        record_receipts(gateway, receipts)
        return JsonResponse(ok, json_dumps_params={"ensure_ascii": False})

    view.__name__ = f"{gateway}_receipts"
    return view


aliyun_receipts = _hook(
    "aliyun", _aliyun, {"code": 0, "msg": "接收成功"}, lambda why: {"code": 1, "msg": why}
)
tencent_receipts = _hook(
    "tencent", _tencent, {"result": 0, "errmsg": "OK"}, lambda why: {"result": 1, "errmsg": why}
)
