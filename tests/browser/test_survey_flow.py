"""A questionnaire in a real browser.

单位工作人员在电脑上打开统计结果页 → 群众在手机上扫码填写（条件题随答案出现、填到一半刷新页面内容仍在、
漏答必答题时提示并保留已填内容）→ 提交 → 统计页无需刷新，图表和份数自动更新。
"""

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, _page
from .test_event_flow import assert_nothing_broken, no_horizontal_scroll, sign_in

pytestmark = pytest.mark.browser

UNIT = "开福区住房和城乡建设局"


def make_survey():
    from openday.accounts.models import User
    from openday.orgs.models import Org
    from openday.surveys import services

    user = User.objects.get(username="kf-unit-admin")
    unit = Org.objects.get(name=UNIT)
    s = services.create_survey(user, unit, title="老旧小区改造现场观摩满意度调查")
    rating = services.save_question(user, s, {
        "kind": "rating", "title": "您对本次活动的总体评价",
        "options": ["非常满意", "满意", "一般", "不满意", "非常不满意"],
    })  # fmt: skip
    yes_no = services.save_question(
        user, s, {"kind": "single", "title": "您还有意见建议吗？", "options": ["有", "没有"]}
    )
    services.save_question(user, s, {
        "kind": "textarea", "title": "请写下您的意见建议",
        "show_if": {"question": yes_no.pk, "values": [1]},
    })  # fmt: skip
    services.set_status(user, s, "open")
    return s, rating


def chart_counts(page, question_id):
    return page.evaluate(
        """(id) => {
            const el = document.querySelector('[data-chart="' + id + '"]');
            const chart = el && window.echarts && echarts.getInstanceByDom(el);
            return chart ? chart.getOption().series[0].data : null;
        }""",
        question_id,
    )


def test_answer_on_a_phone_and_watch_the_chart_update(live_server, demo, page, browser):
    base = live_server.url
    survey, rating = make_survey()

    # Staff keep the results open on a desktop.
    staff_ctx, staff = _page(browser, {"width": 1280, "height": 800})
    sign_in(staff, base, "kf-unit-admin", demo["kf-unit-admin"])
    staff.goto(f"{base}/staff/surveys/{survey.pk}/results/")
    expect(staff.locator("#total-responses")).to_have_text("0")
    assert chart_counts(staff, rating.pk) == [0, 0, 0, 0, 0]

    # A citizen answers on a phone.
    page.goto(f"{base}/surveys/{survey.pk}/")
    assert no_horizontal_scroll(page)
    advice = page.get_by_label("请写下您的意见建议")
    expect(advice).to_be_hidden()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("有", exact=True).check()
    expect(advice).to_be_visible()
    advice.fill("希望公布改造进度")
    # Half-filled, the page is reloaded: what was typed and ticked is still there.
    page.reload()
    expect(page.get_by_label("满意", exact=True)).to_be_checked()
    expect(page.get_by_label("请写下您的意见建议")).to_have_value("希望公布改造进度")
    # Clearing a required answer and submitting: told what is missing, nothing lost.
    page.get_by_label("请写下您的意见建议").fill("")
    page.get_by_role("button", name="提交问卷").click()
    expect(page.locator("#error-summary")).to_contain_text("请回答此题")
    expect(page.get_by_label("满意", exact=True)).to_be_checked()
    page.get_by_label("请写下您的意见建议").fill("希望公布改造进度")
    page.get_by_role("button", name="提交问卷").click()
    expect(page.get_by_text("提交成功")).to_be_visible()
    assert_nothing_broken(page)

    # The staff page updates by itself (it polls every 5 s).
    expect(staff.locator("#total-responses")).to_have_text("1", timeout=15_000)
    assert chart_counts(staff, rating.pk) == [0, 1, 0, 0, 0]
    expect(staff.locator(f'[data-respondents="{rating.pk}"]')).to_have_text("1")
    assert_nothing_broken(staff)

    # The same phone cannot answer twice.
    page.goto(f"{base}/surveys/{survey.pk}/")
    expect(page.get_by_text("已经提交过")).to_be_visible()
    staff_ctx.close()


def test_the_survey_page_in_elderly_mode_on_a_phone(live_server, demo, browser):
    survey, _rating = make_survey()
    ctx, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    # The switch is a form post that redirects back: wait for it, or the goto below aborts it.
    with page.expect_navigation():
        page.get_by_role("button", name="关怀版").first.click()
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    assert "care" in page.evaluate("document.body.className")
    assert no_horizontal_scroll(page)
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.sq-title')).fontSize)"
    )
    assert size >= 20
    assert_nothing_broken(page)
    ctx.close()
