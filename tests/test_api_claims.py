"""The read API's readings and claims: ?reading= on the datasets as /data/ takes it, /claims and /readings."""

import csv
import io

import pytest
from django.urls import reverse

from blocs.models import BlocClaim, MembershipClaim, Rank, Reading
from events.models import EventClaim

from .api_pages import COMMON, PROBLEM, answer_in_queries, data, walk

pytestmark = pytest.mark.django_db


def file_rows(client, dataset, **query):
    response = client.get(reverse("data:download", args=[dataset, "csv"]), query)
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content, newline="")))


# ?reading= ----------------------------------------------------------------------------------------


def test_the_atop_reading_ends_uzbekistans_csto_spell_in_2012_as_the_data_file_does(client, seed):
    # The seed's ATOP v4.01 claim: Uzbekistan's CSTO spell ended on 2012-06-28 (the preferred record: no end).
    assert MembershipClaim.objects.filter(
        membership__country__alpha3="UZB", membership__bloc__slug="csto", field="end", reading__key="atop-4-01"
    ).exists()
    years = "from=2012&to=2014&bloc=csto&country=UZB"

    def cells(path):
        return {r["year"]: (r["status"], r["suspended"]) for r in walk(client, path)}

    preferred = cells(f"/api/v1/country-year?{years}")
    atop = cells(f"/api/v1/country-year?{years}&reading=atop-4-01")
    assert preferred == {2012: (1, True), 2013: (1, True), 2014: (1, True)}
    assert atop == {2012: (1, True), 2013: (0, False), 2014: (0, False)}
    query = {"from": "2012", "to": "2014", "reading": "atop-4-01"}
    whole = walk(client, "/api/v1/country-year?from=2012&to=2014&reading=atop-4-01&limit=1000")
    assert [(r["country"], r["bloc"], r["year"], r["status"], int(r["suspended"])) for r in whole] == [
        (r["country_alpha3"], r["bloc_slug"], int(r["year"]), int(r["status"]), int(r["suspended"]))
        for r in file_rows(client, "country-year", **query)
    ]


def test_members_and_dyads_follow_the_reading_and_equal_the_data_files(client, seed):
    day = "2013-06-01"
    preferred = {m["country"] for m in walk(client, f"/api/v1/members?date={day}&bloc=csto")}
    atop = walk(client, f"/api/v1/members?date={day}&bloc=csto&reading=atop-4-01&limit=3")
    assert "UZB" in preferred and "UZB" not in {m["country"] for m in atop}
    in_file = [r for r in file_rows(client, "members", date=day, reading="atop-4-01") if r["bloc_slug"] == "csto"]
    assert [(m["country"], m["role"], int(m["suspended"])) for m in atop] == [
        (r["country_alpha3"], r["role"], int(r["suspended"])) for r in in_file
    ]

    def pairs(**reading):
        suffix = "".join(f"&reading={v}" for v in reading.values())
        path = f"/api/v1/dyad-year?from=2013&to=2013{suffix}"
        return {(d["bloc"], d["country1"], d["country2"]) for d in walk(client, path)}

    atop_pairs = pairs(reading="atop-4-01")
    uzbekistan_in_csto = {p for p in pairs() if p[0] == "csto" and "UZB" in p}
    assert uzbekistan_in_csto and not uzbekistan_in_csto & atop_pairs  # none of UZB's CSTO dyads under ATOP
    in_file = file_rows(client, "dyad-year", reading="atop-4-01", **{"from": "2013", "to": "2013"})
    assert atop_pairs == {(r["bloc_slug"], r["country1_alpha3"], r["country2_alpha3"]) for r in in_file}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members?reading=nope",
        "/api/v1/country-year?reading=nope",
        "/api/v1/dyad-year?from=2012&to=2013&reading=nope",
        f"/api/v1/members?reading={'x' * 5000}",
        "/api/v1/members?reading=ATOP-4-01",
    ],
)
def test_an_unknown_reading_is_a_problem_naming_the_readings_list(client, seed, path):
    response = client.get(path)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["parameter"] == "reading"
    assert problem["detail"].startswith('?reading=: there is no reading "')
    assert "/api/v1/readings" in problem["detail"]


def test_the_other_lists_refuse_a_reading(client, seed):
    for path in ("/api/v1/memberships?reading=atop-4-01", "/api/v1/events?reading=atop-4-01"):
        response = client.get(path)
        assert response.status_code == 400 and response.json()["parameter"] == "reading"


# /claims and /readings ----------------------------------------------------------------------------


def first_day(partial):
    """A partial date as the files give it: the first day of its period (2006 -> 2006-01-01)."""
    if partial is None:
        return ""
    return {"day": partial["date"], "month": partial["date"] + "-01", "year": partial["date"] + "-01-01"}[
        partial["precision"]
    ]


def test_every_claim_equals_the_claims_file_row_for_row(client, seed):
    claims = walk(client, "/api/v1/claims?limit=37")
    rows = file_rows(client, "claims")
    assert len(claims) == len(rows) > 50
    api = sorted(
        (
            c["record_kind"],
            c["fact"]["country"] or "",
            c["fact"]["bloc"] or "",
            first_day(c["fact"]["spell_start"]),
            first_day(c["fact"]["event_date"]),
            c["fact"]["event_title"] or "",
            c["field"],
            first_day(c["value"]),
            c["value"]["precision"] if c["value"] else "",
            c["rank"],
            c["reason"],
            c["reading"] or "",
            ";".join(c["sources"]),
            int(c["disputed"]),
        )
        for c in claims
    )
    in_file = sorted(
        (
            r["record_kind"],
            r["country_alpha3"],
            r["bloc_slug"],
            r["spell_start"],
            r["event_date"],
            r["event_title"],
            r["field"],
            r["value"],
            r["value_precision"],
            r["rank"],
            r["reason"],
            r["reading_key"],
            r["source_keys"],
            int(r["disputed"]),
        )
        for r in rows
    )
    assert api == in_file


def test_a_claim_names_its_fact_by_natural_keys_with_its_reading_and_sources(client, seed):
    uzbekistan = walk(client, "/api/v1/claims?country=uzb&bloc=csto&record_kind=membership&reading=atop-4-01")
    assert [(c["field"], c["value"], c["rank"]) for c in uzbekistan] == [
        ("end", {"date": "2012-06-28", "precision": "day"}, "alternative")
    ]
    claim = uzbekistan[0]
    assert claim["fact"]["country"] == "UZB" and claim["fact"]["bloc"] == "csto"
    assert claim["fact"]["spell_start"]["date"].startswith("2006")
    assert claim["fact"]["page"] == "http://testserver/countries/uzb/"
    assert claim["reading"] == "atop-4-01" and claim["disputed"] is True
    assert "atop-4-01-members" in claim["sources"]
    ends = walk(client, "/api/v1/claims?country=UZB&bloc=csto&record_kind=membership")
    assert {"value": None, "rank": "preferred"} in [{"value": c["value"], "rank": c["rank"]} for c in ends]


def test_claims_filtered_by_kind_rank_and_bloc(client, seed):
    events = walk(client, "/api/v1/claims?record_kind=event")
    assert len(events) == EventClaim.objects.count() > 0
    assert all(c["fact"]["event_title"] and c["fact"]["page"].startswith("http://testserver/events/") for c in events)
    refuted = walk(client, "/api/v1/claims?rank=deprecated")
    assert refuted and all(c["rank"] == "deprecated" for c in refuted)
    claim_models = (BlocClaim, MembershipClaim, EventClaim)
    assert len(refuted) == sum(m.objects.filter(rank=Rank.DEPRECATED).count() for m in claim_models)
    csto = walk(client, "/api/v1/claims?bloc=csto")
    kinds = {c["record_kind"] for c in csto}
    assert {"bloc", "membership"} <= kinds
    assert all(c["fact"]["bloc"] == "csto" for c in csto if c["record_kind"] != "event")
    assert not walk(client, "/api/v1/claims?country=RUS&record_kind=bloc")  # a bloc's dates belong to no country


def test_readings_by_key(client, seed):
    readings = walk(client, "/api/v1/readings?limit=1")
    assert [r["key"] for r in readings] == sorted(Reading.objects.values_list("key", flat=True))
    atop = data(client, "/api/v1/readings/atop-4-01")
    assert atop == next(r for r in readings if r["key"] == "atop-4-01")
    assert atop["name"] == "ATOP v4.01" and atop["citation"]
    assert client.get("/api/v1/readings/nope").status_code == 404


@pytest.mark.parametrize(
    "path, parameter, words",
    [
        ("/api/v1/claims?record_kind=spell", "record_kind", "membership"),
        ("/api/v1/claims?rank=best", "rank", "preferred"),
        ("/api/v1/claims?reading=nope", "reading", 'no reading "nope"'),
        ("/api/v1/claims?bloc=nope", "bloc", 'no bloc "nope"'),
        ("/api/v1/claims?country=XXX", "country", "no country"),
        ("/api/v1/claims?kind=event", "kind", "Unknown parameter kind"),
        ("/api/v1/claims?cursor=abc", "cursor", "not a cursor"),
        ("/api/v1/claims?limit=0", "limit", "from 1 to 1000"),
        ("/api/v1/readings?cursor=abc", "cursor", "not a cursor"),
    ],
)
def test_each_bad_claims_parameter_gets_a_problem_document(client, seed, path, parameter, words):
    response = client.get(path)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["parameter"] == parameter and words in problem["detail"], problem


def test_a_cursor_of_another_kind_is_refused(client, seed):
    from api.problems import encode_cursor

    response = client.get(f"/api/v1/claims?cursor={encode_cursor('claims', ['spell', 3])}")
    assert response.status_code == 400 and response.json()["parameter"] == "cursor"


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/api/v1/claims", 1),  # the page's claims with their facts, readings and sources: one query
        ("/api/v1/claims?bloc=csto&country=UZB&reading=atop-4-01&rank=alternative", 4),  # + bloc, country, reading
        ("/api/v1/readings", 1),
        ("/api/v1/readings/atop-4-01", 1),
        ("/api/v1/members?date=2013-06-01&reading=atop-4-01", 2),  # the reading; the /data/ query
        ("/api/v1/country-year?from=2012&to=2014&reading=atop-4-01", 3),  # the reading; blocs; the query
        ("/api/v1/dyad-year?from=2012&to=2014&bloc=csto&reading=atop-4-01", 4),  # + bloc
    ],
)
def test_query_count_is_pinned(client, seed, django_assert_num_queries, path, queries):
    answer_in_queries(client, path, COMMON + queries, django_assert_num_queries)


def test_records_carry_the_disputed_flag_the_data_files_give(client, seed):
    spells = walk(client, "/api/v1/memberships?limit=1000")
    in_file = file_rows(client, "memberships")  # from the record's first year: every spell
    assert {(s["country"], s["bloc"], first_day(s["start"]), int(s["disputed"])) for s in spells} == {
        (r["country_alpha3"], r["bloc_slug"], r["start"], int(r["disputed"])) for r in in_file
    }
    assert any(s["disputed"] for s in spells) and not all(s["disputed"] for s in spells)
    uzbekistan = walk(client, "/api/v1/memberships?country=UZB&bloc=csto")[0]
    assert uzbekistan["disputed"] is True
    events = walk(client, "/api/v1/events?limit=1000")
    disputed_events = {(e["date"]["date"], e["title"]) for e in events if e["disputed"]}
    claimed = {
        (c["fact"]["event_date"]["date"], c["fact"]["event_title"])
        for c in walk(client, "/api/v1/claims?record_kind=event")
        if c["disputed"]
    }
    assert disputed_events == claimed
    assert data(client, "/api/v1/blocs/csto")["disputed"] is True  # its founding: 6 or 7 October 2002
    assert data(client, "/api/v1/blocs/cis")["disputed"] is False  # no claims about its dates
