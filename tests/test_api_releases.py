"""The read API's releases: the list, one release with its files and citation, and a release's table as JSON pages."""

import datetime

import pytest
from django.utils import timezone

from api.problems import encode_cursor
from releases.citation import Citation
from releases.models import Release
from releases.publishing import read_csv_rows

from .api_pages import COMMON, PROBLEM, answer_in_queries, data, get, walk
from .conftest import make_country

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("release_storage")]


def test_the_releases_newest_first_with_their_files_checksums_and_citation(client, two_releases):
    first, second = two_releases
    listed = walk(client, "/api/v1/releases?limit=1")
    assert [r["version"] for r in listed] == ["2026.12", "2026.11"]
    newest = listed[0]
    assert newest == data(client, "/api/v1/releases/2026.12")
    assert newest["previous"] == "2026.11" and newest["notes"] == "Armenia's freeze."
    assert newest["page"] == "http://testserver/data/releases/2026.12/"
    assert newest["published"] == second.published_at.isoformat()
    assert newest["changes"] == second.change_counts and newest["withdrawn"] is None
    citation = Citation(newest["page"], timezone.localdate(), "2026.12", second.published_at.date())
    assert newest["citation"] == {"text": citation.text(), "bibtex": citation.bibtex()}
    files = {f["name"]: f for f in newest["files"]}
    assert set(files) == set(second.files.values_list("name", flat=True))
    for stored in second.files.all():
        shown = files[stored.name]
        assert (shown["sha256"], shown["size"], shown["rows"], shown["format"]) == (
            stored.sha256,
            stored.size,
            stored.rows,
            stored.format,
        )
        assert shown["url"] == f"http://testserver/data/releases/2026.12/{stored.name}"
    assert files["members.csv"]["rows_url"] == "http://testserver/api/v1/releases/2026.12/members"
    assert files["members.xlsx"]["rows_url"] is None and files["SHA256SUMS"]["dataset"] is None
    # The file the link names is the file whose checksum the API gives.
    served = client.get(files["memberships.csv"]["url"])
    assert served["Repr-Digest"] and served.status_code == 200


def test_a_withdrawn_release_leaves_the_list_but_keeps_its_address(client, two_releases):
    first, _ = two_releases
    Release.objects.filter(pk=first.pk).update(withdrawn_at=timezone.now(), withdrawal_reason="A wrong date.")
    assert [r["version"] for r in walk(client, "/api/v1/releases")] == ["2026.12"]
    withdrawn = data(client, "/api/v1/releases/2026.11")
    assert withdrawn["withdrawn"] and withdrawn["withdrawal_reason"] == "A wrong date."


def test_a_releases_table_page_by_page_equals_its_file_and_stays_as_published(client, two_releases):
    first, _ = two_releases
    header, *rows = list(read_csv_rows(first, "memberships.csv"))
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    assert walk(client, "/api/v1/releases/2026.11/memberships?limit=1") == expected
    make_country(alpha3="TKM", alpha2="TM", name="Turkmenistan")  # the record goes on; the release does not
    countries_header, *countries = list(read_csv_rows(first, "countries.csv"))
    walked = walk(client, "/api/v1/releases/2026.11/countries?limit=2")
    assert walked == [dict(zip(countries_header, row, strict=True)) for row in countries]
    assert "TKM" not in {c["alpha3"] for c in walked if "alpha3" in c} | {c.get("country_alpha3") for c in walked}


def test_a_page_deep_in_a_table_starts_where_its_cursor_says(client, two_releases):
    first, _ = two_releases
    page = data(client, "/api/v1/releases/2026.11/country-year?limit=5")
    second = data(client, page["next"])
    header, *rows = list(read_csv_rows(first, "country-year.csv"))
    assert second["data"] == [dict(zip(header, row, strict=True)) for row in rows[5:10]]


@pytest.mark.parametrize(
    "path, status, parameter, words",
    [
        ("/api/v1/releases/2027.01", 404, None, "There is no release 2027.01"),
        ("/api/v1/releases/latest", 404, None, "not a release version"),
        ("/api/v1/releases/2026.11/nope", 404, None, 'has no table "nope"'),
        ("/api/v1/releases/2026.11/changes", 404, None, 'has no table "changes"'),
        ("/api/v1/releases/2027.01/members", 404, None, "has no table"),
        ("/api/v1/releases?cursor=abc", 400, "cursor", "not a cursor"),
        (f"/api/v1/releases?cursor={encode_cursor('releases', ['yesterday', 1])}", 400, "cursor", "not a cursor"),
        (f"/api/v1/releases?cursor={encode_cursor('releases', ['2026-11-01T00:00', 1])}", 400, "cursor", "cursor"),
        ("/api/v1/releases/2026.11/members?limit=0", 400, "limit", "from 1 to 1000"),
        (
            f"/api/v1/releases/2026.11/members?cursor={encode_cursor('release:2026.11:members', [2, 40, 'forged'])}",
            400,
            "cursor",
            "not a cursor",
        ),
        (
            f"/api/v1/releases/2026.11/members?cursor={encode_cursor('release:2026.11:events', [2, 40, 'x'])}",
            400,
            "cursor",
            "not a cursor",
        ),
        ("/api/v1/releases/2026.11?format=csv", 400, "format", "Unknown parameter format"),
    ],
)
def test_bad_addresses_and_parameters_are_problems(client, two_releases, path, status, parameter, words):
    response = client.get(path)
    assert response.status_code == status and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem.get("parameter") == parameter and words in problem["detail"], problem


def test_a_new_release_changes_the_etag_and_last_modified(client, two_releases):
    first = client.get("/api/v1/releases")
    assert get(client, "/api/v1/releases", if_none_match=first["ETag"]).status_code == 304
    later = timezone.now() + datetime.timedelta(seconds=2)
    Release.objects.create(version="2027.01", published_at=later, storage_prefix="2027.01/x")
    changed = get(client, "/api/v1/releases", if_modified_since=first["Last-Modified"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert changed.json()["data"][0]["version"] == "2027.01"


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/api/v1/releases?limit=1", 2),  # releases with their previous; their files
        ("/api/v1/releases/2026.12", 2),
        ("/api/v1/releases/2026.11/memberships?limit=1", 1),  # the file's record; the rows come from the file
    ],
)
def test_query_count_is_pinned(client, two_releases, django_assert_num_queries, path, queries):
    answer_in_queries(client, path, COMMON + queries, django_assert_num_queries)
