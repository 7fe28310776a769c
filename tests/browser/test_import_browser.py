"""A curator who clicks "Confirm import" twice in a real Chromium imports the file once."""

from pathlib import Path

import pytest

from blocs.models import ImportFile
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


def test_confirm_clicked_twice_imports_the_file_once(page, tmp_path):
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
