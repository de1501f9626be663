"""Write paths for staff accounts: sign-in with lock-out, passwords, API tokens."""

import hashlib
import secrets
import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate, login, password_validation
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from openday.audit.services import diff, record

from .models import ApiToken, LoginThrottle, User

if TYPE_CHECKING:
    from openday.orgs.models import Org


class SignInRefused(Exception):
    """Raised with a message in Chinese that the sign-in page shows as is."""


def _throttle_key(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def _home_org(user: User | None) -> "Org | None":
    membership = user.memberships.select_related("org").order_by("id").first() if user else None
    return membership.org if membership else None


def lock_state(username: str | None) -> datetime | None:
    """The time until which this username is locked, or None."""
    throttle = LoginThrottle.objects.filter(username=_throttle_key(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def _register_failure(username: str, request: HttpRequest) -> LoginThrottle:
    key = _throttle_key(username)
    now = timezone.now()
    window = timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    known = User.objects.filter(username__iexact=username).first()
    with transaction.atomic():
        try:
            LoginThrottle.objects.get_or_create(username=key)
        except IntegrityError:
            pass  # another request created it first; the lock below serializes us
        throttle = LoginThrottle.objects.select_for_update().get(username=key)
        if throttle.first_failure_at is None or now - throttle.first_failure_at > window:
            throttle.failures = 0
            throttle.first_failure_at = now
        throttle.failures += 1
        locked = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
        if locked:
            throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            throttle.failures = 0
            throttle.first_failure_at = None
        throttle.save()
        record(
            "auth.login_failed",
            actor=known,
            actor_label=username[:150],
            obj=known,
            org=_home_org(known),
        )
        if locked and throttle.locked_until is not None:  # set above when locked
            record(
                "auth.locked",
                actor=known,
                actor_label=username[:150],
                obj=known,
                org=_home_org(known),
                changes={"locked_until": throttle.locked_until.isoformat()},
            )
    return throttle


def sign_in(request: HttpRequest, username: str | None, password: str) -> User:
    """Authenticate and start a session, or raise SignInRefused with the reason."""
    username = (username or "").strip()
    locked_until = lock_state(username)
    if locked_until:
        local = timezone.localtime(locked_until)
        raise SignInRefused(
            f"该账户因连续登录失败已临时锁定，请于 {local:%H:%M} 后再试，或请管理员解除锁定。"
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        throttle = _register_failure(username, request)
        if throttle.locked_until and throttle.locked_until > timezone.now():
            raise SignInRefused(
                f"连续 {settings.LOGIN_FAILURE_LIMIT} 次登录失败，账户已锁定 "
                f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
            )
        left = settings.LOGIN_FAILURE_LIMIT - throttle.failures
        raise SignInRefused(
            f"用户名或密码不正确。再失败 {left} 次，账户将被锁定 "
            f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
        )
    with transaction.atomic():
        LoginThrottle.objects.filter(username=_throttle_key(username)).delete()
        login(request, user)
        record("auth.login", actor=user, obj=user, org=_home_org(user))
    return user


def unlock_user(actor: User, user: User) -> bool:
    with transaction.atomic():
        deleted, _ = LoginThrottle.objects.filter(username=_throttle_key(user.username)).delete()
        record("auth.unlocked", actor=actor, obj=user, org=_home_org(user))
    return bool(deleted)


def generate_password(length: int = 14) -> str:
    """A random password that passes the validators (all four character classes)."""
    alphabet = string.ascii_letters + string.digits + "!@#%^*-_+="
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


def create_user(
    actor: User,
    *,
    username: str,
    full_name: str,
    phone: str = "",
    email: str = "",
    org: "Org | None" = None,
) -> tuple[User, str]:
    """Create a staff account with a generated one-time password; returns (user, password)."""
    password = generate_password()
    with transaction.atomic():
        user = User(username=username, full_name=full_name, email=email)
        user.phone = phone
        user.set_password(password)
        user.must_change_password = True
        user.save()
        record(
            "user.created",
            actor=actor,
            obj=user,
            org=org,
            changes={"username": [None, username], "full_name": [None, full_name]},
        )
    return user, password


def update_profile(actor: User, user: User, *, full_name: str, phone: str, email: str) -> User:
    before = {"full_name": user.full_name, "phone": user.masked_phone, "email": user.email}
    user.full_name = full_name
    user.phone = phone
    user.email = email
    after = {"full_name": user.full_name, "phone": user.masked_phone, "email": user.email}
    changes = diff(before, after)
    with transaction.atomic():
        user.save()
        if changes:
            record(
                "user.updated",
                actor=actor,
                obj=user,
                org=_home_org(user),
                changes=changes,
            )
    return user


def change_password(user: User, new_password: str) -> None:
    password_validation.validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record("auth.password_changed", actor=user, obj=user, org=_home_org(user))


def reset_password(actor: User, user: User) -> str:
    """Give the user a new one-time password, to be changed at the next sign-in."""
    password = generate_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        LoginThrottle.objects.filter(username=_throttle_key(user.username)).delete()
        record("auth.password_reset", actor=actor, obj=user, org=_home_org(user))
    return password


def set_active(actor: User, user: User, active: bool) -> None:
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            user.api_tokens.filter(revoked_at=None).update(revoked_at=timezone.now())
        record(
            "user.activated" if active else "user.deactivated",
            actor=actor,
            obj=user,
            org=_home_org(user),
        )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: User, name: str = "", actor: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token for a staff user; returns (token, raw). The raw value is shown once."""
    raw = "od_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], key_hash=_hash_token(raw)
        )
        record(
            "token.created",
            actor=actor or user,
            obj=user,
            org=_home_org(user),
            changes={"prefix": [None, token.prefix], "name": [None, name]},
        )
    return token, raw


def user_for_token(raw: str | None) -> User | None:
    """The active user a bearer token belongs to, or None."""
    token = token_for(raw)
    return token.user if token is not None else None


def token_for(raw: str | None) -> ApiToken | None:
    """The live token (of an active user) a bearer value stands for, or None."""
    if not raw or not raw.startswith("od_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute, so reads do not each cost a write.
    ApiToken.objects.filter(pk=token.pk).exclude(
        last_used_at__gt=now - timedelta(minutes=1)
    ).update(last_used_at=now)
    return token


def revoke_token(actor: User, token: ApiToken) -> None:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            "token.revoked",
            actor=actor,
            obj=token.user,
            org=_home_org(token.user),
            changes={"prefix": [token.prefix, None]},
        )
