"""`make test`: every test stage in order, then one summary.

Stages: lint (ruff and mypy), unit tests on SQLite, the same tests on PostgreSQL, browser tests
(Playwright driving /usr/bin/chromium). Each stage reports passed / failed / skipped counts,
read from pytest's JUnit XML. Exit status 1 when a stage failed, or, under CI (CI=true),
when a stage could not run; 0 otherwise. Standard library only; runs under the venv's python.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
RESULTS = REPO / "test-results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "sudo apt-get install chromium fonts-noto-cjk"
WORK_DIR = None  # a tempfile.TemporaryDirectory, made in main()
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def _reexec_in_venv():
    """psycopg and pytest live in .venv: run there even when started with another python."""
    if sys.prefix == sys.base_prefix and VENV_PYTHON.exists():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])  # noqa: S606


@dataclass
class Stage:
    name: str
    ran: bool = False
    ok: bool = False
    counted: bool = False  # has test counts (lint has none)
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def status(self):
        if not self.ran:
            return "NOT RUN"
        return "ok" if self.ok else "FAILED"


def heading(text):
    line = "=" * 72
    print(f"\n{line}\n== {text}\n{line}", flush=True)


def banner(lines):
    width = 72
    print("\n" + "!" * width, flush=True)
    for text in lines:
        print(f"!!  {text}")
    print("!" * width + "\n", flush=True)


def bin_path(name):
    return str(Path(sys.executable).parent / name)


def run(cmd, env=None):
    print("$ " + " ".join(cmd), flush=True)
    # Commands are built here from fixed parts, never from outside input.
    return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode  # noqa: S603


def base_env(stage):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["OPENDAY_TESTING"] = "1"
    # Each stage gets its own var/ (keys, SQLite test database): a pytest run beside this
    # one, a stale -wal file from a killed run, or the developer's var/ cannot interfere.
    var_dir = Path(WORK_DIR.name) / stage.name
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    env["OPENDAY_VAR_DIR"] = str(var_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def parse_junit(path):
    """(passed, failed, skipped) from a pytest JUnit XML file; errors count as failed."""
    root = ET.parse(path).getroot()  # noqa: S314 (pytest's own output, written just now)
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def pytest_stage(stage, args, env, junit_name):
    junit = RESULTS / junit_name
    junit.unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "pytest", *args,
        "-p", "no:cacheprovider", "-ra", f"--junitxml={junit}",
    ]  # fmt: skip
    started = time.monotonic()
    code = run(cmd, env=env)
    stage.seconds = time.monotonic() - started
    stage.ran = True
    stage.counted = True
    if junit.exists():
        try:
            stage.passed, stage.failed, stage.skipped = parse_junit(junit)
        except ET.ParseError as exc:
            stage.notes.append(f"无法读取 JUnit 结果 {junit}: {exc}")
    else:
        stage.notes.append("pytest 没有写出 JUnit 结果")
    if code == 5:
        stage.ok = False
        stage.notes.append("没有收集到任何测试（pytest 退出码 5）/ no tests collected")
    elif code != 0:
        stage.ok = False
        if stage.failed == 0:
            stage.notes.append(f"pytest 异常退出（退出码 {code}）/ pytest exited with {code}")
    else:
        stage.ok = stage.failed == 0
        if stage.passed == 0 and stage.skipped:
            # Everything skipped verified nothing: like a stage that did not run.
            stage.ok = not CI
            stage.notes.append("全部被跳过 / all skipped" + ("（CI 下视为失败）" if CI else ""))
    if stage.skipped:
        stage.notes.append(f"{stage.skipped} 个测试被跳过，原因见上方 pytest 输出（SKIPPED 行）")


# --- Stages -----------------------------------------------------------------------------


def run_mypy():
    """(exit status, mypy's summary line): mypy reads its settings from pyproject.toml."""
    cmd = [bin_path("mypy")]
    print("$ " + " ".join(cmd), flush=True)
    try:
        # A fixed command, never built from outside input.
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        return 1, f"无法运行 mypy（{exc}），请运行 make venv"
    print(out.stdout, end="", flush=True)
    print(out.stderr, end="", file=sys.stderr, flush=True)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    return out.returncode, lines[-1] if lines else f"mypy 没有输出（退出码 {out.returncode}）"


def stage_lint():
    stage = Stage("lint")
    heading("1/4 代码检查 Lint: ruff check + ruff format --check + mypy")
    started = time.monotonic()
    ruff = bin_path("ruff")
    check = run([ruff, "check", "."])
    fmt = run([ruff, "format", "--check", "."])
    types, types_summary = run_mypy()
    print(f"mypy: {types_summary}", flush=True)
    stage.seconds = time.monotonic() - started
    stage.ran = True
    stage.ok = check == 0 and fmt == 0 and types == 0
    if check != 0:
        stage.notes.append("ruff check 有问题")
    if fmt != 0:
        stage.notes.append("有文件未格式化，运行 make format")
    if types != 0:
        stage.notes.append(f"mypy 类型检查未通过：{types_summary}")
    return stage


def workers():
    """pytest-xdist processes for the unit-test stages: one per core, 2 to 4 (the suites take
    about twice as long on one)."""
    return ["-n", str(max(2, min(4, os.cpu_count() or 2)))]


def stage_sqlite():
    stage = Stage("sqlite")
    heading("2/4 单元测试 Unit tests on SQLite")
    pytest_stage(stage, ["-m", "not browser", *workers()], base_env(stage), "sqlite.xml")
    return stage


def postgres_reachable(url):
    """'' when a server answers at url, else the reason it does not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as exc:
        return f"{host}:{port} 无法连接（{exc}）"
    try:
        import psycopg
    except ImportError as exc:
        return f"无法导入 psycopg（{exc}）"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{host}:{port} 连接失败（{str(exc).strip()}）"
    return ""


def stage_postgres():
    stage = Stage("postgresql")
    heading("3/4 单元测试 Unit tests on PostgreSQL")
    given = os.environ.get("DATABASE_URL", "")
    explicit = given.startswith("postgres")
    url = given if explicit else DEFAULT_PG_URL
    problem = postgres_reachable(url)
    shown = _redact(url)
    if problem and explicit:
        # Asked for by name: a server that does not answer is a failure, not a skip.
        stage.ran = True
        stage.notes.append(f"DATABASE_URL={shown} 不可用：{problem}")
        print(f"DATABASE_URL={shown} 不可用：{problem}", flush=True)
        return stage
    if problem:
        banner([
            "PostgreSQL 测试没有运行！ PostgreSQL tests did NOT run!",
            "",
            f"在 {shown} 没有找到可用的 PostgreSQL：{problem}",
            f"No PostgreSQL server answered at {shown}.",
            "",
            "启用方法 / To enable them, either:",
            "  * 在本机运行 PostgreSQL，允许 postgres 用户从 127.0.0.1:5432 无密码登录；或",
            "    run PostgreSQL locally with user postgres on 127.0.0.1:5432 (trust auth); or",
            "  * 设置 DATABASE_URL=postgres://用户:密码@主机:端口/库名 后重新运行 make test",
            "    set DATABASE_URL=postgres://user:password@host:port/dbname and rerun make test.",
            "    （该用户需要 CREATEDB 权限 / the user needs CREATEDB.）",
            "",
            "CI 环境下这是失败。 Under CI this is a failure."
            if CI
            else "本地运行时不算失败，汇总中标为 NOT RUN。 Locally: reported as NOT RUN.",
        ])  # fmt: skip
        stage.notes.append("没有可用的 PostgreSQL（见上方说明）")
        return stage
    print(f"使用 PostgreSQL：{shown}", flush=True)
    env = base_env(stage)
    env["DATABASE_URL"] = url
    env["OPENDAY_DB_POOL"] = "0"
    pytest_stage(stage, ["-m", "not browser", *workers()], env, "postgresql.xml")
    return stage


def _redact(url):
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _has_cjk_fonts():
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)  # noqa: S603
        if out.stdout.strip():
            return True
    dpkg = shutil.which("dpkg")
    if dpkg:
        out = subprocess.run([dpkg, "-s", "fonts-noto-cjk"], capture_output=True, check=False)  # noqa: S603
        if out.returncode == 0:
            return True
    return False


def _browser_missing():
    missing = []
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        missing.append("chromium")
    if not _has_cjk_fonts():
        missing.append("fonts-noto-cjk")
    return missing


def stage_browser():
    stage = Stage("browser")
    heading("4/4 浏览器测试 Browser tests (Playwright + /usr/bin/chromium)")
    missing = _browser_missing()
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"缺少 {' '.join(missing)}，正在用 apt-get 安装…", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if run(["apt-get", "update"], env=env) == 0:
            run(["apt-get", "install", "-y", "chromium", "fonts-noto-cjk"], env=env)
        missing = _browser_missing()
    if missing:
        banner([
            "浏览器测试没有运行！ Browser tests did NOT run!",
            f"缺少 / missing: {' '.join(missing)}",
            "请安装 / install with:",
            f"  {INSTALL_HINT}",
            "CI 环境下这是失败。 Under CI this is a failure."
            if CI
            else "汇总中会标为 NOT RUN。 Reported as NOT RUN.",
        ])  # fmt: skip
        stage.notes.append(f"缺少 {' '.join(missing)}：{INSTALL_HINT}")
        return stage
    env = base_env(stage)
    # Playwright's sync API keeps an event loop in this thread; Django's ORM would refuse to run.
    env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pytest_stage(stage, ["-m", "browser", "tests/browser"], env, "browser.xml")
    return stage


# --- Summary ----------------------------------------------------------------------------


def summary(stages):
    heading("汇总 Summary")
    print(f"{'stage':<12}{'status':<10}{'passed':>8}{'failed':>8}{'skipped':>9}{'time':>8}  notes")
    print("-" * 72)
    for s in stages:
        if s.counted:
            counts = f"{s.passed:>8}{s.failed:>8}{s.skipped:>9}"
        else:
            counts = f"{'-':>8}{'-':>8}{'-':>9}"
        secs = f"{s.seconds:>7.0f}s" if s.ran else f"{'-':>8}"
        print(f"{s.name:<12}{s.status:<10}{counts}{secs}  {'；'.join(s.notes)}")
    print("-" * 72)
    failed_stages = [s.name for s in stages if s.ran and not s.ok]
    not_run = [s.name for s in stages if not s.ran]
    passed = sum(s.passed for s in stages)
    failed = sum(s.failed for s in stages)
    skipped = sum(s.skipped for s in stages)
    bad = bool(failed_stages) or (CI and bool(not_run))
    if failed_stages:
        print(f"失败的阶段 / failed stages: {', '.join(failed_stages)}")
    if not_run:
        verdict = "（CI 下视为失败）" if CI else "（本地运行不算失败，但这些测试没有验证任何东西）"
        print(f"未运行的阶段 / stages NOT RUN: {', '.join(not_run)} {verdict}")
    if skipped:
        print(f"跳过的测试 / skipped tests: {skipped}（不计入通过）")
    print("结果：失败 / RESULT: FAILED" if bad else "结果：通过 / RESULT: PASSED")
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if bad else 0


def main():
    global WORK_DIR
    _reexec_in_venv()
    WORK_DIR = tempfile.TemporaryDirectory(prefix="openday-test-")
    RESULTS.mkdir(exist_ok=True)
    print(f"python: {sys.executable}；CI={'是' if CI else '否'}；JUnit 结果目录：{RESULTS}")
    try:
        stages = [stage_lint(), stage_sqlite(), stage_postgres(), stage_browser()]
    finally:
        WORK_DIR.cleanup()
    return summary(stages)


if __name__ == "__main__":
    sys.exit(main())
