"""Answers in minutes (#20): a draft per decision, the placeholder refusal, similar past answers
of the same office, and bulk assign / bulk approve on the opinion list."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.lib.placeholders import find_placeholders
from openday.opinions import drafting, services
from openday.opinions.models import Opinion

from .conftest import PERSONAS
from .test_security_headers import inline_code

S = Opinion.Status
D = Opinion.Decision
PHONE = "13912345678"
NAME = "张三丰"
UNIT_PHONE = "0731-84390001"
ELEVATOR = "小区电梯经常故障，老人上下楼很不方便，希望加快加装电梯并加强日常维修保养。"


@pytest.fixture
def event(world):
    from openday.events import services as events

    start = timezone.now() - timedelta(days=1)
    return events.create_event(
        world.users["unit_admin"],
        world.housing,
        title="住建局政务开放日",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会议室"}],
        capacity=30,
        publish=True,
    )


def _opinion(world, **kw):
    fields = {
        "content": ELEVATOR,
        "source": "forum",
        "office": world.kaifu,
        "actor": world.users["kf_office"],
    }
    fields.update(kw)
    return services.submit_opinion(**fields)


def _assigned(world, **kw):
    o = _opinion(world, **kw)
    services.assign(
        world.users["kf_office"], o, unit=world.housing, assignee=world.users["handler"]
    )
    return o


def _answered(world, **kw):
    o = _assigned(world, **kw)
    services.answer(world.users["handler"], o, text="已安排维保单位检修。", decision="solved")
    return o


def _day(value):
    return f"{value.year}年{value.month}月{value.day}日"


def _sentences(text):
    return [s.strip() for s in re.split(r"[。！？；\n]", text) if s.strip()]


def _text(response):
    return response.content.decode()


def _only_handler_prompts(text):
    """Every placeholder left asks for what only the handler knows."""
    return all(
        any(prompt in found for prompt in drafting.HANDLER_PROMPTS)
        for found in find_placeholders(text)
    )


# --- Drafts -------------------------------------------------------------------------------------


def test_drafts_for_every_decision_hold_the_opinions_own_data(world, event):
    world.housing.contact_phone = UNIT_PHONE
    world.housing.save()
    o = _assigned(
        world, event=event, office=None, name=NAME, phone=PHONE, category="deputy", consent=True
    )
    planned = timezone.localdate() + timedelta(days=30)
    services.add_step(
        world.users["handler"], o, description="更换3号楼电梯控制柜", planned_date=planned
    )
    done = services.add_step(
        world.users["handler"], o, description="全面检修电梯", planned_date=timezone.localdate()
    )
    services.complete_step(world.users["handler"], done, done_date=timezone.localdate())
    drafts = drafting.answer_drafts(o)
    assert list(drafts) == list(D.values)
    received = _day(timezone.localtime(o.received_at))
    for code, text in drafts.items():
        assert world.housing.name in text, code
        assert received in text and event.title in text, code
        assert "小区电梯经常故障" in text and drafting.quote_of(o) in text, code
        assert "尊敬的人大代表" in text and UNIT_PHONE in text, code
        assert f"全面检修电梯，已于{_day(timezone.localdate())}完成" in text, code
        if code != D.SOLVED:  # solved: only what is done
            assert f"更换3号楼电梯控制柜，计划于{_day(planned)}前完成" in text, code
        assert NAME not in text and "张" not in text, code
        assert PHONE not in text and "5678" not in text, code
        sentences = _sentences(text)
        assert len(sentences) == len(set(sentences)), code
        assert _only_handler_prompts(text), code
        assert "您好！" in text and "感谢您对" in text and "关心和支持" in text
    for code in (D.ADOPTED, D.PARTLY):
        assert _day(o.due_date) in drafts[code]
    # The steps say what was done: nothing left to fill in for adopted and solved.
    assert find_placeholders(drafts[D.ADOPTED]) == []
    assert find_placeholders(drafts[D.SOLVED]) == []
    # The reason for not adopting is the handler's to give.
    assert drafting.ASK_REASON in drafts[D.EXPLAINED]


def test_drafts_without_event_steps_or_phone_and_words_that_look_like_placeholders(world):
    content = "【急】××小区门口的路灯坏了一个多月，晚上出行很不安全，" + "希望尽快修好。" * 10
    o = _assigned(world, content=content, source="phone", anonymous=True)
    drafts = drafting.answer_drafts(o)
    quote = drafting.quote_of(o)
    assert len(quote) <= drafting.QUOTE_CHARS and quote.endswith("……")
    assert "〔急〕某小区门口的路灯" in quote
    for code, text in drafts.items():
        assert "尊敬的群众朋友" in text and "通过电话" in text and quote in text, code
        assert "联系电话" not in text, code
        assert _only_handler_prompts(text), code
        sentences = _sentences(text)
        assert len(sentences) == len(set(sentences)), code
    assert drafting.ASK_MEASURE in drafts[D.ADOPTED]
    assert drafting.ASK_SOLVED in drafts[D.SOLVED]
    # The public summary is quoted when there is one.
    services.classify(world.users["kf_office"], o, summary="修复小区门口路灯")
    assert "“修复小区门口路灯”的意见收悉" in drafting.answer_drafts(o)[D.ADOPTED]


def test_an_answer_still_holding_a_placeholder_is_refused(world, client):
    o = _assigned(world)
    draft = drafting.answer_drafts(o)[D.ADOPTED]
    with pytest.raises(ValidationError) as caught:
        services.answer(world.users["handler"], o, text=draft, decision=D.ADOPTED)
    assert "正文中还有待补充的内容" in caught.value.message_dict["answer"][0]
    o.refresh_from_db()
    assert (o.status, o.answer, o.decision) == (S.ASSIGNED, "", "")
    assert "opinion.answered" not in AuditEntry.objects.values_list("action", flat=True)

    c = world.client_for(client, "handler")
    response = c.post(f"/staff/opinions/{o.pk}/answer/", {"decision": "adopted", "answer": draft})
    assert response.status_code == 400
    page = _text(response)
    assert "正文中还有待补充的内容" in page and "请改成实际情况后再提交" in page
    assert response.context["forms"]["answer"].errors["answer"]
    o.refresh_from_db()
    assert o.status == S.ASSIGNED and o.answer == ""

    filled = draft.replace(f"【请补充：{drafting.ASK_MEASURE}】", "在年内完成加装")
    response = c.post(f"/staff/opinions/{o.pk}/answer/", {"decision": "adopted", "answer": filled})
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.status == S.ANSWERED and "在年内完成加装" in o.answer


def test_the_answer_form_shows_the_drafts_and_fills_one_without_scripts(world, client):
    o = _assigned(world, name=NAME, phone=PHONE)
    c = world.client_for(client, "handler")
    response = c.get(f"/staff/opinions/{o.pk}/")
    page = _text(response)
    assert response.status_code == 200
    for _code, label in D.choices:
        assert f"{label}的答复稿" in page
    assert page.count("使用此稿") == 4 and "data-answer-form" in page
    assert "openday/js/answer-drafts.js" in page and not inline_code(response)
    assert NAME not in page and PHONE not in page
    response = c.get(f"/staff/opinions/{o.pk}/?draft=explained")
    form = response.context["forms"]["answer"]
    assert form.initial == {
        "decision": "explained",
        "answer": drafting.answer_drafts(o)["explained"],
    }
    # Those who may not answer see no drafts.
    assert "答复稿" not in _text(
        world.client_for(client, "kf_viewer").get(f"/staff/opinions/{o.pk}/")
    )


# --- Similar past answers -----------------------------------------------------------------------


def _published(world, actor, opinion, unit, text):
    services.assign(
        world.users["kf_office"]
        if unit.path.startswith(world.kaifu.path)
        else world.users["nm_office"],
        opinion,
        unit=unit,
    )
    services.answer(actor, opinion, text=text, decision="adopted")
    services.review(actor, opinion, approve=True, publish=True)
    return opinion


def test_similar_answers_come_only_from_the_same_office(world, client):
    kf, nm = world.users["kf_office"], world.users["nm_office"]
    ours = _published(
        world,
        kf,
        _opinion(
            world, content="小区电梯老是故障，老人上下楼不方便。", name="李四", phone="13900000002"
        ),
        world.housing,
        "已协调维保单位每月检修电梯。",
    )
    theirs = _published(
        world,
        nm,
        _opinion(world, office=world.naiman, content="小区电梯经常故障，老人上下楼不方便。"),
        world.town,
        "奈曼旗的电梯答复。",
    )
    # Approved but not published, at a unit the handler cannot see: only for those who can.
    street = _opinion(world, content="小区电梯故障频繁，希望加强维修。")
    services.assign(kf, street, unit=world.street)
    services.answer(kf, street, text="街道的电梯答复。", decision="partly")
    services.review(kf, street, approve=True)
    unrelated = _published(
        world, kf, _opinion(world, content="希望增加公交线路和班次。"), world.housing, "公交答复。"
    )
    o = _assigned(world)

    c = world.client_for(client, "handler")
    response = c.get(f"/staff/opinions/{o.pk}/")
    refs = response.context["references"]
    assert [r.pk for r in refs] == [ours.pk]
    page = _text(response)
    assert "已协调维保单位每月检修电梯。" in page and "参考此答复" in page
    assert "奈曼旗的电梯答复" not in page and "街道的电梯答复" not in page
    assert "李四" not in page and "13900000002" not in page and "李*" not in page
    assert unrelated.pk not in [r.pk for r in refs] and theirs.pk not in [r.pk for r in refs]

    office = world.client_for(client, "kf_office").get(f"/staff/opinions/{o.pk}/")
    assert {r.pk for r in office.context["references"]} == {ours.pk, street.pk}
    # "参考此答复" without scripts: the answer goes into the form; others' ids are ignored.
    form = c.get(f"/staff/opinions/{o.pk}/?ref={ours.pk}").context["forms"]["answer"]
    assert form.initial["answer"] == "已协调维保单位每月检修电梯。"
    form = c.get(f"/staff/opinions/{o.pk}/?ref={theirs.pk}").context["forms"]["answer"]
    assert form.initial["answer"] == ""


def test_the_page_still_renders_when_the_similarity_engine_fails(
    world, client, monkeypatch, caplog
):
    from openday.triage import similarity

    _published(world, world.users["kf_office"], _opinion(world), world.housing, "已检修。")
    o = _assigned(world)

    def broken(*args, **kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(similarity, "similar", broken)
    response = world.client_for(client, "handler").get(f"/staff/opinions/{o.pk}/")
    assert response.status_code == 200
    assert response.context["references"] == []
    page = _text(response)
    assert "相似意见的答复" not in page and "使用此稿" in page
    assert "similar answers failed" in caplog.text


# --- Bulk assign and bulk approve -----------------------------------------------------------------


def _bulk(client, data, **extra):
    return client.post("/staff/opinions/bulk/", data, **extra)


def test_bulk_assign_assigns_each_and_goes_back_to_the_filtered_list(world, client):
    made = [_opinion(world, content=f"第{n}条关于停车难的意见") for n in range(3)]
    c = world.client_for(client, "kf_office")
    listing = c.get("/staff/opinions/?status=new")
    assert all(o.bulk_assign for o in listing.context["page"])
    assert 'name="ids"' in _text(listing) and "批量交办" in _text(listing)
    assert not inline_code(listing)
    response = _bulk(
        c,
        {
            "action": "assign",
            "ids": [o.pk for o in made],
            "unit": world.housing.pk,
            "assignee": world.users["handler"].pk,
            "due_days": "10",
            "back": "mine=0&status=new&q=停车",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/opinions/?")
    assert "status=new" in response["Location"] and "mine=0" in response["Location"]
    page = _text(c.get(response["Location"]))
    assert f"已交办给{world.housing.name} 3 条。" in page
    for o in made:
        o.refresh_from_db()
        assert (o.status, o.unit, o.assignee) == (S.ASSIGNED, world.housing, world.users["handler"])
        assert o.due_date is not None
        assert AuditEntry.objects.filter(action="opinion.assigned", object_id=str(o.pk)).exists()


def test_a_mixed_bulk_assign_reports_each_refusal(world, client):
    new = [_opinion(world), _opinion(world, content="第二条")]
    answered = _answered(world)
    foreign = _opinion(world, office=world.naiman)
    c = world.client_for(client, "kf_office")
    ids = [o.pk for o in (*new, answered, foreign)] + [999999]
    response = _bulk(c, {"action": "assign", "ids": ids, "unit": world.street.pk}, follow=True)
    page = _text(response)
    assert f"已交办给{world.street.name} 2 条；3 条未处理：" in page
    assert f"{answered.tracking_code} — 意见当前状态为“待审核”，不能交办" in page
    assert f"编号 {foreign.pk} — 找不到这条意见，或您无权查看" in page
    assert "编号 999999 — 找不到这条意见" in page
    assert foreign.tracking_code not in page  # no tracking code of another office's opinion
    for o in new:
        o.refresh_from_db()
        assert o.unit == world.street and o.status == S.ASSIGNED
    for o in (answered, foreign):
        before = (o.status, o.unit_id)
        o.refresh_from_db()
        assert (o.status, o.unit_id) == before
    # Already with another unit: reassigning needs a reason, on the opinion's page.
    result = services.bulk_assign(world.users["kf_office"], new, unit=world.housing)
    assert result.done == [] and len(result.refused) == 2
    assert "改派请在意见页面写明原因" in result.refused[0][1]


def test_bulk_approve_with_and_without_publishing(world, client):
    first, second, third = _answered(world), _answered(world), _answered(world)
    still_open = _assigned(world)
    c = world.client_for(client, "unit_admin")
    listing = c.get("/staff/opinions/?mine=0")
    rows = {o.pk: o for o in listing.context["page"]}
    assert rows[first.pk].bulk_review and not rows[still_open.pk].bulk_review
    assert not any(o.bulk_assign for o in rows.values())
    page = _text(listing)
    assert "批量审核通过" in page and "批量交办" not in page and "同时公开办理结果" in page
    assert f'value="{still_open.pk}" form="bulk"' not in page

    response = _bulk(
        c, {"action": "approve", "ids": [first.pk, still_open.pk], "back": "mine=0"}, follow=True
    )
    page = _text(response)
    assert "已审核通过 1 条；1 条未处理：" in page
    assert f"{still_open.tracking_code} — 只有待审核的答复可以审核" in page
    first.refresh_from_db()
    assert first.status == S.APPROVED and first.reviewed_by == world.users["unit_admin"]
    response = _bulk(
        c, {"action": "approve", "ids": [second.pk, third.pk], "publish": "1"}, follow=True
    )
    assert "已审核通过并公开 2 条。" in _text(response)
    for o in (second, third):
        o.refresh_from_db()
        assert o.status == S.PUBLISHED
        actions = set(
            AuditEntry.objects.filter(object_id=str(o.pk)).values_list("action", flat=True)
        )
        assert {"opinion.approved", "opinion.published"} <= actions


def test_bulk_moves_follow_the_single_moves_access_rules(world, client):
    new = _opinion(world)
    answered = _answered(world)
    # An answer of another unit of the same office: 住建局's admin may neither see nor approve it.
    other_unit = _opinion(world, content="街道的意见")
    services.assign(world.users["kf_office"], other_unit, unit=world.street)
    services.answer(world.users["kf_office"], other_unit, text="街道答复。", decision="solved")

    for persona in ("unit_admin", "unit_staff", "handler", "kf_viewer", "town_admin"):
        response = _bulk(
            world.client_for(client, persona),
            {"action": "assign", "ids": [new.pk], "unit": world.housing.pk},
        )
        assert response.status_code == 403, persona
    for persona in ("handler", "unit_staff", "kf_viewer"):
        response = _bulk(
            world.client_for(client, persona), {"action": "approve", "ids": [answered.pk]}
        )
        assert response.status_code == 403, persona
    assert _bulk(world.client_for(client, "anonymous"), {"action": "approve"}).status_code == 302
    assert client.get("/staff/opinions/bulk/").status_code in (302, 405)
    assert world.client_for(client, "kf_office").get("/staff/opinions/bulk/").status_code == 405
    assert _bulk(world.client_for(client, "kf_office"), {"action": "delete"}).status_code == 403

    response = _bulk(
        world.client_for(client, "unit_admin"),
        {"action": "approve", "ids": [answered.pk, other_unit.pk]},
        follow=True,
    )
    page = _text(response)
    assert "已审核通过 1 条；1 条未处理：" in page and f"编号 {other_unit.pk}" in page
    # 奈曼旗's office may not approve or assign 开福区's opinions.
    response = _bulk(
        world.client_for(client, "nm_office"),
        {"action": "approve", "ids": [other_unit.pk]},
        follow=True,
    )
    assert "已审核通过 0 条；1 条未处理" in _text(response)
    response = _bulk(
        world.client_for(client, "nm_office"),
        {"action": "assign", "ids": [new.pk], "unit": world.housing.pk},
    )
    assert response.status_code == 400 and "请选择责任单位" in _text(response)
    response = _bulk(
        world.client_for(client, "nm_office"),
        {"action": "assign", "ids": [new.pk], "unit": world.town.pk},
        follow=True,
    )
    assert "已交办给" in _text(response) and "0 条；1 条未处理" in _text(response)
    for o in (new, other_unit):
        status = o.status
        o.refresh_from_db()
        assert o.status == status
    # The services check too, whoever calls them.
    answered = _answered(world)
    result = services.bulk_assign(world.users["unit_admin"], [answered.pk], unit=world.housing)
    assert result.done == [] and "只有政务公开办可以交办" in result.refused[0][1]
    result = services.bulk_review(world.users["handler"], [answered], publish=True)
    assert result.done == [] and "您无权审核" in result.refused[0][1]
    answered.refresh_from_db()
    assert answered.status == S.ANSWERED


def test_a_bulk_form_with_bad_values_keeps_what_was_chosen(world, client):
    made = [_opinion(world), _opinion(world, content="第二条")]
    c = world.client_for(client, "kf_office")
    ids = [o.pk for o in made]
    response = _bulk(
        c,
        {
            "action": "assign",
            "ids": ids,
            "unit": world.housing.pk,
            "due_days": "100",
            "back": "mine=0&status=new",
        },
    )
    assert response.status_code == 400 and "办理期限应在1到90个工作日之间" in _text(response)
    assert all(o.bulk_checked for o in response.context["page"])
    assert response.context["bulk"]["unit"] == world.housing.pk
    response = _bulk(
        c,
        {
            "action": "assign",
            "ids": ids,
            "unit": world.housing.pk,
            "assignee": world.users["town_handler"].pk,
        },
    )
    assert response.status_code == 400 and "责任人应是该单位" in _text(response)
    response = _bulk(c, {"action": "assign", "ids": ids})
    assert response.status_code == 400 and "请选择责任单位" in _text(response)
    response = _bulk(c, {"action": "assign", "ids": ["x1"], "unit": world.housing.pk})
    assert response.status_code == 400 and "编号不正确" in _text(response)
    response = _bulk(c, {"action": "approve"})
    assert response.status_code == 400 and "请先勾选要处理的意见" in _text(response)
    assert not Opinion.objects.exclude(status=S.NEW).exists()


def test_a_batch_is_at_most_200(world, client):
    made = [_opinion(world, content=f"第{n}条") for n in range(3)]
    ids = [o.pk for o in made] + list(range(10**6, 10**6 + 198))
    c = world.client_for(client, "kf_office")
    response = _bulk(c, {"action": "assign", "ids": ids, "unit": world.housing.pk})
    assert response.status_code == 400 and "一次最多处理200条，本次选择了201条" in _text(response)
    assert not Opinion.objects.exclude(status=S.NEW).exists()
    with pytest.raises(services.Refused):
        services.bulk_assign(world.users["kf_office"], ids, unit=world.housing)
    result = services.bulk_assign(world.users["kf_office"], ids[:200], unit=world.housing)
    assert len(result.done) == 3 and len(result.refused) == 197


def test_the_list_page_needs_the_same_queries_for_more_rows(world, client):
    def count(persona):
        c = world.client_for(client, persona)
        c.get("/staff/opinions/?mine=0")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert c.get("/staff/opinions/?mine=0").status_code == 200
        return len(queries)

    _opinion(world), _assigned(world), _answered(world)
    few = {p: count(p) for p in ("kf_office", "unit_admin", "handler")}
    for n in range(6):
        _opinion(world, content=f"新的意见{n}")
        _answered(world, content=f"已答复的意见{n}")
    more = {p: count(p) for p in ("kf_office", "unit_admin", "handler")}
    assert more == few
    assert few["kf_office"] <= 25


def test_drafts_use_the_due_date_and_the_date_of_receipt(world):
    received = timezone.make_aware(timezone.datetime(2023, 6, 6, 10, 30))
    o = _opinion(world, received_at=received)
    services.assign(
        world.users["kf_office"], o, unit=world.housing, due_days=1, today=date(2023, 9, 28)
    )
    text = drafting.answer_drafts(o)[D.ADOPTED]
    assert "您于2023年6月6日在座谈会上提出的" in text
    assert "2023年10月7日前" in text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_bulk_assigning_and_approving_as(world, client, persona):
    """The matrix for the bulk URL: who moves 开福区's opinions (others get 403 or, when they
    hold the role elsewhere, every item refused)."""
    new, answered = _opinion(world), _answered(world)
    c = world.client_for(client, persona)
    response = _bulk(c, {"action": "assign", "ids": [new.pk], "unit": world.housing.pk})
    assigns = persona in ("operator", "kf_office")
    if persona == "anonymous":
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    elif persona in ("norole", "kf_viewer", "unit_admin", "unit_staff", "handler"):
        assert response.status_code == 403
    new.refresh_from_db()
    assert (new.status == S.ASSIGNED) is assigns
    response = _bulk(c, {"action": "approve", "ids": [answered.pk]})
    assert response.status_code in (302, 403)
    answered.refresh_from_db()
    assert (answered.status == S.APPROVED) is (persona in ("operator", "kf_office", "unit_admin"))


def test_submit_and_answer_the_next_one_goes_to_the_handlers_next_opinion(world, client):
    first = _assigned(world)
    second = _assigned(world, content="建议公开老旧小区改造的资金使用情况，接受群众监督。")
    # Another handler's opinion is never the "next" one.
    other = _opinion(world, content="建议延长政务大厅周末开放时间。")
    services.assign(world.users["kf_office"], other, unit=world.housing)
    client.force_login(world.users["handler"])
    page = client.get(f"/staff/opinions/{first.pk}/").content.decode()
    assert "提交并答复下一条" in page
    response = client.post(
        f"/staff/opinions/{first.pk}/answer/",
        {"decision": "solved", "answer": "已安排维保单位检修，电梯已恢复运行。", "next": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/opinions/{second.pk}/#answer"
    first.refresh_from_db()
    assert first.status == Opinion.Status.ANSWERED
    # The last one: back to the same page, saying nothing is left.
    response = client.post(
        f"/staff/opinions/{second.pk}/answer/",
        {"decision": "adopted", "answer": "资金使用情况将在小区公示栏公开。", "next": "1"},
        follow=True,
    )
    assert "交给您的意见都已答复" in response.content.decode()
    # A refused answer (a placeholder left) stays on the page and does not move on.
    third = _assigned(world, content="建议在小区设置电动车集中充电点。")
    response = client.post(
        f"/staff/opinions/{third.pk}/answer/",
        {"decision": "adopted", "answer": "我们将【请补充：措施】。", "next": "1"},
    )
    assert response.status_code == 400
    third.refresh_from_db()
    assert third.status == Opinion.Status.ASSIGNED


def test_the_next_opinion_is_one_of_the_same_event_first(world, client, event):
    elsewhere = _assigned(world, content="建议延长政务大厅周末开放时间。")
    first = _assigned(world, content=ELEVATOR, event=event, office=None)
    later = _assigned(world, content="建议公开改造资金的使用情况。", event=event, office=None)
    # The opinion elsewhere is due first, but the handler stays with the event's opinions.
    Opinion.objects.filter(pk=elsewhere.pk).update(due_date=date.today())
    client.force_login(world.users["handler"])
    response = client.post(
        f"/staff/opinions/{first.pk}/answer/",
        {"decision": "solved", "answer": "已安排维保单位检修，电梯已恢复运行。", "next": "1"},
    )
    assert response["Location"] == f"/staff/opinions/{later.pk}/#answer"
    response = client.post(
        f"/staff/opinions/{later.pk}/answer/",
        {"decision": "adopted", "answer": "资金使用情况将在小区公示栏公开。", "next": "1"},
    )
    assert response["Location"] == f"/staff/opinions/{elsewhere.pk}/#answer"
