"""One placeholder rule (openday.lib.placeholders) and every gate that keeps drafts' prompts from
the public: an answer, an article submitted or approved, a summary submitted (#20)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openday.lib.placeholders import find_placeholders, placeholder, placeholder_problem

LEFT = placeholder("座谈交流中群众的发言")


@pytest.mark.parametrize(
    "text",
    [
        LEFT,
        "活动于5月20日举行。【请补充：参观的科室】",
        "（本次活动尚未录入意见建议，请补充座谈交流的情况。）",
        "（签到数据待填写）",
        "××单位2026年活动",
        "联系人：＿＿＿＿",
        "电话：_____",
    ],
)
def test_what_counts_as_a_placeholder(text):
    assert find_placeholders(text)
    assert "待补充的内容" in placeholder_problem(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "2026年5月20日，开福区住房和城乡建设局举办“政务公开主题日”活动（现场）。",
        "签到率83.3%，满意率100%（满分5分）。",
        "X光检查、××"[:5],
    ],
)
def test_ordinary_text_is_not_a_placeholder(text):
    assert find_placeholders(text) == []
    assert placeholder_problem(text) == ""


def test_every_placeholder_is_found_in_order():
    text = f"甲{placeholder('一')}乙（请补充二）丙××"
    assert find_placeholders(text) == ["【请补充：一】", "（请补充二）", "××"]


def _event(world):
    from openday.events import services as events

    start = timezone.now() - timedelta(days=1)
    return events.create_event(
        world.users["unit_admin"],
        world.housing,
        title="开福区住房和城乡建设局占位测试活动",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会议室"}],
        capacity=10,
        publish=True,
    )


def _answer(world, event):
    from openday.opinions import services

    o = services.submit_opinion(content="建议增设充电桩。", source="forum", event=event)
    services.assign(None, o, unit=world.housing, assignee=world.users["handler"])
    services.answer(world.users["handler"], o, text=f"您好！{LEFT}", decision="adopted")


def _article(world, event, *, approve=False):
    from openday.publicity import services

    a = services.create_article(
        world.users["unit_staff"], world.housing, title="报道", body=f"正文。{LEFT}", event=event
    )
    if approve:  # a text changed between submit and approval is checked again
        type(a).objects.filter(pk=a.pk).update(status="submitted")
        a.refresh_from_db()
        services.approve_article(world.users["kf_office"], a)
    else:
        services.submit_article(world.users["unit_staff"], a)


def _summary(world, event):
    from openday.summaries import services

    enough = "这是一段足够长的文字，用来满足报送时的最少字数要求。"
    services.save_summary(
        world.users["unit_admin"],
        event,
        {
            "overview": enough,
            "experiences": enough,
            "shortcomings": enough + LEFT,
            "causes": enough,
            "next_steps": enough,
        },
    )
    services.submit_summary(world.users["unit_admin"], event)


@pytest.mark.parametrize(
    "gate",
    [_answer, _article, lambda w, e: _article(w, e, approve=True), _summary],
    ids=["answer", "article_submit", "article_approve", "summary_submit"],
)
def test_every_gate_refuses_a_placeholder_and_names_it(world, gate):
    from openday.publicity.services import Refused as ArticleRefused
    from openday.summaries.services import Refused as SummaryRefused

    event = _event(world)
    with pytest.raises((ValidationError, ArticleRefused, SummaryRefused)) as caught:
        gate(world, event)
    error = caught.value
    text = " ".join(error.messages) if isinstance(error, ValidationError) else error.message
    assert "座谈交流中群众的发言" in text and "待补充" in text, text
