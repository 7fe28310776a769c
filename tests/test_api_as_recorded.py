"""?as_recorded= on the read API: every operation over the record as it stood then, as the public pages read it."""

import csv
import datetime
import io

import pytest
from django.utils.http import http_date

from public import as_recorded
from releases.models import Release

from .api_pages import COMMON, PROBLEM, data, get, walk
from .recorded_history import AFTER, BEFORE, BETWEEN

# Every test reads the record of test_as_recorded.py: recorded on 10 January 2026, changed on 10 June.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("record")]


def spells(client, query=""):
    return {(s["country"], s["role"]) for s in walk(client, f"/api/v1/memberships?bloc=csto{query}")}


def test_the_spells_before_and_after_a_change(client):
    before = spells(client, f"&as_recorded={BETWEEN}")
    assert before == {("ARM", "member"), ("FRD", "member")}  # Freedonia's spell, deleted since, is there
    after = spells(client, f"&as_recorded={AFTER}")
    assert after == {("ARM", "observer"), ("SYL", "member")} == spells(client)
    assert data(client, f"/api/v1/countries/FRD?as_recorded={BETWEEN}")["name"] == "Freedonia"
    assert "SYL" not in {c["alpha3"] for c in walk(client, f"/api/v1/countries?as_recorded={BETWEEN}")}
    # A spell's sources as they were saved with it then.
    arm = walk(client, f"/api/v1/memberships?country=ARM&as_recorded={BETWEEN}")[0]
    assert [s["key"] for s in arm["sources"]] == ["treaty-2000"]
    assert walk(client, "/api/v1/memberships?country=ARM")[0]["sources"] == []


def test_a_dataset_as_recorded_equals_the_data_file_as_recorded(client):
    response = client.get("/data/members.csv", {"date": "2010-01-01", "as_recorded": BETWEEN})
    content = b"".join(response.streaming_content).decode()
    rows = [(r["country_alpha3"], r["role"]) for r in csv.DictReader(io.StringIO(content, newline=""))]
    api = walk(client, f"/api/v1/members?date=2010-01-01&as_recorded={BETWEEN}&limit=1")
    assert [(m["country"], m["role"]) for m in api] == rows == [("ARM", "member"), ("FRD", "member")]


def test_the_validators_name_the_moment_and_its_last_change(client):
    current = client.get("/api/v1/memberships")
    between = client.get(f"/api/v1/memberships?as_recorded={BETWEEN}")
    after = client.get(f"/api/v1/memberships?as_recorded={AFTER}")
    assert len({current["ETag"], between["ETag"], after["ETag"]}) == 3
    # The last change recorded before each moment: 10 January at noon, then 10 June.
    assert between["Last-Modified"] == http_date(datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC).timestamp())
    assert after["Last-Modified"] == http_date(datetime.datetime(2026, 6, 10, 12, tzinfo=datetime.UTC).timestamp())
    path = f"/api/v1/memberships?as_recorded={BETWEEN}"
    assert get(client, path, if_none_match=between["ETag"]).status_code == 304
    assert get(client, path, if_modified_since=between["Last-Modified"]).status_code == 304
    assert get(client, path, if_none_match=current["ETag"]).status_code == 200


def test_releases_published_after_the_moment_are_not_there_yet(client):
    for version, day in (("2026.05", "2026-05-01"), ("2026.08", "2026-08-01")):
        published = datetime.datetime.fromisoformat(f"{day}T09:00:00+00:00")
        Release.objects.create(version=version, published_at=published, storage_prefix=f"{version}/x")
    assert [r["version"] for r in walk(client, f"/api/v1/releases?as_recorded={AFTER}")] == ["2026.05"]
    assert client.get(f"/api/v1/releases/2026.08?as_recorded={AFTER}").status_code == 404
    assert [r["version"] for r in walk(client, "/api/v1/releases")] == ["2026.08", "2026.05"]


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("as_recorded=nope", 400, "is not a date"),
        ("as_recorded=2026-02-30", 400, "is not a date"),
        ("as_recorded=2999-01-01", 400, "is still to come"),
        (f"as_recorded={BEFORE}", 404, "nothing had been recorded at the end of 2026-01-09"),
    ],
)
def test_a_moment_that_cannot_be_read_is_a_problem(client, query, status, words):
    response = client.get(f"/api/v1/memberships?{query}")
    assert response.status_code == status and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert words in problem["detail"], problem
    if status == 400:
        assert problem["parameter"] == "as_recorded"


# Besides the common query: the moment's first recorded change; the views made for it (one
# statement); the releases published before it and its last change; then the operation's own.
# The transaction around the views is a savepoint inside the test's: SAVEPOINT, ROLLBACK TO and
# RELEASE count here too (outside a test it begins and rolls back without statements of its own).
AS_RECORDED = 7


@pytest.mark.parametrize("path, queries", [("/api/v1/memberships", 1), ("/api/v1/countries/ARM", 1)])
def test_query_count_is_pinned(client, django_assert_num_queries, path, queries):
    path += f"{'&' if '?' in path else '?'}as_recorded={BETWEEN}"
    client.get(path)
    with django_assert_num_queries(COMMON + AS_RECORDED + queries):
        assert client.get(path).status_code == 200
    etag = client.get(path)["ETag"]
    with django_assert_num_queries(COMMON):
        assert get(client, path, if_none_match=etag).status_code == 304


def test_views_the_timeout_stops_are_a_503_problem(client, record, settings, monkeypatch):
    """Making the views of the record then takes too long: a problem that says so, never a server error."""
    settings.STATEMENT_TIMEOUT_SECONDS = 0.2
    made = as_recorded.view_statements
    monkeypatch.setattr(as_recorded, "view_statements", lambda *a: [*made(*a), "SELECT pg_sleep(2)"])
    response = client.get(f"/api/v1/memberships?as_recorded={AFTER}")
    assert response.status_code == 503 and response["Content-Type"] == PROBLEM
    assert "took longer than 0.2 seconds" in response.json()["detail"]
