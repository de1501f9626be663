"""The public read path (issue #21): how many anonymous readers a node serves at once.

Runs a real `openday serve` on 127.0.0.1 against a scratch database filled by `openday demo`
and sends a bounded number of GETs per page from 32 keep-alive clients on threads: /privacy/
(a page with no query, the ceiling), the event page, the results board, the home page, the
campaign page and the special column. Prints req/s, p50, p99 and the ratio to /privacy/, and
PASS/FAIL against the target: the event page and the board at least 0.5x the /privacy/ rate
with p99 under 100 ms.

    .venv/bin/python bench/read_path.py                       # embedded default: SQLite, LocMem
    .venv/bin/python bench/read_path.py --postgres postgres://postgres@127.0.0.1:5432/openday_read
    .venv/bin/python bench/read_path.py --redis redis://127.0.0.1:6379/7
    BENCH_REQUESTS=4000 BENCH_CONCURRENCY=32 (the defaults)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _harness as h

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "4000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
TARGET_RATIO, TARGET_P99_MS = 0.5, 100.0
TARGETED = ("event", "board")

FIND = """
import json
from openday.campaigns.models import Campaign
from openday.events.models import Event
event = Event.objects.filter(status="open").order_by("-capacity", "id").first()
campaign = Campaign.objects.exclude(status="draft").order_by("-year", "id").first()
print(json.dumps({"event": event.pk, "campaign": campaign.pk}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database (dropped)")
    parser.add_argument("--redis", metavar="URL", help="a Redis database for the cache")
    parser.add_argument("--workers", default=os.environ.get("WEB_WORKERS", "1"))
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="openday-read-")
    env = {
        **os.environ,
        "OPENDAY_VAR_DIR": scratch,
        "OPENDAY_LOG_LEVEL": "warning",
        "WEB_WORKERS": str(args.workers),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "OPENDAY_ROOT_URLCONF"):
        env.pop(name, None)
    if args.postgres:
        h.recreate_database(args.postgres)
        env["DATABASE_URL"] = args.postgres
    if args.redis:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        env["REDIS_URL"] = args.redis
    h.openday(env, "migrate", "--noinput", "-v", "0")
    h.openday(env, "demo")
    ids = json.loads(h.openday(env, "shell", "-c", FIND).stdout.strip().splitlines()[-1])
    pages = {
        "privacy": "/privacy/",
        "event": f"/events/{ids['event']}/",
        "board": "/opinions/board/",
        "home": "/",
        "campaign": f"/campaigns/{ids['campaign']}/",
        "column": f"/campaigns/{ids['campaign']}/column/",
    }

    port = h.free_port()
    env.update(HOST="127.0.0.1", PORT=str(port))
    log = Path(scratch) / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(h.BIN / "openday"), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    figures = {}
    try:
        h.wait_up(port, server, log)
        client = h.Client(port)
        for name, path in pages.items():
            status, _ = client.request("GET", path)  # warm: the first render fills the cache
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            h.hammer(
                lambda _, p=path: client.request("GET", p), range(CONCURRENCY * 4), CONCURRENCY
            )
            result = h.hammer(
                lambda _, p=path: client.request("GET", p), range(REQUESTS), CONCURRENCY
            )
            bad = sum(1 for status, _ in result["results"] if status != 200)
            figures[name] = {**{k: v for k, v in result.items() if k != "results"}, "bad": bad}
    finally:
        h.stop(server)
        if args.postgres:
            h.drop_database(args.postgres)

    base = figures["privacy"]["rate"]
    db = "PostgreSQL" if args.postgres else "SQLite"
    cache = "Redis" if args.redis else "LocMem"
    print(
        f"# read path, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()} "
        f"({os.cpu_count()} CPUs, {platform.python_version()}), {db}, cache {cache}, "
        f"{args.workers} worker(s), {CONCURRENCY} readers, {REQUESTS} requests a page"
    )
    print(f"{'page':10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'errors':>6}")
    ok = True
    for name, f in figures.items():
        ratio = f["rate"] / base
        verdict = ""
        if name in TARGETED:
            passed = ratio >= TARGET_RATIO and f["p99_ms"] < TARGET_P99_MS and not f["bad"]
            ok = ok and passed
            verdict = "PASS" if passed else "FAIL"
        print(
            f"{name:10} {f['rate']:8.0f} {f['p50_ms']:8.1f} {f['p99_ms']:8.1f} "
            f"{ratio:6.2f} {f['bad']:6d} {verdict}"
        )
    print(
        f"target (event page, board: >= {TARGET_RATIO}x /privacy/, p99 < {TARGET_P99_MS:.0f} "
        f"ms): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
