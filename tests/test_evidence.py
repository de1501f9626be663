"""The evidence checklist and the zip bundles of an event's evidence."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from openday.audit.models import AuditEntry
from openday.events import services as events
from openday.events.models import Event
from openday.opinions.models import Opinion
from openday.publicity.models import Article, ArticleImage
from openday.summaries import evidence
from openday.summaries import services as summaries
from openday.summaries.models import EventPhoto, EventSummary

from .test_summary import GOOD_TEXT, build_full_event, png


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_event(world, title="开福区住房和城乡建设局测试活动", **extra):
    start = timezone.now() - timedelta(days=3)
    return events.create_event(
        world.users["unit_admin"], world.housing, title=title,
        starts_at=start, ends_at=start + timedelta(hours=2), capacity=10,
        quotas={"public": 6, "deputy": 2}, venues=[{"name": "项目现场", "address": "开福区"}],
        publish=True, **extra,
    )  # fmt: skip


def test_the_checklist_of_a_bare_standalone_event_lists_what_is_missing(world):
    event = make_event(world)
    items = evidence.checklist(event)
    assert [i["key"] for i in items] == evidence.KEYS
    state = {i["key"]: i["ok"] for i in items}
    # Standalone events and events without opinions are not missing anything there.
    assert state == {"plan_entry": True, "signin": False, "photos": False, "survey": False,
                     "opinions": True, "articles": False, "summary": False}  # fmt: skip
    assert items[0]["detail"] == "非计划活动"
    assert not evidence.is_complete(event)


def test_the_checklist_turns_green_item_by_item(world, django_assert_max_num_queries, media):
    event = make_event(world)
    r = events.register(event.pk, name="王建国", phone="13900001111", category="public",
                        consent=True)  # fmt: skip
    events.check_in(world.users["unit_admin"], event, r.ticket_code)
    EventPhoto.objects.create(event=event, image=ContentFile(b"x", name="a.png"))
    state = {i["key"]: i for i in evidence.checklist(event)}
    assert state["signin"]["ok"] and state["signin"]["detail"] == "已签到 1 人"
    assert not state["photos"]["ok"] and "可见LOGO" in state["photos"]["detail"]
    EventPhoto.objects.create(event=event, image=ContentFile(b"x", name="b.png"), shows_logo=True)
    opinion = Opinion.objects.create(tracking_code="T1", source="online", content="建议",
                                     office=world.kaifu, event=event)  # fmt: skip
    Article.objects.create(event=event, unit=world.housing, title="报道", body="正文",
                           status=Article.Status.PUBLISHED)  # fmt: skip
    EventSummary.objects.create(event=event, status=EventSummary.Status.SUBMITTED)
    state = {i["key"]: i for i in evidence.checklist(event)}
    assert state["photos"]["ok"] and state["articles"]["ok"] and state["summary"]["ok"]
    assert not state["opinions"]["ok"] and "1 条未答复" in state["opinions"]["detail"]
    Opinion.objects.filter(pk=opinion.pk).update(status=Opinion.Status.ANSWERED)
    assert {i["key"]: i["ok"] for i in evidence.checklist(event)}["opinions"]
    with django_assert_max_num_queries(1):
        evidence.checklist(event)


# --- The zip bundles ----------------------------------------------------------------------------


@pytest.fixture
def full_event(world, media):
    return build_full_event(world)


def _open(tmp):
    zf = zipfile.ZipFile(tmp)
    return zf, set(zf.namelist())


def _complete(world, event):
    """Answer the open opinion, submit the summary and give the article an image."""
    Opinion.objects.filter(event=event, status="assigned").update(status="answered",
                                                                  decision="solved")  # fmt: skip
    article = Article.objects.get(event=event, status=Article.Status.PUBLISHED)
    article.body = "第一段。\n\n[图1]\n\n第二段<script>。"
    article.lead = "导语"
    article.save()
    ArticleImage.objects.create(article=article, image=ContentFile(png(), name="i.png"),
                                caption="现场图")  # fmt: skip
    summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)


def test_a_complete_event_zip_holds_what_the_checklist_promises(world, full_event):
    _complete(world, full_event)
    assert evidence.is_complete(full_event)
    zf, names = _open(evidence.event_zip(full_event))
    assert names == {
        "00_材料清单.txt",
        "02_签到表.xlsx",
        "03_活动照片/01_会场_可见LOGO.png",
        "03_活动照片/02_观摩.jpg",
        "04_问卷结果.docx",
        "04_问卷答卷.xlsx",
        "05_意见建议及办理结果.xlsx",
        "06_宣传报道/01_报道.html",
        "06_宣传报道/01_图片/01.png",
        "07_活动总结.docx",
    }  # standalone event: no 01_计划安排.txt
    manifest = zf.read("00_材料清单.txt").decode()
    assert "✓ 计划安排：非计划活动" in manifest and "✗" not in manifest
    assert "无，材料齐全" in manifest
    for name in ("02_签到表.xlsx", "04_问卷答卷.xlsx", "05_意见建议及办理结果.xlsx"):
        load_workbook(io.BytesIO(zf.read(name)))
    for name in ("04_问卷结果.docx", "07_活动总结.docx"):
        Document(io.BytesIO(zf.read(name)))
    assert zf.read("03_活动照片/01_会场_可见LOGO.png") == png()
    html = zf.read("06_宣传报道/01_报道.html").decode()
    assert '<img src="01_图片/01.png" alt="现场图">' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert html.index("第一段") < html.index("01_图片") < html.index("第二段")


def test_an_incomplete_zip_holds_only_what_exists_and_says_what_is_missing(world, media):
    event = make_event(world)
    zf, names = _open(evidence.event_zip(event))
    assert names == {"00_材料清单.txt"}
    manifest = zf.read("00_材料清单.txt").decode()
    for label in ("签到表", "活动照片（含可见LOGO照片）", "问卷结果", "宣传报道", "活动总结"):
        assert f"✗ {label}" in manifest
    assert "二、尚缺材料\n签到表、" in manifest


def test_the_plan_entry_row_is_included_when_the_event_came_from_the_plan(world, media):
    from openday.campaigns.models import PlanEntry
    from openday.demo.services import load_demo_campaigns, load_demo_events

    load_demo_campaigns()
    load_demo_events()
    event = Event.objects.exclude(plan_entry=None).filter(unit=world.housing).first()
    assert event is not None
    zf, names = _open(evidence.event_zip(event))
    assert "01_计划安排.txt" in names
    text = zf.read("01_计划安排.txt").decode()
    entry = PlanEntry.objects.get(pk=event.plan_entry_id)
    assert entry.theme in text and f"{entry.month}月" in text
    if entry.contact_phone:
        assert entry.contact_phone not in text  # masked
    assert evidence.checklist(event)[0]["detail"].startswith("已列入计划安排表")


def test_personal_data_is_masked_in_the_bundle(world, full_event):
    Opinion.objects.filter(tracking_code="O1").update(name="张三丰")
    o = Opinion.objects.get(tracking_code="O1")
    o.phone = "13912345678"
    o.save()
    zf, _names = _open(evidence.event_zip(full_event))
    ws = load_workbook(io.BytesIO(zf.read("05_意见建议及办理结果.xlsx"))).active
    rows = [
        dict(zip(evidence.OPINION_HEADERS, r, strict=True))
        for r in ws.iter_rows(min_row=2, values_only=True)
    ]
    row = next(r for r in rows if r["查询码"] == "O1")
    assert (row["姓名"], row["手机号"]) == ("张**", "139****5678")
    assert len(rows) == 5
    sheet = load_workbook(io.BytesIO(zf.read("02_签到表.xlsx"))).active
    names = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert "群众1" not in names and names.count("群**") == 6


def test_a_unit_zip_has_a_folder_per_event(world, full_event):
    second = make_event(world, title="开福区住房和城乡建设局第二场活动")
    zf, names = _open(evidence.unit_zip(world.housing, None))
    folders = {n.split("/")[0] for n in names if "/" in n}
    assert folders == {evidence.event_folder(full_event).rstrip("/"),
                       evidence.event_folder(second).rstrip("/")}  # fmt: skip
    assert f"{evidence.event_folder(second)}00_材料清单.txt" in names
    assert f"{evidence.event_folder(full_event)}02_签到表.xlsx" in names
    overall = zf.read("00_材料清单汇总.txt").decode()
    assert "第二场活动" in overall and "尚缺" in overall


def test_file_names_cannot_escape_their_folder():
    assert evidence.safe_name("../../etc/passwd") == "etc_passwd"
    assert evidence.safe_name('a:b*c?"d<e>f|g') == "a_b_c_d_e_f_g"
    assert evidence.safe_name("   ") == "未命名"


def test_downloads_are_audited_and_follow_the_tree(world, client, full_event):
    c = world.client_for(client, "kf_viewer")
    response = c.get(f"/staff/summaries/events/{full_event.pk}/evidence.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    _zf, names = _open(io.BytesIO(b"".join(response.streaming_content)))
    assert "00_材料清单.txt" in names
    entry = AuditEntry.objects.get(action="evidence.downloaded")
    assert entry.actor == world.users["kf_viewer"] and entry.changes["范围"] == "单个活动"
    response = c.get(f"/staff/summaries/units/{world.housing.pk}/evidence.zip?campaign=none")
    assert response.status_code == 200
    for persona in ("handler", "nm_office", "town_admin"):
        c = world.client_for(client, persona)
        assert c.get(f"/staff/summaries/events/{full_event.pk}/evidence.zip").status_code == 403
        url = f"/staff/summaries/units/{world.housing.pk}/evidence.zip?campaign=none"
        assert c.get(url).status_code == 403
    assert AuditEntry.objects.filter(action="evidence.downloaded").count() == 2
