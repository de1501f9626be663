"""Encryption at rest and keyed look-up hashes for personal data (PIPL)."""

import base64
import hashlib
import hmac
import re
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from openday.lib.text import identifier

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.db.models.functions import Concat

# ASCII digits only (Python's \d is any Unicode digit): normalize_phone turns every other
# spelling into these first, so one number has one hash. Used with fullmatch.
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
# Office lines such as 0731-84390197 or 0475-1234567, with an optional extension.
LANDLINE_RE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?", re.ASCII)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63", "-"))
_PREFIXES = ("+86", "0086", "86")


@cache
def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def normalize_phone(value: str) -> str:
    """One ASCII spelling per number: NFKC, Unicode digits as ASCII (openday.lib.text), no
    spaces; a mobile loses its dashes and a +86 / 0086 / 86 prefix, a landline keeps its dash.
    Anything else comes back in that form and is refused by is_mobile / is_phone. Idempotent."""
    value = str(value or "")
    # Removing a space or a bracket can put a combining mark next to a letter that NFKC then
    # composes: repeat until nothing changes (once or twice for anything a person types).
    for _ in range(8):
        again = _normalize_phone_once(value)
        if again == value:
            break
        value = again
    return value


def _normalize_phone_once(value: str) -> str:
    value = identifier(value).translate(_DASHES).replace("(", "").replace(")", "")
    compact = value.replace("-", "")
    if MOBILE_RE.fullmatch(compact):
        return compact
    for prefix in _PREFIXES:
        if compact.startswith(prefix) and MOBILE_RE.fullmatch(compact[len(prefix) :]):
            return compact[len(prefix) :]
    return value


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.fullmatch(normalize_phone(value)))


def is_phone(value: str) -> bool:
    value = normalize_phone(value)
    return bool(MOBILE_RE.fullmatch(value) or LANDLINE_RE.fullmatch(value))


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


class PhoneProperty(Protocol):
    """What encrypted_phone() gives a model, as the type checker sees it: a str on read, and a
    str (or None for none) on assignment."""

    def __get__(self, instance: Any, owner: Any = None, /) -> str: ...

    def __set__(self, instance: Any, value: str | None, /) -> None: ...


def encrypted_phone(
    field: str, *, hash_field: str | None = None, last4_field: str | None = None
) -> PhoneProperty:
    """A model property storing a phone number encrypted in `field`.

    Setting it normalizes the number and also fills the keyed look-up hash and the last four
    digits when the model keeps them (for finding a person without decrypting everyone).
    """

    def get(self: Any) -> str:
        return decrypt(getattr(self, field))

    def set_(self: Any, value: str | None) -> None:
        value = normalize_phone(value or "")
        setattr(self, field, encrypt(value))
        if hash_field:
            setattr(self, hash_field, lookup_hash(value))
        if last4_field:
            setattr(self, last4_field, value[-4:])

    return cast(PhoneProperty, property(get, set_))


# --- Removal after the retention period -------------------------------------------------

REMOVED_NAME = "（已匿名）"
ERASE_BATCH = 2000


def removed_hash() -> "Concat":
    """The value a look-up hash column gets when its person is removed: "removed:<pk>".

    Unique per row, so no unique constraint over (…, phone_hash) can trip however many
    people an event had, and never equal to a real keyed hash (64 hex digits)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Concat(Value("removed:"), Cast("pk", output_field=CharField()))


def erase_in_batches(
    queryset: "QuerySet[Any]", values: dict[str, Any], batch_size: int | None = None
) -> int:
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
