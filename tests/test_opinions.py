"""The opinions loop's services: intake, look-up, the allowed moves, merge and split, reminders,
call-backs and the figures, checked against hand counts."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openday.audit.models import AuditEntry
from openday.messaging.models import Notification, OutboundMessage
from openday.opinions import figures
from openday.opinions import services as ops
from openday.opinions.models import Callback, Opinion

S = Opinion.Status


@pytest.fixture
def people(world):
    u = world.users
    return {"office": u["kf_office"], "admin": u["unit_admin"], "handler": u["handler"],
            "staff": u["unit_staff"]}  # fmt: skip


def new(world, people, text="小区门口路灯不亮，晚上出行不便。", **kw):
    kw.setdefault("source", Opinion.Source.FORUM)
    kw.setdefault("office", world.kaifu)
    return ops.submit_opinion(content=text, actor=people["staff"], **kw)


def test_intake_gives_a_tracking_code_and_masks_the_submitter(world, people):
    o = ops.submit_opinion(content=" 建议增加公交线路 ", source=Opinion.Source.ONLINE,
                           office=world.kaifu, name="王建国", phone="139 0731 0011",
                           consent=True, category="public")  # fmt: skip
    assert len(o.tracking_code) == 10 and o.status == S.NEW
    assert o.content == "建议增加公交线路" and o.phone == "13907310011"
    assert o.masked_name == "王**" and o.masked_phone == "139****0011"
    assert "13907310011" not in o.phone_encrypted
    assert AuditEntry.objects.filter(action="opinion.received", object_id=str(o.pk)).exists()
    assert Notification.objects.filter(org=world.kaifu, title="收到新的意见建议").exists()


def test_intake_refuses_with_reasons(world):
    with pytest.raises(ValidationError) as exc:
        ops.submit_opinion(content="", source=Opinion.Source.ONLINE, office=None,
                           phone="123", name="张三")  # fmt: skip
    assert set(exc.value.message_dict) == {"content", "phone", "consent", "office"}
    anonymous = ops.submit_opinion(content="匿名意见", source=Opinion.Source.API,
                                   office=world.kaifu, anonymous=True, name="张三",
                                   phone="13907310011")  # fmt: skip
    assert (anonymous.name, anonymous.phone_encrypted) == ("", "")
    assert anonymous.masked_name == "匿名"


def test_lookup_needs_code_and_phone_tail(world, people):
    o = new(world, people, name="李四", phone="13907310022")
    assert ops.lookup(o.tracking_code.lower(), "0022") == o
    assert ops.lookup(o.tracking_code, "0023") is None
    assert ops.lookup("ZZZZZZZZZZ", "0022") is None
    anonymous = new(world, people, anonymous=True)
    assert ops.lookup(anonymous.tracking_code, "") == anonymous
    assert ops.lookup(anonymous.tracking_code, "1234") is None


def test_the_whole_loop_and_its_audit_trail(world, people):
    o = new(world, people, name="王建国", phone="13907310011")
    with pytest.raises(ops.Refused):
        ops.answer(people["handler"], o, text="已处理", decision="adopted")
    ops.assign(people["office"], o, unit=world.housing, assignee=people["handler"],
               today=date(2023, 9, 28))  # fmt: skip
    # 15 working days from 2023-09-28 skip 国庆 (9-29..10-6) and count the make-up days 10-7, 10-8.
    assert o.status == S.ASSIGNED and o.due_date == date(2023, 10, 25) and not o.due_estimated
    with pytest.raises(ops.Refused):
        ops.publish_result(people["admin"], o)
    with pytest.raises(ValidationError) as exc:
        ops.answer(people["handler"], o, text="", decision="explained")
    assert exc.value.message_dict["answer"] == ["选择“解释说明”时，请写明未采纳的理由。"]
    ops.answer(people["handler"], o, text="已安排维修路灯。", decision="adopted")
    with pytest.raises(ValidationError):
        ops.review(people["admin"], o, approve=False)
    ops.review(people["admin"], o, approve=False, note="请写明维修时间")
    assert o.status == S.RETURNED
    ops.answer(people["handler"], o, text="已安排维修路灯，10月30日前修复。", decision="adopted")
    step = ops.add_step(
        people["handler"], o, description="更换路灯灯具", planned_date=date(2023, 10, 30)
    )
    ops.complete_step(people["handler"], step, done_date=date(2023, 10, 28))
    ops.review(people["admin"], o, approve=True, publish=True)
    assert o.status == S.PUBLISHED and o.published_at
    sms = OutboundMessage.objects.filter(channel="sms").latest("id")
    assert o.tracking_code in sms.body and sms.to_masked == "139****0011"
    ops.unpublish(people["admin"], o, reason="答复中有个人信息")
    assert o.status == S.APPROVED
    actions = list(AuditEntry.objects.filter(object_id=str(o.pk), object_type__contains="opinion")
                   .order_by("id").values_list("action", flat=True))  # fmt: skip
    assert actions == ["opinion.received", "opinion.assigned", "opinion.answered",
                       "opinion.returned", "opinion.answered", "opinion.step_added",
                       "opinion.step_done", "opinion.approved", "opinion.published",
                       "opinion.unpublished"]  # fmt: skip


def test_reassigning_needs_a_reason_and_a_person_of_the_unit(world, people):
    o = new(world, people)
    with pytest.raises(ValidationError) as exc:
        ops.assign(people["office"], o, unit=world.housing, assignee=world.users["town_handler"])
    assert "assignee" in exc.value.message_dict
    with pytest.raises(ValidationError):
        ops.assign(people["office"], o, unit=world.town)  # another office's tree
    ops.assign(people["office"], o, unit=world.housing)
    with pytest.raises(ValidationError) as exc:
        ops.assign(people["office"], o, unit=world.street)
    assert exc.value.message_dict == {"reason": ["改派时请写明原因。"]}
    ops.assign(people["office"], o, unit=world.street, reason="属于街道管理范围")
    assert o.unit == world.street
    assert AuditEntry.objects.get(action="opinion.reassigned").changes["原因"] == "属于街道管理范围"


def test_merge_tells_every_submitter_and_split_keeps_the_submitter(world, people):
    a = new(world, people, name="甲", phone="13907310001")
    b = new(world, people, text="同一盏路灯不亮", name="乙", phone="13907310002")
    ops.merge(people["office"], a, [b])
    b.refresh_from_db()
    assert b.status == S.MERGED and b.merged_into == a
    ops.assign(people["office"], a, unit=world.housing, assignee=people["handler"])
    ops.answer(people["handler"], a, text="已修复", decision="solved")
    ops.review(people["admin"], a, approve=True, publish=True)
    told = set(OutboundMessage.objects.filter(channel="sms").values_list("to_masked", flat=True))
    assert told == {"139****0001", "139****0002"}
    c = new(world, people, text="路灯不亮\n\n垃圾清运不及时", name="丙", phone="13907310003")
    parts = ops.split(people["office"], c, ["路灯不亮", "垃圾清运不及时"])
    c.refresh_from_db()
    assert c.content == "路灯不亮" and len(parts) == 1
    assert parts[0].split_from == c and parts[0].phone == "13907310003"
    with pytest.raises(ops.Refused):
        ops.merge(people["office"], c, [a])  # a is published


def test_reminders_and_escalation_happen_once(world, people):
    o = new(world, people)
    ops.assign(people["office"], o, unit=world.housing, assignee=people["handler"],
               today=date(2024, 3, 1), due_days=5)  # fmt: skip
    assert o.due_date == date(2024, 3, 8)
    assert ops.remind_and_escalate(date(2024, 3, 6)) == {"reminded": 1, "escalated": 0}
    assert ops.remind_and_escalate(date(2024, 3, 6)) == {"reminded": 0, "escalated": 0}
    assert ops.remind_and_escalate(date(2024, 3, 11)) == {"reminded": 0, "escalated": 1}
    assert ops.remind_and_escalate(date(2024, 3, 12)) == {"reminded": 0, "escalated": 0}
    titles = set(Notification.objects.values_list("title", flat=True))
    assert {"意见建议即将到期", "意见建议已超期"} <= titles
    assert Notification.objects.filter(org=world.kaifu, title="意见建议已超期").exists()


def test_call_backs(world, people):
    o = new(world, people, name="王建国", phone="13907310011")
    ops.assign(people["office"], o, unit=world.housing, assignee=people["handler"])
    ops.answer(people["handler"], o, text="已修复", decision="solved")
    ops.review(people["admin"], o, approve=True, publish=True)
    assert ops.build_call_list(people["admin"], org=world.housing) == 1
    assert ops.build_call_list(people["admin"], org=world.housing) == 0
    cb = Callback.objects.get()
    with pytest.raises(ValidationError) as exc:
        ops.log_call(people["admin"], cb, outcome="no_answer", satisfaction_handling=5)
    assert exc.value.message_dict["outcome"] == ["未接通时不能记录满意度。"]
    ops.log_call(people["admin"], cb, outcome="no_answer")
    assert cb.retry_at and cb.attempts == 1
    assert ops.reveal_phone(people["admin"], cb) == "13907310011"
    assert AuditEntry.objects.filter(action="callback.phone_viewed").count() == 1
    ops.log_call(people["admin"], cb, outcome="reached", satisfaction_handling=4,
                 satisfaction_event=5, notes="满意")  # fmt: skip
    assert (cb.retry_at, cb.attempts) == (None, 2)


def test_figures_match_a_hand_count(world, people):
    """Six opinions of one unit, hand-counted:
    1 published adopted, answered on time, its one step done       -> adopted, rectified
    2 published partly, answered late, its step still open          -> adopted, not rectified
    3 approved explained, on time                                   -> answered, not adopted
    4 answered solved, awaiting review, on time                     -> answered, not adopted
    5 assigned, not answered
    6 merged into 1
    received 6, handled 5 (the merged one once), assigned 5, answered 4,
    on time 3 of 4 = 75.0 %, adopted 2 of 4 = 50.0 %, rectified 1 of 2 = 50.0 %,
    call-backs reached: handling 5 and 3 -> 4.0; one not reached does not count."""
    mk = [new(world, people, text=f"意见{i}", name=f"人{i}", phone=f"1390731000{i}")
          for i in range(1, 7)]  # fmt: skip
    day = date(2024, 3, 1)
    for o in mk[:5]:
        ops.assign(people["office"], o, unit=world.housing, assignee=people["handler"], today=day)
    ops.merge(people["office"], mk[0], [mk[5]])
    plans = [("adopted", "published", 0), ("partly", "published", 40),
             ("explained", "approved", 0), ("solved", "answered", 0)]  # fmt: skip
    for o, (decision, end, late) in zip(mk, plans, strict=False):
        ops.answer(people["handler"], o, text="答复", decision=decision)
        Opinion.objects.filter(pk=o.pk).update(
            answered_at=timezone.make_aware(datetime(2024, 3, 5)) + timedelta(days=late)
        )
        o.refresh_from_db()
        if end != "answered":
            ops.review(people["admin"], o, approve=True, publish=end == "published")
    s1 = ops.add_step(people["handler"], mk[0], description="修", planned_date=day)
    ops.complete_step(people["handler"], s1, done_date=day)
    ops.add_step(people["handler"], mk[1], description="修", planned_date=day)
    ops.build_call_list(people["admin"], org=world.housing)
    cb1, cb2 = Callback.objects.order_by("id")
    ops.log_call(people["admin"], cb1, outcome="reached", satisfaction_handling=5)
    ops.log_call(people["admin"], cb2, outcome="reached", satisfaction_handling=3)
    extra = Callback.objects.create(org=world.housing, opinion=mk[2], name="x")
    ops.log_call(people["admin"], extra, outcome="declined")

    total = figures.counts(Opinion.objects.all())
    assert {k: total[k] for k in ("received", "handled", "assigned", "answered", "on_time",
                                  "adopted", "rectified", "published")} == {
        "received": 6, "handled": 5, "assigned": 5, "answered": 4, "on_time": 3, "adopted": 2,
        "rectified": 1, "published": 2,
    }  # fmt: skip
    assert (total["on_time_rate"], total["adoption_rate"], total["rectification_rate"]) == (
        75.0, 50.0, 50.0)  # fmt: skip
    assert (total["satisfaction"], total["callbacks_reached"]) == (4.0, 2)
    (unit_row,) = figures.by(Opinion.objects.all(), "unit")
    assert unit_row["label"] == world.housing.name and unit_row["adopted"] == 2
    assert unit_row["satisfaction"] == 4.0
    assert [d["count"] for d in figures.decisions(Opinion.objects.all())] == [1, 1, 1, 1]


@pytest.mark.django_db(transaction=True)
def test_two_people_publishing_at_once_publish_once(world, people):
    import threading

    from django.db import connection

    o = new(world, people, name="王建国", phone="13907310011")
    ops.assign(people["office"], o, unit=world.housing, assignee=people["handler"])
    ops.answer(people["handler"], o, text="已修复", decision="solved")
    ops.review(people["admin"], o, approve=True)
    barrier = threading.Barrier(2)
    outcomes = []

    def publish(actor):
        try:
            barrier.wait()
            ops.publish_result(actor, Opinion.objects.get(pk=o.pk))
            outcomes.append("published")
        except ops.Refused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(people[k],)) for k in ("admin", "office")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["published", "refused"]
    assert OutboundMessage.objects.filter(channel="sms").count() == 1
    assert AuditEntry.objects.filter(action="opinion.published").count() == 1


def test_lookup_refuses_odd_tails_quietly(world, people):
    o = new(world, people, name="李四", phone="13907310022")
    assert ops.lookup(o.tracking_code, "００２２") is None
    assert ops.lookup(o.tracking_code, "00222") is None


def test_merged_submitters_get_their_own_code_even_through_a_chain(world, people):
    a = new(world, people, name="甲", phone="13907310001")
    b = new(world, people, name="乙", phone="13907310002")
    c = new(world, people, name="丙", phone="13907310003")
    ops.merge(people["office"], b, [a])
    ops.merge(people["office"], c, [b])
    a.refresh_from_db()
    assert a.merged_into == c
    ops.assign(people["office"], c, unit=world.housing, assignee=people["handler"])
    ops.answer(people["handler"], c, text="已修复", decision="solved")
    ops.review(people["admin"], c, approve=True, publish=True)
    bodies = {m.to_masked: m.body for m in OutboundMessage.objects.filter(channel="sms")}
    assert a.tracking_code in bodies["139****0001"]
    assert c.tracking_code in bodies["139****0003"]
    assert c.tracking_code not in bodies["139****0001"]
