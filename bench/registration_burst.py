"""Registration burst: 2,000 sign-ups for one 200-seat event at concurrency 64.

Runs a real `openday serve` (granian, 2 workers x 4 blocking threads, DB pool 8 per worker)
on 127.0.0.1 against a scratch PostgreSQL database, fires the burst from threads in this
process (one keep-alive connection per thread), then checks on the database that no seat
or category quota was oversold and that duplicate retries created no second active row.
Finally it measures the same server's bare single-row insert (/bench/insert/) for scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/openday_bench_burst \
        .venv/bin/python bench/registration_burst.py

The client shares the machine with the server, so on few cores both figures are low;
the ratio of the two is the more portable number.
"""

import os
import platform
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import psycopg
from _harness import (
    BIN,
    SERVER_ENV,
    Client,
    free_port,
    hammer,
    openday,
    recreate_database,
    stop,
    wait_up,
)

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/openday_bench_burst"
)
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
RETRIES = int(os.environ.get("BENCH_RETRIES", "200"))
CAPACITY, QUOTAS, WAITLIST = 200, {"public": 150, "deputy": 50}, 100


def prepare(env):
    """Migrate, create an office, a unit under it and one open event; return the event id."""
    openday(env, "migrate", "--noinput", "-v", "0")
    script = f"""
from datetime import timedelta
from django.utils import timezone
from openday.events.services import create_event
from openday.orgs.models import Org
from openday.orgs.services import _set_path
office = Org.objects.create(name="压测政务公开办", kind="office")
_set_path(office)
unit = Org.objects.create(name="压测单位", kind="unit", parent=office)
_set_path(unit)
starts = timezone.now() + timedelta(days=7)
event = create_event(
    None, unit, title="压测活动", starts_at=starts, ends_at=starts + timedelta(hours=3),
    venues=[{{"name": "会场", "address": ""}}], capacity={CAPACITY}, quotas={QUOTAS!r},
    waitlist_limit={WAITLIST}, registration_mode="open", publish=True,
)
print("EVENT_ID", event.pk, event.status)
"""
    out = openday(env, "shell", "-c", script).stdout
    line = next(x for x in out.splitlines() if x.startswith("EVENT_ID"))
    _, event_id, status = line.split()
    if status != "open":
        raise SystemExit(f"event {event_id} is {status}, not open")
    return int(event_id)


def classify(status, body):
    """confirmed / waitlisted / 409:<code> / error:<what>."""
    if status == 201 and body and body.get("status") in ("confirmed", "waitlisted"):
        return body["status"]
    if status == 409 and body and "error" in body:
        code = body["error"].get("code")
        if code in ("full", "quota_full", "duplicate"):
            return f"409:{code}"
        return f"error:409 {code}"
    if status == 0:
        return f"error:connection {body['exception']}"
    if status == "skipped":
        return "error:skipped (deadline)"
    code = (body or {}).get("error", {}).get("code", "") if isinstance(body, dict) else ""
    return f"error:{status} {code}".rstrip()


def person(n):
    category = "deputy" if n % 5 == 0 else "public"  # 20 % deputies, 80 % public
    return {"name": f"压测{n}", "phone": f"13{n:09d}", "category": category, "consent": True}


def db_checks(event_id):
    with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT category, status, count(*) FROM events_registration"
            " WHERE event_id = %s GROUP BY category, status",
            [event_id],
        ).fetchall()
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT phone_hash FROM events_registration"
            " WHERE event_id = %s AND status IN ('confirmed', 'waitlisted', 'pending')"
            " GROUP BY phone_hash HAVING count(*) > 1) d",
            [event_id],
        ).fetchone()[0]
    by = Counter()
    for category, status, count in rows:
        by[(category, status)] += count
        by[("*", status)] += count
    return by, duplicates


def summarize_burst(label, run):
    kinds = Counter(classify(*r) for r in run["results"])
    print(
        f"{label}: n={run['count']} wall={run['wall']:.2f}s req/s={run['rate']:.1f} "
        f"p50={run['p50_ms']:.1f}ms p99={run['p99_ms']:.1f}ms max={run['max_ms']:.1f}ms"
    )
    for kind, count in sorted(kinds.items()):
        print(f"    {kind:32} {count:>6}")
    return kinds


def main():
    tmp = tempfile.mkdtemp(prefix="openday-burst-")
    env = dict(os.environ, OPENDAY_VAR_DIR=tmp, DATABASE_URL=DATABASE_URL)
    env.pop("OPENDAY_TESTING", None)
    recreate_database(DATABASE_URL)
    event_id = prepare(env)
    port = free_port()
    # A file, not a pipe: nobody reads a pipe during the run, and once the server's warnings
    # (every 409 is logged) fill its 64 KiB buffer, the workers block on the write.
    log = Path(tmp) / "server.log"
    log_file = log.open("wb")
    server = subprocess.Popen(
        [str(BIN / "openday"), "serve"],
        env=dict(env, PORT=str(port), HOST="127.0.0.1", **SERVER_ENV),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: granian spawns worker processes
    )
    client = Client(port)
    path = f"/api/v1/events/{event_id}/registrations"
    try:
        wait_up(port, server, log)
        # Warm-up: imports, URL resolver and the DB pools of both workers, no rows written.
        hammer(lambda _: client.request("GET", f"/api/v1/events/{event_id}"), range(200), 16)

        burst = hammer(
            lambda n: client.request("POST", path, person(n)), range(REQUESTS), CONCURRENCY
        )
        after_burst, dup_rows_burst = db_checks(event_id)

        # Duplicate retries: phones already sent, each twice and concurrently (a double click),
        # half from accepted requests (must be 409 duplicate), half from refused ones.
        accepted = [n for n, r in enumerate(burst["results"]) if classify(*r) in
                    ("confirmed", "waitlisted")]  # fmt: skip
        refused = [n for n, r in enumerate(burst["results"]) if classify(*r).startswith("409")]
        pick = accepted[: RETRIES // 4] + refused[: RETRIES // 4]
        retry_items = [n for n in pick for _ in range(2)]
        retries = hammer(
            lambda n: client.request("POST", path, person(n)), retry_items, CONCURRENCY
        )
        after_retries, dup_rows = db_checks(event_id)
        accepted_retried = set(accepted[: RETRIES // 4])
        retry_accepted_again = sum(
            1
            for n, r in zip(retry_items, retries["results"], strict=True)
            if n in accepted_retried and classify(*r) != "409:duplicate"
        )

        bare = hammer(
            lambda _: client.request("POST", "/bench/insert/", {}), range(REQUESTS), CONCURRENCY
        )
    finally:
        stop(server)
        log_file.close()

    with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (client and server share them), "
        f"Python {platform.python_version()}, PostgreSQL {pg_version}"
    )
    print(
        "server: openday serve (granian WSGI, 2 workers x 4 blocking threads, DB pool 8 per "
        f"worker); event {event_id}: capacity {CAPACITY}, quotas {QUOTAS}, waitlist {WAITLIST}"
    )
    print()
    kinds = summarize_burst(f"POST {path} (concurrency {CONCURRENCY})", burst)
    confirmed = after_burst[("*", "confirmed")]
    waitlisted = after_burst[("*", "waitlisted")]
    rejected = sum(v for k, v in kinds.items() if k.startswith("409:"))
    errors = sum(v for k, v in kinds.items() if k.startswith("error:"))
    oversold = max(0, after_retries[("*", "confirmed")] - CAPACITY)
    quota_oversold = sum(
        max(0, after_retries[(c, "confirmed")] - seats) for c, seats in QUOTAS.items()
    )
    print(
        f"  responses: confirmed {kinds['confirmed']}, waitlisted {kinds['waitlisted']}, "
        f"rejected (409) {rejected}, errors {errors}"
    )
    print(
        f"  database: confirmed {confirmed} (public {after_burst[('public', 'confirmed')]}, "
        f"deputy {after_burst[('deputy', 'confirmed')]}), waitlisted {waitlisted} "
        f"(public {after_burst[('public', 'waitlisted')]}, "
        f"deputy {after_burst[('deputy', 'waitlisted')]}), duplicate active phones "
        f"{dup_rows_burst}"
    )
    print(f"  oversold: {oversold}")
    print(f"  quota_oversold: {quota_oversold}")
    print()
    summarize_burst(
        f"duplicate retries ({len(pick)} phones x2, {len(accepted_retried)} of them accepted)",
        retries,
    )
    active_before = sum(after_burst[("*", s)] for s in ("confirmed", "waitlisted", "pending"))
    active_after = sum(after_retries[("*", s)] for s in ("confirmed", "waitlisted", "pending"))
    print(
        f"  active rows before {active_before}, after {active_after}; phones with >1 active row: "
        f"{dup_rows}; retries of accepted phones not answered 409 duplicate: "
        f"{retry_accepted_again}"
    )
    print()
    bare_kinds = Counter(
        "created" if status == 201 else classify(status, body) for status, body in bare["results"]
    )
    print(
        f"POST /bench/insert/ (concurrency {CONCURRENCY}): n={bare['count']} wall={bare['wall']:.2f}s "
        f"req/s={bare['rate']:.1f} p50={bare['p50_ms']:.1f}ms p99={bare['p99_ms']:.1f}ms "
        f"max={bare['max_ms']:.1f}ms"
    )
    for kind, count in sorted(bare_kinds.items()):
        print(f"    {kind:32} {count:>6}")
    ratio = burst["rate"] / bare["rate"] if bare["rate"] else float("nan")
    print(f"ratio registrations req/s / bare insert req/s: {ratio:.2f}")
    print()
    ok = (
        burst["rate"] >= 400
        and ratio >= 0.6
        and burst["p99_ms"] < 300
        and oversold == 0
        and quota_oversold == 0
        and errors == 0
        and dup_rows == 0
        and retry_accepted_again == 0
    )
    lines = log.read_text(errors="replace").splitlines()
    print(f"server log: {len(lines)} lines in {log}")
    for line in [x for x in lines if "Error" in x or "Traceback" in x][:5]:
        print(f"    {line[:160]}")
    print(
        f"summary: {burst['rate']:.0f} registrations/s (target >= 400), "
        f"{ratio:.2f} of bare insert {bare['rate']:.0f}/s (target >= 0.6), "
        f"p99 {burst['p99_ms']:.0f} ms (target < 300), oversold {oversold}, "
        f"quota_oversold {quota_oversold}, errors {errors}, duplicate active rows {dup_rows} "
        f"-> {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
