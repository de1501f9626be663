"""An event's registration loop in a real browser.

公众在手机上报名（先漏勾同意、再提交）→ 电子票 → 第二个人名额已满进入候补 → 第一个人取消 →
第二个人自动递补为报名成功 → 单位管理员在电脑上按票号签到（重复签到提示已签到）、按手机号后四位查找。
The event is set up through the services (no campaign, so no naming-rule check).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import PHONE, _page

pytestmark = pytest.mark.browser

UNIT = "开福区住房和城乡建设局"
FIRST = ("王建国", "13907310011")
SECOND = ("李秀兰", "13907310022")
TICKET_URL = re.compile(r"/tickets/([0-9A-Z]+)/$")


def assert_nothing_broken(page):
    # The check-in script's own refusals (409 already checked in) are answers, not failures.
    broken = [b for b in page.broken if "/checkin.json" not in b]
    assert broken == [], f"页面资源加载失败：{broken}"


def no_horizontal_scroll(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/staff/")


def make_event():
    from openday.accounts.models import User
    from openday.events import services
    from openday.orgs.models import Org

    user = User.objects.get(username="kf-unit-admin")
    unit = Org.objects.get(name=UNIT)
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts = timezone.make_aware(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0))
    return services.create_event(
        user, unit, title=f"{UNIT}{tomorrow.year}年“政务公开主题日”活动",
        starts_at=starts, ends_at=starts + timedelta(hours=2),
        venues=[{"name": "项目现场", "address": "开福区"}],
        capacity=2, quotas={"public": 1, "deputy": 1}, publish=True,
    )  # fmt: skip


def register(page, base_url, event, name, phone):
    """Fill the public form and submit with consent; return the ticket code from the URL."""
    page.goto(f"{base_url}/events/{event.pk}/")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("参加人类别").select_option("public")  # 普通群众
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="提交报名").click()
    expect(page).to_have_url(TICKET_URL)
    return TICKET_URL.search(page.url).group(1)


def test_register_waitlist_cancel_promote_and_check_in(
    live_server, demo, page, desktop_page, browser
):
    from openday.events.models import Registration

    base = live_server.url
    event = make_event()

    # 1. The first person opens the event on a phone and forgets the consent box.
    page.goto(f"{base}/events/{event.pk}/")
    expect(page.locator("h1")).to_contain_text("政务公开主题日")
    expect(page.get_by_text("共 2 人，剩余 2 人")).to_be_visible()
    assert no_horizontal_scroll(page), "活动页面在 390px 宽的手机上出现了横向滚动"
    page.get_by_label("姓名").fill(FIRST[0])
    page.get_by_label("手机号").fill(FIRST[1])
    category = page.get_by_label("参加人类别")
    # Only the categories with a quota are offered.
    options = category.locator("option").all_inner_texts()
    assert [o.split("（")[0] for o in options] == ["请选择", "普通群众", "人大代表"], options
    category.select_option("public")  # 普通群众
    page.get_by_role("button", name="提交报名").click()
    expect(page.get_by_role("alert").filter(has_text="请阅读并同意个人信息告知")).to_be_visible()
    expect(page.get_by_label("姓名")).to_have_value(FIRST[0])
    expect(page.get_by_label("手机号")).to_have_value(FIRST[1])
    assert Registration.objects.count() == 0

    # 2. With consent: the e-ticket with its QR code and ticket code.
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="提交报名").click()
    expect(page).to_have_url(TICKET_URL)
    first_code = TICKET_URL.search(page.url).group(1)
    expect(page.locator("h1")).to_have_text("报名成功")
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator(".ticket-code")).to_contain_text(f"票号 {first_code}")
    expect(page.get_by_text("王** · 普通群众 · 139****0011")).to_be_visible()
    assert no_horizontal_scroll(page), "电子票在 390px 宽的手机上出现了横向滚动"
    assert_nothing_broken(page)

    # 3. A second person, same category: its quota (1) is used up, so the waitlist.
    context2, second = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        second.goto(f"{base}/events/{event.pk}/")
        expect(
            second.get_by_label("参加人类别").locator("option", has_text="普通群众")
        ).to_have_text("普通群众（已满，可候补）")
        second_code = register(second, base, event, *SECOND)
        expect(second.locator("h1")).to_have_text("候补")
        expect(second.get_by_text("您在候补名单中")).to_be_visible()
        expect(second.locator(".qr")).to_have_count(0)

        # 4. The first person cancels on the ticket page, accepting the confirmation.
        dialogs = []

        def accept(dialog):
            dialogs.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        page.get_by_role("button", name="取消报名").click()
        expect(page.locator("h1")).to_have_text("已取消")
        expect(page.get_by_text("报名已取消")).to_be_visible()
        assert dialogs == ["确定取消报名吗？"]
        expect(page.locator(".qr")).to_have_count(0)
        expect(page.get_by_role("button", name="取消报名")).to_have_count(0)

        # 5. The waitlisted person was promoted automatically.
        second.reload()
        expect(second.locator("h1")).to_have_text("报名成功")
        expect(second.locator(".qr svg")).to_be_visible()
        expect(second.locator(".ticket-code")).to_contain_text(second_code)
        assert_nothing_broken(page)
        assert_nothing_broken(second)
    finally:
        context2.close()

    # 6. The unit admin checks the promoted person in on the check-in page.
    desk = desktop_page
    sign_in(desk, base, "kf-unit-admin", demo["kf-unit-admin"])
    desk.goto(f"{base}/staff/events/{event.pk}/checkin/")
    expect(desk.locator("h1")).to_have_text("现场签到")
    counter = desk.locator(".counters li", has_text="普通群众")
    expect(counter).to_contain_text("0 / 1")

    ticket_box = desk.get_by_label(re.compile("^票号（"))
    ticket_box.fill(second_code.lower())  # a person reading it out; case does not matter
    desk.get_by_role("button", name="签到", exact=True).click()
    expect(desk.locator(".msg-success")).to_contain_text("签到成功：李**（普通群众）")
    expect(counter).to_contain_text("1 / 1")

    # Again: already checked in, with the time; the counter stays at 1.
    desk.get_by_label(re.compile("^票号（")).fill(second_code)
    desk.get_by_role("button", name="签到", exact=True).click()
    expect(desk.locator(".msg-error")).to_contain_text(re.compile(r"已于 \d\d:\d\d 签到"))
    expect(counter).to_contain_text("1 / 1")

    # The cancelled ticket cannot be checked in.
    desk.get_by_label(re.compile("^票号（")).fill(first_code)
    desk.get_by_role("button", name="签到", exact=True).click()
    expect(desk.locator(".msg-error")).to_contain_text("已取消")

    # Find by the last four digits of the phone: the promoted person, shown as checked in.
    desk.get_by_label("票号、姓名或手机号后四位").fill(SECOND[1][-4:])
    desk.get_by_role("button", name="查找").click()
    found = desk.locator("ul.list li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("李**")
    expect(found).to_contain_text("139****0022")
    expect(found.locator(".tag")).to_contain_text("已签到")
    # The cancelled person is not found.
    desk.get_by_label("票号、姓名或手机号后四位").fill(FIRST[1][-4:])
    desk.get_by_role("button", name="查找").click()
    expect(desk.get_by_text("没有找到报名成功的人员")).to_be_visible()
    assert_nothing_broken(desk)

    promoted = Registration.objects.get(ticket_code=second_code)
    assert promoted.status == Registration.Status.CONFIRMED
    assert promoted.checked_in_at is not None
    assert Registration.objects.get(ticket_code=first_code).status == "cancelled"


def test_check_in_by_scanning_the_ticket_qr_image_and_while_offline(
    live_server, demo, page, desktop_page, tmp_path
):
    """The staff phone page reads the ticket's QR code from a photo, and queues check-ins
    while the network is down, sending them once it is back, without counting twice."""
    from openday.events.models import Registration

    base = live_server.url
    event = make_event()
    code = register(page, base, event, *FIRST)
    expect(page.locator(".qr svg")).to_be_visible()
    photo = tmp_path / "ticket.png"
    page.locator(".qr").screenshot(path=str(photo))

    staff = desktop_page
    sign_in(staff, base, "kf-unit-admin", demo["kf-unit-admin"])
    staff.goto(f"{base}/staff/events/{event.pk}/checkin/")
    expect(staff.get_by_role("button", name="用摄像头扫码")).to_be_visible()
    staff.locator("#checkin-photo").set_input_files(str(photo))
    expect(staff.locator("#checkin-status")).to_contain_text("签到成功")
    expect(staff.locator("#checkin-counters")).to_contain_text("1 / 1")
    assert Registration.objects.get(ticket_code=code).checked_in_at is not None
    # The same photo again is recognised and refused as already checked in.
    staff.locator("#checkin-photo").set_input_files(str(photo))
    expect(staff.locator("#checkin-status")).to_contain_text("已于")

    # A second guest, checked in while the network is down.
    other = register(page, base, event, "赵海燕", "13907310033")
    # The public quota is full; give the guest the free deputy seat directly.
    Registration.objects.filter(ticket_code=other).update(category="deputy", status="confirmed")
    staff.context.set_offline(True)
    staff.get_by_label("票号（扫码枪或手工输入）").fill(other)
    staff.get_by_role("button", name="签到", exact=True).click()
    expect(staff.locator("#checkin-status")).to_contain_text("已在本机记下")
    expect(staff.locator("#checkin-pending")).to_contain_text("待上传 1 条")
    assert Registration.objects.get(ticket_code=other).checked_in_at is None
    staff.context.set_offline(False)
    staff.evaluate("window.dispatchEvent(new Event('online'))")
    expect(staff.locator("#checkin-pending")).to_have_text("")
    arrived = Registration.objects.exclude(checked_in_at=None).filter(event=event)
    assert arrived.count() == 2
