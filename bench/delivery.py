"""Outbox delivery: messages/s with two `openday worker` processes against the fake gateway,
and the delay from commit to sent.

    python bench/delivery.py                      # SQLite in a scratch folder
    python bench/delivery.py --postgres postgres://postgres@127.0.0.1:5432/openday_bench

Phase 1 (throughput): the two workers are idle; N messages are committed at once; the figure
is N over the time from that commit until the last one is marked sent.
Phase 2 (delay): messages are committed one at a time at a steady rate for a fixed time;
the figures are percentiles of sent_at - created_at (created_at is set at the insert, which
commits at once). The fake gateway answers after --latency-ms, as a real one would.
Everything runs on 127.0.0.1 and stops by itself.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

REPO = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a scratch PostgreSQL database URL (dropped after)")
    parser.add_argument("--messages", type=int, default=5000, help="phase 1 burst size")
    parser.add_argument("--rate", type=float, default=50, help="phase 2 messages per second")
    parser.add_argument("--seconds", type=float, default=20, help="phase 2 duration")
    parser.add_argument("--latency-ms", type=int, default=5, help="the fake gateway's answer time")
    parser.add_argument("--concurrency", type=int, default=8, help="sends at once per worker")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="openday-delivery-")
    env = dict(os.environ, OPENDAY_VAR_DIR=scratch.name, OPENDAY_LOG_LEVEL="warning")
    env.pop("DATABASE_URL", None)
    if args.postgres:
        _harness.recreate_database(args.postgres)
        env.update(DATABASE_URL=args.postgres, OPENDAY_DB_POOL="0")
    _harness.openday(env, "migrate", "-v", "0")

    port = _harness.free_port()
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openday.messaging.fake_gateway",
            "--port",
            str(port),
            "--latency-ms",
            str(args.latency_ms),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    from openday.messaging.fake_gateway import ALIYUN_KEY

    env.update(
        OPENDAY_SMS_SENDER="aliyun",
        OPENDAY_ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{port}/",
        OPENDAY_ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY[0],
        OPENDAY_ALIYUN_ACCESS_KEY_SECRET=ALIYUN_KEY[1],
        OPENDAY_SMS_SIGN_NAME="开放日",
        OPENDAY_SMS_TEMPLATES='{"default": {"code": "SMS_000001", "params": ["content"]}}',
        OPENDAY_HOUSEKEEPING_MINUTES="0",
        OPENDAY_DELIVERY_CONCURRENCY=str(args.concurrency),
    )
    os.environ.update(env)  # this process writes the messages through Django too
    os.environ["DJANGO_SETTINGS_MODULE"] = "openday.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from openday.lib import personal_data
    from openday.messaging.models import OutboundMessage
    from openday.messaging.services import queue_message

    logs = Path(scratch.name)
    workers = [
        subprocess.Popen(
            [str(_harness.BIN / "openday"), "worker", "--no-startup-delay"],
            env=env,
            stdout=open(logs / f"worker{n}.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        for n in (1, 2)
    ]
    try:
        time.sleep(3)  # both workers up and idle
        vendor = connection.vendor
        print(
            f"database: {vendor}; 2 workers x {args.concurrency} sends at once; "
            f"gateway answers after {args.latency_ms} ms"
        )

        # Phase 1: one burst.
        token = personal_data.encrypt("13800000000")
        rows = [
            OutboundMessage(
                channel="sms",
                to_encrypted=token,
                to_masked="138****0000",
                body=f"报名成功，电子票号 {i:06d}",
            )
            for i in range(args.messages)
        ]
        started = time.monotonic()
        OutboundMessage.objects.bulk_create(rows, batch_size=1000)
        committed = time.monotonic()
        pending = OutboundMessage.objects.exclude(status="sent")
        deadline = committed + 600
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        last = OutboundMessage.objects.order_by("-sent_at").values_list("sent_at", flat=True)[0]
        first_created = OutboundMessage.objects.order_by("created_at").values_list(
            "created_at", flat=True
        )[0]
        left = pending.count()
        span = (last - first_created).total_seconds()
        print(
            f"phase 1: {args.messages} messages committed in {committed - started:.2f} s; "
            f"all sent {span:.2f} s after the first commit: "
            f"{args.messages / span:.0f} messages/s ({left} left unsent)"
        )

        # Phase 2: a steady stream, one commit per message.
        OutboundMessage.objects.all().delete()
        interval = 1 / args.rate
        count = int(args.rate * args.seconds)
        begin = time.monotonic()
        for i in range(count):
            queue_message("sms", "13800000000", "", f"意见办理结果 {i}")
            pause = begin + (i + 1) * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        deadline = time.monotonic() + 120
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        delays = sorted(
            (sent - created).total_seconds()
            for created, sent in OutboundMessage.objects.values_list("created_at", "sent_at")
            if sent is not None
        )
        p = _harness.percentile
        print(
            f"phase 2: {count} messages at {args.rate:.0f}/s for {args.seconds:.0f} s, "
            f"{len(delays)} sent; commit-to-sent delay p50 {p(delays, 0.5):.2f} s, "
            f"p95 {p(delays, 0.95):.2f} s, p99 {p(delays, 0.99):.2f} s, max {delays[-1]:.2f} s"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as answer:
            stats = json.load(answer)
        print(
            f"gateway: {stats['accepted']} accepted in all, {len(stats['duplicates'])} sent twice, "
            f"{stats['bad_signatures']} bad signatures; at {timezone.now():%Y-%m-%d %H:%M} UTC"
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        gateway.terminate()
        gateway.wait(10)
        connection.close()
        if args.postgres:
            _harness.drop_database(args.postgres)
        scratch.cleanup()


if __name__ == "__main__":
    main()
