"""?as_recorded=: pages and downloads over the record as it stood on an earlier day, rebuilt from its history."""

import csv
import datetime
import importlib
import io
import re

import openpyxl
import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from blocs.models import Membership
from events.models import Event
from public import as_recorded
from public.as_recorded import recorded_links, recorded_models, summaries

from .conftest import make_bloc, make_country, make_event, make_membership
from .recorded_history import AFTER, BEFORE, BETWEEN, recorded_on

pytestmark = pytest.mark.django_db


def page(client, address):
    response = client.get(address)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def spells(client, query=""):
    response = client.get(f"/data/memberships.csv{query}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return {(row["country_alpha3"], row["role"]) for row in csv.DictReader(io.StringIO(content, newline=""))}


def test_a_bloc_page_shows_the_record_before_and_after_a_change(client, record):
    before = page(client, f"/blocs/csto/?as_recorded={BETWEEN}")
    assert "as it stood at the end of 2026-03-01" in before
    assert 'href="/blocs/csto/">See the current record' in before
    assert "Freedonia" in before  # deleted since: shown
    assert "Sylvania" not in before  # added since: not shown
    after = page(client, f"/blocs/csto/?as_recorded={AFTER}")
    assert "Freedonia" not in after
    assert "Sylvania" in after
    current = page(client, "/blocs/csto/")
    assert "as it stood" not in current
    assert "Freedonia" not in current and "Sylvania" in current


def test_who_belonged_on_a_day_according_to_an_earlier_record(client, record):
    before = page(client, f"/on/2012-07-01/?as_recorded={BETWEEN}")
    assert "Freedonia" in before and "Sylvania" not in before
    after = page(client, f"/on/2012-07-01/?as_recorded={AFTER}")
    assert "Freedonia" not in after and "Sylvania" in after


def test_a_csv_download_gives_the_old_and_the_new_values(client, record):
    assert spells(client, f"?as_recorded={BETWEEN}") == {("ARM", "member"), ("FRD", "member")}
    assert spells(client, f"?as_recorded={AFTER}") == {("ARM", "observer"), ("SYL", "member")}
    assert spells(client, "?as_recorded=2026-06-10T11:59") == {("ARM", "member"), ("FRD", "member")}
    assert spells(client) == {("ARM", "observer"), ("SYL", "member")}


def test_an_xlsx_download_gives_the_old_values(client, record):
    response = client.get(f"/data/memberships.xlsx?as_recorded={BETWEEN}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    spells = {(row[header.index("country_alpha3")], row[header.index("role")]) for row in rows}
    assert spells == {("ARM", "member"), ("FRD", "member")}


def test_links_are_those_of_the_version_then(client, record):
    response = client.get(f"/data/memberships.csv?as_recorded={BETWEEN}")
    assert "treaty-2000" in b"".join(response.streaming_content).decode()
    response = client.get(f"/data/memberships.csv?as_recorded={AFTER}")
    assert "treaty-2000" not in b"".join(response.streaming_content).decode()


def test_before_the_first_recorded_change_the_page_says_when_the_record_begins(client, record):
    response = client.get(f"/blocs/csto/?as_recorded={BEFORE}")
    assert response.status_code == 404
    assert "The record begins on 2026-01-10" in response.content.decode()
    response = client.get(f"/data/memberships.csv?as_recorded={BEFORE}")
    assert response.status_code == 404
    assert "The record begins on 2026-01-10" in response.content.decode()


def test_an_empty_record_says_nothing_was_recorded(client):
    response = client.get("/blocs/?as_recorded=2026-01-01")
    assert response.status_code == 404
    assert "Nothing has been recorded yet." in response.content.decode()


@pytest.mark.parametrize(
    "value",
    ["junk", "2026-02-30", "9" * 4000, "2099-01-01", "2099-01-01T10:00", "２０２６-01-01", "2026-13-01T00:00", "-1"],
)
def test_bad_values_are_a_clear_400(client, record, value):
    for address in ("/blocs/csto/", "/on/2012-07-01/", "/data/memberships.csv", "/data/"):
        response = client.get(address, {"as_recorded": value})
        assert response.status_code == 400, (address, value)
        text = response.content.decode()
        assert "as_recorded" in text or "still to come" in text
        assert len(text) < 30_000


def test_today_and_a_moment_just_past_are_accepted(client, record):
    assert "as it stood" in page(client, f"/blocs/csto/?as_recorded={timezone.localdate().isoformat()}")
    moment = (timezone.now() - datetime.timedelta(minutes=1)).isoformat(timespec="seconds")
    response = client.get("/blocs/csto/", {"as_recorded": moment})
    assert response.status_code == 200
    assert "Sylvania" in response.content.decode()


def test_an_as_recorded_page_is_never_served_for_the_current_one(client, record, settings):
    settings.PAGE_CACHE = True
    assert "Freedonia" not in page(client, "/blocs/csto/")
    assert "Freedonia" in page(client, f"/blocs/csto/?as_recorded={BETWEEN}")
    assert "Freedonia" not in page(client, "/blocs/csto/")
    assert "Freedonia" in page(client, f"/blocs/csto/?as_recorded={BETWEEN}")
    # The events' counts per year are kept beside the page, under the same state.
    assert "Tashkent summit" in page(client, f"/events/?as_recorded={AFTER}")
    assert "Tashkent summit" in page(client, "/events/")


def test_the_admin_reads_the_current_record(curator_client, record):
    response = curator_client.get(f"/admin/blocs/membership/{record.pk}/change/?as_recorded={BETWEEN}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "as it stood" not in text
    assert '<option value="observer" selected>' in text


def test_every_record_table_is_rebuilt_or_holds_no_part_of_the_record():
    tables = set()
    for model, _ in recorded_models():
        tables.add(model._meta.db_table)
        tables.update(through._meta.db_table for through, _, _ in recorded_links(model))
    left = {
        model._meta.db_table
        for label in ("blocs", "events")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not model.__name__.startswith("Historical")
    }
    tables.update(summaries())  # counts the database keeps from the record, rebuilt from its views
    # Uploaded spreadsheets awaiting confirmation: the curators' working files, not the record.
    assert left - tables == {"blocs_importfile"}
    assert {"blocs_membership", "blocs_membershipsource", "events_event_memberships", "blocs_succession"} <= tables


def temp_relations():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_no_view_outlives_its_request_on_the_same_connection(client, settings):
    settings.PAGE_CACHE = False
    # A connection older than CONN_MAX_AGE is closed when a request ends, as it should be: start
    # on a new one, so that only what the requests below leave behind could close it.
    connection.close()
    since = timezone.now()
    spell = make_membership(country=make_country(name="Armenia"), bloc=make_bloc(slug="csto"), role="member")
    recorded_on("2026-01-10", since)
    since = timezone.now()
    Membership.objects.filter(pk=spell.pk).update(role="observer")  # no history: the record moved on unrecorded
    spell.refresh_from_db()
    spell.save()
    recorded_on("2026-06-10", since)
    connection.ensure_connection()
    raw = connection.connection
    assert temp_relations() == 0
    assert "member" in page(client, f"/blocs/csto/?as_recorded={BETWEEN}")
    assert spells(client, f"?as_recorded={BETWEEN}") == {(spell.country.alpha3, "member")}
    response = client.get(f"/data/memberships.csv?as_recorded={BETWEEN}")
    next(iter(response.streaming_content))
    response.close()  # a download abandoned half way
    assert connection.connection is raw  # the same connection, kept for the next request
    assert temp_relations() == 0
    assert not connection.in_atomic_block
    assert spells(client) == {(spell.country.alpha3, "observer")}
    assert "observer" in page(client, "/blocs/csto/")


def test_an_as_recorded_page_costs_three_queries_more(client, record, django_assert_num_queries):
    with django_assert_num_queries(17):  # the bloc page as tests/test_pages.py pins it
        client.get("/blocs/csto/")
    # Then the same seventeen, and: the first recorded change, one statement creating the views, and
    # the transaction holding them (here a savepoint in the test's transaction: SAVEPOINT, ROLLBACK
    # TO and RELEASE; BEGIN and ROLLBACK in production). The records' state is read once, as before.
    with django_assert_num_queries(22):
        client.get(f"/blocs/csto/?as_recorded={BETWEEN}")


def test_the_events_counted_by_year_are_those_of_the_record_then(client, record):
    """The unfiltered /events/ counts its events from a table the database keeps; as recorded, from the events then."""
    since = timezone.now()
    make_event(title="Moscow summit", date=datetime.date(1999, 4, 2))
    recorded_on("2026-06-10", since)
    assert "1 event" in page(client, f"/events/?as_recorded={BETWEEN}")
    assert "2 events" in page(client, f"/events/?as_recorded={AFTER}")
    assert "2 events" in page(client, "/events/")


def test_the_years_of_events_moved_deleted_and_added_since_count_as_they_stood(client, record):
    """Counted from the kept table corrected for the events changed since, or from every event then."""
    since = timezone.now()
    moved = make_event(title="Minsk summit", date=datetime.date(2001, 5, 1))
    deleted = make_event(title="Bishkek summit", date=datetime.date(2002, 5, 1))
    recorded_on("2026-02-01", since)
    since = timezone.now()
    moved.date = datetime.date(2003, 5, 1)
    moved.save()
    deleted.delete()
    make_event(title="Astana summit", date=datetime.date(2004, 5, 1))
    recorded_on("2026-06-10", since)
    then = page(client, "/events/?as_recorded=2026-03-01")
    assert "2001: 1 event" in then and "2002: 1 event" in then
    assert "2003:" not in then and "2004:" not in then
    now = page(client, "/events/")
    assert "2003: 1 event" in now and "2004: 1 event" in now and "2001:" not in now and "2002:" not in now


def test_a_blocs_events_are_those_it_had_then_in_their_order_then(client, record):
    """A bloc's events, on its page and filtered on /events/, are paged from the table of their dates
    the database keeps; as recorded, from the events and links as they stood."""
    csto = record.bloc
    since = timezone.now()
    moved = make_event(title="Minsk summit", date=datetime.date(2001, 5, 1), blocs=[csto])
    unlinked = make_event(title="Bishkek summit", date=datetime.date(2002, 5, 1), blocs=[csto])
    recorded_on("2026-02-01", since)
    since = timezone.now()
    moved.date = datetime.date(2003, 5, 1)
    moved.save()
    unlinked.blocs.clear()
    make_event(title="Astana summit", date=datetime.date(2004, 5, 1), blocs=[csto])
    recorded_on("2026-06-10", since)

    def titles(html):
        return [t for t in re.findall(r'class="event-title" href="/events/\d+/">([^<]+)<', html) if "summit" in t]

    for address in ("/events/?bloc=csto", "/blocs/csto/"):
        then = page(client, f"{address}{'&' if '?' in address else '?'}as_recorded=2026-03-01")
        assert titles(then) == ["Tashkent summit", "Bishkek summit", "Minsk summit"], address
        assert titles(page(client, address)) == ["Tashkent summit", "Astana summit", "Minsk summit"], address
    then = page(client, "/events/?bloc=csto&as_recorded=2026-03-01")
    assert "2001: 1 event" in then and "2002: 1 event" in then and "2003:" not in then


@pytest.mark.parametrize("changed", [1, as_recorded.MOST_CHANGED + 1])
def test_a_search_finds_the_words_of_the_events_as_they_stood(client, record, monkeypatch, changed):
    """The stored search vector is no field and has no history: as recorded, an event changed since
    is searched by its words then (computed by the column's own expression), the rest by the column."""
    monkeypatch.setattr(as_recorded, "MOST_CHANGED", max(changed - 1, 1))  # a few changed, or too many
    since = timezone.now()
    renamed = make_event(title="Yerevan summit", date=datetime.date(2001, 5, 1))
    make_event(title="Yerevan exercise", date=datetime.date(2002, 5, 1))
    recorded_on("2026-02-01", since)
    since = timezone.now()
    renamed.title = "Gyumri summit"
    renamed.save()
    recorded_on("2026-06-10", since)

    def found(address):
        return re.findall(r'class="event-title" href="/events/\d+/">([^<]+)<', page(client, address))

    assert sorted(found("/events/?q=yerevan&as_recorded=2026-03-01")) == ["Yerevan exercise", "Yerevan summit"]
    assert found("/events/?q=gyumri&as_recorded=2026-03-01") == []
    assert found("/events/?q=gyumri") == ["Gyumri summit"]
    assert found("/events/?q=yerevan") == ["Yerevan exercise"]


def test_the_search_vector_is_computed_as_its_stored_column_is():
    migration = importlib.import_module("events.migrations.0011_stored_search_vector")
    assert Event.GENERATED_COLUMNS == {"search": migration.VECTOR}


@pytest.mark.parametrize(
    "versions, reads_table, reads_history",
    [(0, True, False), (5, True, True), (as_recorded.MOST_CHANGED + 1, False, True)],
)
def test_a_view_reads_the_table_for_what_did_not_change_since(versions, reads_table, reads_history):
    """No version since: the table itself; a few: the table beside the history of the records changed
    since; too many: every record from its history."""
    events, history = Event._meta.db_table, Event.history.model._meta.db_table
    since = {h._meta.db_table: 0 for _, h in recorded_models()} | {history: versions}
    statements = as_recorded.view_statements(timezone.now(), since)
    view = next(s for s in statements if s.startswith(f'CREATE TEMP VIEW "{events}" AS'))
    assert (f'FROM {{schema}}."{events}" t' in view) is reads_table
    assert (f'FROM {{schema}}."{history}" h' in view) is reads_history
    assert ("NOT IN" in view) is (reads_table and reads_history)
    links = next(s for s in statements if s.startswith('CREATE TEMP VIEW "events_eventbloc" AS'))
    assert (f'{{schema}}."{history}" h' in links) is reads_history


@pytest.mark.parametrize("where", ["the views", "the page"])
def test_a_statement_the_timeout_stops_gets_the_timeout_page(client, record, settings, monkeypatch, where):
    """As for the current record: a 503 that says why, never a server error, and the connection usable."""
    settings.STATEMENT_TIMEOUT_SECONDS = 0.2
    if where == "the views":  # making the views takes too long
        made = as_recorded.view_statements
        monkeypatch.setattr(as_recorded, "view_statements", lambda *a: [*made(*a), "SELECT pg_sleep(2)"])
    else:  # a query of the page does: the events per year, read for /events/, take two seconds
        slow = 'CREATE TEMP VIEW "events_per_year" AS SELECT 2000 AS year, 1::bigint AS events FROM pg_sleep(2)'
        monkeypatch.setattr(as_recorded, "summary_statements", lambda *a: [slow])
    response = client.get(f"/events/?as_recorded={AFTER}")
    assert response.status_code == 503
    assert "took longer than we allow for one page (0.2 seconds)" in response.content.decode()
    assert Membership.objects.filter(bloc__slug="csto").exists()
    assert client.get(f"/events/?as_recorded={AFTER}").status_code == 503  # and again: nothing left behind
