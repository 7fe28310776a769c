"""Browser tests: a real headless Chromium, driven by Playwright, against the live test server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django would otherwise refuse
# database access from it, although every call here is in fact synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SEED = ROOT / "fixtures" / "seed.json"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not executable:
        pytest.skip("No Chromium found on PATH (install Debian's chromium package); browser tests skipped.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Reader:
    """A browser tab that fails the test on any console error or failed request, and keeps screenshots."""

    def __init__(self, browser, base_url, viewport):
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.problems = []
        self.page.on("console", self.on_console)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("response", self.on_response)

    def on_console(self, message):
        # A page answered with a 404 on purpose is logged as a failed load; responses are checked below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def on_response(self, response):
        document = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not document):
            self.problems.append(f"{response.status} from {response.url}")

    def open(self, path):
        response = self.page.goto(self.base_url + path)
        return response

    def screenshot(self, name, full_page=True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def site(django_db_blocker, _seeded_module):
    """One live server for a module of read-only browser tests, over the seed committed once.

    pytest-django's `live_server` would flush the database, and the seed, after every test.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    yield server.url
    server._live_server_modified_settings.disable()
    server.stop()


@pytest.fixture
def reader(browser, site, db):
    r = Reader(browser, site, DESKTOP)
    yield r
    r.close()
    assert r.problems == []


@pytest.fixture
def phone_reader(browser, site, db):
    r = Reader(browser, site, PHONE)
    yield r
    r.close()
    assert r.problems == []


def sign_in_as_superuser(page, base):
    """A superuser made for the test, signed in through the admin's own login form."""
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
