"""The public datasets at /data/: analysis-ready CSV and XLSX files, their codebook, and the queries behind them.

Each dataset is one SQL query built from its column list, so the file, the codebook page and
docs/codebook.md describe the same columns. CSV is PostgreSQL's own `COPY ... TO STDOUT`,
streamed as it comes; XLSX rows come from a server-side cursor into the streamed XLSX writer.
Both stay flat in memory however many rows there are.
"""

import datetime
from dataclasses import dataclass
from functools import partial
from itertools import chain

from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_safe

from blocs.models import Bloc, Country, Membership, MembershipSource, Role, Source
from blocs.periods import column_sql
from blocs.spreadsheets.writers import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    copy_csv,
    neutralised_query,
    stream_rows,
    xlsx_chunks,
)
from eurasia.page_cache import cached_until_records_change
from eurasia.routers import read_connection
from events.models import Event

T = {
    "country": Country._meta.db_table,
    "bloc": Bloc._meta.db_table,
    "membership": Membership._meta.db_table,
    "membership_source": MembershipSource._meta.db_table,
    "source": Source._meta.db_table,
    "event": Event._meta.db_table,
    "event_bloc": Event.blocs.through._meta.db_table,
    "event_country": Event.countries.through._meta.db_table,
    "event_source": Event.sources.through._meta.db_table,
}

# Columns under the aliases the queries give the tables, named by the models.
country_col, bloc_col = partial(column_sql, Country, "c"), partial(column_sql, Bloc, "b")
spell_col, event_col = partial(column_sql, Membership, "m"), partial(column_sql, Event, "e")

# Correlates of War IGO codes, and the order of strength used when a year holds several roles.
STATUS_CODES = [
    (1, "full member", "The country held the role member in the bloc."),
    (2, "associate member", "The country held the role associate, and not member."),
    (3, "observer", "The country held the role observer, and neither member nor associate."),
    (
        0,
        "no membership",
        "None of those roles (a candidate, a dialogue partner or a non-member participant is coded 0).",
    ),
    (-1, "bloc not in existence", "The bloc had not been founded yet, or had been dissolved."),
]
ROLE_RANK = {Role.MEMBER: 3, Role.ASSOCIATE: 2, Role.OBSERVER: 1}
RANK_STATUS = {3: 1, 2: 2, 1: 3}

# The seed's blocs, by family, and the column of the Correlates of War IGO data (v3, state-year)
# that codes the same organisation, where there is one; docs/codebook.md has the same table.
SEED_BLOCS = [
    ("military alliance", "cst", "Collective Security Treaty (1992)", ""),
    ("military alliance", "csto", "Collective Security Treaty Organization (2002)", "csto"),
    ("military alliance", "csto-crrf", "Collective Rapid Reaction Force of the CSTO (2009)", ""),
    ("military alliance", "nato", "North Atlantic Treaty Organization (1949)", "nato"),
    ("economic union", "eurasec", "Eurasian Economic Community (2000-2015)", "eaec"),
    ("economic union", "cu-bkr", "Customs Union of Belarus, Kazakhstan and Russia (2010-2015)", ""),
    ("economic union", "ses", "Single Economic Space (2012-2015)", ""),
    ("economic union", "eaeu", "Eurasian Economic Union (2015)", ""),
    ("political organisation", "cis", "Commonwealth of Independent States (1991)", "cis"),
    ("political organisation", "shanghai-five", "Shanghai Five (1996-2001)", ""),
    ("political organisation", "sco", "Shanghai Cooperation Organisation (2001)", "sco"),
    ("political organisation", "guam", "GUAM (1997)", ""),
    ("political organisation", "by-ru-community", "Community of Russia and Belarus (1996-1997)", ""),
    ("political organisation", "by-ru-union", "Union of Belarus and Russia (1997-2000)", ""),
    ("political organisation", "union-state", "Union State of Russia and Belarus (1999)", ""),
]

YEAR_RULE = (
    "A country is coded for a year with the strongest role it held on at least one day of that year "
    "(member, then associate, then observer), so a year in which the status changed carries the "
    "higher of the two. A spell covers the days from its start up to, not including, its end; an end "
    "known only to the month or year is taken to fall inside that month or year, so the spell still "
    "covers that year. The suspended flag is 1 when the spell that gives the status was under "
    "suspension on at least one day of the year. A bloc exists in a year when it was founded on or "
    "before 31 December and not dissolved before 1 January (a dissolution known only to the month or "
    "year counts as inside it)."
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, integer, date, year, code or flag: how the file and the codebook show it
    sql: str
    description: str


def _partial(model, alias, field, label):
    """A partial date as two columns: its first day and its precision (empty when there is no date)."""
    column, precision = column_sql(model, alias, field), column_sql(model, alias, f"{field}_precision")
    return [
        Column(field, "date", column, f"{label}: the first day of the period the sources give."),
        Column(
            f"{field}_precision",
            "text",
            f"CASE WHEN {column} IS NULL THEN NULL ELSE {precision} END",
            f"How much of the {label.lower()} is known: day, month or year.",
        ),
    ]


COUNTRY = [
    Column("country_alpha3", "text", country_col("alpha3"), "ISO 3166-1 alpha-3 code of the country (RUS)."),
    Column("country_alpha2", "text", country_col("alpha2"), "ISO 3166-1 alpha-2 code (RU)."),
    Column(
        "country_cow_code", "integer", country_col("cow_code"), "Correlates of War country code (365); empty when none."
    ),
    Column("country_name", "text", country_col("name"), "Short English name of the country."),
]
BLOC = [
    Column("bloc_slug", "text", bloc_col("slug"), "The bloc's stable short name, as in the site's URLs (csto)."),
    Column("bloc_name", "text", bloc_col("name"), "Full English name of the bloc."),
]


def _keys(alias, owner_alias, link, owner, target, key, lateral=False):
    """Keys of linked records in one text column: (the column's SQL, the join that provides it).

    `link` ties the record under `owner_alias` (its field `owner`) to records (its field `target`)
    named by their field `key`. The keys are aggregated once for all rows and joined, not looked
    up row by row: a whole download then costs one pass over the link table instead of one
    subquery per row. With `lateral`, they are looked up for each row through the link table's
    (owner, target) index instead: a part of a file (DatasetSpec.parts) then reads its own
    links, not every link before its first row.
    """
    quote = connection.ops.quote_name
    owners, targets = link._meta.get_field(owner).related_model, link._meta.get_field(target).related_model
    owner_id, key_column = column_sql(link, "l", owner), column_sql(targets, "t", key)
    owner_pk = column_sql(owners, owner_alias, owners._meta.pk.name)
    keys = f"string_agg({key_column}, ';' ORDER BY {key_column})"
    tables = (
        f"{quote(link._meta.db_table)} l JOIN {quote(targets._meta.db_table)} t "
        f"ON {column_sql(targets, 't', targets._meta.pk.name)} = {column_sql(link, 'l', target)}"
    )
    if lateral:
        join = f"LEFT JOIN LATERAL (SELECT {keys} AS keys FROM {tables} WHERE {owner_id} = {owner_pk}) {alias} ON true"
    else:
        join = (
            f"LEFT JOIN (SELECT {owner_id} AS owner_id, {keys} AS keys FROM {tables} GROUP BY {owner_id}) "
            f"{alias} ON {alias}.owner_id = {owner_pk}"
        )
    return f"{alias}.keys", join


SPELL_SOURCES, SPELL_SOURCES_JOIN = _keys("ms", "m", MembershipSource, "membership", "source", "key")
EVENT_BLOCS, EVENT_BLOCS_JOIN = _keys("eb", "e", Event.blocs.through, "event", "bloc", "slug")
EVENT_COUNTRIES, EVENT_COUNTRIES_JOIN = _keys("ec", "e", Event.countries.through, "event", "country", "alpha3")
EVENT_SOURCES, EVENT_SOURCES_JOIN = _keys("es", "e", Event.sources.through, "event", "source", "key")

# A part of a file (DatasetSpec.parts): the spells of some blocs, %(blocs)s, an array of ids; the
# events of a span of dates, from %(since)s up to, not including, %(before)s (either may be NULL).
PART_SPELLS = f"{spell_col('bloc')} = ANY(%(blocs)s)"
PART_EVENTS = (
    f"(%(since)s::date IS NULL OR {event_col('date')} >= %(since)s) "
    f"AND (%(before)s::date IS NULL OR {event_col('date')} < %(before)s)"
)
FIRST, REST = "first", "rest"  # the parts of a file (DatasetSpec.parts)
PART_JOINS = {
    SPELL_SOURCES_JOIN: _keys("ms", "m", MembershipSource, "membership", "source", "key", lateral=True)[1],
    EVENT_BLOCS_JOIN: _keys("eb", "e", Event.blocs.through, "event", "bloc", "slug", lateral=True)[1],
    EVENT_COUNTRIES_JOIN: _keys("ec", "e", Event.countries.through, "event", "country", "alpha3", lateral=True)[1],
    EVENT_SOURCES_JOIN: _keys("es", "e", Event.sources.through, "event", "source", "key", lateral=True)[1],
}


def _joins(part, *joins):
    """The link joins of a query: looked up row by row for a file's first part (DatasetSpec.parts), else aggregated."""
    return "\n".join(PART_JOINS[join] if part == FIRST else join for join in joins)


MEMBERSHIP_COLUMNS = [
    *COUNTRY,
    *BLOC,
    Column("role", "text", spell_col("role"), "The country's standing in the bloc: " + ", ".join(Role.values) + "."),
    *_partial(Membership, "m", "start", "Start"),
    *_partial(Membership, "m", "suspension_start", "Suspension start"),
    *_partial(Membership, "m", "suspension_end", "Suspension end"),
    Column(
        "suspension_kind",
        "text",
        f"NULLIF({spell_col('suspension_kind')}, '')",
        "formal (decided by the bloc), self_declared (by the country) or de_facto (inactive in fact, without any "
        "decision); empty without a suspension.",
    ),
    *_partial(Membership, "m", "end", "End"),
    Column(
        "end_reason",
        "text",
        f"NULLIF({spell_col('end_reason')}, '')",
        "Why the spell ended: withdrawal, non_renewal, expulsion, dissolved, succeeded or other.",
    ),
    Column("source_keys", "text", SPELL_SOURCES, "Keys of the sources for the spell, separated by semicolons."),
]

EVENT_COLUMNS = [
    *_partial(Event, "e", "date", "Date"),
    *_partial(Event, "e", "end_date", "End date"),
    Column("title", "text", event_col("title"), "What happened, in one line."),
    Column(
        "kind", "text", event_col("kind"), "summit, treaty_signed, accession, suspension, withdrawal, announcement, ..."
    ),
    Column("location", "text", f"NULLIF({event_col('location')}, '')", "Where it happened, when known."),
    Column(
        "bloc_slugs",
        "text",
        EVENT_BLOCS,
        "The blocs it concerns, separated by semicolons.",
    ),
    Column(
        "country_alpha3s",
        "text",
        EVENT_COUNTRIES,
        "The countries it concerns (alpha-3), separated by semicolons.",
    ),
    Column(
        "source_keys",
        "text",
        EVENT_SOURCES,
        "Keys of the sources that report it, separated by semicolons.",
    ),
    Column("description", "text", f"NULLIF({event_col('description')}, '')", "A few sentences on what happened."),
]

# The day of the members-on-a-date snapshot, and the first and last day of a year of the yearly datasets.
DAY = "%(day)s::date"
YEAR_FIRST, YEAR_LAST = "make_date(y.year, 1, 1)", "make_date(y.year, 12, 31)"

MEMBERS_ON_COLUMNS = [
    Column("as_of", "date", DAY, "The date of the snapshot (the ?date= asked for)."),
    *COUNTRY,
    *BLOC,
    Column("role", "text", spell_col("role"), "The country's standing in the bloc on that date."),
    *_partial(Membership, "m", "start", "Start"),
    Column(
        "suspended",
        "flag",
        f"CASE WHEN {Membership.suspended_sql('m', DAY)} THEN 1 ELSE 0 END",
        "1 when the membership was suspended on that date, else 0.",
    ),
    *_partial(Membership, "m", "suspension_start", "Suspension start"),
    *_partial(Membership, "m", "end", "End"),
    Column("source_keys", "text", SPELL_SOURCES, "Keys of the sources for the spell, separated by semicolons."),
]

COUNTRY_YEAR_COLUMNS = [
    Column("country_alpha3", "text", country_col("alpha3"), "ISO 3166-1 alpha-3 code of the country."),
    Column("country_cow_code", "integer", country_col("cow_code"), "Correlates of War country code; empty when none."),
    Column("country_name", "text", country_col("name"), "Short English name of the country."),
    *BLOC,
    Column("year", "year", "y.year", "The calendar year."),
    Column(
        "status",
        "code",
        "CASE WHEN NOT bloc_exists THEN -1 ELSE COALESCE(h.status, 0) END",
        "COW IGO status code: 1 full member, 2 associate, 3 observer, 0 no membership, -1 bloc not in existence.",
    ),
    Column(
        "suspended",
        "flag",
        "CASE WHEN bloc_exists AND h.suspended THEN 1 ELSE 0 END",
        "1 when the spell giving the status was suspended on at least one day of the year, else 0.",
    ),
]

DYAD_YEAR_COLUMNS = [
    *[Column(c.name, c.kind, f"a.{c.name}", c.description) for c in BLOC],
    Column("year", "year", "a.year", "The calendar year."),
    Column("country1_alpha3", "text", "a.country_alpha3", "The first country of the pair (alphabetically first)."),
    Column("country1_cow_code", "integer", "a.country_cow_code", "Its Correlates of War code."),
    Column("country2_alpha3", "text", "b.country_alpha3", "The second country of the pair."),
    Column("country2_cow_code", "integer", "b.country_cow_code", "Its Correlates of War code."),
    Column(
        "country1_suspended", "flag", "a.suspended", "1 when the first country's membership was suspended that year."
    ),
    Column(
        "country2_suspended", "flag", "b.suspended", "1 when the second country's membership was suspended that year."
    ),
]


def _select(columns):
    return ",\n  ".join(f'{column.sql} AS "{column.name}"' for column in columns)


# A spell touches the year range [first, last] by the rule in YEAR_RULE.
SPELL_IN_YEARS = Membership.in_force_sql("m", "make_date(%(first)s, 1, 1)", "make_date(%(last)s, 12, 31)", widen=True)


def _country_year_sql(order=True, some_blocs=False):
    """The country-year query; with `some_blocs`, only for the blocs whose ids are in %(blocs)s (an array).

    The read API pages through the table a few blocs at a time: the whole table for every bloc
    and year is too much to compute for one page of it.
    """
    only_spells = f"WHERE {spell_col('bloc')} = ANY(%(blocs)s)" if some_blocs else ""
    only_blocs = f"WHERE {bloc_col('id')} = ANY(%(blocs)s)" if some_blocs else ""
    rank = " ".join(f"WHEN '{role}' THEN {rank}" for role, rank in ROLE_RANK.items())
    status = " ".join(f"WHEN {rank} THEN {code}" for rank, code in RANK_STATUS.items())
    spell_in_s = f"{column_sql(Membership, 's', 'country')}, {column_sql(Membership, 's', 'bloc')}"
    return f"""
WITH years AS (SELECT generate_series(%(first)s::int, %(last)s::int) AS year),
spells AS (
  SELECT m.*, CASE {spell_col("role")} {rank} ELSE 0 END AS rank FROM {T["membership"]} m {only_spells}
),
held AS (
  SELECT DISTINCT ON ({spell_in_s}, y.year) {spell_in_s}, y.year,
    CASE s.rank {status} END AS status,
    COALESCE({Membership.suspended_sql("s", YEAR_FIRST, YEAR_LAST, widen=True)}, false) AS suspended
  FROM spells s
  JOIN years y ON {Membership.in_force_sql("s", YEAR_FIRST, YEAR_LAST, widen=True)}
  WHERE s.rank > 0
  ORDER BY {spell_in_s}, y.year, s.rank DESC, 5 DESC
),
grid AS (
  SELECT {country_col("id")} AS country_id, {bloc_col("id")} AS bloc_id, y.year,
    {Bloc.exists_sql("b", YEAR_FIRST, YEAR_LAST, widen=True)} AS bloc_exists
  FROM {T["country"]} c CROSS JOIN {T["bloc"]} b CROSS JOIN years y {only_blocs}
)
SELECT
  {_select(COUNTRY_YEAR_COLUMNS)}
FROM grid
JOIN {T["country"]} c ON {country_col("id")} = grid.country_id
JOIN {T["bloc"]} b ON {bloc_col("id")} = grid.bloc_id
JOIN years y ON y.year = grid.year
LEFT JOIN held h ON h.country_id = grid.country_id AND h.bloc_id = grid.bloc_id AND h.year = grid.year
{f"ORDER BY {bloc_col('slug')}, {country_col('alpha3')}, y.year" if order else ""}"""


def _dyad_year_sql(some_blocs=False):
    return f"""
WITH country_year AS ({_country_year_sql(order=False, some_blocs=some_blocs)})
SELECT
  {_select(DYAD_YEAR_COLUMNS)}
FROM country_year a
JOIN country_year b ON b.bloc_slug = a.bloc_slug AND b.year = a.year AND b.country_alpha3 > a.country_alpha3
WHERE a.status = 1 AND b.status = 1
ORDER BY a.bloc_slug, a.year, a.country_alpha3, b.country_alpha3"""


def _per_bloc(build):
    return lambda part=None: build(some_blocs=True) if part else build()


def per_bloc_sql(slug):
    """The country-year or dyad-year query for the blocs whose ids are in %(blocs)s, in the file's order."""
    return _country_year_sql(some_blocs=True) if slug == "country-year" else _dyad_year_sql(some_blocs=True)


def _memberships_sql(part=None):
    return f"""
SELECT
  {_select(MEMBERSHIP_COLUMNS)}
FROM {T["membership"]} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{_joins(part, SPELL_SOURCES_JOIN)}
WHERE {SPELL_IN_YEARS}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}, {spell_col("start")}"""


def _members_on_sql(part=None):
    return f"""
SELECT
  {_select(MEMBERS_ON_COLUMNS)}
FROM {T["membership"]} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{_joins(part, SPELL_SOURCES_JOIN)}
WHERE {Membership.in_force_sql("m", DAY)}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}"""


def _events_sql(part=None):
    return f"""
SELECT
  {_select(EVENT_COLUMNS)}
FROM {T["event"]} e
{_joins(part, EVENT_BLOCS_JOIN, EVENT_COUNTRIES_JOIN, EVENT_SOURCES_JOIN)}
WHERE {Event.in_years_sql("e", "%(first)s", "%(last)s")}{f" AND {PART_EVENTS}" if part else ""}
ORDER BY {event_col("date")}, {event_col("title")}"""


# A file in two parts: a small first one, whose links are looked up row by row so that its first
# byte goes out at once, then the rest, whose links are aggregated in one pass for throughput.
FIRST_EVENTS = 500  # about as many events in the first part: whole years, the oldest first
MOST_BLOCS = 50  # blocs to a part of the country-year and dyad-year tables, which have no links to join


def spell_parts(scope):
    """The spells of the first bloc by short name, then those of the others: [{"blocs": ids}, ...]."""
    ids = list(Bloc.objects.using(read_connection().alias).order_by("slug").values_list("pk", flat=True))
    return [{"blocs": ids[:1]}, {"blocs": ids[1:]}]


def bloc_parts(scope):
    """The blocs in the tables' order (by short name), one, then two, four ... up to MOST_BLOCS to a part."""
    ids = list(Bloc.objects.using(read_connection().alias).order_by("slug").values_list("pk", flat=True))
    parts, size = [], 1
    while ids:
        parts.append({"blocs": ids[:size]})
        ids, size = ids[size:], min(MOST_BLOCS, size * 2)
    return parts or [{"blocs": []}]


def event_parts(scope):
    """The events of the oldest years up to about FIRST_EVENTS, then the others, by the counts the database keeps."""
    from events.models import EventsInYear

    years = EventsInYear.objects.using(read_connection().alias).filter(events__gt=0).order_by("year")
    held = 0
    for year, n in years.values_list("year", "events"):
        held += n
        if held >= FIRST_EVENTS and year < 9999:
            boundary = datetime.date(year + 1, 1, 1)
            return [{"since": None, "before": boundary}, {"since": boundary, "before": None}]
    return [{"since": None, "before": None}]


@dataclass(frozen=True)
class DatasetSpec:
    slug: str
    title: str
    unit: str
    description: str
    columns: list
    build: object
    # The file in parts, in its order: each a dict of parameters for the query built with part=FIRST
    # for the first, part=REST for the others. A download runs them one after another, so its
    # first byte waits for the first part's rows only, not for the whole file's query (sorting a
    # million events after joining every link took 5.6 s before its first row at the full scale).
    parts: object
    by_date: bool = False

    def sql(self, neutralise, part=None):
        """The dataset's query; with `neutralise`, its text columns are made safe for spreadsheets.

        With `part` (FIRST or REST), the query of one part of the file, its parameters from `parts`.
        """
        if not neutralise:
            return self.build(part=part)
        return neutralised_query(self.build(part=part), [(c.name, c.name, c.kind == "text") for c in self.columns])


DATASETS = {
    spec.slug: spec
    for spec in [
        DatasetSpec(
            "memberships",
            "Membership spells",
            "one row per spell",
            "Every spell of every country in every bloc, with its role, dates, suspension, end and sources.",
            MEMBERSHIP_COLUMNS,
            _memberships_sql,
            spell_parts,
        ),
        DatasetSpec(
            "members",
            "Members on a date",
            "one row per spell in force on the date",
            "Who belonged to what on one day (?date=YYYY-MM-DD; today when left out), with whether the "
            "membership was suspended that day.",
            MEMBERS_ON_COLUMNS,
            _members_on_sql,
            spell_parts,
            by_date=True,
        ),
        DatasetSpec(
            "country-year",
            "Country-year",
            "one row per country, bloc and year",
            "Membership status coded as in the Correlates of War IGO data, with a suspended flag.",
            COUNTRY_YEAR_COLUMNS,
            _per_bloc(_country_year_sql),
            bloc_parts,
        ),
        DatasetSpec(
            "dyad-year",
            "Dyad-year",
            "one row per pair of countries, bloc and year in which both were full members",
            "Pairs of countries that were both full members (status 1 in the country-year data) of a bloc "
            "in a year, in the Correlates of War dyadic style.",
            DYAD_YEAR_COLUMNS,
            _per_bloc(_dyad_year_sql),
            bloc_parts,
        ),
        DatasetSpec(
            "events",
            "Events",
            "one row per event",
            "Every event with its dates, kind, place, blocs, countries and sources.",
            EVENT_COLUMNS,
            _events_sql,
            event_parts,
        ),
    ]
}

MAX_YEARS = 500


class BadRequest(Exception):
    """A query-string value that cannot be used; the message says why, for the reader."""


def _history_tables():
    from django.apps import apps

    for label in ("blocs", "events"):
        for model in apps.get_app_config(label).get_models():
            if any(field.name == "history_date" for field in model._meta.fields):
                yield model._meta.db_table


def data_facts():
    """When the data last changed, and the first year it covers, in one query."""
    tables = [T["country"], T["bloc"], T["membership"], T["source"], T["event"]]
    changed = ", ".join(
        [f"(SELECT max(updated_at) FROM {t})" for t in tables]
        + [f"(SELECT max(history_date) FROM {t})" for t in _history_tables()]
    )
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"""SELECT GREATEST({changed}),
                LEAST((SELECT min({bloc_col("founded")}) FROM {T["bloc"]} b),
                      (SELECT min({spell_col("start")}) FROM {T["membership"]} m))"""
        )
        changed_at, first_day = cursor.fetchone()
    return changed_at, (first_day.year if first_day else None)


def _year(request, name):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    # Length first: int() refuses strings of over 4,300 digits, and isdigit() passes "²", which int() refuses.
    if len(raw) > 4 or not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 9999:
        raise BadRequest(f'"{raw[:40]}" is not a year: give ?{name}= as four digits, such as 1992.')
    return int(raw)


def parse_scope(request, spec, first_year):
    """The years and the date asked for, checked; raises BadRequest with a reader's explanation."""
    today = datetime.date.today()
    scope = {"first": _year(request, "from"), "last": _year(request, "to")}
    scope["first"] = scope["first"] or first_year or today.year
    scope["last"] = scope["last"] or today.year
    if scope["first"] > scope["last"]:
        raise BadRequest(f"?from={scope['first']} comes after ?to={scope['last']}: the first year must come first.")
    if scope["last"] - scope["first"] >= MAX_YEARS:
        raise BadRequest(f"Ask for at most {MAX_YEARS} years at a time.")
    raw_day = request.GET.get("date", "").strip()
    if spec.by_date and raw_day:
        try:
            scope["day"] = datetime.date.fromisoformat(raw_day)
        except ValueError:
            raise BadRequest(f'"{raw_day[:40]}" is not a date: give ?date= as YYYY-MM-DD, such as 2012-06-28.')
        if len(raw_day) != 10:
            raise BadRequest(f'"{raw_day[:40]}" is not a date: give ?date= as YYYY-MM-DD, such as 2012-06-28.')
    else:
        scope["day"] = today
    return scope


def file_name(spec, scope, changed_at, extension):
    data_day = (changed_at or datetime.datetime.now(datetime.UTC)).date().isoformat()
    if spec.by_date:
        what = f"{spec.slug}-on-{scope['day'].isoformat()}"
    else:
        what = f"{spec.slug}-{scope['first']}-{scope['last']}"
    return f"eurasia-{what}-data-{data_day}.{extension}"


def _bad_request(request, message):
    return render(request, "public/datasets/bad_request.html", {"message": message}, status=400)


@require_safe
@cached_until_records_change
def index(request):
    changed_at, first_year = data_facts()
    context = {
        "datasets": DATASETS.values(),
        "changed_at": changed_at,
        "first_year": first_year or datetime.date.today().year,
        "this_year": datetime.date.today().year,
        "today": datetime.date.today(),
    }
    return render(request, "public/datasets/index.html", context)


@require_safe
def codebook(request):
    context = {
        "datasets": DATASETS.values(),
        "status_codes": STATUS_CODES,
        "year_rule": YEAR_RULE,
        "seed_blocs": SEED_BLOCS,
    }
    return render(request, "public/datasets/codebook.html", context)


@require_safe
def download(request, dataset, extension):
    spec = DATASETS.get(dataset)
    if spec is None or extension not in ("csv", "xlsx"):
        raise Http404("No such dataset.")
    changed_at, first_year = data_facts()
    try:
        scope = parse_scope(request, spec, first_year)
    except BadRequest as e:
        return _bad_request(request, str(e))
    headers = [c.name for c in spec.columns]
    parts = spec.parts(scope)
    if extension == "csv":
        sql = {part: spec.sql(neutralise=True, part=part) for part in (FIRST, REST)}
        body = chain.from_iterable(
            copy_csv(sql[REST if n else FIRST], {**scope, **p}, header=n == 0) for n, p in enumerate(parts)
        )
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    else:
        sql = {part: spec.sql(neutralise=False, part=part) for part in (FIRST, REST)}
        rows = chain.from_iterable(stream_rows(sql[REST if n else FIRST], {**scope, **p}) for n, p in enumerate(parts))
        body = xlsx_chunks(headers, rows, title=spec.slug)
        response = StreamingHttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name(spec, scope, changed_at, extension))
    if changed_at:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    return response
