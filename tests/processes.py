"""Starting real `openday` processes against the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def database_env(host=None, port=None):
    """Environment variables that point a child process at this test's database."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host = host or db["HOST"] or "127.0.0.1"
        port = port or db["PORT"] or 5432
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return {
            "DATABASE_URL": f"postgres://{auth}@{host}:{port}/{db['NAME']}",
            "OPENDAY_DB_POOL": "0",
        }
    return {"DATABASE_URL": "", "OPENDAY_SQLITE_PATH": str(db["NAME"])}


def child_env(**extra):
    env = dict(
        os.environ,
        OPENDAY_TESTING="1",
        DJANGO_SETTINGS_MODULE="openday.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(database_env())
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(log_path, *args, env=None):
    """`openday worker` in its own process group, its output in log_path."""
    out = open(log_path, "ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openday",
            "worker",
            "--no-startup-delay",
            "--interval",
            "0.2",
            *args,
        ],
        cwd=REPO,
        env=env or child_env(),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process, sig=signal.SIGTERM, timeout=20):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def wait_for(predicate, timeout=60, every=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class TcpProxy:
    """A TCP forwarder to the database that a test can cut (an outage) and restore."""

    def __init__(self, target_host, target_port):
        import socket
        import threading

        self.target = (target_host, int(target_port))
        self.lock = threading.Lock()
        self.conns = []
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener = None
        self.resume()

    def resume(self):
        import socket
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def pause(self):
        """Refuse new connections and cut the open ones, as a database restart would."""
        import socket

        listener, self.listener = self.listener, None
        listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener):
        import socket
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass


def wait_for_other_sessions_to_end(timeout=15):
    """On PostgreSQL, child processes' sessions must end before the test database is dropped."""
    if connection.vendor != "postgresql":
        return
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        wait_for(
            lambda: cursor.execute(query) or cursor.fetchone()[0] == 0,
            timeout,
            what="the other sessions to end",
        )
