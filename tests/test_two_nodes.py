"""Two app nodes sharing PostgreSQL and Redis (#21): two `openday serve` processes and a worker.

Registrations sent to both nodes at once never oversell; the event page on one node shows the
seats and the changes made through the other at once (the page cache's versions live in the
database, seats are counted per request); a per-address limit counts across both nodes.
"""

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.processes import REPO, child_env, start_worker, stop, wait_for

REDIS = ("127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/7"
CAPACITY = 10


def _reachable(address):
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""  # not listening (yet)


def _node(tmp_path, name, port):
    env = child_env(
        PORT=port,
        HOST="127.0.0.1",
        WEB_WORKERS=1,
        WEB_THREADS=4,
        REDIS_URL=REDIS_URL,
        OPENDAY_LOG_LEVEL="warning",
        OPENDAY_RATE_LIMITS=json.dumps({"opinion.address": "6/600"}),
    )
    out = open(tmp_path / f"{name}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "openday", "serve"],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.django_db(transaction=True)
def test_two_nodes_share_seats_pages_and_limits(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "需要 PostgreSQL：多台应用服务器必须共用 PostgreSQL（本用例在 PostgreSQL 阶段运行）"
        )
    if not _reachable(REDIS):
        pytest.skip("需要 Redis（127.0.0.1:6379）：多台应用服务器共用缓存")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    from openday.demo.services import load_demo
    from openday.events import services
    from openday.events.models import Registration
    from openday.orgs.models import Org

    load_demo()
    unit = Org.objects.get(name="开福区住房和城乡建设局")
    start = timezone.now() + timedelta(days=3)
    event = services.create_event(
        None,
        unit,
        title="两台节点共用的活动",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        venues=[{"name": "会场"}],
        capacity=CAPACITY,
        quotas={"public": CAPACITY},
        waitlist_limit=0,
        publish=True,
    )
    a_port, b_port = _free_port(), _free_port()
    nodes = [_node(tmp_path, "a", a_port), _node(tmp_path, "b", b_port)]
    worker = start_worker(tmp_path / "worker.log", env=child_env(REDIS_URL=REDIS_URL))
    try:
        for port in (a_port, b_port):
            wait_for(
                lambda p=port: _call(p, "GET", "/api/v1/health")[0] == 200,
                timeout=60,
                what=f"node on {port}",
            )
        page = f"/events/{event.pk}/"
        # Node B renders and caches the page before anyone registers.
        status, html = _call(b_port, "GET", page)
        assert status == 200 and f"剩余 {CAPACITY} 人" in html

        # 1. Registrations through both nodes at once: never more than the seats.
        def register(n):
            port = a_port if n % 2 else b_port
            body = {
                "name": f"人{n}",
                "phone": f"1370000{n:04d}",
                "category": "public",
                "consent": True,
            }
            return _call(port, "POST", f"/api/v1/events/{event.pk}/registrations", body)[0]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(register, range(3 * CAPACITY)))
        assert answers.count(201) == CAPACITY, answers
        assert set(answers) <= {201, 409}, answers
        confirmed = Registration.objects.filter(event=event, status="confirmed")
        assert confirmed.count() == CAPACITY

        # 2. Node B's cached page shows the seats at once, without any version bump.
        status, html = _call(b_port, "GET", page)
        assert "剩余 0 人" in html and f"剩余 {CAPACITY} 人" not in html

        # A cancellation through node A frees a seat that node B shows at once.
        ticket = confirmed.first().ticket_code
        assert _call(a_port, "DELETE", f"/api/v1/registrations/{ticket}")[0] == 200
        assert "剩余 1 人" in _call(b_port, "GET", page)[1]

        # A staff change (here in a third process) reaches both nodes' caches at once.
        services.update_event(None, event, title="两台节点共用的活动（改期）")
        for port in (a_port, b_port):
            assert "两台节点共用的活动（改期）" in _call(port, "GET", page)[1]

        # 3. A per-address limit (6 opinions a window, from this one address) counts across nodes.
        codes = []
        for n in range(8):
            port = a_port if n % 2 else b_port
            body = {
                "content": f"第{n}条意见：建议增加周末开放时间。",
                "office_id": unit.parent_id,
                "anonymous": True,
            }
            codes.append(_call(port, "POST", "/api/v1/opinions", body)[0])
        assert codes[:6] == [201] * 6 and codes[6:] == [429, 429], codes
    finally:
        for process in [*nodes, worker]:
            stop(process)
