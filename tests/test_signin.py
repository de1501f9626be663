import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from openday import settings as project_settings
from openday.accounts.models import LoginThrottle
from openday.audit.models import AuditEntry

LOGIN = "/staff/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def alice_pw(alice):
    alice.set_password("Kaifu-Office-2023")
    alice.save()
    return "Kaifu-Office-2023"


def test_it_signs_in_and_lands_on_the_dashboard(client, alice, alice_pw):
    response = _login(client, "kf-office", alice_pw)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    page = client.get("/staff/").content.decode()
    assert "政务公开办管理员" in page and "开福区政务公开政务服务工作领导小组办公室" in page
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == alice and entry.org.name.startswith("开福区政务公开")


def test_it_refuses_a_wrong_password_in_chinese_and_keeps_the_username(client, alice, alice_pw):
    response = _login(client, "kf-office", "wrong")
    page = response.content.decode()
    assert response.status_code == 400
    assert "用户名或密码不正确" in page and "再失败 4 次" in page
    assert 'value="kf-office"' in page
    assert AuditEntry.objects.filter(action="auth.login_failed", actor=alice).count() == 1


def test_it_locks_the_account_after_repeated_failures(client, alice, alice_pw):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "kf-office", "wrong")
    # Even the right password is refused while locked.
    response = _login(client, "kf-office", alice_pw)
    assert response.status_code == 400
    assert "临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.locked", actor=alice).count() == 1


def test_a_lock_ends_after_its_time(client, alice, alice_pw):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "kf-office", "wrong")
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _login(client, "kf-office", alice_pw).status_code == 302


def test_unknown_usernames_are_throttled_too(client, db):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "nobody", "x")
    assert LoginThrottle.objects.get(username="nobody").locked_until is not None


def test_an_admin_can_unlock_a_colleague(client, world, alice):
    carol = world.users["unit_staff"]
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, carol.username, "wrong")
    client.force_login(alice)
    page = client.get(f"/staff/users/{carol.pk}/").content.decode()
    assert "已锁定" in page
    client.post(f"/staff/users/{carol.pk}/unlock/")
    assert not LoginThrottle.objects.filter(username=carol.username).exists()
    assert AuditEntry.objects.filter(action="auth.unlocked", actor=alice).exists()


def test_passwords_are_hashed_with_argon2(db, alice):
    assert project_settings.PASSWORD_HASHERS[-2].endswith("Argon2PasswordHasher")
    production = [h for h in project_settings.PASSWORD_HASHERS if "MD5" not in h]
    with override_settings(PASSWORD_HASHERS=production):
        alice.set_password("Another-Strong-Pass-1")
        assert alice.password.startswith("argon2")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1A!", "太短"),
        ("12345678901234", "只包含数字"),
        ("abcdefghijkl", "至少三类"),
        ("password1234", "太常见"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        password_validation.validate_password(password)
    assert any(reason in m for m in exc.value.messages), exc.value.messages


def test_sessions_time_out_when_idle(client, alice):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client.force_login(alice)
    client.get("/staff/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_logout_is_audited_and_needs_post(client, alice):
    client.force_login(alice)
    assert client.get("/staff/logout/").status_code == 405
    assert client.post("/staff/logout/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor=alice).exists()
    assert client.get("/staff/").status_code == 302


def test_a_reset_password_must_be_changed_at_next_sign_in(client, world, alice):
    carol = world.users["unit_staff"]
    client.force_login(alice)
    page = client.post(f"/staff/users/{carol.pk}/reset-password/").content.decode()
    assert "只显示这一次" in page
    carol.refresh_from_db()
    assert carol.must_change_password
    client.force_login(carol)
    response = client.get("/staff/orgs/")
    assert response.status_code == 302 and response["Location"] == "/staff/account/password/"


def test_changing_the_password_keeps_the_session_and_audits(client, alice, alice_pw):
    client.force_login(alice)
    response = client.post("/staff/account/password/", {
        "old_password": alice_pw, "new_password1": "Brand-New-Pass-42", "new_password2": "Brand-New-Pass-42",
    })  # fmt: skip
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("Brand-New-Pass-42")
    assert AuditEntry.objects.filter(action="auth.password_changed", actor=alice).exists()


def test_a_mismatched_new_password_is_explained(client, alice, alice_pw):
    client.force_login(alice)
    response = client.post("/staff/account/password/", {
        "old_password": alice_pw, "new_password1": "Brand-New-Pass-42", "new_password2": "other",
    })  # fmt: skip
    assert "两次输入的新密码不一致" in response.content.decode()


def test_a_deactivated_user_cannot_sign_in(client, world, alice):
    carol = world.users["unit_staff"]
    carol.set_password("Carol-Pass-2023")
    carol.save()
    client.force_login(alice)
    client.post(f"/staff/users/{carol.pk}/deactivate/")
    client.logout()
    assert _login(client, carol.username, "Carol-Pass-2023").status_code == 400


def test_login_redirects_only_to_local_pages(client, alice, alice_pw):
    response = client.post(
        LOGIN + "?next=https://evil.example/", {"username": "kf-office", "password": alice_pw}
    )
    assert response["Location"] == "/staff/"
    client.logout()
    response = client.post(
        LOGIN, {"username": "kf-office", "password": alice_pw, "next": "/staff/orgs/"}
    )
    assert response["Location"] == "/staff/orgs/"
