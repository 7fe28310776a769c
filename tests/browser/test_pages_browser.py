"""What a reader does in a real browser: browse blocs and countries, pick a date, search events, print."""

import re

import pytest
from playwright.sync_api import expect

from tests.pages_world import build_world

# serialized_rollback puts back the rows that migrations created (the staff groups) after each flush.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def world(transactional_db):
    return build_world()


def assert_no_sideways_scroll(page):
    """On a phone, only charts and tables scroll sideways inside their boxes, never the page."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1


def test_overview_leads_to_a_bloc_and_its_timeline(reader, world):
    page = reader.page
    reader.open("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eurasia's blocs")
    expect(page.get_by_role("img", name="The region today")).to_be_visible()
    expect(page.get_by_role("img", name="The blocs over time")).to_be_visible()
    expect(page.get_by_role("link", name="Download the data").first).to_have_attribute("href", "/data/")
    reader.screenshot("home-desktop")

    page.get_by_role("heading", name="Collective Security Treaty Organization").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/blocs/csto/$"))
    chart = page.get_by_role("img", name="Membership of the CSTO over time")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 900 and box["height"] > 250  # drawn large enough to read
    reader.screenshot("bloc-csto-desktop")


def test_bloc_page_shows_uzbekistans_two_spells_the_second_suspended(reader, world):
    page = reader.page
    reader.open("/blocs/csto/")
    rows = page.locator("table.spells tbody tr").filter(has=page.get_by_role("link", name="Uzbekistan"))
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).not_to_contain_text("suspended")
    expect(rows.nth(1)).to_contain_text("suspended from 19 December 2012")
    expect(rows.nth(1)).to_contain_text("formal decision of the bloc")
    expect(rows.nth(1).get_by_role("link", name="tass-687141")).to_have_attribute(
        "href", "https://tass.com/world/687141"
    )

    # The chart carries the same facts: two bars in Uzbekistan's row, the second with a suspension.
    bars = page.locator("svg.timeline g.spell").filter(has_text="Uzbekistan in CSTO")
    expect(bars).to_have_count(2)
    assert "suspended by the bloc (formal) from 19 December 2012" in bars.nth(1).locator("title").text_content()
    page.locator("svg.timeline g.spell").filter(has_text="Uzbekistan in CSTO").nth(1).hover()
    expect(page.get_by_text("Last changed")).to_be_visible()
    reader.screenshot("bloc-csto-uzbekistan", full_page=False)


def test_chart_links_stay_out_of_the_keyboard_path(reader, world):
    page = reader.page
    reader.open("/blocs/csto/")
    tabbable = page.evaluate("[...document.querySelectorAll('svg a')].filter(a => a.tabIndex >= 0).length")
    assert tabbable == 0
    # The table carries the same links for keyboard users.
    expect(page.locator("table.spells").get_by_role("link", name="Uzbekistan").first).to_be_visible()


def test_date_picker_opens_the_map_for_that_day(reader, world):
    page = reader.page
    reader.open("/countries/uzb/")
    page.get_by_label("Who belonged to what on", exact=True).fill("2012-12-20")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/on/2012-12-20/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("20 December 2012")

    region_map = page.get_by_role("img", name="Blocs on 20 December 2012")
    expect(region_map).to_be_visible()
    expect(page.get_by_role("list", name="Key to the map")).to_contain_text("Hatched: a membership suspended")
    uzbekistan = region_map.locator('a[href="/countries/uzb/"]')
    assert "suspended by the bloc (formal)" in uzbekistan.locator("title").text_content()
    fill = uzbekistan.locator("path").first.get_attribute("fill")
    russia_fill = region_map.locator('a[href="/countries/rus/"] path').first.get_attribute("fill")
    assert fill != russia_fill  # CSTO only, against CSTO and EurAsEC

    csto = page.locator("section.bloc-on-date").filter(
        has=page.get_by_role("heading", name=re.compile("Collective Security Treaty Organization"))
    )
    expect(csto.get_by_role("row").filter(has_text="Uzbekistan")).to_contain_text("suspended since 19 December 2012")
    reader.screenshot("on-2012-12-20-desktop")

    page.get_by_role("link", name=re.compile("Previous change")).click()
    expect(page).to_have_url(re.compile(r"/on/2012-12-19/$"))


def test_impossible_date_gets_a_friendly_page(reader, world):
    page = reader.page
    response = reader.open("/on/2013-02-30/")
    assert response.status == 404
    expect(page.get_by_text("February 2013 has no day 30")).to_be_visible()
    expect(page.get_by_label("Who belonged to what on", exact=True)).to_be_visible()
    reader.screenshot("on-impossible-date")


def test_events_search_filter_and_open_one(reader, world):
    page = reader.page
    reader.open("/events/")
    expect(page.locator(".event")).to_have_count(3)
    page.get_by_label("Search", exact=True).fill("peacekeepers")
    page.get_by_role("button", name="Show events").click()
    expect(page.locator(".event")).to_have_count(1)
    expect(page.locator(".event-title")).to_have_text("Ethnic violence in Osh")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Bloc", exact=True).select_option("eaeu")
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"bloc=eaeu"))
    expect(page.locator(".event-title")).to_have_text(["Treaty on the Eurasian Economic Union signed"])
    reader.screenshot("events-filtered")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Years", exact=True).fill("2015")
    page.get_by_label("to", exact=True).fill("2010")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_role("alert")).to_contain_text("The years run backwards")

    reader.open("/events/")
    page.get_by_role("link", name="CSTO formally suspends Uzbekistan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSTO formally suspends Uzbekistan")
    expect(page.get_by_role("link", name="CSTO suspends Uzbekistan")).to_have_attribute(
        "href", "https://tass.com/world/687141"
    )
    reader.screenshot("event-detail")


def test_pages_read_well_on_a_phone(phone_reader, world):
    page = phone_reader.page
    for path, name in [
        ("/", "home-phone"),
        ("/blocs/csto/", "bloc-csto-phone"),
        ("/countries/uzb/", "country-uzb-phone"),
        ("/on/2012-12-20/", "on-date-phone"),
        ("/events/", "events-phone"),
    ]:
        phone_reader.open(path)
        assert_no_sideways_scroll(page)
        expect(page.get_by_label("Who belonged to what on", exact=True)).to_be_visible()
        phone_reader.screenshot(name)
    # The timeline keeps a readable size and scrolls inside its own box.
    phone_reader.open("/blocs/csto/")
    width = page.locator("svg.timeline").bounding_box()["width"]
    assert width > 600


def test_print_hides_navigation_and_keeps_the_chart(reader, world):
    page = reader.page
    reader.open("/blocs/csto/")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator("form.picker")).to_be_hidden()
    expect(page.get_by_role("img", name="Membership of the CSTO over time")).to_be_visible()
    reader.screenshot("bloc-csto-print")
