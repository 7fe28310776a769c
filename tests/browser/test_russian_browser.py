"""The Russian edition in a real browser: the overview, the CSTO's page and the map of two chosen blocs."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_russian_overview_reads_in_russian(reader):
    page = reader.page
    response = reader.open("/ru/")
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Кто и когда входил в блоки Евразии")
    expect(page.get_by_role("img", name="Регион сегодня")).to_be_visible()
    expect(page.get_by_role("img", name="Блоки во времени")).to_be_visible()
    expect(page.get_by_role("heading", name="Блоки и их члены сегодня")).to_be_visible()
    expect(page.get_by_text("Последнее изменение").first).to_be_visible()
    # The blocs' table gives the founding dates as a Russian reader writes them.
    table = page.locator("details.table-details")
    table.locator("summary").click()
    expect(table).to_contain_text("15 мая 1992 г.")
    expect(page.get_by_role("link", name="Скачать данные").first).to_have_attribute("href", "/ru/data/")
    expect(page.get_by_role("link", name="English", exact=True)).to_have_attribute("href", "/")
    reader.screenshot("ru-home-desktop")


def test_russian_csto_page_names_countries_dates_and_suspensions_in_russian(reader):
    page = reader.page
    reader.open("/ru/blocs/csto/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Организация Договора о коллективной безопасности")
    expect(page.get_by_role("heading", name="Членство во времени")).to_be_visible()
    expect(page.get_by_role("img", name="Членство в ОДКБ во времени")).to_be_visible()
    rows = page.locator("table.spells tbody tr").filter(has=page.get_by_role("link", name="Узбекистан", exact=True))
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("20 апреля 1999 г.")
    expect(rows.nth(1).locator("td.suspension-cell")).to_contain_text("приостановлено с 19 декабря 2012 г.")
    bars = page.locator("svg.timeline g.spell").filter(has_text="Узбекистан в")
    expect(bars).to_have_count(2)
    assert "Узбекистан в ДКБ: член, 15 мая 1992 г. – 20 апреля 1999 г." in bars.nth(0).locator("title").text_content()
    expect(page.get_by_role("link", name="English", exact=True)).to_have_attribute("href", "/blocs/csto/")
    reader.screenshot("ru-bloc-csto-desktop")


def test_russian_map_of_two_chosen_blocs_has_a_russian_key(reader):
    page = reader.page
    reader.open("/ru/on/2012-07-01/?show=csto,nato")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 июля 2012 г.")
    legend = page.get_by_role("list", name="Легенда карты")
    expect(legend).to_contain_text("Член ОДКБ")
    expect(legend).to_contain_text("Член НАТО")
    expect(legend).to_contain_text("Ни в одном из них")
    expect(page.get_by_role("img", name="Блоки на 1 июля 2012 г.")).to_be_visible()
    caption = page.locator("figure.map-figure figcaption")
    expect(caption).to_contain_text("раскрашенный по членству в выбранных выше блоках")
    # The countries off the map, each set of blocs named once after its countries.
    expect(caption).to_contain_text(re.compile(r"За пределами карты: [^.(]*Канада, [^.(]*\(НАТО\)\."))
    # Each country's tooltip names it and its blocs in Russian.
    armenia = page.locator("svg.map a.country title").filter(has_text=re.compile("^Армения: "))
    expect(armenia).to_have_count(1)
    assert "член ОДКБ" in armenia.text_content()
    expect(page.get_by_role("checkbox", name="ОДКБ")).to_be_checked()
    reader.screenshot("ru-map-csto-nato-2012-07-01")
