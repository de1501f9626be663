"""The event summary drafted from the data: five sections with the real figures, only claims the
data supports, no sentence twice, placeholders where only the unit knows, refused on submit;
the edit page opens empty sections with the draft and writes a section again on request."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openday.events import services as events
from openday.events.models import Event
from openday.lib.placeholders import find_placeholders
from openday.opinions.models import Opinion
from openday.publicity import prose
from openday.summaries import drafting
from openday.summaries import services as summaries
from openday.summaries.models import EventSummary

from .test_summary import GOOD_TEXT, build_full_event, make_event


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def full_event(world, media):
    event = build_full_event(world)
    Event.objects.filter(pk=event.pk).update(theme="老旧小区改造", forms=["现场观摩", "座谈交流"])
    event.refresh_from_db()
    return event


def test_the_overview_reports_the_figures_of_the_data(full_event, world):
    f = summaries.figures(full_event)
    p, o, s = f["participants"], f["opinions"], f["survey"]
    assert (p["registered"], p["checked_in"]) == (6, 3)
    assert (o["received"], o["answered"], o["adopted"]) == (5, 3, 2)
    assert (s["responses"], s["satisfaction_rate"]) == (4, 75.0)
    text = drafting.draft_summary(full_event)["overview"]
    for words in (
        "开福区住房和城乡建设局举办测试活动",
        "活动以“老旧小区改造”为主题，在老旧小区改造项目现场举行，采取现场观摩、座谈交流相结合的形式",
        "活动计划名额10人，其中人大代表2名、新闻媒体1名、普通群众6名",
        "发出邀请2份，受邀报名1人",
        "报名成功6人，实际签到3人，签到率50%",
        "到场人员中，人大代表1名、普通群众2名",
        "活动共收集意见建议5条，已答复3条，其中采纳（含部分采纳）2条",
        "活动回收调查问卷4份，“非常满意”和“满意”的占75%，平均4.25分（满分5分）",
    ):
        assert words in text, words
    assert prose.mentions(text, world.housing) == 1


def test_the_sections_claim_only_what_the_data_shows(full_event):
    d = drafting.draft_summary(full_event)
    experiences = d["experiences"]
    assert (
        "开放形式多样" in experiences and "邀请人大代表、新闻媒体记者和群众代表参加" in experiences
    )
    assert "实际到场人员涵盖其中2个类别" in experiences
    assert "定向发出邀请2份" in experiences and "接通2人次" in experiences
    assert "宣传报道1篇" in experiences
    assert "均在办理期限内答复" in experiences  # the 3 answers were all on time
    assert "群众评价较好" not in experiences  # 75% is below the 80% that would say so
    shortcomings, causes = d["shortcomings"].split("\n"), d["causes"].split("\n")
    assert len(shortcomings) == len(causes)
    assert shortcomings[0].startswith("一是到场率不高。报名成功6人，实际签到3人，签到率50%")
    assert causes[0] == "一是系统中没有活动前提醒报名人员的记录，报名后的联系确认不够到位。"
    assert any("名额使用率60%" in line for line in shortcomings)
    assert any("活动预告没有在活动专栏发布" in line for line in causes)
    assert any("新闻媒体无人到场" in line for line in shortcomings)
    assert any("“总体评价”满意率为75%" in line for line in shortcomings)
    assert find_placeholders(d["causes"])  # why satisfaction is low only the unit knows
    steps = d["next_steps"]
    assert "对尚未办结的1条意见建议加强跟踪督办" in steps
    assert "抓好1条的整改落实" in steps and "制度化、常态化" in steps
    assert "请补充" not in d["overview"] + experiences + steps


def test_no_sentence_appears_twice_in_the_summary(full_event):
    d = drafting.draft_summary(full_event)
    said = [s for field in summaries.TEXT_FIELDS for s in prose.sentences(d[field])]
    assert len(said) == len(set(said)), said


def test_an_event_without_data_asks_the_unit(world):
    d = drafting.draft_summary(make_event(world))
    assert "活动没有报名记录" in d["overview"] and "没有收到意见建议" in d["overview"]
    for field in ("experiences", "shortcomings", "causes"):
        assert d[field].startswith("【请补充："), field
    assert "请补充" not in d["next_steps"]


def test_hot_topics_lead_the_next_steps(world):
    event = make_event(world)
    for n, text in enumerate(
        [
            "小区路灯太暗晚上看不清路",
            "小区路灯坏了没人修",
            "路灯太暗希望更换",
            "公积金提取手续复杂",
            "公积金提取材料太多",
        ]
    ):
        Opinion.objects.create(
            tracking_code=f"T{n}",
            source="forum",
            content=text,
            office=world.kaifu,
            event=event,
            unit=world.housing,
            status="new",
        )
    steps = drafting.draft_summary(event)["next_steps"]
    assert "针对群众集中反映的“" in steps and "路灯" in steps
    assert "对尚未办结的5条意见建议" in steps


# --- Submitting -----------------------------------------------------------------------------


def test_a_summary_with_placeholders_is_refused_then_accepted_after_editing(full_event, world):
    staff = world.users["unit_staff"]
    draft = drafting.draft_summary(full_event)
    with pytest.raises(ValidationError) as exc:
        summaries.submit_summary(staff, full_event, draft)
    errors = exc.value.message_dict
    assert "causes" in errors and "“原因分析”中还有待补充的内容：【请补充：" in errors["causes"][0]
    assert "还不能报送" in errors["__all__"][0]
    summary = EventSummary.objects.get(event=full_event)
    assert summary.status == EventSummary.Status.DRAFT and summary.causes == draft["causes"]
    edited = {f: draft[f] for f in summaries.TEXT_FIELDS}
    edited["causes"] = "\n".join(
        line.replace(find_placeholders(line)[0], "活动安排在工作日上午，部分群众时间冲突。")
        if find_placeholders(line)
        else line
        for line in draft["causes"].split("\n")
    )
    summary = summaries.submit_summary(staff, full_event, edited)
    assert summary.status == EventSummary.Status.SUBMITTED


# --- The edit page ----------------------------------------------------------------------------


def test_the_page_opens_empty_sections_with_the_draft_and_keeps_saved_text(world, client):
    event = make_event(world)
    c = world.client_for(client, "unit_staff")
    body = c.get(f"/staff/summaries/events/{event.pk}/").content.decode()
    assert "活动没有报名记录" in body and "系统初稿" in body and "按最新数据重新生成" in body
    assert not EventSummary.objects.filter(event=event).exists()  # opening saves nothing
    summaries.save_summary(world.users["unit_staff"], event, {"overview": "我们自己写的概况。"})
    body = c.get(f"/staff/summaries/events/{event.pk}/").content.decode()
    assert "我们自己写的概况。" in body and "活动没有报名记录" not in body
    assert "【请补充：本次活动的好经验" in body


def test_a_section_is_written_again_from_the_latest_data_without_saving(world, client):
    event = make_event(world, held=False)
    c = world.client_for(client, "unit_admin")
    url = f"/staff/summaries/events/{event.pk}/"
    c.post(url, {"action": "save", "overview": "旧的概况。", "experiences": "我们的经验。"})
    admin = world.users["unit_admin"]
    r = events.register(event.pk, name="群众", phone="13900000009", category="public", consent=True)
    events.check_in(admin, event, r.ticket_code)
    response = c.post(
        url, {"action": "redraft:overview", "overview": "旧的概况。", "experiences": "我们的经验。"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "报名成功1人，实际签到1人，签到率100%" in body and "我们的经验。" in body
    assert "旧的概况。" not in body and "已按最新数据重新生成“活动开展情况”" in body
    assert EventSummary.objects.get(event=event).overview == "旧的概况。"
    response = c.post(url, {"action": "redraft", "overview": "旧的概况。", "experiences": ""})
    body = response.content.decode()
    assert "旧的概况。" in body and "“经验做法”" in body and "“下一步打算”" in body


def test_submitting_a_draft_on_the_page_shows_the_reason_under_the_field(world, client):
    event = make_event(world)
    draft = drafting.draft_summary(event)
    response = world.client_for(client, "unit_staff").post(
        f"/staff/summaries/events/{event.pk}/", {"action": "submit", **draft}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "“存在不足”中还有待补充的内容" in body and "草稿已保存" in body
    assert EventSummary.objects.get(event=event).status == EventSummary.Status.DRAFT
    response = world.client_for(client, "unit_staff").post(
        f"/staff/summaries/events/{event.pk}/", {"action": "submit", **GOOD_TEXT}
    )
    assert response.status_code == 302


def test_the_draft_uses_the_time_of_the_event(world):
    event = make_event(world, days_ago=10)
    start = timezone.localtime(event.starts_at)
    assert drafting.draft_summary(event)["overview"].startswith(
        f"{start.year}年{start.month}月{start.day}日{start:%H:%M}—"
    )
    assert timedelta(0) < timezone.now() - event.ends_at
