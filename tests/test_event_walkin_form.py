"""代为报名 is offered only while the seat decision would take it (#19)."""

from datetime import timedelta

from django.utils import timezone

from openday.events import services
from openday.events.models import Event


def test_walk_in_registration_is_offered_only_while_it_can_be_taken(client, world):
    start = timezone.now() + timedelta(days=7)
    event = services.create_event(
        world.users["unit_admin"],
        world.housing,
        title="开福区住房和城乡建设局测试活动",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "项目现场"}],
        capacity=5,
        publish=True,
    )
    c = world.client_for(client, "unit_admin")
    url = f"/staff/events/{event.pk}/"
    walkin = f"/staff/events/{event.pk}/walkin/"
    page = c.get(url).content.decode()
    assert walkin in page and "不能再代为报名" not in page
    for status in (Event.Status.HELD, Event.Status.SUMMARIZED):
        Event.objects.filter(pk=event.pk).update(status=status)
        page = c.get(url).content.decode()
        assert walkin not in page
        assert f"活动{Event.Status(status).label}，不能再代为报名" in page
        # And the seat decision still refuses it if posted anyway.
        c.post(
            walkin, {"name": "张三", "phone": "13900001111", "category": "public", "consent": "on"}
        )
        assert not event.registrations.exists()
