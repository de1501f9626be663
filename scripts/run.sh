#!/usr/bin/env bash
# `make run`: prepare the database and demo data, then run the background worker and the web server.
# HOST and PORT choose where the server listens (default 127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "$0")/.."

export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-8000}"
OPENDAY=.venv/bin/openday

if [[ ! -x "$OPENDAY" ]]; then
    echo "找不到 $OPENDAY，请先运行 make venv（或直接运行 make run）。" >&2
    exit 1
fi

# Refuse early, in words, when the port is taken (granian would fail with a stack trace).
PROBE_HOST="$HOST"
case "$HOST" in 0.0.0.0 | "::" | "[::]") PROBE_HOST=127.0.0.1 ;; esac
if (exec 3<>"/dev/tcp/$PROBE_HOST/$PORT") 2>/dev/null; then
    echo "端口 $PORT 已被占用（$HOST:$PORT 上已有程序在运行）。" >&2
    echo "请先停止该程序，或换一个端口，例如：PORT=$((PORT + 1)) make run" >&2
    exit 1
fi

echo "==> 更新数据库结构…"
"$OPENDAY" migrate --noinput

echo "==> 准备演示数据…"
"$OPENDAY" demo --if-empty

WORKER_PID=""
SERVER_PID=""
cleanup() {
    trap - EXIT INT TERM HUP
    for pid in "$SERVER_PID" "$WORKER_PID"; do
        if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo; echo "==> 正在停止…"; cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM HUP

# The worker is restarted whenever it exits (a crash, a kill), as systemd's Restart=always
# does in production; the loop ends when this script stops it.
supervise_worker() {
    local child=""
    trap 'if [[ -n "$child" ]]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 0' TERM INT HUP
    while true; do
        "$OPENDAY" worker &
        child=$!
        wait "$child" && code=0 || code=$?
        child=""
        echo "==> 后台任务进程退出（退出码 $code），5 秒后自动重启…" >&2
        sleep 5 &
        wait $!
    done
}

echo "==> 启动后台任务进程（退出后自动重启）…"
supervise_worker &
WORKER_PID=$!

# A host that listens everywhere is reached through the loopback address.
SHOWN_HOST="$HOST"
case "$HOST" in
    0.0.0.0 | "::" | "[::]") SHOWN_HOST=127.0.0.1 ;;
    *:*) SHOWN_HOST="[$HOST]" ;;
esac
echo
echo "=================================================================="
echo "  开放日已启动，请用浏览器打开：http://$SHOWN_HOST:$PORT/"
echo "  工作人员登录：              http://$SHOWN_HOST:$PORT/staff/login/"
echo "  按 Ctrl+C 停止。"
echo "=================================================================="
echo

# The server runs as a job we wait for (not exec), so the traps above can stop it and the
# worker together whether the script ends by Ctrl+C, a TERM signal or the server exiting.
"$OPENDAY" serve &
SERVER_PID=$!
wait "$SERVER_PID"
