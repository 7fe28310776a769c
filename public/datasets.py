"""The public datasets at /data/: analysis-ready CSV and XLSX files, their codebook, and the queries behind them.

Each dataset is one SQL query built from its column list, so the file, the codebook page and
docs/codebook.md describe the same columns. CSV is PostgreSQL's own `COPY ... TO STDOUT`,
streamed as it comes; XLSX rows come from a server-side cursor into the streamed XLSX writer.
Both stay flat in memory however many rows there are.
"""

import datetime
from dataclasses import dataclass
from functools import partial

from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from blocs.models import (
    Bloc,
    BlocClaim,
    Country,
    Membership,
    MembershipClaim,
    MembershipSource,
    Rank,
    Reading,
    Role,
    Source,
)
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
from events.models import Event, EventClaim

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

READING_RULE = gettext_lazy(
    "Where the sources disagree on a date, every dataset uses the preferred claim: the date the record "
    "stores (the memberships and events datasets flag such rows with disputed = 1, and the claims dataset "
    "lists what each source says). The members, country-year and dyad-year datasets take ?reading=, the key "
    "of a reading listed on /data/ (a published dataset or authority, such as atop-4-01): each date for which "
    'that reading has a claim of its own is taken from it, "no such date" included, and every other date '
    "stays the preferred one. A spell whose start the reading says never happened is left out."
)
READING_EXAMPLE = gettext_lazy(
    "Example: Uzbekistan in the CSTO. The preferred record has its spell from 16 August 2006 with no end, "
    "suspended by the Collective Security Council from 19 December 2012, so country-year codes it 1 (full "
    "member, suspended) in 2012, 2013 and 2014. Under ?reading=atop-4-01 the spell ends in 2012, as ATOP codes "
    "its exit: 2012 stays 1 (the spell still touches that year) and 2013 and 2014 become 0 (no membership); "
    "the members-on-a-date file for any day in 2013 leaves Uzbekistan out of the CSTO."
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


def _keys(alias, owner_alias, link, owner, target, key):
    """Keys of linked records in one text column: (the column's SQL, the join that provides it).

    `link` ties the record under `owner_alias` (its field `owner`) to records (its field `target`)
    named by their field `key`. The keys are aggregated once for all rows and joined, not looked
    up row by row: a whole download then costs one pass over the link table instead of one
    subquery per row.
    """
    quote = connection.ops.quote_name
    owners, targets = link._meta.get_field(owner).related_model, link._meta.get_field(target).related_model
    owner_id, key_column = column_sql(link, "l", owner), column_sql(targets, "t", key)
    join = (
        f"LEFT JOIN (SELECT {owner_id} AS owner_id, string_agg({key_column}, ';' ORDER BY {key_column}) "
        f"AS keys FROM {quote(link._meta.db_table)} l JOIN {quote(targets._meta.db_table)} t "
        f"ON {column_sql(targets, 't', targets._meta.pk.name)} = {column_sql(link, 'l', target)} GROUP BY {owner_id}) "
        f"{alias} ON {alias}.owner_id = {column_sql(owners, owner_alias, owners._meta.pk.name)}"
    )
    return f"{alias}.keys", join


SPELL_SOURCES, SPELL_SOURCES_JOIN = _keys("ms", "m", MembershipSource, "membership", "source", "key")
EVENT_BLOCS, EVENT_BLOCS_JOIN = _keys("eb", "e", Event.blocs.through, "event", "bloc", "slug")
EVENT_COUNTRIES, EVENT_COUNTRIES_JOIN = _keys("ec", "e", Event.countries.through, "event", "country", "alpha3")
EVENT_SOURCES, EVENT_SOURCES_JOIN = _keys("es", "e", Event.sources.through, "event", "source", "key")


def _disputed(alias, owner_alias, claim_model):
    """A flag column, 1 when one of the record's dates has a claim other than the preferred one: (SQL, join)."""
    quote = connection.ops.quote_name
    owners = claim_model._meta.get_field(claim_model.OWNER).related_model
    owner = column_sql(claim_model, "k", claim_model.OWNER)
    join = (
        f"LEFT JOIN (SELECT DISTINCT {owner} AS owner_id FROM {quote(claim_model._meta.db_table)} k "
        f"WHERE {column_sql(claim_model, 'k', 'rank')} <> '{Rank.PREFERRED}') {alias} "
        f"ON {alias}.owner_id = {column_sql(owners, owner_alias, owners._meta.pk.name)}"
    )
    return f"CASE WHEN {alias}.owner_id IS NULL THEN 0 ELSE 1 END", join


SPELL_DISPUTED, SPELL_DISPUTED_JOIN = _disputed("md", "m", MembershipClaim)
EVENT_DISPUTED, EVENT_DISPUTED_JOIN = _disputed("ed", "e", EventClaim)
DISPUTED_TEXT = (
    "1 when the sources disagree on one of its dates (the claims dataset lists what each says), else 0; "
    "the dates given are the preferred ones."
)


def _as_read(claim_model, reading):
    """The owner table of `claim_model`, as SQL usable as a table, with its dates read by a reading.

    Without a reading it is the table itself (the stored dates are the preferred claims). With
    one (%(reading)s, a reading's id), each date that the reading has a claim about takes that
    claim's value and precision, "no such date" included; the other dates stay as stored.
    """
    quote = connection.ops.quote_name
    owners = claim_model._meta.get_field(claim_model.OWNER).related_model
    if not reading:
        return quote(owners._meta.db_table)
    dated = {name for name in claim_model.FIELDS} | {f"{name}_precision" for name in claim_model.FIELDS}
    columns, joins = [], []
    for field in owners._meta.concrete_fields:
        column = quote(field.column)
        if field.name not in dated:
            columns.append(f"o.{column}")
    for i, name in enumerate(claim_model.FIELDS):
        claims = f"r{i}"
        date, precision = quote(owners._meta.get_field(name).column), quote(f"{name}_precision")
        joins.append(
            f"LEFT JOIN LATERAL (SELECT k.value, k.value_precision FROM {quote(claim_model._meta.db_table)} k "
            f"WHERE k.{quote(claim_model.OWNER + '_id')} = o.id AND k.field = '{name}' AND k.reading_id = %(reading)s "
            f"ORDER BY k.rank = '{Rank.PREFERRED}' DESC, k.id LIMIT 1) {claims} ON true"
        )
        # A claim without a value ("no such date") counts: the reading says there was none.
        columns.append(f"CASE WHEN {claims}.value_precision IS NULL THEN o.{date} ELSE {claims}.value END AS {date}")
        columns.append(
            f"CASE WHEN {claims}.value_precision IS NULL THEN o.{precision} ELSE {claims}.value_precision END "
            f"AS {precision}"
        )
    return f"(SELECT {', '.join(columns)} FROM {quote(owners._meta.db_table)} o {' '.join(joins)})"


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
    Column("disputed", "flag", SPELL_DISPUTED, DISPUTED_TEXT),
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
    Column("disputed", "flag", EVENT_DISPUTED, DISPUTED_TEXT),
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
  SELECT m.*, CASE {spell_col("role")} {rank} ELSE 0 END AS rank FROM {_as_read(MembershipClaim, reading)} m {only_spells}
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
  FROM {T["country"]} c CROSS JOIN {_as_read(BlocClaim, reading)} b CROSS JOIN years y {only_blocs}
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
    return f"""
WITH country_year AS ({_country_year_sql(order=False, some_blocs=some_blocs, reading=reading)})
SELECT
  {_select(DYAD_YEAR_COLUMNS)}
FROM country_year a
JOIN country_year b ON b.bloc_slug = a.bloc_slug AND b.year = a.year AND b.country_alpha3 > a.country_alpha3
WHERE a.status = 1 AND b.status = 1
ORDER BY a.bloc_slug, a.year, a.country_alpha3, b.country_alpha3"""


def per_bloc_sql(slug, reading=False):
    """The country-year or dyad-year query for the blocs whose ids are in %(blocs)s, in the file's order."""
    if slug == "country-year":
        return _country_year_sql(some_blocs=True, reading=reading)
    return _dyad_year_sql(some_blocs=True, reading=reading)


def _memberships_sql():
    return f"""
SELECT
  {_select(MEMBERSHIP_COLUMNS)}
FROM {T["membership"]} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{SPELL_SOURCES_JOIN}
{SPELL_DISPUTED_JOIN}
WHERE {SPELL_IN_YEARS}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}, {spell_col("start")}"""


def _members_on_sql(reading=False):
    return f"""
SELECT
  {_select(MEMBERS_ON_COLUMNS)}
FROM {_as_read(MembershipClaim, reading)} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{SPELL_SOURCES_JOIN}
WHERE {Membership.in_force_sql("m", DAY)}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}"""


def _events_sql():
    return f"""
SELECT
  {_select(EVENT_COLUMNS)}
FROM {T["event"]} e
{EVENT_BLOCS_JOIN}
{EVENT_COUNTRIES_JOIN}
{EVENT_SOURCES_JOIN}
{EVENT_DISPUTED_JOIN}
WHERE {Event.in_years_sql("e", "%(first)s", "%(last)s")}
ORDER BY {event_col("date")}, {event_col("title")}"""


CLAIM_COLUMNS = [
    Column("record_kind", "text", "k.record_kind", "What the claim is about: membership, bloc or event."),
    Column(
        "country_alpha3", "text", "k.country_alpha3", "The spell's country (alpha-3); empty for a bloc or an event."
    ),
    Column("bloc_slug", "text", "k.bloc_slug", "The spell's bloc, or the bloc itself; empty for an event."),
    Column(
        "spell_start",
        "date",
        "k.spell_start",
        "The start the record stores for the spell: with country and bloc, "
        "the spell's key; empty for a bloc or an event.",
    ),
    Column("event_date", "date", "k.event_date", "The event's stored date: with its title, the event's key."),
    Column("event_title", "text", "k.event_title", "The event's title; empty for a spell or a bloc."),
    Column(
        "field",
        "text",
        "k.field",
        "Which date of the record: start, end, suspension_start, suspension_end "
        "(spells), founded, dissolved (blocs) or date (events).",
    ),
    Column(
        "value",
        "date",
        "k.value",
        'The date the claim gives: the first day of its period; empty for "no such '
        'date" (it never happened, such as a withdrawal that never formally took place).',
    ),
    Column(
        "value_precision",
        "text",
        "CASE WHEN k.value IS NULL THEN NULL ELSE k.value_precision END",
        "How much of the claimed date is known: day, month or year.",
    ),
    Column(
        "rank",
        "text",
        "k.rank",
        "preferred (the value the record and the other datasets use), alternative "
        "(another reading the sources support) or deprecated (refuted; the reason says why).",
    ),
    Column("reason", "text", "NULLIF(k.reason, '')", "Why this value, in one line."),
    Column(
        "reading_key", "text", "rd.key", "The reading it follows, as ?reading= names it (atop-4-01); empty when none."
    ),
    Column("reading_name", "text", "rd.name", "The reading's name (ATOP v4.01)."),
    Column("source_keys", "text", "k.keys", "Keys of the sources that give this value, separated by semicolons."),
    Column(
        "disputed",
        "flag",
        "k.disputed",
        "1 when the date has a claim other than the preferred one (it is disputed), else 0.",
    ),
]


def _claims_sql(reading=False):
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
        parts.append(
            f"SELECT k.id, '{kind}' AS record_kind, {keys}, k.field, k.value, k.value_precision, k.rank, k.reason, "
            f"k.reading_id, "
            f"(SELECT string_agg(s.key, ';' ORDER BY s.key) FROM {link} l JOIN {T['source']} s ON s.id = l.source_id "
            f"WHERE l.claim_id = k.id) AS keys, "
            f"EXISTS (SELECT 1 FROM {table} o WHERE o.{owner} = k.{owner} AND o.field = k.field "
            f"AND o.rank <> '{Rank.PREFERRED}')::int AS disputed "
            f"FROM {table} k {join}"
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
    by_date: bool = False
    by_reading: bool = False  # takes ?reading=, computed from a reading's claims where it has them

    def sql(self, neutralise, reading=False):
        """The dataset's query; with `neutralise`, its text columns are made safe for spreadsheets.

        With `reading`, the query reads spells (and blocs) as the reading whose id is %(reading)s has them."""
        query = self.build(reading=True) if reading else self.build()
        if not neutralise:
            return query
        return neutralised_query(query, [(c.name, c.name, c.kind == "text") for c in self.columns])


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
        ),
        DatasetSpec(
            "members",
            "Members on a date",
            "one row per spell in force on the date",
            "Who belonged to what on one day (?date=YYYY-MM-DD; today when left out), with whether the "
            "membership was suspended that day.",
            MEMBERS_ON_COLUMNS,
            _members_on_sql,
            by_date=True,
            by_reading=True,
        ),
        DatasetSpec(
            "country-year",
            "Country-year",
            "one row per country, bloc and year",
            "Membership status coded as in the Correlates of War IGO data, with a suspended flag.",
            COUNTRY_YEAR_COLUMNS,
            _country_year_sql,
            by_reading=True,
        ),
        DatasetSpec(
            "dyad-year",
            "Dyad-year",
            "one row per pair of countries, bloc and year in which both were full members",
            "Pairs of countries that were both full members (status 1 in the country-year data) of a bloc "
            "in a year, in the Correlates of War dyadic style.",
            DYAD_YEAR_COLUMNS,
            _dyad_year_sql,
            by_reading=True,
        ),
        DatasetSpec(
            "events",
            "Events",
            "one row per event",
            "Every event with its dates, kind, place, blocs, countries and sources.",
            EVENT_COLUMNS,
            _events_sql,
        ),
        DatasetSpec(
            "claims",
            "Claims",
            "one row per claim",
            "What each source says about every disputed date: the record and date it is about, its value, "
            "its rank (preferred, alternative or refuted), the reading it follows and its sources.",
            CLAIM_COLUMNS,
            _claims_sql,
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
    raw_reading = request.GET.get("reading", "").strip()
    if raw_reading:
        if not spec.by_reading:
            raise BadRequest(
                "?reading= applies to the members, country-year and dyad-year datasets only: the others give "
                "every claim, or the preferred dates with a disputed flag."
            )
        reading = Reading.objects.filter(key=raw_reading[:60]).values_list("pk", flat=True).first()
        if reading is None:
            raise BadRequest(f'There is no reading "{raw_reading[:40]}": /data/ lists the readings and their keys.')
        scope["reading"], scope["reading_key"] = reading, raw_reading
    return scope


def file_name(spec, scope, changed_at, extension):
    data_day = (changed_at or datetime.datetime.now(datetime.UTC)).date().isoformat()
    if spec.by_date:
        what = f"{spec.slug}-on-{scope['day'].isoformat()}"
    else:
        what = f"{spec.slug}-{scope['first']}-{scope['last']}"
    if scope.get("reading"):
        what += f"-reading-{scope['reading_key']}"
    return f"eurasia-{what}-data-{data_day}.{extension}"


def _bad_request(request, message):
    return render(request, "public/datasets/bad_request.html", {"message": message}, status=400)


@require_safe
@cached_until_records_change
def index(request):
    changed_at, first_year = data_facts()
    context = {
        "datasets": DATASETS.values(),
        "readings": list(Reading.objects.order_by("name")),
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
        "reading_rule": READING_RULE,
        "reading_example": READING_EXAMPLE,
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
    reading = bool(scope.get("reading"))
    if extension == "csv":
        body = copy_csv(spec.sql(neutralise=True, reading=reading), scope)
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    else:
        rows = stream_rows(spec.sql(neutralise=False, reading=reading), scope)
        body = xlsx_chunks(headers, rows, title=spec.slug)
        response = StreamingHttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name(spec, scope, changed_at, extension))
    if changed_at:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    return response
