"""Questionnaires at scale: answers written through the API, results counted, answers exported.

Three figures on a scratch PostgreSQL database (created and dropped by this script):

a. Ingest: BENCH_REQUESTS (default 3000) POST /api/v1/surveys/{id}/responses at concurrency
   BENCH_CONCURRENCY (default 32), each a valid answer to 10 questions from a distinct device,
   against a real `openday serve` on 127.0.0.1 (granian, 2 workers x 4 blocking threads, DB pool
   8 per worker), compared with the same server's bare single-row insert (/bench/insert/,
   bench/bench_urls.py). The rows in the database are checked against the successes.
   Target: at least 0.6 of the bare insert rate.
b. Results: BENCH_RESPONSES (default 100,000) responses x 10 questions bulk-loaded with COPY,
   then surveys.results.compute timed in a fresh process (first run, best of 3). Target < 1 s.
c. Export: surveys.exports.responses_xlsx of those responses in a child process; its peak RSS
   (getrusage RUSAGE_CHILDREN in a wrapper whose only child it is), time and file size.
   Target: peak < 200 MB.

    .venv/bin/python bench/survey_ingest.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/openday_bench_survey \
        BENCH_REQUESTS=3000 .venv/bin/python bench/survey_ingest.py

Only 127.0.0.1 is contacted; every phase has a deadline.
"""

import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import (
    BIN,
    SERVER_ENV,
    Client,
    drop_database,
    free_port,
    hammer,
    openday,
    recreate_database,
    stop,
    wait_up,
)

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/openday_bench_survey"
)
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))  # per round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
RESPONSES = int(os.environ.get("BENCH_RESPONSES", "100000"))
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"
CHILD_TIMEOUT = 900  # seconds for each child process (results, export)
RESULTS_TARGET_S, EXPORT_TARGET_MB, RATIO_TARGET = 1.0, 200, 0.6

SATISFACTION = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
AGREEMENT = ["非常同意", "同意", "一般", "不同意", "非常不同意"]
# Ten answerable questions, the shape of a typical open-day questionnaire.
QUESTIONS = [
    {"kind": "rating", "title": "您对本次开放日活动的总体评价是", "options": SATISFACTION},
    {"kind": "matrix", "title": "请对以下各环节作出评价", "options": SATISFACTION,
     "rows": ["浏览介绍", "实地观摩", "座谈交流", "政策发布"]},
    {"kind": "multiple", "title": "您通过哪些渠道了解到本次活动？", "max_choices": 3,
     "options": ["政府网站", "微信公众号", "工作人员邀请", "村（社区）通知", "亲友介绍", "其他"]},
    {"kind": "score", "title": "您有多大可能向亲友推荐参加政府开放日？"},
    {"kind": "single", "title": "您的年龄段", "options": ["30岁以下", "30—45岁", "46—60岁", "60岁以上"]},
    {"kind": "single", "title": "您以前参加过政府开放日吗？", "options": ["参加过", "没有参加过"]},
    {"kind": "rating", "title": "活动让我更了解政府的工作", "options": AGREEMENT},
    {"kind": "multiple", "title": "您希望今后增加哪些内容？", "max_choices": 3,
     "options": ["政策解读", "实地参观", "互动问答", "办事体验", "成果展示", "其他"]},
    {"kind": "text", "title": "您所在的街道（乡镇）", "required": False},
    {"kind": "textarea", "title": "您的其他意见或建议", "required": False},
]  # fmt: skip
CATEGORIES = [("public", 70), ("deputy", 5), ("member", 5), ("expert", 3), ("media", 2),
              ("business", 5), ("trader", 3), ("model", 2), ("", 5)]  # fmt: skip
RATING_WEIGHTS = [42, 33, 15, 7, 3]  # best first
SCORE_WEIGHTS = [1, 0, 1, 1, 1, 4, 4, 8, 20, 25, 35]
PLACES = ["四方坪街道", "东风路街道", "清水塘街道", "望麓园街道", "湘雅路街道", "伍家岭街道",
          "新河街道", "浏阳河街道", "洪山街道", "捞刀河街道", "沙日浩来镇", "大沁他拉镇"]  # fmt: skip
OPINIONS = ["希望多举办类似活动", "讲解很细致", "停车不太方便", "时间安排有些紧", "建议增加互动环节",
            "材料可以提前发放", "希望扩大邀请范围", "座谈交流收获很大", "场地指引不够清楚",
            "建议开放更多基层站所", "政策解读通俗易懂", "希望有线上直播"]  # fmt: skip


# --- Answers ----------------------------------------------------------------------------------


def weighted(rng, weights, first=1):
    return rng.choices(range(first, first + len(weights)), weights=weights)[0]


def pick_some(rng, n, k):
    """k distinct codes of n, earlier options more likely."""
    weights = list(range(n, 0, -1))
    chosen = []
    while len(chosen) < k:
        code = weighted(rng, weights)
        if code not in chosen:
            chosen.append(code)
    return sorted(chosen)


def make_answer(rng, questions, n):
    """(API answers {question id: value}, stored rows [(question id, row, choice, text)])."""
    api, rows = {}, []
    base = weighted(rng, RATING_WEIGHTS)  # one mood per respondent keeps ratings correlated
    for q in questions:
        qid, kind = q["id"], q["kind"]
        if kind == "rating":
            c = min(5, max(1, base + rng.choice([-1, 0, 0, 0, 1])))
            api[qid] = c
            rows.append((qid, None, c, ""))
        elif kind == "matrix":
            value = {}
            for r in range(1, q["rows"] + 1):
                c = min(q["options"], max(1, base + rng.choice([-1, 0, 0, 1])))
                value[str(r)] = c
                rows.append((qid, r, c, ""))
            api[qid] = value
        elif kind == "multiple":
            codes = pick_some(rng, q["options"], weighted(rng, [45, 35, 20]))
            api[qid] = codes
            rows.extend((qid, None, c, "") for c in codes)
        elif kind == "score":
            c = weighted(rng, SCORE_WEIGHTS, first=0)
            api[qid] = c
            rows.append((qid, None, c, ""))
        elif kind == "single":
            c = weighted(rng, [40, 35, 17, 8][: q["options"]])
            api[qid] = c
            rows.append((qid, None, c, ""))
        elif kind == "text" and rng.random() < 0.3:
            text = rng.choice(PLACES)
            api[qid] = text
            rows.append((qid, None, None, text))
        elif kind == "textarea" and rng.random() < 0.3:
            # Distinct texts, the costly case for the spreadsheet's shared-string table.
            text = f"{rng.choice(OPINIONS)}，{rng.choice(OPINIONS)}。（第{n}份）"
            api[qid] = text
            rows.append((qid, None, None, text))
    return api, rows


# --- Server and HTTP (as bench/registration_burst.py) ------------------------------------------


def prepare(env):
    """Migrate; an office, a unit and three open surveys of the ten questions (ingest, warm-up,
    results). Returns {name: {"id": survey id, "questions": [...]}}."""
    openday(env, "migrate", "--noinput", "-v", "0")
    script = f"""
import json
from openday.orgs.models import Org
from openday.orgs.services import _set_path
from openday.surveys import services
office = Org.objects.create(name="压测政务公开办", kind="office")
_set_path(office)
unit = Org.objects.create(name="压测单位", kind="unit", parent=office)
_set_path(unit)
out = {{}}
for name in ("ingest", "warmup", "results"):
    survey = services.create_survey(None, unit, title="开放日活动满意度调查（压测" + name + "）")
    for spec in {QUESTIONS!r}:
        services.save_question(None, survey, dict(spec))
    services.set_status(None, survey, "open")
    out[name] = {{"id": survey.pk, "questions": [
        {{"id": q.pk, "kind": q.kind, "options": len(q.options), "rows": len(q.rows)}}
        for q in survey.questions.all()]}}
print("SURVEYS", json.dumps(out))
"""
    out = openday(env, "shell", "-c", script).stdout
    line = next(x for x in out.splitlines() if x.startswith("SURVEYS "))
    return json.loads(line.split(" ", 1)[1])


def median_round(rounds):
    """The round with the median rate (its latencies come with it)."""
    ordered = sorted(rounds, key=lambda r: r["rate"])
    return ordered[len(ordered) // 2]


def classify(status, body):
    if status == 201 and isinstance(body, dict) and body.get("id"):
        return "created"
    if status == 0:
        return f"error:connection {body['exception']}"
    if status == "skipped":
        return "error:skipped (deadline)"
    code = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code", "")
    return f"error:{status} {code}".rstrip()


def count_rows(survey_id):
    import psycopg

    with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn:
        responses = conn.execute(
            "SELECT count(*) FROM surveys_response WHERE survey_id = %s", [survey_id]
        ).fetchone()[0]
        answers = conn.execute(
            "SELECT count(*) FROM surveys_answer WHERE survey_id = %s", [survey_id]
        ).fetchone()[0]
    return responses, answers


def ingest(env, surveys, tmp):
    """Phase a; returns its figures."""
    survey = surveys["ingest"]
    rng = random.Random(2026)
    bodies = []
    for n in range(REQUESTS * ROUNDS):
        api, rows = make_answer(rng, survey["questions"], n)
        category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        body = {"answers": api, "device_id": f"bench-device-{n:06d}", "category": category}
        bodies.append((body, len(rows)))
    warm = surveys["warmup"]
    warm_bodies = [{"answers": make_answer(rng, warm["questions"], n)[0],
                    "device_id": f"warm-{n}", "category": "public"} for n in range(200)]  # fmt: skip

    port = free_port()
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
    path = f"/api/v1/surveys/{survey['id']}/responses"
    warm_path = f"/api/v1/surveys/{warm['id']}/responses"
    try:
        wait_up(port, server, log)
        # Warm-up on another survey: imports, URL resolver, both workers' pools and caches.
        warmup = hammer(lambda b: client.request("POST", warm_path, b), warm_bodies, 16)
        before = count_rows(survey["id"])
        # Rounds alternate answers and bare inserts, so drift on a shared machine hits both.
        bursts, bares = [], []
        for k in range(ROUNDS):
            chunk = bodies[k * REQUESTS : (k + 1) * REQUESTS]
            bursts.append(hammer(lambda b: client.request("POST", path, b[0]), chunk, CONCURRENCY))
            bares.append(
                hammer(
                    lambda _: client.request("POST", "/bench/insert/", {}),
                    range(REQUESTS),
                    CONCURRENCY,
                )
            )
        responded = count_rows(survey["id"])
    finally:
        stop(server)
        log_file.close()
    # The API stores each answer sheet as one row; its answer rows are written by
    # expand_pending() before anything reads them. Time that deferred work too.
    expanded = run_child(dict(env, **SERVER_ENV), "expand", str(survey["id"]))
    after = count_rows(survey["id"])
    if after[0] != responded[0]:
        raise SystemExit("responses changed while expanding")

    burst_results = [r for b in bursts for r in b["results"]]
    kinds = Counter(classify(*r) for r in burst_results)
    created = kinds["created"]
    expected_answers = sum(
        rows for (_, rows), r in zip(bodies, burst_results, strict=True)
        if classify(*r) == "created"
    )  # fmt: skip
    bare_kinds = Counter(
        "created" if status == 201 else classify(status, body)
        for b in bares
        for status, body in b["results"]
    )
    burst = median_round(bursts)
    bare = median_round(bares)
    lines = log.read_text(errors="replace").splitlines()
    return {
        "path": path,
        "warmup_errors": sum(1 for r in warmup["results"] if classify(*r) != "created"),
        "burst": {k: v for k, v in burst.items() if k != "results"},
        "kinds": dict(kinds),
        "created": created,
        "errors": REQUESTS * ROUNDS - created,
        "round_rates": [
            (round(b["rate"], 1), round(x["rate"], 1)) for b, x in zip(bursts, bares, strict=True)
        ],
        "db_responses": after[0] - before[0],
        "db_answers": after[1] - before[1],
        "expanded": expanded,
        "expected_answers": expected_answers,
        "bare": {k: v for k, v in bare.items() if k != "results"},
        "bare_kinds": dict(bare_kinds),
        "ratio": burst["rate"] / bare["rate"] if bare["rate"] else float("nan"),
        "log": log,
        "log_errors": [x for x in lines if "Error" in x or "Traceback" in x][:5],
        "log_lines": len(lines),
    }


# --- Bulk load ---------------------------------------------------------------------------------


def bulk_load(survey):
    """RESPONSES responses with their answers, written with COPY; returns (responses, answers,
    seconds)."""
    import psycopg

    rng = random.Random(100_000)
    questions = survey["questions"]
    sid = survey["id"]
    start = datetime.now(UTC) - timedelta(days=30)
    cats = [c for c, _ in CATEGORIES]
    cat_weights = [w for _, w in CATEGORIES]
    started = time.perf_counter()
    n_answers = 0
    with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM surveys_response")
        first_response = cur.fetchone()[0] + 1
        cur.execute("SELECT coalesce(max(id), 0) FROM surveys_answer")
        answer_id = cur.fetchone()[0]
        people = []
        for n in range(RESPONSES):
            channel = rng.choices(["web", "api", "paper"], [85, 5, 10])[0]
            category = rng.choices(cats, cat_weights)[0]
            moment = start + timedelta(seconds=n * 25 + rng.randrange(25))
            people.append((first_response + n, channel, category, moment))
        response_cols = ("id, survey_id, channel, category, name, phone_encrypted, phone_hash, "
                         "device_hash, batch_no, form_no, consent_at, submitted_at")  # fmt: skip
        with cur.copy(f"COPY surveys_response ({response_cols}) FROM STDIN") as copy:
            for rid, channel, category, moment in people:
                paper = channel == "paper"
                copy.write_row((
                    rid, sid, channel, category, "", "", "", "" if paper else f"{rid:064x}",
                    f"P{rid // 500:04d}" if paper else "", str(rid) if paper else "", None, moment,
                ))  # fmt: skip
        answer_cols = (
            "id, survey_id, response_id, question_id, row, choice, text, category, channel"
        )
        with cur.copy(f"COPY surveys_answer ({answer_cols}) FROM STDIN") as copy:
            for rid, channel, category, _ in people:
                for qid, row, choice, text in make_answer(rng, questions, rid)[1]:
                    answer_id += 1
                    n_answers += 1
                    copy.write_row((answer_id, sid, rid, qid, row, choice, text, category, channel))
        for table in ("surveys_response", "surveys_answer"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")  # fmt: skip
        conn.commit()
    with psycopg.connect(DATABASE_URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute("VACUUM ANALYZE surveys_response")
        conn.execute("VACUUM ANALYZE surveys_answer")
    return RESPONSES, n_answers, time.perf_counter() - started


# --- Child processes ---------------------------------------------------------------------------


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    import django

    django.setup()


def child_results(survey_id):
    """Time compute (first run, then best of 3, also per query) and summary_docx."""
    django_setup()
    from django.db import connection

    from openday.surveys import exports, results
    from openday.surveys.models import Survey

    survey = Survey.objects.get(pk=survey_id)
    queries = []

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - t, sql))

    def run(**kw):
        queries.clear()
        with connection.execute_wrapper(timer):
            t = time.perf_counter()
            data = results.compute(survey, **kw)
            took = time.perf_counter() - t
        return took, data, [(round(s * 1000, 1), sql[:90]) for s, sql in queries]

    first, data, first_queries = run()
    runs = [run() for _ in range(3)]
    best = min(runs, key=lambda r: r[0])
    online = min(run(channel="online")[0] for _ in range(3))
    paper = min(run(channel="paper")[0] for _ in range(3))
    t = time.perf_counter()
    docx = exports.summary_docx(survey)
    docx_s = time.perf_counter() - t
    sample = next(q for q in data["questions"] if q["kind"] == "rating")
    print(json.dumps({
        "responses": data["responses"],
        "first_s": first,
        "best_s": best[0],
        "runs_s": [r[0] for r in runs],
        "online_best_s": online,
        "paper_best_s": paper,
        "queries_first": first_queries,
        "queries_best": best[2],
        "sample": {"title": sample["title"], "counts": [o["count"] for o in sample["options"]],
                   "average": sample["average"]},
        "docx_s": docx_s,
        "docx_bytes": len(docx),
    }, ensure_ascii=False))  # fmt: skip


def child_expand(survey_id):
    """Write the answer rows of the ingested responses, as the results page would first."""
    django_setup()
    from openday.surveys.services import expand_pending

    t = time.perf_counter()
    n = expand_pending(int(survey_id))
    print(json.dumps({"responses": n, "seconds": time.perf_counter() - t}))


def child_export(survey_id, path):
    django_setup()
    from openday.surveys import exports
    from openday.surveys.models import Survey

    survey = Survey.objects.get(pk=survey_id)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    exports.responses_xlsx(survey, path)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": took, "baseline_kib": baseline, "self_peak_kib": peak}))


def rss_of(cmd):
    """Run cmd as this process's only child; print its output and our RUSAGE_CHILDREN peak."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout,
                      "stderr": proc.stderr[-3000:], "children_peak_kib": peak}))  # fmt: skip


def run_child(env, *args):
    proc = subprocess.run([sys.executable, __file__, "--child", *args], env=env,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT)  # fmt: skip
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_measured(env, survey_id, path):
    cmd = [sys.executable, __file__, "--child", "export", str(survey_id), str(path)]
    proc = subprocess.run([sys.executable, __file__, "--rss-of", *cmd], env=env,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT + 30)  # fmt: skip
    wrapper = json.loads(proc.stdout.strip().splitlines()[-1])
    if wrapper["returncode"]:
        raise SystemExit(f"export failed:\n{wrapper['stdout']}\n{wrapper['stderr']}")
    inner = json.loads(wrapper["stdout"].strip().splitlines()[-1])
    return {**inner, "children_peak_kib": wrapper["children_peak_kib"],
            "file_bytes": Path(path).stat().st_size}  # fmt: skip


# --- Report ------------------------------------------------------------------------------------


def mib(kib):
    return kib / 1024


def main():
    tmp = tempfile.mkdtemp(prefix="openday-survey-bench-")
    env = dict(os.environ, OPENDAY_VAR_DIR=tmp, DATABASE_URL=DATABASE_URL)
    env.pop("OPENDAY_TESTING", None)
    import psycopg

    recreate_database(DATABASE_URL)
    try:
        surveys = prepare(env)
        t0 = time.perf_counter()
        a = ingest(env, surveys, tmp)
        ingest_s = time.perf_counter() - t0
        loaded, loaded_answers, load_s = bulk_load(surveys["results"])
        b = run_child(env, "results", str(surveys["results"]["id"]))
        c = export_measured(env, surveys["results"]["id"], Path(tmp) / "answers.xlsx")
        with psycopg.connect(DATABASE_URL, connect_timeout=10) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
            table_mb = conn.execute(
                "SELECT pg_total_relation_size('surveys_answer') / 1048576.0"
            ).fetchone()[0]
    finally:
        if not KEEP_DB:
            drop_database(DATABASE_URL)

    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = float("nan")
    print(f"date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} cores "
        f"(client, server and PostgreSQL share them), {mem_gib:.0f} GiB, "
        f"Python {platform.python_version()}, PostgreSQL {pg_version}"
    )
    print(
        "server: openday serve (granian WSGI, 2 workers x 4 blocking threads, DB pool 8 per worker)"
    )
    print()

    burst, bare = a["burst"], a["bare"]
    print(
        f"a. POST {a['path']} (10 questions, concurrency {CONCURRENCY}), {ROUNDS} rounds of "
        f"{REQUESTS} answers then {REQUESTS} bare inserts, {ingest_s:.0f} s in all"
    )
    print(
        "   rounds (answers req/s, bare req/s): "
        + ", ".join(f"({s}, {b}) ratio {s / b:.2f}" for s, b in a["round_rates"])
    )
    print("   the median round of each:")
    print(
        f"   n={burst['count']} wall={burst['wall']:.2f}s req/s={burst['rate']:.1f} "
        f"p50={burst['p50_ms']:.1f}ms p99={burst['p99_ms']:.1f}ms max={burst['max_ms']:.1f}ms"
    )
    for kind, count in sorted(a["kinds"].items()):
        print(f"       {kind:32} {count:>6}")
    print(
        f"   database: {a['db_responses']} responses for {a['created']} successes, "
        f"{a['db_answers']} answer rows for {a['expected_answers']} expected -> "
        f"{'OK' if (a['db_responses'], a['db_answers']) == (a['created'], a['expected_answers']) else 'MISMATCH'}"
    )
    print(
        f"   deferred answer rows: expand_pending wrote {a['expanded']['responses']} responses' "
        f"answers in {a['expanded']['seconds'] * 1000:.0f} ms "
        f"({a['expanded']['responses'] / max(a['expanded']['seconds'], 1e-9):.0f} responses/s)"
    )
    print(f"   warm-up errors (other survey, 200 requests): {a['warmup_errors']}")
    print(
        f"   POST /bench/insert/: n={bare['count']} wall={bare['wall']:.2f}s "
        f"req/s={bare['rate']:.1f} p50={bare['p50_ms']:.1f}ms p99={bare['p99_ms']:.1f}ms"
    )
    for kind, count in sorted(a["bare_kinds"].items()):
        print(f"       {kind:32} {count:>6}")
    print(
        f"   ratio responses req/s / bare insert req/s: {a['ratio']:.2f} (target >= {RATIO_TARGET})"
    )
    print(f"   server log: {a['log_lines']} lines")
    for line in a["log_errors"]:
        print(f"       {line[:160]}")
    print()

    print(
        f"b. results.compute over {b['responses']} responses, {loaded_answers} answer rows "
        f"(COPY load {load_s:.1f} s, surveys_answer {table_mb:.0f} MB with indexes)"
    )
    print(
        f"   first run {b['first_s'] * 1000:.0f} ms, best of 3 {b['best_s'] * 1000:.0f} ms "
        f"(runs {', '.join(f'{s * 1000:.0f}' for s in b['runs_s'])} ms); "
        f"online only {b['online_best_s'] * 1000:.0f} ms, paper only "
        f"{b['paper_best_s'] * 1000:.0f} ms (target < {RESULTS_TARGET_S * 1000:.0f} ms)"
    )
    for ms, sql in b["queries_best"]:
        print(f"       {ms:>8.1f} ms  {sql}")
    print(
        f"   sample: {b['sample']['title']} {b['sample']['counts']} average {b['sample']['average']}"
    )
    print(f"   summary_docx: {b['docx_s'] * 1000:.0f} ms, {b['docx_bytes'] / 1024:.0f} KiB")
    print()
    print(
        f"c. responses_xlsx of {loaded} responses: {c['seconds']:.1f} s, "
        f"file {c['file_bytes'] / 2**20:.1f} MiB, peak RSS {mib(c['children_peak_kib']):.0f} MiB "
        f"(after Django set-up {mib(c['baseline_kib']):.0f} MiB; target < {EXPORT_TARGET_MB} MB)"
    )
    print()
    matches = (a["db_responses"], a["db_answers"]) == (a["created"], a["expected_answers"])
    figures = {
        "date": datetime.now().astimezone().date().isoformat(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "postgresql": pg_version,
        "ingest_requests": REQUESTS * ROUNDS,
        "ingest_rounds": ROUNDS,
        "ingest_concurrency": CONCURRENCY,
        "ingest_rps": round(burst["rate"], 1),
        "ingest_p50_ms": round(burst["p50_ms"], 1),
        "ingest_p99_ms": round(burst["p99_ms"], 1),
        "ingest_errors": a["errors"],
        "ingest_db_matches": matches,
        "expand_ms": round(a["expanded"]["seconds"] * 1000, 1),
        "bare_insert_rps": round(bare["rate"], 1),
        "ratio": round(a["ratio"], 2),
        "ratio_ok": a["ratio"] >= RATIO_TARGET,
        "results_responses": b["responses"],
        "results_answer_rows": loaded_answers,
        "results_first_ms": round(b["first_s"] * 1000, 1),
        "results_best_ms": round(b["best_s"] * 1000, 1),
        "results_ok": b["best_s"] < RESULTS_TARGET_S,
        "summary_docx_ms": round(b["docx_s"] * 1000, 1),
        "export_s": round(c["seconds"], 1),
        "export_file_mib": round(c["file_bytes"] / 2**20, 1),
        "export_peak_rss_mib": round(mib(c["children_peak_kib"]), 1),
        "export_ok": mib(c["children_peak_kib"]) * 1.048576 < EXPORT_TARGET_MB,
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        {"results": child_results, "export": child_export, "expand": child_expand}[sys.argv[2]](
            *sys.argv[3:]
        )
    elif len(sys.argv) > 1 and sys.argv[1] == "--rss-of":
        rss_of(sys.argv[2:])
    else:
        main()
