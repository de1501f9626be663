"""Smoke tests in a real browser: the public portal, elderly mode and staff sign-in."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CARE = re.compile(r"(^|\s)care(\s|$)")
KAIFU_OFFICE = "开福区政务公开政务服务工作领导小组办公室"


def body_font_px(page):
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def no_horizontal_scroll(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def assert_nothing_broken(page):
    assert page.broken == [], f"页面资源加载失败：{page.broken}"


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_home_page_is_chinese_and_fits_a_phone(live_server, page):
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("政府开放日")
    expect(page).to_have_title(re.compile("开放日"))
    assert no_horizontal_scroll(page), "首页在 390px 宽的手机上出现了横向滚动"
    assert_nothing_broken(page)


def test_care_mode_is_large_remembered_and_can_be_left(live_server, page):
    page.goto(f"{live_server.url}/")
    assert_nothing_broken(page)  # without the stylesheet the font sizes below mean nothing
    normal_px = body_font_px(page)
    expect(page.locator("body")).not_to_have_class(CARE)

    page.get_by_role("button", name="关怀版（大字）").click()
    expect(page.locator("body")).to_have_class(CARE)
    expect(page).to_have_url(f"{live_server.url}/")
    care_px = body_font_px(page)
    assert care_px >= 20, f"关怀版正文字号只有 {care_px}px"
    assert care_px > normal_px
    assert no_horizontal_scroll(page), "关怀版在 390px 宽的手机上出现了横向滚动"

    page.goto(f"{live_server.url}/privacy/")
    expect(page.locator("body")).to_have_class(CARE)
    assert body_font_px(page) >= 20

    page.get_by_role("button", name="退出关怀版").click()
    expect(page.locator("body")).not_to_have_class(CARE)
    expect(page).to_have_url(f"{live_server.url}/privacy/")
    expect(page.get_by_role("button", name="关怀版（大字）")).to_be_visible()
    assert_nothing_broken(page)


def test_office_admin_signs_in_to_the_dashboard(live_server, demo, desktop_page):
    page = desktop_page
    sign_in(page, live_server.url, "kf-office", demo["kf-office"])
    expect(page).to_have_url(f"{live_server.url}/staff/")
    card = page.locator("section.role-office_admin")
    expect(card.locator(".tag")).to_have_text("政务公开办管理员")
    expect(card.locator("h2")).to_contain_text(KAIFU_OFFICE)
    assert_nothing_broken(page)


def test_wrong_password_is_refused_and_keeps_the_username(live_server, demo, desktop_page):
    page = desktop_page
    sign_in(page, live_server.url, "kf-office", demo["kf-office"] + "-wrong")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    expect(page).to_have_url(f"{live_server.url}/staff/login/")
    expect(page.get_by_label("用户名")).to_have_value("kf-office")
    expect(page.get_by_label("密码")).to_have_value("")


def test_handler_sees_an_empty_task_list(live_server, demo, page):
    sign_in(page, live_server.url, "kf-handler", demo["kf-handler"])
    expect(page).to_have_url(f"{live_server.url}/staff/")
    # The to-do section comes first and says there is nothing to do today.
    expect(page.locator(".todo-empty")).to_contain_text("今天没有待办事项。")
    assert no_horizontal_scroll(page), "工作台在 390px 宽的手机上出现了横向滚动"
    assert_nothing_broken(page)
