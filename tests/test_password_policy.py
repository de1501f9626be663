"""Passwords as MLPS level 3 asks (issue #18): the last five cannot be reused, an optional
maximum age, and a password an admin set must be changed at the first sign-in."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openday.accounts import services as accounts
from openday.accounts.models import PasswordHistory, User

CHANGE = "/staff/account/password/"
PASSWORDS = [f"Strong-Pass-{n}-xyz" for n in range(8)]


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.fixture
def carol(world):
    carol = world.users["unit_staff"]
    accounts.change_password(carol, PASSWORDS[0])
    return carol


def test_the_last_five_passwords_cannot_be_used_again(carol):
    for new in PASSWORDS[1:5]:
        accounts.change_password(carol, new)
    # The current one and the four before it are refused, with the reason in Chinese.
    for old in PASSWORDS[:5]:
        with pytest.raises(ValidationError) as exc:
            accounts.change_password(carol, old)
        assert "不能使用最近 5 次用过的密码" in exc.value.messages[0]
    accounts.change_password(carol, PASSWORDS[5])
    # Six changes back is allowed again; only five hashes are kept.
    accounts.change_password(carol, PASSWORDS[0])
    assert PasswordHistory.objects.filter(user=carol).count() == 5
    assert not any(
        PASSWORDS[0] in h for h in PasswordHistory.objects.values_list("password", flat=True)
    )


def test_the_password_page_explains_a_reused_password_and_keeps_the_session(client, carol):
    accounts.change_password(carol, PASSWORDS[1])
    client.force_login(carol)
    response = _change(client, PASSWORDS[1], PASSWORDS[0])
    assert response.status_code == 400  # refused, as every form with errors
    assert "不能使用最近 5 次用过的密码" in response.content.decode()
    carol.refresh_from_db()
    assert carol.check_password(PASSWORDS[1])


def test_an_admin_created_account_must_change_its_password_at_first_sign_in(client, world, bob):
    client.force_login(bob)
    page = client.post(
        f"/staff/orgs/{world.housing.pk}/members/add/",
        {
            "username": "new-staff",
            "full_name": "王五",
            "role": "unit_staff",
        },
    ).content.decode()
    one_time = re.search(r"<code>([^<]+)</code>", page).group(1)
    client.logout()
    response = client.post("/staff/login/", {"username": "new-staff", "password": one_time})
    assert response.status_code == 302
    for url in ("/staff/", "/staff/orgs/", "/staff/account/", "/staff/events/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == CHANGE, url
    # The one-time password itself cannot be kept.
    assert "不能使用" in _change(client, one_time, one_time).content.decode()
    assert _change(client, one_time, PASSWORDS[3]).status_code == 302
    assert client.get("/staff/orgs/").status_code == 200


def test_a_reset_password_must_be_changed_at_the_next_sign_in(client, world, carol, alice):
    client.force_login(alice)
    page = client.post(f"/staff/users/{carol.pk}/reset-password/").content.decode()
    one_time = re.search(r"<code>([^<]+)</code>", page).group(1)
    client.logout()
    assert (
        client.post("/staff/login/", {"username": carol.username, "password": one_time})["Location"]
        == "/staff/"
    )
    assert client.get("/staff/surveys/")["Location"] == CHANGE
    assert _change(client, one_time, PASSWORDS[0]).status_code == 400  # used before the reset
    assert _change(client, one_time, one_time).status_code == 400  # the one-time password
    assert _change(client, one_time, PASSWORDS[6]).status_code == 302
    assert client.get("/staff/surveys/").status_code == 200


def test_passwords_expire_when_a_maximum_age_is_set(client, carol, settings):
    client.force_login(carol)
    User.objects.filter(pk=carol.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    assert client.get("/staff/").status_code == 200  # 0, the default, is off
    settings.OPENDAY_PASSWORD_MAX_AGE_DAYS = 90
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == CHANGE
    assert "您的密码已过期" in response.content.decode()
    assert _change(client, PASSWORDS[0], PASSWORDS[2]).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_an_account_with_no_recorded_change_counts_from_when_it_was_created(db, settings):
    settings.OPENDAY_PASSWORD_MAX_AGE_DAYS = 30
    old = User.objects.create_user("old-hand", password="x")
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=31))
    old.refresh_from_db()
    assert old.password_changed_at is None and accounts.password_expired(old)
