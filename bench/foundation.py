"""Foundation figures: health check rate, staff org-list latency, sign-in cost.

Runs a real `openday serve` (granian, 4 blocking threads) on 127.0.0.1 against a scratch
database and drives it from this process with a bounded number of requests.

    .venv/bin/python bench/foundation.py            # SQLite in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/openday_bench .venv/bin/python bench/foundation.py
"""

import http.cookiejar
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UNITS = int(os.environ.get("BENCH_UNITS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openday(env, *args):
    return subprocess.run(
        [str(BIN / "openday"), *args], env=env, check=True, capture_output=True, text=True
    )


def prepare(env):
    openday(env, "migrate", "--noinput", "-v", "0")
    openday(env, "demo")
    password = "Bench-Pass-2026!"
    script = f"""
from openday.accounts.models import User
from openday.orgs.models import Org
from openday.orgs.services import _set_path
u = User.objects.get(username="kf-office"); u.set_password("{password}"); u.save()
office = Org.objects.get(name="开福区政务公开政务服务工作领导小组办公室")
have = Org.objects.filter(parent=office).count()
for i in range(have, {UNITS}):
    o = Org.objects.create(name=f"压测单位{{i:05d}}", kind="unit", parent=office, region=office.region)
    _set_path(o)
"""
    openday(env, "shell", "-c", script)
    return "kf-office", password


def wait_up(base, proc):
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("server exited; see its log: " + str(proc.log_path))
        try:
            urllib.request.urlopen(base + "/api/v1/health", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def hammer(fn, count, concurrency):
    latencies, errors = [], 0

    def one(_):
        started = time.perf_counter()
        ok = fn()
        return time.perf_counter() - started, ok

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for elapsed, ok in pool.map(one, range(count)):
            latencies.append(elapsed)
            errors += 0 if ok else 1
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "count": count,
        "errors": errors,
        "rate": count / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def signed_in_opener(base, username, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/staff/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    req = urllib.request.Request(base + "/staff/login/", data=data, headers={"Referer": base})
    opener.open(req).read()
    return opener


def main():
    tmp = tempfile.mkdtemp(prefix="openday-bench-")
    env = dict(os.environ, OPENDAY_VAR_DIR=tmp, OPENDAY_LOG_LEVEL="WARNING")
    env.pop("OPENDAY_TESTING", None)
    if env.get("DATABASE_URL"):
        db = "PostgreSQL"
        import psycopg

        url = env["DATABASE_URL"]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        db = "SQLite"
    username, password = prepare(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "openday"), "serve"],
        env=dict(env, PORT=str(port), HOST="127.0.0.1", OPENDAY_LOG_LEVEL="warning"),
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: an unread pipe fills up and stalls the server mid-run.
        stderr=open(Path(tmp) / "server.log", "wb"),
    )
    server.log_path = Path(tmp) / "server.log"
    try:
        wait_up(base, server)

        def health():
            with urllib.request.urlopen(base + "/api/v1/health", timeout=10) as r:
                return r.status == 200

        opener = signed_in_opener(base, username, password)

        def org_list():
            with opener.open(base + "/staff/orgs/?page=3", timeout=10) as r:
                return r.status == 200 and "压测单位" in r.read().decode()

        def sign_in():
            try:
                signed_in_opener(base, username, password)
                return True
            except OSError:
                return False

        hammer(health, 100, 4)  # warm up
        results = {
            "GET /api/v1/health": hammer(health, REQUESTS, CONCURRENCY),
            f"GET /staff/orgs/ ({UNITS}+ orgs, page 3)": hammer(
                org_list, REQUESTS // 4, CONCURRENCY
            ),
            "sign-in (GET form + POST, Argon2)": hammer(sign_in, 60, 4),
        }
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"database: {db}; server: openday serve (granian WSGI, 1 worker, 4 blocking threads)")
    print(f"{'what':46} {'n':>6} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for what, r in results.items():
        print(
            f"{what:46} {r['count']:>6} {r['errors']:>4} {r['rate']:>8.1f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
        )


if __name__ == "__main__":
    main()
