"""Accessibility in a real browser: axe-core over every page type, and forms by keyboard alone.

axe-core (bundled by axe-playwright-python) checks every public page type on a phone and the main
staff pages on a desktop; any violation of impact "serious" or "critical" fails the test and is
printed with its rule, the elements (CSS selectors) and axe's one-line help. Then a member of the
public registers for an event and answers a questionnaire using only the keyboard (Tab, typing,
Space, Enter and the arrow keys in a radio group).
"""

import re

import pytest
from playwright.sync_api import expect

from . import test_layout as layout
from .conftest import DESKTOP, PHONE, _page

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
TICKET_URL = re.compile(r"/tickets/([0-9A-Z]+)/$")


@pytest.fixture
def site(live_server, demo):
    return layout.build_site(live_server, demo)


def axe_problems(page, label):
    """The serious and critical violations on the page, one line per element."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("networkidle")
    # What is folded away in <details> is checked too.
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.wait_for_timeout(200)  # table-wrap.js re-checks the boxes after a <details> opens
    results = Axe().run(page)
    lines = []
    for v in results.response["violations"]:
        if v["impact"] not in BLOCKING:
            continue
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{label}: [{v['impact']}] {v['id']} {target} — {v['help']}")
    return lines


def staff_paths(site):
    c, e, s, o = site["campaign"], site["event"], site["survey"], site["opinion"]
    paths = [
        "/staff/",
        f"/staff/campaigns/{c.pk}/",
        f"/staff/campaigns/{c.pk}/plan/",
        f"/staff/events/{e.pk}/",
        f"/staff/events/{e.pk}/checkin/",
        f"/staff/surveys/{s.pk}/",
        f"/staff/surveys/{s.pk}/questions/new/",
        f"/staff/surveys/{s.pk}/results/",
        "/staff/opinions/",
        f"/staff/opinions/{o.pk}/",
        "/staff/opinion-figures/",
        "/staff/articles/",
        "/staff/summaries/",
        f"/staff/summaries/events/{site['held'].pk}/",
        f"/staff/campaigns/{c.pk}/evaluation/",
        f"/staff/campaigns/{c.pk}/evaluation/?tab=month",
        "/staff/orgs/",
        "/staff/audit/",
    ]
    if site["staff_article"]:
        paths.append(f"/staff/articles/{site['staff_article'].pk}/")
    return paths


def test_axe_finds_nothing_serious_on_public_pages(browser, site):
    base = site["base"]
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    problems = []
    try:
        for path in layout.public_paths(site):
            response = page.goto(base + path)
            assert response.status == 200, f"{path} -> {response.status}"
            problems += axe_problems(page, path)
        layout.look_up_opinion(page, base, site)
        problems += axe_problems(page, "/opinions/status/ (查询结果)")
        # The pages in 关怀版 too: its colours and sizes are its own.
        layout.enter_care_mode(page, base)
        for path in ("/", f"/events/{site['event'].pk}/", f"/surveys/{site['survey'].pk}/"):
            page.goto(base + path)
            problems += axe_problems(page, f"{path} (关怀版)")
    finally:
        context.close()
    print("\n".join(problems))
    assert problems == [], "axe 发现严重的无障碍问题：\n" + "\n".join(problems)


def test_axe_finds_nothing_serious_on_staff_pages(browser, site):
    base, e = site["base"], site["event"]
    problems = []
    for username, viewport, paths in (
        ("kf-office", DESKTOP, staff_paths(site)),
        # A unit admin at the venue, on a phone: wide tables scroll in their boxes there.
        ("kf-unit-admin", PHONE, ["/staff/", f"/staff/events/{e.pk}/", "/staff/opinions/"]),
    ):
        context, page = _page(browser, viewport)
        try:
            layout.sign_in(page, base, username, site["passwords"][username])
            for path in paths:
                response = page.goto(base + path)
                assert response.status == 200, f"{path} -> {response.status}"
                problems += axe_problems(page, f"{username} {path}")
        finally:
            context.close()
    print("\n".join(problems))
    assert problems == [], "axe 发现严重的无障碍问题：\n" + "\n".join(problems)


def tab_to(page, condition, limit=80):
    """Press Tab until the focused element meets `condition` (JS, given `el`); return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!({condition}); }})()"
        ):
            return page.locator(":focus")
    raise AssertionError(f"按 Tab {limit} 次也没有到达：{condition}")


def label_is(text):
    return f"el.labels && el.labels.length && el.labels[0].textContent.includes({text!r})"


def test_register_for_an_event_with_the_keyboard_alone(browser, site):
    base, event = site["base"], site["event"]
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/events/{event.pk}/")
        kb = page.keyboard
        tab_to(page, label_is("姓名"))
        kb.type("李秀兰")
        tab_to(page, label_is("手机号"))
        kb.type("13907310022")
        category = tab_to(page, label_is("参加人类别"))
        for _ in range(5):  # a closed <select> takes the arrow keys
            if category.input_value() == "public":
                break
            kb.press("ArrowDown")
        expect(category).to_have_value("public")
        tab_to(page, label_is("单位/职务"))
        kb.type("开福区居民")
        consent = tab_to(page, label_is("我已阅读并同意"))
        kb.press("Space")
        expect(consent).to_be_checked()
        tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('提交报名')")
        kb.press("Enter")
        expect(page).to_have_url(TICKET_URL)
        expect(page.locator("h1")).to_have_text("报名成功")
        assert page.broken == [], f"页面资源加载失败：{page.broken}"
    finally:
        context.close()


def test_answer_a_survey_with_the_keyboard_alone(browser, site):
    from openday.surveys.models import Response

    base, survey = site["base"], site["survey"]
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/surveys/{survey.pk}/")
        kb = page.keyboard
        # A radio group is one Tab stop; Space picks the first option, the arrows move the pick.
        first = tab_to(page, "el.type === 'radio'")
        expect(first).to_have_accessible_name("满意")
        kb.press("Space")
        kb.press("ArrowDown")
        expect(page.get_by_label("一般", exact=True)).to_be_checked()
        expect(page.get_by_label("满意", exact=True)).not_to_be_checked()
        # Checkboxes: each is a Tab stop, Space ticks it.
        tab_to(page, "el.type === 'checkbox'")
        kb.press("Space")
        tab_to(page, "el.type === 'checkbox'")
        tab_to(page, "el.type === 'checkbox'")
        kb.press("Space")
        expect(page.get_by_label("加装电梯", exact=True)).to_be_checked()
        expect(page.get_by_label("停车位", exact=True)).not_to_be_checked()
        expect(page.get_by_label("夜间施工噪音", exact=True)).to_be_checked()
        tab_to(page, "el.tagName === 'TEXTAREA'")
        kb.type("希望公布改造进度")
        tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('提交问卷')")
        kb.press("Enter")
        expect(page.get_by_text("提交成功")).to_be_visible()
        assert page.broken == [], f"页面资源加载失败：{page.broken}"
    finally:
        context.close()
    answer = Response.objects.get(survey=survey)
    assert answer is not None
