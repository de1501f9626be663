"""The `openday` command: a wrapper around manage.py with a few verbs of its own.

openday serve   production server (granian, WSGI) on $HOST:$PORT (default 127.0.0.1:8000)
openday worker  background worker: the task queue, the SMS/email outbox, and housekeeping
                every OPENDAY_HOUSEKEEPING_MINUTES (default 60; one worker per period)
openday demo    load the demo data built from the seeds (idempotent)
openday token USERNAME   print a new API token for a staff user
openday housekeeping [--now]   queue housekeeping (or run it now, step by step)
openday backup PATH [--with-keys]   write a backup archive; openday restore PATH restores it
openday triage-eval --train A.csv --test B.csv   train the opinion classifier on A, score it on B
Anything else is passed to Django's manage.py, e.g. `openday migrate`.
"""

import os
import sys


def manage(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    from django.core.management import execute_from_command_line

    from openday.audit import context

    # Audit entries a command writes without a person name the command (audit/context.py).
    verb = argv[1] if len(argv) > 1 else "help"
    with context.bound(origin=f"命令：openday {verb}"):
        execute_from_command_line(argv)


def serve(args):
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_WORKERS", "1")
    # A small fixed thread count: granian's default (up to 256) exhausts PostgreSQL
    # connections and raises SQLite's p99 (see docs/performance.md).
    threads = os.environ.get("WEB_THREADS", "4")
    manage(["openday", "collectstatic", "--noinput", "-v", "0"])
    granian = os.path.join(os.path.dirname(sys.executable), "granian")
    cmd = [
        granian,
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        port,
        "--workers",
        workers,
        "--blocking-threads",
        threads,
        "--no-ws",
        "--log-level",
        os.environ.get("OPENDAY_LOG_LEVEL", "info").lower(),
        *args,
        "openday.wsgi:application",
    ]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    os.execv(granian, cmd)  # noqa: S606 - replaces this process with the server


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    verb = argv[1] if len(argv) > 1 else "help"
    if verb == "serve":
        serve(argv[2:])
    elif verb == "worker":
        manage(["openday", "worker", *argv[2:]])
    elif verb in ("help", "-h", "--help"):
        print(__doc__)
    else:
        # `openday triage-eval` runs the Django command triage_eval (module names can't have "-")
        if not verb.startswith("-"):
            verb = verb.replace("-", "_")
        manage(["openday", verb, *argv[2:]])


if __name__ == "__main__":
    main()
