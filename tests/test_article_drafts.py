"""The news article and the announcement drafted from an event's data: the unit named once in a
sentence, no sentence twice, the real figures, no prompt left for the public, photos chosen LOGO
first, and placeholders refused on submit and approve."""

import logging
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from openday.demo.publicity import placeholder_png
from openday.events import services as events
from openday.lib.placeholders import find_placeholders, placeholder
from openday.opinions.models import Opinion
from openday.publicity import prose, services
from openday.publicity.models import Article
from openday.publicity.services import Refused
from openday.summaries import photos
from openday.summaries import services as summaries
from openday.surveys import services as surveys
from openday.surveys.presets import SATISFACTION

S = Article.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def held_event(w, *, title=None, forms=("现场观摩", "座谈交流"), **extra):
    """An event of 开福区住房和城乡建设局 that ended yesterday."""
    unit = w.housing
    start = timezone.now() - timedelta(days=1)
    fields = {
        "title": title or f"{unit.name}2023年“政务公开主题日”活动",
        "theme": "老旧小区改造",
        "forms": list(forms),
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "venues": [{"name": "老旧小区改造项目现场", "address": "开福区"}],
        "agenda": [
            {"time": "09:00", "form": "现场观摩", "place": "项目现场", "host": "建设科"},
            {"time": "10:30", "form": "座谈交流", "place": "三楼会议室"},
        ],
        "directory": [{"name": "建设管理科"}],
        "capacity": 10,
        "quotas": {"deputy": 2, "media": 1, "public": 7},
        "publish": True,
        **extra,
    }
    return events.create_event(w.users["unit_admin"], unit, **fields)


def populate(w, event):
    """Known figures: 4 registered, 3 arrived (人大代表1, 普通群众2); 3 opinions received, 2 answered
    of which 1 adopted; a survey of 4 answers, 3 of them satisfied (75%)."""
    admin = w.users["unit_admin"]
    people = [("deputy", True), ("public", True), ("public", True), ("public", False)]
    for n, (category, arrives) in enumerate(people, 1):
        r = events.register(
            event.pk, name=f"群众{n}", phone=f"1390000{n:04d}", category=category, consent=True
        )
        if arrives:
            events.check_in(admin, event, r.ticket_code)
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=10)
    for code, status, decision in [
        ("A1", "published", "adopted"),
        ("A2", "answered", "explained"),
        ("A3", "assigned", ""),
    ]:
        Opinion.objects.create(
            tracking_code=code,
            source="forum",
            content=f"小区路灯太暗{code}",
            office=w.kaifu,
            event=event,
            unit=w.housing,
            status=status,
            decision=decision,
            due_date=due,
            answered_at=now if decision else None,
            answer="已答复。" if decision else "",
        )
    survey = surveys.create_survey(admin, w.housing, title="满意度", event=event)
    q = surveys.save_question(
        admin, survey, {"kind": "rating", "title": "总体评价", "options": SATISFACTION}
    )
    surveys.set_status(admin, survey, "open")
    for i, code in enumerate([1, 2, 3, 1], 1):
        surveys.enter_paper(admin, survey, batch_no="A", form_no=str(i), answers={q.pk: code})
    return event


def texts(event):
    title, lead, body = services.news_text(event)
    return title, lead, body


def all_sentences(*parts):
    return [s for part in parts for s in prose.sentences(part)]


# --- Naming the unit once -----------------------------------------------------------------------


TITLES = {
    "the naming rule (unit first)": "{name}2023年“政务公开主题日”活动",
    "without the unit": "老旧小区改造现场开放活动",
    "the unit inside": "走进{name}——2023年“政务公开主题日”活动",
    "the short name first": "{short}2023年“政务公开主题日”活动",
}


@pytest.mark.parametrize("kind", list(TITLES))
def test_the_unit_is_named_once_in_every_sentence(world, kind):
    unit = world.housing
    title = TITLES[kind].format(name=unit.name, short=unit.short_name)
    event = populate(world, held_event(world, title=title))
    for made in (services.news_text(event), services.announcement_text(event)):
        for sentence in all_sentences(*made):
            assert prose.mentions(sentence, unit) <= 1, sentence
    news_title, lead, _body = services.news_text(event)
    if kind == "without the unit":
        assert news_title == f"{unit.name}举办老旧小区改造现场开放活动"
    elif kind == "the unit inside":
        assert news_title == f"{title}举行" and unit.name not in lead.replace(title, "")
    else:
        assert news_title == f"{unit.name}举办2023年“政务公开主题日”活动"
        assert "举办2023年“政务公开主题日”活动" in lead
    assert prose.mentions(lead, unit) == 1


def test_the_subject_helpers():
    class Unit:
        name, short_name = "开福区住房和城乡建设局", "区住房和城乡建设局"

    unit = Unit()
    assert (
        prose.holds(unit, "开福区住房和城乡建设局2026年活动")
        == "开福区住房和城乡建设局举办2026年活动"
    )
    assert prose.holds(unit, "区住房和城乡建设局：开放日", when="5月20日", future=True) == (
        "开福区住房和城乡建设局将于5月20日举办开放日"
    )
    assert prose.holds(unit, "走进区住房和城乡建设局开放日") == "走进区住房和城乡建设局开放日举行"
    assert prose.mentions("开福区住房和城乡建设局和区住房和城乡建设局", unit) == 2
    assert prose.join_and(["甲"]) == "甲" and prose.join_and(["甲", "乙"]) == "甲和乙"
    assert prose.join_and(["甲", "乙", "丙"]) == "甲、乙和丙"
    assert (prose.percent(75.0), prose.percent(66.7), prose.number(None)) == ("75%", "66.7%", "")
    assert prose.no_repeats(["甲。乙！", "乙！丙？\n甲。", "丁"], prose.said("丙？")) == [
        "甲。乙！",
        "丁",
    ]


# --- No sentence twice, the real figures, no prompts --------------------------------------------


def test_no_sentence_is_said_twice_and_the_lead_is_not_the_first_sentence(world):
    event = populate(world, held_event(world))
    _title, lead, body = services.news_text(event)
    said = all_sentences(lead, body)
    assert len(said) == len(set(said)), said
    assert prose.sentences(body)[0] not in prose.sentences(lead)
    _title, lead, body = services.announcement_text(event)
    said = all_sentences(lead, body)
    assert len(said) == len(set(said)), said


def test_the_figures_in_the_article_match_the_data(world):
    event = populate(world, held_event(world))
    f = summaries.figures(event)
    by_code = {c["code"]: c for c in f["participants"]["categories"]}
    assert (by_code["deputy"]["checked_in"], by_code["public"]["checked_in"]) == (1, 2)
    o, s = f["opinions"], f["survey"]
    assert (o["received"], o["answered"], o["adopted"], s["satisfaction_rate"]) == (3, 2, 1, 75.0)
    _title, lead, body = services.news_text(event)
    assert "人大代表和群众代表共3人走进老旧小区改造项目现场" in lead
    for words in (
        "实际签到3人，其中人大代表1名、普通群众2名",
        "共收集意见建议3条",
        "已答复2条，其中采纳（含部分采纳）1条，其余正在办理",
        "回收问卷4份，对活动表示“非常满意”和“满意”的占75%",
        "现场观摩（项目现场）、座谈交流（三楼会议室）",
        "建设管理科",
        "在老旧小区改造项目现场（开福区）举行",
        "下一步，区住房和城乡建设局将对收集到的意见建议逐条研究",
    ):
        assert words in body, words
    assert "群众1" not in body and "13900000001" not in body


def test_an_event_without_figures_gets_neutral_sentences_and_no_prompt(world):
    event = held_event(world)
    _title, lead, body = services.news_text(event)
    for text in (lead, body):
        assert "请补充" not in text and "请填写" not in text and not find_placeholders(text)
        assert "签到" not in text and "意见建议0条" not in text
    assert "座谈交流环节，参加人员与相关负责同志面对面交流。" in body
    assert "活动邀请人大代表、新闻媒体记者和群众代表参加。" in body
    a = services.generate_news_draft(event, world.users["unit_staff"])
    services.submit_article(world.users["unit_staff"], a)  # a generated draft can go to review
    assert a.status == S.SUBMITTED


# --- Placeholders are refused -------------------------------------------------------------------


def test_submit_refuses_a_placeholder_and_leaves_the_article_unchanged(world):
    staff = world.users["unit_staff"]
    gap = placeholder("座谈交流中群众的发言")
    a = services.create_article(staff, world.housing, title="现场观摩", body=f"第一段。\n\n{gap}")
    with pytest.raises(Refused) as exc:
        services.submit_article(staff, a)
    assert "正文中的【请补充：座谈交流中群众的发言】" in exc.value.message
    a.refresh_from_db()
    assert a.status == S.DRAFT and gap in a.body and a.submitted_at is None
    services.update_article(staff, a, lead=placeholder("导语"), body="第一段。")
    with pytest.raises(Refused, match="导语中的【请补充：导语】"):
        services.submit_article(staff, a)
    services.update_article(staff, a, lead="导语写好了。")
    assert services.submit_article(staff, a).status == S.SUBMITTED


def test_approve_refuses_a_placeholder_and_the_page_shows_why(world, client):
    staff, office = world.users["unit_staff"], world.users["kf_office"]
    a = services.create_article(staff, world.housing, title="现场观摩", body="第一段。")
    services.submit_article(staff, a)
    # An article that reached review before placeholders were refused.
    Article.objects.filter(pk=a.pk).update(
        body="第一段。（本次活动尚未录入意见建议，请补充座谈交流的情况。）"
    )
    with pytest.raises(Refused, match="请补充座谈交流的情况"):
        services.approve_article(office, a)
    a.refresh_from_db()
    assert a.status == S.SUBMITTED and a.published_at is None
    c = world.client_for(client, "kf_office")
    response = c.post(f"/staff/articles/{a.pk}/approve/", {"note": ""}, follow=True)
    assert "稿件中还有待补充的内容" in response.content.decode()
    a.refresh_from_db()
    assert a.status == S.SUBMITTED


def test_the_edit_page_keeps_the_text_and_says_which_placeholder_stops_the_submit(world, client):
    a = services.create_article(
        world.users["unit_staff"], world.housing, title="报道", body="正文。"
    )
    c = world.client_for(client, "unit_staff")
    body = f"正文。\n\n{placeholder('参观的科室')}"
    response = c.post(
        f"/staff/articles/{a.pk}/edit/",
        {"kind": "news", "title": "报道", "body": body, "submit": "1"},
    )
    assert response.status_code == 400
    assert "【请补充：参观的科室】" in response.content.decode()
    a.refresh_from_db()
    assert a.status == S.DRAFT and "【请补充：参观的科室】" in a.body


# --- Photos: LOGO first, broken files skipped ---------------------------------------------------


def add_photo(w, event, caption, logo, public=True):
    upload = ContentFile(placeholder_png(8, 6), name=f"{caption}.png")
    return photos.add_photo(w.users["unit_admin"], event, upload, caption, logo, public)


def test_the_news_draft_takes_three_public_photos_logo_first(world):
    event = held_event(world)
    for caption, logo, public in [
        ("会场全景", False, True),
        ("会标", True, True),
        ("座谈", False, True),
        ("背景板", True, True),
        ("内部", True, False),
        ("合影", False, True),
    ]:
        add_photo(world, event, caption, logo, public)
    a = services.generate_news_draft(event, world.users["unit_staff"])
    images = list(a.images.order_by("position"))
    assert [i.caption for i in images] == ["会标", "背景板", "会场全景"]
    assert all(i.width == 8 and i.height == 6 for i in images)
    assert [n for n in services.rendering.referenced(a.body)] == [1, 2, 3]
    assert a.body.split("\n\n")[1] == "[图1]"
    assert services.body_problems(a) == {}


def test_a_broken_photo_is_skipped_and_the_draft_still_made(world, caplog):
    event = held_event(world)
    broken = add_photo(world, event, "坏文件", True)
    broken.image.storage.delete(broken.image.name)
    wrong = add_photo(world, event, "不是图片", True)
    with wrong.image.storage.open(wrong.image.name, "wb") as handle:
        handle.write(b"not a picture")
    add_photo(world, event, "现场", False)
    with caplog.at_level(logging.WARNING, logger="openday.publicity.services"):
        a = services.generate_news_draft(event, world.users["unit_staff"])
    assert [i.caption for i in a.images.all()] == ["现场"]
    assert "[图1]" in a.body and "[图2]" not in a.body
    assert str(broken.pk) in caplog.text and str(wrong.pk) in caplog.text
