"""An article from the unit to the public special column, in a real browser.

单位工作人员在活动页面点“写报道”→ 填写标题、导语、正文 → 保存草稿 → 上传现场照片 → 提交审核 →
政务公开办在“待审核”中打开、审核通过并发布 → 群众在手机上打开活动专栏，搜索、阅读全文（照片正常显示），
切换关怀版也能读。
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DESKTOP, _page
from .test_event_flow import assert_nothing_broken, no_horizontal_scroll, sign_in

pytestmark = pytest.mark.browser

UNIT = "开福区住房和城乡建设局"
TITLE = "老旧小区改造现场观摩活动成功举办"
LEAD = "二十余名群众代表走进老旧小区改造项目现场。"
FIRST = "活动当天，群众代表实地察看了加装电梯和雨污分流改造工程。"
LAST = "座谈会上，代表们围绕停车位和夜间施工噪音提出了意见建议。"


def staff(browser, base, demo, username):
    ctx, page = _page(browser, DESKTOP)
    sign_in(page, base, username, demo[username])
    return ctx, page


def make_campaign_event():
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns
    from openday.events import services
    from openday.orgs.models import Org

    load_demo_campaigns()
    unit = Org.objects.get(name=UNIT)
    campaign = Campaign.objects.get(office=unit.parent, year=2023)
    day = timezone.localdate() + timedelta(days=3)
    starts = timezone.make_aware(datetime(day.year, day.month, day.day, 9, 0))
    event = services.create_event(
        User.objects.get(username="kf-unit-admin"), unit,
        title=f"{UNIT}2023年“政务公开主题日”活动暨老旧小区改造现场观摩",
        starts_at=starts, ends_at=starts + timedelta(hours=2), campaign=campaign,
        venues=[{"name": "老旧小区改造项目现场", "address": "开福区"}], capacity=30, publish=True,
    )  # fmt: skip
    return campaign, event


def test_write_submit_approve_and_read_in_the_column(live_server, demo, page, browser):
    from openday.demo.publicity import placeholder_png
    from openday.publicity.models import Article

    base = live_server.url
    campaign, event = make_campaign_event()

    # 1. The unit's staff writes from the event page, saves, adds a photo and submits.
    staff_ctx, sp = staff(browser, base, demo, "kf-unit-staff")
    sp.goto(f"{base}/staff/events/{event.pk}/")
    sp.get_by_role("link", name="写报道").click()
    expect(sp.get_by_label("关联活动", exact=True)).to_have_value(str(event.pk))
    sp.get_by_label("标题", exact=True).fill(TITLE)
    sp.get_by_label("导语（可空）").fill(LEAD)
    sp.get_by_label("正文", exact=True).fill(f"{FIRST}\n\n[图1]\n\n{LAST}")
    sp.get_by_role("button", name="保存草稿").click()
    expect(sp.locator(".messages")).to_contain_text("稿件已保存为草稿")
    sp.get_by_label("上传图片").set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": placeholder_png(320, 200)}]
    )
    sp.get_by_label("图片说明（可空）").fill("群众代表察看加装电梯工程")
    sp.get_by_role("button", name="上传", exact=True).click()
    expect(sp.locator(".messages")).to_contain_text("图片已上传")
    expect(sp.locator(".article-figure img")).to_have_js_property("complete", True)
    sp.get_by_role("button", name="保存并提交审核").click()
    expect(sp.locator("h1")).to_contain_text("待审核")
    article = Article.objects.get(title=TITLE)
    assert article.status == Article.Status.SUBMITTED and article.event == event

    # 2. The office opens it from the review queue and publishes it.
    office_ctx, op = staff(browser, base, demo, "kf-office")
    op.goto(f"{base}/staff/articles/")
    op.get_by_role("link", name="待审核").click()
    op.get_by_role("link", name=TITLE).click()
    op.get_by_role("button", name="审核通过并发布").click()
    expect(op.locator(".messages")).to_contain_text("发布到活动专栏")
    expect(op.locator("h1")).to_contain_text("已发布")

    # 3. Anyone on a phone finds it in the column and reads it, photo included.
    page.goto(f"{base}/campaigns/{campaign.pk}/column/")
    assert no_horizontal_scroll(page)
    expect(page.locator("#upcoming")).to_contain_text(event.title)
    page.get_by_label("搜索文章").fill("加装电梯")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#articles")).to_contain_text("共 1 篇")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".article-lead")).to_have_text(LEAD)
    expect(page.locator(".article-body")).to_contain_text(LAST)
    photo = page.locator(".article-figure img")
    expect(photo).to_have_attribute("alt", "群众代表察看加装电梯工程")
    expect(photo).to_have_js_property("complete", True)  # the page may paint before it loads
    assert photo.evaluate("img => img.naturalWidth") == 320
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="关怀版（大字）").click()
    expect(page.locator("body")).to_have_class("portal care")
    expect(page.locator(".article-body")).to_contain_text(FIRST)
    assert no_horizontal_scroll(page)
    article.refresh_from_db()
    assert article.views == 2

    for p in (page, sp, op):
        assert_nothing_broken(p)
    for ctx in (staff_ctx, office_ctx):
        ctx.close()
