"""Log hygiene: no log line carries a mobile number or an ID-card number in full.

One rule for every logger of every process (web, worker, commands, third-party libraries):
`install()` wraps the log-record factory, so each record's message (its arguments filled in)
and its traceback are masked the moment the record is made, before any handler, filter or
formatter sees it. `MaskingFilter` does the same on the handlers that settings.LOGGING
declares, for records made before `install()` ran (Django configures logging first).

Masked forms: 13812345678 -> 138****5678 (also written 138-1234-5678, 138 1234 5678 or with
+86); 430102199001011234 -> 430***********1234; the 15-digit ID numbers of before 1999 alike.
A masked value no longer matches, so masking twice changes nothing.
"""

import logging
import re
from typing import Any

# A mainland mobile number not glued to other digits, with an optional +86/86 and the usual
# separators. The digits of an ID-card number are not one (they are glued to others).
_PHONE = re.compile(r"(?<![\d])((?:\+?86)[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![\d])")
# Resident ID numbers: 18 characters (region, birth date, sequence, check) or the old 15 digits.
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID = re.compile(
    rf"(?<![0-9A-Za-z])([1-9]\d{{2}})(\d{{3}}{_DATE8}\d{{3}}[\dXx]|\d{{3}}{_DATE6}\d{{3}})"
    r"(?![0-9A-Za-z])"
)


def _mask_id(match: re.Match[str]) -> str:
    head, rest = match.group(1), match.group(2)
    return head + "*" * (len(rest) - 4) + rest[-4:]


def _mask_phone(match: re.Match[str]) -> str:
    prefix = match.group(1) or ""
    return f"{prefix}{match.group(2)}****{match.group(4)}"


def mask_personal_numbers(text: str) -> str:
    """The text with every mobile number and ID-card number in it masked."""
    if not any(ch.isdigit() for ch in text):
        return text
    # ID numbers first: an 18-digit ID holds 11-digit runs that must not be read as a phone.
    return _PHONE.sub(_mask_phone, _ID.sub(_mask_id, text))


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Fill in the record's message and traceback, masked; idempotent."""
    if getattr(record, "_openday_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is logging's to report, not ours
        return record
    record.msg = mask_personal_numbers(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_personal_numbers(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_personal_numbers(record.stack_info)
    record._openday_masked = True
    return record


class MaskingFilter(logging.Filter):
    """For handlers: masks the record in place and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


_installed = False


def install() -> None:
    """Wrap the process's log-record factory once, so every record is masked when made."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
