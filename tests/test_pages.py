"""The public pages about blocs and countries: what a reader sees, the 404s, and the queries each page runs."""

import re

import pytest
from django.utils import timezone

from .conftest import make_bloc, make_country, make_event, make_membership
from .pages import assert_accessible_chart, assert_strict_csp_friendly, page, row_of, svg_of, text_of
from .pages_world import spell

pytestmark = pytest.mark.django_db


class TestHome:
    def test_shows_blocs_with_members_today_timeline_map_events_and_data_link(self, client, world):
        html = page(client, "/")
        words = text_of(html)
        assert "The blocs and their members today" in words
        # The dissolved EurAsEC has no card; the CSTO lists its members today, Armenia self-suspended.
        cards = re.findall(r'<article class="card.*?</article>', html, flags=re.S)
        titles = [text_of(re.search(r"<h3>(.*?)</h3>", card, flags=re.S).group(1)) for card in cards]
        assert "Collective Security Treaty Organization" in titles
        assert "Eurasian Economic Community" not in titles
        csto_card = cards[titles.index("Collective Security Treaty Organization")]
        assert "Armenia" in csto_card and "self-suspended" in csto_card
        assert "Uzbekistan" not in csto_card
        assert "Serbia" in text_of(csto_card) and "observer" in csto_card

        timeline = svg_of(html, "blocs-timeline")
        assert_accessible_chart(timeline)
        assert "CSTO" in timeline and "EurAsEC" in timeline
        assert "marker-end" in timeline  # EurAsEC → EAEU, CST → CSTO

        region_map = svg_of(html, "map")
        assert_accessible_chart(region_map)
        assert "Outside the map: Cuba" in words

        assert "Treaty on the Eurasian Economic Union signed" in words
        assert 'href="/data/"' in html
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); blocs; successions; today's member count of each; each country's standing
        # for the map; today's spells in the blocs shown; recent events; their blocs; their sources
        with django_assert_num_queries(9):
            client.get("/")
        grow(world)
        with django_assert_num_queries(9):
            client.get("/")


class TestBlocList:
    def test_lists_every_bloc_with_dates_and_members_today(self, client, world):
        html = page(client, "/blocs/")
        csto = row_of(html, "/blocs/csto/")
        assert "18 September 2003" in csto
        # Russia, Belarus, Kazakhstan, Kyrgyzstan, Tajikistan and (suspended) Armenia; Serbia observes.
        assert re.search(r'<td class="num">6</td>', csto)
        assert "June 2009" in row_of(html, "/blocs/csto-crrf/")
        assert "December 1991" in row_of(html, "/blocs/cis/")
        assert "1 December 1991" not in html
        assert_accessible_chart(svg_of(html, "blocs-timeline"))
        assert_strict_csp_friendly(html)

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); blocs; successions; today's member count of each
        with django_assert_num_queries(4):
            client.get("/blocs/")
        grow(world)
        with django_assert_num_queries(4):
            client.get("/blocs/")


class TestBlocPage:
    def test_uzbekistan_has_two_spells_and_the_second_is_shown_suspended(self, client, world):
        html = page(client, "/blocs/csto/")
        rows = [r for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if "/countries/uzb/" in r]
        assert len(rows) == 2
        first, second = (text_of(r) for r in rows)
        # The first spell is in the CST, the bloc the CSTO continued; the second in the CSTO itself.
        assert first.startswith("Uzbekistan CST member 20 April 1994 20 April 1999 non-renewal")
        assert "suspended" not in first
        assert second.startswith("Uzbekistan CSTO member 16 August 2006 2013 withdrawal")
        assert "suspended from 19 December 2012" in second
        assert "formal decision of the bloc" in second
        assert "officially left soon after June 2012" in second

        timeline = svg_of(html, "timeline")
        assert_accessible_chart(timeline)
        spells = re.findall(r'<g class="spell role-[a-z]+">.*?</g>', timeline, flags=re.S)
        uzbekistan = [g for g in spells if "<title>Uzbekistan in" in g]
        assert len(uzbekistan) == 2
        assert "Uzbekistan in CST: member, 20 April 1994 – 20 April 1999 (non-renewal)" in uzbekistan[0]
        assert 'fill="#8d99a6"' in uzbekistan[0]  # drawn in grey, as a spell of the earlier bloc
        assert "suspended by the bloc (formal) from 19 December 2012" in uzbekistan[1]
        assert "suspension-formal" in uzbekistan[1]
        assert "in the CST, before the CSTO" in timeline  # the legend says what grey means

    def test_bloc_without_predecessors_lists_only_its_own_spells(self, client, world):
        html = page(client, "/blocs/cst/")
        assert '<th scope="col">Bloc</th>' not in html
        rows = [r for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if "/countries/" in r]
        assert len(rows) == 6

    def test_suspension_kinds_are_told_apart(self, client, world):
        html = page(client, "/blocs/csto/")
        armenia = text_of(row_of(html, "/countries/arm/", "/blocs/csto/"))
        assert "self-suspended from February 2024" in armenia
        assert "self-declared by the country" in armenia
        assert "Suspended today: Armenia (self-declared by the country)" in text_of(html)
        timeline = svg_of(html, "timeline")
        assert "suspended by the country itself (self-declared)" in timeline  # legend
        assert "suspension-self_declared" in timeline

    def test_roles_differ_by_colour_and_pattern_with_a_legend(self, client, world):
        timeline = svg_of(page(client, "/blocs/csto/"), "timeline")
        assert re.search(r'<pattern id="bloc-timeline-role-observer"', timeline)
        assert '<g class="spell role-observer">' in timeline
        legend_labels = re.findall(r"<text [^>]*>([^<]+)</text>", timeline)
        assert "member" in legend_labels and "observer" in legend_labels

    def test_edges_known_only_to_the_month_or_year_are_drawn_uncertain(self, client, world):
        timeline = svg_of(page(client, "/blocs/csto/"), "timeline")
        assert "date known only to the month or year" in timeline
        serbia = next(g for g in re.findall(r'<g class="spell.*?</g>', timeline, flags=re.S) if "Serbia" in g)
        # Serbia's observer spell began in April 2013: a faded, dashed edge across that month.
        assert "fade-in" in serbia and 'stroke-dasharray="3 2"' in serbia
        russia = next(g for g in re.findall(r'<g class="spell.*?</g>', timeline, flags=re.S) if "Russia in" in g)
        assert "fade-in" not in russia  # known to the day: a sharp edge

    def test_ongoing_spells_are_open_ended(self, client, world):
        timeline = svg_of(page(client, "/blocs/csto/"), "timeline")
        assert "continues today" in timeline
        html = page(client, "/blocs/csto/")
        assert "continues" in text_of(row_of(html, "/countries/rus/", "/blocs/csto/"))

    def test_relations_events_and_sources(self, client, world):
        html = page(client, "/blocs/csto/")
        words = text_of(html)
        assert "Continues Collective Security Treaty" in words
        assert 'href="/blocs/cst/"' in html
        assert 'href="/blocs/csto-crrf/"' in html  # the force inside it
        assert "The military alliance built on the Collective Security Treaty." in words
        assert "CSTO formally suspends Uzbekistan" in words
        assert "10 – 14 June 2010" in words  # one month: "10–14 June 2010"
        # Sources: a link when the address is known, the key otherwise.
        assert '<a href="https://tass.com/world/687141"' in html
        assert re.search(r'<span class="source-key"[^>]*>stratfor-2012-12-05</span>', html)
        assert "Basic facts" in words  # the bloc's own source, cited in full
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    def test_successor_links_back(self, client, world):
        words = text_of(page(client, "/blocs/cst/"))
        assert "Continued by Collective Security Treaty Organization" in words

    def test_unknown_bloc_is_a_friendly_404(self, client, world):
        html = page(client, "/blocs/nato/", status=404)
        assert "There is no bloc with the short name “nato”." in text_of(html)

    @pytest.mark.parametrize("url", ["/blocs/..%2f..%2fetc/", "/blocs/%3Cscript%3E/", "/blocs/csto/extra/"])
    def test_path_tricks_are_404(self, client, world, url):
        page(client, url, status=404)

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); the bloc and its parent; its claims; predecessors; successors; forces inside it;
        # each country's first spell and count; its spells today; the page's spells with countries; their sources; their
        # claims; event markers; latest events; their sources; their countries; their claims; bloc sources (claims'
        # sources are read only when there are claims: tests/test_pages_disputes.py)
        with django_assert_num_queries(17):
            client.get("/blocs/csto/")
        grow(world)
        with django_assert_num_queries(17):
            client.get("/blocs/csto/")


class TestCountryList:
    def test_lists_countries_with_their_blocs_today(self, client, world):
        html = page(client, "/countries/")
        armenia = row_of(html, "/countries/arm/")
        assert "CSTO" in armenia and "EAEU" in armenia and "self-suspended" in armenia
        assert "none" in text_of(row_of(html, "/countries/ukr/"))
        assert "observer" in row_of(html, "/countries/cub/")
        assert_strict_csp_friendly(html)

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); each country's count of spells in force today; countries;
        # the first of each one's spells in force today, with their blocs
        with django_assert_num_queries(4):
            client.get("/countries/")
        grow(world)
        with django_assert_num_queries(4):
            client.get("/countries/")


class TestCountryPage:
    def test_memberships_across_blocs_timeline_and_events(self, client, world):
        html = page(client, "/countries/uzb/")
        words = text_of(html)
        assert "Uzbekistan" in words
        rows = [r for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if 'href="/blocs/' in r]
        blocs = [re.search(r'href="/blocs/([a-z-]+)/"', r).group(1) for r in rows]
        assert blocs == ["cst", "csto"]
        assert "20 April 1999" in text_of(rows[0]) and "non-renewal" in text_of(rows[0])
        timeline = svg_of(html, "timeline")
        assert_accessible_chart(timeline)
        assert ">CST<" in timeline and ">CSTO<" in timeline
        assert "CSTO formally suspends Uzbekistan" in words
        assert "Ethnic violence in Osh" in words
        assert "in none of the blocs in the record" in words
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    def test_today_summary_shows_suspension(self, client, world):
        words = text_of(page(client, "/countries/arm/"))
        assert "member of the CSTO ( self-suspended since February 2024 )" in words
        assert "member of the EAEU" in words

    def test_upper_case_code_redirects_to_the_permalink(self, client, world):
        response = client.get("/countries/UZB/")
        assert response.status_code == 301
        assert response["Location"] == "/countries/uzb/"

    def test_unknown_code_is_a_friendly_404(self, client, world):
        assert "no country with the code “xyz”" in text_of(page(client, "/countries/xyz/", status=404))

    @pytest.mark.parametrize("code", ["uz", "uzbe", "12a", "%20uz"])
    def test_malformed_code_is_404(self, client, world, code):
        assert "is not a country code" in text_of(page(client, f"/countries/{code}/", status=404))

    def test_country_with_no_spells(self, client, world):
        make_country(alpha3="MNG", alpha2="MN", name="Mongolia")
        words = text_of(page(client, "/countries/mng/"))
        assert "No membership spells are recorded." in words
        assert "No events are recorded." in words

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); the country; each bloc's first spell and count; its spells today; the page's
        # spells with their blocs; their sources; their claims; event markers; latest events; their sources; their blocs;
        # their claims
        with django_assert_num_queries(12):
            client.get("/countries/uzb/")
        grow(world)
        with django_assert_num_queries(12):
            client.get("/countries/uzb/")


class TestOnDate:
    def test_who_belonged_to_what_on_the_day(self, client, world):
        html = page(client, "/on/2012-12-20/")
        words = text_of(html)
        assert "Who belonged to what on 20 December 2012" in words
        section = re.search(r'<section class="bloc-on-date[^"]*" aria-labelledby="bloc-csto">.*?</section>', html, re.S)
        csto = section.group(0)
        uzbekistan = text_of(row_of(csto, "/countries/uzb/"))
        assert "suspended since 19 December 2012" in uzbekistan
        assert "formal decision of the bloc" in uzbekistan
        assert "in good standing" in text_of(row_of(csto, "/countries/rus/"))
        assert "/countries/srb/" not in csto  # Serbia became an observer in April 2013
        assert "/countries/arm/" in csto
        # Blocs that did not exist yet are not listed; the dissolved-later EurAsEC is.
        assert 'aria-labelledby="bloc-eaeu"' not in html
        assert 'aria-labelledby="bloc-eurasec"' in html
        assert '<a href="https://tass.com/world/687141"' in csto
        assert "Last changed" in words
        assert_strict_csp_friendly(html)

    def test_map_colours_countries_by_membership_with_a_legend(self, client, world):
        # The founding article's two layers, one link away from the page's map of every family.
        assert 'href="/on/2012-12-20/?family=article"' in page(client, "/on/2012-12-20/")
        html = page(client, "/on/2012-12-20/?family=article")
        region_map = svg_of(html, "map")
        assert_accessible_chart(region_map)
        # Russia and Kazakhstan: CSTO and the Customs Union; Armenia: CSTO only; Uzbekistan: suspended.
        assert re.search(r'class="country both"><path d="[^"]+" fill="#6a4c9c"[^>]*/><title>Russia:', region_map)
        assert re.search(r'class="country military"><path [^>]*/><title>Armenia:', region_map)
        uzbekistan = re.search(r'<a href="/countries/uzb/"[^>]*>(.*?)</a>', region_map, re.S).group(1)
        assert "map-overlay" in uzbekistan  # hatched
        assert "member of CSTO (suspended by the bloc)" in uzbekistan
        key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
        assert "Member of a military alliance (CST, CSTO)" in key
        assert "Member of an economic or customs union (CU)" in key  # EurAsEC is listed, not coloured
        assert "Hatched: a membership suspended" in key
        assert "Natural Earth" in html

    def test_uncertain_dates_are_flagged(self, client, world):
        # On 10 April 2013 Serbia's observer spell, known only as "April 2013", may or may not have begun.
        html = page(client, "/on/2013-04-10/")
        serbia = text_of(row_of(html, "/countries/srb/"))
        assert "known only as April 2013" in serbia

    def test_previous_and_next_changes_are_linked(self, client, world):
        html = page(client, "/on/2012-12-20/")
        assert re.search(r'<a rel="prev" href="/on/2012-12-19/"', html)
        assert re.search(r'<a rel="next" href="/on/2013-01-01/"', html)  # Uzbekistan's spell ends in 2013

    def test_same_day_in_other_years(self, client, world):
        html = page(client, "/on/2012-12-20/")
        strip = re.search(r'<nav class="year-strip".*?</nav>', html, re.S).group(0)
        assert '<a href="/on/1991-12-20/">1991</a>' in strip  # the record starts with the CIS, 1991
        assert '<span aria-current="page">2012</span>' in strip
        assert f'<a href="/on/{timezone.localdate().year}-12-20/">' in strip
        assert '<a href="/on/2013-02-28/">' in page(client, "/on/2012-02-29/")  # no 29 February in 2013

    @pytest.mark.parametrize(
        "day, message",
        [
            ("2013-02-30", "February 2013 has no day 30"),
            ("2013-13-01", "there is no month 13"),
            ("2013-1-1", "is not a date"),
            ("yesterday", "is not a date"),
            ("2013-02", "is not a date"),
            ("0000-01-01", "the year must be 1 or later"),
        ],
    )
    def test_impossible_or_malformed_dates_are_friendly_404s(self, client, world, day, message):
        assert message in text_of(page(client, f"/on/{day}/", status=404))

    def test_date_picker_redirects_to_the_permalink(self, client, world):
        response = client.get("/on/", {"date": "2012-12-05"})
        assert response.status_code == 302
        assert response["Location"] == "/on/2012-12-05/"
        response = client.get("/on/")
        assert response["Location"] == f"/on/{timezone.localdate().isoformat()}/"

    def test_date_picker_with_a_bad_date_explains(self, client, world):
        html = page(client, "/on/?date=2013-02-30", status=400)
        assert "February 2013 has no day 30" in text_of(html)
        html = page(client, "/on/?date=%3Cscript%3Ealert(1)%3C/script%3E", status=400)
        assert "<script>" not in html and "&lt;script&gt;" in html

    def test_every_history_page_has_the_date_picker(self, client, world):
        for url in ["/", "/blocs/", "/blocs/csto/", "/countries/", "/countries/uzb/", "/on/2012-12-20/", "/events/"]:
            html = page(client, url)
            assert re.search(r'<form class="picker" method="get" action="/on/"', html), url
            assert re.search(r'<input type="date" id="picker-date" name="date"', html), url
        assert 'value="2012-12-20"' in page(client, "/on/2012-12-20/")

    def test_query_count_is_fixed(self, client, world, django_assert_num_queries):
        # the records' state (page cache); blocs; successions; each country's standing for the map; the first spell and
        # the nearest changes; spells in force in the page's blocs, with countries and blocs; their sources
        with django_assert_num_queries(7):
            client.get("/on/2012-12-20/")
        grow(world)
        with django_assert_num_queries(7):
            client.get("/on/2012-12-20/")


def grow(world):
    """More of everything, to show that no page runs a query per row."""
    for i in range(6):
        letter = "ABCDEF"[i]
        country = make_country(alpha3=f"QQ{letter}", alpha2=f"Q{letter}", name=f"Extra country {i}")
        spell(country, world.csto, "2010-03", sources=[world.tass, world.odkb])
        make_membership(country=country, bloc=world.eaeu, start="2016-01-01")
        make_event(
            title=f"Extra event {i}",
            blocs=[world.csto, world.eaeu],
            countries=[country, world.countries["UZB"]],
            sources=[world.tass],
        )


def test_page_addresses_match_the_models_own(world):
    from public.links import url_for

    for obj in [world.csto, world.crrf, world.countries["UZB"], world.suspension_event]:
        assert url_for(obj) == obj.get_absolute_url()


class TestLargeRecords:
    """However large the record, the overview, the date page and the countries page stay bounded."""

    @pytest.fixture
    def many_blocs(self, world):
        russia = world.countries["RUS"]
        blocs = [make_bloc(slug=f"extra-{i:02d}", name=f"Extra bloc {i:02d}", kind="other") for i in range(45)]
        for i, bloc in enumerate(blocs):
            make_membership(country=russia, bloc=bloc, start=f"20{10 + i % 10}-01-01")
        return blocs

    def test_overview_shows_the_largest_blocs_and_links_to_the_rest(self, client, many_blocs):
        html = page(client, "/")
        cards = re.findall(r'<article class="card', html)
        assert len(cards) == 12
        assert re.search(r"\d+ more blocs in existence today", text_of(html))
        timeline = svg_of(html, "blocs-timeline")
        assert timeline.count('class="bloc-bar"') == 40
        assert "The blocs with the most members today" in text_of(html)

    def test_date_page_lists_blocs_twenty_at_a_time(self, client, many_blocs):
        html = page(client, "/on/2020-06-01/")
        assert len(re.findall(r'<section class="bloc-on-date', html)) == 20
        assert "Blocs 1–20 of" in text_of(html)
        second = page(client, "/on/2020-06-01/?page=2")
        assert len(re.findall(r'<section class="bloc-on-date', second)) == 20
        assert "There is no page “9”" in text_of(page(client, "/on/2020-06-01/?page=9", status=404))
        assert "There is no page “x”" in text_of(page(client, "/on/2020-06-01/?page=x", status=404))

    def test_countries_page_names_a_few_blocs_and_counts_the_rest(self, client, many_blocs):
        russia = text_of(row_of(page(client, "/countries/"), "/countries/rus/"))
        assert re.search(r"and \d+ more", russia)
        assert russia.count("Extra bloc") + russia.count("EXTRA") <= 8
