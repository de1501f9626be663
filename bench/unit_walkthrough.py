"""The thirty-minute event (#20): a unit's loop, from an approved plan entry to published
results, used through the UI in Chromium as a first-time user would, with its effort counted.

    python bench/unit_walkthrough.py            # fresh SQLite database in a scratch folder
    python bench/unit_walkthrough.py --show     # also print every counted step

A fresh database gets `openday demo` (what `make run` loads). The office has approved the plan,
which gives 开福区住房和城乡建设局 an entry for this year. Then, in Debian's Chromium (Playwright):

  unit admin   signs in, creates the event from the plan entry, publishes it, opens check-in on
               the day, scans the tickets, publishes the satisfaction survey, enters the opinions
               heard at the 座谈, approves the handler's answers and publishes them, generates the
               news article and submits it, and submits the summary;
  handler      signs in and answers each opinion assigned to the unit;
  office       assigns the opinions and approves the article: its effort is printed apart;
  the public   registers, answers the survey and submits opinions on a phone (not counted).

Time passes three times: the registration window opens, the event's day comes (the event is
moved to "now"), and the event ends; these are the only steps that are not a person's.

Counting rule (the unit's side: unit admin and handler):
  - a click is a click, a checkbox, a choice in a list, or a ticket scanned (camera or scanner
    gun: the scanner types the code, the person only points it);
  - a typed field is a field the person types into; typed characters are the characters typed
    (when a person completes a draft, only the words they add);
  - minutes_estimate = typed characters at 40 a minute + 5 s a click + 15 s to take in each page
    shown + the generated texts the person must read (drafts, answers) at 500 characters a minute.

The last line printed is one JSON object with clicks, typed_fields, typed_chars, participants,
article, summary and minutes_estimate (and the office's figures apart).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Walk-through-2026!"
UNIT_ADMIN, HANDLER, OFFICE = "kf-unit-admin", "kf-handler", "kf-office"
PARTICIPANTS = 12  # citizens who register on their phones
ARRIVE = 10  # of them, those who come on the day
FORUM_OPINIONS = [  # what two participants say at the 座谈, entered by the unit
    "建议在老旧小区改造中同步加装电梯，并公开申请流程和补贴标准。",
    "希望住房公积金提取办理能在网上一次办好，减少跑腿。",
]
ONLINE_OPINION = "小区周边工地夜间施工噪音大，希望加强监管并公布投诉电话。"
# The handler's decision on each opinion and the measure they add to its draft (the only words
# an answer needs typed).
ANSWERS = {
    FORUM_OPINIONS[0]: (
        "adopted",
        "已将加装电梯纳入明年老旧小区改造计划，申请流程和补贴标准将在局网站公开",
    ),
    FORUM_OPINIONS[1]: ("partly", "公积金提取已可网上办理，其余事项年内实现一网通办"),
    ONLINE_OPINION: ("solved", "已责成施工单位停止夜间施工，投诉电话已在工地公示"),
}

CHARS_PER_MINUTE = 40
SECONDS_PER_CLICK = 5
SECONDS_PER_PAGE = 15
READ_CHARS_PER_MINUTE = 500


SHOTS: dict[str, str | None] = {"dir": None, "photos": None}


def shot(page, name):
    if SHOTS["dir"]:
        page.screenshot(path=str(Path(SHOTS["dir"]) / f"{name}.png"), full_page=True)


class Tally:
    """The effort of one side (the unit, or the office)."""

    def __init__(self, name, show):
        self.name, self.show = name, show
        self.clicks = self.typed_fields = self.typed_chars = self.pages = self.read_chars = 0

    def note(self, what):
        if self.show:
            print(f"  [{self.name}] {what}", flush=True)

    def click(self, locator, what=""):
        locator.click()
        self.clicks += 1
        self.note(f"click {what}")

    def check(self, locator, what=""):
        locator.check()
        self.clicks += 1
        self.note(f"check {what}")

    def choose(self, locator, value, what=""):
        locator.select_option(value)
        self.clicks += 1
        self.note(f"choose {what} = {value}")

    def type(self, locator, text, what=""):
        locator.fill(text)
        self.typed_fields += 1
        self.typed_chars += len(text)
        self.note(f"type {what}: {len(text)} chars")

    def complete(self, locator, placeholder_text, words, what=""):
        """Replace the placeholders of a draft with `words`: a typed field of len(words)."""
        value = locator.input_value()
        value = re.sub(r"【[^】]*】", words, value, count=1)
        value = re.sub(r"【[^】]*】", "", value)
        locator.fill(value)
        self.typed_fields += 1
        self.typed_chars += len(words)
        self.note(f"complete {what}: {len(words)} chars")

    def page(self, page):
        self.pages += 1
        self.note(f"page {page.url.split('/staff', 1)[-1]}")

    def read(self, text, what=""):
        self.read_chars += len(text or "")
        self.note(f"read {what}: {len(text or '')} chars")

    def minutes(self):
        seconds = (
            self.typed_chars / CHARS_PER_MINUTE * 60
            + self.clicks * SECONDS_PER_CLICK
            + self.pages * SECONDS_PER_PAGE
            + self.read_chars / READ_CHARS_PER_MINUTE * 60
        )
        return round(seconds / 60, 1)

    def figures(self):
        return {
            "clicks": self.clicks,
            "typed_fields": self.typed_fields,
            "typed_chars": self.typed_chars,
            "pages": self.pages,
            "read_chars": self.read_chars,
            "minutes_estimate": self.minutes(),
        }


def setup_django(env):
    os.environ.update({k: v for k, v in env.items() if k.startswith(("OPENDAY_", "DATABASE"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    import django

    django.setup()


def prepare():
    """The demo's accounts with a known password, and the unit's approved plan entry."""
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign, PlanEntry
    from openday.events.models import Event
    from openday.orgs.models import Org

    for user in User.objects.filter(username__in=[UNIT_ADMIN, HANDLER, OFFICE]):
        user.set_password(PASSWORD)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
    unit = Org.objects.get(name="开福区住房和城乡建设局")
    campaign = (
        Campaign.objects.filter(office=unit.parent, plan_published_at__isnull=False)
        .order_by("-year")
        .first()
    )
    entry = (
        PlanEntry.objects.filter(unit=unit, campaign=campaign, event__isnull=True)
        .order_by("week")
        .first()
    )
    if entry is None:
        from django.utils import timezone

        today = timezone.localdate()
        monday = today - __import__("datetime").timedelta(days=today.weekday() - 14)
        entry = PlanEntry.objects.create(
            campaign=campaign,
            unit=unit,
            theme="住房保障和老旧小区改造政策面对面",
            topic_area="住房保障",
            forms=["实地观摩", "座谈交流", "问卷调查"],
            intro="邀请人大代表、政协委员和居民代表走进老旧小区改造现场，了解政策并听取意见。",
            month=monday.month,
            week=monday,
        )
    assert not Event.objects.filter(plan_entry=entry).exists()
    return unit, entry


def sign_in(page, base, tally, username):
    page.goto(f"{base}/staff/login/")
    tally.page(page)
    tally.type(page.get_by_label("用户名"), username, "用户名")
    tally.type(page.get_by_label("密码"), PASSWORD, "密码")
    tally.click(page.get_by_role("button", name="登录"), "登录")
    page.wait_for_load_state()
    tally.page(page)


def on(page, tally, locator, what):
    """Click a link or button that opens a page."""
    tally.click(locator, what)
    page.wait_for_load_state()
    tally.page(page)


def public_registrations(browser, base, event):
    """Citizens register on their phones (not counted): returns their ticket codes."""
    codes = []
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    for i in range(PARTICIPANTS):
        page.goto(f"{base}/events/{event.pk}/")
        page.get_by_role("link", name=re.compile("我要报名")).first.click()
        page.get_by_label("姓名").fill(f"参加人{i + 1:02d}")
        page.get_by_label("手机号").fill(f"139{i + 1:08d}")
        categories = page.get_by_label("参加人类别")
        values = categories.locator("option").evaluate_all("os => os.map(o => o.value)")
        wanted = "deputy" if i < 2 and "deputy" in values else "public"
        categories.select_option(wanted if wanted in values else values[-1])
        page.get_by_label("我已阅读并同意").check()
        page.get_by_role("button", name="提交报名").click()
        page.wait_for_url(re.compile(r"/tickets/[A-Z0-9]+/"))
        codes.append(re.search(r"/tickets/([A-Z0-9]+)/", page.url).group(1))
    context.close()
    return codes


def public_survey_and_opinion(browser, base, survey, event, answers):
    """Participants answer the survey and one submits an opinion online (not counted)."""
    for n in range(answers):  # each on their own phone
        context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.goto(f"{base}/surveys/{survey.pk}/")
        form = page.locator("form:has(button:text('提交问卷'))")
        for group in form.locator("fieldset").all():
            radios = group.locator("input[type=radio]:visible")
            boxes = group.locator("input[type=checkbox]:visible")
            if radios.count():
                for name in sorted(set(radios.evaluate_all("els => els.map(e => e.name)"))):
                    # Most are satisfied; one in four answers the second choice.
                    group.locator(f"input[type=radio][name='{name}']").nth(int(n % 4 == 3)).check()
            elif boxes.count():
                boxes.first.check()
        for text in form.locator("textarea:visible").all():
            text.fill("活动组织得很好，希望多举办。")
        page.get_by_role("button", name="提交问卷").click()
        page.wait_for_load_state()
        context.close()
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(f"{base}/events/{event.pk}/")
    page.get_by_role("link", name=re.compile("提意见建议|提出意见")).first.click()
    page.get_by_label("意见建议").fill(ONLINE_OPINION)
    page.locator("#f-name").fill("参加人03")
    page.locator("#f-phone").fill("13900000003")
    page.locator("#f-consent").check()
    page.get_by_role("button", name="提交意见建议").click()
    page.wait_for_load_state()
    context.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="print every counted step")
    parser.add_argument("--screenshots", help="a folder for a screenshot of each main page")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"{CHROMIUM} 不存在：sudo apt-get install chromium fonts-noto-cjk")

    if args.screenshots:
        Path(args.screenshots).mkdir(parents=True, exist_ok=True)
        SHOTS["dir"] = args.screenshots
    scratch = tempfile.TemporaryDirectory(prefix="openday-walk-")
    env = dict(os.environ, OPENDAY_VAR_DIR=scratch.name, OPENDAY_LOG_LEVEL="warning")
    env.pop("DATABASE_URL", None)
    started = time.monotonic()
    _harness.openday(env, "migrate", "-v", "0")
    _harness.openday(env, "demo")
    setup_django(env)
    unit, entry = prepare()
    from openday.demo.publicity import placeholder_png

    for name, size in (("logo.png", (1200, 800)), ("site.png", (1200, 900))):
        (Path(scratch.name) / name).write_bytes(placeholder_png(*size))
    SHOTS["photos"] = scratch.name

    port = _harness.free_port()
    log = Path(scratch.name) / "serve.log"
    server_env = dict(env, PORT=str(port), HOST="127.0.0.1", WEB_WORKERS="1", WEB_THREADS="4")
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(_harness.BIN / "openday"), "serve"], env=server_env, stdout=out, stderr=out
        )
    worker = subprocess.Popen(
        [str(_harness.BIN / "openday"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _harness.wait_up(port, server, log)
        result = walk(f"http://127.0.0.1:{port}", unit, entry, args.show)
    finally:
        for proc in (server, worker):
            proc.terminate()
        for proc in (server, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, ensure_ascii=False))


def walk(base, unit, entry, show):
    from playwright.sync_api import sync_playwright

    unit_side, office_side = Tally("unit", show), Tally("office", show)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        contexts = {}

        def person(username):
            if username not in contexts:
                ctx = browser.new_context(
                    viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
                )
                ctx.set_default_timeout(20_000)
                contexts[username] = ctx.new_page()
            return contexts[username]

        event = steps(base, browser, person, unit_side, office_side, unit, entry)
        browser.close()
    return report(event, unit_side, office_side)


def steps(base, browser, person, u, o, unit, entry):
    from django.utils import timezone

    from openday.events.models import Event
    from openday.opinions.models import Opinion
    from openday.surveys.models import Survey

    # 1. The unit admin creates the event from the plan entry and publishes it: one screen.
    admin = person(UNIT_ADMIN)
    sign_in(admin, base, u, UNIT_ADMIN)
    on(admin, u, admin.locator("a[data-todo=events_to_create]"), "计划中待创建的活动")
    on(admin, u, admin.locator(f"a[href$='plan_entry={entry.pk}']"), "据此创建活动")
    u.read(admin.locator("main").inner_text()[:600], "prefilled form (skimmed)")
    shot(admin, "01-event-form")
    on(admin, u, admin.get_by_role("button", name="创建并发布"), "创建并发布")
    event = Event.objects.get(plan_entry=entry)
    assert event.status == Event.Status.OPEN, event.status

    # 2. Registration opens (the prefilled window may open days later) and the public registers
    # on their phones (not counted).
    now = timezone.now()
    Event.objects.filter(pk=event.pk, registration_opens_at__gt=now).update(
        registration_opens_at=now - timezone.timedelta(minutes=1)
    )
    codes = public_registrations(browser, base, event)

    # 3. The day comes: the event starts now.
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - timezone.timedelta(minutes=10), ends_at=now + timezone.timedelta(hours=2)
    )

    # 4. Check-in: the checklist opens the page; each ticket is scanned (one click each).
    admin.goto(f"{base}/staff/events/{event.pk}/")
    u.page(admin)
    on(admin, u, admin.locator("#step-checkin").get_by_role("link"), "打开签到页")
    for code in codes[:ARRIVE]:
        admin.locator("#id_ticket_code").fill(code)  # the scanner gun types the code
        u.click(admin.get_by_role("button", name="签到", exact=True), f"scan {code}")
        # The page checks in without reloading and says so in its status line.
        admin.locator("#checkin-status.msg").wait_for()
        said = admin.locator("#checkin-status")
        assert "msg-success" in (said.get_attribute("class") or ""), (code, said.inner_text())
        admin.evaluate("document.getElementById('checkin-status').className = ''")

    # 5. The satisfaction survey in one click; participants answer it on their phones.
    admin.goto(f"{base}/staff/events/{event.pk}/")
    u.page(admin)
    shot(admin, "02-event-day")
    on(admin, u, admin.locator("#step-survey").get_by_role("button"), "创建并发布满意度问卷")
    survey = Survey.objects.get(event=event)
    public_survey_and_opinion(browser, base, survey, event, answers=8)

    # 6. The opinions heard at the 座谈, entered from the checklist.
    on(admin, u, admin.locator("#step-opinions").get_by_role("link"), "录入座谈意见")
    for text in FORUM_OPINIONS:
        u.type(admin.get_by_label(re.compile("^意见内容|^意见建议")), text, "意见内容")
        # Saving opens an empty form for the next speaker, bound to the same event.
        on(admin, u, admin.get_by_role("button", name=re.compile("保存|提交|录入")).first, "保存")
    assert Opinion.objects.filter(event=event).count() == len(FORUM_OPINIONS) + 1

    # The event ends.
    Event.objects.filter(pk=event.pk).update(ends_at=timezone.now() - timezone.timedelta(minutes=1))
    photos_step(base, person, u, event)
    assign_answer_and_publish(base, person, u, o, unit, event)
    article = article_step(base, person, u, o, event)
    summary = summary_step(base, person, u, event)
    return event, article, summary


def assign_answer_and_publish(base, person, u, o, unit, event):
    from openday.accounts.models import User
    from openday.opinions.models import Opinion

    # The office assigns the event's new opinions to the unit and its handler in one go.
    office = person(OFFICE)
    sign_in(office, base, o, OFFICE)
    office.goto(f"{base}/staff/opinions/?event={event.pk}&status=new")  # from its to-do card
    o.clicks += 1
    o.page(office)
    o.check(office.locator("input[data-check-all]"), "全选")
    o.choose(office.locator("#bulk select[name=unit]"), str(unit.pk), "责任单位")
    handler = User.objects.get(username=HANDLER)
    o.choose(office.locator("#bulk select[name=assignee]"), str(handler.pk), "责任人")
    on(office, o, office.get_by_role("button", name="批量交办"), "批量交办")
    assert not Opinion.objects.filter(event=event, status="new").exists()

    # The handler answers each one from its draft, adding only the measure taken.
    page = person(HANDLER)
    sign_in(page, base, u, HANDLER)
    page.goto(f"{base}/staff/opinions/?event={event.pk}")  # from the 意见待答复 card
    u.clicks += 1
    u.page(page)
    # The first opinion is opened from the list; "提交并答复下一条" opens each following one.
    first = Opinion.objects.filter(event=event, assignee__username=HANDLER)
    first = first.order_by("due_date", "received_at", "pk").first()
    on(page, u, page.get_by_role("link", name=first.tracking_code).first, "open opinion")
    for _ in range(len(ANSWERS)):
        code = page.locator("h1 code").first.inner_text().strip()
        opinion = Opinion.objects.get(tracking_code=code)
        decision, measure = ANSWERS[opinion.content]
        u.read(opinion.content, "the opinion")
        u.check(page.locator(f"#answer input[name=decision][value={decision}]"), decision)
        box = page.locator("#answer textarea[name=answer]")
        draft = box.input_value()
        assert draft, "choosing a decision fills in its draft"
        u.read(draft, "answer draft")
        if "【" in draft:
            u.complete(box, "【", measure, "答复（补充措施）")
        shot(page, f"03-answer-{decision}")
        on(page, u, page.get_by_role("button", name="提交并答复下一条"), "提交并答复下一条")
        opinion.refresh_from_db()
        assert opinion.status == "answered", opinion.status
    assert not Opinion.objects.filter(event=event, status="assigned").exists()

    # The unit admin reads the answers and approves and publishes them in one go.
    admin = person(UNIT_ADMIN)
    admin.goto(f"{base}/staff/opinions/?event={event.pk}&status=answered")  # 答复待审核 card
    u.clicks += 1
    u.page(admin)
    for opinion in Opinion.objects.filter(event=event):
        u.read(opinion.answer, "answer to approve")
    u.check(admin.locator("input[data-check-all]"), "全选")
    u.check(admin.locator("#bulk input[name=publish]"), "同时公开")
    on(admin, u, admin.get_by_role("button", name="批量审核通过"), "批量审核通过")
    left = Opinion.objects.filter(event=event).exclude(status="published")
    assert not left.exists(), list(left.values_list("status", flat=True))


def photos_step(base, person, u, event):
    """The unit uploads the day's photos in one go, one of them showing the LOGO."""
    admin = person(UNIT_ADMIN)
    admin.goto(f"{base}/staff/events/{event.pk}/")
    u.clicks += 1
    u.page(admin)
    on(admin, u, admin.locator("#step-photos").get_by_role("link"), "上传照片")
    files = [Path(SHOTS["photos"]) / name for name in ("logo.png", "site.png")]
    admin.locator("#id_images").set_input_files([str(f) for f in files])
    u.clicks += 1  # choosing the files
    u.check(admin.get_by_label("照片中可见活动 LOGO"), "可见LOGO")
    on(admin, u, admin.get_by_role("button", name="上传"), "上传")
    assert event.photos.count() == 2, event.photos.count()


def article_step(base, person, u, o, event):
    from openday.publicity.models import Article

    admin = person(UNIT_ADMIN)
    admin.goto(f"{base}/staff/events/{event.pk}/")
    u.clicks += 1
    u.page(admin)
    shot(admin, "04-event-after")
    on(admin, u, admin.locator("#step-article").get_by_role("button"), "生成新闻稿")
    body = admin.locator("textarea[name=body]")
    u.read(admin.locator("input[name=title]").input_value() + body.input_value(), "news draft")
    if "【" in body.input_value():
        u.complete(body, "【", "座谈会上，代表们围绕老旧小区改造和公积金办理提出了意见建议", "正文")
    shot(admin, "05-article-draft")
    on(admin, u, admin.get_by_role("button", name="保存并提交审核"), "保存并提交审核")
    article = Article.objects.filter(event=event, kind="news").latest("updated_at")
    assert article.status == "submitted", article.status

    # The office reads and publishes it.
    office = person(OFFICE)
    office.goto(f"{base}/staff/articles/{article.pk}/")  # from its review queue
    o.clicks += 1
    o.page(office)
    o.read(article.body, "article to approve")
    on(office, o, office.get_by_role("button", name="审核通过并发布"), "审核通过并发布")
    article.refresh_from_db()
    assert article.status == "published", article.status
    return {"title": article.title, "lead": article.lead, "body": article.body}


def summary_step(base, person, u, event):
    from openday.summaries.models import EventSummary

    admin = person(UNIT_ADMIN)
    admin.goto(f"{base}/staff/events/{event.pk}/")
    u.clicks += 1
    u.page(admin)
    on(admin, u, admin.locator("#step-summary").get_by_role("link"), "写总结并报送")
    shot(admin, "06-summary-draft")
    additions = iter(
        [
            "部分受邀代表因工作冲突未能到场，现场讲解时间偏紧",
            "邀请发出较晚，议程安排不够宽松",
            "提前两周发出邀请，预留充足的座谈时间",
        ]
    )
    for box in admin.locator("form textarea").all():
        text = box.input_value()
        u.read(text, "summary section")
        if "【" in text:
            u.complete(box, "【", next(additions), "总结（补充）")
    on(admin, u, admin.get_by_role("button", name="报送总结"), "报送总结")
    summary = EventSummary.objects.get(event=event)
    if summary.status != "submitted":
        shot(admin, "07-summary-refused")
        errors = admin.locator(".error, .form-errors, .msg-error").all_inner_texts()
        raise SystemExit(f"summary not submitted: {errors}")
    return {
        name: getattr(summary, name)
        for name in ("overview", "experiences", "shortcomings", "causes", "next_steps")
    }


TARGETS = {"clicks": 45, "typed_fields": 12, "typed_chars": 600, "minutes_estimate": 30}


def repeated_sentences(texts):
    """Sentences (split at 。！？ and line ends) that occur more than once across `texts`."""
    seen, twice = set(), []
    for text in texts:
        for sentence in re.split(r"(?<=[。！？])|\n", text or ""):
            sentence = sentence.strip()
            if len(sentence) < 6:
                continue
            if sentence in seen:
                twice.append(sentence)
            seen.add(sentence)
    return twice


def checks(event, article, summary):
    """What the published texts must hold: the event's real figures, no placeholder, no
    sentence twice (each text on its own)."""
    from openday.lib.placeholders import find_placeholders
    from openday.opinions.models import Opinion

    arrived = event.registrations.exclude(checked_in_at=None).count()
    opinions = Opinion.objects.filter(event=event).exclude(status="merged").count()
    article_texts = [article["title"], article["lead"], article["body"]]
    summary_texts = list(summary.values())
    return {
        "article_has_checkins": f"签到{arrived}人" in article["body"],
        "article_has_opinions": f"意见建议{opinions}条" in article["body"],
        "summary_has_checkins": f"实际签到{arrived}人" in summary["overview"],
        "summary_has_opinions": f"意见建议{opinions}条" in summary["overview"],
        "placeholders": len(find_placeholders("\n".join(article_texts + summary_texts))),
        "article_repeated_sentences": repeated_sentences(article_texts),
        "summary_repeated_sentences": repeated_sentences(summary_texts),
    }


def report(result, unit_side, office_side):
    event, article, summary = result
    figures = unit_side.figures()
    found = checks(event, article, summary)
    met = all(figures[k] <= limit for k, limit in TARGETS.items()) and (
        all(v for k, v in found.items() if k.endswith(("checkins", "opinions")))
        and not found["placeholders"]
        and not found["article_repeated_sentences"]
        and not found["summary_repeated_sentences"]
    )
    return {
        **figures,
        "participants": event.registrations.exclude(checked_in_at=None).count(),
        "article": article,
        "summary": summary,
        "office": office_side.figures(),
        "checks": found,
        "targets": TARGETS,
        "result": "PASS" if met else "FAIL",
    }


if __name__ == "__main__":
    main()
