"""The operators' status page and /api/v1/health: the unattended half, visible."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.messaging.models import OutboundMessage
from openday.messaging.services import queue_message
from openday.ops.housekeeping import Step, run_housekeeping
from openday.ops.models import WorkerHeartbeat

from .conftest import PERSONAS


def _broken():
    raise RuntimeError("磁盘已满")


@pytest.fixture
def trouble(world):
    """A failed housekeeping step, a failed SMS, an old unsent email and no live worker."""
    run_housekeeping(
        steps=[
            Step("sessions", "清理过期会话", lambda: 0),
            Step("anonymize_events", "匿名化", _broken),
        ]
    )
    failed = queue_message("sms", "13812345678", "", "失败的短信")
    OutboundMessage.objects.filter(pk=failed.pk).update(status="failed", error="号码无效 isv.X")
    late = queue_message("email", "a@example.com", "主题", "正文")
    OutboundMessage.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    return failed


def test_the_operator_sees_what_needs_doing(world, client, trouble):
    world.client_for(client, "operator")
    page = client.get("/staff/status/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    for words in (
        "需要处理的问题",
        "没有正在运行的后台任务进程",
        "最近一次例行维护有步骤失败：匿名化过期活动的报名和邀请",
        "有邮件等待发送已超过 30 分钟",
        "有 1 条短信发送失败",
        "RuntimeError: 磁盘已满",
        "138****5678",
        "号码无效 isv.X",
    ):
        assert words in text, words
    assert "13812345678" not in text


def test_all_is_well_when_a_worker_beats_and_housekeeping_succeeded(world, client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w", host="app1", pid=1, started_at=now, seen_at=now)
    run_housekeeping()
    world.client_for(client, "operator")
    text = client.get("/staff/status/").content.decode()
    assert "一切正常" in text and "app1 / 1" in text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_retrying_failed_messages_as(world, client, trouble, persona):
    response = world.client_for(client, persona).post("/staff/status/retry-messages/")
    allowed = persona == "operator"
    expected = 302 if persona == "anonymous" or allowed else 403
    assert response.status_code == expected
    trouble.refresh_from_db()
    assert (trouble.status == "pending") is allowed
    assert AuditEntry.objects.filter(action="message.retry").exists() is allowed


def test_retrying_only_the_ticked_messages(world, client, trouble):
    other = queue_message("sms", "13812345679", "", "另一条")
    OutboundMessage.objects.filter(pk=other.pk).update(status="failed")
    world.client_for(client, "operator")
    client.post("/staff/status/retry-messages/", {"message": [str(other.pk), "x"]})
    assert set(OutboundMessage.objects.filter(status="failed").values_list("pk", flat=True)) == {
        trouble.pk
    }


def test_health_has_the_same_facts_without_hosts_or_errors(world, client, trouble):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "degraded" and body["database"]["ok"]
    assert body["housekeeping"]["ok"] is False
    assert body["housekeeping"]["failed_steps"] == ["anonymize_events"]
    assert body["housekeeping"]["steps"] == {"sessions": True, "anonymize_events": False}
    assert body["workers"] == {"live": 0}
    assert body["messages"]["sms"]["failed"] == 1
    assert body["messages"]["email"]["unsent"] == 1
    assert body["messages"]["email"]["oldest_unsent_seconds"] >= 1800
    assert set(body["tasks"]) >= {"ready", "running", "failed", "oldest_ready_seconds"}
    assert body["cache"]["ok"] and body["disk"]["free_bytes"] > 0
    assert "磁盘已满" not in str(body) and "138" not in str(body["messages"])


def test_health_is_ok_on_a_quiet_healthy_install(world, client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w", host="h", pid=1, started_at=now, seen_at=now)
    run_housekeeping()
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.json()["problems"] == []
