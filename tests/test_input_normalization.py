"""Input at the edge (issue #16): one phone is one person however its digits are written, and
control characters never reach the database, through services, the portal's forms and the API."""

import hashlib
import hmac
import inspect
import json
import pkgutil
from importlib import import_module

import pytest
from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

import openday
from openday.accounts.services import create_token
from openday.audit.models import AuditEntry
from openday.events import services
from openday.events.forms import RegistrationForm
from openday.events.models import Invitation, Registration
from openday.events.phone_normalization import renormalize_stored_phones
from openday.lib import personal_data, text
from openday.lib.edge import CleanInputMixin
from openday.lib.personal_data import is_mobile, lookup_hash, normalize_phone
from openday.opinions.models import Opinion
from openday.surveys.models import Response
from tests.test_events import make_event
from tests.test_survey_api import make_survey, questions
from tests.test_survey_portal import form_data

MOBILE = "13712347000"
ZERO = {"ascii": "0", "full-width": "０", "arabic-indic": "٠", "devanagari": "०", "math": "𝟎"}
DIGIT_ZEROS = [0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC]


def spelled(number, zero):
    """number written with the digits of the script whose zero is `zero`."""
    return "".join(chr(ord(zero) + int(d)) for d in number)


SPELLINGS = [spelled(MOBILE, z) for z in ZERO.values()]


def open_event(world):
    return make_event(world, capacity=20, quotas={}, waitlist=20)


# --- One phone, many seats -----------------------------------------------------------------------


def test_every_digit_spelling_of_a_number_is_the_same_ascii_number():
    for phone in SPELLINGS:
        assert normalize_phone(phone) == MOBILE
        assert is_mobile(phone) and lookup_hash(phone) == lookup_hash(MOBILE)
    assert normalize_phone("+86 137-1234-7000") == MOBILE
    assert normalize_phone("０７３１－８４３９０１９７") == "0731-84390197"


def test_what_is_not_a_phone_after_normalizing_is_refused():
    for odd in ["137\x0012347000", "1371234700", "137123470000", "l3712347000", "١٣٧١٢٣٤٧٠٠"]:
        assert not is_mobile(odd)
    assert not personal_data.is_phone("0731-8439019a")


def test_one_number_in_five_scripts_gets_one_seat_through_the_service(world):
    event = open_event(world)
    first = services.register(
        event.pk, name="张三", phone=SPELLINGS[1], category="public", consent=True
    )
    assert first.status == "confirmed"
    for phone in [SPELLINGS[0], *SPELLINGS[2:]]:
        with pytest.raises(services.Refused) as exc:
            services.register(event.pk, name="张三", phone=phone, category="public", consent=True)
        assert exc.value.code == "duplicate"
    assert event.registrations.count() == 1
    stored = Registration.objects.get()
    assert stored.phone == MOBILE and stored.phone_last4 == "7000"
    assert stored.phone_hash == lookup_hash(MOBILE)


def test_one_number_in_five_scripts_gets_one_seat_through_the_portal(client, world):
    event = open_event(world)
    statuses = []
    for phone in SPELLINGS:
        response = client.post(
            f"/events/{event.pk}/",
            {"name": "李四", "phone": phone, "category": "public", "consent": "on"},
        )
        statuses.append(response.status_code)
        if response.status_code == 400:
            assert "已报名本活动" in response.content.decode()
    assert statuses == [302, 400, 400, 400, 400]
    assert Registration.objects.get(event=event).phone == MOBILE


def test_one_number_in_five_scripts_gets_one_seat_through_the_api(client, world):
    event = open_event(world)
    codes = []
    for phone in reversed(SPELLINGS):
        response = client.post(
            f"/api/v1/events/{event.pk}/registrations",
            json.dumps({"name": "王五", "phone": phone, "category": "public", "consent": True}),
            content_type="application/json",
        )
        codes.append((response.status_code, response.json().get("error", {}).get("code")))
    assert codes == [(201, None)] + [(409, "duplicate")] * 4
    assert Registration.objects.get(event=event).phone == MOBILE


def test_the_confirmation_sms_goes_to_the_ascii_number(world, django_capture_on_commit_callbacks):
    from openday.messaging.models import OutboundMessage

    event = open_event(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.register(
            event.pk, name="赵六", phone=SPELLINGS[4], category="public", consent=True
        )
    message = OutboundMessage.objects.filter(channel="sms").latest("id")
    assert personal_data.decrypt(message.to_encrypted) == MOBILE
    assert message.to_masked == "137****7000"


# --- Codes ---------------------------------------------------------------------------------------


def test_codes_typed_in_other_digits_or_case_find_the_same_ticket(world):
    event = open_event(world)
    r = services.register(event.pk, name="张三", phone=MOBILE, category="public", consent=True)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in r.ticket_code.lower())
    assert services.check_in(world.users["unit_admin"], event, f" {full_width} ").pk == r.pk
    assert text.clean_code("ab\x00cd") == "" and text.clean_code("ＡＢ-١２") == "AB12"


def test_a_nul_in_a_ticket_url_is_not_found_not_a_server_error(client, world):
    assert client.get("/tickets/AB%00CD/").status_code == 404
    response = client.delete("/api/v1/registrations/AB%00CD")
    assert response.status_code == 404


# --- Control characters --------------------------------------------------------------------------


def test_text_rules_per_class():
    assert text.scrub("第一行\x0b第二行\r\n第三行\r第四行") == (
        "第一行\n第二行\n第三行\n第四行",
        False,
    )
    assert text.scrub("\ufeff意见\u200b内容\t") == ("意见内容", False)
    assert text.scrub("张\x00三\x01") == ("张三", True)
    assert text.scrub("a\u202eb") == ("ab", True)
    assert text.scrub("名\n字", multiline=False) == ("名 字", False)
    # Width folding, not full NFKC: Chinese punctuation, ① and …… stay as written.
    assert text.clean_text("ＡＢＣ１２３，（试点）①……") == "ABC123，（试点）①……"
    with pytest.raises(text.InputError, match="不可见的控制字符"):
        text.clean_text("a\x00")


def test_a_registrant_name_with_control_characters_is_refused(world):
    event = open_event(world)
    with pytest.raises(ValidationError) as exc:
        services.register(event.pk, name="张\x00三", phone=MOBILE, category="public", consent=True)
    assert "不可见的控制字符" in exc.value.message_dict["name"][0]
    assert not Registration.objects.exists()


def test_a_form_keeps_the_text_without_the_control_characters_and_says_why():
    form = RegistrationForm(
        {"name": "张\x0b三\x00", "phone": SPELLINGS[2], "category": "public", "consent": "on"},
        categories=[{"code": "public", "name": "群众", "left": 1}],
    )
    assert not form.is_valid()
    assert "不可见的控制字符" in form.errors["name"][0]
    assert form["name"].value() == "张 三"  # what was typed, cleaned, ready to resubmit
    assert form.cleaned_data["phone"] == MOBILE


def test_an_opinion_with_a_nul_is_refused_on_the_page_and_in_the_api(client, world):
    page = client.post(
        "/opinions/new/",
        {"office": str(world.kaifu.pk), "anonymous": "1", "content": "希望延长\x00周末开放时间。"},
    )
    assert page.status_code == 400 and "不可见的控制字符" in page.content.decode()
    assert "希望延长周末开放时间。" in page.content.decode()
    api = client.post(
        "/api/v1/opinions",
        json.dumps({"office_id": world.kaifu.pk, "anonymous": True, "content": "希望\x00延长"}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["error"]["details"][0]["field"].endswith("content")
    assert "不可见的控制字符" in api.json()["error"]["details"][0]["reason"]
    assert not Opinion.objects.exists()


def test_word_line_breaks_in_an_anonymous_opinion_become_new_lines(client, world):
    api = client.post(
        "/api/v1/opinions",
        json.dumps(
            {"office_id": world.kaifu.pk, "anonymous": True, "content": "第一条建议\x0b第二条建议"}
        ),
        content_type="application/json",
    )
    assert api.status_code == 201
    assert Opinion.objects.get().content == "第一条建议\n第二条建议"


def test_a_survey_answer_with_control_characters_is_refused(client, world):
    survey = make_survey(world)
    q = questions(survey)
    response = client.post(
        f"/surveys/{survey.pk}/", form_data(survey, single="1", textarea="停车\x00不便\x01")
    )
    assert response.status_code == 400 and "不可见的控制字符" in response.content.decode()
    assert "停车不便" in response.content.decode()
    api = client.post(
        f"/api/v1/surveys/{survey.pk}/responses",
        json.dumps({"answers": {str(q["single"].pk): 1, str(q["textarea"].pk): "a\x00"}}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert not Response.objects.exists()


def test_every_form_in_openday_normalizes_its_input():
    for module in pkgutil.walk_packages(openday.__path__, "openday."):
        if module.name.endswith(("forms", "views")) and ".migrations" not in module.name:
            import_module(module.name)
    missing = []
    stack = [forms.Form]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("openday.") and not issubclass(cls, CleanInputMixin):
            missing.append(f"{cls.__module__}.{cls.__name__}")
    assert missing == []


def test_every_api_input_schema_normalizes_its_input():
    from ninja import Schema

    from openday.lib.edge import InputSchema

    missing = []
    for name in ("events", "opinions", "surveys", "opinion_staff", "campaigns", "articles"):
        module = import_module(f"openday.api.{name}")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls_name.endswith("In")
                and issubclass(cls, Schema)
                and cls.__module__ == module.__name__
            ):
                if not issubclass(cls, InputSchema):
                    missing.append(f"{name}.{cls_name}")
    assert missing == []


# --- Properties ----------------------------------------------------------------------------------


@given(st.text(max_size=30))
def test_normalize_phone_is_idempotent(value):
    once = normalize_phone(value)
    assert normalize_phone(once) == once


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.lists(st.sampled_from(DIGIT_ZEROS), min_size=11, max_size=11),
    st.sampled_from(["", " ", "-", "\u3000"]),
)
def test_any_digit_spelling_of_a_mobile_normalizes_to_its_ascii_form(number, zeros, gap):
    typed = gap.join(chr(z + int(d)) for z, d in zip(zeros, number, strict=True))
    assert normalize_phone(typed) == number
    assert lookup_hash(typed) == lookup_hash(number)


# --- The data migration --------------------------------------------------------------------------


def old_hash(value):
    """The look-up hash as written before the fix: of the value as typed."""
    return hmac.new(django_settings.HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def stored_as_typed(model, phone, **fields):
    row = model(phone_encrypted=personal_data.encrypt(phone), phone_hash=old_hash(phone), **fields)
    if model is Registration:
        row.phone_last4 = phone[-4:]
    row.save()
    return row


def test_the_migration_normalizes_stored_phones_and_reports_duplicates(world):
    from django.apps import apps
    from django.utils import timezone

    event = open_event(world)
    now = timezone.now()
    common = {"event": event, "category": "public", "consent_at": now}
    arabic = stored_as_typed(
        Registration,
        SPELLINGS[2],
        name="甲",
        status="confirmed",
        ticket_code="AAAAAAAAAA",
        **common,
    )
    ascii_later = stored_as_typed(
        Registration, MOBILE, name="甲", status="confirmed", ticket_code="BBBBBBBBBB", **common
    )
    full_width = stored_as_typed(
        Registration,
        SPELLINGS[1],
        name="甲",
        status="waitlisted",
        ticket_code="CCCCCCCCCC",
        **common,
    )
    removed = Registration.objects.create(
        name=personal_data.REMOVED_NAME,
        phone_encrypted="",
        phone_hash="",
        status="cancelled",
        ticket_code="DDDDDDDDDD",
        **common,
    )
    Registration.objects.filter(pk=removed.pk).update(phone_hash=f"removed:{removed.pk}")
    other = stored_as_typed(
        Registration,
        spelled("13900001111", "٠"),
        name="乙",
        status="confirmed",
        ticket_code="EEEEEEEEEE",
        **common,
    )
    inv_code = {"event": event, "category": "public", "name": "甲"}
    first_inv = stored_as_typed(Invitation, SPELLINGS[4], code="INV1", **inv_code)
    second_inv = stored_as_typed(Invitation, MOBILE, code="INV2", **inv_code)

    lines = []
    changed = renormalize_stored_phones(apps, report=lines.append, batch_size=2)

    arabic.refresh_from_db(), ascii_later.refresh_from_db(), full_width.refresh_from_db()
    assert arabic.status == "confirmed" and arabic.phone == MOBILE
    assert arabic.phone_hash == lookup_hash(MOBILE) and arabic.phone_last4 == "7000"
    assert ascii_later.status == "cancelled" and ascii_later.cancelled_at is not None
    assert full_width.status == "cancelled" and full_width.phone == MOBILE
    assert Registration.objects.get(pk=removed.pk).phone_hash == f"removed:{removed.pk}"
    assert Registration.objects.get(pk=other.pk).phone == "13900001111"
    assert AuditEntry.objects.filter(action="registration.cancelled").count() == 2
    first_inv.refresh_from_db(), second_inv.refresh_from_db()
    assert first_inv.phone_hash == lookup_hash(MOBILE) and first_inv.phone == MOBILE
    assert second_inv.phone_hash == f"duplicate:{second_inv.pk}" and second_inv.phone == MOBILE
    report = "\n".join(lines)
    assert f"保留报名 {arabic.pk}" in report and "137****7000" in report
    assert MOBILE not in report and "邀请" in report
    assert changed["events.Registration"] == 3 and changed["events.Invitation"] == 1
    # A second run finds nothing to do.
    assert sum(renormalize_stored_phones(apps, report=lines.append).values()) == 0


def test_the_migration_runs_on_an_empty_database(db):
    from django.apps import apps

    assert sum(renormalize_stored_phones(apps, report=print).values()) == 0


def test_staff_token_api_check_in_takes_other_digits(client, world):
    event = open_event(world)
    r = services.register(event.pk, name="张三", phone=MOBILE, category="public", consent=True)
    _token, raw = create_token(world.users["unit_admin"])
    code = "".join(chr(ord(c) + 0xFEE0) for c in r.ticket_code)
    response = client.post(
        f"/api/v1/events/{event.pk}/checkins",
        json.dumps({"ticket_code": code}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201
