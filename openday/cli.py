"""The `openday` command: a wrapper around manage.py with a few verbs of its own.

openday serve   production server (granian, WSGI) on $HOST:$PORT (default 127.0.0.1:8000)
openday worker  background task worker (django-tasks database queue); also queues
                housekeeping every OPENDAY_HOUSEKEEPING_MINUTES (default 60)
openday demo    load the demo data built from the seeds (idempotent)
openday token USERNAME   print a new API token for a staff user
openday housekeeping     queue the clean-up of expired sessions, lock-outs and task results
openday triage-eval --train A.csv --test B.csv   train the opinion classifier on A, score it on B
Anything else is passed to Django's manage.py, e.g. `openday migrate`.
"""

import os
import sys


def manage(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def serve(args):
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_WORKERS", "1")
    # A small fixed thread count: granian's default (up to 256) exhausts PostgreSQL
    # connections and raises SQLite's p99 (see docs/performance.md).
    threads = os.environ.get("WEB_THREADS", "4")
    manage(["openday", "collectstatic", "--noinput", "-v", "0"])
    # Start-up is a good moment to tidy expired sessions; the worker does it off this path.
    manage(["openday", "housekeeping"])
    granian = os.path.join(os.path.dirname(sys.executable), "granian")
    cmd = [
        granian, "--interface", "wsgi", "--host", host, "--port", port,
        "--workers", workers, "--blocking-threads", threads, "--no-ws",
        "--log-level", os.environ.get("OPENDAY_LOG_LEVEL", "info").lower(),
        *args, "openday.wsgi:application",
    ]  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    os.execv(granian, cmd)  # noqa: S606 - replaces this process with the server


def _start_housekeeping_clock():
    """Queue housekeeping (expired sessions, due reminders …) every OPENDAY_HOUSEKEEPING_MINUTES.

    The task is idempotent, so several workers each queuing it do no harm; 0 turns this off.
    """
    import threading
    import time

    minutes = int(os.environ.get("OPENDAY_HOUSEKEEPING_MINUTES", "60"))
    if minutes <= 0:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    import django

    django.setup()
    import logging

    from openday.accounts.tasks import housekeeping

    def tick():
        while True:
            try:
                housekeeping.enqueue()
            except Exception:
                logging.getLogger("openday.worker").exception("could not queue housekeeping")
            time.sleep(minutes * 60)

    threading.Thread(target=tick, name="housekeeping-clock", daemon=True).start()


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    verb = argv[1] if len(argv) > 1 else "help"
    if verb == "serve":
        serve(argv[2:])
    elif verb == "worker":
        _start_housekeeping_clock()
        manage(["openday", "db_worker", "--no-reload", *argv[2:]])
    elif verb in ("help", "-h", "--help"):
        print(__doc__)
    else:
        # `openday triage-eval` runs the Django command triage_eval (module names can't have "-")
        if not verb.startswith("-"):
            verb = verb.replace("-", "_")
        manage(["openday", verb, *argv[2:]])


if __name__ == "__main__":
    main()
