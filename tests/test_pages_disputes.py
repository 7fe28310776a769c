"""Readers see where the sources disagree: a mark on each disputed date, opening to the claims, and /disputes/."""

import re

import pytest

from blocs.models import Rank, Reading

from .claim_makers import dispute, make_claim
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source
from .pages import assert_strict_csp_friendly, page, row_of, svg_of, text_of

pytestmark = pytest.mark.django_db


def table(html):
    return text_of(re.search(r'<table class="disputes.*?</table>', html, flags=re.S).group(0))


def details(html):
    return re.findall(r'<details class="dispute">.*?</details>', html, flags=re.S)


class TestOnTheSeed:
    def test_the_csto_page_marks_uzbekistans_disputed_dates(self, client, seed):
        html = page(client, "/blocs/csto/")
        uzbekistan = row_of(html, "/countries/uzb/", "/blocs/csto/")
        assert 'class="disputed' in uzbekistan or "disputed" in uzbekistan
        opened = " ".join(text_of(x) for x in details(uzbekistan))
        assert "23 June 2006 alternative" in opened
        assert "The political announcement at the Minsk CSC session" in opened
        assert "2012 refuted (The founding article)" in opened
        assert "2012 alternative (ATOP v4.01)" in opened
        assert "no such date preferred: the date the record uses" in opened
        assert 'href="https://' in "".join(details(uzbekistan))  # each claim's sources, as links
        assert "disputed-end" in svg_of(html, "timeline")
        assert_strict_csp_friendly(html)

    def test_the_bloc_header_opens_to_the_founding_claims(self, client, seed):
        html = page(client, "/blocs/csto/")
        header = html.split('class="page-header')[1].split("</header>")[0]
        assert "Formed in 1994" in text_of("".join(details(header)))

    def test_the_country_page_marks_them_too(self, client, seed):
        html = page(client, "/countries/uzb/")
        assert "The political announcement at the Minsk CSC session" in text_of(html)
        assert 'href="/disputes/?country=uzb"' in html

    def test_the_event_page_opens_to_the_claims(self, client, seed):
        from events.models import Event

        osh = Event.objects.get(date=d("2010-06-10"), title__contains="Osh")
        html = page(client, f"/events/{osh.pk}/")
        opened = text_of("".join(details(html)))
        assert "June 2011 refuted (The founding article) The article&#x27;s year is wrong" in opened
        assert "11 June 2010 alternative" in opened

    def test_a_settled_date_has_no_mark(self, client, seed):
        html = page(client, "/blocs/csto/")
        assert not details(row_of(html, "/countries/rus/", "/blocs/csto/"))

    def test_the_disputes_page_lists_every_disputed_date(self, client, seed):
        words = text_of(page(client, "/disputes/"))
        assert "26 disputed dates" in words
        for expected in (
            "Uzbekistan in CSTO",
            "Eurasian Economic Community",
            "Inter-ethnic violence breaks out in Osh",
        ):
            assert expected in words

    def test_the_disputes_page_filters_by_bloc_and_country(self, client, seed):
        csto = table(page(client, "/disputes/?bloc=csto"))
        assert "Uzbekistan in CSTO" in csto and "Eurasian Economic Community" not in csto
        uzbekistan = table(page(client, "/disputes/?country=uzb"))
        assert "Uzbekistan in CSTO" in uzbekistan and "Armenia" not in uzbekistan
        # A bloc's own dates belong to no country.
        assert "Founded" not in uzbekistan
        both = text_of(page(client, "/disputes/?bloc=cst&country=geo"))
        assert "1 disputed date" in both and "Georgia in CST" in both


def test_the_russian_edition(client, seed):
    assert "Спорные даты" in text_of(page(client, "/ru/disputes/?bloc=csto"))
    html = page(client, "/ru/blocs/csto/")
    assert "оспаривается" in html and "предпочтительная: эту дату использует запись" in html


class TestBadAddresses:
    @pytest.mark.parametrize(
        "query, message",
        [
            ("bloc=nothing", "There is no bloc with the short name “nothing”."),
            ("country=zzz", "There is no country with the code “ZZZ” in the records."),
            ("page=9", "There is no such page of disputed dates."),
            ("page=x", "There is no such page of disputed dates."),
            ("bloc=%3Cscript%3E", "There is no bloc with the short name “&lt;script&gt;”."),
        ],
    )
    def test_a_friendly_404(self, client, seed, query, message):
        assert message in text_of(page(client, f"/disputes/?{query}", status=404))


def disputed_bloc(n):
    """A bloc whose founding and `n` spells' starts are disputed, each claim with two sources."""
    reading = Reading.objects.get_or_create(key="a-reading", name="A reading")[0]
    bloc = make_bloc(slug="disputed", founded=d("2000-01-01"))
    dispute(bloc, "founded", "1999", sources=[make_source(), make_source()])
    event = make_event(blocs=[bloc], date=d("2001-05-05"))
    dispute(event, "date", "2001-05-06")
    for _ in range(n):
        spell = make_membership(bloc=bloc, country=make_country(), start="2001-01-01")
        dispute(spell, "start", "2001-02", reading=reading, sources=[make_source(), make_source()])
        make_claim(spell, "start", "2002", Rank.DEPRECATED)
    return bloc


class TestQueriesStayFlat:
    def test_the_bloc_page(self, client, django_assert_num_queries):
        bloc = disputed_bloc(1)
        # the records' state; the bloc and its parent; its claims; their sources; predecessors; successors;
        # forces inside it; each country's first spell and count; its spells today; the page's spells with
        # countries; their sources; their claims; the claims' sources; event markers; latest events; their
        # sources; their countries; their claims; the claims' sources; the bloc's sources
        with django_assert_num_queries(20):
            html = client.get("/blocs/disputed/").content.decode()
        assert len(details(html)) == 3
        for _ in range(5):
            spell = make_membership(bloc=bloc, country=make_country(), start="2003-01-01")
            dispute(spell, "start", "2003-02", sources=[make_source(), make_source()])
        with django_assert_num_queries(20):
            html = client.get("/blocs/disputed/").content.decode()
        assert len(details(html)) == 8

    def test_the_disputes_page(self, client, django_assert_num_queries):
        disputed_bloc(2)
        # the records' state; blocs; countries; the count; one page of disputed dates; each kind's claims with
        # their records (spells, blocs, events); each kind's claims' sources
        with django_assert_num_queries(11):
            assert "4 disputed dates" in text_of(client.get("/disputes/").content.decode())
        disputed_bloc_more = make_bloc(slug="more", founded=d("2005-01-01"))
        dispute(disputed_bloc_more, "founded", "2004")
        for _ in range(6):
            spell = make_membership(bloc=disputed_bloc_more, country=make_country(), start="2006-01-01")
            dispute(spell, "start", "2006-02")
        with django_assert_num_queries(11):
            assert "11 disputed dates" in text_of(client.get("/disputes/").content.decode())

    def test_the_event_page(self, client, django_assert_num_queries):
        event = make_event(date=d("2001-05-05"))
        dispute(event, "date", "2001-05-06")
        # the records' state; the event; its blocs; its countries; its sources; its claims; their sources;
        # the spells it changed
        with django_assert_num_queries(8):
            assert details(client.get(f"/events/{event.pk}/").content.decode())
        make_claim(event, "date", "2001-05-07")
        with django_assert_num_queries(8):
            assert len(re.findall("claim rank-", client.get(f"/events/{event.pk}/").content.decode())) == 3
