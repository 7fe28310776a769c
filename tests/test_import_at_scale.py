"""Imports look up only the stored records their file names, so a small file imports quickly into a large table."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from blocs.models import Country, Membership
from blocs.resources import MembershipResource
from blocs.spreadsheets.bulk import BulkImport
from blocs.spreadsheets.copying import array_literal, memoised, reserve
from blocs.spreadsheets.formats import RowProblems, SpreadsheetCSV
from blocs.spreadsheets.writers import csv_lines
from events.resources import EventResource

from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db


def as_dataset(resource, queryset):
    text = "".join(csv_lines(resource.get_export_headers(), resource.export_rows(queryset)))
    return SpreadsheetCSV().create_dataset(text.encode())


def test_a_spell_file_loads_only_the_spells_of_its_countries_and_blocs():
    kaz, uzb = make_country(), make_country()
    csto, eaeu = make_bloc(), make_bloc()
    named = make_membership(country=kaz, bloc=csto, start="1994-04-20")
    make_membership(country=uzb, bloc=csto, start="1994-04-20")
    make_membership(country=kaz, bloc=eaeu, start="2015-01-01")
    resource = MembershipResource()
    dataset = as_dataset(resource, type(named).objects.filter(pk=named.pk))
    assert list(resource.existing_records(dataset)) == [named]


def test_an_event_file_loads_only_the_events_on_its_dates():
    named = make_event(date=d("2012-12-19"), title="Summit in Moscow")
    make_event(date=d("2013-05-28"), title="Summit in Minsk")
    resource = EventResource()
    dataset = as_dataset(resource, type(named).objects.filter(pk=named.pk))
    assert list(resource.existing_records(dataset)) == [named]


def test_reimporting_the_file_still_finds_the_stored_spell():
    spell = make_membership(start="2000-01-01", notes="first")
    dataset = as_dataset(MembershipResource(), type(spell).objects.filter(pk=spell.pk))
    result = MembershipResource().import_data(dataset, dry_run=False, file_name="again.csv")
    assert result.totals["skip"] + result.totals["update"] == 1
    assert result.totals["new"] == 0


def spells_file(*rows, header="country,bloc,role,start,end"):
    return SpreadsheetCSV().create_dataset(("\n".join([header, *rows]) + "\n").encode())


def test_a_date_or_code_repeated_down_the_file_is_read_alike_on_every_row():
    csto = make_bloc(slug="csto-r")
    countries = [make_country() for _ in range(4)]
    dataset = spells_file(*[f"{c.alpha3},csto-r,observer,2002-10,2010" for c in countries])
    result = MembershipResource().import_data(dataset, dry_run=False, file_name="same.csv")
    assert result.totals["new"] == 4, result.problems
    spells = Membership.objects.filter(bloc=csto)
    assert {(s.role, s.start, s.start_precision, s.end, s.end_precision) for s in spells} == {
        ("observer", d("2002-10-01"), "month", d("2010-01-01"), "year")
    }


def test_a_bad_date_or_code_repeated_down_the_file_is_refused_on_every_row():
    make_bloc(slug="csto-b")
    countries = [make_country() for _ in range(3)]
    dataset = spells_file(*[f"{c.alpha3},csto-b,chief,2001-13," for c in countries])
    result = MembershipResource().import_data(dataset, dry_run=False, file_name="bad.csv")
    for row in (2, 3, 4):
        assert f'Row {row}, column “start”: "2001-13": there is no month 13.' in result.problems
        assert any(p.startswith(f"Row {row}, column “role”: “chief” is not a role") for p in result.problems)
    assert not Membership.objects.filter(bloc__slug="csto-b").exists()


def test_memoised_cleans_each_distinct_cell_once_and_refuses_a_bad_one_every_time():
    calls = []

    def clean(cell):
        calls.append(cell)
        if cell == "bad":
            raise ValueError(f"“{cell}” is bad")
        return f"clean {cell!r}"

    cached = memoised(clean)
    assert [cached("a"), cached("a"), cached(1), cached(1.0), cached("1")] == [
        "clean 'a'",
        "clean 'a'",
        "clean 1",
        "clean 1.0",  # equal to 1, but a cell of another type is cleaned on its own
        "clean '1'",
    ]
    for _ in range(2):
        with pytest.raises(ValueError, match="“bad” is bad"):
            cached("bad")
    assert cached(["a", "list"]) == "clean ['a', 'list']"  # not a key: cleaned each time
    pairs = [cached((1, "x")), cached((1.0, "x")), cached((1, "x"))]
    assert pairs == ["clean (1, 'x')", "clean (1.0, 'x')", "clean (1, 'x')"]
    assert calls == ["a", 1, 1.0, "1", "bad", "bad", ["a", "list"], (1, "x"), (1.0, "x")]


def test_reserve_takes_new_ids_from_the_tables_own_sequence():
    before = make_country().pk
    ids = reserve(Country._meta.db_table, "id", 5)
    assert len(set(ids)) == 5 and min(ids) > before and all(isinstance(pk, int) for pk in ids)
    assert make_country().pk > max(ids)
    assert reserve(Country._meta.db_table, "id", 0) == []


def test_the_preview_names_linked_records_from_the_table_as_it_now_stands():
    first = make_source(key="first-key")
    widget = MembershipResource().fields["sources"].widget
    assert widget.labels([first.pk]) == ["first-key"]
    second = make_source(key="second-key")
    assert widget.labels([first.pk, second.pk]) == ["first-key"]  # not loaded yet
    widget.single.load()
    assert widget.labels([first.pk, second.pk]) == ["first-key", "second-key"]
    third = make_source(key="third-key")
    widget.single.remember(third)
    assert widget.labels([third.pk]) == ["third-key"]


def test_validation_is_worked_out_once_and_each_row_is_checked_on_its_own():
    resource = MembershipResource()
    kaz, csto = make_country(), make_bloc()
    empty = Membership(country=kaz, bloc=csto, start=None, role="member")
    wrong = Membership(country=kaz, bloc=csto, start=d("2001-01-01"), role="chief", end=d("2000-01-01"))
    with pytest.raises(ValidationError) as empty_error:
        resource.validate_instance(empty)
    assert empty_error.value.message_dict == {"start": ["This cell is required."]}
    with pytest.raises(ValidationError) as wrong_error:
        resource.validate_instance(wrong)
    assert set(wrong_error.value.message_dict) == {"role", "end"}
    assert wrong_error.value.message_dict["role"] == ["Value 'chief' is not a valid choice."]
    # What the cell's own cleaning already refused is not checked again.
    with pytest.raises(ValidationError) as given:
        resource.validate_instance(wrong, {"role": ["“chief” is not a role."]})
    assert given.value.message_dict["role"] == ["“chief” is not a role."]
    resource.validate_instance(Membership(country=kaz, bloc=csto, start=d("2001-01-01"), role="member"))


@pytest.mark.parametrize(
    "values,sql_type",
    [
        ([1, None, 2**40, -3], "bigint"),
        ([d("2001-02-03"), None, d("0001-01-01")], "date"),
        ([datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.UTC), None], "timestamptz"),
        ([True, False, None], "boolean"),
        (["plain", "", "NULL", None, 'a "quoted", {braced} \\ back\\slash', "  spaced  ", "Ереван", "x\ny"], "text"),
        ([], "text"),
    ],
)
def test_array_literal_reaches_postgresql_as_the_same_values(values, sql_type):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{sql_type}[]", [array_literal(values)])
        assert cursor.fetchone()[0] == values


def test_cells_long_together_but_each_within_the_limit_pass_and_one_too_long_is_named():
    from blocs.resources import CountryResource  # noqa: PLC0415
    from blocs.spreadsheets.writers import MAX_CELL_CHARS  # noqa: PLC0415

    near = "x" * MAX_CELL_CHARS  # at the limit, allowed
    header = "alpha-3,alpha-2,name,other names,notes"
    fine = SpreadsheetCSV().create_dataset(f"{header}\nKGZ,KG,{near},{near},{near}\n".encode())
    assert CountryResource().check_dataset(fine) == []
    over = SpreadsheetCSV().create_dataset(f"{header}\nKGZ,KG,{near},{near},{near}x\nKAZ,KZ,K,,\n".encode())
    assert CountryResource().check_dataset(over) == [
        f"Row 2, column “notes”: the text is {MAX_CELL_CHARS + 1:,} characters long; "
        f"a cell can hold at most {MAX_CELL_CHARS:,}."
    ]


def bulk_import(dataset, dry_run=False):
    """Run the bulk import of `dataset` as import_data() does, keeping the BulkImport to look at."""
    resource = MembershipResource()
    assert resource.check_dataset(dataset) == []
    bulk = BulkImport(resource, dataset, dry_run, None, "imported from test.csv")
    result = bulk.run()
    result.problems = resource.describe(result)
    return bulk, result


def new_spells_file(bloc, countries, start="2001-01-01"):
    return spells_file(*[f"{c.alpha3},{bloc.slug},member,{start}," for c in countries])


def test_a_file_of_new_records_is_written_while_it_is_checked():
    bloc, countries = make_bloc(), [make_country() for _ in range(5)]
    bulk, result = bulk_import(new_spells_file(bloc, countries))
    assert bulk.streamed and result.totals["new"] == 5 and not result.has_validation_errors()
    spells = Membership.objects.filter(bloc=bloc)
    assert sorted(s.country_id for s in spells) == sorted(c.pk for c in countries)
    assert Membership.history.filter(bloc_id=bloc.pk, history_type="+").count() == 5
    assert {s.history.get().history_change_reason for s in spells} == {"imported from test.csv"}


def test_the_preview_of_new_records_stores_nothing():
    bloc, countries = make_bloc(), [make_country() for _ in range(3)]
    bulk, result = bulk_import(new_spells_file(bloc, countries), dry_run=True)
    assert bulk.streamed and result.totals["new"] == 3
    assert not Membership.objects.filter(bloc=bloc).exists()


def test_a_file_that_changes_stored_records_is_written_after_its_checks():
    bloc, kaz, uzb = make_bloc(), make_country(), make_country()
    make_membership(country=kaz, bloc=bloc, start="2001-01-01")
    dataset = spells_file(f"{kaz.alpha3},{bloc.slug},observer,2001-01-01,", f"{uzb.alpha3},{bloc.slug},member,2002,")
    bulk, result = bulk_import(dataset)
    assert not bulk.streamed and result.totals["new"] == 1 and result.totals["update"] == 1
    assert Membership.objects.get(country=kaz, bloc=bloc).role == "observer"
    assert Membership.objects.get(country=uzb, bloc=bloc).start_precision == "year"


def test_a_row_that_fails_its_checks_stops_the_writing_and_nothing_is_stored():
    bloc, countries = make_bloc(), [make_country() for _ in range(4)]
    rows = [f"{c.alpha3},{bloc.slug},member,2001-01-01," for c in countries]
    rows[2] = f"{countries[2].alpha3},{bloc.slug},member,2001-01-01,2000-01-01"
    bulk, result = bulk_import(spells_file(*rows))
    assert not bulk.streamed
    assert result.problems == [
        "Row 4, column “end”: The spell cannot end (1 January 2000) before it starts (1 January 2001)."
    ]
    assert not Membership.objects.filter(bloc=bloc).exists()
    assert not Membership.history.filter(bloc_id=bloc.pk).exists()


def test_what_the_database_refuses_in_the_stream_is_written_again_and_named_by_row(monkeypatch):
    bloc, kaz, uzb = make_bloc(), make_country(), make_country()
    make_membership(country=uzb, bloc=bloc, start="1990-01-01")
    monkeypatch.setattr(MembershipResource, "batch_problems", lambda self, instances: RowProblems())
    dataset = spells_file(f"{kaz.alpha3},{bloc.slug},member,2001-01-01,", f"{uzb.alpha3},{bloc.slug},member,2001,")
    bulk, result = bulk_import(dataset)
    assert not bulk.streamed
    assert result.problems == ["Row 3: This country already has a spell in this bloc that overlaps these dates."]
    assert Membership.objects.filter(bloc=bloc).count() == 1


def test_a_query_made_while_checking_sees_the_tables_as_they_were_before_the_file(monkeypatch):
    bloc, countries = make_bloc(), [make_country() for _ in range(3)]
    make_membership(bloc=bloc, start="1990-01-01")
    seen, clean = [], Membership.clean

    def counting_clean(spell):
        seen.append(Membership.objects.filter(bloc=bloc).count())
        clean(spell)

    monkeypatch.setattr(Membership, "clean", counting_clean)
    bulk, result = bulk_import(new_spells_file(bloc, countries))
    assert seen == [1, 1, 1]
    assert not bulk.streamed and result.totals["new"] == 3
    assert Membership.objects.filter(bloc=bloc).count() == 4


def test_an_unexpected_failure_while_checking_leaves_the_connection_usable(monkeypatch):
    bloc, countries = make_bloc(), [make_country() for _ in range(3)]
    calls = []

    def failing_clean(spell):
        calls.append(spell)
        if len(calls) == 2:
            raise RuntimeError("a bug in a model's clean()")

    monkeypatch.setattr(Membership, "clean", failing_clean)
    with pytest.raises(RuntimeError, match="a bug"):
        bulk_import(new_spells_file(bloc, countries))
    assert not Membership.objects.filter(bloc=bloc).exists()
