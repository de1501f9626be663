"""Encryption at rest and keyed look-up hashes for personal data (PIPL)."""

import base64
import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Office lines such as 0731-84390197 or 0475-1234567, with an optional extension.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


@cache
def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def normalize_phone(value: str) -> str:
    """Strip spaces, dashes in mobiles and a +86 prefix; landlines keep their dash."""
    value = (value or "").strip().replace(" ", "").replace("\u3000", "")
    if value.startswith("+86"):
        value = value[3:]
    compact = value.replace("-", "")
    if MOBILE_RE.match(compact):
        return compact
    return value


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(normalize_phone(value)))


def is_phone(value: str) -> bool:
    value = normalize_phone(value)
    return bool(MOBILE_RE.match(value) or LANDLINE_RE.match(value))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.FIELD_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.FIELD_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        # A value written under another key is unreadable, not a crash.
        return ""


def lookup_hash(value: str) -> str:
    """Keyed hash for finding a record by phone without storing the phone in clear."""
    if not value:
        return ""
    normalized = normalize_phone(value)
    return hmac.new(settings.HASH_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def encrypted_phone(field, *, hash_field=None, last4_field=None):
    """A model property storing a phone number encrypted in `field`.

    Setting it normalizes the number and also fills the keyed look-up hash and the last four
    digits when the model keeps them (for finding a person without decrypting everyone).
    """

    def get(self):
        return decrypt(getattr(self, field))

    def set_(self, value):
        value = normalize_phone(value or "")
        setattr(self, field, encrypt(value))
        if hash_field:
            setattr(self, hash_field, lookup_hash(value))
        if last4_field:
            setattr(self, last4_field, value[-4:])

    return property(get, set_)


# --- Removal after the retention period -------------------------------------------------

REMOVED_NAME = "（已匿名）"
ERASE_BATCH = 2000


def removed_hash():
    """The value a look-up hash column gets when its person is removed: "removed:<pk>".

    Unique per row, so no unique constraint over (…, phone_hash) can trip however many
    people an event had, and never equal to a real keyed hash (64 hex digits)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Concat(Value("removed:"), Cast("pk", output_field=CharField()))


def erase_in_batches(queryset, values: dict, batch_size: int | None = None) -> int:
    """Update the rows of queryset with values, batch_size rows per transaction.

    queryset must no longer match a row once it is updated (e.g. it excludes
    phone_encrypted=""), so a run cut short resumes where it stopped and a second run
    finds nothing; a million rows never sit in one transaction or in memory at once."""
    from django.db import transaction

    batch_size = batch_size or ERASE_BATCH
    done = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return done
            done += queryset.model.objects.filter(pk__in=ids).update(**values)
