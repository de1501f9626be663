from openday.lib.masking import mask_email, mask_name, mask_phone
from openday.lib.personal_data import decrypt, encrypt, is_mobile, is_phone, lookup_hash


def test_the_home_page_speaks_chinese(client, world):
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page and "政府开放日" in page and "工作人员登录" in page
    assert "开福区政务公开政务服务工作领导小组办公室" in page
    assert "目前还没有正在报名的活动" in page


def test_elderly_mode_is_remembered_across_pages(client, db):
    response = client.post("/care/", {"care": "1", "next": "/privacy/"})
    assert response.status_code == 302 and response["Location"] == "/privacy/"
    assert 'class="portal care"' in client.get("/privacy/").content.decode()
    assert 'class="portal care"' in client.get("/").content.decode()
    client.post("/care/", {"care": "0", "next": "/"})
    assert 'class="portal"' in client.get("/").content.decode()


def test_elderly_mode_only_redirects_locally(client, db):
    response = client.post("/care/", {"care": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/care/").status_code == 405


def test_errors_are_in_chinese(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_a_user_without_roles_is_told_why(client, world):
    client.force_login(world.users["norole"])
    response = client.get("/staff/")
    assert response.status_code == 403 and "尚未分配任何组织角色" in response.content.decode()


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***" and mask_name("") == ""
    assert mask_email("yu@example.com") == "y***@example.com"


def test_phones_are_encrypted_and_found_by_keyed_hash(settings):
    token = encrypt("13812345678")
    assert "13812345678" not in token and decrypt(token) == "13812345678"
    assert lookup_hash("138 1234 5678") == lookup_hash("+8613812345678") != ""
    settings.HASH_KEY = "another"
    assert (
        lookup_hash("13812345678") != lookup_hash.__wrapped__("13812345678")
        if hasattr(lookup_hash, "__wrapped__")
        else True
    )
    assert decrypt("garbage") == ""


def test_phone_formats():
    assert is_mobile("13812345678") and not is_mobile("12812345678")
    assert is_phone("0731-84390197") and is_phone("073184390197") and not is_phone("84390197")


def test_audit_changes_read_as_sentences():
    from openday.audit.templatetags.audit_format import audit_changes

    rows = audit_changes({"name": [None, "新局"], "role": ["viewer", "handler"], "user": "bob",
                          "title": ["科员", None], "is_active": [True, False]})  # fmt: skip
    assert rows == [("名称", "新局"), ("角色", "只读查看 → 办理人"), ("用户", "bob"),
                    ("职务", "科员 → （删除）"), ("启用", "是 → 否")]  # fmt: skip


def test_the_client_address_comes_from_the_proxy_only_when_trusted(rf, settings):
    from openday.audit.services import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9")
    settings.TRUST_X_FORWARDED_FOR = False
    assert client_ip(request) == "10.0.0.5"
    settings.TRUST_X_FORWARDED_FOR = True
    assert client_ip(request) == "10.0.0.9"
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(request) is None


def test_local_secrets_are_created_once_and_kept(tmp_path, monkeypatch):
    import json

    from openday import settings as project

    monkeypatch.setattr(project, "VAR_DIR", tmp_path)
    for name in project.SECRET_NAMES:
        monkeypatch.delenv(f"OPENDAY_{name}", raising=False)
    first = project._local_secrets()
    assert set(first) == set(project.SECRET_NAMES)
    assert project._local_secrets() == first
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    (tmp_path / "secrets.json").write_text(json.dumps({"SECRET_KEY": "x"}))
    import pytest

    with pytest.raises(SystemExit):
        project._local_secrets()


def test_the_site_has_an_icon(client, db):
    # Browsers ask for /favicon.ico whatever the page says; the pages link the SVG icon.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
    assert '<link rel="icon" href="/static/openday/favicon.svg"' in client.get("/").content.decode()


def test_a_plan_row_leads_to_its_event_once_published(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from openday.campaigns.models import PlanEntry
    from openday.demo.services import load_demo_campaigns
    from openday.events import services as events

    load_demo_campaigns()
    entry = PlanEntry.objects.filter(unit=world.housing).first()
    campaign = entry.campaign
    start = timezone.now() + timedelta(days=3)
    event = events.create_event(
        world.users["unit_admin"],
        world.housing,
        title=f"开福区住房和城乡建设局{campaign.year}年“政务公开主题日”活动",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        venues=[{"name": "会场"}],
        capacity=5,
        campaign=campaign,
        plan_entry=entry,
    )
    public_link = f'href="/events/{event.pk}/"'
    staff_link = f'href="/staff/events/{event.pk}/"'
    # A draft is not shown to the public; the office's plan page links it already.
    assert public_link not in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    staff = world.client_for(client, "kf_office")
    assert staff_link in staff.get(f"/staff/campaigns/{campaign.pk}/plan/").content.decode()
    events.publish_event(world.users["unit_admin"], event)
    client.logout()
    assert public_link in client.get(f"/campaigns/{campaign.pk}/").content.decode()
