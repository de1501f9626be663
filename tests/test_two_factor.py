"""TOTP second factor (RFC 6238): enrolment, the two-step sign-in, recovery codes, the gate for
operators and office admins, and the reset by an operator (issue #18, MLPS level 3)."""

import time

import pyotp
import pytest
from django.test import override_settings

from openday import cli
from openday.accounts import services as accounts
from openday.accounts.models import RecoveryCode, TwoFactor, User
from openday.audit.models import AuditEntry
from openday.lib import personal_data

from .test_permission_matrix import staff_pages

LOGIN = "/staff/login/"
VERIFY = "/staff/login/verify/"
ENROL = "/staff/account/two-factor/"
PASSWORD = "Kaifu-Office-2023"


def _code(secret, offset=0):
    return pyotp.TOTP(secret).at(time.time() + offset * 30)


def _strict(user, password=PASSWORD):
    """The person as a real account: not a demo account, with a known password."""
    user.two_factor_exempt = False
    user.set_password(password)
    user.save()
    return user


def _enrol(user):
    """Bind an authenticator through the service; returns (secret, recovery codes)."""
    secret = accounts.new_secret()
    codes = accounts.enrol_two_factor(user, secret, _code(secret))
    # The enrolment used this step's code; sign-ins in the tests use the next step's.
    return secret, codes


def _password_step(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def alice_strict(alice):
    return _strict(alice)


def test_an_office_admin_must_enrol_before_anything_else(client, world, alice_strict):
    response = _password_step(client, "kf-office")
    assert response.status_code == 302 and response["Location"] == "/staff/"
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"] == ENROL
    page = client.get(ENROL).content.decode()
    assert "绑定身份验证器" in page and "腾讯身份验证器" in page
    assert '<div class="qr" role="img"' in page and "<svg" in page
    # No inline styles: the Content-Security-Policy allows none.
    assert "style=" not in page.split("<main", 1)[-1]
    # Sign-out still works while enrolment is pending.
    assert client.post("/staff/logout/").status_code == 302


def test_enrolment_shows_the_secret_confirms_a_code_and_shows_recovery_codes_once(
    client, world, alice_strict
):
    client.force_login(alice_strict)
    page = client.get(ENROL).content.decode()
    secret = client.session["openday_2fa_enrol"]
    secret = personal_data.decrypt(secret)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    bad = client.post(ENROL, {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert bad.status_code == 400 and "验证码不正确" in bad.content.decode()
    done = client.post(ENROL, {"code": _code(secret)})
    text = done.content.decode()
    assert (
        done.status_code == 200 and "只显示这一次" in text and done["Cache-Control"] == "no-store"
    )
    codes = [c for c in text.split("<code>")[1:]]
    assert len(codes) == 10
    # Stored encrypted and hashed, never in clear.
    factor = TwoFactor.objects.get(user=alice_strict)
    assert secret not in factor.secret_encrypted and factor.secret == secret
    first = codes[0].split("</code>")[0]
    assert not RecoveryCode.objects.filter(code_hash__contains=first).exists()
    assert RecoveryCode.objects.filter(user=alice_strict, used_at=None).count() == 10
    assert AuditEntry.objects.filter(action="auth.2fa_enrolled", actor=alice_strict).exists()
    # The session that enrolled goes on.
    assert client.get("/staff/").status_code == 200
    # Looking again shows no codes: they were shown once.
    assert "<code>" + first not in client.get("/staff/account/").content.decode()


def test_sign_in_takes_two_steps_once_enrolled(client, world, alice_strict):
    secret, _codes = _enrol(alice_strict)
    response = _password_step(client, "kf-office")
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    assert client.get("/staff/").status_code == 302
    page = client.get(VERIFY).content.decode()
    assert "两步验证" in page and "6 位数字" in page
    response = client.post(VERIFY, {"code": _code(secret, 1)})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    entry = AuditEntry.objects.filter(action="auth.login", actor=alice_strict).latest("id")
    assert entry.changes == {"second_factor": "totp"}


def test_a_code_of_the_previous_step_is_accepted_but_never_twice(client, world, alice_strict):
    secret = accounts.new_secret()
    accounts.enrol_two_factor(alice_strict, secret, _code(secret, -1))
    assert accounts.verify_second_factor(alice_strict, _code(secret)) == "totp"
    with pytest.raises(accounts.SignInRefused, match="已使用过"):
        accounts.verify_second_factor(alice_strict, _code(secret))
    # Two steps ahead is too far.
    with pytest.raises(accounts.SignInRefused):
        accounts.verify_second_factor(alice_strict, _code(secret, 3))
    assert AuditEntry.objects.filter(action="auth.2fa_failed", actor=alice_strict).count() == 2


def test_a_used_code_is_refused_on_the_page_and_counts_as_a_failure(client, world, alice_strict):
    secret, _codes = _enrol(alice_strict)
    _password_step(client, "kf-office")
    client.post(VERIFY, {"code": _code(secret, 1)})
    client.post("/staff/logout/")
    _password_step(client, "kf-office")
    response = client.post(VERIFY, {"code": _code(secret, 1)})
    assert response.status_code == 400 and "已使用过" in response.content.decode()
    assert "再失败 4 次" in response.content.decode()


def test_a_recovery_code_signs_in_once(client, world, alice_strict):
    _secret, codes = _enrol(alice_strict)
    _password_step(client, "kf-office")
    response = client.post(VERIFY, {"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="auth.2fa_recovery_used", actor=alice_strict).exists()
    assert "还剩 9 个" in client.get("/staff/").content.decode()
    client.post("/staff/logout/")
    _password_step(client, "kf-office")
    response = client.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_second_step_failures_lock_the_pair_like_password_failures(
    client, world, alice_strict, settings
):
    _enrol(alice_strict)
    _password_step(client, "kf-office")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post(VERIFY, {"code": "12345"})
    assert "已锁定" in response.content.decode()
    # The password step is now refused from this address too.
    assert "临时锁定" in _password_step(client, "kf-office").content.decode()
    assert AuditEntry.objects.filter(action="auth.locked", actor=alice_strict).exists()


def test_the_second_step_expires(client, world, alice_strict):
    _enrol(alice_strict)
    _password_step(client, "kf-office")
    session = client.session
    session["openday_2fa_pending"]["at"] = time.time() - 3600
    session.save()
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_an_enrolled_session_without_the_second_step_is_sent_back_to_sign_in(
    client, world, alice_strict
):
    _enrol(alice_strict)
    client.force_login(alice_strict)  # a session that never passed the second step
    response = client.get("/staff/orgs/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_other_staff_may_enrol_but_need_not(client, world):
    carol = _strict(world.users["unit_staff"])
    response = _password_step(client, carol.username)
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    page = client.get("/staff/account/").content.decode()
    assert "启用两步验证" in page


@override_settings(OPENDAY_2FA_REQUIRED="all")
def test_a_deployment_can_require_it_of_everyone(client, world):
    carol = _strict(world.users["unit_staff"])
    _password_step(client, carol.username)
    assert client.get("/staff/")["Location"] == ENROL


def test_demo_accounts_are_exempt(client, world, alice):
    assert alice.two_factor_exempt and world.users["operator"].two_factor_exempt
    client.force_login(world.users["operator"])
    assert client.get("/staff/").status_code == 200


def test_an_operator_made_with_createsuperuser_opens_no_staff_page_before_enrolling(
    client, world, monkeypatch
):
    from django import db

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Root-Pass-2026!")
    # A command closes the connections when it ends; the test database must stay open.
    monkeypatch.setattr(db.connections, "close_all", lambda: None)
    cli.main(["openday", "createsuperuser", "--noinput", "--username", "root"])
    root = User.objects.get(username="root")
    assert root.is_superuser and not root.two_factor_exempt
    response = _password_step(client, "root", "Root-Pass-2026!")
    assert response.status_code == 302
    pages = staff_pages(world)
    wrong = []
    for _name, url, _allowed in pages:
        if url == ENROL:
            continue  # the one page open to them, below
        response = client.get(url)
        if response.status_code != 302 or response["Location"] != ENROL:
            wrong.append(f"GET {url} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert len(pages) > 100
    # A POST endpoint is closed as well.
    target = world.users["unit_staff"]
    response = client.post(f"/staff/users/{target.pk}/reset-password/")
    assert response.status_code == 302 and response["Location"] == ENROL
    # Enrolment itself opens, and after it the staff pages do.
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = personal_data.decrypt(client.session["openday_2fa_enrol"])
    client.post(ENROL, {"code": _code(secret)})
    assert client.get("/staff/orgs/").status_code == 200


def test_an_operator_resets_a_lost_phone_and_the_person_enrols_again(client, world, alice_strict):
    _enrol(alice_strict)
    ops = world.users["operator"]
    client.force_login(ops)
    page = client.get(f"/staff/users/{alice_strict.pk}/").content.decode()
    assert "重置两步验证" in page and "已启用" in page
    response = client.post(f"/staff/users/{alice_strict.pk}/reset-2fa/")
    assert response.status_code == 302
    assert not TwoFactor.objects.filter(user=alice_strict).exists()
    assert not RecoveryCode.objects.filter(user=alice_strict).exists()
    entry = AuditEntry.objects.get(action="auth.2fa_reset")
    assert entry.actor == ops and entry.object_id == str(alice_strict.pk)
    client.logout()
    response = _password_step(client, "kf-office")
    assert response["Location"] == "/staff/"  # no second step: nothing bound any more
    assert client.get("/staff/")["Location"] == ENROL


def test_a_unit_admin_cannot_reset_a_second_factor(client, world):
    carol = world.users["unit_staff"]
    _enrol(carol)
    client.force_login(world.users["unit_admin"])
    assert "重置两步验证" not in client.get(f"/staff/users/{carol.pk}/").content.decode()
    assert client.post(f"/staff/users/{carol.pk}/reset-2fa/").status_code == 403
    assert TwoFactor.objects.filter(user=carol).exists()


def test_the_secret_is_encrypted_at_rest(db, world, alice):
    secret, _codes = _enrol(alice)
    stored = TwoFactor.objects.values_list("secret_encrypted", flat=True).get(user=alice)
    assert secret not in stored and len(stored) > 60
