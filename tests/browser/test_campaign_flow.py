"""The annual campaign's whole declaration loop in a real browser, desktop viewport.

印发通知 → 单位申报（先被拒、再提交）→ 退回修改 → 重新提交 → 通过 → 生成并发布计划 →
公众在门户按月份看到活动。Two browser contexts: the office admin and the unit admin stay
signed in side by side; the anonymous visitor gets a third.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DESKTOP, TIMEOUT_MS

pytestmark = pytest.mark.browser

KAIFU_OFFICE = "开福区政务公开政务服务工作领导小组办公室"
UNIT = "开福区住房和城乡建设局"
THEME = "走进住建：老旧小区改造现场开放日"
MONTH = 5
SHORT_INTRO = "邀请居民参观改造现场。"
INTRO = (
    "邀请人大代表、政协委员和小区居民代表走进老旧小区改造项目现场，"
    "介绍改造内容、资金来源和施工进度，现场听取居民对加装电梯和停车位的意见建议。"
)
UNIT_PHONE = "13907310001"
RETURN_COMMENT = "请在活动简介中写明邀请对象的人数和活动地点。"
INTRO_FIXED = INTRO + "拟邀请约 30 名代表，地点为湘雅路街道某小区。"


def assert_nothing_broken(page):
    assert page.broken == [], f"页面资源加载失败：{page.broken}"


def new_desktop_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.broken = []
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and r.request.resource_type != "document"
            and page.broken.append(f"{r.status} {r.url}")
        ),
    )
    page.on("requestfailed", lambda r: page.broken.append(f"{r.failure} {r.url}"))
    return context, page


def download(page, link_name):
    """Click a download link; return the suggested file name.

    Chromium reports the navigation that turned into a download as ERR_ABORTED; that is not a
    broken resource, so it is dropped from page.broken.
    """
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    url = info.value.url
    page.broken[:] = [
        b for b in page.broken if not (b.startswith("net::ERR_ABORTED") and b.endswith(url))
    ]
    return info.value.suggested_filename


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/staff/")


def row_one(page):
    return page.get_by_role("group", name="序号 1")


def fill_row(page, *, theme, intro):
    row = row_one(page)
    row.get_by_label("活动主题", exact=True).fill(theme)
    row.get_by_label("活动时间（月份）", exact=True).select_option(label=f"{MONTH}月")
    row.get_by_label("座谈交流", exact=True).check()
    row.get_by_label("现场观摩", exact=True).check()
    row.get_by_label("主题领域", exact=True).select_option(label="民生实事")
    row.get_by_label("活动简介", exact=True).fill(intro)


@pytest.fixture
def campaign(demo):
    from openday.accounts.models import User
    from openday.campaigns import services
    from openday.orgs.models import Org

    office = Org.objects.get(name=KAIFU_OFFICE)
    admin = User.objects.get(username="kf-office")
    year = timezone.localdate().year + 1
    fields = services.preset_fields("theme_day", office, year)
    fields["declaration_deadline"] = timezone.localdate() + timedelta(days=14)
    return services.create_campaign(admin, office, **fields)


@pytest.fixture
def second_desktop_page(browser):
    context, page = new_desktop_page(browser)
    yield page
    context.close()


def test_declaration_loop_from_notice_to_public_plan(
    live_server, demo, campaign, desktop_page, second_desktop_page
):
    from openday.orgs.models import Org

    base = live_server.url
    unit = Org.objects.get(name=UNIT)
    detail_url = f"{base}/staff/campaigns/{campaign.pk}/"
    declare_url = f"{base}/staff/campaigns/{campaign.pk}/declare/{unit.pk}/"

    # --- The office admin issues the notice -------------------------------------------
    office = desktop_page
    sign_in(office, base, "kf-office", demo["kf-office"])
    office.goto(detail_url)
    expect(office.get_by_role("heading", level=1)).to_contain_text(campaign.title)
    office.on("dialog", lambda d: d.accept())
    office.get_by_role("button", name="印发通知").click()
    # The 发文字号 carries the year the notice is issued in, not the campaign's year.
    issue_year = timezone.localdate().year
    doc_number = re.compile(rf"开政务公开办发〔{issue_year}〕\d+号")
    expect(office.get_by_role("heading", level=1)).to_contain_text("申报中")
    expect(office.locator("dl.facts")).to_contain_text(doc_number)
    expect(office.get_by_text(re.compile(r"通知已印发（开政务公开办发"))).to_be_visible()
    expect(office.get_by_role("button", name="印发通知")).to_have_count(0)
    assert download(office, "下载通知（.docx）") == f"{campaign.title}-通知.docx"
    assert_nothing_broken(office)

    # --- The unit admin sees it on the dashboard and declares --------------------------
    unit_page = second_desktop_page
    sign_in(unit_page, base, "kf-unit-admin", demo["kf-unit-admin"])
    messages = unit_page.locator("section.panel", has=unit_page.get_by_role("heading", name="消息"))
    expect(messages.get_by_role("link", name=f"请申报：{campaign.title}")).to_be_visible()
    expect(messages).to_contain_text(doc_number)
    campaigns = unit_page.locator(
        "section.panel", has=unit_page.get_by_role("heading", name="年度活动", exact=True)
    )
    expect(campaigns.get_by_role("link", name=campaign.title)).to_be_visible()
    messages.get_by_role("link", name=f"请申报：{campaign.title}").click()
    expect(unit_page).to_have_url(declare_url)
    expect(unit_page.get_by_role("heading", level=1)).to_contain_text("活动主题申报表")
    expect(unit_page.get_by_text(f"填报单位：{UNIT}")).to_be_visible()
    assert download(unit_page, "下载申报表（.xlsx）") == f"{UNIT}-申报表.xlsx"

    unit_page.get_by_label("联系人", exact=True).fill("王住建")
    unit_page.get_by_label("联系电话", exact=True).fill(UNIT_PHONE)
    fill_row(unit_page, theme=THEME, intro=SHORT_INTRO)
    unit_page.get_by_role("button", name="提交", exact=True).click()
    # Refused in Chinese, and nothing typed is lost.
    expect(row_one(unit_page).get_by_role("alert")).to_contain_text(
        f"活动简介至少 30 个字，现有 {len(SHORT_INTRO)} 个字。"
    )
    expect(row_one(unit_page).get_by_label("活动主题", exact=True)).to_have_value(THEME)
    expect(row_one(unit_page).get_by_label("活动时间（月份）", exact=True)).to_have_value(
        str(MONTH)
    )
    expect(row_one(unit_page).get_by_label("座谈交流", exact=True)).to_be_checked()
    expect(unit_page.get_by_label("联系人", exact=True)).to_have_value("王住建")
    expect(unit_page.get_by_role("heading", level=1)).to_contain_text("草稿")

    row_one(unit_page).get_by_label("活动简介", exact=True).fill(INTRO)
    unit_page.get_by_role("button", name="提交", exact=True).click()
    expect(unit_page).to_have_url(declare_url)
    expect(unit_page.get_by_role("heading", level=1)).to_contain_text("已提交")
    expect(unit_page.get_by_text("申报表已提交，等待政务公开办审核。")).to_be_visible()
    expect(unit_page.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    assert_nothing_broken(unit_page)

    # --- The office returns it with a comment ------------------------------------------
    office.goto(f"{base}/staff/campaigns/{campaign.pk}/board/")
    unit_row = office.get_by_role("row").filter(has_text=UNIT)
    expect(unit_row).to_contain_text("已提交")
    expect(unit_row).to_contain_text(THEME)
    unit_row.get_by_role("link", name="审核").click()
    expect(office.get_by_role("heading", level=1)).to_contain_text(UNIT)
    expect(office.get_by_role("cell", name=INTRO)).to_be_visible()
    expect(office.locator("dl.facts")).to_contain_text(UNIT_PHONE)  # the office sees it in full
    # Returning without a comment is refused.
    office.get_by_role("button", name="退回修改").click()
    expect(office.get_by_role("alert")).to_contain_text("退回时请写明退回意见")
    office.get_by_label("审核意见").fill(RETURN_COMMENT)
    office.get_by_role("button", name="退回修改").click()
    expect(office).to_have_url(f"{base}/staff/campaigns/{campaign.pk}/board/")
    expect(office.get_by_text("已退回，单位会收到退回意见。")).to_be_visible()
    expect(office.get_by_role("row").filter(has_text=UNIT)).to_contain_text("已退回")

    # --- The unit reads the comment, fixes and resubmits ------------------------------
    unit_page.goto(declare_url)
    expect(unit_page.get_by_role("heading", level=1)).to_contain_text("已退回")
    expect(unit_page.get_by_role("alert").filter(has_text="退回意见")).to_contain_text(
        RETURN_COMMENT
    )
    expect(row_one(unit_page).get_by_label("活动主题", exact=True)).to_have_value(THEME)
    row_one(unit_page).get_by_label("活动简介", exact=True).fill(INTRO_FIXED)
    unit_page.get_by_role("button", name="提交", exact=True).click()
    expect(unit_page.get_by_role("heading", level=1)).to_contain_text("已提交")
    expect(unit_page.get_by_text("政务公开办退回意见")).to_have_count(0)

    # --- The office approves, generates and publishes the plan ------------------------
    office.goto(f"{base}/staff/campaigns/{campaign.pk}/board/")
    office.get_by_role("row").filter(has_text=UNIT).get_by_role("link", name="审核").click()
    expect(office.get_by_role("cell", name=INTRO_FIXED)).to_be_visible()
    office.get_by_role("button", name="通过").click()
    expect(office.get_by_text("已通过。")).to_be_visible()
    expect(office.get_by_role("row").filter(has_text=UNIT)).to_contain_text("已通过")

    office.goto(detail_url)
    office.get_by_role("link", name="计划安排表").click()
    expect(office).to_have_url(f"{base}/staff/campaigns/{campaign.pk}/plan/")
    expect(office.get_by_text("还没有计划。")).to_be_visible()
    office.get_by_role("button", name="生成计划").click()
    expect(
        office.get_by_text(re.compile(r"已生成计划：1 项，其中 1 项完全满足规则"))
    ).to_be_visible()
    plan_row = office.get_by_role("row").filter(has_text=THEME)
    expect(plan_row).to_contain_text(UNIT)
    expect(plan_row).to_contain_text(f"{MONTH}月")
    office.get_by_role("button", name="发布计划").click()
    expect(office.get_by_text("计划安排表已发布，公众可在门户查看。")).to_be_visible()
    expect(office.get_by_role("heading", level=1)).to_contain_text("已发布")
    expect(office.get_by_role("table")).to_contain_text(THEME)
    assert_nothing_broken(office)

    # --- Anyone sees it on the portal, under its month --------------------------------
    context, visitor = new_desktop_page(office.context.browser)
    try:
        visitor.goto(f"{base}/campaigns/{campaign.pk}/")
        expect(visitor.get_by_role("heading", level=1)).to_have_text(campaign.title)
        expect(visitor.get_by_text(doc_number)).to_be_visible()
        month = visitor.locator("section.plan-month").filter(
            has=visitor.get_by_role("heading", name=re.compile(rf"^{MONTH}月"))
        )
        expect(month).to_contain_text(THEME)
        expect(month).to_contain_text(UNIT)
        expect(month.get_by_role("heading")).to_contain_text("1 场")
        other = visitor.locator("section.plan-month").filter(
            has=visitor.get_by_role("heading", name=re.compile(rf"^{MONTH + 1}月"))
        )
        expect(other).to_contain_text("本月暂无安排。")
        # No contact details on the public page.
        expect(visitor.locator("body")).not_to_contain_text(UNIT_PHONE)
        expect(visitor.locator("body")).not_to_contain_text("王住建")
        assert_nothing_broken(visitor)
    finally:
        context.close()
