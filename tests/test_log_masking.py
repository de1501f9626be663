"""Log hygiene (#18 item 7): no log line of any logger holds a mobile or ID-card number."""

import io
import logging
import subprocess
import sys

import pytest

from openday.lib.log_masking import MaskingFilter, mask_personal_numbers, mask_record

PHONE = "13812345678"
ID18 = "430102199001011234"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812345678。", "电话138****5678。"),
        ("tel=13812345678&x=1", "tel=138****5678&x=1"),
        ("+8613812345678", "+86138****5678"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("138 1234 5678", "138****5678"),
        ("身份证 430102199001011234", "身份证 430***********1234"),
        ("43010219900101123x", "430***********123x"),
        ("旧证 430102900101123", "旧证 430********1123"),
    ],
)
def test_numbers_are_masked(text, masked):
    assert mask_personal_numbers(text) == masked
    assert mask_personal_numbers(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # not a mobile prefix
        "138123456789",  # twelve digits: not a phone
        "ticket 2026120612345678901",
        "took 1733472000123 ms",
        "event 12345, org 678",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_personal_numbers(text) == text


def _capture(logger_name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, handler, stream


@pytest.mark.parametrize("name", ["openday.messages", "django.request", "some.library", "_granian"])
def test_every_logger_and_any_handler_writes_masked_lines(name):
    # A handler nobody configured with our filter: the record factory masks at creation.
    logger, handler, stream = _capture(name)
    try:
        logger.info("sms to %s, id %s", PHONE, ID18)
        logger.warning(f"inline {PHONE}")
        try:
            raise ValueError(f"bad phone {PHONE} id {ID18}")
        except ValueError:
            logger.exception("failed for %s", PHONE)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    assert PHONE not in out and ID18 not in out
    assert "138****5678" in out and "430***********1234" in out
    assert "Traceback" in out and "ValueError: bad phone 138****5678" in out


def test_the_filter_masks_records_made_before_the_factory_was_installed():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", (PHONE,), None)
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == "to 138****5678"
    assert mask_record(record).getMessage() == "to 138****5678"


def test_settings_put_the_filter_on_every_configured_handler():
    from django.conf import settings

    handlers = settings.LOGGING["handlers"]
    assert handlers
    for name, config in handlers.items():
        assert "mask_personal_numbers" in config.get("filters", []), name
    configured = [h for h in logging.getLogger().handlers if h.get_name() in handlers]
    assert configured  # pytest adds its own handlers beside them
    for handler in configured:
        assert any(isinstance(f, MaskingFilter) for f in handler.filters), handler


def test_a_command_process_logs_masked_lines(tmp_path):
    # A separate process set up as `openday` sets itself up: its records are masked too.
    code = (
        "import django, logging; django.setup(); "
        f"logging.getLogger('openday.worker').warning('sending to {PHONE} id {ID18}')"
    )
    env = {"DJANGO_SETTINGS_MODULE": "openday.settings", "PATH": "/usr/bin:/bin"}
    env["OPENDAY_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "138****5678" in done.stderr and "430***********1234" in done.stderr
    assert PHONE not in done.stderr and ID18 not in done.stderr
