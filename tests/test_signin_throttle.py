"""Sign-in throttles (issue #18): per address over all names (HTTP 429, shared store), per
(username, address) pair, and per account over all addresses, designed so that a stranger who
knows a username cannot keep that person out."""

import time

import pyotp
import pytest
from django.test import override_settings

from openday.accounts import services as accounts
from openday.accounts.models import LoginThrottle
from openday.audit.models import AuditEntry

LOGIN = "/staff/login/"
A, B, C, D = "198.51.100.1", "198.51.100.2", "198.51.100.3", "203.0.113.9"
NAMES = [
    "kf-office",
    "kf-viewer",
    "kf-unit-admin",
    "kf-unit-staff",
    "kf-handler",
    "nm-office",
    "shrhl-admin",
    "nobody",
]


def _login(client, username, password, address=A, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


@pytest.fixture
def carol(world):
    """A unit staff member (no second factor required) with a known password."""
    carol = world.users["unit_staff"]
    carol.set_password("Carol-Pass-2023")
    carol.save()
    return carol


def test_a_strangers_failures_elsewhere_do_not_lock_the_person_out(client, carol, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):
        _login(client, carol.username, "guess", address=A)
    # The pair (name, A) is locked: even the right password is refused from A ...
    refused = _login(client, carol.username, "Carol-Pass-2023", address=A)
    assert refused.status_code == 400 and "临时锁定" in refused.content.decode()
    # ... but the person signs in from their own address B.
    response = _login(client, carol.username, "Carol-Pass-2023", address=B)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert LoginThrottle.objects.filter(username=carol.username, address=A).exists()


def test_many_failures_over_many_names_from_one_address_get_429(client, world):
    statuses = []
    for i in range(32):  # what the attacker did: 32 failures over 8 names
        response = _login(client, NAMES[i % len(NAMES)], f"guess-{i}")
        statuses.append(response.status_code)
    assert statuses[:20] == [400] * 20
    assert set(statuses[20:]) == {429}
    assert int(response["Retry-After"]) > 0
    assert "来自您所在网络的登录失败次数过多" in response.content.decode()
    # The right password from that address waits too; another address is not affected.
    world.users["kf_office"].set_password("Kaifu-Office-2023")
    world.users["kf_office"].save()
    assert _login(client, "kf-office", "Kaifu-Office-2023").status_code == 429
    assert _login(client, "kf-office", "Kaifu-Office-2023", address=B).status_code == 302


def test_successes_from_one_address_are_never_counted(client, world, carol):
    # An office network: 19 colleagues mistype, then many sign in: nobody is throttled.
    for i in range(19):
        assert _login(client, NAMES[i % len(NAMES)], "typo").status_code == 400
    for _ in range(30):
        client.logout()
        assert _login(client, carol.username, "Carol-Pass-2023").status_code == 302


@override_settings(OPENDAY_RATE_LIMITS={"signin.address": "3/60"})
def test_the_address_limit_is_configurable(client, db):
    statuses = [_login(client, "nobody", "x", address=C).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


@override_settings(TRUST_X_FORWARDED_FOR=True, OPENDAY_RATE_LIMITS={"signin.address": "3/60"})
def test_behind_the_proxy_the_forwarded_address_counts(client, db):
    for _ in range(3):
        _login(client, "nobody", "x", address="10.0.0.1", HTTP_X_FORWARDED_FOR=A)
    assert _login(client, "nobody", "x", "10.0.0.1", HTTP_X_FORWARDED_FOR=A).status_code == 429
    assert _login(client, "nobody", "x", "10.0.0.1", HTTP_X_FORWARDED_FOR=B).status_code == 400


@override_settings(LOGIN_ACCOUNT_FAILURE_LIMIT=6)
def test_failures_over_many_addresses_pause_only_password_only_sign_in(client, world, carol):
    alice = world.users["kf_office"]
    alice.set_password("Kaifu-Office-2023")
    alice.two_factor_exempt = False
    alice.save()
    secret = accounts.new_secret()
    accounts.enrol_two_factor(alice, secret, pyotp.TOTP(secret).now())
    for who in (carol.username, "kf-office"):
        for address in (A, B, C):
            for _ in range(2):
                _login(client, who, "guess", address=address)
    carol.refresh_from_db()
    assert carol.password_signin_paused_until is not None
    assert AuditEntry.objects.filter(action="auth.password_signin_paused", actor=carol).exists()
    # Carol has no second factor: her password alone is not enough for now, from anywhere.
    response = _login(client, carol.username, "Carol-Pass-2023", address=D)
    assert response.status_code == 400 and "暂停仅凭密码登录" in response.content.decode()
    # Alice has one: her password passes to the second step, and her code signs her in.
    response = _login(client, "kf-office", "Kaifu-Office-2023", address=D)
    assert response["Location"] == "/staff/login/verify/"
    code = pyotp.TOTP(secret).at(time.time() + 30)
    response = client.post("/staff/login/verify/", {"code": code}, REMOTE_ADDR=D)
    assert response.status_code == 302 and response["Location"] == "/staff/"


@override_settings(LOGIN_ACCOUNT_FAILURE_LIMIT=4)
def test_an_admin_unlock_ends_every_lock(client, world, carol, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, carol.username, "guess", address=A)
    client.force_login(world.users["kf_office"])
    page = client.get(f"/staff/users/{carol.pk}/").content.decode()
    assert "已锁定" in page and A in page and "暂停仅凭密码登录" in page
    client.post(f"/staff/users/{carol.pk}/unlock/")
    client.logout()
    assert not LoginThrottle.objects.filter(username=carol.username).exists()
    carol.refresh_from_db()
    assert carol.password_signin_paused_until is None
    assert _login(client, carol.username, "Carol-Pass-2023", address=A).status_code == 302


def test_a_successful_sign_in_clears_its_own_pair_only(client, carol):
    _login(client, carol.username, "guess", address=A)
    _login(client, carol.username, "guess", address=B)
    _login(client, carol.username, "Carol-Pass-2023", address=B)
    assert list(LoginThrottle.objects.values_list("address", flat=True)) == [A]
    carol.refresh_from_db()
    assert carol.signin_failures == 0
