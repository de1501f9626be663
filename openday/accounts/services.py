"""Write paths for staff accounts: sign-in (password, then a TOTP second factor) with
throttles no stranger can turn against a person, passwords with history and expiry, API tokens."""

import hashlib
import hmac
import secrets
import string
import time
import unicodedata
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate, hashers, login, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from openday.audit import context as audit_context
from openday.audit.services import diff, record
from openday.ops import ratelimit

from .models import ApiToken, LoginThrottle, PasswordHistory, RecoveryCode, TwoFactor, User

if TYPE_CHECKING:
    from openday.orgs.models import Org


class SignInRefused(Exception):
    """Raised with a message in Chinese that the sign-in page shows as is; status 429 (with
    retry_after in seconds, for the Retry-After header) when the address is rate limited."""

    def __init__(self, message: str, *, status: int = 400, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


# The session key that says this session passed the second step (or enrolled in it).
SESSION_VERIFIED = "openday_2fa_verified"
TOTP_INTERVAL = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off paper


def _throttle_key(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def _address() -> str:
    """The client's address, as the audit context has it (set by middleware from the request,
    respecting OPENDAY_TRUST_X_FORWARDED_FOR); empty outside a web request."""
    return audit_context.current().ip or ""


def _home_org(user: User | None) -> "Org | None":
    membership = user.memberships.select_related("org").order_by("id").first() if user else None
    return membership.org if membership else None


def _local_time(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


# --- Sign-in throttles -------------------------------------------------------------------
#
# Three limits, none of which a stranger can use to keep a person out:
#  1. per address over all names (ops.ratelimit "signin.address", failures only): HTTP 429;
#  2. per (username, address) pair (LoginThrottle): LOGIN_FAILURE_LIMIT failures lock that
#     name from that address only; the person signs in from any other address;
#  3. per account over all addresses (User.signin_failures): past LOGIN_ACCOUNT_FAILURE_LIMIT,
#     sign-in with a password alone is paused; a person with a second factor still signs in
#     (the password step passes, the code decides). Second-step failures are limited per
#     account by "signin.second_factor": only someone who knows the password can cause those.


def lock_state(username: str | None) -> datetime | None:
    """The latest time until which this username is locked (from some address) or its
    password-only sign-in is paused, or None."""
    now = timezone.now()
    key = _throttle_key(username)
    times = list(
        LoginThrottle.objects.filter(username=key, locked_until__gt=now).values_list(
            "locked_until", flat=True
        )
    )
    paused = (
        User.objects.filter(username__iexact=key, password_signin_paused_until__gt=now)
        .values_list("password_signin_paused_until", flat=True)
        .first()
    )
    times += [t for t in [paused] if t is not None]
    return max((t for t in times if t is not None), default=None)


def locked_addresses(username: str | None) -> list[LoginThrottle]:
    """The (username, address) locks in force, for the user page."""
    return list(
        LoginThrottle.objects.filter(
            username=_throttle_key(username), locked_until__gt=timezone.now()
        ).order_by("-locked_until")
    )


def _limited(exc: ratelimit.Limited) -> SignInRefused:
    return SignInRefused(exc.message, status=429, retry_after=exc.retry_after)


def _check_address(address: str) -> None:
    try:
        ratelimit.blocked(("signin.address", address))
    except ratelimit.Limited as exc:
        raise _limited(exc) from exc


def _check_pair(username: str, address: str) -> None:
    throttle = LoginThrottle.objects.filter(
        username=_throttle_key(username), address=address, locked_until__gt=timezone.now()
    ).first()
    if throttle is not None and throttle.locked_until is not None:
        raise SignInRefused(
            f"该账户在您当前的网络上连续登录失败，已临时锁定，请于 "
            f"{_local_time(throttle.locked_until)} 后再试，或请管理员解除锁定。"
        )


def _register_failure(username: str, user: User | None, *, second_step: bool = False) -> int:
    """Count one failed sign-in against the pair, the account and the address; returns how
    many more failures the pair allows (0: just locked). Raises SignInRefused (429) when the
    address has now passed its limit."""
    key = _throttle_key(username)
    address = _address()
    now = timezone.now()
    window = timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    known = user or User.objects.filter(username__iexact=username).first()
    with transaction.atomic():
        try:
            with transaction.atomic():
                LoginThrottle.objects.get_or_create(username=key, address=address)
        except IntegrityError:
            pass  # another request created it first; the lock below serializes us
        throttle = LoginThrottle.objects.select_for_update().get(username=key, address=address)
        if throttle.first_failure_at is None or now - throttle.first_failure_at > window:
            throttle.failures = 0
            throttle.first_failure_at = now
        throttle.failures += 1
        left = settings.LOGIN_FAILURE_LIMIT - throttle.failures
        locked = left <= 0
        if locked:
            throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            throttle.failures = 0
            throttle.first_failure_at = None
        throttle.save()
        label = username[:150]
        org = _home_org(known)
        record(
            "auth.2fa_failed" if second_step else "auth.login_failed",
            actor=known,
            actor_label=label,
            obj=known,
            org=org,
        )
        if locked and throttle.locked_until is not None:  # set above when locked
            record(
                "auth.locked",
                actor=known,
                actor_label=label,
                obj=known,
                org=org,
                changes={"locked_until": throttle.locked_until.isoformat(), "address": address},
            )
        if known is not None:
            _count_account_failure(known, now, label, org)
    try:
        ratelimit.hit(("signin.address", address))
    except ratelimit.Limited as exc:
        raise _limited(exc) from exc
    return max(left, 0)


def _count_account_failure(user: User, now: datetime, label: str, org: "Org | None") -> None:
    row = User.objects.select_for_update().get(pk=user.pk)
    window = timedelta(minutes=settings.LOGIN_ACCOUNT_WINDOW_MINUTES)
    if row.signin_failures_since is None or now - row.signin_failures_since > window:
        row.signin_failures = 0
        row.signin_failures_since = now
    row.signin_failures += 1
    fields = ["signin_failures", "signin_failures_since"]
    if row.signin_failures >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        row.password_signin_paused_until = now + timedelta(
            minutes=settings.LOGIN_ACCOUNT_LOCK_MINUTES
        )
        row.signin_failures = 0
        row.signin_failures_since = None
        fields.append("password_signin_paused_until")
        record(
            "auth.password_signin_paused",
            actor=row,
            actor_label=label,
            obj=row,
            org=org,
            changes={"paused_until": row.password_signin_paused_until.isoformat()},
        )
    row.save(update_fields=fields)


def check_password(username: str | None, password: str) -> User:
    """The first step of signing in: the user whose password this is, or SignInRefused."""
    username = (username or "").strip()
    address = _address()
    _check_address(address)
    _check_pair(username, address)
    known = User.objects.filter(username__iexact=username).first()
    paused = known.password_signin_paused_until if known else None
    if known is not None and paused and paused > timezone.now() and not has_two_factor(known):
        raise SignInRefused(
            f"该账户近期在多个网络登录失败次数过多，已暂停仅凭密码登录，请于 "
            f"{_local_time(paused)} 后再试，或请管理员解除锁定。启用两步验证的账户不受影响。"
        )
    user = authenticate(None, username=username, password=password)
    if not isinstance(user, User):
        left = _register_failure(username, known)
        if left == 0:
            raise SignInRefused(
                f"连续 {settings.LOGIN_FAILURE_LIMIT} 次登录失败，该账户在您当前的网络上已锁定 "
                f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
            )
        raise SignInRefused(
            f"用户名或密码不正确。再失败 {left} 次，该账户在您当前的网络上将被锁定 "
            f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
        )
    return user


def sign_in(request: HttpRequest, user: User, *, second_factor: str = "") -> None:
    """Start the session of a user who passed every step; second_factor says which one they
    used ("totp", "recovery", or "" for none)."""
    with transaction.atomic():
        LoginThrottle.objects.filter(
            username=_throttle_key(user.username), address=_address()
        ).delete()
        User.objects.filter(pk=user.pk).update(signin_failures=0, signin_failures_since=None)
        login(request, user)
        request.session[SESSION_VERIFIED] = bool(second_factor)
        record(
            "auth.login",
            actor=user,
            obj=user,
            org=_home_org(user),
            changes={"second_factor": second_factor} if second_factor else None,
        )


def unlock_user(actor: User, user: User) -> bool:
    """End every lock of this account: from each address, and a paused password sign-in."""
    with transaction.atomic():
        deleted, _ = LoginThrottle.objects.filter(username=_throttle_key(user.username)).delete()
        paused = User.objects.filter(pk=user.pk, password_signin_paused_until__isnull=False)
        was_paused = paused.exists()
        User.objects.filter(pk=user.pk).update(
            signin_failures=0, signin_failures_since=None, password_signin_paused_until=None
        )
        record("auth.unlocked", actor=actor, obj=user, org=_home_org(user))
    return bool(deleted) or was_paused


# --- Second factor (TOTP, RFC 6238) ------------------------------------------------------


def has_two_factor(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def two_factor_required(user: User, roles: Collection[str]) -> bool:
    """Must this person use a second factor? Operators and office admins must (everyone with
    OPENDAY_2FA_REQUIRED=all); accounts of `openday demo` never have to."""
    from openday.orgs.models import Role

    if user.two_factor_exempt:
        return False
    if settings.OPENDAY_2FA_REQUIRED == "all":
        return True
    return user.is_superuser or Role.OFFICE_ADMIN in roles


def new_secret() -> str:
    """A random TOTP secret (160 bits, base32), kept in the session until it is confirmed."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.username, issuer_name=settings.OPENDAY_2FA_ISSUER
    )


def _digits(code: str) -> str:
    return unicodedata.normalize("NFKC", code or "").replace(" ", "").replace("-", "").lower()


def _matching_step(secret: str, code: str, after_step: int, now: float | None = None) -> int | None:
    """The time step (now ±1) whose code this is, if later than after_step; else None."""
    code = _digits(code)
    if len(code) != 6 or not (code.isascii() and code.isdecimal()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    current = int((time.time() if now is None else now) // TOTP_INTERVAL)
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    return hmac.new(settings.HASH_KEY.encode(), _digits(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_recovery_hash(c)) for c in codes]
    )
    return codes


def enrol_two_factor(user: User, secret: str, code: str) -> list[str]:
    """Confirm a new authenticator with one of its codes; returns ten one-time recovery codes
    (shown once; only their hashes are kept). Replaces an earlier authenticator."""
    step = _matching_step(secret, code, 0)
    if step is None:
        raise ValidationError(
            "验证码不正确，请核对手机时间是否准确，并输入验证器中当前显示的 6 位数字。",
            code="bad_code",
        )
    with transaction.atomic():
        found = TwoFactor.objects.filter(user=user).first() or TwoFactor(user=user)
        again = found.confirmed_at is not None
        found.secret = secret
        found.confirmed_at = timezone.now()
        found.last_used_step = step
        found.save()
        codes = _new_recovery_codes(user)
        record(
            "auth.2fa_enrolled",
            actor=user,
            obj=user,
            org=_home_org(user),
            changes={"replaced": True} if again else None,
        )
    return codes


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def verify_second_factor(user: User, code: str) -> str:
    """The second step of signing in: "totp" or "recovery" for the kind of code that passed,
    or SignInRefused. A code is accepted once; failures count toward every sign-in limit."""
    address = _address()
    _check_address(address)
    _check_pair(user.username, address)
    factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if factor is None:
        raise SignInRefused("该账户未绑定两步验证，请重新登录。")
    limit_key = f"{user.pk}:{factor.pk}"  # a reset starts a fresh count
    try:
        ratelimit.blocked(("signin.second_factor", limit_key))
    except ratelimit.Limited as exc:
        raise _limited(exc) from exc
    step = _matching_step(factor.secret, code, factor.last_used_step)
    if step is not None:
        # Conditional update: of two requests with the same code, one wins.
        if TwoFactor.objects.filter(pk=factor.pk, last_used_step__lt=step).update(
            last_used_step=step
        ):
            return "totp"
    elif len(_digits(code)) == 10:
        used = RecoveryCode.objects.filter(
            user=user, code_hash=_recovery_hash(code), used_at=None
        ).update(used_at=timezone.now())
        if used:
            record(
                "auth.2fa_recovery_used",
                actor=user,
                obj=user,
                org=_home_org(user),
                changes={"remaining": remaining_recovery_codes(user)},
            )
            return "recovery"
    left = _register_failure(user.username, user, second_step=True)
    try:
        ratelimit.hit(("signin.second_factor", limit_key))
    except ratelimit.Limited as exc:
        raise _limited(exc) from exc
    if left == 0:
        raise SignInRefused(
            f"连续 {settings.LOGIN_FAILURE_LIMIT} 次验证失败，该账户在您当前的网络上已锁定 "
            f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
        )
    raise SignInRefused(
        f"验证码不正确或已使用过。再失败 {left} 次，该账户在您当前的网络上将被锁定 "
        f"{settings.LOGIN_LOCK_MINUTES} 分钟。"
    )


def reset_two_factor(actor: User, user: User) -> bool:
    """Remove a person's authenticator and recovery codes (a lost phone); they enrol again
    at their next sign-in if their role requires it. Returns whether they had one."""
    with transaction.atomic():
        had = has_two_factor(user)
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        record("auth.2fa_reset", actor=actor, obj=user, org=_home_org(user))
    return had


# --- Passwords ---------------------------------------------------------------------------


def password_expired(user: User) -> bool:
    """True when OPENDAY_PASSWORD_MAX_AGE_DAYS is set and the password is older than that."""
    days = settings.OPENDAY_PASSWORD_MAX_AGE_DAYS
    if not days:
        return False
    changed = user.password_changed_at or user.date_joined
    return timezone.now() - changed > timedelta(days=days)


def password_recently_used(user: User, raw: str) -> bool:
    """Is raw one of the last OPENDAY_PASSWORD_HISTORY passwords other than the one in use
    now? (accounts.passwords.HistoryValidator; change_password adds the one in use.)"""
    if user.pk is None:
        return False
    count = settings.OPENDAY_PASSWORD_HISTORY
    old = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:count]
    return any(hashers.check_password(raw, encoded) for encoded in old if encoded != user.password)


def _remember_password(user: User) -> None:
    """Keep the hash of the password just set, and only as many as the history needs."""
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
        : max(settings.OPENDAY_PASSWORD_HISTORY, 1)
    ]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()


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
        user.password_changed_at = timezone.now()
        user.save()
        _remember_password(user)
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
    """Set a password the person chose; refuses weak ones and the last few they used."""
    # The validators refuse weak passwords and the earlier ones of the history; the one in
    # use now (a one-time password included) is refused here.
    if user.password and hashers.check_password(new_password, user.password):
        raise ValidationError(reused_message(), code="password_reused")
    password_validation.validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        _remember_password(user)
        record("auth.password_changed", actor=user, obj=user, org=_home_org(user))


def reused_message() -> str:
    return f"不能使用最近 {settings.OPENDAY_PASSWORD_HISTORY} 次用过的密码，请换一个新密码。"


def reset_password(actor: User, user: User) -> str:
    """Give the user a new one-time password, to be changed at the next sign-in."""
    password = generate_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        _remember_password(user)
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
