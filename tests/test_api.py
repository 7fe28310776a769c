"""The read API at /api/v1/: each resource's content, paging, conditional requests, CORS, problems, rate limit."""

import base64
import csv
import io
import json

import pytest
from django.urls import reverse

from blocs.models import Bloc, Membership

from .api_pages import COMMON, PROBLEM, answer_in_queries, data, get, walk
from .conftest import make_country, make_membership

pytestmark = pytest.mark.django_db

# Content ----------------------------------------------------------------------------------------


def test_csto_members_on_a_date_equal_the_data_file(client, seed):
    response = client.get(reverse("data:download", args=["members", "csv"]), {"date": "2012-07-01"})
    content = b"".join(response.streaming_content).decode()
    rows = [r for r in csv.DictReader(io.StringIO(content, newline="")) if r["bloc_slug"] == "csto"]
    api = walk(client, "/api/v1/members?date=2012-07-01&bloc=csto&limit=3")
    assert len(api) == len(rows) > 5
    assert [
        (m["country"], m["role"], str(int(m["suspended"])), m["start"]["date"], ";".join(m["sources"])) for m in api
    ] == [
        (
            r["country_alpha3"],
            r["role"],
            r["suspended"],
            r["start"][: {"day": 10, "month": 7, "year": 4}[r["start_precision"]]],
            r["source_keys"],
        )
        for r in rows
    ]
    assert {m["country"] for m in api if m["role"] == "member"} >= {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"}
    assert all(m["as_of"] == "2012-07-01" and m["page"].endswith(f"/countries/{m['country'].lower()}/") for m in api)


def test_countries_by_alpha3_with_their_pages(client, seed):
    countries = walk(client, "/api/v1/countries")
    assert len(countries) == 54  # the seed's countries, every one on one walk of the pages
    russia = data(client, "/api/v1/countries/rus")
    assert russia in countries
    assert russia["alpha2"] == "RU" and russia["cow_code"] == 365
    assert russia["page"] == "http://testserver/countries/rus/"


def test_a_bloc_carries_its_predecessors_successors_parent_and_sources(client, seed):
    csto = data(client, "/api/v1/blocs/csto")
    assert csto["predecessors"] == ["cst"]
    assert csto["founded"] == {"date": "2002-10-07", "precision": "day"}
    assert csto["sources"] and all(set(s) == {"key", "title", "url"} for s in csto["sources"])
    assert data(client, "/api/v1/blocs/cst")["successors"] == ["csto"]
    assert data(client, "/api/v1/blocs/csto-crrf")["parent"] == "csto"
    assert csto["page"] == "http://testserver/blocs/csto/"
    assert len(walk(client, "/api/v1/blocs?limit=2")) == Bloc.objects.count()


def test_sources_by_key(client, seed):
    source = data(client, "/api/v1/sources/stratfor-2012-12-05")
    assert source["key"] == "stratfor-2012-12-05"
    assert source["published"] is None or set(source["published"]) == {"date", "precision"}


def test_memberships_filtered_and_dated_with_their_precision(client, seed):
    spells = walk(client, "/api/v1/memberships?bloc=csto&country=uzb")
    assert [s["start"]["date"][:4] for s in spells] == ["2006"]
    uzbekistan = spells[0]
    assert uzbekistan["suspension_start"]["date"].startswith("2012")
    assert uzbekistan["sources"]
    in_force = walk(client, "/api/v1/memberships?bloc=csto&as_of=2012-07-01&role=member")
    assert {s["country"] for s in in_force} >= {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"}
    suspended = walk(client, "/api/v1/memberships?bloc=csto&suspended=true")
    assert {s["country"] for s in suspended} >= {"UZB"}
    assert all(s["suspension_start"] for s in suspended)
    assert all(s["start"]["date"] <= "1995" for s in walk(client, "/api/v1/memberships?to=1994"))


def test_month_and_year_dates_never_gain_a_day(client):
    make_membership(start="2012-06-01", start_precision="month", end="2014-01-01", end_precision="year")
    spell = data(client, "/api/v1/memberships")["data"][0]
    assert spell["start"] == {"date": "2012-06", "precision": "month"}
    assert spell["end"] == {"date": "2014", "precision": "year"}


def test_events_of_a_country_since_2010(client, seed):
    events = walk(client, "/api/v1/events?country=KGZ&from=2010")
    assert events and all("KGZ" in e["countries"] and e["date"]["date"] >= "2010" for e in events)
    dates = [e["date"]["date"] for e in events]
    assert dates == sorted(dates, reverse=True)
    assert all(e["page"].startswith("http://testserver/events/") for e in events)
    found = walk(client, "/api/v1/events?q=Uzbekistan+suspended")
    assert found and all("csto" in e["blocs"] or "UZB" in e["countries"] for e in found[:3])
    summits = walk(client, "/api/v1/events?kind=summit&bloc=csto&from=2012-01&to=2012")
    assert summits and all(e["kind"] == "summit" and e["date"]["date"].startswith("2012") for e in summits)


def test_country_year_and_dyad_year_match_the_data_files(client, seed):
    response = client.get(reverse("data:download", args=["country-year", "csv"]), {"from": 2010, "to": 2012})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    api = walk(client, "/api/v1/country-year?from=2010&to=2012&limit=1000")
    assert [(r["country"], r["bloc"], r["year"], r["status"]) for r in api] == [
        (r["country_alpha3"], r["bloc_slug"], int(r["year"]), int(r["status"])) for r in rows
    ]
    dyads = walk(client, "/api/v1/dyad-year?from=2012&to=2012&bloc=csto")
    assert ("KAZ", "RUS") in {(d["country1"], d["country2"]) for d in dyads}


# Paging -----------------------------------------------------------------------------------------


def test_the_cursor_walks_every_record_once_even_when_records_are_added(client, seed):
    first = data(client, "/api/v1/memberships?limit=10")
    assert first["next"] and first["limit"] == 10
    make_membership(
        country=make_country(alpha3="XQZ", alpha2="QZ"), start="1990-01-01"
    )  # added between two pages (QZ: no country of the seed has it)
    rest = walk(client, first["next"])
    keys = [(m["country"], m["bloc"], m["start"]["date"]) for m in first["data"] + rest]
    assert len(keys) == len(set(keys)) == Membership.objects.count()
    assert client.get("/api/v1/memberships?limit=10")["Link"] == f'<{first["next"]}>; rel="next"'


def test_events_walked_through_the_cursor_are_every_event_newest_first(client, seed):
    from events.models import Event

    events = walk(client, "/api/v1/events?limit=7")
    assert len(events) == Event.objects.count()
    assert len({(e["date"]["date"], e["title"]) for e in events}) == len(events)


# HTTP -------------------------------------------------------------------------------------------


def test_an_unchanged_list_answers_304_until_a_record_changes(client, seed):
    first = client.get("/api/v1/blocs")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, no-cache"
    again = get(client, "/api/v1/blocs", if_none_match=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert get(client, "/api/v1/blocs", if_modified_since=modified).status_code == 304
    Bloc.objects.filter(slug="csto").update(name="The CSTO, renamed")
    changed = get(client, "/api/v1/blocs", if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_cors_is_open_for_reading(client, seed):
    response = get(client, "/api/v1/countries", origin="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/countries", headers={"Origin": "https://elsewhere.example"})
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    problem = client.get("/api/v1/blocs?bloc=x")
    assert problem["Access-Control-Allow-Origin"] == "*"
    assert client.get("/countries/").get("Access-Control-Allow-Origin") is None


def test_writing_is_refused(client, seed):
    response = client.post("/api/v1/countries", {})
    assert response.status_code == 405 and response["Content-Type"] == PROBLEM
    assert response["Allow"] == "GET, OPTIONS"


def cursor_of(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "path, parameter, words",
    [
        ("/api/v1/events?bloc=no-such-bloc", "bloc", 'no bloc "no-such-bloc"'),
        ("/api/v1/memberships?country=XXX", "country", 'no country with the alpha-3 code "XXX"'),
        ("/api/v1/memberships?as_of=2012-02-30", "as_of", "February 2012 has no day 30"),
        ("/api/v1/members?date=2012-06", "date", "not a day"),
        ("/api/v1/events?from=June", "from", "not a date"),
        ("/api/v1/events?from=2013&to=2012", "from", "comes after"),
        ("/api/v1/country-year?from=2013&to=2012", "from", "comes after"),
        ("/api/v1/events?cursor=not-a-cursor", "cursor", "not a cursor of this list"),
        (f"/api/v1/events?cursor={cursor_of({'o': 'memberships', 'k': [5]})}", "cursor", "not a cursor"),
        (f"/api/v1/events?cursor={cursor_of({'o': 'events', 'k': ['2012-13-01', 5]})}", "cursor", "not a cursor"),
        ("/api/v1/events?limit=1001", "limit", "from 1 to 1000"),
        ("/api/v1/events?limit=0", "limit", "from 1 to 1000"),
        ("/api/v1/events?limit=many", "limit", "integer"),
        ("/api/v1/events?kind=party", "kind", "summit"),
        ("/api/v1/events?blocs=csto", "blocs", "Unknown parameter blocs"),
        ("/api/v1/countries?bloc=csto", "bloc", "Unknown parameter bloc"),
        ("/api/v1/events?bloc=csto&bloc=eaeu", "bloc", "more than once"),
        ("/api/v1/country-year?from=1000&to=2000", "to", "at most 500 years"),
    ],
)
def test_each_bad_parameter_gets_a_problem_document(client, seed, path, parameter, words):
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Bad parameter"
    assert problem["parameter"] == parameter
    assert words in problem["detail"], problem["detail"]


def test_an_unknown_record_is_a_404_problem(client, seed):
    for path in ("/api/v1/countries/XXX", "/api/v1/blocs/nope", "/api/v1/sources/nope", "/api/v1/nothing"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == PROBLEM, path


def test_too_many_requests_from_one_address_wait_for_the_next_window(client, seed, settings):
    settings.API_RATE_LIMIT = {"requests": 3, "window": 3600}
    assert [client.get("/api/v1/countries").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/countries")
    assert refused.status_code == 429 and refused["Content-Type"] == PROBLEM
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert client.get("/api/v1/countries", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get("/countries/").status_code == 200  # the site itself is not limited


def test_with_a_shared_page_store_the_rate_limit_counts_in_redis(client, seed, settings):
    import uuid

    from api.middleware import local_counts

    settings.PAGE_CACHE_URL = "redis://127.0.0.1:6379/15"
    settings.API_RATE_LIMIT = {"requests": 2, "window": 3600}
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    assert [client.get("/api/v1/countries", REMOTE_ADDR=address).status_code for _ in range(3)] == [200, 200, 429]
    assert local_counts.hits == {}  # every worker of every server counts into the same number


# Queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/api/v1/countries", 1),  # countries
        ("/api/v1/countries/RUS", 1),  # the country
        ("/api/v1/blocs", 4),  # blocs with parents; their sources; predecessors; successors
        ("/api/v1/blocs/csto", 4),
        ("/api/v1/sources", 1),
        ("/api/v1/sources/stratfor-2012-12-05", 1),
        # One query for a page of spells: the spells with country and bloc, and their kept sources alongside.
        ("/api/v1/memberships", 1),
        (
            "/api/v1/memberships?bloc=csto&country=RUS&as_of=2012-07-01&from=2000&to=2010&suspended=false",
            3,
        ),  # + bloc, country
        # One query for a page of events: the events with their kept blocs, countries and sources alongside.
        ("/api/v1/events", 1),
        # A bloc's or a country's events, from the tables kept in date order.
        ("/api/v1/events?bloc=csto", 2),  # + bloc
        ("/api/v1/events?country=KGZ&from=2010&to=2014-06", 2),  # + country
        ("/api/v1/events?bloc=csto&country=KGZ&q=summit&kind=summit&from=2010", 3),  # + bloc, country
        ("/api/v1/members?date=2012-07-01", 1),  # the /data/ query
        ("/api/v1/members?date=2012-07-01&bloc=csto&country=RUS", 3),  # + bloc, country
        # The blocs the page reaches (with the number of countries); the /data/ query for those blocs.
        ("/api/v1/country-year?from=2010&to=2012", 2),
        ("/api/v1/dyad-year?from=2010&to=2012&bloc=csto", 3),  # + bloc
    ],
)
def test_query_count_is_pinned(client, seed, django_assert_num_queries, path, queries):
    answer_in_queries(client, path, COMMON + queries, django_assert_num_queries)


def test_a_304_costs_only_the_common_queries(client, seed, django_assert_num_queries):
    etag = client.get("/api/v1/events")["ETag"]
    with django_assert_num_queries(COMMON):
        assert get(client, "/api/v1/events", if_none_match=etag).status_code == 304


# Description ------------------------------------------------------------------------------------


def test_the_openapi_schema_describes_every_operation(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {
        "/api/v1/countries",
        "/api/v1/blocs/{slug}",
        "/api/v1/memberships",
        "/api/v1/events",
        "/api/v1/members",
        "/api/v1/country-year",
        "/api/v1/dyad-year",
    }
    errors = schema["paths"]["/api/v1/events"]["get"]["responses"]["400"]["content"]
    assert list(errors) == [PROBLEM]


def test_the_interactive_docs_load_only_our_own_scripts(client):
    response = client.get("/api/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html and "https://" not in html.split("<body")[1].split("swagger-settings")[0]
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for script in html.split("<script")[1:]:
        assert 'src="' in script.split(">")[0] or 'type="application/json"' in script.split(">")[0]
