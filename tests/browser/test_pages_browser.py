"""What a reader does in a real browser, on the seed data: browse blocs and countries, pick a date, search events, print."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def assert_no_sideways_scroll(page):
    """On a phone, only charts and tables scroll sideways inside their boxes, never the page."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1


def picker(page):
    return page.get_by_label("Who belonged to what on", exact=True)


def test_overview_leads_to_a_bloc_and_its_timeline(reader):
    page = reader.page
    reader.open("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eurasia's blocs")
    expect(page.get_by_role("img", name="The region today")).to_be_visible()
    expect(page.get_by_role("img", name="The blocs over time")).to_be_visible()
    expect(page.get_by_role("link", name="Download the data").first).to_have_attribute("href", "/data/")
    expect(page.get_by_text("Last changed")).to_be_visible()
    reader.screenshot("home-desktop")

    page.get_by_role("heading", name="Collective Security Treaty Organization").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/blocs/csto/$"))
    chart = page.get_by_role("img", name="Membership of the CSTO over time")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 900 and box["height"] > 250  # drawn large enough to read
    reader.screenshot("bloc-csto-desktop")


def test_csto_page_shows_uzbekistans_two_spells_the_second_suspended(reader):
    page = reader.page
    reader.open("/blocs/csto/")
    rows = page.locator("table.spells tbody tr").filter(has=page.get_by_role("link", name="Uzbekistan", exact=True))
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("CST")
    expect(rows.nth(0)).to_contain_text("20 April 1999")
    expect(rows.nth(0).locator("td.suspension-cell")).to_have_text("—")
    expect(rows.nth(1).locator("td.suspension-cell")).to_contain_text("suspended from 19 December 2012")
    expect(rows.nth(1).locator("td.suspension-cell")).to_contain_text("formal decision of the bloc")
    expect(rows.nth(1).get_by_role("link", name="tass-687141")).to_have_attribute(
        "href", "http://tass.com/russia/687141"
    )
    armenia = page.get_by_role("row", name=re.compile(r"^Armenia CSTO"))
    expect(armenia.locator("td.suspension-cell")).to_contain_text("self-suspended from 22 February 2024")

    # The chart carries the same facts: two bars in Uzbekistan's row, the second with a suspension.
    bars = page.locator("svg.timeline g.spell").filter(has_text="Uzbekistan in")
    expect(bars).to_have_count(2)
    assert "Uzbekistan in CST: member, 15 May 1992 – 20 April 1999" in bars.nth(0).locator("title").text_content()
    assert "suspended by the bloc (formal) from 19 December 2012" in bars.nth(1).locator("title").text_content()
    bars.nth(1).hover()
    reader.screenshot("bloc-csto-chart", full_page=False)


def test_chart_links_stay_out_of_the_keyboard_path(reader):
    page = reader.page
    reader.open("/blocs/csto/")
    tabbable = page.evaluate("[...document.querySelectorAll('svg a')].filter(a => a.tabIndex >= 0).length")
    assert tabbable == 0
    # Tabbing from the top reaches the skip link first, then the site's navigation.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    # The table carries the chart's links for keyboard users.
    expect(page.locator("table.spells").get_by_role("link", name="Uzbekistan", exact=True).first).to_be_visible()


def test_date_picker_opens_the_map_for_that_day(reader):
    page = reader.page
    reader.open("/countries/uzb/")
    picker(page).fill("2012-12-05")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/on/2012-12-05/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("5 December 2012")

    region_map = page.get_by_role("img", name="Blocs on 5 December 2012")
    expect(region_map).to_be_visible()
    # The map colours every family; the founding article's two layers are one link away.
    key = page.get_by_role("list", name="Key to the map")
    expect(key).to_contain_text("Member of a political organisation (CIS, GUAM, Union State, SCO)")
    page.get_by_role("navigation", name="What the map colours").get_by_role(
        "link", name="the founding article's map"
    ).click()
    expect(page).to_have_url(re.compile(r"/on/2012-12-05/\?family=article$"))
    region_map = page.get_by_role("img", name="Blocs on 5 December 2012")
    expect(key).to_contain_text("Member of a military alliance (CST, CSTO)")
    expect(key).to_contain_text("Member of an economic or customs union (CU)")
    russia = region_map.locator('a[href="/countries/rus/"] path').first.get_attribute("fill")
    armenia = region_map.locator('a[href="/countries/arm/"] path').first.get_attribute("fill")
    assert russia != armenia  # both blocs against the CSTO alone

    csto = page.locator("section.bloc-on-date").filter(
        has=page.get_by_role("heading", name=re.compile("Collective Security Treaty Organization"))
    )
    expect(csto.locator("tbody tr")).to_have_count(7)
    expect(csto.locator("tbody tr").filter(has_text="Uzbekistan")).to_contain_text("in good standing")
    reader.screenshot("on-2012-12-05-desktop")

    page.get_by_role("link", name=re.compile("Next change")).click()
    expect(page).to_have_url(re.compile(r"/on/2012-12-19/\?family=article$"))
    uzbekistan = page.get_by_role("img", name="Blocs on 19 December 2012").locator('a[href="/countries/uzb/"]')
    assert "member of CSTO (suspended by the bloc)" in uzbekistan.locator("title").text_content()
    expect(uzbekistan.locator("path")).to_have_count(2)  # the country, and the hatching over it


def test_impossible_date_gets_a_friendly_page(reader):
    page = reader.page
    response = reader.open("/on/2013-02-30/")
    assert response.status == 404
    expect(page.get_by_text("February 2013 has no day 30")).to_be_visible()
    expect(picker(page)).to_be_visible()
    reader.screenshot("on-impossible-date")


def test_events_search_filter_page_and_open_one(reader):
    page = reader.page
    reader.open("/events/")
    expect(page.locator(".event")).to_have_count(25)
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_text(re.compile(r"page 2 of \d+"))).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Search", exact=True).fill("Osh")
    page.get_by_role("button", name="Show events").click()
    expect(page.locator(".event-title").first).to_contain_text("Osh")
    reader.screenshot("events-search")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Bloc", exact=True).select_option("csto")
    page.get_by_label("Kind", exact=True).select_option("suspension")
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"bloc=csto.*kind=suspension"))
    titles = page.locator(".event-title")
    expect(titles.first).to_be_visible()
    expect(page.get_by_role("link", name="CSTO summit in Moscow suspends Uzbekistan's membership")).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Years", exact=True).fill("2015")
    page.get_by_label("to", exact=True).fill("2010")
    page.get_by_role("button", name="Show events").click()
    expect(page.get_by_role("alert")).to_contain_text("The years run backwards")

    reader.open("/events/?q=suspends+Uzbekistan")
    page.get_by_role("link", name="CSTO summit in Moscow suspends Uzbekistan's membership").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSTO summit in Moscow suspends Uzbekistan's membership")
    expect(page.get_by_role("link", name=re.compile("TASS report: CSTO suspends"))).to_have_attribute(
        "href", "http://tass.com/russia/687141"
    )
    expect(picker(page)).to_have_value("2012-12-19")
    reader.screenshot("event-detail")


def test_pages_read_well_on_a_phone(phone_reader):
    page = phone_reader.page
    for path, name in [
        ("/", "home-phone"),
        ("/blocs/csto/", "bloc-csto-phone"),
        ("/countries/uzb/", "country-uzb-phone"),
        ("/on/2012-12-05/", "on-date-phone"),
        ("/events/", "events-phone"),
    ]:
        phone_reader.open(path)
        assert_no_sideways_scroll(page)
        expect(picker(page)).to_be_visible()
        phone_reader.screenshot(name)
    # The timeline keeps a readable size and scrolls inside its own box.
    phone_reader.open("/blocs/csto/")
    assert page.locator("svg.timeline").bounding_box()["width"] > 600


def test_print_hides_navigation_and_keeps_the_chart(reader):
    page = reader.page
    reader.open("/blocs/csto/")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator("form.picker")).to_be_hidden()
    expect(page.get_by_role("img", name="Membership of the CSTO over time")).to_be_visible()
    reader.screenshot("bloc-csto-print")


def test_the_map_with_two_chosen_blocs_works_without_script(reader):
    """A reader ticks the CSTO and NATO under the map; the choice is a plain address they can share."""
    page = reader.page
    reader.open("/on/2024-03-08/")
    chooser = page.get_by_role("navigation", name="What the map colours")
    chooser.get_by_label("CSTO", exact=True).check()
    chooser.get_by_label("NATO", exact=True).check()
    chooser.get_by_role("button", name="Colour these").click()
    expect(page).to_have_url(re.compile(r"/on/2024-03-08/\?show=(csto&show=nato|nato&show=csto)$"))

    region_map = page.get_by_role("img", name="Blocs on 8 March 2024")
    expect(region_map).to_be_visible()
    key = page.get_by_role("list", name="Key to the map")
    expect(key).to_contain_text("CSTO member")
    expect(key).to_contain_text("NATO member")
    expect(key).to_contain_text("Striped: a member of two or more of these")
    russia = region_map.locator('a[href="/countries/rus/"] path').first.get_attribute("fill")
    poland = region_map.locator('a[href="/countries/pol/"] path').first.get_attribute("fill")
    assert russia != poland
    expect(page.locator("figcaption")).to_contain_text("United States (NATO)")
    reader.screenshot("on-2024-03-08-csto-nato-desktop")

    # Every family, then the military alliances alone: the CST and the CSTO that continues it are one colour.
    chooser.get_by_role("link", name="every family").click()
    expect(page).to_have_url(re.compile(r"/on/2024-03-08/$"))
    expect(key).to_contain_text("Member of a political organisation")
    page.get_by_role("navigation", name="What the map colours").get_by_role("link", name="military alliances").click()
    expect(page).to_have_url(re.compile(r"/on/2024-03-08/\?family=military$"))
    expect(key).to_contain_text("CST / CSTO member")
    region_map = page.get_by_role("img", name="Blocs on 8 March 2024")
    russia = region_map.locator('a[href="/countries/rus/"] path').first.get_attribute("fill")
    armenia = region_map.locator('a[href="/countries/arm/"] path').first.get_attribute("fill")
    assert russia == armenia and not russia.startswith("url(")  # one line, one colour, no stripes
    reader.screenshot("on-2024-03-08-military-desktop")

    reader.open("/on/2024-03-08/?show=csto,sco")  # the shareable form of the same choice
    kazakhstan = page.get_by_role("img", name="Blocs on 8 March 2024").locator('a[href="/countries/kaz/"] path').first
    assert kazakhstan.get_attribute("fill").startswith("url(#map-split-")
    reader.screenshot("on-2024-03-08-csto-sco-desktop")
