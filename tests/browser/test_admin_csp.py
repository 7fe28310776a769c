"""The admin works in a real Chromium under the site's Content-Security-Policy, with no violation reported."""

from pathlib import Path

import pytest

from tests.browser.conftest import sign_in_as_superuser
from tests.conftest import make_event, make_membership, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "csp"


@pytest.fixture
def page(browser, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.violations = []
    page.on(
        "console",
        lambda m: page.violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
    )
    page.base = live_server.url
    sign_in_as_superuser(page, page.base)
    return page


def visit(page, path, shot):
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=ARTIFACTS / f"{shot}.png", full_page=True)


def test_the_policy_is_enforced_by_the_browser(page):
    visit(page, "/admin/", "index")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"x\" onerror=\"window.injected = 1\">')")
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected") is None
    assert any("inline event handler" in v for v in page.violations)


def test_admin_pages_and_their_scripts_work_under_the_policy(page):
    spell = make_membership(start="1994-04-20")
    bloc = spell.bloc
    bloc.sources.set([make_source(key="treaty")])
    make_event(title="Summit", blocs=[bloc])

    visit(page, f"/admin/blocs/bloc/{bloc.pk}/change/", "bloc-change")
    rows = page.locator("#memberships-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    page.click("#memberships-group .add-row a")  # inlines.js
    assert rows.count() == before + 1
    page.locator("#memberships-group .select2-selection").last.click()  # select2 autocomplete
    page.locator(".select2-dropdown .select2-search__field").fill(spell.country.name[:4])
    page.wait_for_selector(f".select2-results__option:has-text('{spell.country.name}')")  # fetched from the server
    page.screenshot(path=ARTIFACTS / "bloc-autocomplete.png", full_page=True)

    visit(page, "/admin/blocs/bloc/add/", "bloc-add")
    page.locator("#id_name").press_sequentially("Eurasian Economic Union")
    assert page.input_value("#id_slug") == "eurasian-economic-union"  # prepopulate.js

    for path, shot in [
        ("/admin/blocs/bloc/", "bloc-list"),
        ("/admin/blocs/membership/?status=current", "membership-list"),
        (f"/admin/blocs/membership/{spell.pk}/change/", "membership-change"),
        ("/admin/events/event/", "event-list"),
        ("/admin/events/event/add/", "event-add"),
        (f"/admin/blocs/bloc/{bloc.pk}/history/", "bloc-history"),
        (f"/admin/blocs/country/{spell.country.pk}/delete/", "country-delete"),
        ("/admin/auth/user/", "user-list"),
        ("/admin/blocs/bloc/import/", "bloc-import"),
        ("/admin/blocs/membership/export/", "membership-export"),
        ("/data/", "data"),
    ]:
        visit(page, path, shot)

    visit(page, "/admin/blocs/membership/export/", "membership-export")
    columns = page.locator('.selectable-field-export-row input[type="checkbox"]:not(.select-toggle):visible')
    assert columns.count() > 5
    page.locator(".select-toggle:visible").first.uncheck()  # bound by curation/export.js, not inline
    assert [columns.nth(i).is_checked() for i in range(columns.count())] == [False] * columns.count()

    page.goto(f"{page.base}/admin/blocs/bloc/{bloc.pk}/history/")
    page.click("input[type=submit][value='Compare the two chosen versions']")
    page.wait_for_load_state("networkidle")
    assert "Compare versions" in page.title()
    page.screenshot(path=ARTIFACTS / "bloc-compare.png", full_page=True)

    assert page.violations == []
