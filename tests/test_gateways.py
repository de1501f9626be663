"""The SMS and email gateways against local stand-ins: signatures, answers, receipts, logs.

No test reaches the internet: the SMS senders talk to openday.messaging.fake_gateway, which
checks their signatures, and the SMTP sender to a tiny SMTP server started here.
"""

import json
import logging
import socket
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from openday.messaging import gateways
from openday.messaging.fake_gateway import ALIYUN_KEY, TENCENT_APP_ID, TENCENT_KEY, FakeGateway
from openday.messaging.models import OutboundMessage
from openday.messaging.senders import (
    LogSender,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
)

PHONE = "13812345678"
MASKED = "138****5678"


def sms(id=41, to=PHONE, body="您报名的活动明天上午9点开始，请准时签到。", kind="", params=None):
    return Outgoing(
        id=id, channel="sms", to=to, subject="", body=body, kind=kind, params=params or {}
    )


@pytest.fixture
def gateway(settings):
    with FakeGateway(hang_seconds=2.0) as gw:
        settings.OPENDAY_ALIYUN_SMS_ENDPOINT = gw.url
        settings.OPENDAY_ALIYUN_ACCESS_KEY_ID, settings.OPENDAY_ALIYUN_ACCESS_KEY_SECRET = (
            ALIYUN_KEY
        )
        settings.OPENDAY_TENCENT_SMS_ENDPOINT = gw.url
        settings.OPENDAY_TENCENT_SECRET_ID, settings.OPENDAY_TENCENT_SECRET_KEY = TENCENT_KEY
        settings.OPENDAY_TENCENT_SMS_SDK_APP_ID = TENCENT_APP_ID
        settings.OPENDAY_SMS_SIGN_NAME = "开福区政务公开"
        settings.OPENDAY_SMS_TEMPLATES = {
            "default": {"code": "SMS_100", "params": ["content"]},
            "reminder": {"code": "SMS_200", "params": ["event", "time"]},
        }
        settings.OPENDAY_SMS_CONTENT_MAX_CHARS = 0
        settings.OPENDAY_SMS_TIMEOUT_SECONDS = 0.5
        yield gw


SENDERS = [gateways.AliyunSmsSender, gateways.TencentSmsSender]


# --- The documents' worked examples --------------------------------------------------------------


def test_the_aliyun_signature_matches_the_documented_rpc_example():
    # https://help.aliyun.com/en/cmn/developer-reference/signature-mechanism (DescribeRegions)
    params = {
        "Timestamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert gateways.aliyun_string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert gateways.aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_the_aliyun_signature_matches_the_documented_send_sms_example():
    # The SMS API's own example (dysmsapi, "HTTP 协议及签名"): a Chinese sign name and JSON.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert gateways.aliyun_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_keeps_only_unreserved_characters():
    assert gateways.aliyun_percent_encode("a b*c~d-_.") == "a%20b%2Ac~d-_."
    assert gateways.aliyun_percent_encode("/=&+:") == "%2F%3D%26%2B%3A"
    assert gateways.aliyun_percent_encode("派") == "%E6%B4%BE"


def test_the_tencent_signature_matches_the_documented_example():
    # Tencent Cloud API 3.0 "Signature v3": DescribeInstances on cvm, 2019-02-25.
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    args = dict(
        service="cvm", host="cvm.tencentcloudapi.com", timestamp=1551113065, payload=payload
    )
    assert gateways.tc3_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", **args
    ) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )
    # The current page masks the key and publishes the signature of the masked string.
    assert (
        gateways.tc3_signature("Gu5t9xGARNpq86cd98joQYCN3*******", **args)
        == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


# --- Sending through the fake gateway ------------------------------------------------------------


def test_aliyun_takes_a_message_signed_with_our_key(gateway):
    sent = gateways.AliyunSmsSender().send(sms())
    assert isinstance(sent, Sent) and sent.gateway == "aliyun" and sent.gateway_message_id
    stats = gateway.stats()
    assert stats["by_id"] == {"41": 1} and stats["bad_signatures"] == 0
    request = gateway.last["aliyun"]
    assert request["PhoneNumbers"] == PHONE
    assert request["SignName"] == "开福区政务公开"
    assert request["TemplateCode"] == "SMS_100"
    assert json.loads(request["TemplateParam"]) == {"content": sms().body}


def test_tencent_takes_a_message_signed_with_our_key(gateway):
    sent = gateways.TencentSmsSender().send(sms())
    assert sent.gateway == "tencent" and sent.gateway_message_id.startswith("2433:")
    stats = gateway.stats()
    assert stats["by_id"] == {"41": 1} and stats["bad_signatures"] == 0
    request = gateway.last["tencent"]
    assert request["PhoneNumberSet"] == ["+86" + PHONE]
    assert request["SmsSdkAppId"] == TENCENT_APP_ID
    assert request["TemplateId"] == "SMS_100"
    assert request["TemplateParamSet"] == [sms().body]


@pytest.mark.parametrize("sender", SENDERS)
def test_a_wrong_secret_is_refused_by_the_gateway_for_good(gateway, settings, sender):
    settings.OPENDAY_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    settings.OPENDAY_TENCENT_SECRET_KEY = "not-the-secret"
    with pytest.raises(PermanentFailure) as failure:
        sender().send(sms())
    assert "Signature" in str(failure.value)
    assert "not-the-secret" not in str(failure.value)
    assert gateway.stats()["accepted"] == 0 and gateway.stats()["bad_signatures"] == 1


def test_a_named_kind_uses_its_own_template_with_the_params_in_order(gateway):
    message = sms(kind="reminder", params={"time": "6月1日9:00", "event": "住建局开放日"})
    gateways.AliyunSmsSender().send(message)
    gateways.TencentSmsSender().send(message)
    assert gateway.last["aliyun"]["TemplateCode"] == "SMS_200"
    assert json.loads(gateway.last["aliyun"]["TemplateParam"]) == {
        "event": "住建局开放日",
        "time": "6月1日9:00",
    }
    assert gateway.last["tencent"]["TemplateParamSet"] == ["住建局开放日", "6月1日9:00"]


def test_the_default_template_cuts_the_body_to_aliyuns_variable_limit(gateway):
    gateways.AliyunSmsSender().send(sms(body="开" * 50))
    content = json.loads(gateway.last["aliyun"]["TemplateParam"])["content"]
    assert len(content) == 35 and content.endswith("…")


def test_a_kind_without_a_template_fails_for_good(gateway, settings):
    settings.OPENDAY_SMS_TEMPLATES = {"reminder": {"code": "SMS_200", "params": ["event"]}}
    with pytest.raises(PermanentFailure, match="未配置短信模板"):
        gateways.AliyunSmsSender().send(sms(kind="other"))
    with pytest.raises(PermanentFailure, match="缺少变量 event"):
        gateways.TencentSmsSender().send(sms(kind="reminder"))
    assert gateway.stats()["requests"] == 0


@pytest.mark.parametrize("sender", SENDERS)
def test_the_rate_limit_answer_is_retried_later(gateway, sender):
    gateway.answer("rate_limit", number=PHONE)
    with pytest.raises(TemporaryFailure) as failure:
        sender().send(sms())
    assert failure.value.retry_after in (30.0, 60.0)
    assert "LIMIT" in str(failure.value).upper()
    assert PHONE not in str(failure.value)
    assert gateway.stats()["accepted"] == 0
    # Another number is not limited.
    assert sender().send(sms(id=42, to="13900000000")).gateway == sender.name


@pytest.mark.parametrize("sender", SENDERS)
def test_a_refused_number_fails_for_good(gateway, sender):
    gateway.answer("refuse", number=PHONE)
    with pytest.raises(PermanentFailure) as failure:
        sender().send(sms())
    reason = str(failure.value)
    assert ("MOBILE_NUMBER_ILLEGAL" in reason) or ("PhoneNumberInBlacklist" in reason)
    assert PHONE not in reason


@pytest.mark.parametrize("sender", SENDERS)
def test_a_gateway_that_does_not_answer_in_time_is_retried(gateway, sender):
    gateway.answer("timeout")
    with pytest.raises(TemporaryFailure, match="超时"):
        sender().send(sms())
    assert gateway.stats()["accepted"] == 0


@pytest.mark.parametrize("sender", SENDERS)
def test_a_500_from_the_gateway_is_retried(gateway, sender):
    gateway.answer("error500")
    with pytest.raises(TemporaryFailure, match="HTTP 500"):
        sender().send(sms())


@pytest.mark.parametrize("sender", SENDERS)
def test_a_gateway_that_is_down_is_retried(gateway, settings, sender):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    settings.OPENDAY_ALIYUN_SMS_ENDPOINT = settings.OPENDAY_TENCENT_SMS_ENDPOINT = closed
    with pytest.raises(TemporaryFailure, match="连接失败"):
        sender().send(sms())


@pytest.mark.parametrize("sender", SENDERS)
def test_many_messages_from_many_threads_are_each_taken_once(gateway, sender, settings):
    # As the worker sends: a thread pool per batch, connections kept between batches. Not a
    # test of timeouts: on a loaded machine the fixture's 0.5 s would fail a slow answer.
    settings.OPENDAY_SMS_TIMEOUT_SECONDS = 30
    for batch in range(3):
        ids = range(batch * 20 + 1, batch * 20 + 21)
        with ThreadPoolExecutor(8) as pool:
            sent = list(pool.map(lambda i: sender().send(sms(id=i)), ids))
        assert all(s.gateway == sender.name for s in sent)
    stats = gateway.stats()
    assert stats["accepted"] == 60 and stats["duplicates"] == []
    assert set(stats["by_id"]) == {str(i) for i in range(1, 61)}


def test_a_missing_configuration_fails_for_good_without_a_request(gateway, settings):
    settings.OPENDAY_ALIYUN_ACCESS_KEY_ID = ""
    settings.OPENDAY_TENCENT_SMS_SDK_APP_ID = ""
    for sender in SENDERS:
        with pytest.raises(PermanentFailure, match="未配置"):
            sender().send(sms())
    assert gateway.stats()["requests"] == 0


def test_rate_limit_windows_set_the_wait():
    aliyun = gateways.AliyunSmsSender()
    hour = json.dumps({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"})
    with pytest.raises(TemporaryFailure) as failure:
        aliyun.outcome(sms(), 200, hour.encode())
    assert failure.value.retry_after == 3600
    day = json.dumps({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控Permits:10"})
    with pytest.raises(TemporaryFailure) as failure:
        aliyun.outcome(sms(), 200, day.encode())
    assert 0 < failure.value.retry_after <= 24 * 3600 + 600
    throttled = json.dumps({"Code": "Throttling.User", "Message": "Request was denied"})
    with pytest.raises(TemporaryFailure):
        aliyun.outcome(sms(), 400, throttled.encode())
    tencent = gateways.TencentSmsSender()
    limited = {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "too many"}}}
    with pytest.raises(TemporaryFailure):
        tencent.outcome(sms(), 200, json.dumps(limited).encode())


# --- SMTP -------------------------------------------------------------------------------------


class SmtpServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for smtplib: refuses the addresses in `refused` (550) and `busy` (450)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.received, self.refused, self.busy = [], set(), set()
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 fake ESMTP")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake")
            elif verb == "MAIL":
                sender, recipients = command, []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>")
                if address in self.server.refused:
                    self.reply(f"550 5.1.1 <{address}>: Recipient address rejected")
                elif address in self.server.busy:
                    self.reply(f"450 4.2.1 <{address}>: Mailbox busy, try later")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                self.server.received.append((sender, recipients, b"".join(data)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "openday@example.gov.cn"
    yield server
    server.shutdown()
    server.server_close()


def email(to="wang.fang@example.com"):
    return Outgoing(
        id=7, channel="email", to=to, subject="申报提醒", body="请于本周五前提交申报表。"
    )


def test_an_email_goes_out_through_smtp(smtp):
    assert gateways.SmtpEmailSender().send(email()) == Sent("smtp")
    (sender, recipients, data) = smtp.received[0]
    assert "openday@example.gov.cn" in sender
    assert recipients == ["wang.fang@example.com"]
    assert b"Subject: =?utf-8?" in data


def test_a_refused_email_address_fails_for_good_without_showing_it(smtp):
    smtp.refused.add("wang.fang@example.com")
    with pytest.raises(PermanentFailure) as failure:
        gateways.SmtpEmailSender().send(email())
    assert "550" in str(failure.value)
    assert "wang.fang@example.com" not in str(failure.value)
    assert smtp.received == []


def test_a_busy_mailbox_is_retried(smtp):
    smtp.busy.add("wang.fang@example.com")
    with pytest.raises(TemporaryFailure, match="450"):
        gateways.SmtpEmailSender().send(email())


def test_an_smtp_server_that_is_down_is_retried(smtp, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = s.getsockname()[1]
    with pytest.raises(TemporaryFailure, match="SMTP"):
        gateways.SmtpEmailSender().send(email())


# --- Delivery receipts ---------------------------------------------------------------------------

TOKEN = "r3ceipt-t0ken-for-tests"


@pytest.fixture
def receipts_on(settings):
    settings.OPENDAY_SMS_RECEIPT_TOKEN = TOKEN


def outbox(gateway, gateway_message_id):
    return OutboundMessage.objects.create(
        channel="sms",
        to_encrypted="x",
        to_masked=MASKED,
        body="您报名的活动明天开始。",
        status="sent",
        gateway=gateway,
        gateway_message_id=gateway_message_id,
    )


def post(client, url, payload):
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return client.post(url, body, content_type="application/json")


def test_an_aliyun_receipt_marks_the_message_delivered(db, client, receipts_on):
    delivered, lost = outbox("aliyun", "900619746936498440^0"), outbox("aliyun", "9007^0")
    response = post(
        client,
        f"/hooks/sms/aliyun/{TOKEN}/",
        [
            {
                "phone_number": PHONE,
                "send_time": "2026-06-01 09:00:00",
                "report_time": "2026-06-01 09:00:05",
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": "900619746936498440^0",
                "out_id": str(delivered.pk),
            },
            {
                "phone_number": PHONE,
                "send_time": "2026-06-01 09:00:00",
                "report_time": "2026-06-01 09:00:09",
                "success": False,
                "err_code": "MK:0001",
                "err_msg": "空号",
                "sms_size": "1",
                "biz_id": "9007^0",
                "out_id": str(lost.pk),
            },
            {
                "phone_number": PHONE,
                "report_time": "2026-06-01 09:00:09",
                "success": True,
                "biz_id": "someone-elses^0",
            },
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "接收成功"}
    delivered.refresh_from_db()
    lost.refresh_from_db()
    assert delivered.receipt == "delivered" and delivered.receipt_error == ""
    assert delivered.receipt_at.isoformat() == "2026-06-01T01:00:05+00:00"
    assert lost.receipt == "undelivered" and lost.receipt_error == "MK:0001 空号"


def test_a_tencent_receipt_marks_the_message_undelivered(db, client, receipts_on):
    message = outbox("tencent", "2433:12345678901234567890")
    response = post(
        client,
        f"/hooks/sms/tencent/{TOKEN}/",
        [
            {
                "user_receive_time": "2026-06-01 09:00:05",
                "nationcode": "86",
                "mobile": PHONE,
                "report_status": "FAIL",
                "errmsg": "MN:0001",
                "description": "用户空号",
                "sid": "2433:12345678901234567890",
            }
        ],
    )
    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert message.receipt == "undelivered" and message.receipt_error == "MN:0001 用户空号"
    response = post(
        client,
        f"/hooks/sms/tencent/{TOKEN}/",
        [
            {
                "user_receive_time": "2026-06-01 09:01:00",
                "report_status": "SUCCESS",
                "errmsg": "DELIVRD",
                "description": "用户短信送达成功",
                "sid": message.gateway_message_id,
            }
        ],
    )
    message.refresh_from_db()
    assert message.receipt == "delivered" and message.receipt_error == ""


def test_a_receipt_never_matches_the_other_gateways_message(db, client, receipts_on):
    message = outbox("tencent", "same-id")
    post(client, f"/hooks/sms/aliyun/{TOKEN}/", [{"biz_id": "same-id", "success": True}])
    message.refresh_from_db()
    assert message.receipt == ""


@pytest.mark.parametrize("gateway", ["aliyun", "tencent"])
def test_a_wrong_token_gets_404_and_changes_nothing(db, client, receipts_on, gateway):
    message = outbox(gateway, "1^0")
    item = {"biz_id": "1^0", "success": True, "sid": "1^0", "report_status": "SUCCESS"}
    assert post(client, f"/hooks/sms/{gateway}/wrong/", [item]).status_code == 404
    message.refresh_from_db()
    assert message.receipt == ""


@pytest.mark.parametrize("gateway", ["aliyun", "tencent"])
def test_the_hooks_are_off_without_a_token_setting(db, client, settings, gateway):
    settings.OPENDAY_SMS_RECEIPT_TOKEN = ""
    assert post(client, f"/hooks/sms/{gateway}/anything/", []).status_code == 404
    assert post(client, f"/hooks/sms/{gateway}//", []).status_code == 404


@pytest.mark.parametrize("gateway", ["aliyun", "tencent"])
@pytest.mark.parametrize(
    "body", ["not json", '{"biz_id": "1"}', "[1, 2]", '[{"success": true}]', '[{"sid": "1"}]']
)
def test_a_malformed_receipt_gets_400(db, client, receipts_on, gateway, body):
    response = post(client, f"/hooks/sms/{gateway}/{TOKEN}/", body)
    assert response.status_code == 400


def test_the_hooks_take_only_post(db, client, receipts_on):
    assert client.get(f"/hooks/sms/aliyun/{TOKEN}/").status_code == 405
    assert client.get(f"/hooks/sms/tencent/{TOKEN}/").status_code == 405


# --- Logs ---------------------------------------------------------------------------------------


def test_the_log_sender_never_writes_the_full_number(caplog):
    with caplog.at_level(logging.INFO, logger="openday.messages"):
        LogSender().send(sms())
    assert MASKED in caplog.text
    assert PHONE not in caplog.text


def test_the_gateways_never_log_the_full_number_or_a_secret(gateway, caplog):
    with caplog.at_level(logging.DEBUG):
        for sender in SENDERS:
            sender().send(sms(id=1))
            gateway.answer("refuse")
            with pytest.raises(PermanentFailure):
                sender().send(sms(id=2))
            gateway.answer("ok")
    assert MASKED in caplog.text
    for secret in (PHONE, ALIYUN_KEY[1], TENCENT_KEY[1]):
        assert secret not in caplog.text
