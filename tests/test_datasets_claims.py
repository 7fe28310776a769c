"""Claims on /data/: the claims file, the disputed flag, and ?reading= changing exactly the cells it should."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from blocs.models import Rank, Reading

from .claim_makers import make_claim
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db


def download(client, dataset, extension="csv", **query):
    response = client.get(reverse("data:download", args=[dataset, extension]), query)
    assert response.status_code == 200, response.content[:300]
    return response, b"".join(response.streaming_content)


def rows(client, dataset, **query):
    _, content = download(client, dataset, **query)
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


@pytest.fixture
def world():
    """Uzbekistan in the CSTO as the record has it, and the end ATOP v4.01 codes."""
    atop = Reading.objects.create(key="atop-4-01", name="ATOP v4.01", url="http://www.atopdata.org/")
    Reading.objects.create(key="cow-igo-3", name="COW IGO v3")
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", founded=d("2002-10-07"))
    uzb = make_country(alpha3="UZB", alpha2="UZ", name="Uzbekistan", cow_code=704)
    kaz = make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan", cow_code=705)
    rus = make_country(alpha3="RUS", alpha2="RU", name="Russia", cow_code=365)
    tass, evn = make_source(key="tass-687141"), make_source(key="evnreport-csto")
    spell = make_membership(
        country=uzb, bloc=csto, start="2006-08-16", suspension_start="2012-12-19", suspension_kind="formal"
    )
    make_claim(spell, "end", None, Rank.PREFERRED, sources=[tass], reason="No withdrawal act was found.")
    make_claim(spell, "end", "2012", sources=[evn], reading=atop, reason="Coded as leaving in 2012.")
    make_membership(country=kaz, bloc=csto, start="2002-10-07")
    make_membership(country=rus, bloc=csto, start="2002-10-07")
    osh = make_event(date=d("2010-06-10"), title="Osh", blocs=[csto])
    make_claim(osh, "date", "2010-06-10", Rank.PREFERRED, sources=[tass])
    make_claim(osh, "date", "2011-06", Rank.DEPRECATED, sources=[evn], reason="The year is wrong.")
    make_event(date=d("2012-12-19"), title="Suspension", blocs=[csto])
    return locals()


def cells(table):
    return {(r["country_alpha3"], r["bloc_slug"], r["year"]): (r["status"], r["suspended"]) for r in table}


class TestReading:
    def test_atop_changes_exactly_uzbekistans_csto_years_after_2012(self, client, world):
        preferred = cells(rows(client, "country-year", **{"from": "2010", "to": "2016"}))
        atop = cells(rows(client, "country-year", **{"from": "2010", "to": "2016", "reading": "atop-4-01"}))
        changed = {key for key in preferred if preferred[key] != atop[key]}
        assert changed == {("UZB", "csto", str(year)) for year in range(2013, 2017)}
        assert preferred[("UZB", "csto", "2012")] == atop[("UZB", "csto", "2012")] == ("1", "1")
        assert preferred[("UZB", "csto", "2013")] == ("1", "1")
        assert atop[("UZB", "csto", "2013")] == atop[("UZB", "csto", "2014")] == ("0", "0")

    def test_members_on_a_date_under_atop(self, client, world):
        day = {"date": "2013-06-01"}
        assert {r["country_alpha3"] for r in rows(client, "members", **day)} == {"UZB", "KAZ", "RUS"}
        assert {r["country_alpha3"] for r in rows(client, "members", reading="atop-4-01", **day)} == {"KAZ", "RUS"}

    def test_dyad_year_loses_uzbekistans_pairs(self, client, world):
        def pairs(**reading):
            table = rows(client, "dyad-year", **{"from": "2013", "to": "2013"}, **reading)
            return {(r["country1_alpha3"], r["country2_alpha3"]) for r in table}

        assert pairs() == {("KAZ", "RUS"), ("KAZ", "UZB"), ("RUS", "UZB")}
        assert pairs(reading="atop-4-01") == {("KAZ", "RUS")}

    def test_a_reading_without_claims_is_the_preferred_panel(self, client, world):
        years = {"from": "2010", "to": "2016"}
        assert rows(client, "country-year", reading="cow-igo-3", **years) == rows(client, "country-year", **years)

    def test_a_reading_that_says_a_spell_never_began_leaves_it_out(self, client, world):
        kazakhstan = world["kaz"].memberships.get()
        make_claim(kazakhstan, "start", "2002-10-07", Rank.PREFERRED)
        make_claim(kazakhstan, "start", None, reading=Reading.objects.get(key="cow-igo-3"))
        table = rows(client, "members", date="2013-06-01", reading="cow-igo-3")
        assert {r["country_alpha3"] for r in table} == {"UZB", "RUS"}

    def test_the_file_name_says_the_reading(self, client, world):
        response, _ = download(client, "country-year", reading="atop-4-01", **{"from": "2012", "to": "2014"})
        today = datetime.date.today().isoformat()
        assert (
            f'filename="eurasia-country-year-2012-2014-reading-atop-4-01-data-{today}.csv"'
            in response["Content-Disposition"]
        )

    def test_xlsx_follows_the_reading_too(self, client, world):
        response, content = download(client, "members", "xlsx", date="2013-06-01", reading="atop-4-01")
        assert content.startswith(b"PK")

    @pytest.mark.parametrize(
        "dataset, query, message",
        [
            ("members", {"reading": "nope"}, "There is no reading &quot;nope&quot;"),
            ("members", {"reading": "x" * 5000}, "There is no reading"),
            ("events", {"reading": "atop-4-01"}, "?reading= applies to the members, country-year and dyad-year"),
            ("claims", {"reading": "atop-4-01"}, "?reading= applies to the members"),
        ],
    )
    def test_bad_readings_are_explained(self, client, world, dataset, query, message):
        response = client.get(reverse("data:download", args=[dataset, "csv"]), query)
        assert response.status_code == 400
        assert message in response.content.decode()

    def test_query_counts(self, client, world, django_assert_num_queries):
        # data facts; the reading looked up; the blocs whose rows each part holds; COPY (one part here)
        with django_assert_num_queries(4):
            download(client, "country-year", reading="atop-4-01")
        # data facts; the blocs of each part; COPY
        with django_assert_num_queries(3):
            download(client, "country-year")


class TestClaimsFile:
    def test_one_row_per_claim_with_its_fact_rank_reading_and_sources(self, client, world):
        table = rows(client, "claims")
        assert len(table) == 4
        atop = next(r for r in table if r["reading_key"] == "atop-4-01")
        assert atop == {
            "record_kind": "membership",
            "country_alpha3": "UZB",
            "bloc_slug": "csto",
            "spell_start": "2006-08-16",
            "event_date": "",
            "event_title": "",
            "field": "end",
            "value": "2012-01-01",
            "value_precision": "year",
            "rank": "alternative",
            "reason": "Coded as leaving in 2012.",
            "reading_key": "atop-4-01",
            "reading_name": "ATOP v4.01",
            "source_keys": "evnreport-csto",
            "disputed": "1",
        }
        none = next(r for r in table if r["field"] == "end" and r["rank"] == "preferred")
        assert (none["value"], none["value_precision"], none["source_keys"]) == ("", "", "tass-687141")
        osh = [r for r in table if r["record_kind"] == "event"]
        assert [(r["value"], r["rank"]) for r in osh] == [("2010-06-10", "preferred"), ("2011-06-01", "deprecated")]
        assert osh[0]["event_title"] == "Osh"

    def test_xlsx(self, client, world):
        _, content = download(client, "claims", "xlsx")
        assert content.startswith(b"PK")

    def test_query_count_does_not_grow_with_claims(self, client, world, django_assert_num_queries):
        # data facts; one COPY for each kind of record (blocs' claims first, so the file starts at once)
        with django_assert_num_queries(4):
            download(client, "claims")
        for _ in range(5):
            spell = make_membership(bloc=world["csto"], start="2004-01-01")
            make_claim(spell, "start", "2004-01-01", Rank.PREFERRED)
            make_claim(spell, "start", "2003")
        with django_assert_num_queries(4):
            assert len(rows(client, "claims")) == 14


class TestDisputedFlag:
    def test_on_spells(self, client, world):
        table = rows(client, "memberships", **{"from": "2012", "to": "2012"})
        assert {r["country_alpha3"]: r["disputed"] for r in table} == {"UZB": "1", "KAZ": "0", "RUS": "0"}

    def test_on_events(self, client, world):
        table = rows(client, "events", **{"from": "2010", "to": "2012"})
        assert {r["title"]: r["disputed"] for r in table} == {"Osh": "1", "Suspension": "0"}


def test_the_data_page_lists_the_readings_and_offers_them(client, world):
    page = client.get(reverse("data:index")).content.decode()
    assert '<option value="atop-4-01">ATOP v4.01</option>' in page
    assert "<code>atop-4-01</code>" in page


def test_the_codebook_explains_the_uzbekistan_example(client):
    page = client.get(reverse("data:codebook")).content.decode()
    assert "Under ?reading=atop-4-01 the spell ends in 2012" in page
