import json

from django.core.management import call_command

from openday.accounts.models import ApiToken
from openday.accounts.services import create_token, revoke_token


def _auth(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_health_answers_with_the_database_state(client, db):
    response = client.get("/api/v1/health")
    body = response.json()
    assert response.status_code == 200
    # "degraded": no worker runs in the test and housekeeping never ran (see problems).
    assert body["status"] == "degraded" and body["database"]["ok"] is True
    assert "例行维护还没有运行过。" in body["problems"]
    assert body["database"]["vendor"] in ("sqlite", "postgresql")


def test_health_reports_a_broken_database(client, db, monkeypatch):
    from openday.ops import status

    class Broken:
        vendor = "sqlite"

        def cursor(self):
            raise RuntimeError("down")

    monkeypatch.setattr(status, "connection", Broken())
    response = client.get("/api/v1/health")
    body = response.json()
    assert response.status_code == 503 and body["database"]["ok"] is False
    assert body["status"] == "error" and body["problems"] == ["数据库无法连接。"]


def test_the_openapi_document_lists_the_endpoints(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/health", "/api/v1/me", "/api/v1/orgs"} <= set(doc["paths"])


def test_the_token_command_prints_a_working_token(client, world, capsys):
    call_command("token", "kf-office")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("od_")
    me = client.get("/api/v1/me", headers=_auth(raw)).json()
    assert me["username"] == "kf-office"
    assert me["memberships"][0]["role"] == "office_admin"
    # Only a hash is stored.
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_the_token_command_refuses_people_without_a_role(world, capsys):
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有任何组织角色"):
        call_command("token", "norole")
    with pytest.raises(CommandError, match="找不到用户"):
        call_command("token", "ghost")


def test_errors_have_one_shape(client, world):
    for response in (
        client.get("/api/v1/me"),
        client.get("/api/v1/me", headers=_auth("od_wrong")),
        client.get("/api/v1/no-such-endpoint"),
    ):
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    _t, raw = create_token(world.users["kf_office"])
    bad = client.get("/api/v1/orgs", {"limit": "lots"}, headers=_auth(raw))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    too_many = client.get("/api/v1/orgs", {"limit": 9999}, headers=_auth(raw))
    assert too_many.status_code == 422 and "limit" in too_many.json()["error"]["message"]


def test_org_list_is_scoped_to_the_tree(client, world):
    _t, raw = create_token(world.users["unit_admin"])
    body = client.get("/api/v1/orgs", headers=_auth(raw)).json()
    assert body["count"] == 1 and body["results"][0]["name"] == "开福区住房和城乡建设局"
    _t, raw = create_token(world.users["kf_office"])
    body = client.get("/api/v1/orgs", {"kind": "unit", "limit": 5}, headers=_auth(raw)).json()
    assert body["count"] >= 30 and len(body["results"]) == 5
    assert all(o["kind"] == "unit" for o in body["results"])
    assert "沙日浩来镇人民政府" not in json.dumps(body, ensure_ascii=False)


def test_revoked_tokens_and_inactive_users_are_refused(client, world):
    token, raw = create_token(world.users["kf_office"])
    assert client.get("/api/v1/me", headers=_auth(raw)).status_code == 200
    revoke_token(world.users["kf_office"], token)
    assert client.get("/api/v1/me", headers=_auth(raw)).status_code == 401
    _t, raw = create_token(world.users["unit_staff"])
    world.users["unit_staff"].is_active = False
    world.users["unit_staff"].save()
    assert client.get("/api/v1/me", headers=_auth(raw)).status_code == 401


def test_bad_filters_are_refused_with_the_invalid_code(client, world):
    _t, raw = create_token(world.users["kf_office"])
    for params in ({"kind": "bogus"}, {"limit": 0}, {"offset": -1}):
        response = client.get("/api/v1/orgs", params, headers=_auth(raw))
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid", params


def test_swagger_ui_is_served_locally(client, db):
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in page and "/static/ninja/" in page


def test_orgs_say_which_the_token_may_act_for(client, world):
    _t, raw = create_token(world.users["kf_viewer"])
    body = client.get("/api/v1/orgs", {"limit": 500}, headers=_auth(raw)).json()
    assert body["count"] > 1 and not any(o["can_act"] for o in body["results"])
    _t, raw = create_token(world.users["unit_admin"])
    body = client.get("/api/v1/orgs", headers=_auth(raw)).json()
    assert [o["can_act"] for o in body["results"]] == [True]
