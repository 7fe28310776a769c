"""Admin change lists built for a million events: estimated counts, typed-in filters, deep pages, word search."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blocs.changelists import EstimatedCountPaginator
from events.models import Event

from .conftest import d, make_bloc, make_country, make_event, make_membership

pytestmark = pytest.mark.django_db

EVENTS = "/admin/events/event/"
SPELLS = "/admin/blocs/membership/"


@pytest.fixture
def csto():
    return make_bloc(slug="csto", name="Collective Security Treaty Organization", abbreviations=["CSTO"])


@pytest.fixture
def events(csto):
    kazakhstan = make_country(name="Kazakhstan", alpha3="KAZ", alpha2="KZ")
    eaeu = make_bloc(slug="eaeu", name="Eurasian Economic Union")
    return [
        make_event(date=d("1992-05-15"), title="Tashkent treaty signed", kind="treaty_signed", blocs=[csto]),
        make_event(date=d("2006-08-16"), title="Uzbekistan rejoins", kind="accession", blocs=[csto]),
        make_event(date=d("2015-01-01"), title="Union in force", kind="other", blocs=[eaeu], countries=[kazakhstan]),
    ]


def titles(response):
    return [event.title for event in response.context["cl"].result_list]


def test_whole_table_uses_the_estimate_not_a_count(admin_client, events, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_event")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(EVENTS)
    # The session, the user, the planner's estimate from pg_class, the page of events. (A
    # browser's first page is never kept, so the page cache's state is not read.)
    assert len(queries) == 4
    assert not any("COUNT(" in q["sql"] for q in queries.captured_queries)
    assert response.context["cl"].result_count == 3
    assert titles(response) == ["Union in force", "Uzbekistan rejoins", "Tashkent treaty signed"]


def test_small_tables_are_counted_exactly(admin_client, events):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(EVENTS)
    # The estimate is looked at, and below the threshold the rows are counted.
    assert sum("COUNT(" in q["sql"] for q in queries.captured_queries) == 1


def test_no_full_count_beside_a_filtered_one(admin_client, events):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(EVENTS + "?kind__exact=accession")
    # The session, the user, the filtered count, the page: no COUNT(*) of the whole table.
    assert len(queries) == 4
    assert titles(response) == ["Uzbekistan rejoins"]
    assert "3 total" not in response.content.decode()


def test_bloc_filter_is_a_text_box_not_a_link_per_bloc(admin_client, events):
    for n in range(30):
        make_bloc(slug=f"other-{n}", name=f"Other bloc {n}")
    response = admin_client.get(EVENTS)
    page = response.content.decode()
    assert 'name="bloc"' in page
    assert "Other bloc 7" not in page


def test_events_of_one_bloc_by_slug_or_name(admin_client, events):
    by_slug = admin_client.get(EVENTS + "?bloc=csto")
    assert titles(by_slug) == ["Uzbekistan rejoins", "Tashkent treaty signed"]
    assert "Collective Security Treaty Organization (CSTO)" in by_slug.content.decode()
    by_name = admin_client.get(EVENTS + "?bloc=collective+security+treaty+organization")
    assert titles(by_name) == titles(by_slug)


def test_unknown_bloc_is_explained(admin_client, events):
    response = admin_client.get(EVENTS + "?bloc=nato")
    assert response.status_code == 200
    assert titles(response) == []
    assert "No bloc is called “nato”." in response.content.decode()


def test_events_of_one_country(admin_client, events):
    assert titles(admin_client.get(EVENTS + "?country=kaz")) == ["Union in force"]


def test_year_and_span_of_years(admin_client, events):
    assert titles(admin_client.get(EVENTS + "?year=2006")) == ["Uzbekistan rejoins"]
    assert titles(admin_client.get(EVENTS + "?year=1990-2010")) == ["Uzbekistan rejoins", "Tashkent treaty signed"]


@pytest.mark.parametrize("year", ["19x", "2010-1990", "0"])
def test_bad_year_is_explained(admin_client, events, year):
    response = admin_client.get(EVENTS, {"year": year})
    assert response.status_code == 200
    assert titles(response) == []
    assert "is not a year or a span of years; type 1991 or 1991-1999." in response.content.decode()


def test_filters_keep_each_other(admin_client, events):
    response = admin_client.get(EVENTS + "?bloc=csto&kind__exact=accession")
    assert titles(response) == ["Uzbekistan rejoins"]
    # The bloc box carries the kind along when it is submitted again.
    assert '<input type="hidden" name="kind__exact" value="accession">' in response.content.decode()


def test_rows_can_be_selected_for_actions(admin_client, events):
    page = admin_client.get(EVENTS).content.decode()
    assert page.count('name="_selected_action"') == 3
    assert f'value="{events[0].pk}" class="action-select"' in page


def test_only_the_indexed_column_sorts(admin_client, events):
    headers = {h["text"]: h["sortable"] for h in admin_client.get(EVENTS).context["result_headers"]}
    assert headers["date"] is True
    assert headers["title"] is False
    assert headers["location"] is False


def test_word_search_finds_prefixes_through_the_full_text_index(admin_client, events):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(EVENTS + "?q=Uzbek")
    assert titles(response) == ["Uzbekistan rejoins"]
    assert '"events_event"."search" @@' in queries.captured_queries[-1]["sql"]  # the stored, indexed vector
    assert titles(admin_client.get(EVENTS + "?q=treaty+Tashkent")) == ["Tashkent treaty signed"]
    assert titles(admin_client.get(EVENTS + "?q=%27%3A%26")) == [
        "Union in force",
        "Uzbekistan rejoins",
        "Tashkent treaty signed",
    ]


def test_deep_page_holds_the_same_rows_as_an_offset(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "deep_after", 1)
    for n in range(120):
        make_event(date=d("2000-01-01"), title=f"Event {n:03d}")
    response = admin_client.get(EVENTS + "?p=2")
    expected = list(Event.objects.order_by("-date", "-id").values_list("title", flat=True)[50:100])
    assert titles(response) == expected


def test_spells_of_one_bloc_and_search_by_code(admin_client, csto):
    kaz = make_country(name="Kazakhstan", alpha3="KAZ", alpha2="KZ")
    uzb = make_country(name="Uzbekistan", alpha3="UZB", alpha2="UZ")
    make_membership(country=kaz, bloc=csto, start="1994-04-20")
    make_membership(country=uzb, bloc=csto, start="2006-08-16", notes="Rejoined after GUUAM")
    make_membership(country=kaz, start="2015-01-01")
    response = admin_client.get(SPELLS + "?bloc=csto")
    assert [s.country.alpha3 for s in response.context["cl"].result_list] == ["KAZ", "UZB"]
    response = admin_client.get(SPELLS + "?q=kaz+csto")
    assert [s.bloc.slug for s in response.context["cl"].result_list] == ["csto"]
    response = admin_client.get(SPELLS + "?q=guuam")
    assert [s.country.alpha3 for s in response.context["cl"].result_list] == ["UZB"]
    response = admin_client.get(SPELLS + "?country=Atlantis")
    assert "No country is called “Atlantis”." in response.content.decode()


def test_spells_sort_by_bloc_only(admin_client, csto):
    make_membership(bloc=csto)
    headers = {h["text"]: h["sortable"] for h in admin_client.get(SPELLS).context["result_headers"]}
    assert headers["bloc"] is True
    assert headers["country"] is False
    assert headers["start"] is False
