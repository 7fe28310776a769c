"""Timestamps read through the C parser (eurasia/timestamps.py) are the values Django's own loader reads."""

import datetime

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.postgres import types
from psycopg.pq import Format

from blocs.models import Country
from eurasia.timestamps import UtcTimestampLoader

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = types["timestamptz"].oid

# As PostgreSQL may hold them: microseconds, the ends of Python's range, another offset on the way in.
WRITTEN = [
    "2026-12-01 21:23:45.123456+00",
    "2026-12-01 21:23:45+00",
    "2012-12-20 12:00:00.5+03",
    "1991-12-08 23:59:59.999999-05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]
# What Python cannot hold, read the way Django's loader reads it (an error, the same one).
UNREADABLE = ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC", "10000-01-01 00:00:00+00"]


def read(value, djangos=False):
    with connection.cursor() as cursor:
        if djangos:
            register_tzloader(datetime.UTC, cursor.cursor)
        cursor.execute("SELECT %s::timestamptz", [value])
        return cursor.fetchone()[0]


def test_each_connection_reads_timestamps_with_the_c_parser():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is UtcTimestampLoader


@pytest.mark.parametrize("value", WRITTEN)
def test_a_timestamp_is_the_value_djangos_loader_reads(value):
    ours, djangos = read(value), read(value, djangos=True)
    assert ours == djangos and ours.tzinfo is djangos.tzinfo is datetime.UTC
    assert (ours.year, ours.microsecond) == (djangos.year, djangos.microsecond)


@pytest.mark.parametrize("value", UNREADABLE)
def test_what_python_cannot_hold_fails_as_it_did(value):
    with pytest.raises(DataError) as theirs:
        read(value, djangos=True)
    with pytest.raises(DataError) as ours:
        read(value)
    assert str(ours.value) == str(theirs.value)


def test_a_record_keeps_the_moment_it_was_saved():
    country = Country.objects.create(name="Testland", alpha2="TL", alpha3="TLD")
    saved = Country.objects.get(pk=country.pk)
    assert saved.updated_at == country.updated_at and saved.updated_at.tzinfo is datetime.UTC
