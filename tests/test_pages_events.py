"""The public events pages: filters, search, pages, one event, and bad input that must never break them."""

import re

import pytest

from eurasia import page_cache

from .conftest import make_event
from .pages import assert_accessible_chart, assert_strict_csp_friendly, page, svg_of, text_of
from .pages_world import dates

pytestmark = pytest.mark.django_db


def titles(html):
    return [text_of(t) for t in re.findall(r'<a class="event-title" href="/events/\d+/">(.*?)</a>', html, flags=re.S)]


class TestEventList:
    def test_newest_first_with_blocs_countries_and_sources(self, client, world):
        html = page(client, "/events/")
        assert titles(html) == [
            "Treaty on the Eurasian Economic Union signed",
            "CSTO formally suspends Uzbekistan",
            "Ethnic violence in Osh",
        ]
        words = text_of(html)
        assert "3 events." in words
        assert "May 2014" in words and "1 May 2014" not in words
        assert '<a href="https://tass.com/world/687141"' in html
        assert re.search(r'<span class="source-key"[^>]*>stratfor-2012-12-05</span>', html)
        assert "no source recorded" in words  # the EAEU treaty cites none yet
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("bloc=eaeu", ["Treaty on the Eurasian Economic Union signed"]),
            ("country=kgz", ["Ethnic violence in Osh"]),
            ("country=KGZ", ["Ethnic violence in Osh"]),
            ("kind=suspension", ["CSTO formally suspends Uzbekistan"]),
            ("from=2011&to=2013", ["CSTO formally suspends Uzbekistan"]),
            ("to=2010", ["Ethnic violence in Osh"]),
            ("bloc=csto&country=uzb", ["CSTO formally suspends Uzbekistan", "Ethnic violence in Osh"]),
            ("q=peacekeepers", ["Ethnic violence in Osh"]),
            ("q=osh", ["Ethnic violence in Osh"]),
            ("q=suspends+uzbekistan", ["CSTO formally suspends Uzbekistan"]),
            ("q=treaty&bloc=csto", []),
            ("bloc=&country=&kind=&from=&to=&q=", None),
        ],
    )
    def test_filters_and_search(self, client, world, query, expected):
        html = page(client, f"/events/?{query}")
        if expected is None:
            assert len(titles(html)) == 3
        else:
            assert titles(html) == expected
        if expected == []:
            assert "No events match these filters." in text_of(html)

    def test_a_broad_search_lists_its_matches_newest_first(self, client, world, monkeypatch):
        words = text_of(page(client, "/events/?q=csto"))
        assert "2 events match, best matches first." in words
        monkeypatch.setattr("public.event_views.RANKED_MATCHES", 1)
        page_cache.store().clear()  # the same records and address: the page kept would be served
        html = page(client, "/events/?q=csto")
        assert "2 events match, newest first (too many to rank" in text_of(html)
        assert titles(html) == ["CSTO formally suspends Uzbekistan", "Ethnic violence in Osh"]

    def test_filtered_heading_names_the_bloc_and_country(self, client, world):
        words = text_of(page(client, "/events/?bloc=csto&country=uzb"))
        assert "Events of the CSTO concerning Uzbekistan" in words
        assert "2 events match." in words

    def test_pages_of_25_newest_first(self, client, world):
        for day in range(1, 29):
            make_event(title=f"Exercise number {day}", kind="exercise", **dates(date=f"2020-02-{day:02d}"))
        first = page(client, "/events/?kind=exercise")
        assert len(titles(first)) == 25
        assert titles(first)[0] == "Exercise number 28"
        assert "page 1 of 2" in text_of(first)
        assert 'href="?kind=exercise&amp;page=2"' in first
        second = page(client, "/events/?kind=exercise&page=2")
        assert titles(second) == ["Exercise number 3", "Exercise number 2", "Exercise number 1"]
        assert 'href="?kind=exercise&amp;page=1"' in second

    @pytest.mark.parametrize("number", ["2", "0", "-1", "abc", "1.5", "99999999999999999999999"])
    def test_page_out_of_range_is_a_friendly_404(self, client, world, number):
        words = text_of(page(client, f"/events/?page={number}", status=404))
        assert "There is no page" in words and "1 page" in words

    @pytest.mark.parametrize(
        "query, message",
        [
            ("bloc=nato", "There is no bloc with the short name “nato”."),
            ("country=zzz", "There is no country with the code “ZZZ”."),
            ("kind=party", "“party” is not a kind of event."),
            ("from=twenty", "Enter a year, such as 2012."),
            ("from=0", "Enter a year from 1 to 9999."),
            ("to=100000", "Enter a year from 1 to 9999."),
            ("from=2015&to=2010", "The years run backwards: “from” (2015) is after “to” (2010)."),
            ("q=" + "x" * 201, "Search for at most 200 characters."),
            ("q=a%00b", "the address contains a NUL character"),  # refused for every page by eurasia.middleware
        ],
    )
    def test_unusable_filters_get_a_message_not_an_error(self, client, world, query, message):
        html = page(client, f"/events/?{query}", status=400)
        assert message in text_of(html)
        assert titles(html) == []

    @pytest.mark.parametrize(
        "text",
        [
            "'; DROP TABLE events_event; --",
            '" OR 1=1 --',
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "!!! ::: & | <-> ()",
            "Ωмега 日本 🙂 \u202e",
            "-osh",
            '"unterminated',
        ],
    )
    def test_hostile_search_text_is_searched_and_shown_escaped(self, client, world, text):
        response = client.get("/events/", {"q": text})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert_strict_csp_friendly(html)

    def test_events_per_year_chart_links_to_each_year(self, client, world):
        html = page(client, "/events/?bloc=csto")
        chart = svg_of(html, "per-year")
        assert_accessible_chart(chart)
        assert '<a href="?bloc=csto&amp;from=2012&amp;to=2012" tabindex="-1" class="year-bar">' in chart
        assert "<title>2010: 1 event</title>" in chart
        assert "2011:" not in chart  # a year without events has no bar
        words = text_of(page(client, "/events/?bloc=csto&from=2012&to=2012"))
        assert "1 event matches." in words

    def test_filter_form_keeps_its_values(self, client, world):
        html = page(client, "/events/?q=osh&bloc=csto&country=kgz&kind=crisis&from=2009&to=2011")
        assert 'value="osh"' in html
        assert re.search(r'<option value="csto" selected>', html)
        assert re.search(r'<option value="KGZ" selected>', html)
        assert re.search(r'<option value="crisis" selected>', html)
        assert 'value="2009"' in html and 'value="2011"' in html

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); blocs and countries offered as filters; matches per year (and so their count); one page
        # of events; their blocs; their countries; their sources
        with django_assert_num_queries(8):
            client.get("/events/")
        for i in range(30):
            make_event(
                title=f"Summit {i}",
                blocs=[world.csto, world.eaeu],
                countries=[world.countries["RUS"], world.countries["KAZ"]],
                sources=[world.tass, world.odkb],
            )
        with django_assert_num_queries(8):
            client.get("/events/?page=2")
        with django_assert_num_queries(8):
            client.get("/events/?q=summit&bloc=csto&country=rus&kind=summit&from=2000&to=2020")
        # an unusable filter stops before any event is read: blocs and countries only
        with django_assert_num_queries(3):
            client.get("/events/?bloc=nato")


class TestEventPage:
    def test_event_with_its_blocs_countries_spells_and_sources(self, client, world):
        html = page(client, f"/events/{world.suspension_event.pk}/")
        words = text_of(html)
        assert "CSTO formally suspends Uzbekistan" in words
        assert "19 December 2012" in words
        assert 'href="/blocs/csto/"' in html and 'href="/countries/uzb/"' in html
        assert "Uzbekistan in CSTO, 16 August 2006 – 2013" in words  # the spell it changed
        assert '<a href="https://tass.com/world/687141"' in html
        assert "[tass-687141]" in words
        assert 'href="/on/2012-12-19/"' in html
        assert 'value="2012-12-19"' in html  # the date picker starts on the event's day
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    def test_dates_keep_their_precision(self, client, world):
        words = text_of(page(client, f"/events/{world.eaeu_event.pk}/"))
        assert "May 2014" in words and "1 May 2014" not in words
        assert "the exact day is not known" in words
        assert "no source recorded" in words
        osh = text_of(page(client, f"/events/{world.osh_event.pk}/"))
        assert "10 – 14 June 2010" in osh
        assert "Osh" in osh and "did not deploy peacekeepers" in osh

    @pytest.mark.parametrize("pk", ["999999", "9223372036854775808", "99999999999999999999999999"])
    def test_unknown_event_is_a_friendly_404(self, client, world, pk):
        assert f"There is no event number {pk}." in text_of(page(client, f"/events/{pk}/", status=404))

    @pytest.mark.parametrize("pk", ["abc", "-1", "1.0"])
    def test_malformed_event_number_is_404(self, client, world, pk):
        page(client, f"/events/{pk}/", status=404)

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); the event; its blocs; its countries; its sources; its claims; the spells it changed
        # with country and bloc
        with django_assert_num_queries(7):
            client.get(f"/events/{world.suspension_event.pk}/")
