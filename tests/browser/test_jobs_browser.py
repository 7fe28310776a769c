"""A large import in a real Chromium: the job page's progress bar advances, then the preview opens."""

import time

import pytest

from events.models import Event

from .conftest import SCREENSHOTS, sign_in_as_superuser

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, settings):
    settings.BACKGROUND_IMPORT_ROWS = 100
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    # The browser's own favicon request is answered 404, and logged so; anything else is a problem.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.base = live_server.url
    sign_in_as_superuser(page, page.base)
    yield page
    page.close()
    assert not problems  # no script error, no CSP refusal


def test_the_progress_bar_advances_to_the_preview_and_the_import(page, worker, tmp_path):
    worker()
    count = 80_000  # enough that the preview takes several of the page's polls on a quiet machine too
    lines = [f"2001-01-{1 + n % 28:02},Event number {n},summit" for n in range(count)]
    path = tmp_path / "events.csv"
    path.write_text("date,title,kind\n" + "\n".join(lines) + "\n")
    page.goto(f"{page.base}/admin/events/event/import/")
    page.set_input_files("#id_import_file", str(path))
    page.select_option("#id_format", "0")
    page.click("input[type=submit]")
    page.wait_for_selector("#job progress")
    seen = []
    deadline = time.monotonic() + 600  # a busy machine is slow, not wrong
    while "/import/job/" not in page.url and time.monotonic() < deadline:
        try:
            seen.append(int(page.eval_on_selector("#job progress", "bar => bar.value")))
            if len(seen) == 3:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "job-progress.png"))
        except Exception:
            pass  # the page moved on to the preview between two looks
        time.sleep(0.05)
    page.wait_for_selector("input[name=confirm]", timeout=60_000)
    assert "/import/job/" in page.url
    assert any(0 < value < 100 for value in seen), seen  # it was seen part-way
    assert seen == sorted(seen)  # and it only went forward
    assert f"{count} new, 0 changed, 0 unchanged" in page.text_content(".import-summary")
    page.click("input[name=confirm]")
    page.wait_for_url(f"{page.base}/admin/events/event/", timeout=600_000)
    assert f"Imported events: {count} new, 0 changed, 0 unchanged." in page.text_content(".messagelist")
    assert Event.objects.count() == count
