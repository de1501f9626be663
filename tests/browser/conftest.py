"""Browser tests: Playwright's sync API driving Debian's /usr/bin/chromium against live_server.

Everything in this folder is marked `browser`; `make test` runs it as its own stage.
Playwright's bundled browsers are never downloaded (no `playwright install`).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Runs before -m deselects, so `-m browser` / `-m "not browser"` see the marker.
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} 不存在，请安装：sudo apt-get install chromium fonts-noto-cjk"
        print(f"\n跳过浏览器测试：{reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # The sync API keeps an asyncio loop running in this thread, and Django's ORM refuses
    # to run beside one; the tests' own database calls are synchronous, so allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(browser, viewport, **extra):
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **extra
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Stylesheets, scripts and images that fail to load (the page itself may answer 400 on
    # purpose, e.g. a rejected form); tests assert this stays empty.
    page.broken = []
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and r.request.resource_type != "document"
            and page.broken.append(f"{r.status} {r.url}")
        ),
    )
    # The browser drops its low-priority icon request when a test navigates on at once.
    page.on(
        "requestfailed",
        lambda r: (
            not (r.url.endswith("/favicon.svg") and "ERR_ABORTED" in (r.failure or ""))
            and page.broken.append(f"{r.failure} {r.url}")
        ),
    )
    return context, page


@pytest.fixture
def page(browser):
    """A phone-sized page (390×844, touch), in its own context: no cookies shared between tests."""
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    """A desktop-sized page (1280×800) in its own context."""
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def demo(live_server):
    """The demo organizations and accounts; returns {username: known password} for sign-ins.

    live_server gives these tests transactional database access, so the data is visible to
    the server thread and flushed after each test.
    """
    from openday.accounts.models import User
    from openday.demo.services import load_demo

    passwords = {}
    for username, *_rest in load_demo():
        user = User.objects.get(username=username)
        password = f"Test-{username}-2023"
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        passwords[username] = password
    return passwords
