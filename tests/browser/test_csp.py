"""Every kind of page under the Content-Security-Policy in a real browser: no violation.

The demo data (`openday demo`) gives one of each page; the office admin, a unit admin and an
operator sign in. An init script records `securitypolicyviolation` events in every document
(window.__cspViolations) and console errors naming the policy are collected too; a few confirm
buttons and a print button are clicked, and a chart's tooltip is shown, since those are what
moved from inline handlers and HTML into scripts.
"""

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, _page

pytestmark = pytest.mark.browser

WATCH = """
window.__cspViolations = [];
window.__printed = 0;
window.print = function () { window.__printed += 1; };
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push([location.pathname, e.violatedDirective, e.blockedURI,
                               e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
});
"""


def watched(browser, viewport, **extra):
    context, page = _page(browser, viewport, **extra)
    context.add_init_script(WATCH)
    page.csp = []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "Content Security Policy" in m.text
            and page.csp.append(f"{page.url}: {m.text}")
        ),
    )
    return context, page


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    collect(page)
    return response


def collect(page):
    try:
        page.csp += page.evaluate("window.__cspViolations || []")
        page.evaluate("window.__cspViolations = []")
    except Exception as exc:  # a page navigating away
        page.csp.append(f"{page.url}: could not read violations ({exc})")


def assert_no_violations(page):
    collect(page)
    assert page.csp == [], "违反内容安全策略（CSP）：\n" + "\n".join(page.csp)
    assert page.broken == [], f"页面资源加载失败：{page.broken}"


def sign_in(page, base, username, password):
    page.goto(f"{base}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base}/staff/")
    collect(page)


@pytest.fixture
def site(live_server, demo):
    """The whole demo, an upcoming event with a registration of its own, and the objects."""
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign, Declaration
    from openday.events import services as events
    from openday.events.models import Event
    from openday.opinions.models import Opinion
    from openday.orgs.models import Org
    from openday.publicity.access import public_articles
    from openday.publicity.models import Article
    from openday.surveys import services as surveys

    call_command("demo", stdout=io.StringIO())
    unit = Org.objects.get(name="开福区住房和城乡建设局")
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts = timezone.make_aware(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0))
    event = events.create_event(
        User.objects.get(username="kf-unit-admin"),
        unit,
        title=f"{unit.name}{tomorrow.year}年“政务公开主题日”活动",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venues=[{"name": "项目现场", "address": "开福区"}],
        capacity=10,
        publish=True,
    )
    registrations = [
        events.register(event.pk, name=n, phone=p, category="public", consent=True)
        for n, p in (("王建国", "13907310011"), ("李秀兰", "13907310022"))
    ]
    admin = User.objects.get(username="kf-unit-admin")
    survey = surveys.create_survey(admin, unit, title="参观满意度调查")
    surveys.save_question(
        admin,
        survey,
        {"kind": "single", "title": "您对本次活动满意吗", "options": ["满意", "一般", "不满意"]},
    )
    surveys.save_question(
        admin, survey, {"kind": "textarea", "title": "意见建议", "required": False}
    )
    surveys.set_status(admin, survey, "open")
    campaign = Campaign.objects.filter(office__name__startswith="开福区").exclude(status="draft")
    campaign = campaign.order_by("-year").first()
    held = Event.objects.filter(unit__name__startswith="开福区", summary__isnull=False).first()
    return {
        "base": live_server.url,
        "passwords": demo,
        "campaign": campaign,
        "declaration": Declaration.objects.filter(campaign=campaign).first(),
        "event": event,
        "held": held or Event.objects.exclude(status="draft").first(),
        "tickets": [r.ticket_code for r in registrations],
        "survey": survey,
        "opinion": Opinion.objects.filter(office__name__startswith="开福区").first(),
        "article": public_articles().order_by("pk").first(),
        "staff_article": Article.objects.filter(unit__name__startswith="开福区").first()
        or Article.objects.first(),
    }


def test_public_pages_on_a_phone(browser, site):
    base = site["base"]
    context, page = watched(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        c, s, a = site["campaign"], site["survey"], site["article"]
        for path in [
            "/",
            "/privacy/",
            "/campaigns/",
            f"/campaigns/{c.pk}/",
            f"/campaigns/{c.pk}/column/",
            f"/articles/{a.pk}/",
            "/events/",
            f"/events/{site['event'].pk}/",
            "/surveys/",
            f"/surveys/{s.pk}/",
            f"/surveys/{s.pk}/done/",
            "/opinions/new/",
            "/opinions/status/",
            "/opinions/board/",
            "/opinions/board/print/",
            "/no-such-page/",
        ]:
            visit(page, base + path)
        # The opinion form's script (counter) runs from its file.
        visit(page, f"{base}/opinions/new/")
        page.locator("#f-content").fill("希望延长周末开放时间")
        expect(page.locator("#f-content-count")).to_contain_text("已输入 10 字")
        # The printable notice prints from its button.
        visit(page, f"{base}/opinions/board/print/")
        page.get_by_role("button", name="打印公示").click()
        assert page.evaluate("window.__printed") == 1
        # The ticket's cancel button asks first: dismissed, nothing happens; accepted, cancelled.
        visit(page, f"{base}/tickets/{site['tickets'][0]}/")
        page.once("dialog", lambda d: d.dismiss())
        page.get_by_role("button", name="取消报名").click()
        expect(page.get_by_role("button", name="取消报名")).to_be_visible()
        messages = []
        page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
        page.get_by_role("button", name="取消报名").click()
        expect(page.locator("body")).to_contain_text("报名已取消")
        assert messages == ["确定取消报名吗？"]
        collect(page)
        assert_no_violations(page)
    finally:
        context.close()


def test_staff_pages_as_the_office_admin(browser, site):
    base = site["base"]
    context, page = watched(browser, DESKTOP)
    try:
        sign_in(page, base, "kf-office", site["passwords"]["kf-office"])
        c, e, s = site["campaign"], site["event"], site["survey"]
        held = site["held"]
        paths = [
            "/staff/",
            f"/staff/campaigns/{c.pk}/",
            f"/staff/campaigns/{c.pk}/plan/",
            f"/staff/campaigns/{c.pk}/board/",
            f"/staff/events/{e.pk}/",
            f"/staff/events/{e.pk}/checkin/",
            f"/staff/surveys/{s.pk}/",
            f"/staff/surveys/{s.pk}/results/",
            f"/staff/surveys/{s.pk}/poster/",
            "/staff/opinions/",
            "/staff/opinion-figures/",
            "/staff/articles/",
            f"/staff/articles/{site['staff_article'].pk}/",
            f"/staff/articles/{site['staff_article'].pk}/edit/",
            f"/staff/articles/{site['staff_article'].pk}/bulletin/",
            "/staff/summaries/",
            f"/staff/summaries/events/{held.pk}/",
            f"/staff/summaries/events/{held.pk}/photos/",
            f"/staff/campaigns/{c.pk}/evaluation/",
            f"/staff/campaigns/{c.pk}/evaluation/awards/",
            "/staff/orgs/",
            "/staff/workdays/2026/",
        ]
        if site["declaration"]:
            paths.append(f"/staff/declarations/{site['declaration'].pk}/")
        if site["opinion"]:
            paths.append(f"/staff/opinions/{site['opinion'].pk}/")
        for path in paths:
            response = visit(page, base + path)
            assert response.status == 200, f"{path} -> {response.status}"
        # A chart's tooltip (drawn inside the chart, not as HTML with style attributes).
        visit(page, f"{base}/staff/opinion-figures/")
        chart = page.locator("#chart-months")
        if chart.count():
            box = chart.bounding_box()
            assert box["height"] >= 250, "图表高度（data-height）没有生效"
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(300)
        # The check-in page alone may use the camera.
        visit(page, f"{base}/staff/events/{e.pk}/checkin/")
        allowed = (
            "(document.featurePolicy || null) && document.featurePolicy.allowsFeature('camera')"
        )
        assert page.evaluate(allowed) is True
        visit(page, f"{base}/staff/events/{e.pk}/")
        assert page.evaluate(allowed) is False
        # Cancelling a registration asks first.
        messages = []
        page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
        page.get_by_role("button", name="取消").first.click()
        page.wait_for_load_state("networkidle")
        assert messages == ["确定取消该报名？"]
        assert_no_violations(page)
    finally:
        context.close()


def test_staff_pages_as_a_unit_admin_and_an_operator(browser, site):
    base = site["base"]
    context, page = watched(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        sign_in(page, base, "kf-unit-admin", site["passwords"]["kf-unit-admin"])
        e = site["event"]
        for path in [
            "/staff/",
            f"/staff/events/{e.pk}/",
            f"/staff/events/{e.pk}/checkin/",
            f"/staff/campaigns/{site['campaign'].pk}/",
            "/staff/surveys/",
            "/staff/opinions/",
        ]:
            response = visit(page, base + path)
            assert response.status == 200, f"{path} -> {response.status}"
        # The check-in script: check a ticket in by its code.
        visit(page, f"{base}/staff/events/{e.pk}/checkin/")
        page.get_by_label("票号（扫码枪或手工输入）").fill(site["tickets"][1])
        page.get_by_role("button", name="签到", exact=True).first.click()
        expect(page.locator("#checkin-status")).to_contain_text("签到成功")
        assert_no_violations(page)
    finally:
        context.close()
    context, page = watched(browser, DESKTOP)
    try:
        sign_in(page, base, "ops", site["passwords"]["ops"])
        response = visit(page, f"{base}/staff/status/")
        assert response.status == 200
        assert_no_violations(page)
    finally:
        context.close()
