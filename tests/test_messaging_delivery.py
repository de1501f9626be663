"""Recorded email/SMS reach the sender through one delivery task per burst, never twice."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from openday.messaging import services
from openday.messaging.models import OutboundMessage
from openday.messaging.senders import MemorySender
from openday.messaging.tasks import deliver_pending


@pytest.fixture
def outbox(settings):
    settings.OPENDAY_SENDER = "openday.messaging.senders.MemorySender"
    MemorySender.outbox = []
    return MemorySender.outbox


def _queued():
    return DBTaskResult.objects.filter(task_path=deliver_pending.module_path, status="READY")


def _record(n):
    """n messages, each in its own committed transaction, as n registrations would."""
    for i in range(n):
        with transaction.atomic():
            services.queue_message(OutboundMessage.Channel.SMS, f"1380000{i:04d}", "", f"短信{i}")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_messages_queues_one_task_that_sends_them_all(outbox):
    _record(20)
    assert _queued().count() == 1
    assert OutboundMessage.objects.filter(sent_at=None).count() == 20
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert sorted(m["body"] for m in outbox) == sorted(f"短信{i}" for i in range(20))
    assert not OutboundMessage.objects.filter(sent_at=None).exists()
    # Running the task again (a second worker, a retry) sends nothing twice.
    assert services.deliver_pending() == 0
    assert len(outbox) == 20


@pytest.mark.django_db(transaction=True)
def test_a_message_after_the_task_started_queues_another(outbox):
    _record(1)
    assert _queued().count() == 1
    assert services.deliver_pending() == 1  # the queued task runs: it clears the key first
    _record(1)
    assert _queued().count() == 2
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert len(outbox) == 2 and not OutboundMessage.objects.filter(sent_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_message_is_neither_queued_nor_sent(outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.queue_message(OutboundMessage.Channel.SMS, "13800001111", "", "不会发出")
        raise RuntimeError
    assert not _queued().exists() and cache.get(services.WAKE_KEY) is None
    assert services.deliver_pending() == 0 and outbox == []


@pytest.mark.django_db(transaction=True)
def test_without_the_cache_every_message_queues_its_own_task(outbox):
    with mock.patch.object(services.cache, "add", side_effect=ConnectionError("down")):
        _record(3)
    assert _queued().count() == 3
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert len(outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_a_failed_enqueue_lets_the_next_message_try_again(outbox):
    broken = mock.Mock(**{"enqueue.side_effect": RuntimeError("queue down")})
    with mock.patch("openday.messaging.tasks.deliver_pending", broken):
        with pytest.raises(RuntimeError):
            _record(1)
    assert cache.get(services.WAKE_KEY) is None
    _record(1)
    assert _queued().count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert len(outbox) == 2  # the second task also sends the message whose enqueue failed


@pytest.mark.django_db
def test_a_message_the_gateway_refused_is_not_retried_by_every_burst(outbox, settings):
    settings.OPENDAY_SENDER = "tests.test_messaging_delivery.FailingSender"
    with transaction.atomic():
        message = services.queue_message(OutboundMessage.Channel.SMS, "13800001111", "", "甲")
    assert services.deliver_pending() == 0
    message.refresh_from_db()
    assert message.sent_at is None and "网关" in message.error
    settings.OPENDAY_SENDER = "openday.messaging.senders.MemorySender"
    assert services.deliver_pending() == 0 and outbox == []


class FailingSender:
    def send(self, channel, to, subject, body):
        raise RuntimeError("网关拒绝")


@pytest.mark.django_db
def test_housekeeping_sends_a_message_whose_delivery_task_was_lost(outbox):
    from openday.accounts.tasks import housekeeping

    # Recorded and committed, but its task never ran (a worker killed before starting it).
    OutboundMessage.objects.create(channel="sms", to_encrypted=services.personal_data.encrypt(
        "13800002222"), to_masked="138****2222", body="丢失任务的短信")  # fmt: skip
    assert housekeeping.call()["messages_sent"] == 1
    assert [m["body"] for m in outbox] == ["丢失任务的短信"]
    assert housekeeping.call()["messages_sent"] == 0
