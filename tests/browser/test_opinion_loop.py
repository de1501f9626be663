"""The whole opinions loop in a real browser.

群众在手机上提意见（得到查询码）→ 政务公开办交办给单位和办理人 → 办理人答复（采纳）→ 单位管理员审核通过并公开
→ 公开栏显示（姓名脱敏）→ 群众凭查询码查到答复 → 回访人显示号码、记录满意度 → 办理统计随之变化。
"""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, _page
from .test_event_flow import assert_nothing_broken, no_horizontal_scroll, sign_in

pytestmark = pytest.mark.browser

OFFICE = "开福区政务公开政务服务工作领导小组办公室"
UNIT = "开福区住房和城乡建设局"
CONTENT = "建议在老旧小区改造工地周边增设夜间照明和警示标志，方便老人出行。"
PHONE = "13907318866"


def staff(browser, base, demo, username):
    ctx, page = _page(browser, DESKTOP)
    sign_in(page, base, username, demo[username])
    return ctx, page


def test_submit_assign_answer_approve_publish_call_back(live_server, demo, page, browser):
    from openday.accounts.models import User
    from openday.opinions.models import Opinion

    base = live_server.url
    handler = User.objects.get(username="kf-handler")

    # 1. A citizen on a phone.
    page.goto(f"{base}/opinions/new/")
    assert no_horizontal_scroll(page)
    page.get_by_label("受理单位").select_option(label=OFFICE)
    page.get_by_label("意见建议").fill(CONTENT)
    page.locator("#f-name").fill("王建国")
    page.locator("#f-phone").fill(PHONE)
    page.get_by_role("button", name="提交意见建议").click()
    expect(page.locator("#error-summary")).to_contain_text("同意")  # consent is needed
    expect(page.get_by_label("意见建议")).to_have_value(CONTENT)  # nothing typed is lost
    page.locator("#f-consent").check()
    page.get_by_role("button", name="提交意见建议").click()
    code = "".join(page.locator(".op-code span").all_inner_texts())
    assert len(code) == 10
    assert_nothing_broken(page)

    # 2. The office assigns it to the unit and its handler.
    office_ctx, office = staff(browser, base, demo, "kf-office")
    office.goto(f"{base}/staff/opinions/?q={code}")
    office.get_by_role("link", name=code).click()
    office.locator("form[method=get] select[name=unit]").select_option(label=UNIT)
    office.get_by_role("button", name="列出人员").click()
    office.get_by_label("责任人（可由单位稍后指定）").select_option(label=handler.full_name)
    office.get_by_role("button", name="交办", exact=True).click()
    expect(office.locator("body")).to_contain_text("办理中")
    opinion = Opinion.objects.get(tracking_code=code)
    assert opinion.unit.name == UNIT and opinion.assignee == handler and opinion.due_date

    # 3. The handler answers from the inbox.
    handler_ctx, hp = staff(browser, base, demo, "kf-handler")
    hp.goto(f"{base}/staff/opinions/")
    hp.get_by_role("link", name=code).click()
    hp.get_by_label("采纳", exact=True).check()
    hp.get_by_label("答复内容").fill("已安排施工单位增设夜间照明和警示标志，本月底前完成。")
    hp.get_by_role("button", name="提交答复").click()
    expect(hp.locator("body")).to_contain_text("待审核")

    # 4. The unit admin approves and publishes.
    admin_ctx, admin = staff(browser, base, demo, "kf-unit-admin")
    admin.goto(f"{base}/staff/opinions/{opinion.pk}/")
    admin.get_by_label("审核通过并公开").check()
    admin.get_by_role("button", name="提交审核结果").click()
    expect(admin.locator("body")).to_contain_text("已公开")

    # 5. The board shows it, masked; the citizen finds the answer with code and phone tail.
    page.goto(f"{base}/opinions/board/")
    expect(page.locator("body")).to_contain_text("增设夜间照明")
    expect(page.locator("body")).to_contain_text("王*")
    assert "王建国" not in page.content() and PHONE not in page.content()
    page.goto(f"{base}/opinions/status/")
    page.get_by_label("查询码").fill(code)
    page.get_by_label("手机号后四位").fill(PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text("本月底前完成")

    # 6. The call-back: the number only after asking for it; satisfaction recorded.
    admin.goto(f"{base}/staff/callbacks/")
    admin.locator("select[name=org]").select_option(label=opinion.unit.display_name)
    admin.locator("form:has(select[name=org])").get_by_role("button", name="生成").click()
    admin.get_by_role("link", name="王*").first.click()
    assert PHONE not in admin.content()
    admin.get_by_role("button", name="显示号码并拨打").click()
    expect(admin.locator(f'a[href="tel:{PHONE}"]')).to_be_visible()
    admin.get_by_label("已接通").check()
    admin.locator("input[name=satisfaction_handling][value='5']").check()
    admin.locator("input[name=satisfaction_event][value='4']").check()
    admin.get_by_label("回访记录").fill("对办理结果满意。")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("body")).to_contain_text("已接通")

    # 7. The figures moved.
    office.goto(f"{base}/staff/opinion-figures/")
    counters = office.locator(".counters")
    expect(counters).to_contain_text("100.0%")  # adoption and answered on time
    expect(counters).to_contain_text("5.0")  # satisfaction of the one call reached
    for p in (page, office, hp, admin):
        assert_nothing_broken(p)
    for ctx in (office_ctx, handler_ctx, admin_ctx):
        ctx.close()
