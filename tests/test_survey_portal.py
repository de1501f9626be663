"""Answering a questionnaire on the public site: a plain form that keeps what was typed."""

import html
import json
import re
from datetime import timedelta

from django.utils import timezone

from openday.surveys import services
from openday.surveys.models import Answer, Response
from tests.test_survey_api import make_survey, questions


def form_data(survey, **change):
    """A complete answer as the browser posts it; None leaves a question out."""
    q = questions(survey)
    data = {
        f"q{q['rating'].pk}": "1",
        f"q{q['matrix'].pk}_r1": "1",
        f"q{q['matrix'].pk}_r2": "2",
        f"q{q['matrix'].pk}_r3": "1",
        f"q{q['matrix'].pk}_r4": "3",
        f"q{q['multiple'].pk}": ["1", "3"],
        f"q{q['score'].pk}": "9",
        f"q{q['single'].pk}": "2",
    }
    for name, value in change.items():
        if name == "matrix":
            for r in range(1, 5):
                data.pop(f"q{q['matrix'].pk}_r{r}", None)
            data.update({f"q{q['matrix'].pk}_r{r}": v for r, v in (value or {}).items()})
        elif name in q:
            if value is None:
                data.pop(f"q{q[name].pk}", None)
            else:
                data[f"q{q[name].pk}"] = value
        else:
            data[name] = value
    return data


def url(survey):
    return f"/surveys/{survey.pk}/"


def test_the_answer_page_draws_every_kind_of_question(client, world):
    survey = make_survey(world)
    q = questions(survey)
    response = client.get(url(survey))
    page = response.content.decode()
    assert response.status_code == 200
    assert "政府开放日活动满意度调查问卷" in page and "感谢您参加本次政府开放日活动" in page
    assert '<h2 class="survey-section">一、活动评价</h2>' in page
    # Single and rating: radios with labels tied to them, required said in words.
    assert (
        f'<input type="radio" id="q{q["rating"].pk}-1" name="q{q["rating"].pk}" value="1">' in page
    )
    assert f'<label class="opt" for="q{q["rating"].pk}-1">' in page
    assert "（必答）" in page and "<legend" in page
    # Multiple: checkboxes and the limits.
    assert f'type="checkbox" id="q{q["multiple"].pk}-3" name="q{q["multiple"].pk}"' in page
    assert "至少选1项，最多选3项" in page
    # Score: 0 to 10.
    for n in (0, 10):
        assert f'id="q{q["score"].pk}-{n}" name="q{q["score"].pk}" value="{n}"' in page
    # Matrix: a fieldset per row.
    assert f'name="q{q["matrix"].pk}_r4"' in page and "<legend>政策发布</legend>" in page
    # The textarea carries its condition, explained in words too.
    shown_if = re.search(rf'id="q{q["textarea"].pk}"[^>]*data-show-if="([^"]+)"', page).group(1)
    assert json.loads(html.unescape(shown_if)) == {"question": q["single"].pk, "values": [1]}
    assert "第5题选择“有”时作答" in page and 'maxlength="2000"' in page
    # Anonymous: no name or phone; the category is optional with “不愿透露”.
    assert 'name="phone"' not in page
    assert '<option value="">不愿透露</option>' in page
    assert "openday/js/survey.js" in page and "openday/css/survey.css" in page


def test_the_device_cookie_is_set_for_a_year(client, world):
    survey = make_survey(world)
    response = client.get(url(survey))
    cookie = response.cookies["od_device"]
    assert len(cookie.value) >= 16
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 365 * 24 * 3600
    # Kept, not replaced, on the next visit.
    assert "od_device" not in client.get(url(survey)).cookies


def test_answering_redirects_to_the_thanks(client, world):
    survey = make_survey(world)
    client.get(url(survey))
    device = client.cookies["od_device"].value
    response = client.post(url(survey), form_data(survey, category="deputy"))
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.pk}/done/"
    saved = Response.objects.get(survey=survey)
    assert saved.channel == "web" and saved.category == "deputy"
    assert saved.device_hash == services.device_hash(device)
    services.expand_pending()
    assert Answer.objects.filter(response=saved).count() == 9
    done = client.get(response["Location"])
    page = done.content.decode()
    assert done.status_code == 200 and "提交成功，感谢您的参与！" in page
    assert f'data-survey-done="{survey.pk}"' in page


def test_the_first_post_sets_the_cookie_too(client, world):
    survey = make_survey(world)
    response = client.post(url(survey), form_data(survey))
    assert response.status_code == 302 and "od_device" in response.cookies
    assert Response.objects.get().device_hash == services.device_hash(
        response.cookies["od_device"].value
    )


def test_a_rejected_form_keeps_what_was_typed(client, world):
    survey = make_survey(world)
    q = questions(survey)
    data = form_data(survey, rating=None, single="1", matrix={1: "2", 2: "1"},
                     textarea="希望多开放几个科室<script>", category="media")  # fmt: skip
    response = client.post(url(survey), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert not Response.objects.exists()
    # Typed text and picks are back, escaped.
    assert "希望多开放几个科室&lt;script&gt;</textarea>" in page
    assert f'id="q{q["multiple"].pk}-3" name="q{q["multiple"].pk}" value="3" checked' in page
    assert f'id="q{q["multiple"].pk}-2" name="q{q["multiple"].pk}" value="2">' in page
    assert f'id="q{q["single"].pk}-1" name="q{q["single"].pk}" value="1" checked' in page
    assert f'id="q{q["score"].pk}-9" name="q{q["score"].pk}" value="9" checked' in page
    assert f'id="q{q["matrix"].pk}-r1-2" name="q{q["matrix"].pk}_r1" value="2" checked' in page
    assert '<option value="media" selected>' in page
    # A summary at the top links to each problem; each is also next to its question.
    summary = re.search(r'<div class="form-errors" id="error-summary".*?</div>', page, re.S).group()
    assert "提交未成功，请修改以下 2 处" in summary
    assert f'<a href="#q{q["rating"].pk}-1">第1题：请回答此题。</a>' in summary
    assert f'<a href="#q{q["matrix"].pk}-r1-1">第2题：请为每一行选择一项' in summary
    assert f'<p class="error" id="q{q["rating"].pk}-err">请回答此题。</p>' in page
    assert f'aria-describedby="q{q["rating"].pk}-err"' in page
    assert "尚未选择：座谈交流、政策发布" in page
    assert 'data-fresh="0"' in page


def test_a_question_hidden_by_its_condition_does_not_block(client, world):
    survey = make_survey(world)
    q = questions(survey)
    # 没有: the required suggestion box is hidden, and what it holds is not kept.
    data = form_data(survey, single="2")
    data[f"q{q['textarea'].pk}"] = "隐藏时填的字"
    response = client.post(url(survey), data)
    assert response.status_code == 302
    services.expand_pending()
    assert not Answer.objects.filter(question=q["textarea"]).exists()


def test_a_shown_conditional_question_is_required(client, world):
    survey = make_survey(world)
    q = questions(survey)
    response = client.post(url(survey), form_data(survey, single="1"))
    assert response.status_code == 400
    assert (
        f'<p class="error" id="q{q["textarea"].pk}-err">请回答此题。</p>'
        in response.content.decode()
    )
    data = form_data(survey, single="1")
    data[f"q{q['textarea'].pk}"] = "建议增加停车位"
    assert client.post(url(survey), data).status_code == 302
    services.expand_pending()
    assert Answer.objects.get(question=q["textarea"]).text == "建议增加停车位"


def test_a_second_answer_from_the_same_phone_is_politely_refused(client, world):
    survey = make_survey(world)
    assert client.post(url(survey), form_data(survey)).status_code == 302
    page = client.get(url(survey))
    text = page.content.decode()
    assert page.status_code == 200 and "您已经提交过这份问卷" in text
    assert 'id="survey-form"' not in text and f'data-survey-done="{survey.pk}"' in text
    again = client.post(url(survey), form_data(survey))
    assert again.status_code == 200 and "您已经提交过这份问卷" in again.content.decode()
    assert Response.objects.count() == 1


def test_a_named_survey_asks_for_consent_and_one_answer_per_phone(client, world):
    survey = make_survey(world, anonymous=False)
    page = client.get(url(survey)).content.decode()
    assert "个人信息告知" in page and services.DEFAULT_CONSENT in page
    assert 'name="name"' in page and 'type="tel" id="f-phone" name="phone"' in page
    missing = client.post(url(survey), form_data(survey, name="李四", phone="13900001111"))
    text = missing.content.decode()
    assert missing.status_code == 400 and "请阅读个人信息告知并勾选同意。" in text
    assert '<a href="#f-consent">个人信息告知：请阅读个人信息告知并勾选同意。</a>' in text
    assert 'value="李四"' in text and 'value="13900001111"' in text
    ok = client.post(url(survey), form_data(survey, name="李四", phone="13900001111", consent="1"))
    assert ok.status_code == 302
    assert Response.objects.get().phone == "13900001111"
    # The same phone from another device (a fresh browser) is refused politely.
    client.cookies.clear()
    again = client.post(url(survey), form_data(survey, name="李四", phone="139 0000 1111",
                                               consent="1"))  # fmt: skip
    assert again.status_code == 200 and "您已经提交过这份问卷" in again.content.decode()


def test_a_closed_survey_says_so_without_the_form(client, world):
    survey = make_survey(world, status="closed")
    response = client.get(url(survey))
    page = response.content.decode()
    assert response.status_code == 200 and "本问卷已结束收集，感谢您的关注。" in page
    assert 'id="survey-form"' not in page
    posted = client.post(url(survey), form_data(survey))
    assert posted.status_code == 200 and "本问卷已结束收集" in posted.content.decode()
    assert not Response.objects.exists()
    later = make_survey(world, opens_at=timezone.now() + timedelta(days=1))
    page = client.get(url(later)).content.decode()
    assert "开始填写，欢迎届时参与" in page and 'id="survey-form"' not in page


def test_drafts_are_not_found(client, world):
    draft = make_survey(world, status="draft")
    assert client.get(url(draft)).status_code == 404
    assert client.post(url(draft), form_data(draft)).status_code == 404
    assert client.get(f"/surveys/{draft.pk}/done/").status_code == 404
    assert client.get("/surveys/999999/").status_code == 404


def test_the_page_works_in_elderly_mode(client, world):
    survey = make_survey(world)
    client.post("/care/", {"care": "1", "next": "/"})
    response = client.get(url(survey))
    page = response.content.decode()
    assert response.status_code == 200 and 'class="portal care"' in page
    assert "退出关怀版" in page and 'class="opt"' in page


def test_the_list_shows_surveys_taking_answers(client, world):
    open_ = make_survey(world, title="住建局办事体验问卷")
    make_survey(world, status="draft", title="还在起草的问卷")
    page = client.get("/surveys/").content.decode()
    assert "住建局办事体验问卷" in page and f'href="/surveys/{open_.pk}/"' in page
    assert "还在起草的问卷" not in page and "共 6 题" in page
