from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from openday.lib import personal_data
from openday.lib.masking import mask_name, mask_phone


class User(AbstractUser):
    """A staff member. Roles come from memberships in organizations (orgs.Membership)."""

    full_name = models.CharField("姓名", max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    must_change_password = models.BooleanField(default=False)
    # When the password was last set (for OPENDAY_PASSWORD_MAX_AGE_DAYS); None: never recorded,
    # date_joined counts instead.
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Accounts of `openday demo` need no second factor, so a newcomer can try the product.
    two_factor_exempt = models.BooleanField(default=False)
    # Failed sign-ins over all addresses (accounts/services.py): past the account-wide limit,
    # sign-in with a password alone is paused; a password plus a second factor still passes.
    signin_failures = models.PositiveIntegerField(default=0)
    signin_failures_since = models.DateTimeField(null=True, blank=True)
    password_signin_paused_until = models.DateTimeField(null=True, blank=True)

    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.full_name or self.username

    phone = personal_data.encrypted_phone("phone_encrypted", hash_field="phone_hash")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.full_name or self.username)

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class LoginThrottle(models.Model):
    """Failed sign-ins per (username, client address); a row with locked_until in the future
    refuses that username from that address only, so a stranger elsewhere cannot lock a
    person out. (Failures per address over all names are limited by ops.ratelimit.)"""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=45, blank=True, default="")
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "address"], name="login_throttle_pair")
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address or '—'}"


class TwoFactor(models.Model):
    """A person's TOTP authenticator (RFC 6238). The secret is encrypted at rest; confirmed_at
    is set once the person has typed one code from their app, and only then does it count."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step (unix time // 30) whose code was accepted: a code is good only once.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} 两步验证"

    @property
    def secret(self) -> str:
        return personal_data.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = personal_data.encrypt(value)


class RecoveryCode(models.Model):
    """A one-time recovery code, stored as a keyed hash; used_at is set when it is spent."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} 恢复码"


class PasswordHistory(models.Model):
    """The hashes of a person's recent passwords, so the last few are not used again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
