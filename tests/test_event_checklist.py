"""The next-step checklist on a unit's event page follows the event's loop (#20)."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openday.events import checklist, services
from openday.events.models import Event
from openday.orgs.access import Access


def _event(world, *, days=5, publish=False):
    start = timezone.now() + dt.timedelta(days=days)
    return services.create_event(
        world.users["unit_admin"],
        world.housing,
        title="开福区住房和城乡建设局清单测试活动",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venues=[{"name": "会议室"}],
        capacity=10,
        quotas={"deputy": 2, "public": 8},
        publish=publish,
    )


def _states(event, user):
    return {s.key: s.state for s in checklist.steps_for(event, Access(user))}


def test_a_draft_event_asks_to_publish_and_to_invite(world):
    event = _event(world)
    steps = {s.key: s for s in checklist.steps_for(event, Access(world.users["unit_admin"]))}
    assert list(steps) == [
        "publish",
        "invite",
        "checkin",
        "survey",
        "opinions",
        "photos",
        "answers",
        "callbacks",
        "article",
        "summary",
    ]
    assert steps["publish"].state == "todo" and steps["publish"].action.post
    assert steps["invite"].state == "todo"  # deputies have seats and no one is invited yet
    for later in ("checkin", "opinions", "photos", "answers", "callbacks", "article", "summary"):
        assert steps[later].state == "later", later
    assert steps["survey"].state == "optional"


def test_the_steps_turn_done_as_the_loop_goes_on(client, world):
    from openday.opinions import services as opinions
    from openday.surveys.models import Survey

    admin = world.users["unit_admin"]
    event = _event(world, publish=True)
    client.force_login(admin)
    assert _states(event, admin)["publish"] == "done"
    reg = services.register(
        event.pk, name="张三", phone="13900000001", category="public", organization="", consent=True
    )
    # The event takes place.
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now()
    )
    event.refresh_from_db()
    states = _states(event, admin)
    assert (
        states["checkin"] == "todo" and states["opinions"] == "todo" and states["article"] == "todo"
    )
    services.check_in(admin, event, reg.ticket_code)
    # One click makes and publishes the satisfaction survey; a second click makes no second one.
    assert client.post(f"/staff/events/{event.pk}/survey/").status_code == 302
    assert client.post(f"/staff/events/{event.pk}/survey/").status_code == 302
    assert Survey.objects.filter(event=event).count() == 1
    assert Survey.objects.get(event=event).status == Survey.Status.OPEN
    opinion = opinions.submit_opinion(
        content="建议在小区增设电动车充电桩。", source="forum", event=event, actor=admin
    )
    states = _states(event, admin)
    assert states["checkin"] == "done" and states["survey"] == "done"
    assert states["opinions"] == "done" and states["answers"] == "todo"
    page = client.get(f"/staff/events/{event.pk}/").content.decode()
    assert "下一步" in page and "已签到 1 人" in page and "待交办 1 条" in page
    # Answered, approved and published: the answers step is done and call-backs can be listed.
    opinion = opinions.assign(world.users["kf_office"], opinion, unit=world.housing)
    opinion = opinions.answer(admin, opinion, text="您好，已研究并落实。", decision="adopted")
    opinions.review(admin, opinion, approve=True, publish=True)
    states = _states(event, admin)
    assert states["answers"] == "done" and states["callbacks"] == "todo"
    assert client.post("/staff/callbacks/build/", {"event": event.pk}).status_code == 302
    assert _states(event, admin)["callbacks"] == "todo"  # listed, not yet called


def test_steps_show_only_actions_the_viewer_may_take(world):
    event = _event(world, publish=True)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now()
    )
    event.refresh_from_db()
    office = {s.key: s for s in checklist.steps_for(event, Access(world.users["kf_office"]))}
    assert office["article"].action is not None
    # An office viewer (read-only) may open the page elsewhere, but no write action is offered.
    viewer = {s.key: s for s in checklist.steps_for(event, Access(world.users["kf_viewer"]))}
    assert viewer["article"].action is None and viewer["summary"].action is None


def test_the_checklist_costs_a_bounded_number_of_queries(world):
    event = _event(world, publish=True)
    access = Access(world.users["unit_admin"])
    with CaptureQueriesContext(connection) as ctx:
        checklist.steps_for(event, access)
    assert len(ctx.captured_queries) <= 20, [q["sql"] for q in ctx.captured_queries]


def test_progress_does_not_count_optional_steps():
    done = checklist.Step("a", "A", checklist.State.DONE, "")
    optional = checklist.Step("b", "B", checklist.State.OPTIONAL, "")
    todo = checklist.Step("c", "C", checklist.State.TODO, "")
    assert checklist.progress([done, optional, todo]) == (1, 2)


def test_the_photo_step_asks_for_one_photo_showing_the_logo(world):
    from openday.summaries.models import EventPhoto

    event = _event(world, publish=True)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now()
    )
    event.refresh_from_db()
    admin = world.users["unit_admin"]
    assert _states(event, admin)["photos"] == "todo"
    EventPhoto.objects.create(event=event, image="event-photos/a.png", shows_logo=False)
    step = {s.key: s for s in checklist.steps_for(event, Access(admin))}["photos"]
    assert step.state == "todo" and "可见 LOGO" in step.detail
    EventPhoto.objects.create(event=event, image="event-photos/b.png", shows_logo=True)
    assert _states(event, admin)["photos"] == "done"
