"""The events per year kept by the database (EventsInYear): right after every kind of write, and used by /events/."""

import pytest
from django.db import connection
from django.db.models import Count

from eurasia import page_cache
from events.models import Event, EventsInYear

from .conftest import d, make_event

pytestmark = pytest.mark.django_db


def kept():
    return dict(EventsInYear.objects.filter(events__gt=0).values_list("year", "events"))


def counted():
    return dict(Event.objects.order_by().values_list("date__year").annotate(n=Count("pk")))


def test_the_counts_follow_inserts_updates_deletes_and_truncation():
    first = make_event(date=d("2001-05-01"))
    make_event(date=d("2001-06-01"))
    make_event(date=d("2003-01-01"))
    assert kept() == counted() == {2001: 2, 2003: 1}

    Event.objects.filter(pk=first.pk).update(date=d("2003-02-01"))  # moved to another year
    Event.objects.filter(date__year=2003).update(title="renamed")  # the same years: nothing moves
    assert kept() == counted() == {2001: 1, 2003: 2}

    Event.objects.filter(date__year=2001).delete()
    assert kept() == counted() == {2003: 2}

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending foreign-key checks
        cursor.execute(f"TRUNCATE {Event._meta.db_table} CASCADE")
    assert kept() == counted() == {}


def test_the_unfiltered_list_reads_the_kept_counts(client, django_assert_num_queries):
    for day in ("1999-03-01", "1999-04-01", "2014-05-01"):
        make_event(date=d(day))
    # Kept and counted agree, so the list's bars and count are the records' own.
    html = client.get("/events/").content.decode()
    assert "3 events" in html
    # A count the triggers did not make shows as it is: the list reads the table, not the events.
    EventsInYear.objects.filter(year=1999).update(events=7)
    page_cache.store().clear()  # not a record: the kept page would not know
    html = client.get("/events/").content.decode()
    assert "8 events" in html
