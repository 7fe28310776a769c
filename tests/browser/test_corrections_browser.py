"""A reader suggests a correction from a bloc's page in a real Chromium; a curator accepts it in the admin."""

from pathlib import Path

import pytest

from blocs.models import MembershipClaim, Rank
from corrections.models import Status, Suggestion
from tests.browser.conftest import sign_in_as_superuser
from tests.conftest import make_bloc, make_country, make_membership, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def spell():
    armenia = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", abbreviations=["CSTO"])
    spell = make_membership(country=armenia, bloc=csto, start="2006-08-16")
    spell.sources.set([make_source(key="tass-1", url="https://tass.ru/1")])
    return spell


def test_a_reader_suggests_a_date_and_a_curator_accepts_it(browser, live_server, spell):
    problems = []
    page = browser.new_page()
    # As the other browser tests: console errors, and any failed request but a page's own.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 500 or (r.status >= 400 and r.request.resource_type != "document")
            else None
        ),
    )
    page.goto(f"{live_server.url}/blocs/csto/")
    page.click("a.suggest-row")
    page.click(".suggest-page a:text-is('start')")
    page.fill("#id_what", "The protocol entered into force in June 2006.")
    page.fill("#id_proposed_date", "2006-06")
    page.fill("#id_source_url", "https://www.odkb-csto.org/documents/1")
    # The honeypot is out of sight: a person never fills it in.
    assert not page.locator("#id_website").is_visible() or page.locator("#id_website").bounding_box()["x"] < 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "suggestion-form.png"), full_page=True)
    page.click(".suggestion-form button[type=submit]")
    page.wait_for_url("**/thanks/")
    assert "waiting for a curator" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "suggestion-sent.png"), full_page=False)
    suggestion = Suggestion.objects.get()
    assert (suggestion.field, suggestion.status) == ("start", Status.PENDING)

    sign_in_as_superuser(page, live_server.url)
    page.goto(f"{live_server.url}/admin/corrections/suggestion/")
    page.click(f"#result_list a[href*='/admin/corrections/suggestion/{suggestion.pk}/change/']")
    page.check("input[name=decision][value=preferred]")
    page.fill("#id_reason", "The protocol's entry into force is the date analysts use.")
    page.click("#content input[type=submit]")
    page.wait_for_selector(".messagelist li")
    page.screenshot(path=str(ARTIFACTS / "suggestion-accepted.png"), full_page=False)
    assert "accepted" in page.inner_text(".messagelist")
    spell.refresh_from_db()
    assert spell.start.isoformat() == "2006-06-01"
    assert MembershipClaim.objects.get(rank=Rank.PREFERRED).value == spell.start
    page.close()
    assert problems == []
