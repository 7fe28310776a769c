"""/data/ says, for each reading, how many country-year cells it codes differently from the preferred dates."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from blocs.models import Reading
from public.datasets import reading_differences

pytestmark = pytest.mark.django_db

CELL = ("bloc_slug", "country_alpha3", "year")


def country_year(client, **query):
    response = client.get(reverse("data:download", args=["country-year", "csv"]), query)
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return {tuple(r[k] for k in CELL): (r["status"], r["suspended"]) for r in csv.DictReader(io.StringIO(content))}


def differing(client, key, first, last):
    preferred = country_year(client, **{"from": first, "to": last})
    as_read = country_year(client, reading=key, **{"from": first, "to": last})
    assert preferred.keys() == as_read.keys()
    return {cell for cell in preferred if preferred[cell] != as_read[cell]}


def test_counts_match_the_files_cell_by_cell(client, seed):
    this_year = datetime.date.today().year
    readings = {r.key: r.pk for r in Reading.objects.all()}
    counted = reading_differences(list(readings.values()), 1992, this_year)
    atop = differing(client, "atop-4-01", 1992, this_year)
    # ATOP has Uzbekistan leave the CSTO on 2012-06-28; the record has it suspended from 2012-12-19
    # and never leaving. In 2012 both code it a member; from 2013 ATOP codes it out.
    assert ("csto", "UZB", "2012") not in atop
    assert {("csto", "UZB", str(year)) for year in range(2013, this_year + 1)} <= atop
    assert all(country == "UZB" for _bloc, country, _year in atop)
    assert counted[readings["atop-4-01"]] == len(atop)
    for key, pk in readings.items():
        assert counted[pk] == len(differing(client, key, 1992, this_year)), key


def test_a_count_cancelled_leaves_the_page_without_counts(client, seed, monkeypatch):
    # The counts' query cancels itself, as the statement timeout would cancel it on a slow database.
    cancel = "ARRAY(SELECT id FROM {table} WHERE pg_cancel_backend(pg_backend_pid()))"
    monkeypatch.setattr("public.datasets._blocs_read_sql", lambda reading: cancel.format(table=Reading._meta.db_table))
    response = client.get(reverse("data:index"))
    assert response.status_code == 200
    assert "cells differ" not in response.content.decode()
    assert "Data downloads" in response.content.decode()
    # Not "none": the page says the cells were not counted, and links the reading's file instead.
    assert '<td class="reading-differences">none</td>' not in response.content.decode()
    assert "not counted: too many cells to compare while the page is drawn" in response.content.decode()
    assert "?reading=atop-4-01&amp;from=" in response.content.decode()


def test_a_reading_with_more_cells_than_can_be_compared_in_time_is_not_compared(client, seed, monkeypatch):
    # As at the full synthetic world, where each reading spans about 37 million cells: the page says so
    # at once, rather than spending the count's budget to find out.
    monkeypatch.setattr("public.datasets.MOST_CELLS", 100)
    quiet = Reading.objects.create(key="quiet", name="A quiet reading")
    atop = Reading.objects.get(key="atop-4-01")
    this_year = datetime.date.today().year
    assert reading_differences([atop.pk, quiet.pk], 1992, this_year) == {atop.pk: None, quiet.pk: 0}
    page = client.get(reverse("data:index")).content.decode()
    assert "cells differ</a>" not in page
    assert "not counted: too many cells to compare while the page is drawn" in page
    assert "?reading=atop-4-01&amp;from=" in page
    # A reading with no claims has nothing to compare: none differ.
    assert '<td class="reading-differences">none</td>' in page


def test_data_page_shows_each_readings_differences(client, seed, django_assert_num_queries):
    # 1: the records' state (page cache); 2: when the data last changed and its first year;
    # 3: the readings; 4-7: the cells each reading changes, for all readings in one query, in a
    # savepoint of its own with just-in-time compilation off and its own time budget (SAVEPOINT,
    # the settings, the query, RELEASE).
    with django_assert_num_queries(7):
        response = client.get(reverse("data:index"))
    page = response.content.decode()
    atop = Reading.objects.get(key="atop-4-01")
    cells = reading_differences([atop.pk], 1949, datetime.date.today().year)[atop.pk]
    assert cells > 0
    link = f"{reverse('data:download', args=['country-year', 'csv'])}?reading=atop-4-01&amp;from="
    assert link in page
    assert f"{cells} cells differ</a>" in page
    # Drawn once until the records change: the next reader costs one query.
    with django_assert_num_queries(1):
        client.get(reverse("data:index"))
    # Another query string draws the page again, but the counts are kept: three queries.
    with django_assert_num_queries(3):
        assert f"{cells} cells differ</a>" in client.get(reverse("data:index") + "?from=1990").content.decode()


def test_a_reading_that_changes_nothing_says_so(client, db):
    Reading.objects.create(key="quiet", name="A quiet reading")
    page = client.get(reverse("data:index")).content.decode()
    assert '<td class="reading-differences">none</td>' in page


def test_in_russian(client, seed):
    page = client.get("/ru/data/").content.decode()
    assert "ячеек" in page or "ячейки" in page
