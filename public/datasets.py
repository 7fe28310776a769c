"""The public datasets at /data/: analysis-ready CSV and XLSX files, their codebook, and the queries behind them.

Each dataset is one SQL query built from its column list, so the file, the codebook page and
docs/codebook.md describe the same columns. CSV is PostgreSQL's own `COPY ... TO STDOUT`,
streamed as it comes; XLSX rows come from a server-side cursor into the streamed XLSX writer.
Both stay flat in memory however many rows there are.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext_lazy as _

from blocs.models import (
    Bloc,
    BlocClaim,
    Membership,
    MembershipClaim,
    Rank,
    Reading,
)
from blocs.periods import column_sql
from blocs.spreadsheets.writers import (
    neutralised_query,
)
from eurasia.page_cache import kept_until_records_change
from eurasia.routers import read_connection
from events.models import Event, EventClaim

from .dataset_columns import (
    BLOC_COLUMNS,
    BLOC_PREDECESSORS_JOIN,
    BLOC_SOURCES_JOIN,
    CLAIM_COLUMNS,
    COUNTRY_COLUMNS,
    COUNTRY_YEAR_COLUMNS,
    DAY,
    DYAD_YEAR_COLUMNS,
    EVENT_BLOCS_JOIN,
    EVENT_COLUMNS,
    EVENT_COUNTRIES_JOIN,
    EVENT_DISPUTED_JOIN,
    EVENT_SOURCES_JOIN,
    MEMBERS_ON_COLUMNS,
    MEMBERSHIP_COLUMNS,
    PART_EVENTS,
    PART_SPELLS,
    RANK_STATUS,
    ROLE_RANK,
    SOURCE_COLUMNS,
    SPELL_DISPUTED_JOIN,
    SPELL_SOURCES_JOIN,
    YEAR_FIRST,
    YEAR_LAST,
    T,
    as_read,
    bloc_col,
    country_col,
    event_col,
    link_joins,
    source_col,
    spell_col,
)


def _select(columns):
    return ",\n  ".join(f'{column.sql} AS "{column.name}"' for column in columns)


# A spell touches the year range [first, last] by the rule in YEAR_RULE.
log = logging.getLogger(__name__)

SPELL_IN_YEARS = Membership.in_force_sql("m", "make_date(%(first)s, 1, 1)", "make_date(%(last)s, 12, 31)", widen=True)


def _country_year_sql(order=True, some_blocs=False, reading=False):
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
  SELECT m.*, CASE {spell_col("role")} {rank} ELSE 0 END AS rank FROM {as_read(MembershipClaim, reading)} m {only_spells}
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
  FROM {T["country"]} c CROSS JOIN {as_read(BlocClaim, reading)} b CROSS JOIN years y {only_blocs}
)
SELECT
  {_select(COUNTRY_YEAR_COLUMNS)}
FROM grid
JOIN {T["country"]} c ON {country_col("id")} = grid.country_id
JOIN {T["bloc"]} b ON {bloc_col("id")} = grid.bloc_id
JOIN years y ON y.year = grid.year
LEFT JOIN held h ON h.country_id = grid.country_id AND h.bloc_id = grid.bloc_id AND h.year = grid.year
{f"ORDER BY {bloc_col('slug')}, {country_col('alpha3')}, y.year" if order else ""}"""


def _dyad_year_sql(some_blocs=False, reading=False):
    # The full members' cells only are kept for the pairing: country_year, used once, is folded
    # into `members`, whose filter reaches the held spells, so the rows joined with each other are
    # the members' (843 of 33,696 on the seed's first eight blocs), not the whole grid of every
    # country, bloc and year, which went past work_mem onto disk.
    return f"""
WITH country_year AS ({_country_year_sql(order=False, some_blocs=some_blocs, reading=reading)}),
members AS (SELECT * FROM country_year WHERE status = 1)
SELECT
  {_select(DYAD_YEAR_COLUMNS)}
FROM members a
JOIN members b ON b.bloc_slug = a.bloc_slug AND b.year = a.year AND b.country_alpha3 > a.country_alpha3
ORDER BY a.bloc_slug, a.year, a.country_alpha3, b.country_alpha3"""


def _per_bloc(build):
    return lambda part=None, reading=False: build(some_blocs=True, reading=reading) if part else build(reading=reading)


def per_bloc_sql(slug, reading=False):
    """The country-year or dyad-year query for the blocs whose ids are in %(blocs)s, in the file's order."""
    if slug == "country-year":
        return _country_year_sql(some_blocs=True, reading=reading)
    return _dyad_year_sql(some_blocs=True, reading=reading)


def _memberships_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(MEMBERSHIP_COLUMNS)}
FROM {T["membership"]} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{link_joins(part, SPELL_SOURCES_JOIN)}
{SPELL_DISPUTED_JOIN}
WHERE {SPELL_IN_YEARS}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}, {spell_col("start")}"""


def _members_on_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(MEMBERS_ON_COLUMNS)}
FROM {as_read(MembershipClaim, reading)} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{link_joins(part, SPELL_SOURCES_JOIN)}
WHERE {Membership.in_force_sql("m", DAY)}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}"""


def _events_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(EVENT_COLUMNS)}
FROM {T["event"]} e
{link_joins(part, EVENT_BLOCS_JOIN, EVENT_COUNTRIES_JOIN, EVENT_SOURCES_JOIN)}
{EVENT_DISPUTED_JOIN}
WHERE {Event.in_years_sql("e", "%(first)s", "%(last)s")}{f" AND {PART_EVENTS}" if part else ""}
ORDER BY {event_col("date")}, {event_col("title")}"""


def _sources_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(SOURCE_COLUMNS)}
FROM {T["source"]} s
ORDER BY {source_col("key")}"""


def _countries_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(COUNTRY_COLUMNS)}
FROM {T["country"]} c
ORDER BY {country_col("alpha3")}"""


def _blocs_sql(part=None, reading=False):
    parent = column_sql(Bloc, "b", "parent")
    return f"""
SELECT
  {_select(BLOC_COLUMNS)}
FROM {T["bloc"]} b
LEFT JOIN {T["bloc"]} p ON {column_sql(Bloc, "p", "id")} = {parent}
{BLOC_PREDECESSORS_JOIN}
{BLOC_SOURCES_JOIN}
ORDER BY {bloc_col("slug")}"""


# A file in two parts: a small first one, whose links are looked up row by row so that its first
# byte goes out at once, then the rest, whose links are aggregated in one pass for throughput.
FIRST_EVENTS = 500  # about as many events in the first part: whole years, the oldest first
MOST_BLOCS = 50  # blocs to a part of the country-year and dyad-year tables, which have no links to join


def _bloc_ids():
    """Every bloc's id in the files' order (by short name), read where the download reads."""
    return list(Bloc.objects.using(read_connection().alias).order_by("slug").values_list("pk", flat=True))


def spell_parts(scope):
    """The spells of the first bloc by short name, then those of the others: [{"blocs": ids}, ...]."""
    ids = _bloc_ids()
    return [{"blocs": ids[:1]}, {"blocs": ids[1:]}]


def bloc_parts(scope):
    """The blocs in the tables' order (by short name), one, then two, four ... up to MOST_BLOCS to a part."""
    ids = _bloc_ids()
    parts, size = [], 1
    while ids:
        parts.append({"blocs": ids[:size]})
        ids, size = ids[size:], min(MOST_BLOCS, size * 2)
    return parts or [{"blocs": []}]


def whole_file(scope):
    """A table of a few thousand rows at most, sent in one part: its query starts at once."""
    return [{}]


def claim_parts(scope):
    """The claims about blocs, then events, then spells: the file's order, its few blocs' claims at once."""
    return [{"kinds": [kind]} for kind in ("bloc", "event", "membership")]


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


def _claims_sql(part=None, reading=False):
    quote = connection.ops.quote_name
    parts = []
    owners = {
        MembershipClaim: (
            "membership",
            f"JOIN {T['membership']} m ON m.id = k.membership_id JOIN {T['country']} c ON c.id = m.country_id "
            f"JOIN {T['bloc']} b ON b.id = m.bloc_id",
            f"{country_col('alpha3')}, {bloc_col('slug')}, {spell_col('start')}, NULL::date, NULL",
        ),
        BlocClaim: (
            "bloc",
            f"JOIN {T['bloc']} b ON b.id = k.bloc_id",
            f"NULL, {bloc_col('slug')}, NULL::date, NULL::date, NULL",
        ),
        EventClaim: (
            "event",
            f"JOIN {T['event']} e ON e.id = k.event_id",
            f"NULL, NULL, NULL::date, {event_col('date')}, {event_col('title')}",
        ),
    }
    for model, (kind, join, keys) in owners.items():
        table, link = quote(model._meta.db_table), quote(model.sources.through._meta.db_table)
        owner = quote(f"{model.OWNER}_id")
        # The sources' keys aggregated in one pass over the link table, not a subquery a claim: the
        # planner costed those so high that PostgreSQL compiled the query (JIT) for a second before
        # its first row (docs/performance.md).
        parts.append(
            f"SELECT k.id, '{kind}' AS record_kind, {keys}, k.field, k.value, k.value_precision, k.rank, k.reason, "
            f"k.reading_id, ks.keys, "
            f"EXISTS (SELECT 1 FROM {table} o WHERE o.{owner} = k.{owner} AND o.field = k.field "
            f"AND o.rank <> '{Rank.PREFERRED}')::int AS disputed "
            f"FROM {table} k {join} "
            f"LEFT JOIN (SELECT l.claim_id, string_agg(s.key, ';' ORDER BY s.key) AS keys FROM {link} l "
            f"JOIN {T['source']} s ON s.id = l.source_id GROUP BY l.claim_id) ks ON ks.claim_id = k.id"
            # In parts (claim_parts), one kind of record at a time: the other kinds' branches are skipped.
            + (f" WHERE '{kind}' = ANY(%(kinds)s::text[])" if part else "")
        )
    names = (
        "id, record_kind, country_alpha3, bloc_slug, spell_start, event_date, event_title, field, value, "
        "value_precision, rank, reason, reading_id, keys, disputed"
    )
    rank = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(Rank.values))
    return f"""
SELECT
  {_select(CLAIM_COLUMNS)}
FROM ({" UNION ALL ".join(parts)}) k ({names})
LEFT JOIN {quote(Reading._meta.db_table)} rd ON rd.id = k.reading_id
ORDER BY k.record_kind, k.bloc_slug, k.country_alpha3, k.spell_start, k.event_date, k.event_title, k.field,
  CASE k.rank {rank} END, k.value, k.id"""


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
    by_reading: bool = False  # takes ?reading=, computed from a reading's claims where it has them

    def sql(self, neutralise, part=None, reading=False):
        """The dataset's query; with `neutralise`, its text columns are made safe for spreadsheets.

        With `part` (FIRST or REST), the query of one part of the file, its parameters from `parts`.
        With `reading`, the query reads spells (and blocs) as the reading whose id is %(reading)s has them.
        """
        query = self.build(part=part, reading=True) if reading else self.build(part=part)
        if not neutralise:
            return query
        return neutralised_query(query, [(c.name, c.name, c.kind == "text") for c in self.columns])


DATASETS = {
    spec.slug: spec
    for spec in [
        DatasetSpec(
            "memberships",
            _("Membership spells"),
            _("one row per spell"),
            _("Every spell of every country in every bloc, with its role, dates, suspension, end and sources."),
            MEMBERSHIP_COLUMNS,
            _memberships_sql,
            spell_parts,
        ),
        DatasetSpec(
            "members",
            _("Members on a date"),
            _("one row per spell in force on the date"),
            _(
                "Who belonged to what on one day (?date=YYYY-MM-DD; today when left out), with whether the "
                "membership was suspended that day."
            ),
            MEMBERS_ON_COLUMNS,
            _members_on_sql,
            spell_parts,
            by_date=True,
            by_reading=True,
        ),
        DatasetSpec(
            "country-year",
            _("Country-year"),
            _("one row per country, bloc and year"),
            _("Membership status coded as in the Correlates of War IGO data, with a suspended flag."),
            COUNTRY_YEAR_COLUMNS,
            _per_bloc(_country_year_sql),
            bloc_parts,
            by_reading=True,
        ),
        DatasetSpec(
            "dyad-year",
            _("Dyad-year"),
            _("one row per pair of countries, bloc and year in which both were full members"),
            _(
                "Pairs of countries that were both full members (status 1 in the country-year data) of a bloc "
                "in a year, in the Correlates of War dyadic style."
            ),
            DYAD_YEAR_COLUMNS,
            _per_bloc(_dyad_year_sql),
            bloc_parts,
            by_reading=True,
        ),
        DatasetSpec(
            "events",
            _("Events"),
            _("one row per event"),
            _("Every event with its dates, kind, place, blocs, countries and sources."),
            EVENT_COLUMNS,
            _events_sql,
            event_parts,
        ),
        DatasetSpec(
            "sources",
            _("Sources"),
            _("one row per source"),
            _(
                "Every source the record cites, by the key the other datasets use, with its title, publisher and address."
            ),
            SOURCE_COLUMNS,
            _sources_sql,
            whole_file,
        ),
        DatasetSpec(
            "countries",
            _("Countries"),
            _("one row per country"),
            _("Every country of the record with its ISO and Correlates of War codes."),
            COUNTRY_COLUMNS,
            _countries_sql,
            whole_file,
        ),
        DatasetSpec(
            "blocs",
            _("Blocs"),
            _("one row per bloc"),
            _(
                "Every bloc with its kind, founding and dissolution, the bloc it sits inside, its predecessors "
                "and sources."
            ),
            BLOC_COLUMNS,
            _blocs_sql,
            whole_file,
        ),
        DatasetSpec(
            "claims",
            _("Claims"),
            _("one row per claim"),
            _(
                "What each source says about every disputed date: the record and date it is about, its value, "
                "its rank (preferred, alternative or refuted), the reading it follows and its sources."
            ),
            CLAIM_COLUMNS,
            _claims_sql,
            claim_parts,
        ),
    ]
}

MAX_YEARS = 500


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


def _blocs_read_sql(reading_id):
    """SQL for the ids of the blocs whose country-year rows a reading can change: those it has claims about,
    on the bloc's own dates or on one of its spells'."""
    quote = connection.ops.quote_name
    spell_owner = quote(MembershipClaim.OWNER + "_id")
    # Each claimed spell's bloc is looked up by its key, claim by claim: as a join, the planner
    # chose for one reading of the full world to read all 200,000 spells (30 ms against 4).
    spell_bloc = f"SELECT {spell_col('bloc')} FROM {T['membership']} m WHERE {spell_col('id')} = k.{spell_owner}"
    return (
        f"ARRAY(SELECT {quote(BlocClaim.OWNER + '_id')} FROM {quote(BlocClaim._meta.db_table)} "
        f"WHERE reading_id = {reading_id} UNION SELECT ({spell_bloc}) "
        f"FROM {quote(MembershipClaim._meta.db_table)} k WHERE k.reading_id = {reading_id})"
    )


# How long /data/ may spend counting the cells each reading changes, in milliseconds. The count
# compares two country-year tables over the blocs each reading has claims about: a few
# milliseconds on the seed, past the 5 s statement timeout at the full synthetic world, where
# every drawing of /data/ waited those 5 s and then had no counts (docs/performance.md).
DIFFERENCES_BUDGET_MS = 500
# A reading whose comparison covers more cells than this (the blocs it has claims about × the
# countries × the years) is not compared at all: the comparison runs at about 100,000 cells a second
# (the seed's readings: 4,212 cells in 58 ms, 12,636 in 120 ms), so it could not end within the
# budget, and at the full synthetic world (about 37 million cells a reading, 1825 to today) every drawing of /data/
# spent the whole budget finding that out. Set at about twice what the budget holds here, for a
# faster server; past it, or when several readings add up, the budget still stops the count.
MOST_CELLS = 100_000


def reading_differences(reading_ids, first, last, state=None):
    """How many country-year cells each reading changes from the preferred panel, years `first` to `last`.

    One query for every reading: for each, the country-year rows computed with ?reading= that are
    not among the rows computed without it, over the blocs the reading has claims about (the others'
    rows cannot differ). Each cell is one row in both tables, so the rows left are the cells that differ.
    Gives {reading id: cells}, kept until a record changes (`state`: the records' state, when the
    caller has read it already); None when they could not be counted within DIFFERENCES_BUDGET_MS,
    and None for a reading whose comparison is larger than MOST_CELLS, which is not tried.
    """
    if not reading_ids:
        return {}
    parts = []
    for reading_id in reading_ids:
        reading_id = int(reading_id)  # written into the SQL: an id, never text from a request
        blocs = "reading_blocs.ids"  # the reading's blocs, found once in the FROM below and read in each branch
        as_read = _country_year_sql(order=False, some_blocs=True, reading=True)
        stored = _country_year_sql(order=False, some_blocs=True)
        as_read = as_read.replace("%(reading)s", str(reading_id)).replace("%(blocs)s", blocs)
        stored = stored.replace("%(blocs)s", blocs)
        cells = "SELECT bloc_slug, country_alpha3, year, status, suspended FROM ({}) AS t"
        compared = f"cardinality({blocs}) * (SELECT count(*) FROM {T['country']}) * (%(last)s - %(first)s + 1)"
        # Nothing to compare: no cell differs. Too much to compare in time: not counted (NULL). The
        # comparison, a scalar subquery, runs only in the branch that needs it.
        parts.append(
            f"SELECT {reading_id} AS reading_id, CASE WHEN cardinality({blocs}) = 0 THEN 0 "
            f"WHEN {compared} > {MOST_CELLS} THEN NULL ELSE (SELECT count(*) FROM "
            f"({cells.format(as_read)} EXCEPT ALL {cells.format(stored)}) AS differing) END "
            # OFFSET 0 keeps the subquery from being folded into the query, which would copy the
            # ARRAY into each place that reads it and find the blocs once per place.
            f"FROM (SELECT {_blocs_read_sql(reading_id)} AS ids OFFSET 0) AS reading_blocs"
        )

    def count():
        reader = read_connection()
        try:
            # In a transaction (or a savepoint) of its own: a count the statement timeout cancels
            # leaves the page without its counts, never a broken transaction or a server error.
            with transaction.atomic(using=reader.alias), reader.cursor() as cursor:
                # The planner's estimate of these joins is high enough to compile them (JIT), which
                # costs more than the query itself: 0.6-1.2 s on the seed against 0.1 s, and seconds
                # under load. Parallel workers neither: starting them took 20 ms for each reading's
                # look-up of its blocs (a thousand rows) at the full world. And the count has its
                # own budget, shorter than the statement timeout.
                cursor.execute(
                    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true), "
                    "set_config('statement_timeout', %s, true)",
                    [str(DIFFERENCES_BUDGET_MS)],
                )
                cursor.execute(" UNION ALL ".join(parts), {"first": first, "last": last})
                return dict(cursor.fetchall())
        except OperationalError as error:
            # Kept as not counted, like a count, until a record changes: a database too slow for
            # it once is not asked again by every reader meanwhile.
            log.warning("the readings' differing cells were not counted: %s", error)
            return None

    # Kept until a record changes: /data/ with any query string draws the same counts.
    parts_kept = [str(first), str(last), *map(str, reading_ids)]
    differing = kept_until_records_change("reading-differences", parts_kept, count, state)
    if differing is None:
        return None
    return {int(reading): cells for reading, cells in differing.items()}
