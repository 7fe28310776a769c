"""The curators' quality checks in a real Chromium, under the site's Content-Security-Policy: from the index's
counts to a finding's record, and a treaty signed before its bloc marked reviewed."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_as_superuser
from tests.conftest import d, make_bloc, make_event, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def page(browser, live_server):
    page = browser.new_page()
    page.violations = []
    page.on(
        "console",
        lambda m: page.violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
    )
    page.base = live_server.url
    sign_in_as_superuser(page, page.base)
    yield page
    assert page.violations == []
    page.close()


def test_a_curator_goes_from_the_count_to_the_record_and_marks_a_finding_reviewed(page):
    two = [make_source(title_checked=True), make_source(title_checked=True)]
    bloc = make_bloc(
        slug="csto", name="Collective Security Treaty Organization", abbreviations=["CSTO"], founded=d("2002-10-07")
    )
    bloc.sources.set(two)
    treaty = make_event(title="CSTO Charter drafted", date=d("2002-05-14"), blocs=[bloc], sources=two)
    page.goto(page.base + "/admin/")
    summary = page.locator("#quality-summary")
    row = summary.locator("tr").filter(has_text="Events dated outside the lifetime of their bloc")
    expect(row.locator(".quality-count")).to_have_text("1")
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Events dated outside the lifetime of their bloc")
    finding = page.locator("#findings li")
    expect(finding).to_contain_text("14 May 2002: CSTO Charter drafted — CSTO (7 October 2002 – …)")
    expect(finding.get_by_role("link")).to_have_attribute("href", f"/admin/events/event/{treaty.pk}/change/")
    page.screenshot(path=ARTIFACTS / "admin-quality-outside-lifetime.png", full_page=True)
    finding.get_by_role("button", name="Mark reviewed").click()
    expect(page.locator(".messagelist")).to_contain_text("Reviewed: 14 May 2002: CSTO Charter drafted, in CSTO.")
    expect(page.locator("#findings li")).to_have_count(0)
    expect(page.get_by_text("Nothing to look at: no record fails this check.")).to_be_visible()
    page.goto(page.base + "/ru/admin/quality/")
    expect(page.locator("h1")).to_have_text("Проверки качества")
    expect(page.locator("#quality-checks")).to_contain_text("События за пределами срока жизни их блока")
