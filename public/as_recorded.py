"""The record as it stood on a past day: `?as_recorded=YYYY-MM-DD` (or a date-time) on any public page.

The change history (eurasia/history.py) keeps every version of every record and of its links.
For a request that asks for an earlier state, the middleware opens a transaction on the primary
and creates, in it, temporary views named exactly like the record tables, their link tables and
their history tables. PostgreSQL looks in the session's temporary schema first for names that
are not schema-qualified, so every query of the page, the ORM's and the raw SQL of /data/ (COPY
included), reads the views instead of the tables and the view runs unchanged:

- a record table shows the latest version of each record recorded before the moment, unless
  that version is a deletion: rows deleted since are there, rows added since are not (a record
  with no version since is read from the table itself: `view_statements`);
- a link table (a spell's sources, an event's blocs, ...) shows the links saved with that
  version of the record that owns them, whose other end existed at the moment too;
- a history table shows the versions recorded up to the moment, so "last changed" is then.

The transaction is always rolled back, which drops the views (and undoes anything the request
wrote meanwhile; public pages write nothing): a streamed download keeps it open
until its last byte is sent or the download is abandoned, and a connection still in a
transaction when its request ends is closed by Django. Nothing is left on a persistent
connection for the next request. Replicas cannot create temporary views, so these requests read
from the primary. Without the parameter the middleware does nothing (one dictionary look-up).

Tables of models without history (uploaded files, jobs, users, sessions) hold no part of the
record a public page shows and are left as they are. Server-side prepared statements (psycopg's
prepare_threshold, off in Django by default) must stay off: a plan prepared against a table
would not see a view that shadows it later.
"""

import datetime

from django.apps import apps
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from eurasia import page_cache
from eurasia.kept_links import kept_models
from eurasia.routers import PRIMARY, use_primary
from eurasia.timeouts import query_canceled, timed_out

PARAMETER = "as_recorded"
LONGEST = 32  # "2026-12-01T23:59:59.999999+05:00" is 32 characters


class BadMoment(Exception):
    """An as_recorded value that cannot be used; the message says why, for the reader."""


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def recorded_models():
    """(model, its historical model) for every model whose changes are recorded, in a fixed order."""
    found = []
    for model in apps.get_models():
        records = getattr(model, "_history_records", None)
        if records is not None and records.cls is model:
            found.append((model, model.history.model))
    return sorted(found, key=lambda pair: pair[0]._meta.db_table)


def recorded_links(model):
    """(link table's model, historical link model, owner's column) for each recorded link of `model`."""
    records = model._history_records
    links = []
    for field in model.history.model._history_m2m_fields:
        through = field.remote_field.through
        owner = field.m2m_field_name()
        links.append((through, records.m2m_models[field], through._meta.get_field(owner).column))
    return links


def parse_moment(raw, now=None):
    """(the first instant not covered, the words for the moment) from the parameter's text."""
    now = now or timezone.now()
    text = raw.strip()
    example = _("give ?as_recorded= as a date, YYYY-MM-DD (2026-12-01), or a date and time (2026-12-01T18:30).")
    if len(text) > LONGEST or not text.isascii():
        raise BadMoment(_("That is not a date: %(example)s") % {"example": example})
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            if day > timezone.localdate(now):
                raise BadMoment(
                    _("%(day)s is still to come: the record can be read as it stood up to today.") % {"day": text}
                )
            until = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
            return until, _("at the end of %(day)s") % {"day": day.isoformat()}
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadMoment(_("“%(value)s” is not a date: %(example)s") % {"value": text, "example": example}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        raise BadMoment(
            _("%(moment)s is still to come: the record can be read as it stood up to now.") % {"moment": text}
        )
    return moment + datetime.timedelta(microseconds=1), _("at %(moment)s") % {"moment": text}


def _latest(history, alias, until):
    """SQL: the version `alias` of `history` is its record's latest before `until`, and no deletion."""
    table = f"{{schema}}.{_quote(history._meta.db_table)}"
    key = _quote(history.instance_type._meta.pk.column)
    return (
        f"{alias}.history_date < {until} AND {alias}.history_type <> '-' AND NOT EXISTS ("
        f"SELECT 1 FROM {table} later WHERE later.{key} = {alias}.{key} AND later.history_date < {until} "
        f"AND (later.history_date, later.history_id) > ({alias}.history_date, {alias}.history_id))"
    )


def _changed_keys(history, until):
    """SQL: the keys of the records of `history` with a version recorded at or after `until`."""
    key = _quote(history.instance_type._meta.pk.column)
    return (
        f"SELECT since.{key} FROM {{schema}}.{_quote(history._meta.db_table)} since WHERE since.history_date >= {until}"
    )


def _changed_since(history, column, until):
    """SQL: the record whose key is `column` has a version recorded at or after `until`."""
    return f"{column} IN ({_changed_keys(history, until)})"


def _unchanged_since(history, column, until):
    """SQL: the record whose key is `column` has no version recorded at or after `until`.

    NOT IN, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join that hashes the table's
    side; NOT IN over a few keys is one hashed look-up per row of the table. The keys are never
    null (every version names its record), so NOT IN means what it says.
    """
    return f"{column} NOT IN ({_changed_keys(history, until)})"


# Past this many versions recorded since the moment, a record table is rebuilt from its whole
# history, as every one used to be: the keys of the records changed since would no longer make
# one small hash for the NOT IN above.
MOST_CHANGED = 10_000


def view_statements(until, since=None):
    """CREATE TEMP VIEW statements for the record as it stood before `until`, in the order they must run.

    `since` counts the versions each history table recorded at or after `until` (up to
    MOST_CHANGED + 1; first_change reads them), and the view of a record table follows it:

    - none: the table stands as it stood then, and its view reads the table itself, with its
      indexes and its planner's statistics, as the current page does;
    - a few: the records unchanged since are read from the table, and only those changed since
      (edited, deleted or added) are rebuilt from their history;
    - more than MOST_CHANGED, or `since` not given: every record is rebuilt from its history.

    So a view costs what changed since the moment rather than every version ever kept
    (docs/performance.md). A link table follows its owner's history, which records every change
    of the owner's links; its other ends are checked only where their own table changed since
    (the others exist as they did then, and a link cannot outlive them: they are protected).

    Real tables are named with their schema ({schema}, filled in by the caller); the views read
    each other by their plain names, so the record views come before the link views that check
    their other ends, and the history views come last.
    """
    moment = f"'{until.isoformat()}'::timestamptz"
    records, links, histories = [], [], []
    few = {}  # {model: (SQL of the keys of its records changed since, SQL of those records then)}
    since = since or {}
    # Versions recorded since, per model; not counted is as many as can be.
    versions_of = {model: since.get(history._meta.db_table, MOST_CHANGED + 1) for model, history in recorded_models()}
    changed = {model for model, versions in versions_of.items() if versions}
    for model, history in recorded_models():
        table = _quote(model._meta.db_table)
        key = _quote(model._meta.pk.column)
        versions = versions_of[model]
        # The versions read: those of the records changed since, or all when too many changed.
        which = f"{_changed_since(history, f'h.{key}', moment)} AND " if versions <= MOST_CHANGED else ""
        fields = [_quote(field.column) for field in model._meta.concrete_fields]
        # Columns PostgreSQL writes itself (GENERATED ... STORED), which are no model field and no
        # history column: read from the table, computed for a rebuilt record by the same expression.
        generated = getattr(model, "GENERATED_COLUMNS", {})
        rebuilt = (
            fields,
            "h",
            f"FROM {{schema}}.{_quote(history._meta.db_table)} h WHERE {which}{_latest(history, 'h', moment)}",
            "".join(f", ({sql}) AS {_quote(column)}" for column, sql in generated.items()),
        )
        unchanged = (fields, "t", f"FROM {{schema}}.{table} t", "".join(f", t.{_quote(c)}" for c in generated))
        if 0 < versions <= MOST_CHANGED:
            few[model] = (_changed_keys(history, moment), _select(*rebuilt))
        columns = [*fields, *map(_quote, generated)]
        records.append(
            f"CREATE TEMP VIEW {table} AS {_one_of(versions, columns, unchanged, rebuilt, history, key, moment)}"
        )
        histories.append(
            f"CREATE TEMP VIEW {_quote(history._meta.db_table)} AS SELECT * "
            f"FROM {{schema}}.{_quote(history._meta.db_table)} WHERE history_date < {moment}"
        )
        for through, link_history, owner in recorded_links(model):
            link = _quote(through._meta.db_table)
            columns = [_quote(field.column) for field in through._meta.concrete_fields]
            ends = [
                f"EXISTS (SELECT 1 FROM {_quote(field.related_model._meta.db_table)} e "
                f"WHERE e.{_quote(field.target_field.column)} = l.{_quote(field.column)})"
                for field in through._meta.concrete_fields
                if field.is_relation and field.column != owner and field.related_model in changed
            ]
            latest = f"{which}{_latest(history, 'h', moment)}"
            rebuilt = (
                columns,
                "l",
                f"FROM {{schema}}.{_quote(link_history._meta.db_table)} l "
                f"JOIN {{schema}}.{_quote(history._meta.db_table)} h ON h.history_id = l.history_id "
                f"WHERE {' AND '.join([latest, *ends])}",
            )
            unchanged = (columns, "l", f"FROM {{schema}}.{link} l" + (f" WHERE {' AND '.join(ends)}" if ends else ""))
            owner_key = _quote(owner)
            links.append(
                f"CREATE TEMP VIEW {link} AS {_one_of(versions, columns, unchanged, rebuilt, history, owner_key, moment)}"
            )
            histories.append(
                f"CREATE TEMP VIEW {_quote(link_history._meta.db_table)} AS SELECT l.* "
                f"FROM {{schema}}.{_quote(link_history._meta.db_table)} l "
                f"JOIN {{schema}}.{_quote(history._meta.db_table)} h ON h.history_id = l.history_id "
                f"WHERE h.history_date < {moment}"
            )
    return [*records, *links, *summary_statements(changed, few), *histories]


def _select(columns, alias, rest, extra="", marker=""):
    """SELECT `alias`'s `columns` (quoted names), `extra` and `marker` (more of the list), then `rest` (FROM ...)."""
    return f"SELECT {', '.join(f'{alias}.{column}' for column in columns)}{extra}{marker} {rest}"


def _one_of(versions, columns, unchanged, rebuilt, history, key, moment):
    """The view's query for a table whose history recorded `versions` since the moment (view_statements).

    `unchanged` reads the table and `rebuilt` the records changed since from their history, each
    the arguments of `_select`; `columns` are the view's, and `key` is the column that names the record.

    With a few versions, the view is the union of the two, and the test that keeps out a table's
    row changed since stands on the whole union rather than on the table's branch: PostgreSQL
    merges a union branch into the query that reads the view, and so reads the table by its
    indexes in the order that query asks for (the newest 25 events by the date index), only when
    the branch has no WHERE of its own; one that has is planned apart, and /events/ as recorded
    then sorted the million events for its first page (docs/performance.md). Each branch says which
    it is (`rebuilt`), so once PostgreSQL has put in the constant, the test is `key NOT IN (...)`
    on the table's rows and nothing on the rebuilt ones.
    """
    if versions == 0:
        return _select(*unchanged)
    if versions > MOST_CHANGED:
        return _select(*rebuilt)
    return (
        f"{_select(columns, 'u', '')}FROM ({_select(*unchanged, marker=', false AS rebuilt')} "
        f"UNION ALL {_select(*rebuilt, marker=', true AS rebuilt')}) u "
        f"WHERE u.rebuilt OR {_unchanged_since(history, f'u.{key}', moment)}"
    )


def summaries(changed=None, few=None):
    """Tables the database keeps from the record rather than records themselves, with their rebuilding.

    A model kept so says how to compute it from the record (its `from_record_sql`) and from which
    records (its `kept_from`); each becomes a view over the record views above, as its triggers
    would have kept it then. One kept from records none of which is among `changed` (the models
    with versions recorded since the moment) stands as it stood then, and is read as it is. One
    kept from a model that changed only a little since (`few`: {model: (SQL of the keys of its
    records changed since, SQL of those records as they stood then)}) and that says how
    (`from_changes_sql`) is the table as kept now, corrected for those records alone.
    """
    found = {}
    for model in kept_models():
        sources = set(model.kept_from())
        if changed is not None and not changed & sources:
            continue
        (source,) = sources if len(sources) == 1 else (None,)
        if few and source in few and hasattr(model, "from_changes_sql"):
            found[model._meta.db_table] = model.from_changes_sql(_quote, "{schema}", *few[source])
        else:
            found[model._meta.db_table] = model.from_record_sql(_quote)
    return found


def summary_statements(changed=None, few=None):
    return [f"CREATE TEMP VIEW {_quote(table)} AS {query}" for table, query in summaries(changed, few).items()]


def _first_change_sql():
    histories = [_quote(h._meta.db_table) for _, h in recorded_models()]
    firsts = ", ".join(f"(SELECT min(history_date) FROM {h})" for h in histories)
    since = ", ".join(
        f"(SELECT count(*) FROM (SELECT FROM {h} WHERE history_date >= %(until)s LIMIT {MOST_CHANGED + 1}) AS since)"
        for h in histories
    )
    return f"SELECT current_schema(), LEAST({firsts}), ARRAY[{since}]"


def public_namespaces():
    from public import urls

    return {pattern.namespace for pattern in urls.urlpatterns}


class AsRecorded:
    """What a page needs to say that it shows an earlier state of the record."""

    def __init__(self, words, current_url):
        self.words = words
        self.current_url = current_url


def current_url(request):
    query = request.GET.copy()
    query.pop(PARAMETER, None)
    return request.path + (f"?{query.urlencode()}" if query else "")


def problem(request, status, title, message):
    context = {"title": title, "message": message, "current_url": current_url(request)}
    return render(request, "public/as_recorded_problem.html", context, status=status)


class AsRecordedMiddleware:
    """Runs a public view over the record as it stood at ?as_recorded= (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.namespaces = None

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        raw = request.GET.get(PARAMETER)
        if not raw or request.method not in ("GET", "HEAD"):
            return None
        if self.namespaces is None:
            self.namespaces = public_namespaces()
        match = request.resolver_match
        if not match or not match.namespaces or match.namespaces[0] not in self.namespaces:
            return None  # the admin and the API read the current record
        try:
            until, words = parse_moment(raw)
        except BadMoment as error:
            return problem(request, 400, _("That date could not be read"), str(error))
        use_primary()
        if settings.PAGE_CACHE:
            # Keyed on the records' state outside the transaction below, which its views give an id of its own.
            request.as_recorded_state = f"{page_cache.records_state()}|{PARAMETER}={until.isoformat()}"
        schema, first, since = first_change(until)
        missing = not_yet_recorded(first, until, words)
        if missing:
            return problem(request, 404, _("Not yet recorded"), missing)
        request.as_recorded = AsRecorded(words, current_url(request))
        try:
            return self.draw(request, view, args, kwargs, until, schema, since)
        except OperationalError as error:
            # Answered here with the timeout's page: Django asks the middleware's process_exception
            # only about errors of the view it calls itself.
            if query_canceled(error):
                return timed_out(request)
            raise

    @staticmethod
    def draw(request, view, args, kwargs, until, schema, since):
        """The view's response over the record as it stood before `until`, the views gone when it ends."""
        block = enter_moment(until, schema, since)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        except BaseException as error:
            leave_moment(block, error)
            raise
        if response.streaming:
            response.streaming_content = _then_roll_back(response.streaming_content, block)
        else:
            leave_moment(block)
        return response


def last_change():
    """When the last change before the moment was recorded: read inside `enter_moment`, whose history views end there."""
    lasts = ", ".join(f"(SELECT max(history_date) FROM {_quote(h._meta.db_table)})" for _, h in recorded_models())
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(f"SELECT GREATEST({lasts})")
        return cursor.fetchone()[0]


def first_change(until):
    """(the primary's schema, when the first change was recorded or None, {history table: versions
    recorded since `until`, up to MOST_CHANGED + 1}): one query on the primary."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(_first_change_sql(), {"until": until})
        schema, first, counts = cursor.fetchone()
    since = {h._meta.db_table: n for (_, h), n in zip(recorded_models(), counts, strict=True)}
    return schema, first, since


def not_yet_recorded(first, until, words):
    """Why nothing can be shown before `until`, or "" when the record had begun by then."""
    if first is None:
        return _("Nothing has been recorded yet.")
    if until <= first:
        begins = timezone.localtime(first).date().isoformat()
        return _("The record begins on %(day)s: nothing had been recorded %(words)s.") % {"day": begins, "words": words}
    return ""


def enter_moment(until, schema, since=None):
    """Open a transaction on the primary in which every record table reads as it stood before `until`.

    The caller ends it with `leave_moment(block)`, or `leave_moment(block, error)` when it fails;
    the API (api/middleware.py) reads through the same views.
    """
    connection = connections[PRIMARY]
    block = transaction.atomic(using=PRIMARY)
    block.__enter__()
    # A view has no primary key to group by: Django lists every selected column instead, as it
    # does for unmanaged models. The features object is this thread's connection's own.
    connection.features.allows_group_by_selected_pks = False
    try:
        with connection.cursor() as cursor:
            # JIT off for the transaction: a view's estimated cost (a subquery for each row it
            # rebuilds) crossed jit_above_cost where the table's did not, and compiling then took
            # 1.2 s of a country page's 1.5 s query that runs in 0.3 s without (docs/performance.md).
            statements = ["SET LOCAL jit = off", *view_statements(until, since)]
            cursor.execute("; ".join(statements).replace("{schema}", _quote(schema)))
    except BaseException as error:
        leave_moment(block, error)
        raise
    return block


def leave_moment(block, error=None):
    """End the transaction `enter_moment` opened (rolled back, which drops its views), after `error` if any."""
    del connections[PRIMARY].features.allows_group_by_selected_pks  # back to the class's value
    transaction.set_rollback(True, using=PRIMARY)
    if error is None:
        block.__exit__(None, None, None)
    else:
        block.__exit__(type(error), error, error.__traceback__)


def _then_roll_back(chunks, block):
    """The download's chunks, read inside the transaction that holds the views; then its end."""
    try:
        yield from chunks
    finally:
        leave_moment(block)
