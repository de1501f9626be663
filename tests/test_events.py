from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openday.accounts.services import create_token
from openday.audit.models import AuditEntry
from openday.campaigns import services as campaigns
from openday.events import services
from openday.events.models import Event, Registration
from openday.messaging.models import OutboundMessage


def make_event(world, *, capacity=3, quotas=None, mode="open", waitlist=5, publish=True,
               title="开福区住房和城乡建设局测试活动", **extra):  # fmt: skip
    start = timezone.now() + timedelta(days=7)
    extra.setdefault("venues", [{"name": "项目现场", "address": "开福区"}])
    return services.create_event(
        world.users["unit_admin"], world.housing, title=title,
        starts_at=start, ends_at=start + timedelta(hours=2), capacity=capacity,
        quotas=quotas if quotas is not None else {"public": 2, "deputy": 1},
        registration_mode=mode, waitlist_limit=waitlist, publish=publish, **extra,
    )  # fmt: skip


def reg(event, n, category="public", **extra):
    return services.register(event.pk, name=f"群众{n}", phone=f"1390000{n:04d}", category=category,
                             consent=True, **extra)  # fmt: skip


def test_the_title_must_follow_the_campaign_rule(world):
    fields = campaigns.preset_fields("theme_day", world.kaifu, 2023)
    campaign = campaigns.create_campaign(world.users["kf_office"], world.kaifu, **fields)
    with pytest.raises(ValidationError) as exc:
        make_event(world, campaign=campaign, title="开福区住房和城乡建设局政务服务开放日")
    assert "政务服务开放日" in exc.value.message_dict["title"][0]
    event = make_event(world, campaign=campaign,
                       title="开福区住房和城乡建设局2023年“政务公开主题日”活动暨老旧小区改造现场观摩")  # fmt: skip
    assert event.status == Event.Status.OPEN


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"capacity": 0}, "capacity", "至少为 1"),
        ({"quotas": {"public": 5}}, "quotas", "超过了总名额"),
        ({"quotas": {"alien": 1}}, "quotas", "未知的参加人类别"),
        ({"venues": []}, "venues", "至少填写一个活动地点"),
    ],
)
def test_bad_event_settings_are_explained(world, change, field, words):
    with pytest.raises(ValidationError) as exc:
        make_event(world, **change)
    assert words in exc.value.message_dict[field][0]


def test_seats_and_quotas_then_the_waitlist(world):
    event = make_event(world)  # capacity 3: public 2, deputy 1
    assert [reg(event, i).status for i in range(3)] == ["confirmed", "confirmed", "waitlisted"]
    assert reg(event, 10, "deputy").status == "confirmed"
    categories = {c["code"]: c for c in services.categories(event)}
    assert categories["public"]["left"] == 0 and categories["deputy"]["left"] == 0
    assert services.seats_left(event) == 0
    # A category the event does not invite is refused with the list of invited ones.
    with pytest.raises(ValidationError, match="人大代表"):
        reg(event, 11, "media")


def test_a_full_waitlist_refuses_with_the_reason(world):
    event = make_event(world, capacity=1, quotas={}, waitlist=1)
    reg(event, 1)
    assert reg(event, 2).status == "waitlisted"
    with pytest.raises(services.Refused) as exc:
        reg(event, 3)
    assert exc.value.code == "full" and "候补也已满" in exc.value.message


def test_a_registration_is_decided_and_audited_alike_on_every_database(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import connection

    calls = []
    real = services._seat_pg
    monkeypatch.setattr(services, "_seat_pg", lambda *a, **k: calls.append(1) or real(*a, **k))
    event = make_event(world, capacity=1, quotas={}, waitlist=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = reg(event, 1, actor=world.users["unit_admin"])
        second = reg(event, 2)
    # PostgreSQL decides in one database function; SQLite locks and recounts in Python.
    assert len(calls) == (2 if connection.vendor == "postgresql" else 0)
    assert Registration.objects.get(pk=first.pk).status == first.status == "confirmed"
    assert Registration.objects.get(pk=second.pk).status == "waitlisted"
    entry = AuditEntry.objects.get(action="registration.created", object_id=str(first.pk))
    assert entry.actor == world.users["unit_admin"]
    assert entry.object_type == "events.registration"
    assert entry.object_label == f"群**（{event.pk}号活动）"
    assert entry.org == world.housing and entry.org_path == world.housing.path
    assert entry.changes == {"status": [None, "confirmed"], "source": "online"}
    assert AuditEntry.objects.get(object_id=str(second.pk)).changes["status"] == [
        None, "waitlisted"]  # fmt: skip
    # The confirmation SMS is recorded once, for the confirmed registration only.
    from openday.lib.personal_data import decrypt

    sms = OutboundMessage.objects.get(body__contains=first.ticket_code)
    assert decrypt(sms.to_encrypted) == "13900000001" and sms.to_masked == "139****0001"
    assert not OutboundMessage.objects.filter(body__contains=second.ticket_code).exists()
    with pytest.raises(services.Refused) as exc:
        reg(event, 3)
    assert exc.value.code == "full"
    Event.objects.filter(pk=event.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )
    services._forget_full(event.pk)
    services.cancel(second.ticket_code)
    with pytest.raises(services.Refused, match="报名已截止"):
        reg(event, 4)


def test_the_same_phone_cannot_register_twice(world):
    event = make_event(world)
    reg(event, 1)
    with pytest.raises(services.Refused) as exc:
        services.register(event.pk, name="另一个名字", phone="139 0000 0001", category="public",
                          consent=True)  # fmt: skip
    assert exc.value.code == "duplicate"
    assert Registration.objects.filter(event=event).count() == 1


def test_cancelling_promotes_the_first_who_fits_and_tells_them(
    world, django_capture_on_commit_callbacks
):
    event = make_event(world)
    first, _second = reg(event, 1), reg(event, 2)
    waiting = reg(event, 3)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled, promoted = services.cancel(first.ticket_code)
    assert cancelled.status == "cancelled" and [p.pk for p in promoted] == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert services.cancel(first.ticket_code)[1] == []  # repeating changes nothing
    texts = list(OutboundMessage.objects.values_list("body", flat=True))
    assert any("已有空位" in t for t in texts)
    assert AuditEntry.objects.filter(action="registration.promoted").count() == 1


def test_input_is_checked_in_chinese(world):
    event = make_event(world)
    with pytest.raises(ValidationError) as exc:
        services.register(event.pk, name="", phone="12345", category="public", consent=False)
    errors = exc.value.message_dict
    assert "请填写姓名" in errors["name"][0] and "手机号格式不正确" in errors["phone"][0]
    assert "同意个人信息告知" in errors["consent"][0]


def test_draft_and_invitation_only_events_refuse_online_registration(world):
    draft = make_event(world, publish=False)
    with pytest.raises(services.Refused) as exc:
        reg(draft, 1)
    assert exc.value.code == "not_found"  # the public does not know a draft
    invited = make_event(world, mode="invitation")
    with pytest.raises(services.Refused, match="仅限受邀"):
        reg(invited, 1)
    # Staff may still register people who phone in.
    assert reg(invited, 2, source=Registration.Source.STAFF).status == "confirmed"


def test_approval_mode_holds_registrations_until_reviewed(world):
    event = make_event(world, mode="approval", capacity=1, quotas={})
    a, b = reg(event, 1), reg(event, 2)
    assert a.status == b.status == "pending"
    assert services.review(world.users["unit_admin"], a, approve=True).status == "confirmed"
    assert services.review(world.users["unit_admin"], b, approve=True).status == "waitlisted"
    with pytest.raises(ValidationError):
        services.review(world.users["unit_admin"], a, approve=False)


def test_check_in_counts_once(world):
    event = make_event(world)
    r = reg(event, 1)
    staff = world.users["unit_staff"]
    assert services.check_in(staff, event, r.ticket_code.lower()).checked_in_at is not None
    with pytest.raises(services.AlreadyCheckedIn):
        services.check_in(staff, event, r.ticket_code)
    waiting = [reg(event, i) for i in (2, 3)][-1]
    with pytest.raises(services.Refused, match="候补"):
        services.check_in(staff, event, waiting.ticket_code)
    with pytest.raises(services.Refused):
        services.cancel(r.ticket_code)
    assert services.counters(event) == [
        {"name": "普通群众", "category": "public", "registered": 2, "arrived": 1}
    ]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, 11), st.sampled_from(["public", "deputy"])),
        st.tuples(st.just("cancel"), st.integers(0, 11), st.just("")),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, capacity=st.integers(1, 5), public_quota=st.integers(0, 4))
def test_no_sequence_of_registrations_and_cancellations_breaks_the_rules(world, ops, capacity,
                                                                        public_quota):  # fmt: skip
    public_quota = min(public_quota, capacity)
    event = make_event(world, capacity=capacity, quotas={"public": public_quota,
                       "deputy": capacity - public_quota}, waitlist=3)  # fmt: skip
    tickets = {}
    for op, n, category in ops:
        if op == "register":
            try:
                tickets[n] = reg(event, n, category).ticket_code
            except services.Refused as exc:
                assert exc.code in ("duplicate", "full", "quota_full")
            except ValidationError:
                # A category with no seats is not invited at all.
                assert (public_quota if category == "public" else capacity - public_quota) == 0
        elif n in tickets:
            services.cancel(tickets[n])
        active = Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
        confirmed = active.filter(status="confirmed")
        assert confirmed.count() <= capacity
        assert confirmed.filter(category="public").count() <= public_quota
        assert confirmed.filter(category="deputy").count() <= capacity - public_quota
        assert active.filter(status="waitlisted").count() <= 3
        # Nobody waits for a seat they could have: the waitlist is always tight.
        for waiting in active.filter(status="waitlisted"):
            quota = public_quota if waiting.category == "public" else capacity - public_quota
            assert (
                confirmed.count() >= capacity
                or confirmed.filter(category=waiting.category).count() >= quota
            )
        phones = list(active.values_list("phone_hash", flat=True))
        assert len(phones) == len(set(phones))


# --- Pages and API -----------------------------------------------------------------------


def test_the_public_registers_on_the_event_page_and_gets_a_ticket(client, world):
    event = make_event(world)
    url = f"/events/{event.pk}/"
    page = client.get(url).content.decode()
    assert "个人信息告知" in page and "普通群众（余 2 个名额）" in page
    bad = client.post(url, {"name": "王五", "phone": "13900001234", "category": "public"})
    assert bad.status_code == 400 and "同意个人信息告知" in bad.content.decode()
    assert 'value="王五"' in bad.content.decode()
    response = client.post(url, {"name": "王五", "phone": "13900001234", "category": "public",
                                 "consent": "on"})  # fmt: skip
    r = Registration.objects.get(event=event)
    assert response["Location"] == f"/tickets/{r.ticket_code}/"
    ticket = client.get(response["Location"]).content.decode()
    assert "报名成功" in ticket and "<svg" in ticket and r.ticket_code in ticket
    assert "王*" in ticket and "139****1234" in ticket and "13900001234" not in ticket
    client.post(f"/tickets/{r.ticket_code}/cancel/")
    r.refresh_from_db()
    assert r.status == "cancelled"


def _auth(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_the_registration_api_contract(client, world):
    event = make_event(world, capacity=2, quotas={"public": 1, "deputy": 1}, waitlist=0)
    detail = client.get(f"/api/v1/events/{event.pk}").json()
    assert detail["capacity"] == 2 and detail["seats_left"] == 2
    assert {c["code"]: c["left"] for c in detail["categories"]} == {"public": 1, "deputy": 1}
    url = f"/api/v1/events/{event.pk}/registrations"
    body = {"name": "张三", "phone": "13900000001", "category": "public", "consent": True}
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "confirmed"
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"
    full = client.post(url, {**body, "phone": "13900000002"}, content_type="application/json")
    assert full.status_code == 409 and full.json()["error"]["code"] == "quota_full"
    invalid = client.post(url, {**body, "phone": "1"}, content_type="application/json")
    assert invalid.status_code == 422 and invalid.json()["error"]["details"][0]["field"] == "phone"
    ticket = created.json()["ticket_code"]
    cancelled = client.delete(f"/api/v1/registrations/{ticket}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.delete("/api/v1/registrations/NOPE").status_code == 404


def test_staff_create_events_list_registrations_and_check_in_by_api(client, world):
    _t, raw = create_token(world.users["unit_admin"])
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    payload = {"title": "住建局开放日", "unit_id": world.housing.pk, "starts_at": start.isoformat(),
               "ends_at": (start + timedelta(hours=2)).isoformat(), "venue": "项目现场",
               "capacity": 10, "quotas": {"public": 8}, "registration_mode": "open", "publish": True}  # fmt: skip
    created = client.post(
        "/api/v1/events", payload, content_type="application/json", headers=_auth(raw)
    )
    assert created.status_code == 201 and created.json()["status"] == "open"
    event_id = created.json()["id"]
    other = client.post("/api/v1/events", {**payload, "unit_id": world.street.pk},
                        content_type="application/json", headers=_auth(raw))  # fmt: skip
    assert other.status_code == 403
    r = services.register(
        event_id, name="李四", phone="13900000009", category="public", consent=True
    )
    listed = client.get(f"/api/v1/events/{event_id}/registrations", headers=_auth(raw)).json()
    assert listed[0]["name"] == "李*" and listed[0]["phone"] == "139****0009"
    url = f"/api/v1/events/{event_id}/checkins"
    first = client.post(url, {"ticket_code": r.ticket_code}, content_type="application/json",
                        headers=_auth(raw))  # fmt: skip
    second = client.post(url, {"ticket_code": r.ticket_code}, content_type="application/json",
                         headers=_auth(raw))  # fmt: skip
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_checked_in"
    _t, outsider = create_token(world.users["nm_office"])
    assert client.get(f"/api/v1/events/{event_id}/registrations",
                      headers=_auth(outsider)).status_code == 403  # fmt: skip


def test_staff_pages_walk_in_and_check_in(client, world):
    event = make_event(world)
    client.force_login(world.users["unit_staff"])
    client.post(f"/staff/events/{event.pk}/walkin/", {"name": "赵六", "phone": "13900000077",
                                                      "category": "public", "consent": "on"})  # fmt: skip
    r = Registration.objects.get(event=event)
    assert r.source == "staff" and r.status == "confirmed"
    found = client.get(f"/staff/events/{event.pk}/checkin/", {"q": "0077"}).content.decode()
    assert "赵*" in found and "13900000077" not in found
    client.post(f"/staff/events/{event.pk}/checkin/", {"ticket_code": r.ticket_code})
    r.refresh_from_db()
    assert r.checked_in_at is not None and r.checked_in_by == world.users["unit_staff"]


def test_a_reminder_goes_the_day_before_once(world, django_capture_on_commit_callbacks):
    start = timezone.now() + timedelta(hours=20)
    event = services.create_event(
        world.users["unit_admin"], world.housing, title="明天的活动", starts_at=start,
        ends_at=start + timedelta(hours=2), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    reg(event, 1)
    later = make_event(world)  # a week away: not yet
    reg(later, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_day_before_reminders() == 1
        assert services.send_day_before_reminders() == 0
    body = OutboundMessage.objects.filter(body__startswith="提醒").get().body
    assert "明天的活动" in body and "会场" in body


def test_paper_for_the_day(client, world):
    import io

    import docx
    from openpyxl import load_workbook

    event = make_event(world)
    r = reg(event, 1)
    services.check_in(world.users["unit_staff"], event, r.ticket_code)
    client.force_login(world.users["unit_staff"])
    ws = load_workbook(
        io.BytesIO(client.get(f"/staff/events/{event.pk}/signin.xlsx").content)
    ).active
    assert [c.value for c in ws[3]] == [
        "序号",
        "姓名",
        "类别",
        "单位/职务",
        "手机号后四位",
        "签到时间",
        "签名",
    ]
    assert ws.cell(row=4, column=2).value == "群众1" and ws.cell(row=4, column=5).value == "0001"
    table = docx.Document(
        io.BytesIO(client.get(f"/staff/events/{event.pk}/signin.docx").content)
    ).tables[0]
    assert table.rows[1].cells[1].text == "群众1"
    cards = docx.Document(io.BytesIO(client.get(f"/staff/events/{event.pk}/cards.docx").content))
    assert "群众1" in [p.text for p in cards.paragraphs]


def test_more_seats_go_to_the_waitlist_before_newcomers(world):
    event = make_event(world, capacity=1, quotas={})
    reg(event, 1)
    waiting = reg(event, 2)
    services.update_event(world.users["unit_admin"], event, capacity=2, quotas={})
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_nothing_is_cancelled_after_the_event_is_held(world):
    event = make_event(world)
    r = reg(event, 1)
    services.set_status(world.users["unit_admin"], event, Event.Status.HELD)
    with pytest.raises(services.Refused, match="已举办"):
        services.cancel(r.ticket_code)


def test_a_plan_entry_makes_one_event(client, world, alice):
    from openday.campaigns.models import PlanEntry
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    entry = PlanEntry.objects.filter(unit=world.housing).first()
    client.force_login(world.users["unit_admin"])
    page = client.get("/staff/events/new/", {"plan_entry": entry.pk}).content.decode()
    assert "开福区住房和城乡建设局2023年“政务公开主题日”活动" in page
    event = services.create_event(
        world.users["unit_admin"], world.housing, title="开福区住房和城乡建设局2023年“政务公开主题日”活动",
        starts_at=timezone.now() + timedelta(days=2), ends_at=timezone.now() + timedelta(days=2, hours=1),
        venues=[{"name": "会场"}], capacity=5, campaign=entry.campaign, plan_entry=entry,
    )  # fmt: skip
    again = client.get("/staff/events/new/", {"plan_entry": entry.pk})
    assert again.status_code == 302 and again["Location"] == f"/staff/events/{event.pk}/"


def test_invitations_import_send_accept_and_decline(
    client, world, django_capture_on_commit_callbacks
):
    import io

    from openpyxl import Workbook

    from openday.events import invitations
    from openday.events.models import Invitation

    event = make_event(world, mode="invitation", capacity=4, quotas={"deputy": 2, "public": 2})
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "类别", "单位/职务"])
    ws.append(["王代表", "13900000101", "人大代表", "区人大代表"])
    ws.append(["李群众", "13900000102", "普通群众", ""])
    ws.append(["坏行", "123", "外宾", ""])
    ws.append(["重复", "13900000101", "普通群众", ""])
    buf = io.BytesIO()
    wb.save(buf)
    result = invitations.import_invitees(None, event, buf.getvalue())
    errors, count = result.errors, result.created
    assert count == 0 and [e.row for e in errors] == [4, 5]
    assert "格式不正确" in errors[0].reason and "外宾" in errors[0].reason
    assert "第 2 行" in errors[1].reason
    ws.delete_rows(4, 2)
    buf = io.BytesIO()
    wb.save(buf)
    result = invitations.import_invitees(None, event, buf.getvalue())
    assert (result.errors, result.created) == ([], 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.send(None, event, "http://testserver") == 2
        assert invitations.send(None, event, "http://testserver") == 0
    from openday.messaging.models import OutboundMessage

    assert OutboundMessage.objects.filter(body__contains="?invite=").count() == 2
    wang = Invitation.objects.get(name="王代表")
    # Without the code an invitation-only event refuses; with it the guest registers as invited.
    with pytest.raises(services.Refused):
        reg(event, 7)
    r = services.register(event.pk, name="王代表", phone="13900000101", category="public",
                          consent=True, invitation_code=wang.code.lower())  # fmt: skip
    wang.refresh_from_db()
    assert r.category == "deputy" and wang.status == "accepted" and wang.registration == r
    li = Invitation.objects.get(name="李群众")
    page = client.get(f"/events/{event.pk}/", {"invite": li.code}).content.decode()
    assert 'value="李群众"' in page and "谢绝邀请" in page
    client.post(f"/invitations/{li.code}/decline/")
    li.refresh_from_db()
    assert li.status == "declined"
    assert invitations.remind(None, event, "http://testserver") == 0  # nobody left unanswered
    client.force_login(world.users["unit_admin"])
    letters = client.get(f"/staff/events/{event.pk}/invitations/", {"letters": "1"})
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(letters.content)).paragraphs)
    assert "尊敬的王代表" in text and "邀 请 函" in text


def test_a_sold_out_answer_is_cached_until_a_seat_comes_back(world):
    from django.core.cache import cache

    event = make_event(world, capacity=1, quotas={}, waitlist=0)
    first = reg(event, 1)
    with pytest.raises(services.Refused, match="名额已满"):
        reg(event, 2)
    assert cache.get(services._full_key(event.pk, "public"))
    # A retry from the registered phone is still told it is a duplicate, not "full".
    with pytest.raises(services.Refused) as exc:
        reg(event, 1)
    assert exc.value.code == "duplicate"
    # Bad input is still explained, not answered from the cache.
    with pytest.raises(ValidationError):
        services.register(event.pk, name="", phone="1", category="public", consent=True)
    services.cancel(first.ticket_code)
    assert reg(event, 3).status == "confirmed"


def test_the_banner_is_an_svg_with_the_title_and_details(client, world):
    from xml.etree import ElementTree

    event = make_event(
        world, title="开福区住房和城乡建设局2023年“政务公开主题日”活动暨<老旧小区>改造"
    )
    client.force_login(world.users["unit_admin"])
    response = client.get(f"/staff/events/{event.pk}/banner.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)  # well-formed: the title is escaped
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "开福区住房和城乡建设局2023年“政务公开主题日”活动" in texts
    assert "暨<老旧小区>改造" in texts and any("项目现场" in t for t in texts)


def test_personal_data_is_anonymized_after_the_retention_period(world, settings):
    from openday.events.models import Invitation

    settings.RETENTION_DAYS = 30
    event = make_event(world)
    people = [reg(event, i) for i in range(1, 4)]  # several registrants: the unique index holds
    statuses = [r.status for r in people]  # two confirmed, one waitlisted
    for i in range(3):
        Invitation.objects.create(
            event=event,
            name=f"王代表{i}",
            phone_encrypted="x",
            phone_hash=f"h{i}",
            category="deputy",
            code=f"INV{i}",
        )
    assert services.anonymize_past_events() == 0  # the event has not even happened
    later = event.ends_at + timedelta(days=31)
    assert services.anonymize_past_events(now=later, batch_size=2) == 1  # in batches of two
    for r, status in zip(people, statuses, strict=True):
        r.refresh_from_db()
        assert r.name == services.ANONYMIZED and r.phone == "" and r.phone_last4 == ""
        assert r.phone_hash == f"removed:{r.pk}"
        assert r.category == "public" and r.status == status  # the figures stay
    assert set(Invitation.objects.values_list("name", flat=True)) == {services.ANONYMIZED}
    assert not Invitation.objects.exclude(phone_encrypted="").exists()
    assert services.anonymize_past_events(now=later) == 0
    assert AuditEntry.objects.filter(action="event.personal_data_removed").count() == 1


def test_the_department_directory_is_entered_as_lines_and_shown_to_the_public(client, world):
    event = make_event(world)
    client.force_login(world.users["unit_admin"])
    from openday.events.forms import initial_from

    data = {k: v for k, v in initial_from(event).items() if v is not None}
    data.update(
        starts_at=event.starts_at.strftime("%Y-%m-%d %H:%M"),
        ends_at=event.ends_at.strftime("%Y-%m-%d %H:%M"),
        directory_text="党政综合办公室｜文电会务｜窗口受理｜政务公开｜一号窗口\n经济发展办公室|项目建设",
        quota_public=2, quota_deputy=1,
    )  # fmt: skip
    data.pop("registration_opens_at", None)
    data.pop("registration_closes_at", None)
    data.pop("activity_forms", None)
    response = client.post(f"/staff/events/{event.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.directory[0] == {"name": "党政综合办公室", "functions": "文电会务",
                                  "procedures": "窗口受理", "key_work": "政务公开",
                                  "contacts": "一号窗口"}  # fmt: skip
    assert event.directory[1]["functions"] == "项目建设"
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "参观部门介绍" in page and "经济发展办公室" in page


def test_the_api_does_not_know_a_draft_or_missing_event(client, world):
    draft = make_event(world, publish=False)
    body = {"name": "张三", "phone": "13900000001", "category": "public", "consent": True}
    for event_id in (draft.pk, 999999):
        response = client.post(f"/api/v1/events/{event_id}/registrations", body,
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
