import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from openday.audit.models import AuditEntry
from openday.campaigns import services, workbooks
from openday.campaigns.models import Campaign, Declaration, DeclarationEvent, PlanEntry, Reminder
from openday.messaging.models import Notification, OutboundMessage
from openday.messaging.senders import MemorySender
from openday.orgs.models import Org

NEXT_YEAR = timezone.localdate().year + 1


@pytest.fixture
def campaign(world, alice):
    fields = services.preset_fields("theme_day", world.kaifu, NEXT_YEAR)
    fields["declaration_deadline"] = timezone.localdate() + timedelta(days=10)
    return services.create_campaign(alice, world.kaifu, **fields)


@pytest.fixture
def issued(campaign, alice):
    return services.issue_notice(alice, campaign)


def good_row(**extra):
    row = {"theme": "老旧小区改造现场观摩", "month": 6, "forms": ["现场观摩", "座谈交流"],
           "topic_area": "品质城市", "intro": "邀请人大代表、政协委员和居民代表走进老旧小区改造项目现场，座谈收集居民意见。"}  # fmt: skip
    row.update(extra)
    return row


CONTACT = {"contact_name": "张三", "contact_phone": "0731-84390000"}


def submit(unit, campaign, actor, **row):
    declaration = services.declaration_for(campaign, unit)
    return services.save_declaration(actor, declaration, CONTACT, [good_row(**row)], submit=True)


# --- Campaign settings and the notice ----------------------------------------------------


def test_a_campaign_starts_from_the_seed_template(campaign, world):
    assert campaign.title == f"开福区{NEXT_YEAR}年“政务公开主题日”活动实施方案"
    assert campaign.topic_areas[:2] == ["改革开放", "品质城市"] and len(campaign.topic_areas) == 8
    assert campaign.activity_forms == ["实地调研", "现场观摩", "座谈交流", "政策发布", "问卷调查"]
    assert (campaign.window_start_month, campaign.window_end_month) == (4, 11)
    assert "校园开放日" in campaign.forbidden_names
    assert campaign.status == Campaign.Status.DRAFT and campaign.doc_number == ""


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"window_start_month": 11, "window_end_month": 4}, "window_end_month", "不能早于"),
        ({"declaration_deadline": date(NEXT_YEAR, 12, 31)}, "declaration_deadline", "不能晚于"),
        ({"contact_phone": "12345"}, "contact_phone", "联系电话格式不正确"),
        ({"activity_forms": ""}, "activity_forms", "至少填写一种"),
        ({"themes_per_unit": 0}, "themes_per_unit", "1—10"),
        ({"name_patterns": "政务公开主题日活动"}, "name_patterns", "{单位}"),
    ],
)
def test_bad_campaign_settings_are_explained(world, change, field, words):
    fields = services.preset_fields("theme_day", world.kaifu, NEXT_YEAR)
    fields.update(change)
    with pytest.raises(ValidationError) as exc:
        services.check_campaign(world.kaifu, fields)
    assert words in " ".join(exc.value.message_dict[field])


def test_issuing_numbers_the_notice_per_office_and_year(campaign, world, alice):
    issued = services.issue_notice(alice, campaign)
    assert issued.doc_number == f"开政务公开办发〔{NEXT_YEAR - 1}〕1号"
    assert issued.status == Campaign.Status.OPEN
    again = services.issue_notice(alice, issued)  # a double click changes nothing
    assert again.doc_number == issued.doc_number
    fields = services.preset_fields("open_day", world.kaifu, NEXT_YEAR)
    second = services.issue_notice(alice, services.create_campaign(alice, world.kaifu, **fields))
    assert second.doc_number == f"开政务公开办发〔{NEXT_YEAR - 1}〕2号"
    # Every unit is told to declare.
    assert Notification.objects.filter(org=world.housing, title__startswith="请申报").count() == 2


def test_an_office_without_a_doc_code_cannot_issue(world):
    ops = world.users["operator"]
    naiman_town = world.town
    Org.objects.filter(pk=world.naiman.pk).update(doc_code="")
    world.naiman.refresh_from_db()
    fields = services.preset_fields("open_day", world.naiman, NEXT_YEAR)
    c = services.create_campaign(ops, world.naiman, **fields)
    with pytest.raises(ValidationError, match="发文字号代字"):
        services.issue_notice(ops, c)
    assert naiman_town.parent_id == world.naiman.pk


def test_the_notice_is_an_official_document(client, issued, alice):
    import docx

    client.force_login(alice)
    response = client.get(f"/staff/campaigns/{issued.pk}/notice.docx")
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert issued.doc_number in text
    assert f"关于印发《{issued.title}》的通知" in text.replace("\n", "")
    assert "区属各单位、各街道：" in text
    # The placeholders are filled in with the campaign's own settings.
    assert "{deadline}" not in text and issued.declaration_deadline.strftime("%Y年") in text
    headers = [c.text for c in document.tables[0].rows[0].cells]
    assert headers == ["序号", "活动主题", "活动时间（月份）", "活动形式", "活动简介"]
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28


def test_an_issued_notice_is_public(client, issued, campaign):
    page = client.get(f"/campaigns/{issued.pk}/").content.decode()
    assert issued.title in page and issued.doc_number in page
    assert client.get("/campaigns/").status_code == 200
    # A draft is not.
    fields = services.preset_fields("open_day", issued.office, NEXT_YEAR)
    draft = services.create_campaign(None, issued.office, **fields)
    assert client.get(f"/campaigns/{draft.pk}/").status_code == 404


# --- Declarations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"month": 2}, "须在 4—11 月之间"),
        ({"forms": ["游园"]}, "不在本次活动允许的范围内"),
        ({"forms": []}, "至少选择一种活动形式"),
        ({"intro": "太短"}, "活动简介至少 30 个字"),
        ({"theme": ""}, "请填写活动主题"),
        ({"topic_area": "外交"}, "不在本次活动的主题领域中"),
    ],
)
def test_bad_declaration_rows_are_explained(issued, row, words):
    errors, _ = services.check_declaration(issued, CONTACT, [good_row(**row)])
    assert words in " ".join(errors["row_errors"][0])


def test_a_unit_declares_only_as_many_themes_as_allowed(issued):
    errors, _ = services.check_declaration(issued, CONTACT, [good_row(), good_row()])
    assert "最多申报 1 个" in errors["rows"]


def test_the_contact_phone_is_checked(issued):
    errors, _ = services.check_declaration(issued, {"contact_name": "张三", "contact_phone": "123"},
                                           [good_row()])  # fmt: skip
    assert "联系电话格式不正确" in errors["contact_phone"]


def test_drafts_are_lenient_and_submitting_is_strict(issued, world, bob):
    declaration = services.declaration_for(issued, world.housing)
    services.save_declaration(bob, declaration, {}, [good_row(intro="未写完")])
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.DRAFT and declaration.rows.count() == 1
    with pytest.raises(services.DeclarationInvalid) as exc:
        services.save_declaration(
            bob, declaration, CONTACT, [good_row(intro="未写完")], submit=True
        )
    assert 0 in exc.value.errors["row_errors"]
    services.save_declaration(bob, declaration, CONTACT, [good_row()], submit=True)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED and not declaration.is_late
    assert declaration.contact_phone == "0731-84390000"
    assert "0731" not in declaration.contact_phone_encrypted
    with pytest.raises(ValidationError, match="不能再修改"):
        services.save_declaration(bob, declaration, CONTACT, [good_row()], submit=True)


def test_nobody_declares_before_the_notice(campaign, world, bob):
    with pytest.raises(ValidationError, match="尚未印发"):
        submit(world.housing, campaign, bob)


def test_late_declarations_are_accepted_and_marked(issued, world, bob):
    Campaign.objects.filter(pk=issued.pk).update(
        declaration_deadline=timezone.localdate() - timedelta(days=1)
    )
    issued.refresh_from_db()
    declaration = submit(world.housing, issued, bob)
    assert declaration.status == Declaration.Status.SUBMITTED and declaration.is_late


def test_return_with_a_comment_then_resubmit_then_approve(issued, world, alice, bob):
    declaration = submit(world.housing, issued, bob)
    with pytest.raises(ValidationError):
        services.review_declaration(alice, declaration, approve=False, comment="")
    services.review_declaration(alice, declaration, approve=False, comment="请补充活动地点。")
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.RETURNED
    note = Notification.objects.filter(org=world.housing, title__startswith="申报被退回").get()
    assert "请补充活动地点" in note.body
    services.save_declaration(
        bob, declaration, CONTACT, [good_row(theme="改后的主题")], submit=True
    )
    services.review_declaration(alice, Declaration.objects.get(pk=declaration.pk), approve=True)
    actions = list(declaration.events.values_list("action", flat=True))
    assert actions == ["submitted", "returned", "submitted", "approved"]
    assert AuditEntry.objects.filter(action="declaration.returned", org=world.housing).exists()


def test_the_declaration_page_keeps_what_was_typed(client, issued, world, bob):
    client.force_login(bob)
    url = f"/staff/campaigns/{issued.pk}/declare/{world.housing.pk}/"
    response = client.post(url, {
        "contact_name": "张三", "contact_phone": "0731-84390000", "row0-theme": "我的主题",
        "row0-month": "6", "row0-activity_forms": ["现场观摩"], "row0-intro": "短", "submit": "1",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "活动简介至少 30 个字" in page and 'value="我的主题"' in page
    assert Declaration.objects.get(campaign=issued, unit=world.housing).status == "draft"


def test_a_unit_cannot_declare_for_another(client, issued, world, bob):
    client.force_login(bob)
    assert client.get(f"/staff/campaigns/{issued.pk}/declare/{world.street.pk}/").status_code == 403


# --- The xlsx 申报表 ----------------------------------------------------------------------


def _fill_template(data, theme="社区养老服务开放体验", month="6月", forms="现场观摩、问卷调查",
                   intro="邀请老年人代表和家属参观社区养老服务中心，体验助餐、助浴等服务，并开展问卷调查。"):  # fmt: skip
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    ws["C2"] = "联系人：李四"
    ws["E2"] = "联系电话：0731-84391234"
    ws["B4"], ws["C4"], ws["D4"], ws["E4"] = theme, month, forms, intro
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_xlsx_template_round_trips(issued, world):
    data = workbooks.declaration_template(issued, world.housing)
    parsed = workbooks.parse_declaration(issued, _fill_template(data))
    assert parsed.errors == []
    fields, rows = parsed.details["fields"], parsed.details["rows"]
    assert fields["contact_name"] == "李四" and fields["contact_phone"] == "0731-84391234"
    assert rows[0]["month"] == 6 and rows[0]["forms"] == ["现场观摩", "问卷调查"]


def test_a_bad_upload_lists_every_problem_and_saves_nothing(client, issued, world, bob):
    data = _fill_template(workbooks.declaration_template(issued, world.housing), month="二月",
                          forms="游园", intro="短")  # fmt: skip
    client.force_login(bob)
    upload = io.BytesIO(data)
    upload.name = "申报表.xlsx"
    response = client.post(f"/staff/campaigns/{issued.pk}/declare/{world.housing.pk}/",
                           {"upload": "1", "file": upload})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400 and "文件未读入" in page and "第 4 行" in page
    for words in ("须在 4—11 月之间", "游园", "活动简介至少 30 个字"):
        assert words in page
    # What the file said is shown in the form, so nothing typed is lost.
    assert "社区养老服务开放体验" in page
    assert not Declaration.objects.get(campaign=issued, unit=world.housing).rows.exists()


def test_a_good_upload_becomes_a_draft(client, issued, world, bob):
    client.force_login(bob)
    upload = io.BytesIO(_fill_template(workbooks.declaration_template(issued, world.housing)))
    upload.name = "申报表.xlsx"
    client.post(
        f"/staff/campaigns/{issued.pk}/declare/{world.housing.pk}/", {"upload": "1", "file": upload}
    )
    declaration = Declaration.objects.get(campaign=issued, unit=world.housing)
    assert declaration.status == "draft" and declaration.rows.get().theme == "社区养老服务开放体验"


def _sheet(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(workbooks.PLAN_HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


INTRO = "邀请人大代表、政协委员和市民代表参加，现场介绍工作举措并座谈交流，收集意见建议。"


def test_importing_a_sheet_is_all_or_nothing(issued, alice):
    bad = _sheet([
        [1, "开福区财政局", "预算公开开放日", "6月", "座谈交流", INTRO, "王五", "0731-84390001"],
        [2, "不存在的单位", "主题", "6月", "座谈交流", INTRO, "", ""],
        [3, "开福区教育局", "招生政策解读", "13月", "政策发布", INTRO, "", "0731-84390002"],
    ])  # fmt: skip
    result = workbooks.import_sheet(alice, issued, bad)
    errors, count = result.errors, result.created + result.updated
    assert count == 0 and {e.row for e in errors} == {3, 4}
    assert not Declaration.objects.filter(campaign=issued).exclude(status="draft").exists()
    good = _sheet([
        [1, "开福区财政局", "预算公开开放日", "6月", "座谈交流", INTRO, "王五", "0731-84390001"],
        [2, "开福区教育局", "招生政策解读", "5月", "政策发布", INTRO, "赵六", "0731-84390002"],
    ])  # fmt: skip
    result = workbooks.import_sheet(alice, issued, good)
    errors, count = result.errors, result.created + result.updated
    assert errors == [] and count == 2
    assert Declaration.objects.filter(campaign=issued, status="submitted").count() == 2
    assert DeclarationEvent.objects.filter(action="imported").count() == 2


# --- Reminders ---------------------------------------------------------------------------


def test_reminders_go_once_a_day_to_units_that_have_not_declared(
    issued, world, alice, bob, settings
):
    settings.OPENDAY_SENDER = "openday.messaging.senders.MemorySender"
    MemorySender.outbox.clear()
    Org.objects.filter(pk=world.street.pk).update(email="sifangping@example.com")
    submit(world.housing, issued, bob)
    sent = services.remind_units(alice, issued)
    units = {u.name for u in sent}
    assert "开福区住房和城乡建设局" not in units and "四方坪街道" in units
    assert services.remind_units(alice, issued) == []  # the second click today sends nothing
    assert Reminder.objects.filter(campaign=issued, unit=world.street).count() == 1
    message = OutboundMessage.objects.get(channel="email")
    from openday.messaging.services import deliver_all_due

    assert deliver_all_due() >= 1 and deliver_all_due() == 0  # sent once
    message.refresh_from_db()
    assert message.status == "sent"
    assert MemorySender.outbox[0]["to"] == "sifangping@example.com"
    assert "申报截止日期" in MemorySender.outbox[0]["body"]


def test_automatic_reminders_start_within_the_reminder_days(issued, world):
    assert services.send_due_reminders() == 0  # ten days before the deadline
    Campaign.objects.filter(pk=issued.pk).update(
        declaration_deadline=timezone.localdate() + timedelta(days=2)
    )
    assert services.send_due_reminders() == len(services.units_of(issued))
    assert services.send_due_reminders() == 0


def test_the_board_shows_every_unit_and_its_state(client, issued, world, alice, bob):
    submit(world.housing, issued, bob)
    services.save_declaration(
        alice, services.declaration_for(issued, world.street), {}, [good_row()]
    )
    rows = {r["unit"].name: r for r in services.board(issued)}
    assert len(rows) == len(services.units_of(issued))
    assert rows["开福区住房和城乡建设局"]["state"] == "submitted"
    assert rows["四方坪街道"]["state"] == "draft" and rows["开福区财政局"]["state"] == "not_started"
    client.force_login(alice)
    page = client.get(f"/staff/campaigns/{issued.pk}/board/?state=not_started").content.decode()
    assert "开福区财政局" in page and "开福区住房和城乡建设局" not in page


# --- The plan ----------------------------------------------------------------------------


def approved_plan(issued, world, alice):
    units = list(services.units_of(issued))[:12]
    for i, unit in enumerate(units):
        declaration = submit(unit, issued, alice, month=6 if i < 8 else 9,
                             topic_area=["品质城市", "民生实事"][i % 2])  # fmt: skip
        services.review_declaration(alice, declaration, approve=True)
    return services.generate_plan(alice, issued)


def test_the_plan_keeps_the_rules_and_says_why_not(issued, world, alice):
    plan = approved_plan(issued, world, alice)
    entries = list(issued.plan_entries.all())
    assert len(entries) == 12
    capacity = plan.month_capacity
    months = [e.month for e in entries]
    assert max(months.count(m) for m in set(months)) <= capacity
    moved = [e for e in entries if e.month != e.requested_month]
    assert all(e.problems for e in moved)
    assert all("6月" in e.problems[0] for e in moved if e.requested_month == 6)


def test_a_hand_move_stays_when_the_plan_is_regenerated(issued, world, alice):
    approved_plan(issued, world, alice)
    entry = issued.plan_entries.first()
    monday = date.fromisoformat(f"{NEXT_YEAR}-11-01")
    monday -= timedelta(days=monday.weekday())
    monday += timedelta(days=7)
    services.move_entry(alice, entry, monday)
    services.generate_plan(alice, issued)
    entry.refresh_from_db()
    assert entry.pinned and entry.week == monday and entry.month == 11
    with pytest.raises(ValidationError):
        services.move_entry(alice, entry, date(NEXT_YEAR, 1, 2))


def test_publishing_shows_the_plan_on_the_portal_and_in_the_api(client, issued, world, alice):
    with pytest.raises(ValidationError):
        services.publish_plan(alice, issued)
    approved_plan(issued, world, alice)
    assert client.get(f"/api/v1/campaigns/{issued.pk}/plan").status_code == 404
    services.publish_plan(alice, issued)
    page = client.get(f"/campaigns/{issued.pk}/").content.decode()
    entry = issued.plan_entries.select_related("unit").first()
    assert entry.theme in page and "活动计划" in page
    rows = client.get(f"/api/v1/campaigns/{issued.pk}/plan").json()
    assert len(rows) == 12 and rows[0]["seq"] == 1 and "contact_phone" not in rows[0]
    listed = client.get("/api/v1/campaigns").json()
    assert [c["id"] for c in listed] == [issued.pk] and listed[0]["plan_published"] is True
    xlsx = client.get(f"/api/v1/campaigns/{issued.pk}/plan.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in ws[2]] == workbooks.PLAN_HEADERS
    assert ws.max_row == 2 + 12


def test_plan_exports_in_the_official_forms(client, issued, world, alice):
    import docx

    approved_plan(issued, world, alice)
    client.force_login(alice)
    ws = load_workbook(
        io.BytesIO(client.get(f"/staff/campaigns/{issued.pk}/plan.xlsx").content)
    ).active
    assert ws.cell(row=3, column=8).value == "0731-84390000"
    document = docx.Document(
        io.BytesIO(client.get(f"/staff/campaigns/{issued.pk}/plan.docx").content)
    )
    assert len(document.tables[0].rows) == 1 + 12
    section = document.sections[-1]
    assert section.page_width > section.page_height


def test_an_upper_office_sees_a_roll_up(world, issued, alice, client):
    ops = world.users["operator"]
    city = world.kaifu.parent
    Org.objects.filter(pk=city.pk).update(doc_code="长政务公开办发")
    city.refresh_from_db()
    upper = services.create_campaign(
        ops, city, **services.preset_fields("theme_day", city, NEXT_YEAR)
    )
    services.update_campaign(alice, issued, parent=upper)
    client.force_login(ops)
    page = client.get(f"/staff/campaigns/{upper.pk}/").content.decode()
    assert "下级活动汇总" in page and issued.title in page


def test_a_campaign_parent_must_be_the_upper_offices(world, issued, alice):
    other = services.create_campaign(world.users["operator"], world.naiman,
                                     **services.preset_fields("open_day", world.naiman, NEXT_YEAR))  # fmt: skip
    with pytest.raises(ValidationError, match="上级政务公开办"):
        services.update_campaign(alice, issued, parent=other)


def test_plan_entries_are_ordered_by_time(issued, world, alice):
    approved_plan(issued, world, alice)
    weeks = list(PlanEntry.objects.filter(campaign=issued).values_list("week", flat=True))
    assert weeks == sorted(weeks)


def test_units_do_not_see_a_draft(client, campaign, world, bob, alice):
    client.force_login(bob)
    assert client.get(f"/staff/campaigns/{campaign.pk}/").status_code == 403
    assert campaign.title not in client.get("/staff/campaigns/").content.decode()
    services.issue_notice(alice, campaign)
    assert client.get(f"/staff/campaigns/{campaign.pk}/").status_code == 200


def test_opening_the_declaration_page_creates_nothing(client, issued, world, bob):
    client.force_login(bob)
    assert (
        client.get(f"/staff/campaigns/{issued.pk}/declare/{world.housing.pk}/").status_code == 200
    )
    assert not Declaration.objects.filter(campaign=issued).exists()


def test_the_doc_number_uses_the_year_of_issue(campaign, alice):
    issued = services.issue_notice(alice, campaign)
    year = timezone.localdate().year
    assert issued.doc_number == f"开政务公开办发〔{year}〕1号" and issued.year == year + 1


def test_the_month_cap_can_go_back_to_automatic(issued, world, alice):
    approved_plan(issued, world, alice)
    assert services.generate_plan(alice, issued, month_capacity=2).month_capacity == 2
    assert services.generate_plan(alice, issued).month_capacity == 2  # default for 12 items
    issued.refresh_from_db()
    assert issued.month_capacity is None
    plan = services.generate_plan(alice, issued, month_capacity=5)
    assert plan.month_capacity == 5


def test_an_import_without_contact_columns_uses_the_units_contact(issued, alice, world):
    Org.objects.filter(pk=world.housing.pk).update(
        contact_name="住建办", contact_phone="0731-84390111"
    )
    wb = Workbook()
    ws = wb.active
    ws.append(["单位", "活动主题", "活动时间（月份）", "活动形式", "活动简介"])
    ws.append(["开福区住房和城乡建设局", "老旧小区改造", "6月", "现场观摩", INTRO])
    ws.append(["开福区财政局", "预算公开", "6月", "座谈交流", INTRO])
    buf = io.BytesIO()
    wb.save(buf)
    result = workbooks.import_sheet(alice, issued, buf.getvalue())
    errors, count = result.errors, result.created + result.updated
    assert count == 0 and {e.row for e in errors} == {3}
    assert all(e.reason.startswith("开福区财政局：请填写联系") for e in errors)
    Org.objects.filter(name="开福区财政局").update(
        contact_name="财政办", contact_phone="0731-84390222"
    )
    result = workbooks.import_sheet(alice, issued, buf.getvalue())
    errors, count = result.errors, result.created + result.updated
    assert errors == [] and count == 2


def _png():
    import segno

    buf = io.BytesIO()
    segno.make_qr("开放日").save(buf, kind="png", scale=4)
    return buf.getvalue()


PNG = _png()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_campaign_logo_is_uploaded_checked_and_shown(
    client, media, campaign, world, alice, bob
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    url = f"/staff/campaigns/{campaign.pk}/logo/"
    client.post(url, {"logo": SimpleUploadedFile("logo.png", b"GIF89a not a png")})
    client.post(url, {"logo": SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n broken")})
    campaign.refresh_from_db()
    assert not campaign.logo
    client.post(url, {"logo": SimpleUploadedFile("logo.png", PNG)})
    campaign.refresh_from_db()
    assert campaign.logo.name.endswith(".png")
    # A draft's LOGO is for its office only; once issued, for everyone.
    client.logout()
    assert client.get(f"/campaigns/{campaign.pk}/logo").status_code == 404
    services.issue_notice(alice, campaign)
    response = client.get(f"/campaigns/{campaign.pk}/logo")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == PNG
    assert (
        f"/campaigns/{campaign.pk}/logo"
        in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    )
    # Units cannot change it.
    client.force_login(bob)
    assert client.post(url, {"remove": "1"}).status_code == 403
    client.force_login(alice)
    client.post(url, {"remove": "1"})
    campaign.refresh_from_db()
    assert not campaign.logo
    assert (
        AuditEntry.objects.filter(action="campaign.updated", changes__has_key="logo").count() == 2
    )


def test_the_logo_goes_on_the_banner_and_the_sign_in_sheet(client, media, issued, world, alice):
    import docx

    from openday.campaigns.logo import set_logo
    from openday.events import services as events

    set_logo(alice, issued, PNG)
    start = timezone.now() + timedelta(days=2)
    event = events.create_event(
        world.users["unit_admin"], world.housing, campaign=issued,
        title=f"开福区住房和城乡建设局{issued.year}年“政务公开主题日”活动",
        starts_at=start, ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5,
    )  # fmt: skip
    client.force_login(world.users["unit_admin"])
    banner = client.get(f"/staff/events/{event.pk}/banner.svg").content.decode()
    assert "data:image/png;base64," in banner
    sheet = docx.Document(io.BytesIO(client.get(f"/staff/events/{event.pk}/signin.docx").content))
    assert len(sheet.inline_shapes) == 1
