"""Timestamps read from PostgreSQL by Python's C parser of ISO dates, not by psycopg's Python one.

Django reads every `timestamptz` through a loader of its own (django/db/backends/postgresql/
psycopg_any.py) built on psycopg's pure-Python TimestamptzLoader, so that it can attach the
connection's time zone; psycopg's C loader, which it replaces, cannot be subclassed. That costs
about 4 µs a value: the two timestamps of the 2,000 blocs a map page reads take 15 ms to load,
four times what the database takes to send the rows (docs/performance.md).

PostgreSQL writes a `timestamptz` in the session's time zone, and the project's is UTC (TIME_ZONE),
so each arrives as ISO 8601 text ending "+00", which `datetime.fromisoformat` (written in C) reads
into the very value Django's loader gives, aware in `datetime.timezone.utc`: 2.7 ms for those 4,000
values. Anything else it reads to another offset or cannot read at all (BC dates, infinity) goes to
Django's loader, as before.
"""

import datetime

from django.db.backends.postgresql.psycopg_any import BaseTzLoader

UTC = datetime.UTC
_read = datetime.datetime.fromisoformat


class UtcTimestampLoader(BaseTzLoader):
    timezone = UTC  # what Django's cursors check before registering a loader of their own

    def load(self, data):
        try:
            value = _read(str(data, "ascii"))
        except ValueError:
            return super().load(data)
        return value if value.tzinfo is UTC else super().load(data)


def read_timestamps_in_c(sender, connection, **kwargs):
    """On each new connection whose session and Django both work in UTC (connection_created)."""
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    if connection.connection.info.parameter_status("TimeZone") == "UTC":
        connection.connection.adapters.register_loader("timestamptz", UtcTimestampLoader)
