"""A newcomer on a phone, on a fresh demo (#19 done-when): registers for an event, answers a
survey and tracks an opinion by its code, starting from the home page each time."""

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from .test_event_flow import assert_nothing_broken, no_horizontal_scroll

pytestmark = pytest.mark.browser

PHONE = "13907316688"


def test_a_newcomer_registers_answers_a_survey_and_tracks_an_opinion(live_server, page):
    from openday.events.models import Event
    from openday.surveys.models import Survey

    call_command("demo", stdout=io.StringIO())  # what `make run` loads on an empty database
    base = live_server.url
    now = timezone.now()
    open_events = [
        e for e in Event.objects.filter(status="open") if e.registration_window(now) == "open"
    ]
    event = max(open_events, key=lambda e: e.capacity - e.registrations.count())
    survey = Survey.objects.get(status="open")

    # 1. Registering: home page → the event → 我要报名 → the ticket.
    page.goto(f"{base}/")
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name=event.title).first.click()
    page.get_by_role("link", name=re.compile("我要报名")).click()
    page.get_by_label("姓名").fill("李新来")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("参加人类别").select_option("public")
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="提交报名").click()
    expect(page).to_have_url(re.compile(r"/tickets/[A-Z0-9]+/"))
    expect(page.locator("body")).to_contain_text("报名成功")
    assert_nothing_broken(page)

    # 2. Answering the open survey: home page → the survey → every question → 提交成功.
    page.goto(f"{base}/")
    page.get_by_role("link", name=survey.title).first.click()
    form = page.locator("form:has(button:text('提交问卷'))")
    for group in form.locator("fieldset").all():
        radios = group.locator("input[type=radio]:visible")
        boxes = group.locator("input[type=checkbox]:visible")
        if radios.count():
            # A matrix has one radio group per row: take the first choice of each row.
            for name in sorted(set(radios.evaluate_all("els => els.map(e => e.name)"))):
                group.locator(f"input[type=radio][name='{name}']").first.check()
        elif boxes.count():
            boxes.first.check()
    for text in form.locator("textarea:visible").all():  # shown by an answer above
        text.fill("希望多举办这样的活动。")
    page.get_by_role("button", name="提交问卷").click()
    expect(page.locator("body")).to_contain_text("提交成功")
    assert_nothing_broken(page)

    # 3. An opinion: home page → 提意见建议 → the code → 查进度 with the code.
    page.goto(f"{base}/")
    page.get_by_role("link", name="提意见建议").first.click()
    page.get_by_label("受理单位").select_option(index=1)
    page.get_by_label("意见建议").fill("建议在社区服务中心增加周末办理时间，方便上班族。")
    page.locator("#f-name").fill("李新来")
    page.locator("#f-phone").fill(PHONE)
    page.locator("#f-consent").check()
    page.get_by_role("button", name="提交意见建议").click()
    code = "".join(page.locator(".op-code span").all_inner_texts())
    assert len(code) == 10
    page.goto(f"{base}/")
    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("查询码").fill(code)
    page.get_by_label("手机号后四位").fill(PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text("增加周末办理时间")
    assert no_horizontal_scroll(page)
    assert_nothing_broken(page)
