"""Two real worker processes empty the outbox into the fake gateway: every message once."""

import pytest
from django.db import connection

from openday.lib import personal_data
from openday.messaging.fake_gateway import ALIYUN_KEY, FakeGateway
from openday.messaging.models import OutboundMessage
from tests.processes import (
    child_env,
    start_worker,
    stop,
    wait_for,
    wait_for_other_sessions_to_end,
)

TEMPLATES = '{"default": {"code": "SMS_000001", "params": ["content"]}}'


def gateway_env(gateway, **extra):
    return child_env(
        OPENDAY_SMS_SENDER="aliyun",
        OPENDAY_ALIYUN_SMS_ENDPOINT=gateway.url,
        OPENDAY_ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY[0],
        OPENDAY_ALIYUN_ACCESS_KEY_SECRET=ALIYUN_KEY[1],
        OPENDAY_SMS_SIGN_NAME="开放日",
        OPENDAY_SMS_TEMPLATES=TEMPLATES,
        OPENDAY_HOUSEKEEPING_MINUTES="0",
        OPENDAY_DELIVERY_POLL_SECONDS="0.2",
        OPENDAY_DELIVERY_BACKOFF_SECONDS="1",
        **extra,
    )


def outbox(count, first_phone=13800000000):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            channel="sms",
            to_encrypted=personal_data.encrypt(str(first_phone + i)),
            to_masked="138****",
            body=f"第{i}条",
        )
        for i in range(count)
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_a_thousand_messages_each_exactly_once(tmp_path):
    outbox(1000)
    with FakeGateway() as gateway:
        env = gateway_env(gateway)
        workers = [start_worker(tmp_path / f"w{n}.log", env=env) for n in (1, 2)]
        try:
            sent = OutboundMessage.objects.filter(status="sent")
            wait_for(lambda: sent.count() == 1000, 180, every=0.5, what="all messages sent")
        finally:
            for worker in workers:
                stop(worker)
        stats = gateway.stats()
    wait_for_other_sessions_to_end()
    assert stats["accepted"] == 1000 and stats["duplicates"] == []
    assert stats["bad_signatures"] == 0
    ids = set(OutboundMessage.objects.values_list("pk", flat=True))
    assert {int(k) for k in stats["by_id"]} == ids
    assert not OutboundMessage.objects.exclude(status="sent").exists()
    assert set(OutboundMessage.objects.values_list("attempts", flat=True)) == {1}
    assert (
        OutboundMessage.objects.filter(gateway="aliyun").exclude(gateway_message_id="").count()
        == 1000
    )
    for n in (1, 2):
        assert "Traceback" not in (tmp_path / f"w{n}.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_a_gateway_outage_is_ridden_out_with_retries(tmp_path):
    outbox(20)
    with FakeGateway() as gateway:
        gateway.answer("error500")
        gateway.answer("refuse", number="13800000007")
        worker = start_worker(tmp_path / "w.log", env=gateway_env(gateway))
        try:
            retrying = OutboundMessage.objects.filter(status="pending").exclude(error="")
            wait_for(lambda: retrying.count() == 19, 60, what="the first tries to fail")
            gateway.answer("ok")  # the gateway is back; the refused number stays refused
            gateway.answer("refuse", number="13800000007")
            sent = OutboundMessage.objects.filter(status="sent")
            wait_for(lambda: sent.count() == 19, 60, what="the retries to succeed")
        finally:
            stop(worker)
        stats = gateway.stats()
    wait_for_other_sessions_to_end()
    refused = OutboundMessage.objects.get(status="failed")
    assert refused.attempts == 1 and refused.error
    assert stats["accepted"] == 19 and stats["duplicates"] == []
    assert connection.vendor in ("sqlite", "postgresql")
