"""Imports look up only the stored records their file names, so a small file imports quickly into a large table."""

import pytest

from blocs.resources import EventResource, MembershipResource, SpreadsheetCSV
from blocs.spreadsheets import csv_lines

from .conftest import d, make_bloc, make_country, make_event, make_membership

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
