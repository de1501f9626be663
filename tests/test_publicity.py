"""Articles (宣传报道): writing, review, images, drafts generated from an event's data, the WeChat
export and the bulletin-board notice; who may do what, in the services and on the staff pages."""

import io
import re
import struct
import zipfile
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.demo.publicity import placeholder_png
from openday.publicity import access, bulletin, rendering, services, wechat
from openday.publicity.models import Article
from openday.publicity.services import Refused

from .conftest import PERSONAS

S = Article.Status
WRITERS = {"operator", "kf_office", "unit_admin", "unit_staff"}
REVIEWERS = {"operator", "kf_office"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded images go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def png(width=4, height=3):
    return ContentFile(placeholder_png(width, height), name="photo.png")


def jpeg_bytes(width, height):
    """The smallest JPEG header a reader needs: SOI, an APP0 segment, SOF0 with the size, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00" * 3
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def kaifu_campaign(w):
    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    return Campaign.objects.get(office=w.kaifu, year=2023)


def make_event(w, *, campaign=None, days=5, unit=None, actor=None, **extra):
    from openday.events import services as events

    unit = unit or w.housing
    start = timezone.now() + timedelta(days=days)
    fields = {
        "title": f"{unit.name}2023年“政务公开主题日”活动",
        "theme": "老旧小区改造",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "venues": [{"name": "项目现场", "address": "开福区"}],
        "agenda": [{"time": "09:00", "form": "现场观摩", "place": "项目现场", "host": "建设科"}],
        "capacity": 10,
        "quotas": {"deputy": 2, "public": 8},
        "campaign": campaign,
        "publish": True,
        **extra,
    }
    return events.create_event(actor or w.users["unit_admin"], unit, **fields)


def draft(w, persona="unit_staff", **fields):
    fields.setdefault("title", "老旧小区改造现场观摩")
    fields.setdefault("body", "第一段。\n\n第二段。")
    return services.create_article(w.users[persona], w.housing, **fields)


def published(w, **fields):
    a = draft(w, **fields)
    services.submit_article(w.users["unit_staff"], a)
    return services.approve_article(w.users["kf_office"], a)


# --- The workflow ------------------------------------------------------------------------------


def test_unit_writes_and_submits_the_office_approves_and_publishes(world):
    from openday.messaging.models import Notification

    staff, office = world.users["unit_staff"], world.users["kf_office"]
    a = draft(world)
    assert (a.status, a.created_by, a.unit) == (S.DRAFT, staff, world.housing)
    services.submit_article(staff, a)
    assert a.status == S.SUBMITTED and a.submitted_at is not None
    assert Notification.objects.filter(org=world.kaifu, link=f"/staff/articles/{a.pk}/").exists()
    services.approve_article(office, a, note="很好")
    assert a.status == S.PUBLISHED and a.published_at is not None
    assert (a.reviewed_by, a.review_note) == (office, "很好")
    actions = list(
        AuditEntry.objects.filter(object_type="publicity.article", object_id=str(a.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["article.created", "article.submitted", "article.approved"]
    # A second approval (a double click, or two reviewers at once) is refused.
    with pytest.raises(Refused):
        services.approve_article(office, a)


def test_returning_needs_a_note_and_the_writer_sees_it(world):
    a = draft(world)
    services.submit_article(world.users["unit_staff"], a)
    with pytest.raises(ValidationError) as exc:
        services.return_article(world.users["kf_office"], a, note="  ")
    assert "审核意见" in str(exc.value)
    services.return_article(world.users["kf_office"], a, note="请补充活动照片")
    assert (a.status, a.review_note) == (S.RETURNED, "请补充活动照片")
    services.update_article(world.users["unit_staff"], a, title="改过的标题")
    services.submit_article(world.users["unit_staff"], a)
    assert a.status == S.SUBMITTED and a.review_note == ""


def test_a_published_article_is_read_only_until_withdrawn(world):
    a = published(world)
    with pytest.raises(Refused, match="撤回"):
        services.update_article(world.users["unit_staff"], a, title="偷偷修改")
    with pytest.raises(Refused):
        services.add_image(world.users["unit_staff"], a, png())
    with pytest.raises(ValidationError, match="撤回原因"):
        services.withdraw_article(world.users["kf_office"], a, reason="")
    services.withdraw_article(world.users["kf_office"], a, reason="数字有误")
    assert a.status == S.WITHDRAWN and "数字有误" in a.review_note
    assert not access.is_public(a)
    services.update_article(world.users["unit_staff"], a, title="更正后的标题")
    services.submit_article(world.users["unit_staff"], a)
    services.approve_article(world.users["kf_office"], a)
    a.refresh_from_db()
    assert (a.status, a.title) == (S.PUBLISHED, "更正后的标题")


def test_the_writer_can_recall_a_submitted_article(world):
    a = draft(world)
    services.submit_article(world.users["unit_staff"], a)
    services.recall_article(world.users["unit_staff"], a)
    assert a.status == S.DRAFT
    with pytest.raises(Refused):
        services.recall_article(world.users["unit_staff"], a)


def test_only_drafts_never_published_can_be_deleted(world):
    a = draft(world)
    services.add_image(world.users["unit_staff"], a, png())
    name = a.images.get().image.name
    storage = a.images.get().image.storage
    b = published(world)
    services.withdraw_article(world.users["kf_office"], b, reason="撤下")
    with pytest.raises(Refused):
        services.delete_article(world.users["unit_staff"], b)
    assert Article.objects.filter(pk=b.pk).exists()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.delete_article(world.users["unit_staff"], a)
    assert not Article.objects.filter(pk=a.pk).exists()
    assert not storage.exists(name)
    assert AuditEntry.objects.filter(action="article.deleted", object_id=str(a.pk)).exists()


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"anonymous", "norole"}))
def test_who_may_write_for_a_unit(world, persona):
    user = world.users[persona]
    if persona in WRITERS:
        assert services.create_article(user, world.housing, title="标题", body="正文").pk
    else:
        with pytest.raises(PermissionDenied):
            services.create_article(user, world.housing, title="标题", body="正文")


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"anonymous", "norole"}))
def test_who_may_approve_a_units_article(world, persona):
    a = draft(world)
    services.submit_article(world.users["unit_staff"], a)
    if persona in REVIEWERS:
        services.approve_article(world.users[persona], a)
        assert a.status == S.PUBLISHED
    else:
        with pytest.raises(PermissionDenied):
            services.approve_article(world.users[persona], a)
        a.refresh_from_db()
        assert a.status == S.SUBMITTED


def test_the_office_writes_its_own_notices_and_the_town_its_own(world):
    office = services.create_article(world.users["kf_office"], world.kaifu, kind="notice",
                                     title="通知", body="正文")  # fmt: skip
    assert office.unit == world.kaifu
    with pytest.raises(PermissionDenied):
        services.create_article(world.users["unit_admin"], world.kaifu, title="冒名", body="正文")
    with pytest.raises(PermissionDenied):
        services.create_article(world.users["town_admin"], world.housing, title="越界", body="正文")
    town = services.create_article(world.users["town_admin"], world.town, title="镇里", body="正")
    services.submit_article(world.users["town_admin"], town)
    with pytest.raises(PermissionDenied):
        services.approve_article(world.users["kf_office"], town)
    services.approve_article(world.users["nm_office"], town)
    assert town.status == S.PUBLISHED


def test_the_unit_may_withdraw_its_published_article_a_handler_may_not(world):
    a = published(world)
    with pytest.raises(PermissionDenied):
        services.withdraw_article(world.users["handler"], a, reason="x")
    services.withdraw_article(world.users["unit_admin"], a, reason="发现错别字")
    assert a.status == S.WITHDRAWN


# --- Bad input -----------------------------------------------------------------------------------


def test_bad_fields_are_refused_with_chinese_messages(world):
    from openday.campaigns.models import Campaign

    staff = world.users["unit_staff"]
    with pytest.raises(ValidationError) as exc:
        services.create_article(staff, world.housing, title="  ", body="x")
    assert exc.value.message_dict["title"] == ["请填写标题。"]
    with pytest.raises(ValidationError) as exc:
        services.create_article(staff, world.housing, title="长" * 121, body="x")
    assert "120" in exc.value.message_dict["title"][0]
    other = make_event(world, unit=world.town, actor=world.users["town_admin"],
                       title="沙日浩来镇测试活动")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.create_article(staff, world.housing, title="t", body="x", event=other)
    assert "本单位" in exc.value.message_dict["event"][0]
    kaifu_campaign(world)
    naiman = Campaign.objects.get(office=world.naiman, year=2023)
    with pytest.raises(ValidationError) as exc:
        services.create_article(staff, world.housing, title="t", body="x", campaign=naiman)
    assert "campaign" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_article(staff, world.housing, title="t", body="x", kind="poster")


def test_an_article_takes_its_campaign_from_its_event(world):
    campaign = kaifu_campaign(world)
    event = make_event(world, campaign=campaign)
    a = draft(world, event=event)
    assert a.campaign == campaign


def test_submitting_needs_a_body_and_every_placed_image(world):
    staff = world.users["unit_staff"]
    a = draft(world, body="")
    with pytest.raises(ValidationError) as exc:
        services.submit_article(staff, a)
    assert "正文" in exc.value.message_dict["body"][0]
    services.update_article(staff, a, body="开头\n\n[图1]\n\n[图2]\n\n结尾")
    services.add_image(staff, a, png())
    with pytest.raises(ValidationError) as exc:
        services.submit_article(staff, a)
    assert "[图2]" in exc.value.message_dict["body"][0]
    a.refresh_from_db()
    assert a.status == S.DRAFT


# --- Images --------------------------------------------------------------------------------------


def test_image_sizes_are_read_from_the_png_and_jpeg_headers():
    from openday.lib.images import image_info

    assert image_info(placeholder_png(640, 480)) == ("png", 640, 480)
    assert image_info(jpeg_bytes(1024, 768)) == ("jpeg", 1024, 768)
    assert image_info(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4) is None
    assert image_info(b"\xff\xd8\xff\xe0\x00") is None
    assert image_info(b"GIF89a") is None


def test_uploads_are_checked_by_content_and_size(world):
    staff = world.users["unit_staff"]
    a = draft(world)
    image = services.add_image(staff, a, png(40, 30), caption="现场")
    assert (image.width, image.height, image.position, image.caption) == (40, 30, 1, "现场")
    j = services.add_image(staff, a, ContentFile(jpeg_bytes(800, 600), name="x.jpg"))
    assert (j.width, j.height, j.position) == (800, 600, 2)
    assert j.image.name.endswith(".jpg")
    for data, name, words in [
        (b"GIF89a" + b"\x00" * 20, "a.gif", "JPG 或 PNG"),
        (b"<script>alert(1)</script>", "evil.png", "JPG 或 PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "broken.png", "无法读取"),
        (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "big.jpg", "5 MB"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.add_image(staff, a, ContentFile(data, name=name))
        assert words in exc.value.message_dict["image"][0], name
    assert a.images.count() == 2


def test_removing_and_moving_images_renumbers_the_body(world):
    staff = world.users["unit_staff"]
    a = draft(world, body="甲\n\n[图1]\n\n乙\n[图2]\n丙\n\n[图3]")
    first, second, third = (services.add_image(staff, a, png(n, n)) for n in (1, 2, 3))
    services.move_image(staff, third, -1)
    a.refresh_from_db()
    assert a.body == "甲\n\n[图1]\n\n乙\n[图3]\n丙\n\n[图2]"
    assert [i.pk for i in a.images.order_by("position")] == [first.pk, third.pk, second.pk]
    services.remove_image(staff, first)
    a.refresh_from_db()
    assert a.body == "甲\n\n\n乙\n[图2]\n丙\n\n[图1]"
    assert [(i.pk, i.position) for i in a.images.order_by("position")] == [(third.pk, 1),
                                                                          (second.pk, 2)]  # fmt: skip
    services.set_caption(staff, second, "说明")
    second.refresh_from_db()
    assert second.caption == "说明"


# --- Rendering -----------------------------------------------------------------------------------


def test_the_body_is_escaped_and_images_are_placed_where_the_body_says(world):
    a = draft(world, body="<b>粗</b> & 细\n第二行\n\n［图 2］\n\n尾")
    one, two = services.add_image(world.users["unit_staff"], a, png(5, 4), caption="一"), \
        services.add_image(world.users["unit_staff"], a, png(6, 4), caption="<二>")  # fmt: skip
    html = str(rendering.render(a.body, [one, two], lambda i, n: f"/img/{n}"))
    assert "&lt;b&gt;粗&lt;/b&gt; &amp; 细<br>第二行" in html
    assert "<b>" not in html and "&lt;二&gt;" in html
    assert html.index('src="/img/2"') < html.index("尾") < html.index('src="/img/1"')
    preview = str(rendering.render("[图9]", [], lambda i, n: "", preview=True))
    assert "[图9]" in preview and "尚未上传" in preview
    assert rendering.render("[图9]", [], lambda i, n: "") == ""


# --- Drafts from the event's data ----------------------------------------------------------------


def test_the_announcement_is_built_from_the_events_data(world):
    event = make_event(world, registration_mode="approval")
    a = services.generate_announcement(
        event, world.users["unit_staff"], base_url="https://od.example"
    )
    assert a.generated and a.kind == Article.Kind.ANNOUNCEMENT and a.status == S.DRAFT
    start = timezone.localtime(event.starts_at)
    assert f"{start.year}年{start.month}月{start.day}日" in a.body
    assert f"{start:%H:%M}—" in a.body
    for words in ("项目现场（开福区）", "09:00 现场观摩：项目现场（建设科）", "人大代表2名",
                  "普通群众8名", "共10名", "审核后确认",
                  f"https://od.example/events/{event.pk}/"):  # fmt: skip
        assert words in a.body, words
    assert event.title in a.title


def test_the_news_draft_reports_the_real_figures(world):
    from openday.events import services as events
    from openday.opinions import services as opinions

    event = make_event(world, directory=[{"name": "建设管理科"}])
    admin = world.users["unit_admin"]
    people = [("张三", "13900000001", "public"), ("李四", "13900000002", "public"),
              ("王五", "13900000003", "deputy"), ("赵六", "13900000004", "public")]  # fmt: skip
    for i, (name, phone, category) in enumerate(people):
        r = events.register(event.pk, name=name, phone=phone, category=category, consent=True)
        if i < 3:
            events.check_in(admin, event, r.ticket_code)
    first = opinions.submit_opinion(content="路灯太暗", source="forum", event=event, actor=admin)
    opinions.submit_opinion(content="希望多开放", source="forum", event=event, actor=admin)
    opinions.assign(world.users["kf_office"], first, unit=world.housing)
    a = services.generate_news_draft(event, world.users["unit_staff"])
    assert a.generated and a.kind == Article.Kind.NEWS
    for words in (
        "实际签到3人，其中人大代表1名、普通群众2名",
        "建设管理科",
        "共收集意见建议2条。其中1条已交办责任单位",
    ):
        assert words in a.body, words
    assert "张三" not in a.body and "13900000001" not in a.body
    assert "人大代表和群众代表共3人走进项目现场" in a.lead
    assert a.title == "开福区住房和城乡建设局举办2023年“政务公开主题日”活动"


def test_generating_twice_opens_the_same_draft_and_others_may_not(world):
    event = make_event(world)
    one = services.generate_news_draft(event, world.users["unit_staff"])
    assert services.generate_news_draft(event, world.users["unit_admin"]).pk == one.pk
    with pytest.raises(PermissionDenied):
        services.generate_announcement(event, world.users["town_admin"])
    assert Article.objects.filter(event=event).count() == 1


# --- WeChat and the bulletin board ---------------------------------------------------------------


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.in_body = [], False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
        self.tags.append((tag, dict(attrs), self.in_body))


def test_the_wechat_export_keeps_every_style_inline(world):
    staff = world.users["unit_staff"]
    a = draft(world, lead="导语", body="第一段\n第二行\n\n[图1]\n\n尾段")
    services.add_image(staff, a, png(8, 6), caption="现场照片")
    services.add_image(staff, a, ContentFile(jpeg_bytes(10, 10), name="b.jpg"))
    html = wechat.wechat_html(a, base_url="https://od.example")
    lowered = html.lower()
    for banned in ("<link", "<script", "<style", "class=", "javascript:", "<iframe"):
        assert banned not in lowered, banned
    parser = Elements()
    parser.feed(html)
    in_body = [(tag, attrs) for tag, attrs, inside in parser.tags if inside]
    assert in_body, "the export has a body"
    unstyled = [tag for tag, attrs in in_body if tag != "br" and not attrs.get("style")]
    assert unstyled == []
    sources = [attrs["src"] for tag, attrs in in_body if tag == "img"]
    assert sources == ["images/01.png", "images/02.jpg"]
    assert "请先上传以下图片" in html and "images/01.png" in html and "现场照片" in html
    data = wechat.wechat_zip(a, base_url="https://od.example")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["article.html", "images/01.png", "images/02.jpg"]
        assert archive.read("images/02.jpg") == jpeg_bytes(10, 10)
        assert archive.read("article.html").decode() == html


def test_the_bulletin_qr_code_points_to_the_column_then_to_the_article(world):
    from openday.events.tickets import qr_svg

    campaign = kaifu_campaign(world)
    a = draft(world, campaign=campaign, lead="活动导语")
    base = "https://od.example"
    before = bulletin.bulletin_context(a, base)
    assert before["url"] == f"{base}/campaigns/{campaign.pk}/column/"
    assert before["qr"] == qr_svg(before["url"]) and before["points_to_column"]
    services.submit_article(world.users["unit_staff"], a)
    services.approve_article(world.users["kf_office"], a)
    after = bulletin.bulletin_context(a, base)
    assert after["url"] == f"{base}/articles/{a.pk}/"
    assert after["qr"] == qr_svg(after["url"]) and after["qr"] != before["qr"]
    assert after["lead"] == "活动导语"


def test_the_bulletin_page_prints_title_lead_image_and_qr(world, client):
    from openday.events.tickets import qr_svg

    campaign = kaifu_campaign(world)
    a = draft(world, campaign=campaign, lead="导语文字")
    services.add_image(world.users["unit_staff"], a, png())
    page = world.client_for(client, "unit_staff").get(f"/staff/articles/{a.pk}/bulletin/")
    text = page.content.decode()
    assert page.status_code == 200
    assert a.title in text and "导语文字" in text and "print-article-bulletin.css" in text
    assert f"/articles/images/{a.images.get().pk}" in text
    assert qr_svg(f"http://testserver/campaigns/{campaign.pk}/column/") in text


# --- Staff pages ---------------------------------------------------------------------------------


def _expected(persona, allowed):
    if persona == "anonymous":
        return 302
    if persona == "norole":
        return 403
    return 302 if persona in allowed else 403


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_submitting_and_approving_on_the_pages_as(world, client, persona):
    a = draft(world)
    c = world.client_for(client, persona)
    expected = _expected(persona, WRITERS)
    assert c.post(f"/staff/articles/{a.pk}/submit/").status_code == expected
    a.refresh_from_db()
    assert (a.status == S.SUBMITTED) is (expected == 302 and persona != "anonymous")
    if a.status == S.DRAFT:
        services.submit_article(world.users["unit_staff"], a)
    expected = _expected(persona, REVIEWERS)
    assert c.post(f"/staff/articles/{a.pk}/approve/", {"note": ""}).status_code == expected
    a.refresh_from_db()
    assert (a.status == S.PUBLISHED) is (persona in REVIEWERS)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_returning_and_withdrawing_on_the_pages_as(world, client, persona):
    a = draft(world)
    services.submit_article(world.users["unit_staff"], a)
    c = world.client_for(client, persona)
    assert c.post(f"/staff/articles/{a.pk}/return/", {"note": "补充"}).status_code == _expected(
        persona, REVIEWERS
    )
    a.refresh_from_db()
    assert (a.status == S.RETURNED) is (persona in REVIEWERS)
    b = published(world)
    allowed = REVIEWERS | {"unit_admin", "unit_staff"}
    response = c.post(f"/staff/articles/{b.pk}/withdraw/", {"reason": "有误"})
    assert response.status_code == _expected(persona, allowed)
    b.refresh_from_db()
    assert (b.status == S.WITHDRAWN) is (persona in allowed)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_generating_drafts_and_uploading_images_on_the_pages_as(world, client, persona):
    event = make_event(world)
    c = world.client_for(client, persona)
    response = c.post(f"/staff/articles/generate/{event.pk}/news/")
    allowed = WRITERS
    assert response.status_code == _expected(persona, allowed)
    made = Article.objects.filter(event=event).first()
    assert (made is not None) is (persona in allowed)
    a = made or draft(world)
    response = c.post(f"/staff/articles/{a.pk}/image/", {"image": png(), "caption": "图"})
    assert response.status_code == _expected(persona, allowed)
    assert a.images.exists() is (persona in allowed)
    if a.images.exists():
        image = a.images.get()
        assert c.post(f"/staff/articles/images/{image.pk}/remove/").status_code == 302
        assert not a.images.exists()


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_deleting_and_recalling_on_the_pages_as(world, client, persona):
    a, b = draft(world), draft(world)
    services.submit_article(world.users["unit_staff"], b)
    c = world.client_for(client, persona)
    expected = _expected(persona, WRITERS)
    assert c.post(f"/staff/articles/{b.pk}/recall/").status_code == expected
    b.refresh_from_db()
    assert (b.status == S.DRAFT) is (persona in WRITERS)
    assert c.post(f"/staff/articles/{a.pk}/delete/").status_code == expected
    assert Article.objects.filter(pk=a.pk).exists() is (persona not in WRITERS)


def test_writing_an_article_on_the_page_keeps_what_was_typed(world, client):
    c = world.client_for(client, "unit_staff")
    event = make_event(world)
    form = c.get(f"/staff/articles/new/?event={event.pk}")
    assert form.status_code == 200 and form.context["form"].initial["event"] == event.pk
    bad = c.post("/staff/articles/new/", {"unit": world.housing.pk, "kind": "news", "event": event.pk,
                                          "title": "", "body": "写了很多字"})  # fmt: skip
    assert bad.status_code == 400
    assert "请填写标题。" in bad.content.decode() and "写了很多字" in bad.content.decode()
    ok = c.post("/staff/articles/new/", {"unit": world.housing.pk, "kind": "news",
                                         "event": event.pk, "title": "现场观摩",
                                         "body": "正文\n\n[图1]"})  # fmt: skip
    a = Article.objects.get(title="现场观摩")
    assert ok.status_code == 302 and ok["Location"].startswith(f"/staff/articles/{a.pk}/edit/")
    assert a.event == event and a.created_by == world.users["unit_staff"]
    edit = c.post(f"/staff/articles/{a.pk}/edit/", {"kind": "news", "event": event.pk,
                                                    "title": "现场观摩", "body": "正文\n\n[图1]",
                                                    "submit": "1"})  # fmt: skip
    assert edit.status_code == 400 and "[图1]" in edit.content.decode()
    c.post(f"/staff/articles/{a.pk}/image/", {"image": png()})
    edit = c.post(f"/staff/articles/{a.pk}/edit/", {"kind": "news", "event": event.pk,
                                                    "title": "现场观摩", "body": "正文\n\n[图1]",
                                                    "submit": "1"})  # fmt: skip
    assert edit.status_code == 302
    a.refresh_from_db()
    assert a.status == S.SUBMITTED


def test_a_town_admin_cannot_write_for_another_units_event(world, client):
    event = make_event(world)
    c = world.client_for(client, "town_admin")
    assert c.get(f"/staff/articles/new/?event={event.pk}").status_code == 403
    response = c.post("/staff/articles/new/", {"unit": world.housing.pk, "kind": "news",
                                               "title": "越界", "body": "x"})  # fmt: skip
    assert response.status_code == 400  # housing is not among the choices
    assert not Article.objects.filter(title="越界").exists()


def test_the_list_shows_each_persona_its_own_part_and_the_queue(world, client,
                                                               django_assert_max_num_queries):  # fmt: skip
    mine = draft(world, title="住建局稿件")
    services.submit_article(world.users["unit_staff"], mine)
    town = services.create_article(world.users["town_admin"], world.town, title="镇政府稿件",
                                   body="正文")  # fmt: skip
    expected = {
        "operator": {"住建局稿件", "镇政府稿件"}, "kf_office": {"住建局稿件"},
        "kf_viewer": {"住建局稿件"}, "unit_admin": {"住建局稿件"}, "unit_staff": {"住建局稿件"},
        "handler": set(), "nm_office": {"镇政府稿件"}, "town_admin": {"镇政府稿件"},
        "town_handler": set(),
    }  # fmt: skip
    for persona, titles in expected.items():
        page = world.client_for(client, persona).get("/staff/articles/")
        assert page.status_code == 200, persona
        shown = {t for t in ("住建局稿件", "镇政府稿件") if t in page.content.decode()}
        assert shown == titles, persona
    c = world.client_for(client, "kf_office")
    for i in range(5):
        draft(world, title=f"批量{i}")
    with django_assert_max_num_queries(14):
        queue = c.get("/staff/articles/?status=submitted")
    assert queue.context["queue"] and queue.context["queue_count"] == 1
    assert [a.pk for a in queue.context["page"]] == [mine.pk]
    found = c.get("/staff/articles/?q=批量3")
    assert [a.title for a in found.context["page"]] == ["批量3"]
    assert town.title not in c.get("/staff/articles/?q=镇政府").content.decode()


def test_the_detail_page_shows_the_actions_each_person_may_take(world, client):
    a = draft(world)
    services.submit_article(world.users["unit_staff"], a)
    office = world.client_for(client, "kf_office").get(f"/staff/articles/{a.pk}/")
    assert "审核通过并发布" in office.content.decode()
    staff = world.client_for(client, "unit_staff").get(f"/staff/articles/{a.pk}/")
    assert "审核通过并发布" not in staff.content.decode() and "撤回提交" in staff.content.decode()
    assert "提交稿件审核" in staff.content.decode()  # the history


def test_exports_download_from_the_staff_pages(world, client):
    a = draft(world)
    services.add_image(world.users["unit_staff"], a, png())
    c = world.client_for(client, "kf_viewer")
    page = c.get(f"/staff/articles/{a.pk}/wechat.html")
    assert page.status_code == 200 and "images/01.png" in page.content.decode()
    download = c.get(f"/staff/articles/{a.pk}/wechat.html?download=1")
    assert "attachment" in download["Content-Disposition"]
    archive = c.get(f"/staff/articles/{a.pk}/wechat.zip")
    assert archive["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == ["article.html",
                                                                       "images/01.png"]  # fmt: skip


def test_a_published_article_cannot_be_opened_for_editing(world, client):
    a = published(world)
    response = world.client_for(client, "unit_staff").get(f"/staff/articles/{a.pk}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/staff/articles/{a.pk}/"


def test_the_event_and_campaign_panels(world, client):
    campaign = kaifu_campaign(world)
    event = make_event(world, campaign=campaign)
    a = draft(world, event=event, title="面板里的稿件")
    services.submit_article(world.users["unit_staff"], a)
    page = world.client_for(client, "unit_staff").get(f"/staff/events/{event.pk}/").content.decode()
    for words in ("生成活动预告", "生成新闻初稿", "写报道", "面板里的稿件", "待审核"):
        assert words in page, words
    page = world.client_for(client, "kf_office").get(f"/staff/campaigns/{campaign.pk}/")
    text = page.content.decode()
    assert "审核稿件（1）" in text and f"/campaigns/{campaign.pk}/column/" in text
    assert "写通知公告" in text
    unit = world.client_for(client, "unit_staff").get(f"/staff/campaigns/{campaign.pk}/")
    assert "审核稿件" not in unit.content.decode() and "写通知公告" not in unit.content.decode()


def test_every_article_action_has_a_chinese_label():
    from pathlib import Path

    from openday.audit.models import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent / "openday" / "publicity" / "services.py"
    used = set(re.findall(r'"(article\.[a-z_]+)"', root.read_text()))
    assert len(used) >= 12 and used - set(ACTION_LABELS) == set()


def test_the_demo_articles_load_once_and_the_towns_are_public(world):
    from openday.demo.publicity import load_demo_publicity
    from openday.demo.services import load_demo_campaigns, load_demo_events

    load_demo_campaigns()
    load_demo_events()
    load_demo_publicity()
    count = Article.objects.count()
    load_demo_publicity()
    assert Article.objects.count() == count >= 4
    town = access.public_articles().filter(unit=world.town)
    assert {a.kind for a in town} == {"announcement", "news"}
    news = town.get(kind="news")
    assert news.images.count() == 1 and "[图1]" in news.body
    assert news.published_at > news.event.ends_at
