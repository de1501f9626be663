"""Date and time inputs in a real browser (issue #19): an edit page shows the stored value in its
<input type="datetime-local"> or <input type="date">, saving it unchanged keeps the value, and a
value typed with the keyboard is saved. Sign-in and the demo data come from conftest.py."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .test_event_flow import UNIT, assert_nothing_broken, sign_in

pytestmark = pytest.mark.browser

SHOTS = "var/screenshots"


def _event():
    from openday.accounts.models import User
    from openday.events import services
    from openday.orgs.models import Org

    starts = timezone.make_aware(datetime(2027, 12, 6, 8, 39))
    return services.create_event(
        User.objects.get(username="kf-unit-admin"),
        Org.objects.get(name=UNIT),
        title=f"{UNIT}2027年“政务公开主题日”活动",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2, minutes=6),
        venues=[{"name": "项目现场", "address": "开福区"}],
        capacity=20,
    )


def _campaign():
    from openday.accounts.models import User
    from openday.campaigns import services
    from openday.orgs.models import Org

    admin = User.objects.get(username="kf-office")
    office = Org.objects.get(name="开福区政务公开政务服务工作领导小组办公室")
    fields = services.preset_fields("theme_day", office, 2027)
    fields["declaration_deadline"] = date(2027, 4, 3)
    return services.create_campaign(admin, office, **fields)


def _type_into(page, selector, value):
    """Types value (2028-01-02 or 2028-01-02T09:30) into a date or datetime-local input with the
    keyboard, segment by segment, as a person does. The segments' order follows the browser's
    own locale (year first in Chinese, month first in English), so each order is tried: the
    year takes up to six digits, so → moves on from it; the other segments move on by themselves,
    and a 12-hour clock takes A or P last."""
    field = page.locator(selector)
    day, _, clock = value.partition("T")
    y, m, d = day.split("-")
    segments = {"ymd": [y, m, d], "mdy": [m, d, y], "dmy": [d, m, y]}
    for order in segments.values():
        field.fill("")
        field.click(position={"x": 6, "y": 8})
        for part in order:
            page.keyboard.type(part)
            if part is y:
                page.keyboard.press("ArrowRight")
        if clock:
            hour, minute = clock.split(":")
            page.keyboard.type(hour + minute + ("A" if int(hour) < 12 else "P"))
        if field.input_value() == value:
            return field
    raise AssertionError(f"{selector}: typing {value} gave {field.input_value()}")


def test_datetime_local_shows_saves_and_takes_typed_values(live_server, demo, desktop_page):
    page, base = desktop_page, live_server.url
    event = _event()
    edit = f"{base}/staff/events/{event.pk}/edit/"
    sign_in(page, base, "kf-unit-admin", demo["kf-unit-admin"])
    page.goto(edit)
    starts, ends = page.locator("#id_starts_at"), page.locator("#id_ends_at")
    expect(starts).to_have_value("2027-12-06T08:39")
    expect(ends).to_have_value("2027-12-06T10:45")
    expect(page.locator("#id_registration_opens_at")).to_have_value("")
    page.locator("#id_starts_at").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/event_edit_dates.png", full_page=True)

    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{base}/staff/events/{event.pk}/")
    before = (event.starts_at, event.ends_at)
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == before

    page.goto(edit)
    expect(starts).to_have_value("2027-12-06T08:39")
    _type_into(page, "#id_starts_at", "2028-01-02T09:30")
    expect(starts).to_have_value("2028-01-02T09:30")
    _type_into(page, "#id_ends_at", "2028-01-02T11:00")
    _type_into(page, "#id_registration_closes_at", "2027-12-31T18:00")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{base}/staff/events/{event.pk}/")
    event.refresh_from_db()
    local = timezone.localtime
    assert local(event.starts_at).replace(tzinfo=None) == datetime(2028, 1, 2, 9, 30)
    assert local(event.ends_at).replace(tzinfo=None) == datetime(2028, 1, 2, 11, 0)
    assert local(event.registration_closes_at).replace(tzinfo=None) == datetime(2027, 12, 31, 18)
    page.goto(edit)
    expect(starts).to_have_value("2028-01-02T09:30")
    expect(page.locator("#id_registration_closes_at")).to_have_value("2027-12-31T18:00")
    assert_nothing_broken(page)


def test_date_shows_saves_and_takes_typed_values(live_server, demo, desktop_page):
    page, base = desktop_page, live_server.url
    campaign = _campaign()
    edit = f"{base}/staff/campaigns/{campaign.pk}/edit/"
    sign_in(page, base, "kf-office", demo["kf-office"])
    page.goto(edit)
    deadline = page.locator("#id_declaration_deadline")
    expect(deadline).to_have_value("2027-04-03")

    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{base}/staff/campaigns/{campaign.pk}/")
    campaign.refresh_from_db()
    assert campaign.declaration_deadline == date(2027, 4, 3)

    page.goto(edit)
    _type_into(page, "#id_declaration_deadline", "2027-05-15")
    expect(deadline).to_have_value("2027-05-15")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{base}/staff/campaigns/{campaign.pk}/")
    campaign.refresh_from_db()
    assert campaign.declaration_deadline == date(2027, 5, 15)
    page.goto(edit)
    expect(deadline).to_have_value("2027-05-15")

    # A new campaign starts from its template's deadline, shown in the date input.
    page.goto(f"{base}/staff/campaigns/new/?preset=theme_day&year=2028")
    expect(page.locator("#id_declaration_deadline")).not_to_have_value("")
    assert_nothing_broken(page)
