"""The staff endpoints of the opinions loop: the same permissions as the pages."""

import pytest

from openday.accounts.services import create_token
from openday.opinions import services as ops
from openday.opinions.models import Opinion


def bearer(user):
    _token, raw = create_token(user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def opinion(world):
    return ops.submit_opinion(content="路灯不亮", source=Opinion.Source.FORUM, office=world.kaifu,
                              name="王建国", phone="13907310011", actor=world.users["unit_staff"])  # fmt: skip


def test_assign_answer_review_publish_through_the_api(world, client, opinion):
    u = world.users
    path = f"/api/v1/opinions/{opinion.pk}"
    body = {"unit_id": world.housing.pk, "assignee_id": u["handler"].pk}
    r = client.post(
        f"{path}/assign", body, content_type="application/json", headers=bearer(u["handler"])
    )
    assert r.status_code == 403  # a handler sees only what is assigned to them
    r = client.post(
        f"{path}/assign", body, content_type="application/json", headers=bearer(u["nm_office"])
    )
    assert r.status_code == 403
    r = client.post(
        f"{path}/assign", body, content_type="application/json", headers=bearer(u["kf_office"])
    )
    assert r.status_code == 200 and r.json()["status"] == "assigned" and r.json()["due_date"]
    assert r.json()["phone"] == "139****0011" and "13907310011" not in r.content.decode()
    r = client.post(f"{path}/answer", {"answer": "", "decision": "explained"},
                    content_type="application/json", headers=bearer(u["handler"]))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "answer"
    r = client.post(f"{path}/answer", {"answer": "已修复", "decision": "solved"},
                    content_type="application/json", headers=bearer(u["handler"]))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = client.post(f"{path}/review", {"approve": True, "publish": True},
                    content_type="application/json", headers=bearer(u["handler"]))  # fmt: skip
    assert r.status_code == 403
    r = client.post(f"{path}/review", {"approve": True, "publish": True},
                    content_type="application/json", headers=bearer(u["unit_admin"]))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = client.post(f"{path}/publish", headers=bearer(u["unit_admin"]))
    assert r.status_code == 409


def test_staff_list_is_scoped(world, client, opinion):
    u = world.users
    assert client.get("/api/v1/staff/opinions").status_code == 401
    codes = lambda who: [o["tracking_code"] for o in client.get(  # noqa: E731
        "/api/v1/staff/opinions", headers=bearer(u[who])).json()]  # fmt: skip
    assert codes("kf_office") == [opinion.tracking_code]
    assert codes("kf_viewer") == [opinion.tracking_code]
    assert codes("handler") == [] and codes("nm_office") == [] and codes("unit_admin") == []
    ops.assign(u["kf_office"], opinion, unit=world.housing, assignee=u["handler"])
    assert codes("handler") == [opinion.tracking_code] and codes("unit_admin") == [
        opinion.tracking_code
    ]
