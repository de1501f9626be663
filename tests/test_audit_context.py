"""The audit context (openday/audit/context.py): services take no request, yet every audit entry
still says from which address, through which token, or by which command or task it was made."""

import ast
import threading
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from openday import cli
from openday.accounts.services import create_token
from openday.audit import context
from openday.audit.models import AuditEntry
from openday.audit.services import record
from tests import worker_probe

PACKAGE = Path(__file__).resolve().parent.parent / "openday"

# Functions outside the web layers that are about the request itself, not services: the access
# helpers that fetch an object for a view, middleware, the body-size cap, the address reader,
# the SMS receipt hook (a view of the messaging app), and signing in (Django's login needs it).
ABOUT_THE_REQUEST = {
    "evaluation/access.py": {"access_evaluation"},
    "orgs/access.py": {"access_org", "__call__"},
    "events/access.py": {"access_event"},
    "surveys/access.py": {"access_survey"},
    "opinions/access.py": {"access_opinion"},
    "publicity/access.py": {"access_article"},
    "campaigns/access.py": {"access_campaign", "access_declaration"},
    "audit/services.py": {"client_ip"},
    "audit/context.py": {"__call__"},
    "lib/request_limits.py": {"body_cap", "too_large", "__call__"},
    # The public page cache decides per request whether the generic page may be served.
    "lib/pagecache.py": {
        "_etag_matches",
        "rendering",
        "generic",
        "_personalize",
        "_render",
        "wrapped",
        "not_modified",
    },
    "lib/security_headers.py": {
        "__call__",
        "add_headers",
        "process_exception",
        "wrapped",
        "_view_name",
        "needs_no_store",
        "csp_nonce",
    },
    "ops/ratelimit.py": {"too_many_requests"},
    "messaging/receipts.py": {"_items", "view"},
    "messaging/fake_gateway.py": {"count"},  # a dict named request, the gateway's view of a call
    "accounts/services.py": {"sign_in", "_register_failure"},
}


def test_no_service_takes_the_request():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("portal", "control", "api") or "migrations" in relative.parts:
            continue
        allowed = ABOUT_THE_REQUEST.get(relative.as_posix(), set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                if "request" in {a.arg for a in args} and node.name not in allowed:
                    wrong.append(f"{relative}:{node.lineno} {node.name}")
    assert not wrong, "these take `request`; read audit.context instead:\n" + "\n".join(wrong)


def test_a_page_records_the_address_it_was_called_from(client, world):
    client.force_login(world.users["kf_office"])
    client.post("/staff/logout/", REMOTE_ADDR="203.0.113.7")
    entry = AuditEntry.objects.get(action="auth.logout")
    assert entry.ip == "203.0.113.7" and entry.actor == world.users["kf_office"]


def test_the_api_records_the_address_and_the_token(client, world):
    token, raw = create_token(world.users["unit_admin"])
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    payload = {
        "title": "住建局开放日",
        "unit_id": world.housing.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "venue": "项目现场",
        "capacity": 10,
        "quotas": {"public": 8},
        "registration_mode": "open",
    }
    answer = client.post(
        "/api/v1/events",
        payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert answer.status_code == 201
    entry = AuditEntry.objects.get(action="event.created")
    assert entry.ip == "198.51.100.9" and entry.actor == world.users["unit_admin"]
    assert entry.changes["via"] == f"API 令牌 {token.prefix}…"
    # The token's context ends with its request: the next entry of this thread has none.
    record("test.after")
    assert "via" not in AuditEntry.objects.get(action="test.after").changes


def test_the_audit_page_shows_how_an_entry_was_made(client, world):
    with context.bound(ip="192.0.2.1", token="od_AbCdEfG…"):
        record("auth.unlocked", actor=world.users["kf_office"], org=world.kaifu)
    client.force_login(world.users["kf_office"])
    page = client.get("/staff/audit/").content.decode()
    assert "经由：API 令牌 od_AbCdEfG…" in page and "192.0.2.1" in page


def test_a_command_names_itself_on_the_entries_it_writes(db):
    def writes_an_entry(argv):
        record("test.command")

    with mock.patch("django.core.management.execute_from_command_line", writes_an_entry):
        cli.manage(["openday", "housekeeping", "--now"])
    entry = AuditEntry.objects.get(action="test.command")
    assert entry.actor is None and entry.actor_label == "命令：openday housekeeping"
    record("test.outside")  # the command's context ended with it
    assert AuditEntry.objects.get(action="test.outside").actor_label == ""


@pytest.mark.django_db(transaction=True)
def test_a_task_names_itself_on_the_entries_it_writes():
    worker_probe.audit_probe.enqueue()
    worker = worker_probe.batch_worker("w-audit")
    worker.run()
    entry = AuditEntry.objects.get(action="test.probe")
    assert entry.actor is None and entry.actor_label == "任务：audit_probe"


def test_a_person_acting_is_named_over_the_origin(world):
    with context.bound(origin="命令：openday demo"):
        record("test.person", actor=world.users["kf_office"])
    assert AuditEntry.objects.get(action="test.person").actor_label == "kf-office"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_keep_their_own_context():
    """Each thread sees only the context it bound, however their steps interleave."""
    barrier = threading.Barrier(2)
    seen = {}

    def request(ip):
        with context.bound(ip=ip):
            barrier.wait(timeout=10)  # both are bound before either reads
            seen[ip] = context.current().ip
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=request, args=(ip,)) for ip in ("10.0.0.1", "10.0.0.2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"10.0.0.1": "10.0.0.1", "10.0.0.2": "10.0.0.2"}
    assert context.current().ip is None  # nothing leaked into this thread
