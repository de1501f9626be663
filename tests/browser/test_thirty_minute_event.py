"""The thirty-minute event in a real browser (#20): the event from its plan entry in one click,
the next-step checklist, the one-click survey, answers from drafts one after another, bulk
approval, the news draft from the data and the drafted summary.

bench/unit_walkthrough.py runs the whole loop on a fresh `openday demo` and counts the effort;
this test keeps the same path working in `make test`.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DESKTOP, _page
from .test_event_flow import assert_nothing_broken, sign_in

pytestmark = pytest.mark.browser

UNIT = "开福区住房和城乡建设局"


def fill_placeholders(text, words):
    """What a person does with a draft: every 【请补充：…】 replaced by what they know."""
    return re.sub(r"【[^】]*】", words, text)


def staff(browser, base, demo, username):
    ctx, page = _page(browser, DESKTOP)
    sign_in(page, base, username, demo[username])
    return ctx, page


def test_a_unit_runs_an_event_from_its_plan_entry_to_the_summary(live_server, demo, browser):
    from openday.accounts.models import User
    from openday.campaigns.models import PlanEntry
    from openday.demo.services import load_demo_campaigns
    from openday.events import services as events
    from openday.events.models import Event
    from openday.opinions import services as opinions
    from openday.opinions.models import Opinion
    from openday.orgs.models import Org
    from openday.summaries.models import EventSummary

    base = live_server.url
    load_demo_campaigns()
    unit = Org.objects.get(name=UNIT)
    entry = PlanEntry.objects.filter(unit=unit).first()
    Event.objects.filter(plan_entry=entry).delete()
    start = timezone.now() - timedelta(days=40)
    events.create_event(
        None,
        unit,
        title="上一场活动",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "局机关三楼会议室"}],
        capacity=20,
    )

    # 1. The dashboard's to-do → the prefilled form → 创建并发布.
    admin_ctx, admin = staff(browser, base, demo, "kf-unit-admin")
    admin.locator("a[data-todo=events_to_create]").click()
    admin.locator(f"a[href$='plan_entry={entry.pk}']").click()
    expect(admin.locator(".callout")).to_contain_text("已替您填好")
    expect(admin.get_by_label("活动地点")).to_have_value("局机关三楼会议室")
    admin.get_by_role("button", name="创建并发布").click()
    expect(admin.locator("#next-steps-h")).to_be_visible()
    event = Event.objects.get(plan_entry=entry)
    assert event.status == Event.Status.OPEN
    assert_nothing_broken(admin)

    # 2. The day comes: the checklist makes and publishes the survey in one click.
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(minutes=5)
    )
    admin.reload()
    admin.locator("#step-survey").get_by_role("button").click()
    expect(admin.locator("#step-survey")).to_contain_text("已完成")

    # 3. Two opinions from the 座谈, assigned to the handler.
    handler_user = User.objects.get(username="kf-handler")
    for text in ("建议公开老旧小区改造的补贴标准。", "希望公积金提取能在网上一次办好。"):
        o = opinions.submit_opinion(content=text, source="forum", event=event)
        opinions.assign(None, o, unit=unit, assignee=handler_user)

    # 4. The handler answers from the drafts, one after another.
    handler_ctx, handler = staff(browser, base, demo, "kf-handler")
    first = Opinion.objects.filter(event=event).order_by("due_date", "received_at", "pk").first()
    handler.goto(f"{base}/staff/opinions/{first.pk}/")
    for _ in range(2):
        handler.locator("#answer input[name=decision][value=adopted]").check()
        box = handler.locator("#answer textarea[name=answer]")
        expect(box).not_to_have_value("")
        draft = box.input_value()
        assert UNIT in draft and "【请补充" in draft
        handler.get_by_role("button", name="提交并答复下一条").click()
        # A placeholder left: refused, with the reason under the field, nothing lost.
        expect(handler.locator("#answer")).to_contain_text("待补充的内容")
        box = handler.locator("#answer textarea[name=answer]")
        box.fill(fill_placeholders(box.input_value(), "已纳入明年改造计划"))
        handler.get_by_role("button", name="提交并答复下一条").click()
        handler.wait_for_load_state()
    assert set(Opinion.objects.filter(event=event).values_list("status", flat=True)) == {"answered"}
    assert_nothing_broken(handler)

    # 5. The unit admin approves and publishes both in one go.
    admin.goto(f"{base}/staff/opinions/?event={event.pk}&status=answered")
    admin.locator("input[data-check-all]").check()
    admin.locator("#bulk input[name=publish]").check()
    admin.get_by_role("button", name="批量审核通过").click()
    expect(admin.locator("body")).to_contain_text("已审核通过并公开")
    assert set(Opinion.objects.filter(event=event).values_list("status", flat=True)) == {
        "published"
    }

    # 6. The news draft from the data, submitted; the summary drafted and submitted.
    admin.goto(f"{base}/staff/events/{event.pk}/")
    admin.locator("#step-article").get_by_role("button").click()
    body = admin.locator("textarea[name=body]").input_value()
    assert "意见建议2条" in body and "【" not in body
    assert body.count(UNIT) <= 1
    admin.get_by_role("button", name="保存并提交审核").click()
    expect(admin.locator("body")).to_contain_text("待审核")
    admin.goto(f"{base}/staff/events/{event.pk}/")
    admin.locator("#step-summary").get_by_role("link").click()
    for box in admin.locator("form textarea").all():
        text = box.input_value()
        if "【" in text:
            box.fill(fill_placeholders(text, "现场讲解时间安排偏紧，部分参加人员未能充分发言"))
    admin.get_by_role("button", name="报送总结").click()
    admin.wait_for_load_state()
    refused = admin.locator(".error, .form-errors li").all_inner_texts()
    assert not refused, refused
    assert EventSummary.objects.get(event=event).status == "submitted"
    assert_nothing_broken(admin)
    for ctx in (admin_ctx, handler_ctx):
        ctx.close()
