"""The public's side of opinions: the online form, checking progress with the tracking code,
the results board and its printable notice, and the public API."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from openday.campaigns import services as campaigns
from openday.events.models import Event
from openday.opinions import public, services
from openday.opinions.models import Opinion, RectificationStep
from openday.ops import ratelimit
from tests.test_events import make_event

NAME, PHONE = "欧阳娜娜", "13812345678"


def submit(world, *, event=None, office=None, name=NAME, phone=PHONE, **extra):
    extra.setdefault("content", "建议在小区门口增设公交站台，方便老人出行。")
    return services.submit_opinion(
        source=Opinion.Source.ONLINE, event=event,
        office=office or (world.kaifu if event is None else None), name=name, phone=phone,
        consent=bool(name or phone), **extra,
    )  # fmt: skip


def assign(world, opinion):
    return services.assign(world.users["kf_office"], opinion, unit=world.housing)


def publish(world, opinion, *, decision="adopted", answer="已采纳，下月在小区门口增设站台。",
            steps=()):  # fmt: skip
    """Assign, answer, add rectification steps [(description, planned, done)], approve, publish."""
    assign(world, opinion)
    services.answer(world.users["unit_admin"], opinion, text=answer, decision=decision)
    for description, planned, done in steps:
        step = services.add_step(world.users["unit_admin"], opinion, description=description,
                                 planned_date=planned)  # fmt: skip
        if done:
            services.complete_step(world.users["unit_admin"], step, done_date=done)
    services.review(world.users["unit_admin"], opinion, approve=True, publish=True)
    opinion.refresh_from_db()
    return opinion


def form(world, **change):
    data = {"office": str(world.kaifu.pk), "content": "希望延长政务大厅周末开放时间。",
            "name": "李四", "phone": "13900001111", "category": "public", "consent": "1"}  # fmt: skip
    for key, value in change.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def without_token(page):
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r'nonce="[^"]*"', "", page)  # the CSP nonce differs per answer


# --- The online form -----------------------------------------------------------------------------


def test_the_form_lists_only_offices_and_shows_the_notice(client, world):
    response = client.get("/opinions/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "提意见建议" in page and services.DEFAULT_CONSENT in page
    assert f'<option value="{world.kaifu.pk}">{world.kaifu.name}</option>' in page
    assert f'<option value="{world.naiman.pk}">' in page
    assert f'<option value="{world.housing.pk}">' not in page  # a unit, not an office
    assert 'maxlength="2000"' in page and 'id="f-content-count"' in page
    assert 'name="anonymous"' in page and 'name="consent"' in page
    assert "openday/css/opinions.css" in page


def test_a_valid_opinion_gets_a_tracking_code(client, world):
    response = client.post("/opinions/new/", form(world))
    assert response.status_code == 302 and response["Location"] == "/opinions/new/done/"
    opinion = Opinion.objects.get()
    assert opinion.source == Opinion.Source.ONLINE and opinion.office == world.kaifu
    assert opinion.name == "李四" and opinion.phone == "13900001111"
    assert opinion.category == "public" and opinion.consent_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "请记下查询码" in page
    code = opinion.tracking_code
    assert f"<span>{code[:5]}</span><span>{code[5:]}</span>" in page
    assert "139****1111" in page and "不会收到短信" not in page
    assert "/opinions/status/" in page


def test_an_anonymous_opinion_keeps_no_name_or_phone(client, world):
    response = client.post("/opinions/new/", form(world, anonymous="1", consent=None))
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.anonymous and opinion.name == "" and opinion.phone_encrypted == ""
    assert opinion.phone_last4 == "" and opinion.consent_at is None
    page = client.get("/opinions/new/done/").content.decode()
    assert opinion.tracking_code[:5] in page
    assert "不会收到短信通知" in page and "手机号后四位留空" in page


def test_without_contact_details_no_consent_is_needed(client, world):
    response = client.post("/opinions/new/", form(world, name="", phone="", consent=None))
    assert response.status_code == 302
    assert "不会收到短信通知" in client.get("/opinions/new/done/").content.decode()


def test_a_phone_needs_consent_and_the_typed_text_is_kept(client, world):
    content = "公交站台<太远>，希望在“幸福小区”门口增设。"
    response = client.post("/opinions/new/", form(world, content=content, consent=None))
    page = response.content.decode()
    assert response.status_code == 400
    assert not Opinion.objects.exists()
    assert "留下姓名或手机号时，请阅读个人信息告知并勾选同意。" in page
    assert 'id="f-consent-err"' in page and 'href="#f-consent"' in page
    assert "公交站台&lt;太远&gt;，希望在“幸福小区”门口增设。</textarea>" in page
    assert 'value="李四"' in page and 'value="13900001111"' in page
    assert '<option value="public" selected>' in page
    assert f'<option value="{world.kaifu.pk}" selected>' in page


def test_every_problem_is_explained_next_to_its_field(client, world):
    data = form(world, content="长" * 2001, phone="12345", office="", category="alien")
    page = client.post("/opinions/new/", data).content.decode()
    assert "意见内容请不要超过2000字（现有2001字）。" in page and 'id="f-content-err"' in page
    assert "请填写11位手机号码，或不填。" in page and 'id="f-phone-err"' in page
    assert "参加人类别不正确。" in page
    assert "请选择受理意见的政务公开办。" in page and 'id="f-office-err"' in page
    assert "提交未成功，请修改以下 4 处" in page
    assert "长" * 2001 + "</textarea>" in page
    response = client.post("/opinions/new/", form(world, content="  "))
    assert response.status_code == 400 and "请填写意见建议的内容。" in response.content.decode()


def test_without_an_event_the_office_is_required_and_must_be_an_office(client, world):
    for office in ("", str(world.housing.pk), "abc"):
        response = client.post("/opinions/new/", form(world, office=office))
        assert response.status_code == 400
        assert "请选择受理意见的政务公开办。" in response.content.decode()
    assert not Opinion.objects.exists()


def test_the_event_fills_in_the_office(client, world):
    event = make_event(world)
    page = client.get(f"/opinions/new/?event={event.pk}").content.decode()
    assert event.title in page and 'name="office"' not in page
    assert f'<input type="hidden" name="event" value="{event.pk}">' in page
    response = client.post(f"/opinions/new/?event={event.pk}",
                           {**form(world, office=None), "event": event.pk})  # fmt: skip
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.event == event and opinion.office == world.kaifu
    assert client.get(response["Location"]).content.decode().count(f"?event={event.pk}") >= 1


def test_a_draft_or_unknown_event_is_not_found(client, world):
    draft = make_event(world, publish=False)
    assert draft.status == Event.Status.DRAFT
    assert client.get(f"/opinions/new/?event={draft.pk}").status_code == 404
    assert client.get("/opinions/new/?event=999999").status_code == 404
    assert client.get("/opinions/new/?event=x").status_code == 404


def test_the_done_page_needs_a_submission(client, world):
    response = client.get("/opinions/new/done/")
    assert response.status_code == 302 and response["Location"] == "/opinions/new/"


def test_the_event_page_and_home_page_link_to_opinions(client, world):
    event = make_event(world)
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert f'href="/opinions/new/?event={event.pk}"' in page
    assert f'href="/opinions/board/?event={event.pk}"' in page
    home = client.get("/").content.decode()
    for link in ("/opinions/new/", "/opinions/status/", "/opinions/board/"):
        assert f'href="{link}"' in home


# --- Progress look-up ---------------------------------------------------------------------------


def look(client, code, tail=""):
    return client.post("/opinions/status/", {"code": code, "tail": tail})


def test_the_right_code_and_tail_show_the_progress(client, world):
    opinion = submit(world)
    page = look(client, opinion.tracking_code, "5678").content.decode()
    assert "已收到，正在分派给责任单位" in page and opinion.tracking_code in page
    assert opinion.short in page
    assign(world, opinion)
    opinion.refresh_from_db()
    # Lower case, spaces and full-width digits are forgiven.
    typed = f"{opinion.tracking_code[:5].lower()} {opinion.tracking_code[5:]}"
    response = look(client, typed, "５６７８")
    page = response.content.decode()
    assert response.status_code == 200
    assert "正在办理" in page and f"责任单位：{world.housing.name}" in page
    assert f"{opinion.due_date.year}年{opinion.due_date.month}月{opinion.due_date.day}日前" in page
    assert NAME not in page and PHONE not in page
    # An answer waiting for review is still “正在办理”; its text is not shown yet.
    services.answer(world.users["unit_admin"], opinion, text="内部答复稿", decision="adopted")
    page = look(client, opinion.tracking_code, "5678").content.decode()
    assert "正在办理" in page and "内部答复稿" not in page and "采纳情况" not in page


def test_a_published_result_shows_the_answer_and_rectification(client, world):
    today = timezone.localdate()
    opinion = publish(world, submit(world), steps=[
        ("选址并报批", today - timedelta(days=5), today - timedelta(days=1)),
        ("建设站台", today + timedelta(days=30), None),
    ])  # fmt: skip
    page = look(client, opinion.tracking_code, "5678").content.decode()
    assert "已办结，结果已公开" in page
    assert "已采纳，下月在小区门口增设站台。" in page and ">采纳</strong>" in page
    assert "选址并报批" in page and "建设站台" in page and "正在整改" in page
    assert f"已于 {today - timedelta(days=1):%Y}年" in page
    assert world.housing.name in page and "答复时间" in page


def test_wrong_tail_and_unknown_code_look_the_same(client, world):
    opinion = submit(world)
    wrong_tail = look(client, opinion.tracking_code, "0000")
    unknown = look(client, "ZZZZZZZZZZ", "0000")
    assert wrong_tail.status_code == unknown.status_code == 400
    a = without_token(wrong_tail.content.decode()).replace(opinion.tracking_code, "CODE")
    b = without_token(unknown.content.decode()).replace("ZZZZZZZZZZ", "CODE")
    assert a == b and public.NOT_FOUND_MESSAGE in a
    # The tail of a number that was given is needed; an empty tail is a wrong tail.
    assert look(client, opinion.tracking_code, "").status_code == 400


def test_an_anonymous_opinion_is_found_with_an_empty_tail(client, world):
    opinion = submit(world, anonymous=True)
    assert look(client, opinion.tracking_code, "").status_code == 200
    assert look(client, opinion.tracking_code, "5678").status_code == 400


def test_the_form_explains_missing_or_malformed_input(client, world):
    response = look(client, "", "12")
    page = response.content.decode()
    assert response.status_code == 400
    assert "请填写查询码。" in page and "请填写手机号的后四位数字" in page


def test_a_merged_opinion_shows_the_result_of_the_one_it_joined(client, world):
    target = submit(world, phone="13700009999")
    duplicate = submit(world, name="", phone="")
    services.merge(world.users["kf_office"], target, [duplicate])
    page = look(client, duplicate.tracking_code).content.decode()
    assert "已与同一事项的意见合并办理" in page and "合并后的办理情况" in page
    assert target.tracking_code not in page
    publish(world, target, answer="已解决：站台已建成。", decision="solved")
    page = look(client, duplicate.tracking_code).content.decode()
    assert "已解决：站台已建成。" in page and ">已解决</strong>" in page


def test_failed_look_ups_are_rate_limited_per_address(client, world):
    opinion = submit(world)
    for n in range(ratelimit.rules()["lookup.address"].limit):  # a new guess each time
        assert look(client, f"ZZZZZZ{n:04d}", "1234").status_code == 400
    blocked = look(client, opinion.tracking_code, "5678")
    assert blocked.status_code == 429
    assert "查询失败次数过多" in blocked.content.decode()
    assert "已收到" not in blocked.content.decode()  # not even the right code gets through
    api = client.get(f"/api/v1/opinions/{opinion.tracking_code}?phone_tail=5678")
    assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_requests"
    # Another address is not affected.
    other = client.post("/opinions/status/", {"code": opinion.tracking_code, "tail": "5678"},
                        REMOTE_ADDR="10.0.0.9")  # fmt: skip
    assert other.status_code == 200


def test_successful_look_ups_are_not_counted(client, world):
    opinion = submit(world)
    for _ in range(ratelimit.rules()["lookup.address"].limit + 2):
        assert look(client, opinion.tracking_code, "5678").status_code == 200


# --- The results board ----------------------------------------------------------------------------


def test_the_board_shows_only_published_results_with_masked_names(client, world):
    event = make_event(world)
    today = timezone.localdate()
    shown = publish(world, submit(world, event=event, category="deputy",
                                  content=f"我是{NAME}，电话{PHONE}，建议增设站台。"),
                    steps=[("选址", today - timedelta(days=3), today - timedelta(days=2)),
                           ("施工", today + timedelta(days=9), None)])  # fmt: skip
    answered = submit(world, event=event, content="尚未公开的意见内容")
    assign(world, answered)
    services.answer(world.users["unit_admin"], answered, text="待审核的答复", decision="adopted")
    submit(world, event=event, content="刚收到的意见内容")
    response = client.get(f"/opinions/board/?event={event.pk}")
    page = response.content.decode()
    assert response.status_code == 200
    assert event.title in page and "意见建议采纳及整改结果公开" in page
    assert "欧***" in page and "人大代表" in page and world.housing.name in page
    assert "已采纳，下月在小区门口增设站台。" in page
    assert "已完成 1/2 项" in page and "最近完成：选址" in page
    assert "尚未公开的意见内容" not in page and "待审核的答复" not in page
    assert "刚收到的意见内容" not in page
    assert NAME not in page and PHONE not in page and "138****5678" in page
    assert shown.tracking_code not in page
    assert "已公开 <strong>1</strong> 条" in page and "采纳 <strong>1</strong> 条" in page
    # A number across the cut of a long text is masked before the text is cut.
    long = publish(world, submit(world, event=event, content="很" * 112 + f"电话{PHONE}"))
    assert long.short.endswith(PHONE[:4] + "……")
    page = client.get(f"/opinions/board/?event={event.pk}").content.decode()
    assert PHONE[:4] + "……" not in page and "138*……" in page


def test_the_board_filters_by_decision_and_pages(client, world):
    for i in range(21):
        publish(world, submit(world, content=f"意见第{i}号"), decision="adopted")
    publish(world, submit(world, content="要解释的意见"), answer="依法不能办理，说明如下。",
            decision="explained")  # fmt: skip
    page = client.get("/opinions/board/").content.decode()
    assert "已公开 <strong>22</strong> 条" in page and "第 1 / 2 页" in page
    assert "要解释的意见" in page  # newest first
    page = client.get("/opinions/board/?decision=explained").content.decode()
    assert "要解释的意见" in page and "意见第3号" not in page
    assert 'aria-current="page">解释说明（未采纳）</a>' in page
    page = client.get("/opinions/board/?decision=partly").content.decode()
    assert "暂无“部分采纳”的公开结果" in page


def test_the_board_by_campaign_and_the_empty_state(client, world):
    fields = campaigns.preset_fields("theme_day", world.kaifu, 2024)
    campaign = campaigns.create_campaign(world.users["kf_office"], world.kaifu, **fields)
    assert client.get(f"/opinions/board/?campaign={campaign.pk}").status_code == 404  # draft
    campaign = campaigns.issue_notice(world.users["kf_office"], campaign)
    page = client.get(f"/opinions/board/?campaign={campaign.pk}").content.decode()
    assert campaign.title in page and "暂无公开的意见办理结果" in page
    opinion = submit(world)
    Opinion.objects.filter(pk=opinion.pk).update(campaign=campaign)
    publish(world, Opinion.objects.get(pk=opinion.pk))
    page = client.get(f"/opinions/board/?campaign={campaign.pk}").content.decode()
    assert "建议在小区门口增设公交站台" in page
    assert client.get("/opinions/board/?event=999999").status_code == 404


def test_the_bulletin_is_a_printable_notice_with_a_qr_code(client, world):
    event = make_event(world)
    publish(world, submit(world, event=event))
    response = client.get(f"/opinions/board/print/?event={event.pk}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>意见建议采纳及整改结果公示</h1>" in page and event.title in page
    assert "<svg" in page and "openday/css/print-opinion-bulletin.css" in page  # @page A4
    assert f"http://testserver/opinions/board/?event={event.pk}" in page
    assert "欧***" in page and NAME not in page and PHONE not in page
    assert world.kaifu.name in page and f"{timezone.localdate():%Y}年" in page


# --- The public API ---------------------------------------------------------------------------------


def api_post(client, body):
    return client.post("/api/v1/opinions", body, content_type="application/json")


def test_the_api_takes_an_opinion(client, world):
    event = make_event(world)
    response = api_post(client, {"content": "建议增加停车位。", "event_id": event.pk,
                                 "name": NAME, "phone": PHONE, "category": "media",
                                 "consent": True})  # fmt: skip
    assert response.status_code == 201
    code = response.json()["tracking_code"]
    assert response.json() == {"tracking_code": code}
    opinion = Opinion.objects.get(tracking_code=code)
    assert opinion.source == Opinion.Source.API and opinion.office == world.kaifu
    assert opinion.event == event and opinion.phone == PHONE
    response = api_post(client, {"content": "匿名意见", "office_id": world.naiman.pk,
                                 "name": NAME, "phone": PHONE, "anonymous": True})  # fmt: skip
    assert response.status_code == 201
    anonymous = Opinion.objects.get(tracking_code=response.json()["tracking_code"])
    assert anonymous.office == world.naiman and anonymous.name == ""
    assert not anonymous.phone_encrypted


def test_the_api_explains_what_is_wrong(client, world):
    response = api_post(client, {"content": "", "phone": "123", "name": "王五",
                                 "office_id": world.housing.pk})  # fmt: skip
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid"
    fields = {d["field"]: d["reason"] for d in body["details"]}
    assert fields["content"] == "请填写意见建议的内容。"
    assert fields["phone"] == "请填写11位手机号码，或不填。"
    assert fields["consent"].startswith("留下姓名或手机号时")
    assert fields["office_id"] == "请选择受理意见的政务公开办。"
    response = api_post(client, {"content": "x", "office_id": "abc"})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"]
    assert not Opinion.objects.exists()


def test_the_api_refuses_unknown_and_draft_events(client, world):
    draft = make_event(world, publish=False)
    for event_id in (draft.pk, 999999):
        response = api_post(client, {"content": "意见", "event_id": event_id})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_the_api_look_up(client, world):
    opinion = submit(world)
    url = f"/api/v1/opinions/{opinion.tracking_code}"
    body = client.get(f"{url}?phone_tail=5678").json()
    assert body == {"tracking_code": opinion.tracking_code, "status": "received",
                    "status_label": "已收到，正在分派给责任单位",
                    "received_at": body["received_at"], "unit": None, "due_date": None,
                    "due_estimated": False}  # fmt: skip
    today = timezone.localdate()
    publish(world, opinion, steps=[("施工", today + timedelta(days=9), None)])
    opinion.refresh_from_db()
    body = client.get(f"{url}?phone_tail=5678").json()
    assert body["status"] == "published" and body["unit"] == world.housing.name
    assert body["decision"] == "adopted" and body["decision_label"] == "采纳"
    assert body["answer"] == "已采纳，下月在小区门口增设站台。" and body["answered_at"]
    assert body["due_date"] == opinion.due_date.isoformat()
    assert body["steps"] == [{"description": "施工",
                              "planned_date": (today + timedelta(days=9)).isoformat(),
                              "done_date": None}]  # fmt: skip
    assert NAME not in str(body) and PHONE not in str(body)


def test_the_api_look_up_gives_one_404_for_wrong_tail_and_unknown_code(client, world):
    opinion = submit(world)
    wrong = client.get(f"/api/v1/opinions/{opinion.tracking_code}?phone_tail=0000")
    unknown = client.get("/api/v1/opinions/ZZZZZZZZZZ?phone_tail=0000")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/opinions/{opinion.tracking_code}").status_code == 404
    bad = client.get(f"/api/v1/opinions/{opinion.tracking_code}?phone_tail=12a4")
    assert bad.status_code == 422


def test_the_api_look_up_of_anonymous_and_merged_opinions(client, world):
    target = submit(world)
    duplicate = submit(world, anonymous=True)
    assert client.get(f"/api/v1/opinions/{duplicate.tracking_code}").status_code == 200
    services.merge(world.users["kf_office"], target, [duplicate])
    publish(world, target)
    body = client.get(f"/api/v1/opinions/{duplicate.tracking_code}?phone_tail=").json()
    assert body["status"] == "merged" and body["status_label"] == "已与同一事项的意见合并办理"
    merged = body["merged_into"]
    assert merged["status"] == "published" and merged["answer"].startswith("已采纳")
    assert "tracking_code" not in merged and target.tracking_code not in str(body)


def test_the_published_api_is_the_board(client, world):
    event = make_event(world)
    publish(world, submit(world, event=event, category="deputy"),
            steps=[("施工", timezone.localdate() + timedelta(days=9), None)])  # fmt: skip
    submit(world, event=event, content="没有公开的意见")
    response = client.get(f"/api/v1/opinions/published?event_id={event.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["pages"] == 1
    assert body["summary"]["total"] == 1
    assert {"code": "adopted", "label": "采纳", "count": 1} in body["summary"]["decisions"]
    row = body["results"][0]
    assert row["submitter"] == "欧***" and row["category_label"] == "人大代表"
    assert row["unit"] == world.housing.name and row["decision"] == "adopted"
    assert row["steps_total"] == 1 and row["steps_done"] == 0
    assert row["latest_step"]["description"] == "施工"
    text = response.content.decode()
    assert NAME not in text and PHONE not in text and "没有公开的意见" not in text
    assert "tracking_code" not in text
    assert client.get("/api/v1/opinions/published?event_id=999999").status_code == 404
    assert client.get("/api/v1/opinions/published?decision=maybe").status_code == 422
    assert client.get("/api/v1/opinions/published").json()["count"] == 1


# --- 关怀版 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/opinions/new/", "/opinions/status/", "/opinions/board/"])
def test_the_pages_render_in_elderly_mode(client, world, path):
    publish(world, submit(world))
    client.post("/care/", {"care": "1", "next": path})
    page = client.get(path).content.decode()
    assert 'class="portal care"' in page and "退出关怀版" in page


def test_rectification_steps_are_counted_on_the_board(world):
    today = timezone.localdate()
    publish(world, submit(world), steps=[
        ("一", today - timedelta(days=2), today - timedelta(days=1)),
        ("二", today - timedelta(days=2), today),
    ])  # fmt: skip
    row = public.board_row(public.board_queryset(Opinion.objects.all()).get())
    assert row["steps_done"] == row["steps_total"] == 2
    assert row["latest_step"]["description"] == "二"
    assert RectificationStep.objects.count() == 2
