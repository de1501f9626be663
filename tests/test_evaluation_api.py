"""GET /api/v1/campaigns/{id}/evaluation: its shape and who may read it."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from openday.accounts.services import create_token
from openday.evaluation import indicators as ind
from openday.evaluation import services

from .test_evaluation import Hand, media  # noqa: F401 - the hand-made world and its media folder


def bearer(user):
    _token, raw = create_token(user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def hand(world):
    return Hand(world)


def _get(client, hand, user=None):
    headers = bearer(user) if user is not None else {}
    return client.get(f"/api/v1/campaigns/{hand.campaign.pk}/evaluation", headers=headers)


def test_the_office_reads_every_unit_value_and_score(world, client, hand):
    kf = world.users["kf_office"]
    scheme = services.scheme_for(hand.campaign, kf)
    services.adjust(kf, scheme, hand.b, "1.5", "经验做法被市里推广")
    services.mark_award(kf, scheme, "excellent_unit", hand.a, citation="按期答复率高")
    r = _get(client, hand, world.users["kf_viewer"])
    assert r.status_code == 200
    body = r.json()
    assert body["campaign"]["id"] == hand.campaign.pk and body["published"] is False
    # Counted for this request (a small campaign); a stored roll-up gives its own time.
    counted = datetime.fromisoformat(body["counted_at"])
    assert abs(counted - timezone.now()) < timedelta(minutes=1)
    assert [i["code"] for i in body["indicators"]] == ind.CODES
    first = body["indicators"][0]
    assert first == {"code": "held_on_plan", "label": "按计划举办率", "measure": "%", "kind": "rate",
                     "weight": 15.0, "target": 1.0,
                     "definition": ind.BY_CODE["held_on_plan"].definition}  # fmt: skip
    units = {u["id"]: u for u in body["units"]}
    a, b, c = units[hand.a.pk], units[hand.b.pk], units[hand.c.pk]
    assert a["values"]["answered_on_time"] == 0.6667 and a["points"]["answered_on_time"] == 11.11
    assert a["values"]["participants"] == 5 and a["score"] == 62.34 and a["rank"] == 1
    assert b["adjustments"] == 1.5 and b["score"] == 60.19 and b["rank"] == 2
    assert c["values"]["adoption_rate"] is None and c["points"]["adoption_rate"] == 0.0
    assert body["awards"] == [{"kind": "excellent_unit", "kind_label": "优秀组织单位",
                               "unit_id": hand.a.pk, "unit": hand.a.name, "event_id": None,
                               "event": None, "citation": "按期答复率高"}]  # fmt: skip


def test_a_unit_token_is_refused_until_published_then_sees_its_own_unit(world, client, hand):
    r = _get(client, hand, world.users["unit_admin"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert "尚未公布" in r.json()["error"]["message"]
    services.publish_scheme(world.users["kf_office"], services.scheme_for(hand.campaign))
    r = _get(client, hand, world.users["unit_admin"])
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["units"]] == [hand.a.pk]
    assert _get(client, hand, world.users["handler"]).status_code == 403


@pytest.mark.parametrize(
    ("persona", "status"),
    [("kf_office", 200), ("kf_viewer", 200), ("operator", 200), ("unit_admin", 403),
     ("unit_staff", 403), ("handler", 403), ("nm_office", 403), ("town_admin", 403),
     ("anonymous", 401), ("norole", 401)],
)  # fmt: skip
def test_who_may_read_before_publishing(world, client, hand, persona, status):
    user = None if persona == "anonymous" else world.users[persona]
    r = _get(client, hand, user)
    assert r.status_code == status
    if status != 200:
        assert set(r.json()) == {"error"} and r.json()["error"]["message"]


def test_an_unknown_campaign_is_404(world, client):
    r = client.get("/api/v1/campaigns/999999/evaluation", headers=bearer(world.users["kf_office"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
