"""What the benchmarks share: a scratch PostgreSQL database, a real `openday serve` on
127.0.0.1 with the bench views (bench/bench_urls.py), keep-alive HTTP clients on threads, and
latency figures.

Imported as `_harness` by the scripts in this folder (run as `python bench/<script>.py`).
"""

import gc
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 30  # seconds per request
PHASE_DEADLINE = 300  # seconds per HTTP phase; requests not started by then count as errors
# 2 app processes x 4 blocking threads, a pool of 8 connections each: as deployed on one box.
# The URLs are bench/bench_urls.py (the site plus the bare insert /bench/insert/), imported
# from the repository root whatever directory the script was started from.
SERVER_ENV = {
    "WEB_WORKERS": "2",
    "WEB_THREADS": "4",
    "OPENDAY_LOG_LEVEL": "warning",
    "OPENDAY_DB_POOL_SIZE": "8",
    "OPENDAY_ROOT_URLCONF": "bench.bench_urls",
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openday(env, *args):
    try:
        return subprocess.run([str(BIN / "openday"), *args], env=env, check=True,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"openday {args[0]} failed:\n{exc.stdout}\n{exc.stderr}") from exc


def admin_url(url):
    return url.rsplit("/", 1)[0] + "/postgres"


def recreate_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url(url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url(url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_up(port, proc, log):
    for _ in range(150):
        if proc.poll() is not None:
            raise SystemExit("server exited: " + log.read_text(errors="replace")[-2000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start within 30 s")


class Client:
    """One keep-alive HTTP/1.1 connection per thread; reconnects after a failure."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def request(self, method, path, body=None):
        """(status, parsed JSON or None); status 0 on a connection error."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.local.conn = None
            return 0, {"exception": type(exc).__name__}
        if response.will_close:
            conn.close()
            self.local.conn = None
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def hammer(fn, items, concurrency):
    """Run fn(item) for every item on `concurrency` threads; latencies and results in order."""
    deadline = time.monotonic() + PHASE_DEADLINE

    def one(item):
        if time.monotonic() > deadline:
            return None, ("skipped", None)
        started = time.perf_counter()
        result = fn(item)
        return time.perf_counter() - started, result

    # The client's own garbage collection would pause all its threads (a full collection took
    # 80 ms here) and add that to the server's latencies: collect now, not during the phase.
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            done = list(pool.map(one, items))
        wall = time.perf_counter() - started
    finally:
        gc.enable()
    latencies = sorted(d[0] for d in done if d[0] is not None)
    answered = sum(1 for d in done if d[0] is not None and d[1][0] != 0)
    return {
        "count": len(items),
        "wall": wall,
        # Requests that got an HTTP answer per second; connection errors do not count.
        "rate": answered / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else 0) * 1000,
        "results": [d[1] for d in done],
    }


def stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
