"""A curator who clicks "Confirm import" twice in a real Chromium imports the file once."""

import threading
from pathlib import Path

import pytest

from blocs.models import ImportFile
from blocs.spreadsheets.pending import ImportFileQuerySet
from events.models import Event
from tests.browser.conftest import sign_in_as_superuser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def page(browser, live_server):
    page = browser.new_page()
    page.base = live_server.url
    sign_in_as_superuser(page, page.base)
    yield page
    page.close()


def preview(page, tmp_path, count):
    lines = [f"2001-01-{1 + n % 28:02},Event number {n},summit" for n in range(count)]
    path = tmp_path / "events.csv"
    path.write_text("date,title,kind\n" + "\n".join(lines) + "\n")
    page.goto(f"{page.base}/admin/events/event/import/")
    page.set_input_files("#id_import_file", str(path))
    page.select_option("#id_format", "0")
    page.click("input[type=submit]")
    page.wait_for_selector("input[name=confirm]")


@pytest.fixture
def slow_first_claim(monkeypatch):
    """The first confirmation holds its claim until the second arrives (at most 10 s).

    A fast machine imports 2,000 rows before a second click 250 ms later, and the page it answers
    with then swallows that click; holding the first claim makes the two clicks meet at the lock
    on every machine, as they do on a slow one.
    """
    claim, arrived, calls = ImportFileQuerySet.claim, threading.Event(), []

    def held(self, name, user, model):
        calls.append(name)
        if len(calls) > 1:
            arrived.set()
            return claim(self, name, user, model)  # waits at the lock the first claim holds
        pending = claim(self, name, user, model)
        arrived.wait(timeout=10)
        return pending

    monkeypatch.setattr(ImportFileQuerySet, "claim", held)
    return calls


def test_confirm_clicked_twice_imports_the_file_once(page, tmp_path, slow_first_claim):
    preview(page, tmp_path, 2_000)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "process_import" in r.url else None)
    # Two clicks 250 ms apart, as an impatient curator makes them, while the first is being imported.
    page.evaluate(
        """() => {
            const button = document.querySelector("input[name=confirm]");
            button.click();
            setTimeout(() => button.click(), 250);
        }"""
    )
    page.wait_for_timeout(500)
    page.wait_for_url(f"{page.base}/admin/events/event/**", timeout=120_000)
    page.wait_for_selector(".messagelist li", timeout=120_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-confirmed-twice.png"), full_page=False)
    shown = page.locator(".messagelist li").all_inner_texts()
    assert len(posts) == 2  # both clicks reached the server
    assert len(slow_first_claim) == 2  # and both confirmations claimed the file
    assert Event.objects.count() == 2_000
    assert not ImportFile.objects.exists()
    assert any(
        text.startswith("Imported events: 2000 new") or "no longer waiting to be imported" in text for text in shown
    ), shown


def test_a_preview_can_be_cancelled_in_the_browser(page, tmp_path):
    preview(page, tmp_path, 3)
    page.click("input[name=cancel]")
    page.wait_for_selector(".messagelist li")
    assert "The import was cancelled" in page.locator(".messagelist li").first.inner_text()
    assert not ImportFile.objects.exists() and not Event.objects.exists()
