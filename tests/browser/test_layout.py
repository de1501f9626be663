"""Layout in a real browser: staff pages fit a 1280 px screen, 关怀版 public pages are large and clear.

(a) The office admin and the operator open the main staff page types at 1280×800: the page never
    scrolls sideways (wide tables scroll inside their own `.table-wrap` box).
(b) In 关怀版 on a phone (390×844), every public page type: each visible piece of text is at least
    18 px and has a contrast of at least 7:1 (WCAG AAA) against the background it is drawn on.

The data (an event with a registration, a survey, an opinion with its tracking code) is built
through the services on top of the demo, as the flow tests do.
"""

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, _page

pytestmark = pytest.mark.browser

UNIT = "开福区住房和城乡建设局"
OFFICE = "开福区政务公开政务服务工作领导小组办公室"
OPINION_PHONE = "13907318866"
# Long unbreakable text: it must wrap, not widen the page.
LONG_URL = "https://www.kaifu.gov.cn/xxgk/zdlyxxgk/lxxqgz/2023/202306/t20230615_" + "0123456789" * 8
MIN_CARE_PX = 18
MIN_CARE_CONTRAST = 7.0

# Elements wider than the viewport that are not inside a box scrolling on its own.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  // Inside a box that scrolls or clips (and not positioned out of it).
  const clipped = (el) => {
    for (let p = el; p.parentElement; p = p.parentElement) {
      if (["absolute", "fixed"].includes(getComputedStyle(p).position)) return false;
      const o = getComputedStyle(p.parentElement).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0 && !clipped(el)) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
               " right=" + Math.round(r.right) + " " + (el.textContent || "").trim().slice(0, 30));
    }
  }
  return out.slice(0, 15);
}"""

# Every visible piece of text: its font size, colours and the background it is drawn on.
TEXTS = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let p = el; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.backgroundImage && s.backgroundImage !== "none") return { image: true };
      const c = parse(s.backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let rgb = [255, 255, 255, 1];
    for (const c of layers.reverse()) rgb = over(c, rgb);
    return { rgb };
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const hidden = (el) => {
    for (let p = el; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return true;
      if (p.classList && (p.classList.contains("visually-hidden") || p.classList.contains("skip"))) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, script, style, template, noscript, option")) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const control = (el.matches("input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea") && (el.value || "").trim());
    if (!own && !control) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || hidden(el)) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    const bg = background(el);
    let ratio = null;
    if (bg.rgb) {
      const f = over(fg, bg.rgb);
      const [a, b] = [lum(f), lum(bg.rgb)].sort((x, y) => y - x);
      ratio = (a + 0.05) / (b + 0.05);
    }
    const text = (control ? el.value : el.textContent).trim().replace(/\\s+/g, " ").slice(0, 30);
    out.push({
      tag: el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""),
      text, px: parseFloat(s.fontSize), ratio, color: s.color,
      bg: bg.rgb ? "rgb(" + bg.rgb.slice(0, 3).map(Math.round).join(",") + ")" : "image",
    });
  }
  return out;
}"""


def assert_nothing_broken(page):
    # A request cut short by the next navigation (the icon, say) is not a broken resource.
    broken = [b for b in page.broken if "ERR_ABORTED" not in b]
    assert broken == [], f"页面资源加载失败：{broken}"


def fits(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def sign_in(page, base, username, password):
    page.goto(f"{base}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base}/staff/")


@pytest.fixture
def site(live_server, demo):
    return build_site(live_server, demo)


def build_site(live_server, demo):
    """The demo, plus an upcoming event with a registration, an open survey and a new opinion."""
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign, Declaration
    from openday.events import services as events
    from openday.events.models import Event
    from openday.opinions import services as opinions
    from openday.orgs.models import Org
    from openday.publicity.access import public_articles
    from openday.publicity.models import Article
    from openday.surveys import services as surveys

    call_command("demo", stdout=io.StringIO())
    admin = User.objects.get(username="kf-unit-admin")
    unit = Org.objects.get(name=UNIT)
    day = timezone.localdate() + timedelta(days=2)
    starts = timezone.make_aware(datetime(day.year, day.month, day.day, 9, 0))
    event = events.create_event(
        admin,
        unit,
        title=f"{UNIT}{day.year}年“政务公开主题日”活动暨老旧小区改造现场观摩",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venues=[{"name": "老旧小区改造项目现场", "address": "开福区湘江中路二段 36 号"}],
        capacity=30,
        quotas={"public": 20, "deputy": 10},
        publish=True,
    )
    registration = events.register(
        event.pk, name="王建国", phone="13907310011", category="public", consent=True
    )
    survey = surveys.create_survey(admin, unit, title="老旧小区改造现场观摩满意度调查")
    surveys.save_question(
        admin,
        survey,
        {
            "kind": "single",
            "title": "您对本次活动满意吗",
            "options": ["满意", "一般", "不满意"],
        },
    )
    surveys.save_question(
        admin,
        survey,
        {
            "kind": "multiple",
            "title": "您最关心哪些方面",
            "required": False,
            "options": ["加装电梯", "停车位", "夜间施工噪音"],
        },
    )
    surveys.save_question(
        admin, survey, {"kind": "textarea", "title": "意见建议", "required": False}
    )
    surveys.set_status(admin, survey, "open")
    opinion = opinions.submit_opinion(
        content=f"建议在老旧小区改造工地周边增设夜间照明和警示标志，方便老人出行。详见 {LONG_URL}",
        source="online",
        office=Org.objects.get(name=OFFICE),
        name="王建国",
        phone=OPINION_PHONE,
        consent=True,
    )
    campaign = (
        Campaign.objects.filter(office__name=OFFICE, status__in=["plan_published", "closed"])
        .order_by("-year")
        .first()
    )
    held = Event.objects.filter(unit__name__startswith="开福区", summary__isnull=False).first()
    return {
        "base": live_server.url,
        "passwords": demo,
        "campaign": campaign,
        "declaration": Declaration.objects.filter(campaign=campaign).first(),
        "event": event,
        "held": held or Event.objects.exclude(status="draft").first(),
        "ticket": registration.ticket_code,
        "survey": survey,
        "opinion": opinion,
        "article": public_articles().filter(campaign__isnull=False).order_by("pk").first(),
        "staff_article": Article.objects.filter(unit__name__startswith="开福区").first(),
        "unit": unit,
    }


def office_admin_paths(site):
    c, e, s, o = site["campaign"], site["event"], site["survey"], site["opinion"]
    held, article = site["held"], site["staff_article"]
    paths = [
        "/staff/",
        "/staff/campaigns/",
        f"/staff/campaigns/{c.pk}/",
        f"/staff/campaigns/{c.pk}/plan/",
        f"/staff/campaigns/{c.pk}/board/",
        f"/staff/campaigns/{c.pk}/evaluation/",
        f"/staff/campaigns/{c.pk}/evaluation/?tab=month",
        f"/staff/campaigns/{c.pk}/evaluation/?tab=rollup",
        f"/staff/campaigns/{c.pk}/evaluation/awards/",
        f"/staff/campaigns/{c.pk}/evaluation/units/{site['unit'].pk}/",
        "/staff/events/",
        f"/staff/events/{e.pk}/",
        f"/staff/events/{e.pk}/checkin/",
        "/staff/surveys/",
        f"/staff/surveys/{s.pk}/",
        f"/staff/surveys/{s.pk}/results/",
        f"/staff/surveys/{s.pk}/responses/",
        "/staff/opinions/",
        f"/staff/opinions/{o.pk}/",
        "/staff/opinion-figures/",
        "/staff/callbacks/",
        "/staff/articles/",
        "/staff/summaries/",
        f"/staff/summaries/events/{held.pk}/",
        "/staff/orgs/",
        f"/staff/orgs/{site['unit'].pk}/",
        "/staff/regions/",
        "/staff/audit/",
        f"/staff/workdays/{timezone.localdate().year}/",
        "/staff/account/",
    ]
    if article:
        paths.append(f"/staff/articles/{article.pk}/")
    if site["declaration"]:
        paths.append(f"/staff/declarations/{site['declaration'].pk}/")
    return paths


OPERATOR_PATHS = ["/staff/", "/staff/status/", "/staff/orgs/", "/staff/audit/", "/staff/regions/"]


# Table boxes that scroll but cannot be reached with the keyboard (table-wrap.js names them).
UNREACHABLE = """() => Array.from(document.querySelectorAll(".table-wrap"))
  .filter((w) => w.scrollWidth > w.clientWidth + 1)
  .filter((w) => w.tabIndex !== 0 || w.getAttribute("role") !== "region" || !w.getAttribute("aria-label"))
  .map((w) => (w.querySelector("th") || w).textContent.trim().slice(0, 20))"""


def check_fits(page, base, paths):
    problems = []
    for path in paths:
        response = page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        if not fits(page):
            problems.append(f"{path}: {page.evaluate(OVERFLOWING)}")
        unreachable = page.evaluate(UNREACHABLE)
        if unreachable:
            problems.append(f"{path}: 可滚动的表格不能用键盘到达 {unreachable}")
    return problems


def test_staff_pages_fit_1280_px(browser, site):
    base = site["base"]
    problems = []
    for username, paths in (("kf-office", office_admin_paths(site)), ("ops", OPERATOR_PATHS)):
        context, page = _page(browser, DESKTOP)
        try:
            sign_in(page, base, username, site["passwords"][username])
            problems += [f"{username} {p}" for p in check_fits(page, base, paths)]
        finally:
            context.close()
    report = "\n".join(problems)
    assert problems == [], f"工作人员页面在 1280px 宽的屏幕上出现了横向滚动：\n{report}"


def care_problems(page, label):
    problems = []
    for t in page.evaluate(TEXTS):
        where = f"{label} <{t['tag']}> “{t['text']}”"
        if t["px"] < MIN_CARE_PX - 0.01:
            problems.append(f"{where}: 字号 {t['px']:.1f}px")
        if t["ratio"] is not None and t["ratio"] < MIN_CARE_CONTRAST:
            problems.append(f"{where}: 对比度 {t['ratio']:.2f}（{t['color']} / {t['bg']}）")
    return problems


def public_paths(site):
    c, e, s = site["campaign"], site["event"], site["survey"]
    paths = [
        "/",
        "/privacy/",
        "/campaigns/",
        f"/campaigns/{c.pk}/",
        f"/campaigns/{c.pk}/column/",
        "/events/",
        f"/events/{e.pk}/",
        f"/tickets/{site['ticket']}/",
        "/surveys/",
        f"/surveys/{s.pk}/",
        "/opinions/new/",
        "/opinions/status/",
        "/opinions/board/",
    ]
    if site["article"]:
        paths.append(f"/articles/{site['article'].pk}/")
    return paths


def enter_care_mode(page, base):
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.get_by_role("button", name="关怀版（大字）").click()
    expect(page.locator("body")).to_have_class("portal care")


def look_up_opinion(page, base, site):
    page.goto(f"{base}/opinions/status/")
    page.get_by_label("查询码").fill(site["opinion"].tracking_code)
    page.get_by_label("手机号后四位").fill(OPINION_PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text("夜间照明")


def test_care_mode_text_is_large_and_high_contrast(browser, site):
    base = site["base"]
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    problems = []
    try:
        enter_care_mode(page, base)
        for path in public_paths(site):
            response = page.goto(base + path)
            assert response.status == 200, f"{path} -> {response.status}"
            problems += care_problems(page, path)
            if not fits(page):
                problems.append(f"{path}: 横向滚动 {page.evaluate(OVERFLOWING)}")
        look_up_opinion(page, base, site)
        problems += care_problems(page, "/opinions/status/ (查询结果)")
    finally:
        context.close()
    assert problems == [], "关怀版中有字号过小或对比度不足的文字：\n" + "\n".join(problems)
    assert_nothing_broken(page)
