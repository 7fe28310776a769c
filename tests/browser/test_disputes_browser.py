"""A disputed date in a real browser: the mark opens to the claims, each with its rank, reason, reading and sources."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def founding_dispute(page):
    """The CSTO's founding date: the first dispute mark on its page, in the page's heading block."""
    details = page.locator("details.dispute").first
    expect(details).to_be_visible()
    expect(details.locator("ul.claims")).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("ul.claims")).to_be_visible()
    return details


def test_csto_founding_claims_open_with_sources_and_reasons(reader):
    page = reader.page
    reader.open("/blocs/csto/")
    details = founding_dispute(page)
    expect(details.locator("summary")).to_contain_text("disputed")
    claims = details.locator("li.claim")
    expect(claims).to_have_count(3)
    preferred = details.locator("li.claim.rank-preferred")
    expect(preferred.locator(".claim-value")).to_have_text("7 October 2002")
    expect(preferred.locator(".claim-rank")).to_have_text("preferred: the date the record uses")
    expect(preferred.locator(".claim-reading")).to_have_text("(The bloc's official record)")
    expect(preferred.locator(".claim-reason")).to_have_text("Signature of the Charter in Chisinau (D5).")
    expect(preferred.locator("ul.sources li")).to_have_count(2)
    expect(preferred.locator("ul.sources")).to_contain_text("odkb-basic")
    alternative = details.locator("li.claim.rank-alternative")
    expect(alternative.locator(".claim-value")).to_have_text("6 October 2002")
    expect(alternative.locator(".claim-reason")).to_contain_text("supplement")
    expect(alternative.locator("ul.sources")).to_contain_text("kremlin-supp-3506")
    refuted = details.locator("li.claim.rank-deprecated")
    expect(refuted.locator(".claim-value del")).to_have_text("1994")
    expect(refuted.locator(".claim-rank")).to_have_text("refuted")
    expect(refuted.locator(".claim-reason")).to_contain_text("Formed in 1994")
    expect(refuted.locator("ul.sources")).to_contain_text("moscowtimes-2012-06-28")
    # Each source that has an address is a link to it, its description on hover.
    link = preferred.locator("ul.sources a").first
    expect(link).to_have_attribute("rel", "noopener external")
    reader.screenshot("csto-founding-dispute-open", full_page=False)


def test_csto_founding_claims_in_russian(reader):
    page = reader.page
    reader.open("/ru/blocs/csto/")
    details = founding_dispute(page)
    expect(details.locator("summary")).to_contain_text("оспаривается")
    preferred = details.locator("li.claim.rank-preferred")
    expect(preferred.locator(".claim-value")).to_have_text("7 октября 2002 г.")
    expect(preferred.locator(".claim-rank")).to_have_text("предпочтительная: эту дату использует запись")
    expect(preferred.locator(".claim-reason")).to_have_text("Signature of the Charter in Chisinau (D5).")
    expect(preferred.locator("ul.sources")).to_contain_text("odkb-basic")
    alternative = details.locator("li.claim.rank-alternative")
    expect(alternative.locator(".claim-value")).to_have_text("6 октября 2002 г.")
    expect(alternative.locator(".claim-rank")).to_have_text("альтернативная")
    refuted = details.locator("li.claim.rank-deprecated")
    expect(refuted.locator(".claim-rank")).to_have_text("опровергнута")
    expect(refuted.locator(".claim-value del")).to_have_text("1994 г.")
    reader.screenshot("ru-csto-founding-dispute-open", full_page=False)
