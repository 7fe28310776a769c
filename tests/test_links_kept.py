"""Records' links kept by the database (EventLinks, MembershipLinks, BlocEventDate, CountryEventDate): right after
every kind of write, and read by the API."""

import json

import pytest
from django.db import connection, transaction
from django.utils import timezone

from blocs.models import Bloc, Country, Membership, MembershipLinks, MembershipSource, Rank, Source
from events.models import BlocEventDate, CountryEventDate, Event, EventBloc, EventClaim, EventCountry, EventLinks

from .claim_makers import dispute
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source
from .recorded_history import recorded_on

pytestmark = pytest.mark.django_db


def kept():
    return {
        row.event_id: (row.blocs, row.countries, json.loads(row.sources) if row.sources else None, row.disputed)
        for row in EventLinks.objects.all()
    }


def linked():
    """What the rows must say, from the records through the ORM; events with nothing to say have none."""
    found = {}
    for event in Event.objects.prefetch_related("blocs", "countries", "sources"):
        blocs = sorted(b.slug for b in event.blocs.all()) or None
        countries = sorted(c.alpha3 for c in event.countries.all()) or None
        sources = [
            {"key": s.key, "title": s.title, "url": s.url or None}
            for s in sorted(event.sources.all(), key=lambda s: s.key)
        ] or None
        disputed = EventClaim.objects.filter(event=event).exclude(rank=Rank.PREFERRED).exists()
        if blocs or countries or sources or disputed:
            found[event.pk] = (blocs, countries, sources, disputed)
    return found


def test_the_rows_follow_links_added_changed_and_removed():
    csto, eaeu = make_bloc(slug="csto"), make_bloc(slug="eaeu")
    rus, kaz = make_country(alpha3="RUS", alpha2="RU"), make_country(alpha3="KAZ", alpha2="KZ")
    paper = make_source(key="paper-2012", title="A paper", url="https://example.org/paper")
    summit = make_event(blocs=[eaeu, csto], countries=[rus, kaz], sources=[paper])
    bare = make_event()
    assert kept() == linked()
    assert kept()[summit.pk] == (
        ["csto", "eaeu"],
        ["KAZ", "RUS"],
        [{"key": "paper-2012", "title": "A paper", "url": "https://example.org/paper"}],
        False,
    )
    assert bare.pk not in kept()  # nothing to say, no row

    summit.blocs.remove(csto)
    bare.countries.add(kaz)
    assert kept() == linked()
    EventBloc.objects.filter(event=summit).update(bloc=csto)  # a link moved to another bloc
    assert kept()[summit.pk][0] == ["csto"]
    summit.blocs.clear()
    summit.countries.clear()
    summit.sources.clear()
    assert summit.pk not in kept() and kept() == linked()


def test_a_renamed_bloc_country_or_source_rewrites_its_events():
    bloc, country, source = make_bloc(slug="cu"), make_country(alpha3="BLR", alpha2="BY"), make_source(key="a")
    events = [make_event(blocs=[bloc], countries=[country], sources=[source]) for _ in range(3)]
    Bloc.objects.filter(pk=bloc.pk).update(slug="customs-union")
    Country.objects.filter(pk=country.pk).update(alpha3="BLX")
    Source.objects.filter(pk=source.pk).update(title="Renamed", url="")
    Bloc.objects.filter(pk=bloc.pk).update(name="Another name")  # not shown: nothing to rewrite
    assert kept() == linked()
    assert kept()[events[0].pk][:3] == (["customs-union"], ["BLX"], [{"key": "a", "title": "Renamed", "url": None}])


def test_a_disputed_date_is_kept_with_the_claims():
    event = make_event(date=d("2012-06-28"))
    preferred, alternative = dispute(event, "date", "2012-06")
    assert kept() == linked() == {event.pk: (None, None, None, True)}
    alternative.delete()
    assert kept() == linked() == {}
    assert preferred.pk  # the preferred claim alone disputes nothing


def test_deleted_events_and_truncated_links_leave_no_rows():
    bloc = make_bloc()
    gone, stays = make_event(blocs=[bloc]), make_event(blocs=[bloc], countries=[make_country()])
    gone.delete()
    assert kept() == linked() and gone.pk not in kept()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending foreign-key checks
        cursor.execute(f"TRUNCATE {EventBloc._meta.db_table}")
    assert kept() == linked() == {stays.pk: (None, [stays.countries.get().alpha3], None, False)}
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Event._meta.db_table} CASCADE")
    assert kept() == {}


def test_the_api_reads_the_kept_rows(client):
    bloc = make_bloc(slug="sco")
    event = make_event(blocs=[bloc])
    assert client.get("/api/v1/events").json()["data"][0]["blocs"] == ["sco"]
    # A row the triggers did not write shows as it is: the API reads the table, not the links.
    EventLinks.objects.filter(event_id=event.pk).update(blocs=["written-by-hand"])
    assert client.get("/api/v1/events").json()["data"][0]["blocs"] == ["written-by-hand"]


def spells_kept():
    return {
        row.membership_id: (json.loads(row.sources) if row.sources else None, row.disputed)
        for row in MembershipLinks.objects.all()
    }


def spells_linked():
    found = {}
    for spell in Membership.objects.prefetch_related("sources", "claims"):
        sources = [
            {"key": s.key, "title": s.title, "url": s.url or None}
            for s in sorted(spell.sources.all(), key=lambda s: s.key)
        ] or None
        disputed = any(claim.rank != Rank.PREFERRED for claim in spell.claims.all())
        if sources or disputed:
            found[spell.pk] = (sources, disputed)
    return found


def test_a_spells_sources_and_disputed_dates_are_kept_too(client):
    first, second = make_source(key="b-source"), make_source(key="a-source", url="https://example.org/a")
    spell = make_membership(start="2000-01-01")
    other = make_membership(start="2001-01-01")
    spell.sources.set([first, second])
    assert spells_kept() == spells_linked()
    assert spells_kept()[spell.pk][0] == [
        {"key": "a-source", "title": second.title, "url": "https://example.org/a"},
        {"key": "b-source", "title": first.title, "url": None},
    ]
    Source.objects.filter(pk=first.pk).update(title="Retitled")
    MembershipSource.objects.filter(membership=spell, source=second).update(membership=other)
    dispute(other, "start", "2001")
    assert spells_kept() == spells_linked()
    assert spells_kept()[other.pk][1] is True
    answer = client.get("/api/v1/memberships").json()["data"]
    assert [(m["sources"], m["disputed"]) for m in answer] == [
        ([{"key": "b-source", "title": "Retitled", "url": None}], False),
        ([{"key": "a-source", "title": second.title, "url": "https://example.org/a"}], True),
    ]
    spell.sources.clear()
    other.delete()
    assert spells_kept() == spells_linked() == {}


def test_as_recorded_the_rows_are_computed_from_the_record_as_it_stood(client):
    since = timezone.now()
    source = make_source(key="treaty", title="The treaty, as first cited")
    event = make_event(blocs=[make_bloc(slug="sco")], sources=[source])
    recorded_on("2026-01-10", since)
    since = timezone.now()
    source.title = "The treaty, retitled"
    source.save()
    event.blocs.clear()
    recorded_on("2026-06-10", since)
    then = client.get("/api/v1/events?as_recorded=2026-03-01").json()["data"][0]
    now = client.get("/api/v1/events").json()["data"][0]
    assert (then["blocs"], then["sources"][0]["title"]) == (["sco"], "The treaty, as first cited")
    assert (now["blocs"], now["sources"][0]["title"]) == ([], "The treaty, retitled")


def dated():
    return {
        "blocs": set(BlocEventDate.objects.values_list("bloc_id", "date", "event_id")),
        "countries": set(CountryEventDate.objects.values_list("country_id", "date", "event_id")),
    }


def dated_from_links():
    return {
        "blocs": {(link.bloc_id, link.event.date, link.event_id) for link in EventBloc.objects.select_related("event")},
        "countries": {
            (link.country_id, link.event.date, link.event_id) for link in EventCountry.objects.select_related("event")
        },
    }


def test_the_events_of_a_bloc_or_country_are_kept_with_their_dates():
    csto, kgz = make_bloc(slug="csto"), make_country(alpha3="KGZ", alpha2="KG")
    first = make_event(date=d("2010-04-07"), blocs=[csto], countries=[kgz])
    second = make_event(date=d("2012-06-19"), blocs=[csto])
    assert dated() == dated_from_links()
    assert dated()["blocs"] == {(csto.pk, d("2010-04-07"), first.pk), (csto.pk, d("2012-06-19"), second.pk)}
    Event.objects.filter(pk=first.pk).update(date=d("2010-06-10"))  # a date corrected
    second.countries.add(kgz)
    first.blocs.clear()
    EventCountry.objects.filter(event=second).update(country=make_country())  # a link moved
    assert dated() == dated_from_links()
    with transaction.atomic(), connection.cursor() as cursor:
        # A link written before its event, as a restore in any table order may write them.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            f"INSERT INTO {EventBloc._meta.db_table} (event_id, bloc_id, lifetime_reviewed) VALUES (%s, %s, false)",
            [10**9, csto.pk],
        )
        Event.objects.create(pk=10**9, date=d("2014-05-29"), title="Treaty signed", kind="summit")
    assert (csto.pk, d("2014-05-29"), 10**9) in dated()["blocs"]
    assert dated() == dated_from_links()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending foreign-key checks
        cursor.execute(f"TRUNCATE {EventBloc._meta.db_table}")
    assert dated()["blocs"] == set() and dated() == dated_from_links()


def test_a_blocs_events_newest_first_page_after_page(client):
    csto, other = make_bloc(slug="csto"), make_bloc(slug="other")
    days = ["2001-01-01", "2005-05-05", "2005-05-05", "2005-05-05", "2010-10-10", "2020-02-02"]
    events = [make_event(date=d(day), blocs=[csto]) for day in days]
    make_event(date=d("2030-01-01"), blocs=[other])  # another bloc's, newest of all
    expected = [e.pk for e in sorted(events, key=lambda e: (e.date, e.pk), reverse=True)]
    pages, url = [], "/api/v1/events?bloc=csto&limit=2"
    while url:
        answer = client.get(url).json()
        pages.append([int(e["page"].rstrip("/").rsplit("/", 1)[1]) for e in answer["data"]])
        url = answer["next"]
    assert [pk for page in pages for pk in page] == expected
    within = client.get("/api/v1/events?bloc=csto&from=2005&to=2010-10").json()["data"]
    assert [e["date"]["date"] for e in within] == ["2010-10-10", "2005-05-05", "2005-05-05", "2005-05-05"]
