"""Writing imported rows with COPY: the stream that overlaps checking and writing, ids, array text and the admin log."""

import datetime
import time

import psycopg
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from import_export.results import RowResult


class Stream:
    """New records written with COPY while the rest of the file is still being checked.

    Checking is Python's work and writing is PostgreSQL's: on two cores the two overlap, where
    one after the other they add up. Only a file of new records is streamed, each record after it
    passes its checks and with an id reserved for it, inside a savepoint. Nothing else changes:

    - The first row that fails its checks abandons the stream (the savepoint is rolled back, the
      COPY cancelled) and the rest are only checked, as the import will store nothing.
    - Any query made while the stream is open (a model's clean() may make one) abandons it first,
      so the query sees the tables as they were before the file.
    - If the database refuses the COPY, the savepoint is rolled back and write() writes the
      records the usual way, which names the rows it refuses.
    - The checks that span rows run after the COPY: they leave out the file's own records by id,
      so they find what they would have found before it.

    It is kept for a thin margin: measured with and without it, it is what keeps an import of new
    spells at the target on two cores (docs/performance.md, "Import").
    """

    def __init__(self, bulk, count):
        self.bulk = bulk
        meta = bulk.model._meta
        self.ids = iter(reserve(meta.db_table, meta.pk.column, count))
        quote = connection.ops.quote_name
        columns = [meta.pk.column, *[f.column for f in bulk.concrete]]
        self.statement = f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        self.savepoint = transaction.savepoint()
        self.cursor = connection.cursor()
        self.context = self.cursor.cursor.copy(self.statement)
        self.copy = self.context.__enter__()
        self.open = True
        self.written = 0
        self.started = time.monotonic()

    def write(self, row):
        row.instance.pk = next(self.ids)
        if not self.open:
            return
        try:
            self.copy.write_row(self.bulk.record_values(row.instance))
        except psycopg.Error:  # a value or a refusal; write() writes them the usual way and names the row
            self.abandon()
            return
        self.written += 1

    def make_way(self, execute, sql, params, many, context):
        """Django's execute wrapper while the stream is open: a query first abandons the stream."""
        if self.open:
            self.abandon()
        return execute(sql, params, many, context)

    def abandon(self):
        if not self.open:
            return
        self.open = False
        cancelled = StreamAbandoned("the import wrote its new records the usual way")
        try:
            self.context.__exit__(StreamAbandoned, cancelled, None)
        except psycopg.Error:  # the COPY had already failed: the rollback below undoes it all the same
            pass
        self.cursor.close()
        transaction.savepoint_rollback(self.savepoint)

    def finish(self):
        """True if every new record went in; if not, the savepoint is rolled back and write() tries again."""
        if not self.open:
            return False
        self.open = False
        try:
            with connection.wrap_database_errors:
                self.context.__exit__(None, None, None)
        except (IntegrityError, DataError):
            self.cursor.close()
            transaction.savepoint_rollback(self.savepoint)
            return False
        self.cursor.close()
        transaction.savepoint_commit(self.savepoint)
        if connection.queries_logged:
            connection.queries_log.append({"sql": self.statement, "time": f"{time.monotonic() - self.started:.3f}"})
        return True


class StreamAbandoned(Exception):
    """Ends a COPY of new records that will be written the usual way, or not at all."""


class LogEntries:
    """(action flag, pk, repr) of each record stored, for the admin's log.

    The repr (the record's str()) is worked out only when the entries are read: only the admin
    writes them, and an import run from code has no user to log them for.
    """

    def __init__(self, rows):
        self.entries = [(ADDITION if r.kind == RowResult.IMPORT_TYPE_NEW else CHANGE, r.instance) for r in rows]

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        for flag, instance in self.entries:
            yield flag, instance.pk, str(instance)[:200]


def memoised(clean):
    """`clean` of a cell, worked out once per distinct cell in a file: dates and codes repeat.

    `clean` must give equal results for equal cells of one type, and only what it returns is kept:
    a cell it refuses is refused again, with the same message, each time it appears.
    """
    known = {}

    def cached(cell):
        # Equal cells of different types (2012 and 2012.0) may clean differently: the type is in the key.
        key = (tuple(map(type, cell)), cell) if type(cell) is tuple else (type(cell), cell)
        try:
            return known[key]
        except KeyError:
            pass
        except TypeError:  # a cell that cannot be a key (no file format gives one today)
            return clean(cell)
        value = known[key] = clean(cell)
        return value

    return cached


def array_literal(values):
    """`values` as the text of a PostgreSQL array, for a `%s::type[]` parameter.

    Django's psycopg cursor writes parameters into the query client-side, and a list of 100,000
    values took it most of a second; joined here it takes milliseconds. Every element but an
    integer or a NULL is double-quoted, with backslashes and double quotes escaped, so any text
    (braces, commas, the word NULL) arrives as written.
    """
    return "{" + ",".join([_PLAIN[type(v)](v) if type(v) in _PLAIN else _element(v) for v in values]) + "}"


def any_of(column, field):
    """SQL for `column` being one of an array_literal() parameter of `field`'s values."""
    return f"{column} = ANY(%s::{field.rel_db_type(connection)}[])"


# Elements whose text needs no quotes in an array: digits, dashes.
_PLAIN = {type(None): lambda v: "NULL", int: str, datetime.date: str}


def _element(value):
    if isinstance(value, datetime.date):  # a datetime, or a subclass of date: ISO 8601
        return f'"{value.isoformat()}"'
    if isinstance(value, bool):
        return "t" if value else "f"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def reserve(table, column, count):
    """`count` new ids from the sequence behind `table`.`column`, so rows can be written with their ids."""
    with connection.cursor() as cursor:
        # The sequence is looked up once: pg_get_serial_sequence() in the select list ran for every id.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        (sequence,) = cursor.fetchone()
        # One row of text rather than `count` rows: far less to fetch and convert.
        cursor.execute(
            "SELECT string_agg(nextval(%s::regclass)::text, ',') FROM generate_series(1, %s)", [sequence, count]
        )
        (ids,) = cursor.fetchone()
        return [int(pk) for pk in ids.split(",")] if ids else []


def copy_rows(table, columns, rows):
    """COPY `rows` into `table`; errors come out as Django's IntegrityError or DataError."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    started = time.monotonic()
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append({"sql": statement, "time": f"{time.monotonic() - started:.3f}"})


def log_imported(user_pk, model, entries, change_message):
    """The admin's log entries for an import's records, written with COPY: {flag: message}."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
    now = timezone.now()
    copy_rows(
        LogEntry._meta.db_table,
        ["action_time", "user_id", "content_type_id", "object_id", "object_repr", "action_flag", "change_message"],
        ([now, user_pk, content_type, str(pk), text, flag, change_message[flag]] for flag, pk, text in entries),
    )
