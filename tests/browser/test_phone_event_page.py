"""On a phone the event page's registration action is in the first screen (#19)."""

import pytest
from playwright.sync_api import expect

from .test_event_flow import make_event

pytestmark = pytest.mark.browser


def test_the_registration_action_is_in_the_first_screen_of_a_phone(live_server, demo, page):
    event = make_event()
    page.goto(f"{live_server.url}/events/{event.pk}/")
    action = page.get_by_role("link", name="我要报名")
    expect(action).to_be_visible()
    box = action.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] + box["height"] <= height, (box, height)
    action.click()
    # The form is brought into view: its first field is on the screen after the jump.
    name = page.get_by_label("姓名")
    expect(name).to_be_in_viewport()
