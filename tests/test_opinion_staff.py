"""Opinions on the staff pages: the closed loop's moves and its audit trail, masking, working-day
deadlines, reassignment, the inbox, typing in and importing forum notes, evidence, call-backs."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from openday.audit.models import AuditEntry
from openday.opinions import services
from openday.opinions.models import Callback, Evidence, Opinion

S = Opinion.Status
PHONE = "13912345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def event(world):
    from openday.events import services as events

    start = timezone.now() - timedelta(days=1)
    return events.create_event(
        world.users["unit_admin"], world.housing, title="住建局政务开放日", starts_at=start,
        ends_at=start + timedelta(hours=2), venues=[{"name": "会议室"}], capacity=30, publish=True,
    )  # fmt: skip


def _opinion(world, **kw):
    fields = {"content": "小区电梯经常故障，希望加快加装和维修。", "source": "forum",
              "office": world.kaifu, "actor": world.users["kf_office"]}  # fmt: skip
    fields.update(kw)
    return services.submit_opinion(**fields)


def _actions(opinion):
    return list(
        AuditEntry.objects.filter(object_type="opinions.opinion", object_id=str(opinion.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def _text(response):
    return response.content.decode()


# --- Moves and their audit trail ----------------------------------------------------------------


def test_only_allowed_moves_and_each_leaves_its_audit_entry(world, client):
    o = _opinion(world)
    c = world.client_for(client, "kf_office")
    url = f"/staff/opinions/{o.pk}"

    def post(action, data=None, follow=True):
        return c.post(f"{url}/{action}/", data or {}, follow=follow)

    def state():
        o.refresh_from_db()
        return o.status

    # Not yet assigned: no answer (nobody answers for no unit), review, publication, withdrawal.
    assert post("answer", {"decision": "adopted", "answer": "好"}).status_code == 403
    assert "只有待审核的答复可以审核" in _text(post("review", {"outcome": "approve"}))
    assert "审核通过后才能公开" in _text(post("publish"))
    assert "这条意见没有公开" in _text(post("unpublish", {"reason": "x"}))
    assert state() == S.NEW

    post("classify", {"topic_area": "住房保障", "topic": "城乡建设", "summary": "加装电梯"})
    assert post("assign", {"unit": world.housing.pk, "due_days": "15"}).status_code == 200
    assert state() == S.ASSIGNED
    assert "只有待审核的答复可以审核" in _text(post("review", {"outcome": "approve"}))
    post("answer", {"decision": "adopted", "answer": "采纳，年内完成加装。"})
    assert state() == S.ANSWERED
    assert "不能交办" in _text(post("assign", {"unit": world.housing.pk, "reason": "x"}))
    response = post("review", {"outcome": "return", "note": ""}, follow=False)
    assert response.status_code == 400 and "退回修改时请写明审核意见" in _text(response)
    post("review", {"outcome": "return", "note": "请写明完成时间。"})
    assert state() == S.RETURNED
    post("answer", {"decision": "adopted", "answer": "采纳，12月底前完成加装。"})
    post("review", {"outcome": "approve"})
    assert state() == S.APPROVED
    assert "不能答复" in _text(post("answer", {"decision": "adopted", "answer": "再改"}))
    post("publish")
    assert state() == S.PUBLISHED
    assert "已答复或已公开" in _text(post("split", {"parts": "一\n二"}))
    response = post("unpublish", {"reason": ""}, follow=False)
    assert response.status_code == 400 and "撤回公开时请写明原因" in _text(response)
    post("unpublish", {"reason": "答复中有个人信息"})
    assert state() == S.APPROVED

    assert _actions(o) == [
        "opinion.received", "opinion.classified", "opinion.assigned", "opinion.answered",
        "opinion.returned", "opinion.answered", "opinion.approved", "opinion.published",
        "opinion.unpublished",
    ]  # fmt: skip
    page = _text(c.get(f"{url}/"))
    for label in ("收到意见", "交办", "退回修改", "公开办理结果", "撤回公开", "答复中有个人信息"):
        assert label in page


def test_merge_and_split_from_the_page(world, client):
    target, dup = _opinion(world), _opinion(world, content="电梯坏了没人修。")
    other_tree = _opinion(world, office=world.naiman)
    c = world.client_for(client, "kf_office")
    response = c.post(f"/staff/opinions/{target.pk}/merge/", {"codes": other_tree.tracking_code})
    assert response.status_code == 400 and "找不到查询码" in _text(response)
    response = c.post(
        f"/staff/opinions/{target.pk}/merge/", {"codes": f" {dup.tracking_code.lower()} "}
    )
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.status == S.MERGED and dup.merged_into == target
    assert "opinion.merged" in _actions(dup) and "opinion.merged" in _actions(target)

    response = c.post(f"/staff/opinions/{target.pk}/split/", {"parts": "只有一条"})
    assert response.status_code == 400 and "请至少拆分为两条" in _text(response)
    c.post(f"/staff/opinions/{target.pk}/split/", {"parts": "加装电梯\n\n维修电梯\n"})
    target.refresh_from_db()
    assert target.content == "加装电梯"
    assert [p.content for p in target.parts.all()] == ["维修电梯"]


def test_unknown_action_and_actions_beyond_ones_role_are_refused(world, client):
    o = _opinion(world)
    services.assign(world.users["kf_office"], o, unit=world.housing)
    c = world.client_for(client, "unit_admin")
    assert c.post(f"/staff/opinions/{o.pk}/frobnicate/").status_code == 403
    assert c.post(f"/staff/opinions/{o.pk}/merge/", {"codes": "X"}).status_code == 403
    assert c.get(f"/staff/opinions/{o.pk}/answer/").status_code == 405
    # A unit admin names the person but cannot send the opinion to another unit.
    response = c.post(f"/staff/opinions/{o.pk}/assign/",
                      {"unit": world.street.pk, "reason": "不归我们"})  # fmt: skip
    assert response.status_code == 400  # the street is not among the choices
    response = c.post(f"/staff/opinions/{o.pk}/assign/",
                      {"unit": world.housing.pk, "assignee": world.users["handler"].pk})  # fmt: skip
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.assignee == world.users["handler"] and o.unit == world.housing


# --- Masking ------------------------------------------------------------------------------------


def test_names_and_phones_are_masked_on_list_detail_and_export(world, client):
    o = _opinion(world, name="张三丰", phone=PHONE)
    services.assign(world.users["kf_office"], o, unit=world.housing,
                    assignee=world.users["handler"])  # fmt: skip
    for persona in ("operator", "kf_office", "unit_admin", "handler"):
        c = world.client_for(client, persona)
        pages = [
            c.get("/staff/opinions/?mine=0"),
            c.get(f"/staff/opinions/{o.pk}/"),
            c.get(f"/staff/opinions/?mine=0&q={o.tracking_code}"),
        ]
        for page in pages:
            assert page.status_code == 200
            assert PHONE not in _text(page) and "张三丰" not in _text(page), persona
        assert "139****5678" in _text(pages[1]) and "张**" in _text(pages[1])
        export = c.get("/staff/opinions/export.xlsx?mine=0")
        assert export.status_code == 200
        ws = load_workbook(io.BytesIO(export.content)).active
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert o.tracking_code in cells and "139****5678" in cells and "张**" in cells
        assert not any(PHONE in v or "张三丰" in v for v in cells), persona


def test_export_follows_the_filters(world, client):
    a = _opinion(world, content="关于停车难的意见")
    b = _opinion(world, content="关于噪音扰民的意见", source="phone")
    c = world.client_for(client, "kf_office")
    export = c.get("/staff/opinions/export.xlsx?mine=0&source=phone")
    codes = [row[0] for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(
        min_row=2, values_only=True)]  # fmt: skip
    assert codes == [b.tracking_code] and a.tracking_code not in codes


# --- Deadlines and assignment -------------------------------------------------------------------


def test_assignment_due_date_counts_working_days(world):
    o = _opinion(world)
    # 2023: 9月29日–10月6日 中秋国庆放假，10月7日、8日（周末）调休上班.
    services.assign(world.users["kf_office"], o, unit=world.housing, due_days=1,
                    today=date(2023, 9, 28))  # fmt: skip
    assert o.due_date == date(2023, 10, 7) and o.due_estimated is False
    o2 = _opinion(world)
    services.assign(world.users["kf_office"], o2, unit=world.housing, due_days=3,
                    today=date(2023, 9, 28))  # fmt: skip
    assert o2.due_date == date(2023, 10, 9)


def test_overdue_shows_days_in_text_and_filters(world, client):
    late = _opinion(world, content="超期的意见")
    services.assign(world.users["kf_office"], late, unit=world.housing, due_days=1,
                    today=date(2023, 9, 28))  # fmt: skip
    soon = _opinion(world, content="快到期的意见")
    services.assign(world.users["kf_office"], soon, unit=world.housing, due_days=1)
    c = world.client_for(client, "kf_office")
    page = _text(c.get("/staff/opinions/?mine=0"))
    days = (timezone.localdate() - date(2023, 10, 7)).days
    assert f"超期{days}天" in page
    overdue = _text(c.get("/staff/opinions/?mine=0&due=overdue"))
    assert late.tracking_code in overdue and soon.tracking_code not in overdue
    due_soon = _text(c.get("/staff/opinions/?mine=0&due=soon"))
    assert soon.tracking_code in due_soon and late.tracking_code not in due_soon
    detail = _text(c.get(f"/staff/opinions/{late.pk}/"))
    assert f"超期{days}天" in detail


def test_reassigning_needs_a_reason(world, client):
    o = _opinion(world)
    c = world.client_for(client, "kf_office")
    assert c.post(f"/staff/opinions/{o.pk}/assign/", {"unit": world.housing.pk}).status_code == 302
    o.refresh_from_db()
    first_due = o.due_date
    response = c.post(f"/staff/opinions/{o.pk}/assign/", {"unit": world.street.pk})
    assert response.status_code == 400 and "改派时请写明原因" in _text(response)
    o.refresh_from_db()
    assert o.unit == world.housing and o.due_date == first_due
    response = c.post(f"/staff/opinions/{o.pk}/assign/",
                      {"unit": world.street.pk, "reason": "属街道管辖"})  # fmt: skip
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.unit == world.street
    entry = AuditEntry.objects.filter(action="opinion.reassigned", object_id=str(o.pk)).get()
    assert entry.changes["原因"] == "属街道管辖"
    assert entry.changes["责任单位"] == [world.housing.name, world.street.name]


def test_the_assign_form_lists_the_chosen_units_people(world, client):
    o = _opinion(world)
    c = world.client_for(client, "kf_office")
    page = c.get(f"/staff/opinions/{o.pk}/?unit={world.housing.pk}")
    people = dict(page.context["forms"]["assign"].fields["assignee"].choices)
    assert world.users["handler"].pk in people and world.users["kf_viewer"].pk not in people
    assert page.context["forms"]["assign"].initial["due_days"] == services.due_days_for(o)


# --- The inbox ------------------------------------------------------------------------------------


def test_the_inbox_holds_what_is_assigned_to_me_and_open(world, client):
    kf, handler = world.users["kf_office"], world.users["handler"]
    mine = _opinion(world, content="交给办理人的")
    services.assign(kf, mine, unit=world.housing, assignee=handler)
    done = _opinion(world, content="已答复的")
    services.assign(kf, done, unit=world.housing, assignee=handler)
    services.answer(handler, done, text="已处理。", decision="solved")
    elsewhere = _opinion(world, content="交给单位的")
    services.assign(kf, elsewhere, unit=world.housing)
    c = world.client_for(client, "handler")
    inbox = c.get("/staff/opinions/")
    assert inbox.context["mine"] is True
    codes = {o.tracking_code for o in inbox.context["page"]}
    assert codes == {mine.tracking_code}
    everything = {o.tracking_code for o in c.get("/staff/opinions/?mine=0").context["page"]}
    assert everything == {mine.tracking_code, done.tracking_code}
    assert c.get(f"/staff/opinions/{elsewhere.pk}/").status_code == 403
    # Office staff see everything by default and their (empty) inbox on request.
    office = world.client_for(client, "kf_office")
    assert office.get("/staff/opinions/").context["mine"] is False
    assert "您的待办中没有意见" in _text(office.get("/staff/opinions/?mine=1"))


def test_the_list_filters_and_says_when_nothing_matches(world, client):
    o = _opinion(world, content="关于学位紧张的意见", source="phone")
    assert "还没有意见建议" in _text(world.client_for(client, "nm_office").get("/staff/opinions/"))
    c = world.client_for(client, "kf_office")
    assert o in c.get("/staff/opinions/?q=学位").context["page"]
    assert o in c.get(f"/staff/opinions/?q={o.tracking_code[:5].lower()}").context["page"]
    assert "没有符合条件的意见" in _text(c.get("/staff/opinions/?q=不存在的内容"))
    assert o not in c.get("/staff/opinions/?source=forum").context["page"]
    assert o in c.get("/staff/opinions/?status=new").context["page"]
    assert o not in c.get(f"/staff/opinions/?unit={world.housing.pk}").context["page"]


# --- Typing in forum notes ------------------------------------------------------------------------


def test_forum_notes_save_and_add_another(world, client, event):
    c = world.client_for(client, "unit_staff")
    page = c.get(f"/staff/opinions/new/?event={event.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["event"] == event.pk
    data = {"source": "forum", "event": event.pk, "content": "希望公开老旧小区改造的进度。",
            "name": "王五", "phone": "13800001111", "category": "public",
            "received_at": "2023-06-06T10:30", "another": "1"}  # fmt: skip
    response = c.post("/staff/opinions/new/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/opinions/new/?")
    assert f"event={event.pk}" in response["Location"] and "source=forum" in response["Location"]
    again = c.get(response["Location"])
    assert again.context["form"].initial["event"] == event.pk
    assert again.context["form"].initial["received_at"] == "2023-06-06T10:30"
    assert "请继续录入下一条" in _text(again)
    first = Opinion.objects.get()
    assert first.tracking_code in _text(again)  # listed among what was just typed in
    data = {k: v for k, v in data.items() if k != "another"}
    response = c.post("/staff/opinions/new/", {**data, "content": "停车位太少。", "name": "",
                                                "phone": "", "save": "1"})  # fmt: skip
    second = Opinion.objects.exclude(pk=first.pk).get()
    # Raised at the unit's own event, so its staff see it at once, before the office assigns it.
    assert response["Location"] == f"/staff/opinions/{second.pk}/"
    assert c.get(response["Location"]).status_code == 200
    for o in (first, second):
        assert (o.event, o.office, o.source) == (event, world.kaifu, "forum")
        assert o.received_at == timezone.make_aware(timezone.datetime(2023, 6, 6, 10, 30))
        assert o.created_by == world.users["unit_staff"]
    assert first.phone == "13800001111" and first.consent_at is not None


def test_entry_form_checks_and_permissions(world, client, event):
    c = world.client_for(client, "unit_staff")
    response = c.post("/staff/opinions/new/", {"source": "forum", "event": event.pk,
                                               "content": "", "phone": "123",
                                               "received_at": "2023-06-06T10:30"})  # fmt: skip
    assert response.status_code == 400
    assert "请填写意见建议的内容" in _text(response)
    # A unit's staff has no office to choose: the event is required.
    response = c.post("/staff/opinions/new/", {"source": "phone", "content": "内容",
                                               "received_at": "2023-06-06T10:30"})  # fmt: skip
    assert response.status_code == 400 and "office" not in response.context["form"].fields
    response = c.post("/staff/opinions/new/", {"source": "forum", "event": event.pk,
                                               "content": "内容", "phone": "123",
                                               "received_at": "2023-06-06T10:30"})  # fmt: skip
    assert response.status_code == 400 and "电话号码格式不正确" in _text(response)
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = c.post("/staff/opinions/new/", {"source": "forum", "event": event.pk,
                                               "content": "内容", "received_at": future})  # fmt: skip
    assert response.status_code == 400 and "收到时间不能晚于现在" in _text(response)
    assert not Opinion.objects.exists()
    # The other tree may not type in for 住建局's event; a handler may not type in at all.
    other = world.client_for(client, "town_admin")
    assert other.get(f"/staff/opinions/new/?event={event.pk}").status_code == 403
    assert world.client_for(client, "handler").get("/staff/opinions/new/").status_code == 403
    # The office types a phone call in for itself, with no event.
    office = world.client_for(client, "kf_office")
    response = office.post("/staff/opinions/new/", {"source": "phone", "office": world.kaifu.pk,
                                                    "content": "来电反映路灯不亮。",
                                                    "received_at": "2023-06-06T10:30"})  # fmt: skip
    made = Opinion.objects.get()
    assert response["Location"] == f"/staff/opinions/{made.pk}/" and made.office == world.kaifu


# --- Import ---------------------------------------------------------------------------------------


def _sheet(rows, header=("内容", "发言人", "手机号", "类别", "活动编号", "收到日期")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("座谈会意见.xlsx", out.getvalue())


def test_import_is_all_or_nothing_and_lists_every_bad_row(world, client, event):
    c = world.client_for(client, "unit_admin")
    template = c.get("/staff/opinions/import/template.xlsx")
    wb = load_workbook(io.BytesIO(template.content))
    assert [v.value for v in wb.worksheets[0][1]] == ["内容", "发言人", "手机号", "类别",
                                                       "活动编号", "收到日期"]  # fmt: skip
    assert event.title in [r[1] for r in wb["填写说明"].iter_rows(values_only=True)]

    other_event = "999999"
    bad = _sheet([
        ["希望延长办事大厅的开放时间。", "赵六", "13800002222", "普通群众", event.pk, "2023-06-06"],
        ["", "钱七", "", "", event.pk, ""],
        ["意见", "孙八", "12345", "市民", other_event, "明天"],
        ["停车难。", "", 13800003333, "人大代表", "", date(2023, 6, 6)],
    ])  # fmt: skip
    response = c.post("/staff/opinions/import/", {"source": "forum", "file": bad})
    assert response.status_code == 400
    errors = {e.row: e.reason for e in response.context["result"].errors}
    assert set(errors) == {3, 4, 5}
    assert "请填写意见建议的内容" in errors[3]
    assert "电话号码格式不正确" in errors[4] and "类别“市民”不正确" in errors[4]
    assert "活动编号 999999 不存在" in errors[4] and "收到日期“明天”无法识别" in errors[4]
    assert "请填写活动编号" in errors[5]
    assert "第 3 行" in _text(response)
    assert not Opinion.objects.exists()

    good = _sheet([
        ["希望延长办事大厅的开放时间。", "赵六", "13800002222", "普通群众", event.pk, "2023-06-06"],
        ["停车难。", "", 13800003333, "人大代表", "", date(2023, 6, 6)],
    ])  # fmt: skip
    response = c.post("/staff/opinions/import/",
                      {"source": "forum", "event": event.pk, "file": good})  # fmt: skip
    assert response.status_code == 302
    made = list(Opinion.objects.order_by("id"))
    assert len(made) == 2 and all(o.event == event and o.office == world.kaifu for o in made)
    assert made[0].category == "public" and made[1].category == "deputy"
    assert made[1].phone == "13800003333" and made[0].name == "赵六"
    assert timezone.localdate(made[0].received_at) == date(2023, 6, 6)


def test_import_refuses_other_files_and_layouts(world, client):
    c = world.client_for(client, "kf_office")
    response = c.post("/staff/opinions/import/",
                      {"source": "forum", "office": world.kaifu.pk,
                       "file": SimpleUploadedFile("意见.csv", b"a,b")})  # fmt: skip
    assert response.status_code == 400 and "文件类型不正确：请上传 .xlsx 文件" in _text(response)
    response = c.post("/staff/opinions/import/",
                      {"source": "forum", "office": world.kaifu.pk,
                       "file": SimpleUploadedFile("意见.xlsx", b"not a zip")})  # fmt: skip
    assert response.status_code == 400 and "无法读取文件" in _text(response)
    response = c.post("/staff/opinions/import/",
                      {"source": "forum", "office": world.kaifu.pk,
                       "file": _sheet([["x"]], header=("意见", "姓名"))})  # fmt: skip
    assert response.status_code == 400 and "表头应为" in _text(response)
    response = c.post("/staff/opinions/import/",
                      {"source": "forum", "office": world.kaifu.pk, "file": _sheet([])})  # fmt: skip
    assert response.status_code == 400 and "文件中没有意见数据" in _text(response)
    response = c.post("/staff/opinions/import/",
                      {"source": "paper", "office": world.kaifu.pk,
                       "file": _sheet([["来信反映噪音问题。", "", "", "", "", ""]])})  # fmt: skip
    assert response.status_code == 302
    assert Opinion.objects.get().source == "paper"


# --- Rectification evidence -----------------------------------------------------------------------


def test_evidence_is_checked_by_content_and_served_to_those_who_see_the_opinion(world, client):
    o = _opinion(world)
    services.assign(world.users["kf_office"], o, unit=world.housing,
                    assignee=world.users["handler"])  # fmt: skip
    c = world.client_for(client, "handler")
    response = c.post(f"/staff/opinions/{o.pk}/add-step/",
                      {"description": "更换电梯控制柜", "planned_date": "2023-12-31"})  # fmt: skip
    assert response.status_code == 302
    step = o.steps.get()
    fake = SimpleUploadedFile("照片.jpg", "这是一个文本文件".encode(), content_type="image/jpeg")
    page = c.post(f"/staff/opinions/{o.pk}/evidence/", {"step": step.pk, "file": fake}, follow=True)
    assert "只能上传照片（JPG、PNG）或 PDF 文件" in _text(page)
    assert not Evidence.objects.exists()
    photo = SimpleUploadedFile("现场照片.png", PNG, content_type="application/octet-stream")
    c.post(f"/staff/opinions/{o.pk}/evidence/", {"step": step.pk, "file": photo})
    evidence = Evidence.objects.get()
    assert evidence.content_type == "image/png"
    detail = _text(c.get(f"/staff/opinions/{o.pk}/"))
    assert f"/staff/opinions/evidence/{evidence.pk}/" in detail and "现场照片.png" in detail
    download = c.get(f"/staff/opinions/evidence/{evidence.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    other = world.client_for(client, "nm_office")
    assert other.get(f"/staff/opinions/evidence/{evidence.pk}/").status_code == 403
    c = world.client_for(client, "handler")
    # Marking the step done: not in the future.
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    page = c.post(f"/staff/opinions/{o.pk}/complete-step/",
                  {"step": step.pk, "done_date": future}, follow=True)  # fmt: skip
    assert "实际完成日期不能晚于今天" in _text(page)
    c.post(f"/staff/opinions/{o.pk}/complete-step/",
           {"step": step.pk, "done_date": timezone.localdate().isoformat()})  # fmt: skip
    step.refresh_from_db()
    assert step.done_date == timezone.localdate()
    assert _actions(o)[-3:] == ["opinion.step_added", "opinion.evidence_added", "opinion.step_done"]


def test_answer_explained_needs_its_reasons(world, client):
    o = _opinion(world)
    services.assign(world.users["kf_office"], o, unit=world.housing,
                    assignee=world.users["handler"])  # fmt: skip
    c = world.client_for(client, "handler")
    response = c.post(f"/staff/opinions/{o.pk}/answer/", {"decision": "explained", "answer": ""})
    assert response.status_code == 400 and "请写明未采纳的理由" in _text(response)
    response = c.post(f"/staff/opinions/{o.pk}/answer/", {"answer": "已处理"})
    assert response.status_code == 400 and "请选择采纳情况" in _text(response)
    assert "已处理" in _text(response)  # what was typed is kept
    o.refresh_from_db()
    assert o.status == S.ASSIGNED


# --- Call-backs ---------------------------------------------------------------------------------


@pytest.fixture
def callback(world, event):
    kf, admin = world.users["kf_office"], world.users["unit_admin"]
    o = _opinion(world, event=event, office=None, name="周九", phone=PHONE)
    services.assign(kf, o, unit=world.housing)
    services.answer(admin, o, text="已采纳。", decision="adopted")
    services.review(admin, o, approve=True, publish=True)
    return o


def test_building_the_call_list_and_revealing_a_number(world, client, callback, event):
    for persona in ("handler", "kf_viewer", "town_admin"):
        response = world.client_for(client, persona).post(
            "/staff/callbacks/build/", {"event": event.pk}
        )
        assert response.status_code == 403, persona
    assert not Callback.objects.exists()
    c = world.client_for(client, "unit_staff")
    response = c.post("/staff/callbacks/build/", {"event": event.pk}, follow=True)
    assert "新增 1 人" in _text(response)
    cb = Callback.objects.get()
    assert cb.org == world.housing and cb.opinion == callback
    again = c.post("/staff/callbacks/build/", {"event": event.pk}, follow=True)
    assert "没有需要新增的回访对象" in _text(again) and Callback.objects.count() == 1

    listing = _text(c.get("/staff/callbacks/"))
    assert "139****5678" in listing and PHONE not in listing and "周*" in listing
    page = _text(c.get(f"/staff/callbacks/{cb.pk}/"))
    assert "139****5678" in page and PHONE not in page and "显示号码并拨打" in page

    revealed = c.post(f"/staff/callbacks/{cb.pk}/reveal/")
    assert revealed.status_code == 200 and f'href="tel:{PHONE}"' in _text(revealed)
    assert revealed["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(action="callback.phone_viewed")
    assert entry.actor == world.users["unit_staff"] and entry.object_id == str(cb.pk)
    # Nobody else sees it for that: the page stays masked for the next person and the caller.
    for persona in ("unit_admin", "kf_office", "unit_staff"):
        page = _text(world.client_for(client, persona).get(f"/staff/callbacks/{cb.pk}/"))
        assert PHONE not in page and "139****5678" in page
    assert c.get(f"/staff/callbacks/{cb.pk}/reveal/").status_code == 405
    # The opinion's page never shows the full number either.
    assert PHONE not in _text(c.get(f"/staff/opinions/{callback.pk}/"))


def test_logging_a_call_is_validated(world, client, callback):
    services.build_call_list(world.users["kf_office"], org=world.housing)
    cb = Callback.objects.get()
    c = world.client_for(client, "unit_admin")
    url = f"/staff/callbacks/{cb.pk}/"
    response = c.post(url, {"notes": "没选结果"})
    assert response.status_code == 400 and "请选择回访结果" in _text(response)
    response = c.post(url, {"outcome": "no_answer", "satisfaction_handling": "5"})
    assert response.status_code == 400 and "未接通时不能记录满意度" in _text(response)
    response = c.post(url, {"outcome": "reached", "satisfaction_handling": "6"})
    assert response.status_code == 400
    cb.refresh_from_db()
    assert cb.attempts == 0 and cb.outcome == Callback.Outcome.TODO

    assert c.post(url, {"outcome": "no_answer"}).status_code == 302
    cb.refresh_from_db()
    assert cb.attempts == 1 and cb.retry_at is not None
    due = c.get("/staff/callbacks/?retry=1").context["page"]
    assert cb not in due  # tomorrow, not yet
    Callback.objects.filter(pk=cb.pk).update(retry_at=timezone.now() - timedelta(minutes=1))
    assert cb in c.get("/staff/callbacks/?retry=1").context["page"]

    response = c.post(url, {"outcome": "reached", "satisfaction_handling": "4",
                            "satisfaction_event": "5", "notes": "对答复满意。"})  # fmt: skip
    assert response.status_code == 302
    cb.refresh_from_db()
    assert (cb.outcome, cb.attempts, cb.satisfaction_handling, cb.satisfaction_event) == (
        "reached", 2, 4, 5,
    )  # fmt: skip
    assert cb.caller == world.users["unit_admin"] and cb.retry_at is None
    assert AuditEntry.objects.filter(action="callback.logged", object_id=str(cb.pk)).count() == 2
    # Viewers and handlers do not make calls.
    for persona in ("kf_viewer", "handler"):
        assert world.client_for(client, persona).get(url).status_code == 403
        assert world.client_for(client, persona).get("/staff/callbacks/").status_code == 403
