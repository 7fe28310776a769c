"""The public pages on a grown record (the small synthetic world): bounded in size, their queries pinned.

The world has 120 countries, 200 blocs, 10,000 spells and 50,000 events, enough for the largest
bloc's 480 spells, a country's hundreds and a date's thousands of members to cross the bound that
the full world's pages are held to (docs/performance.md). It is loaded once for the module, in a
transaction rolled back at its end.
"""

import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count

from blocs.models import Bloc, Country, Membership
from devtools import synthetic
from events.models import Event
from public.timeline_views import ROWS_PER_PAGE, SPELLS_PER_PAGE

from .pages import page, text_of

pytestmark = pytest.mark.django_db

MOST_HTML = 250 * 1024  # bytes: the bound on every public page at the full world's scale
ROWS = r"Rows ([0-9,]+)–([0-9,]+) of ([0-9,]+)"


@pytest.fixture(scope="module")
def grown(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            synthetic.load(synthetic.SCALES["small"], seed=1)
            bloc = Bloc.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()
            country = Country.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()
            yield bloc, country
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def bounded(client, url):
    html = page(client, url)
    assert len(html.encode()) <= MOST_HTML, f"{url}: {len(html.encode()):,} bytes"
    return html


@pytest.mark.parametrize(
    "url, queries",
    [
        # blocs; successions; today's member count of each; each country's standing for the map;
        # today's spells in the blocs shown; recent events; their blocs; their sources
        ("/", 8),
        # blocs; successions; today's member count of each
        ("/blocs/", 3),
        # each country's count of spells in force today; countries; the first of today's spells of each
        ("/countries/", 3),
        # blocs; successions; the map; the nearest changes; spells in force in the page's blocs; their sources
        ("/on/2000-01-01/", 6),
        # filter blocs; filter countries; per year; one page; its blocs; its countries; its sources
        ("/events/", 7),
        ("/events/?q=summit", 7),
        ("/events/?page=1000", 7),
    ],
)
def test_pages_stay_bounded_and_their_queries_fixed(client, grown, django_assert_num_queries, url, queries):
    with django_assert_num_queries(queries + 1):  # and first, the records' state (page cache)
        bounded(client, url)
    # The Russian page says the same in longer words (two bytes a Cyrillic letter, a mark on each
    # name that has no Russian form): within the same bound, with the same queries. (The events'
    # counts by year, kept for either language, are forgotten first.)
    cache.clear()
    with django_assert_num_queries(queries + 1):
        bounded(client, f"/ru{url}")


def test_the_largest_bloc_and_the_busiest_country_stay_bounded_in_russian(client, grown):
    bloc, country = grown
    for url in (f"/ru/blocs/{bloc.slug}/", f"/ru/countries/{country.alpha3.lower()}/"):
        html = bounded(client, url)
        assert re.search(r"Строки 1–[0-9]+ из", text_of(html)), url


def test_the_largest_blocs_page_draws_its_countries_a_page_at_a_time(client, grown, django_assert_num_queries):
    bloc, _ = grown
    spells = Membership.objects.filter(bloc=bloc).count()
    assert spells > 400  # a thousand at the full scale
    url = f"/blocs/{bloc.slug}/"
    # the bloc; its claims; predecessors; successors; forces inside; each country's first spell and
    # count; its spells today; the page's spells; their sources; their claims; markers; latest
    # events; their sources; their countries; their claims; the claims' sources (the grown world
    # disputes a share of its dates); the bloc's sources
    with django_assert_num_queries(18):
        html = bounded(client, url)
    assert re.search(r"Rows 1–[0-9]+ of", text_of(html))
    # Every country is on one page: at most ROWS_PER_PAGE of them, and at most SPELLS_PER_PAGE
    # spells between them unless a single country has more; the last page ends the list.
    countries = Membership.objects.filter(bloc=bloc).values("country").distinct().count()
    seen, number, short_pages = 0, 1, 0
    while True:
        html = bounded(client, f"{url}?page={number}")
        first, last, total = (int(n.replace(",", "")) for n in re.search(ROWS, text_of(html)).groups())
        listed = len(re.findall(r'<tr class="[^"]*"><th scope="row"><a href="/countries/', html))
        assert first == seen + 1 and total == countries
        assert 0 < last - first + 1 <= ROWS_PER_PAGE and (listed <= SPELLS_PER_PAGE or first == last)
        seen = last
        if 'rel="next"' not in html.split("Rows")[1]:
            break
        short_pages += last - first + 1 < ROWS_PER_PAGE
        number += 1
    assert seen == countries and short_pages  # the spells, not the rows, ended some pages here
    page(client, f"{url}?page={number + 1}", status=404)
    page(client, f"{url}?page=x", status=404)


def test_the_busiest_countrys_page_draws_its_blocs_a_page_at_a_time(client, grown, django_assert_num_queries):
    _, country = grown
    url = f"/countries/{country.alpha3.lower()}/"
    # the country; each bloc's first spell and count; its spells today; the page's spells with their
    # blocs; their sources; their claims; markers; latest events; their sources; their blocs; their claims
    with django_assert_num_queries(12):
        html = bounded(client, url)
    assert "Rows 1–25 of" in text_of(html)
    assert Event.objects.for_country(country).count() > 100
    assert f"/events/?country={country.alpha3.lower()}" in html  # the rest of its events, paged on /events/


def test_a_dates_large_blocs_are_named_in_a_line_with_a_link_to_each_in_full(client, grown, django_assert_num_queries):
    html = bounded(client, "/on/2000-01-01/")
    links = re.findall(r'href="/on/2000-01-01/\?bloc=([a-z0-9-]+)"', html)
    assert links and 'class="members-line"' in html
    # One bloc on that date, its members in a table, paged.
    with django_assert_num_queries(7):
        full = bounded(client, f"/on/2000-01-01/?bloc={links[0]}")
    members = len(re.findall(r'<tr[^>]*><th scope="row"><a href="/countries/', full))
    assert 0 < members <= 100
    page(client, "/on/2000-01-01/?bloc=no-such-bloc", status=404)


def test_the_overviews_cards_name_a_few_members_and_link_to_the_rest(client, grown):
    html = bounded(client, "/")
    assert re.search(r"and \d+ more members?</a>", html)


def test_many_blocs_are_typed_into_the_events_filter(client, grown, django_assert_num_queries, monkeypatch):
    from public import event_views

    monkeypatch.setattr(event_views, "CHOICES_LISTED", 50)  # the world has 200 blocs and 120 countries
    bloc, country = grown
    html = bounded(client, "/events/")
    assert '<input type="text" name="bloc"' in html and '<select name="bloc"' not in html
    assert '<input type="text" name="country"' in html
    # the filter lists; the bloc typed in; its country; per year; the page; its blocs, countries, sources
    with django_assert_num_queries(10):
        html = bounded(client, f"/events/?bloc={bloc.slug.upper()}&country={country.alpha3.lower()}")
    assert f"of the {bloc.short_name}" in html
    html = page(client, "/events/?bloc=no-such-bloc", status=400)
    assert "There is no bloc with the short name “no-such-bloc”." in html
    html = page(client, "/events/?country=zzz", status=400)
    assert "There is no country with the code “ZZZ”." in html


def test_many_blocs_are_typed_into_the_disputes_filter(client, grown, django_assert_num_queries, monkeypatch):
    """Past CHOICES_LISTED, /disputes/ asks for a bloc's short name or a country's code in a text field,
    as /events/ does, in English and in Russian: 2,250 options weighed 448 KB in Russian at the full world."""
    from public import event_views

    monkeypatch.setattr(event_views, "CHOICES_LISTED", 50)  # the world has 200 blocs and 120 countries
    bloc, country = grown
    for url in ("/disputes/", "/ru/disputes/"):
        html = bounded(client, url)
        assert '<input type="text" name="bloc"' in html and '<select name="bloc"' not in html
        assert '<input type="text" name="country"' in html and '<select name="country"' not in html
    # the records' state; the filter lists; the bloc typed in; the count; the page; for each of the two
    # kinds of disputed dates on the page, their claims with their records and the claims' sources
    with django_assert_num_queries(10):
        html = bounded(client, f"/disputes/?bloc={bloc.slug.upper()}")
    assert f'name="bloc" value="{bloc.slug}"' in html
    html = bounded(client, f"/disputes/?country={country.alpha3.lower()}")
    assert f'name="country" value="{country.alpha3.lower()}"' in html
    page(client, "/disputes/?bloc=no-such-bloc", status=404)
    page(client, "/disputes/?country=zzz", status=404)


@pytest.mark.parametrize("query", ["", "kind=summit&", "q=summit&"])
def test_a_deep_page_skips_whole_years_and_lists_what_an_offset_would(client, grown, query):
    events = Event.objects.order_by("-date", "-id")
    if query.startswith("kind"):
        events = events.filter(kind="summit")
    elif query.startswith("q"):
        events = Event.objects.search("summit").order_by("-date", "-id")
    total = events.count()
    assert total > 2_500  # deep enough to skip years
    for number in (100, total // 25 // 2, -(-total // 25)):
        expected = list(events.values_list("pk", flat=True)[(number - 1) * 25 : number * 25])
        html = page(client, f"/events/?{query}page={number}")
        listed = [int(pk) for pk in re.findall(r'class="event-title" href="/events/(\d+)/"', html)]
        assert listed == expected, number


def listed_events(html):
    return [int(pk) for pk in re.findall(r'class="event-title" href="/events/(\d+)/"', html)]


@pytest.mark.parametrize("which", ["bloc", "country"])
def test_a_blocs_or_countrys_events_are_paged_as_the_link_table_lists_them(
    client, grown, django_assert_num_queries, which
):
    """Read from the table the database keeps of their dates, in order: the same pages, bars and count."""
    bloc, country = grown
    if which == "bloc":
        events, key = Event.objects.for_bloc(bloc), bloc.slug
    else:
        events, key = Event.objects.for_country(country), country.alpha3
    events = events.order_by("-date", "-id")
    total = events.count()
    assert total > 100
    last = -(-total // 25)
    for number in (1, 2, last // 2, last):
        expected = list(events.values_list("pk", flat=True)[(number - 1) * 25 : number * 25])
        # the records' state (page cache); the filter lists; per year; the page; its blocs, countries, sources
        with django_assert_num_queries(8):
            html = bounded(client, f"/events/?{which}={key}&page={number}")
        assert listed_events(html) == expected, number
    assert f"{total} events match" in text_of(html).replace(",", "").replace("\xa0", "")
    for year, n in events.order_by().values_list("date__year").annotate(n=Count("pk")):
        assert f"{year}: {n} event" in html
    # Its own page lists its newest events, as many as it shows.
    own = page(client, f"/blocs/{bloc.slug}/" if which == "bloc" else f"/countries/{country.alpha3.lower()}/")
    shown = listed_events(own)
    assert shown == list(events.values_list("pk", flat=True)[: len(shown)]) and len(shown) == 20


@pytest.mark.parametrize("dataset", ["events", "memberships", "members", "country-year", "dyad-year", "claims"])
def test_a_download_in_parts_is_the_file_of_the_whole_query(client, grown, dataset):
    """Parts (public/datasets.py DatasetSpec.parts) only let the first byte out sooner: the file is the same."""
    import datetime

    from blocs.spreadsheets.writers import copy_csv
    from public.datasets import DATASETS

    spec = DATASETS[dataset]
    first = 1990 if dataset in ("country-year", "dyad-year") else 1816
    scope = {"first": first, "last": 2025, "day": datetime.date(2000, 1, 1)}
    assert len(spec.parts(scope)) > 1
    whole = b"".join(copy_csv(spec.sql(neutralise=True), scope))
    response = client.get(f"/data/{dataset}.csv?from={first}&to=2025&date=2000-01-01")
    parts = b"".join(response.streaming_content)
    assert parts == whole and parts.count(b"\n") > 1_000
