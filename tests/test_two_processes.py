"""Two application processes registering for one event at once, on PostgreSQL.

Production runs several granian workers (and possibly several nodes) against one database;
the seat rule must hold across processes, not only across threads of one process.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from openday.demo.services import load_demo
from openday.events import services
from openday.events.models import Registration
from openday.orgs.models import Org

CHILD = r"""
import json, os, sys, threading
import django
django.setup()
from django.db import connection
from openday.events import services
event_id, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out, lock = [], threading.Lock()
def go(n):
    try:
        r = services.register(event_id, name=f"人{n}", phone=f"1360000{n:04d}",
                              category="deputy" if n % 4 == 0 else "public", consent=True)
        code = r.status
    except services.Refused as exc:
        code = exc.code
    finally:
        connection.close()
    with lock:
        out.append([n, code])
# Every phone is sent by both processes: a retry from another node must not double up.
threads = [threading.Thread(target=go, args=(n,)) for n in range(first, first + count)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(out))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_never_oversell_or_double_count():
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：SQLite 部署只有一个应用进程（本用例在 PostgreSQL 阶段运行）")
    load_demo()
    unit = Org.objects.get(name="开福区住房和城乡建设局")
    start = timezone.now() + timedelta(days=3)
    event = services.create_event(
        None, unit, title="两进程并发", starts_at=start, ends_at=start + timedelta(hours=1),
        venues=[{"name": "会场"}], capacity=10, quotas={"public": 7, "deputy": 3},
        waitlist_limit=5, publish=True,
    )  # fmt: skip
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env = dict(os.environ, DATABASE_URL=url, OPENDAY_DB_POOL="0", OPENDAY_TESTING="1",
               DJANGO_SETTINGS_MODULE="openday.settings")  # fmt: skip
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(event.pk), "0", "20"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        outcomes += json.loads(out.strip().splitlines()[-1])
    assert len(outcomes) == 40
    active = Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
    confirmed = active.filter(status="confirmed")
    assert confirmed.count() == 10
    assert confirmed.filter(category="public").count() == 7
    assert confirmed.filter(category="deputy").count() == 3
    assert active.filter(status="waitlisted").count() == 5
    # Both processes sent every phone; each phone holds at most one active registration.
    assert active.values("phone_hash").distinct().count() == active.count() == 15
    codes = {code for _n, code in outcomes}
    assert codes <= {"confirmed", "waitlisted", "duplicate", "full", "quota_full"}
