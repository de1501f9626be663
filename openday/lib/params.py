"""Ids, numbers, dates and choices taken from a URL or a query string, parsed in one place.

A malformed value is the sender's mistake, so it answers 404 (an id that names an object) or 400
with the reason in Chinese (BadParam), never 500. Digits are read after NFKC, so "２０２３" is 2023,
and only ASCII digits count after that: int() alone would accept Arabic-Indic or Devanagari digits
and ids too large for a database column.
"""

import datetime as dt
import unicodedata
from collections.abc import Container
from typing import Annotated, Any

from django.core.exceptions import BadRequest
from django.http import Http404
from pydantic import Field

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField on PostgreSQL and SQLite
MAX_OFFSET = 10**9  # far past any list the product holds; keeps OFFSET in a 64-bit column
MIN_YEAR, MAX_YEAR = 1950, 2100  # as openday.workdays.services
MAX_DIGITS = 19  # len(str(MAX_ID))

# Bounded types for django-ninja signatures: pydantic answers 422 for anything outside.
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Page = Annotated[int, Field(ge=1, le=MAX_OFFSET)]


def limit_type(maximum: int) -> Any:
    """A ninja `limit` parameter type: 1..maximum."""
    return Annotated[int, Field(ge=1, le=maximum)]


class BadParam(BadRequest):
    """A query or form parameter that cannot be read; the message is shown to the sender."""


def _digits(value: object) -> str | None:
    """The value as an ASCII digit string after NFKC and trimming, or None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text or len(text) > MAX_DIGITS + 2 or not (text.isascii() and text.isdecimal()):
        return None
    return text


def id_or_none(value: object) -> int | None:
    """An object id in 1..2^63-1, or None when the value is empty or not such an id."""
    text = _digits(value)
    if text is None:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def object_id(value: object) -> int:
    """The id of an object someone asked for by name: anything but a valid id is a 404."""
    number = id_or_none(value)
    if number is None:
        raise Http404("对象不存在。")
    return number


def integer(
    value: object, *, name: str, minimum: int, maximum: int, default: int | None = None
) -> int:
    """A whole number within [minimum, maximum]; `default` when empty; BadParam otherwise."""
    if value is None or not str(value).strip():
        if default is None:
            raise BadParam(f"缺少参数 {name}。")
        return default
    text = unicodedata.normalize("NFKC", str(value)).strip()
    negative = text.startswith("-")
    digits = _digits(text[1:] if negative else text)
    number = None if digits is None else (-int(digits) if negative else int(digits))
    if number is None or not minimum <= number <= maximum:
        raise BadParam(f"参数 {name} 须为 {minimum}–{maximum} 之间的整数。")
    return number


def year(value: object, *, name: str = "year", default: int | None = None) -> int:
    """A calendar year the product can hold (1950–2100)."""
    return integer(value, name=name, minimum=MIN_YEAR, maximum=MAX_YEAR, default=default)


def page(value: object) -> int:
    """A page number for Paginator.get_page: anything unreadable is the first page."""
    text = _digits(value)
    return min(int(text), MAX_OFFSET) if text else 1


def date(value: object, *, name: str = "date", default: dt.date | None = None) -> dt.date:
    """An ISO date (2024-05-01, full-width digits allowed); BadParam otherwise."""
    if value is None or not str(value).strip():
        if default is None:
            raise BadParam(f"缺少参数 {name}。")
        return default
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        if not text.isascii():
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadParam(f"参数 {name} 须为日期，格式如 2024-05-01。") from None


def choice(value: object, choices: Container[str], *, default: str = "") -> str:
    """One of `choices` (a mapping or a collection of strings), or `default`."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return text if text in choices else default


class IdConverter:
    """<id:name> in a URL: an object id in 1..2^63-1, so a longer or zero id is the resolver's 404."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the resolver reads ValueError as "no match"
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class YearConverter:
    """<year:name> in a URL: a year 1950–2100."""

    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not MIN_YEAR <= number <= MAX_YEAR:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register_converters() -> None:
    """Called once from openday.control's AppConfig.ready, before any URLconf is read."""
    from django.urls import register_converter

    register_converter(IdConverter, "id")
    register_converter(YearConverter, "year")
