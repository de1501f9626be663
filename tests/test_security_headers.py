"""Security headers (issue #18, 等保三级): the Content-Security-Policy and its nonce, Referrer- and
Permissions-Policy, Cache-Control: no-store where answers carry personal data, pages without
inline handlers or styles, and the error pages in Chinese (400 bad Host, 403 CSRF, 413, 429)."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory

from openday.lib.security_headers import SecurityHeadersMiddleware
from openday.ops import ratelimit

from .conftest import PERSONAS
from .test_permission_matrix import staff_pages

NONCE = re.compile(r"'nonce-([A-Za-z0-9_\-]+)'")
# Personas in the order a page is tried with: the first one allowed to see it.
PREFERRED = ["operator", "kf_office", "unit_admin", "nm_office", "town_admin", *PERSONAS]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csp(response):
    pairs = (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, _sep, value in pairs}


def nonce_of(response):
    return NONCE.search(csp(response)["script-src"]).group(1)


class InlineCode(HTMLParser):
    """Collects what the policy would refuse: on…= handlers, style= attributes, javascript:
    links, <script> and <style> without the response's nonce (JSON data blocks excepted)."""

    def __init__(self, nonce):
        super().__init__(convert_charrefs=True)
        self.nonce, self.found = nonce, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "script" and a.get("type") != "application/json" and a.get("nonce") != self.nonce:
            self.found.append(f"<script src={a.get('src')}> without the nonce")
        if tag == "style" and a.get("nonce") != self.nonce:
            self.found.append("<style> without the nonce")


def inline_code(response):
    if "script-src" not in csp(response):  # a document shown as is (the WeChat export)
        text = response.content.decode()
        return ["<script> in a document"] if "<script" in text else []
    parser = InlineCode(nonce_of(response))
    parser.feed(response.content.decode())
    return parser.found


def is_html(response):
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


# --- The policy and its nonce ----------------------------------------------------------------------


def test_every_page_gets_a_policy_with_a_fresh_nonce(client, world):
    first, second = client.get("/"), client.get("/")
    for response in (first, second):
        policy = csp(response)
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy["style-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert policy["base-uri"] == "'self'"
        assert policy["form-action"] == "'self'"
        assert f'nonce="{nonce_of(response)}"' in response.content.decode()
    assert nonce_of(first) != nonce_of(second)
    assert len(nonce_of(first)) >= 22


def test_report_only_sends_the_policy_without_enforcing_it(client, world, settings):
    settings.OPENDAY_CSP_REPORT_ONLY = True
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert "frame-ancestors 'none'" in response["Content-Security-Policy-Report-Only"]


def test_referrer_policy_and_no_camera_outside_the_check_in_page(client, world):
    response = client.get("/")
    assert response["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


def test_only_the_check_in_page_may_use_the_camera(client, world):
    pages = {name: url for name, url, _allowed in staff_pages(world)}
    world.client_for(client, "unit_admin")
    checkin = client.get(pages["event_checkin"])
    assert checkin.status_code == 200
    assert "camera=(self)" in checkin["Permissions-Policy"]
    assert "microphone=()" in checkin["Permissions-Policy"]
    for name in ("event_detail", "event_edit", "dashboard"):
        response = client.get(pages[name])
        assert "camera=()" in response["Permissions-Policy"], name


# --- Cache-Control: no-store -----------------------------------------------------------------------


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_staff_pages_and_exports_are_not_stored(client, world):
    world.client_for(client, "kf_office")
    assert no_store(client.get("/staff/"))
    assert no_store(client.get("/staff/orgs/"))
    export = client.get("/staff/opinions/export.xlsx")
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    assert no_store(export) and export["Pragma"] == "no-cache"
    # A signed-in person's sign-in page and the API about them.
    assert no_store(client.get("/staff/login/"))


def test_public_downloads_and_the_api_about_a_person_are_not_stored(client, world):
    from openday.accounts.services import create_token
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    campaign = Campaign.objects.exclude(status="draft").first()
    plan = client.get(f"/api/v1/campaigns/{campaign.pk}/plan.xlsx")
    assert plan.status_code == 200 and no_store(plan)
    _token, raw = create_token(world.users["kf_office"])
    assert no_store(client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}))
    assert no_store(client.get("/api/v1/opinions/NOSUCHCODE1234"))
    # The public lists stay cacheable.
    assert not no_store(client.get("/api/v1/campaigns"))
    assert not no_store(client.get("/api/v1/events"))


def test_public_pages_with_personal_data_are_not_stored(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from openday.events import services as events
    from openday.surveys import services as surveys

    start = timezone.now() + timedelta(days=5)
    event = events.create_event(
        world.users["unit_admin"],
        world.housing,
        title="缓存测试活动",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        venues=[{"name": "会场"}],
        capacity=5,
        publish=True,
    )
    r = events.register(event.pk, name="张三", phone="13900000001", category="public", consent=True)
    assert not no_store(client.get("/")), "the home page of an anonymous visitor stays cacheable"
    assert not no_store(client.get(f"/events/{event.pk}/"))
    ticket = client.get(f"/tickets/{r.ticket_code}/")
    assert ticket.status_code == 200 and no_store(ticket)

    sent = client.post(
        "/opinions/new/",
        {
            "office": str(world.kaifu.pk),
            "content": "希望延长政务大厅周末开放时间。",
            "name": "李四",
            "phone": "13900001111",
            "category": "public",
            "consent": "1",
        },
    )
    assert sent.status_code == 302
    done = client.get("/opinions/new/done/")
    assert done.status_code == 200 and no_store(done)
    lookup = client.post("/opinions/status/", {"code": "NOSUCHCODE", "tail": ""})
    assert no_store(lookup)

    s = surveys.create_survey(world.users["unit_admin"], world.housing, title="缓存测试问卷")
    surveys.save_question(
        world.users["unit_admin"], s, {"kind": "single", "title": "满意吗", "options": ["是", "否"]}
    )
    surveys.set_status(world.users["unit_admin"], s, "open")
    receipt = client.get(f"/surveys/{s.pk}/done/")
    assert receipt.status_code == 200 and no_store(receipt)


# --- No inline code on any page --------------------------------------------------------------------


def public_urls(world):
    """One of each public page over the demo data, and a ticket."""
    from openday.campaigns.models import Campaign
    from openday.events import services as events
    from openday.events.models import Event
    from openday.publicity.access import public_articles
    from openday.surveys.models import Survey

    campaign = Campaign.objects.exclude(status="draft").order_by("pk").first()
    event = Event.objects.filter(status="open").order_by("pk").first()
    survey = Survey.objects.filter(status="open").order_by("pk").first()
    article = public_articles().order_by("pk").first()
    registration = events.register(
        event.pk, name="王五", phone="13900000002", category="public", consent=True
    )
    return [
        "/",
        "/privacy/",
        "/events/",
        f"/events/{event.pk}/",
        f"/tickets/{registration.ticket_code}/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/column/",
        f"/articles/{article.pk}/",
        "/surveys/",
        f"/surveys/{survey.pk}/",
        f"/surveys/{survey.pk}/done/",
        "/opinions/new/",
        "/opinions/status/",
        "/opinions/board/",
        "/opinions/board/print/",
        "/staff/login/",
        "/no-such-page/",
    ]


def test_no_page_has_inline_handlers_styles_or_scripts_without_the_nonce(client, world):
    pages = staff_pages(world)
    call_command("demo", stdout=io.StringIO())
    wrong, seen = [], 0
    for url in public_urls(world):
        world.client_for(client, "anonymous")
        response = client.get(url)
        if response["Content-Type"].startswith("text/html"):
            seen += 1
            wrong += [f"{url}: {found}" for found in inline_code(response)]
    for _name, url, allowed in pages:
        persona = next(p for p in PREFERRED if p in allowed)
        response = world.client_for(client, persona).get(url)
        assert response.status_code == 200, f"{persona} GET {url} -> {response.status_code}"
        if is_html(response):
            seen += 1
            wrong += [f"{url}: {found}" for found in inline_code(response)]
    assert seen > 100
    assert not wrong, "\n".join(wrong)


def test_the_wechat_preview_may_style_inline_but_runs_no_script(client, world):
    from openday.publicity import services

    a = services.create_article(
        world.users["unit_staff"], world.housing, title="公众号排版", body="第一段。"
    )
    response = world.client_for(client, "unit_staff").get(f"/staff/articles/{a.pk}/wechat.html")
    assert response.status_code == 200 and 'style="' in response.content.decode()
    policy = csp(response)
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["style-src"] == "'unsafe-inline'"


# --- Error pages in Chinese ------------------------------------------------------------------------


def test_a_bad_host_gets_a_chinese_400_page(world):
    response = Client(HTTP_HOST="evil.example").get("/")
    text = response.content.decode()
    assert response.status_code == 400
    assert "请求不正确" in text and 'lang="zh-CN"' in text
    assert "evil.example" not in text
    assert f'nonce="{nonce_of(response)}"' in text


def test_a_stale_form_gets_a_chinese_page_that_keeps_what_was_typed(world):
    c = Client(enforce_csrf_checks=True)
    response = c.post(
        "/opinions/new/",
        {
            "content": "<b>路灯坏了</b>请修",
            "name": "李四",
            "password": "Secret-123",
            "csrfmiddlewaretoken": "stale-token-value",
        },
        HTTP_REFERER="http://testserver/opinions/new/?event=1",
    )
    text = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in text and "您填写的内容没有丢失" in text
    assert "&lt;b&gt;路灯坏了&lt;/b&gt;请修" in text and "<b>路灯坏了" not in text
    assert "李四" in text
    assert "Secret-123" not in text and "stale-token-value" not in text
    assert 'href="/opinions/new/?event=1"' in text
    assert no_store(response)
    assert not inline_code(response)


def test_the_csrf_page_links_back_only_to_this_site(world):
    c = Client(enforce_csrf_checks=True)
    response = c.post("/opinions/new/", {"content": "x"}, HTTP_REFERER="https://evil.example/a/")
    text = response.content.decode()
    assert response.status_code == 403 and "evil.example" not in text
    assert 'href="/"' in text


def test_an_oversized_body_gets_a_chinese_413(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    page = client.post("/opinions/new/", {"content": "字" * 2000})
    assert page.status_code == 413
    assert "请求内容过大" in page.content.decode() and 'lang="zh-CN"' in page.content.decode()
    assert not inline_code(page)
    api = client.post("/api/v1/opinions", data="x" * 2000, content_type="application/json")
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"


def test_too_many_look_ups_get_a_chinese_429_with_retry_after(client, world, settings):
    settings.OPENDAY_RATE_LIMITS = {"lookup.code": "1/3600"}
    client.post("/opinions/status/", {"code": "NOSUCHCODE", "tail": ""})
    response = client.post("/opinions/status/", {"code": "NOSUCHCODE", "tail": ""})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "请稍后再试" in response.content.decode()
    assert no_store(response)


def test_a_limit_no_view_caught_is_a_chinese_page_or_the_api_error():
    rule = ratelimit.Rule("x", 1, 60, "请求过于频繁，请稍后再试。")
    middleware = SecurityHeadersMiddleware(lambda request: None)
    request = RequestFactory().post("/opinions/new/")
    request.csp_nonce = "n"
    page = middleware.process_exception(request, ratelimit.Limited(rule, 90))
    assert page.status_code == 429 and page["Retry-After"] == "90"
    assert "操作过于频繁" in page.content.decode() and "约 2 分钟" in page.content.decode()
    api = middleware.process_exception(
        RequestFactory().post("/api/v1/opinions"), ratelimit.Limited(rule, 5)
    )
    assert api.status_code == 429 and api["Retry-After"] == "5"
    assert api["Content-Type"].startswith("application/json")
    assert middleware.process_exception(request, ValueError()) is None
