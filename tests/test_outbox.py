"""The outbox: every message is delivered by the worker, retried with backoff, sent once."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from openday.messaging import kinds, services
from openday.messaging.models import OutboundMessage
from openday.messaging.senders import (
    LogSender,
    MemorySender,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
)

Status = OutboundMessage.Status


@pytest.fixture
def outbox(settings):
    settings.OPENDAY_SMS_SENDER = "memory"
    settings.OPENDAY_EMAIL_SENDER = "memory"
    MemorySender.outbox = []
    return MemorySender.outbox


class Scripted:
    """A sender whose answers a test sets: a list of outcomes, one per call."""

    name = "scripted"
    answers: list = []
    calls: list = []

    def send(self, message):
        Scripted.calls.append(message.id)
        answer = Scripted.answers.pop(0) if Scripted.answers else Sent("scripted", "ok")
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def scripted(settings):
    settings.OPENDAY_SMS_SENDER = "tests.test_outbox.Scripted"
    Scripted.answers, Scripted.calls = [], []
    return Scripted


def test_a_message_is_recorded_and_sent_once_by_the_delivery_loop(db, outbox):
    message = services.queue_message("sms", "13812345678", "", "报名成功")
    assert message.status == Status.PENDING and outbox == []  # nothing on the request path
    assert services.deliver_due() == {"claimed": 1, "sent": 1, "retrying": 0, "failed": 0}
    assert services.deliver_due()["claimed"] == 0
    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at and message.attempts == 1
    assert message.gateway == "memory" and message.gateway_message_id == f"mem-{message.pk}"
    assert [m["to"] for m in outbox] == ["13812345678"]


def test_a_rolled_back_transaction_sends_nothing(db, outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_message("sms", "13812345678", "", "不会发出")
        raise RuntimeError
    assert services.deliver_all_due() == 0 and outbox == []


def test_a_temporary_failure_is_retried_with_growing_waits_then_fails(db, scripted, settings):
    settings.OPENDAY_DELIVERY_MAX_ATTEMPTS = 3
    settings.OPENDAY_DELIVERY_BACKOFF_SECONDS = 10
    message = services.queue_message("sms", "13812345678", "", "内容")
    scripted.answers = [TemporaryFailure("网关限流 isv.BUSINESS_LIMIT_CONTROL")] * 3
    waits = []
    for attempt in (1, 2):
        assert services.deliver_due()["retrying"] == 1
        message.refresh_from_db()
        assert message.status == Status.PENDING and message.attempts == attempt
        assert "BUSINESS_LIMIT_CONTROL" in message.error
        waits.append((message.next_attempt_at - timezone.now()).total_seconds())
        assert services.deliver_due()["claimed"] == 0  # not before its time
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert 7 <= waits[0] <= 12 and 15 <= waits[1] <= 24  # 10 s, then 20 s, ±20 %
    assert services.deliver_due()["failed"] == 1  # the third try was the last
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 3
    assert len(scripted.calls) == 3


def test_the_gateways_retry_after_is_respected(db, scripted, settings):
    settings.OPENDAY_DELIVERY_BACKOFF_SECONDS = 1
    message = services.queue_message("sms", "13812345678", "", "内容")
    scripted.answers = [TemporaryFailure("限流", retry_after=600)]
    services.deliver_due()
    message.refresh_from_db()
    assert (message.next_attempt_at - timezone.now()).total_seconds() > 590


def test_the_backoff_is_capped(settings):
    settings.OPENDAY_DELIVERY_BACKOFF_SECONDS = 30
    settings.OPENDAY_DELIVERY_BACKOFF_MAX_SECONDS = 3600
    assert services.backoff_seconds(30) <= 3600 * 1.2


def test_a_permanent_failure_fails_at_once_with_the_reason(db, scripted):
    message = services.queue_message("sms", "13812345678", "", "内容")
    scripted.answers = [PermanentFailure("号码无效 isv.MOBILE_NUMBER_ILLEGAL")]
    assert services.deliver_due()["failed"] == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED and "MOBILE_NUMBER_ILLEGAL" in message.error
    assert services.deliver_all_due() == 0  # never tried again by itself
    assert services.retry_failed([message.pk]) == 1  # until an operator says so
    assert services.deliver_all_due() == 1


def test_an_unexpected_sender_error_is_retried_not_lost(db, scripted, caplog):
    message = services.queue_message("sms", "13812345678", "", "内容")
    scripted.answers = [KeyError("boom")]
    assert services.deliver_due()["retrying"] == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING and "KeyError" in message.error


def test_a_message_whose_worker_died_mid_send_is_claimed_again_after_its_lease(db, outbox):
    message = services.queue_message("sms", "13812345678", "", "内容")
    [claimed] = services.claim_due()  # this "worker" dies here
    assert services.claim_due() == []  # the lease keeps others off
    OutboundMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.deliver_due()["sent"] == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    # The dead worker's late answer does not overwrite the outcome of the second try.
    services._record(claimed, TemporaryFailure("late"), timezone.now())
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_message_whose_recipient_cannot_be_decrypted_fails_with_a_reason(db, outbox):
    message = services.queue_message("sms", "13812345678", "", "内容")
    OutboundMessage.objects.filter(pk=message.pk).update(to_encrypted="")
    assert services.deliver_due()["failed"] == 1
    message.refresh_from_db()
    assert "无法解密" in message.error and outbox == []


def test_a_registration_confirmation_goes_through_the_outbox(
    world, outbox, django_capture_on_commit_callbacks
):
    from tests.test_events import make_event, reg

    event = make_event(world)
    with django_capture_on_commit_callbacks(execute=True):
        reg(event, 1)
    message = OutboundMessage.objects.get()  # on PostgreSQL, written by openday_register()
    registration = event.registrations.get()
    assert message.status == Status.PENDING and message.kind == "registration_confirmed"
    assert message.params == {"event": event.title, "ticket": registration.ticket_code}
    assert message.body == kinds.render("registration_confirmed", **message.params)
    assert services.deliver_all_due() == 1
    assert "成功报名" in outbox[0]["body"] and outbox[0]["to"] == "13900000001"


def test_the_log_sender_never_writes_the_full_number(caplog):
    with caplog.at_level(logging.INFO, logger="openday.messages"):
        LogSender().send(Outgoing(1, "sms", "13812345678", "", "正文"))
        LogSender().send(Outgoing(2, "email", "zhang.san@example.com", "主题", "正文"))
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
    assert "zhang.san@" not in caplog.text


def test_a_sender_of_the_old_interface_still_works(db, settings):
    sent = []

    class Old:
        def send(self, channel, to, subject, body):
            sent.append((channel, to, body))

    import tests.test_outbox as here

    here.OldSender = Old
    settings.OPENDAY_SMS_SENDER = ""
    settings.OPENDAY_SENDER = "tests.test_outbox.OldSender"
    services.queue_message("sms", "13812345678", "", "旧接口")
    assert services.deliver_all_due() == 1 and sent == [("sms", "13812345678", "旧接口")]


def test_the_outbox_figures_count_unsent_and_failed_per_channel(db):
    services.queue_message("sms", "13812345678", "", "a")
    failed = services.queue_message("email", "a@example.com", "s", "b")
    OutboundMessage.objects.filter(pk=failed.pk).update(status="failed")
    figures = services.outbox_figures()
    assert figures["sms"]["unsent"] == 1 and figures["sms"]["oldest_unsent_seconds"] >= 0
    assert figures["email"] == {
        "label": "邮件",
        "unsent": 0,
        "oldest_unsent_seconds": None,
        "failed": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_two_claimers_at_once_never_take_the_same_message(settings):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(channel="sms", to_encrypted="x", to_masked="x", body=str(i))
        for i in range(300)
    )
    taken = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def claim(n):
        try:
            barrier.wait()
            while batch := services.claim_due(limit=7):
                taken[n].extend(m.pk for m in batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == 300


def test_every_kind_renders_from_its_variables_and_a_bad_variable_is_refused():
    for kind in kinds.KINDS:
        names = kinds.variables(kind)
        assert names, kind
        text = kinds.render(kind, **{n: f"<{n}>" for n in names})
        assert all(f"<{n}>" in text for n in names)
    with pytest.raises(KeyError):
        kinds.render("opinion_result", code="X")  # the decision is missing


def test_a_message_of_a_kind_keeps_its_variables_for_template_gateways(db, outbox):
    message = services.queue_message(
        "sms", "13812345678", "", kind="opinion_result", params={"code": "ABC", "decision": "采纳"}
    )
    assert message.body.startswith("您提出的意见（查询码 ABC）已办理完毕，采纳情况：采纳。")
    services.deliver_all_due()
    assert outbox[0]["kind"] == "opinion_result"
    assert outbox[0]["params"] == {"code": "ABC", "decision": "采纳"}


def test_the_operators_guide_lists_every_kind_with_its_variables():
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "operator.md").read_text()
    for kind in kinds.KINDS:
        names = "、".join(f"`{n}`" for n in kinds.variables(kind))
        assert f"| `{kind}` | {kinds.label(kind)} | {names} |" in guide, kind
