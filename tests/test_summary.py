"""Event summaries (活动总结): figures, submission, reopening, the .docx, photos and who may do what."""

import io
import struct
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from docx import Document

from openday.audit.models import ACTION_LABELS, AuditEntry
from openday.demo.summaries import demo_png, load_demo_summaries
from openday.events import services as events
from openday.events.models import Event, Invitation
from openday.opinions.models import Callback, Opinion, RectificationStep
from openday.publicity.models import Article
from openday.summaries import photos, workbook
from openday.summaries import services as summaries
from openday.summaries.models import EventPhoto, EventSummary
from openday.surveys import services as surveys
from openday.surveys.presets import SATISFACTION

GOOD_TEXT = {
    "experiences": "提前谋划、分工明确，浏览介绍和实地观摩环节内容贴近群众，现场收集意见并逐条认领。",
    "shortcomings": "座谈交流时间偏短，部分代表未能充分发言；普通群众名额偏少，覆盖面不够广。",
    "causes": "议程安排过满，对座谈时长预估不足。",
    "next_steps": "适当延长座谈时间，增加群众代表名额，活动前一周发布预告。",
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(width=3, height=2):
    return demo_png(width, height, (10, 20, 30))


def jpeg(width=640, height=480):
    """A minimal JPEG header: SOI, an APP0 segment, then SOF0 with the frame size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def make_event(world, *, days_ago=3, held=True, title="开福区住房和城乡建设局测试活动"):
    start = timezone.now() - timedelta(days=days_ago)
    event = events.create_event(
        world.users["unit_admin"], world.housing, title=title,
        starts_at=start, ends_at=start + timedelta(hours=2), capacity=10,
        quotas={"public": 6, "deputy": 2, "media": 1},
        venues=[{"name": "老旧小区改造项目现场", "address": "开福区"}],
        agenda=[{"time": "09:00", "form": "现场观摩", "place": "项目现场", "host": "建设管理科"}],
        publish=True,
    )  # fmt: skip
    if held:
        events.set_status(world.users["unit_admin"], event, Event.Status.HELD)
    return event


def register(event, n, category, *, check_in=False, actor=None):
    r = events.register(event.pk, name=f"群众{n}", phone=f"1390000{n:04d}", category=category,
                        consent=True)  # fmt: skip
    if check_in:
        events.check_in(actor, event, r.ticket_code)
    return r


def opinion(world, event, code, status, decision="", **extra):
    return Opinion.objects.create(
        tracking_code=code, source="forum", content=f"意见{code}", office=world.kaifu,
        event=event, unit=world.housing, status=status, decision=decision, **extra,
    )  # fmt: skip


@pytest.fixture
def full_event(world, media):
    return build_full_event(world)


def build_full_event(world):
    """A held event with known numbers of everything the summary counts."""
    admin = world.users["unit_admin"]
    event = make_event(world, held=False)
    register(event, 1, "public", check_in=True, actor=admin)
    register(event, 2, "public", check_in=True, actor=admin)
    register(event, 3, "public")
    register(event, 4, "deputy", check_in=True, actor=admin)
    register(event, 5, "deputy")
    register(event, 6, "media")
    events.cancel(register(event, 7, "public").ticket_code)  # cancelled: not counted
    for i, status in enumerate(["new", "sent", "accepted"]):
        inv = Invitation(event=event, name=f"邀请{i}", category="deputy", code=f"INV{i}",
                         status=status)  # fmt: skip
        inv.phone = f"1380000{i:04d}"
        inv.save()
    survey = surveys.create_survey(admin, world.housing, title="满意度", event=event)
    q = surveys.save_question(admin, survey, {"kind": "rating", "title": "总体评价",
                                              "options": SATISFACTION})  # fmt: skip
    surveys.set_status(admin, survey, "open")
    for i, code in enumerate([1, 2, 3, 1], 1):
        surveys.enter_paper(admin, survey, batch_no="A", form_no=str(i), answers={q.pk: code})
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=10)
    answered = {"answer": "已答复。", "answered_at": now, "due_date": due}
    o1 = opinion(world, event, "O1", "published", "adopted", published_at=now, **answered)
    o2 = opinion(world, event, "O2", "approved", "partly", **answered)
    opinion(world, event, "O3", "answered", "explained", **answered)
    opinion(world, event, "O4", "assigned", due_date=due)
    opinion(world, event, "O5", "merged", merged_into=o1)
    RectificationStep.objects.create(opinion=o1, description="修路", planned_date=date.today(),
                                     done_date=date.today())  # fmt: skip
    RectificationStep.objects.create(opinion=o2, description="公开", planned_date=date.today())
    for i, (outcome, handling, satisfaction) in enumerate(
        [("reached", 5, 4), ("reached", 4, 5), ("no_answer", None, None)]
    ):
        Callback.objects.create(event=event, org=world.housing, outcome=outcome,
                                phone_hash=f"h{i}", satisfaction_handling=handling,
                                satisfaction_event=satisfaction)  # fmt: skip
    Article.objects.create(event=event, unit=world.housing, title="报道", body="正文",
                           status=Article.Status.PUBLISHED, published_at=now)  # fmt: skip
    Article.objects.create(event=event, unit=world.housing, title="草稿", body="正文")
    photos.add_photo(admin, event, ContentFile(png(), name="a.png"), "会场", True, True)
    photos.add_photo(admin, event, ContentFile(jpeg(), name="b.jpg"), "观摩", False, True)
    events.set_status(admin, event, Event.Status.HELD)
    return event


# --- Figures ------------------------------------------------------------------------------------


def test_figures_count_every_source_exactly(full_event):
    f = summaries.figures(full_event)
    by_code = {c["code"]: c for c in f["participants"]["categories"]}
    assert list(by_code) == ["deputy", "media", "public"]  # in GUEST_CATEGORIES order
    assert by_code["public"] == {"code": "public", "name": "普通群众", "quota": 6,
                                 "registered": 3, "checked_in": 2}  # fmt: skip
    assert (by_code["deputy"]["registered"], by_code["deputy"]["checked_in"]) == (2, 1)
    assert (by_code["media"]["registered"], by_code["media"]["checked_in"]) == (1, 0)
    assert f["participants"]["registered"] == 6 and f["participants"]["checked_in"] == 3
    assert f["invitations"] == {"total": 3, "sent": 2, "accepted": 1}
    assert f["survey"] == {"surveys": 1, "responses": 4, "rated": 4, "satisfied": 3,
                           "satisfaction_rate": 75.0, "satisfaction_score": 4.25}  # fmt: skip
    o = f["opinions"]
    assert (o["received"], o["handled"], o["answered"], o["on_time"]) == (5, 4, 3, 3)
    assert (o["adopted"], o["rectified"], o["published"]) == (2, 1, 1)
    assert o["decisions"] == {"adopted": 1, "partly": 1, "explained": 1, "solved": 0}
    assert o["adoption_rate"] == 66.7 and o["rectification_rate"] == 50.0
    assert f["callbacks"] == {"callbacks_reached": 2, "satisfaction": 4.5,
                              "event_satisfaction": 4.5}  # fmt: skip
    assert f["articles"] == 1
    assert f["photos"] == {"total": 2, "with_logo": 1}


def test_figures_of_an_empty_event_are_zero_not_errors(world):
    f = summaries.figures(make_event(world))
    assert f["participants"]["registered"] == 0 and f["survey"]["satisfaction_rate"] is None
    assert f["opinions"]["received"] == 0 and f["opinions"]["adoption_rate"] is None
    assert "未收到意见建议" in summaries.opinion_lines(f)


# --- Save, submit, reopen -----------------------------------------------------------------------


def test_submit_lists_every_missing_field_and_keeps_the_text(world):
    event = make_event(world)
    staff = world.users["unit_staff"]
    with pytest.raises(ValidationError) as exc:
        summaries.submit_summary(staff, event, {"overview": "概况", "experiences": "太短"})
    errors = exc.value.message_dict
    assert set(errors) == {"experiences", "shortcomings", "causes", "next_steps", "__all__"}
    assert "至少写 20 个字" in errors["experiences"][0]
    assert "请填写“存在不足”" in errors["__all__"][0] and "下一步打算" in errors["__all__"][0]
    summary = EventSummary.objects.get(event=event)
    assert (summary.overview, summary.experiences) == ("概况", "太短")  # nothing typed is lost
    assert summary.status == EventSummary.Status.DRAFT
    event.refresh_from_db()
    assert event.status == Event.Status.HELD


def test_submit_snapshots_figures_and_marks_the_event_summarized(full_event, world):
    staff = world.users["unit_staff"]
    summary = summaries.submit_summary(staff, full_event, GOOD_TEXT)
    assert summary.status == EventSummary.Status.SUBMITTED and summary.submitted_by == staff
    assert summary.figures["participants"]["checked_in"] == 3
    full_event.refresh_from_db()
    assert full_event.status == Event.Status.SUMMARIZED
    actions = set(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert {"summary.saved", "summary.submitted", "event.status"} <= actions
    # Later data does not change the submitted snapshot.
    EventPhoto.objects.create(event=full_event, image=ContentFile(png(), name="c.png"))
    assert summaries.shown_figures(full_event, summary)["photos"]["total"] == 2
    with pytest.raises(summaries.Refused, match="已报送"):
        summaries.save_summary(staff, full_event, {"experiences": "改一改"})


def test_an_event_not_yet_over_cannot_be_summarized(world):
    event = make_event(world, days_ago=-2, held=False)
    with pytest.raises(summaries.Refused, match="活动尚未结束"):
        summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)
    assert EventSummary.objects.get(event=event).experiences == GOOD_TEXT["experiences"]


def test_an_ended_event_not_marked_held_keeps_its_status(world):
    event = make_event(world, held=False)
    summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)
    event.refresh_from_db()
    assert event.status == Event.Status.OPEN


def test_reopen_needs_a_reason_and_moves_the_event_back(world):
    event = make_event(world)
    summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)
    office = world.users["kf_office"]
    with pytest.raises(ValidationError, match="原因"):
        summaries.reopen_summary(office, event, "  ")
    summary = summaries.reopen_summary(office, event, "签到人数与签到表不一致，请核实")
    assert summary.status == EventSummary.Status.DRAFT
    event.refresh_from_db()
    assert event.status == Event.Status.HELD
    entry = AuditEntry.objects.get(action="summary.reopened")
    assert entry.changes["原因"].startswith("签到人数") and entry.actor == office
    with pytest.raises(summaries.Refused):
        summaries.reopen_summary(office, event, "再次退回")
    summaries.submit_summary(world.users["unit_staff"], event)  # the text is still there
    assert EventSummary.objects.get(event=event).status == EventSummary.Status.SUBMITTED


def test_every_summary_audit_action_has_a_label():
    for action in ["summary.saved", "summary.submitted", "summary.reopened", "photo.added",
                   "photo.updated", "photo.deleted", "evidence.downloaded"]:  # fmt: skip
        assert ACTION_LABELS.get(action)


# --- The document -------------------------------------------------------------------------------


def test_the_docx_has_the_title_sections_figures_and_signature(full_event, world):
    summaries.submit_summary(world.users["unit_staff"], full_event, GOOD_TEXT)
    doc = Document(io.BytesIO(summaries.summary_docx(full_event)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{world.housing.name}关于{full_event.title}的总结" in text
    positions = [text.index(h) for h in ["一、活动基本情况", "二、意见建议办理情况", "三、经验做法",
                                         "四、存在不足及原因", "五、下一步打算"]]  # fmt: skip
    assert positions == sorted(positions)
    assert "采纳率66.7%" in text and "整改率50%" in text and "共回收调查问卷4份" in text
    assert GOOD_TEXT["experiences"] in text and GOOD_TEXT["causes"] in text
    assert "老旧小区改造项目现场" in text and "09:00 现场观摩 项目现场（建设管理科）" in text
    table = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["参加人类别", "计划名额", "报名人数", "签到人数"]
    assert ["普通群众", "6", "3", "2"] in rows and rows[-1] == ["合计", "10", "6", "3"]
    assert doc.paragraphs[-2].text == world.housing.name
    assert doc.paragraphs[-1].text.endswith("日")


def test_the_campaign_workbook_has_a_row_per_event(full_event, world):
    from openpyxl import load_workbook

    make_event(world, title="开福区住房和城乡建设局第二场活动")
    data = workbook.campaign_xlsx_bytes(Event.objects.filter(unit=world.housing))
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.values)
    assert rows[0] == tuple(workbook.FIGURE_HEADERS)
    assert len(rows) == 3
    row = dict(zip(rows[0], next(r for r in rows if r[1] == full_event.title), strict=True))
    assert (row["签到人数"], row["签到-普通群众"], row["问卷满意率(%)"]) == (3, 2, 75)
    assert (row["意见建议"], row["采纳（含部分）"], row["佐证材料齐全"]) == (5, 2, "否")


# --- Photos -------------------------------------------------------------------------------------


def test_photos_are_checked_by_content_and_measured(world, media):
    event = make_event(world)
    admin = world.users["unit_admin"]
    p = photos.add_photo(admin, event, SimpleUploadedFile("x.png", png(7, 5)), "a", True, True)
    assert (p.width, p.height, p.image.name.endswith(".png")) == (7, 5, True)
    j = photos.add_photo(admin, event, SimpleUploadedFile("相片.JPG", jpeg(1024, 768)))
    assert (j.width, j.height) == (1024, 768)
    # A text file named .jpg, a GIF, a truncated PNG and an oversized file are refused.
    for upload, words in [
        (SimpleUploadedFile("fake.jpg", b"hello, not an image"), "不是 JPG 或 PNG"),
        (SimpleUploadedFile("a.gif", b"GIF89a" + b"\x00" * 20), "不是 JPG 或 PNG"),
        (SimpleUploadedFile("cut.png", png()[:12]), "已损坏"),
        (SimpleUploadedFile("big.png", png() + b"\x00" * (10 * 1024 * 1024)), "超过 10 MB"),
    ]:
        with pytest.raises(ValidationError, match=words):
            photos.add_photo(admin, event, upload)
    assert EventPhoto.objects.filter(event=event).count() == 2
    assert AuditEntry.objects.filter(action="photo.added").count() == 2


def test_photo_update_records_only_changes_and_delete_removes_the_file(world, media):
    event = make_event(world)
    admin = world.users["unit_admin"]
    p = photos.add_photo(admin, event, SimpleUploadedFile("x.png", png()), "旧说明")
    photos.update_photo(admin, p, caption="旧说明", shows_logo=True, public=True)
    entry = AuditEntry.objects.get(action="photo.updated")
    assert entry.changes == {"可见LOGO": [False, True]}
    storage, name = p.image.storage, p.image.name
    assert storage.exists(name)
    photos.delete_photo(admin, p)
    assert not EventPhoto.objects.filter(pk=p.pk).exists()
    assert AuditEntry.objects.filter(action="photo.deleted").exists()


def test_the_demo_summary_is_submitted_once(world, media):
    from openday.demo.services import load_demo_campaigns, load_demo_events

    load_demo_campaigns()
    load_demo_events()
    summary = load_demo_summaries()
    assert summary.status == EventSummary.Status.SUBMITTED
    assert summary.event.photos.filter(shows_logo=True).exists()
    summary.event.refresh_from_db()
    assert summary.event.status == Event.Status.SUMMARIZED
    load_demo_summaries()
    assert EventPhoto.objects.filter(event=summary.event).count() == 2
    assert AuditEntry.objects.filter(action="summary.submitted").count() == 1


# --- Pages: who may post ------------------------------------------------------------------------


EDITORS = {"operator", "unit_admin", "unit_staff"}
POSTERS = ["operator", "kf_office", "kf_viewer", "unit_admin", "unit_staff", "handler",
           "nm_office", "town_admin"]  # fmt: skip


@pytest.mark.parametrize("persona", POSTERS)
def test_saving_a_summary_as(world, client, persona):
    event = make_event(world)
    response = world.client_for(client, persona).post(
        f"/staff/summaries/events/{event.pk}/", {"action": "save", "experiences": "写了一点"}
    )
    allowed = persona in EDITORS
    assert response.status_code == (302 if allowed else 403)
    saved = EventSummary.objects.filter(event=event, experiences="写了一点").exists()
    assert saved is allowed


def test_a_refused_submission_on_the_page_keeps_the_text_and_lists_the_problems(world, client):
    event = make_event(world)
    response = world.client_for(client, "unit_staff").post(
        f"/staff/summaries/events/{event.pk}/",
        {"action": "submit", "experiences": "太短", "causes": "原因写了但太短"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "太短" in body and "请填写“存在不足”" in body and "草稿已保存" in body
    assert EventSummary.objects.get(event=event).causes == "原因写了但太短"


def test_submitting_on_the_page_moves_the_event(world, client):
    event = make_event(world)
    response = world.client_for(client, "unit_admin").post(
        f"/staff/summaries/events/{event.pk}/", {"action": "submit", **GOOD_TEXT}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.SUMMARIZED


@pytest.mark.parametrize("persona", POSTERS)
def test_reopening_a_summary_as(world, client, persona):
    event = make_event(world)
    summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)
    response = world.client_for(client, persona).post(
        f"/staff/summaries/events/{event.pk}/reopen/", {"reason": "数据需要核实"}
    )
    allowed = persona in {"operator", "kf_office", "unit_admin"}
    assert response.status_code == (302 if allowed else 403)
    state = EventSummary.objects.get(event=event).status
    assert (state == EventSummary.Status.DRAFT) is allowed


def test_reopening_without_a_reason_says_so(world, client):
    event = make_event(world)
    summaries.submit_summary(world.users["unit_staff"], event, GOOD_TEXT)
    response = world.client_for(client, "kf_office").post(
        f"/staff/summaries/events/{event.pk}/reopen/", {"reason": ""}
    )
    assert response.status_code == 400 and "退回原因" in response.content.decode()
    assert EventSummary.objects.get(event=event).status == EventSummary.Status.SUBMITTED


@pytest.mark.parametrize("persona", POSTERS)
def test_uploading_photos_as(world, client, media, persona):
    event = make_event(world)
    files = [SimpleUploadedFile("a.png", png()), SimpleUploadedFile("b.jpg", jpeg())]
    response = world.client_for(client, persona).post(
        f"/staff/summaries/events/{event.pk}/photos/",
        {"images": files, "caption": "现场", "shows_logo": "on", "public": "on"},
    )
    allowed = persona in EDITORS
    assert response.status_code == (302 if allowed else 403)
    assert EventPhoto.objects.filter(event=event, shows_logo=True).count() == (2 if allowed else 0)


def test_a_batch_with_one_bad_file_keeps_nothing_and_names_it(world, client, media):
    event = make_event(world)
    files = [SimpleUploadedFile("good.png", png()), SimpleUploadedFile("坏文件.jpg", b"not")]
    response = world.client_for(client, "unit_staff").post(
        f"/staff/summaries/events/{event.pk}/photos/", {"images": files, "caption": "留着"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "坏文件.jpg" in body and "不是 JPG 或 PNG" in body and 'value="留着"' in body
    assert not EventPhoto.objects.filter(event=event).exists()


@pytest.mark.parametrize("persona", POSTERS)
def test_editing_and_deleting_a_photo_as(world, client, media, persona):
    event = make_event(world)
    p = photos.add_photo(world.users["unit_admin"], event, SimpleUploadedFile("a.png", png()))
    c = world.client_for(client, persona)
    response = c.post(f"/staff/summaries/photos/{p.pk}/edit/",
                      {"caption": "新说明", "shows_logo": "on"})  # fmt: skip
    allowed = persona in EDITORS
    assert response.status_code == (302 if allowed else 403)
    p.refresh_from_db()
    assert (p.caption == "新说明" and p.shows_logo and not p.public) is allowed
    response = c.post(f"/staff/summaries/photos/{p.pk}/delete/")
    assert response.status_code == (302 if allowed else 403)
    assert EventPhoto.objects.filter(pk=p.pk).exists() is not allowed


def test_the_event_page_shows_the_checklist_panel(world, client, full_event):
    response = world.client_for(client, "unit_staff").get(f"/staff/events/{full_event.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "活动总结和佐证材料" in body and "✗" in body and "上传照片（2）" in body
    assert f"/staff/summaries/events/{full_event.pk}/evidence.zip" in body


def test_the_office_list_filters_and_stays_cheap(world, client, full_event,
                                                  django_assert_max_num_queries):  # fmt: skip
    for i in range(5):
        make_event(world, title=f"开福区住房和城乡建设局活动{i}")
    summaries.submit_summary(world.users["unit_staff"], full_event, GOOD_TEXT)
    c = world.client_for(client, "kf_office")
    with django_assert_max_num_queries(20):
        response = c.get("/staff/summaries/?campaign=none")
    assert response.status_code == 200
    assert response.content.decode().count("佐证材料 zip") == 6
    response = c.get("/staff/summaries/?campaign=none&summary=submitted")
    body = response.content.decode()
    assert full_event.title in body and "活动0" not in body
    response = c.get("/staff/summaries/?campaign=none&summary=missing")
    assert full_event.title not in response.content.decode()
