"""The public datasets at /data/: analysis-ready CSV and XLSX files, their codebook, and the queries behind them.

Each dataset is one SQL query built from its column list, so the file, the codebook page and
docs/codebook.md describe the same columns. CSV is PostgreSQL's own `COPY ... TO STDOUT`,
streamed as it comes; XLSX rows come from a server-side cursor into the streamed XLSX writer.
Both stay flat in memory however many rows there are.
"""

import datetime
import json
from dataclasses import dataclass
from functools import partial

from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.http import content_disposition_header, http_date
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _
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
    (1, _("full member"), _("The country held the role member in the bloc.")),
    (2, _("associate member"), _("The country held the role associate, and not member.")),
    (3, _("observer"), _("The country held the role observer, and neither member nor associate.")),
    (
        0,
        _("no membership"),
        _("None of those roles (a candidate, a dialogue partner or a non-member participant is coded 0)."),
    ),
    (-1, _("bloc not in existence"), _("The bloc had not been founded yet, or had been dissolved.")),
]
ROLE_RANK = {Role.MEMBER: 3, Role.ASSOCIATE: 2, Role.OBSERVER: 1}
RANK_STATUS = {3: 1, 2: 2, 1: 3}

# The seed's blocs, by family, and the column of the Correlates of War IGO data (v3, state-year)
# that codes the same organisation, where there is one; docs/codebook.md has the same table.
SEED_BLOCS = [
    (_("military alliance"), "cst", _("Collective Security Treaty (1992)"), ""),
    (_("military alliance"), "csto", _("Collective Security Treaty Organization (2002)"), "csto"),
    (_("military alliance"), "csto-crrf", _("Collective Rapid Reaction Force of the CSTO (2009)"), ""),
    (_("military alliance"), "nato", _("North Atlantic Treaty Organization (1949)"), "nato"),
    (_("economic union"), "eurasec", _("Eurasian Economic Community (2000-2015)"), "eaec"),
    (_("economic union"), "cu-bkr", _("Customs Union of Belarus, Kazakhstan and Russia (2010-2015)"), ""),
    (_("economic union"), "ses", _("Single Economic Space (2012-2015)"), ""),
    (_("economic union"), "eaeu", _("Eurasian Economic Union (2015)"), ""),
    (_("political organisation"), "cis", _("Commonwealth of Independent States (1991)"), "cis"),
    (_("political organisation"), "shanghai-five", _("Shanghai Five (1996-2001)"), ""),
    (_("political organisation"), "sco", _("Shanghai Cooperation Organisation (2001)"), "sco"),
    (_("political organisation"), "guam", _("GUAM (1997)"), ""),
    (_("political organisation"), "by-ru-community", _("Community of Russia and Belarus (1996-1997)"), ""),
    (_("political organisation"), "by-ru-union", _("Union of Belarus and Russia (1997-2000)"), ""),
    (_("political organisation"), "union-state", _("Union State of Russia and Belarus (1999)"), ""),
]

YEAR_RULE = _(
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


# How the codebook names each kind of column, in the page's language.
KIND_WORDS = {
    "text": _("text"),
    "integer": _("integer"),
    "date": _("date"),
    "year": _("year"),
    "code": _("code"),
    "flag": _("flag"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, integer, date, year, code or flag: how the file and the codebook show it
    sql: str
    description: str

    @property
    def kind_words(self):
        return KIND_WORDS[self.kind]


lowered = lazy(lambda text: str(text).lower(), str)


def _partial(model, alias, field, label):
    """A partial date as two columns: its first day and its precision (empty when there is no date)."""
    column, precision = column_sql(model, alias, field), column_sql(model, alias, f"{field}_precision")
    return [
        Column(
            field, "date", column, format_lazy(_("{label}: the first day of the period the sources give."), label=label)
        ),
        Column(
            f"{field}_precision",
            "text",
            f"CASE WHEN {column} IS NULL THEN NULL ELSE {precision} END",
            format_lazy(_("How much of the {label} is known: day, month or year."), label=lowered(label)),
        ),
    ]


COUNTRY_NAME_RU = Column(
    "country_name_ru",
    "text",
    f"NULLIF({country_col('name_ru')}, '')",
    _("Short Russian name of the country; empty when none is recorded."),
)
COUNTRY = [
    Column("country_alpha3", "text", country_col("alpha3"), _("ISO 3166-1 alpha-3 code of the country (RUS).")),
    Column("country_alpha2", "text", country_col("alpha2"), _("ISO 3166-1 alpha-2 code (RU).")),
    Column(
        "country_cow_code",
        "integer",
        country_col("cow_code"),
        _("Correlates of War country code (365); empty when none."),
    ),
    Column("country_name", "text", country_col("name"), _("Short English name of the country.")),
]
BLOC = [
    Column("bloc_slug", "text", bloc_col("slug"), _("The bloc's stable short name, as in the site's URLs (csto).")),
    Column("bloc_name", "text", bloc_col("name"), _("Full English name of the bloc.")),
]
BLOC_NAME_RU = Column(
    "bloc_name_ru",
    "text",
    f"NULLIF({bloc_col('name_ru')}, '')",
    _("Full Russian name of the bloc; empty when none is recorded."),
)
# The Russian names come last, so that the columns before them keep their places.
NAMES_RU = [COUNTRY_NAME_RU, BLOC_NAME_RU]


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
    Column(
        "role",
        "text",
        spell_col("role"),
        format_lazy(_("The country's standing in the bloc: {roles}."), roles=", ".join(Role.values)),
    ),
    *_partial(Membership, "m", "start", _("Start")),
    *_partial(Membership, "m", "suspension_start", _("Suspension start")),
    *_partial(Membership, "m", "suspension_end", _("Suspension end")),
    Column(
        "suspension_kind",
        "text",
        f"NULLIF({spell_col('suspension_kind')}, '')",
        _(
            "formal (decided by the bloc), self_declared (by the country) or de_facto (inactive in fact, without any "
            "decision); empty without a suspension."
        ),
    ),
    *_partial(Membership, "m", "end", _("End")),
    Column(
        "end_reason",
        "text",
        f"NULLIF({spell_col('end_reason')}, '')",
        _("Why the spell ended: withdrawal, non_renewal, expulsion, dissolved, succeeded or other."),
    ),
    Column("source_keys", "text", SPELL_SOURCES, _("Keys of the sources for the spell, separated by semicolons.")),
    Column("disputed", "flag", SPELL_DISPUTED, DISPUTED_TEXT),
    *NAMES_RU,
]

EVENT_COLUMNS = [
    *_partial(Event, "e", "date", _("Date")),
    *_partial(Event, "e", "end_date", _("End date")),
    Column("title", "text", event_col("title"), _("What happened, in one line.")),
    Column(
        "kind",
        "text",
        event_col("kind"),
        _("summit, treaty_signed, accession, suspension, withdrawal, announcement, ..."),
    ),
    Column("location", "text", f"NULLIF({event_col('location')}, '')", _("Where it happened, when known.")),
    Column(
        "bloc_slugs",
        "text",
        EVENT_BLOCS,
        _("The blocs it concerns, separated by semicolons."),
    ),
    Column(
        "country_alpha3s",
        "text",
        EVENT_COUNTRIES,
        _("The countries it concerns (alpha-3), separated by semicolons."),
    ),
    Column(
        "source_keys",
        "text",
        EVENT_SOURCES,
        _("Keys of the sources that report it, separated by semicolons."),
    ),
    Column("description", "text", f"NULLIF({event_col('description')}, '')", _("A few sentences on what happened.")),
    Column("disputed", "flag", EVENT_DISPUTED, DISPUTED_TEXT),
    Column(
        "title_ru",
        "text",
        f"NULLIF({event_col('title_ru')}, '')",
        _("What happened, in one line, in Russian; empty when no Russian title is recorded."),
    ),
    Column(
        "description_ru",
        "text",
        f"NULLIF({event_col('description_ru')}, '')",
        _("The same in Russian; empty when no Russian description is recorded."),
    ),
]

# The day of the members-on-a-date snapshot, and the first and last day of a year of the yearly datasets.
DAY = "%(day)s::date"
YEAR_FIRST, YEAR_LAST = "make_date(y.year, 1, 1)", "make_date(y.year, 12, 31)"

MEMBERS_ON_COLUMNS = [
    Column("as_of", "date", DAY, _("The date of the snapshot (the ?date= asked for).")),
    *COUNTRY,
    *BLOC,
    Column("role", "text", spell_col("role"), _("The country's standing in the bloc on that date.")),
    *_partial(Membership, "m", "start", _("Start")),
    Column(
        "suspended",
        "flag",
        f"CASE WHEN {Membership.suspended_sql('m', DAY)} THEN 1 ELSE 0 END",
        _("1 when the membership was suspended on that date, else 0."),
    ),
    *_partial(Membership, "m", "suspension_start", _("Suspension start")),
    *_partial(Membership, "m", "end", _("End")),
    Column("source_keys", "text", SPELL_SOURCES, _("Keys of the sources for the spell, separated by semicolons.")),
    *NAMES_RU,
]

COUNTRY_YEAR_COLUMNS = [
    Column("country_alpha3", "text", country_col("alpha3"), _("ISO 3166-1 alpha-3 code of the country.")),
    Column(
        "country_cow_code", "integer", country_col("cow_code"), _("Correlates of War country code; empty when none.")
    ),
    Column("country_name", "text", country_col("name"), _("Short English name of the country.")),
    *BLOC,
    Column("year", "year", "y.year", _("The calendar year.")),
    Column(
        "status",
        "code",
        "CASE WHEN NOT bloc_exists THEN -1 ELSE COALESCE(h.status, 0) END",
        _("COW IGO status code: 1 full member, 2 associate, 3 observer, 0 no membership, -1 bloc not in existence."),
    ),
    Column(
        "suspended",
        "flag",
        "CASE WHEN bloc_exists AND h.suspended THEN 1 ELSE 0 END",
        _("1 when the spell giving the status was suspended on at least one day of the year, else 0."),
    ),
    *NAMES_RU,
]

DYAD_YEAR_COLUMNS = [
    *[Column(c.name, c.kind, f"a.{c.name}", c.description) for c in BLOC],
    Column("year", "year", "a.year", _("The calendar year.")),
    Column("country1_alpha3", "text", "a.country_alpha3", _("The first country of the pair (alphabetically first).")),
    Column("country1_cow_code", "integer", "a.country_cow_code", _("Its Correlates of War code.")),
    Column("country2_alpha3", "text", "b.country_alpha3", _("The second country of the pair.")),
    Column("country2_cow_code", "integer", "b.country_cow_code", _("Its Correlates of War code.")),
    Column(
        "country1_suspended", "flag", "a.suspended", _("1 when the first country's membership was suspended that year.")
    ),
    Column(
        "country2_suspended",
        "flag",
        "b.suspended",
        _("1 when the second country's membership was suspended that year."),
    ),
    Column("bloc_name_ru", "text", "a.bloc_name_ru", BLOC_NAME_RU.description),
]


source_col = partial(column_sql, Source, "s")
BLOC_SOURCES, BLOC_SOURCES_JOIN = _keys("bs", "b", Bloc.sources.through, "bloc", "source", "key")
BLOC_PREDECESSORS, BLOC_PREDECESSORS_JOIN = _keys(
    "bp", "b", Bloc.predecessors.through, "successor", "predecessor", "slug"
)

SOURCE_COLUMNS = [
    Column(
        "source_key",
        "text",
        source_col("key"),
        _("The source's stable key, as the other datasets' source_keys name it."),
    ),
    Column("title", "text", f"NULLIF({source_col('title')}, '')", _("Title of the page or document.")),
    Column("publisher", "text", f"NULLIF({source_col('publisher')}, '')", _("Who published it.")),
    Column(
        "kind",
        "text",
        f"NULLIF({source_col('kind')}, '')",
        _("What sort of source it is (news, an official page, ...)."),
    ),
    Column("url", "text", f"NULLIF({source_col('url')}, '')", _("Where to read it; empty when none is recorded.")),
    *_partial(Source, "s", "published", _("Published")),
]

COUNTRY_COLUMNS = [*COUNTRY]

BLOC_COLUMNS = [
    *BLOC,
    Column("kind", "text", bloc_col("kind"), _("What sort of bloc it is: military_alliance, economic_union, ...")),
    *_partial(Bloc, "b", "founded", _("Founded")),
    *_partial(Bloc, "b", "dissolved", _("Dissolved")),
    Column(
        "parent_slug",
        "text",
        column_sql(Bloc, "p", "slug"),
        _("The bloc this one sits inside (the CRRF inside the CSTO); empty when none."),
    ),
    Column(
        "predecessor_slugs",
        "text",
        BLOC_PREDECESSORS,
        _("Blocs this one continued or absorbed, separated by semicolons."),
    ),
    Column("source_keys", "text", BLOC_SOURCES, _("Keys of the sources for the bloc, separated by semicolons.")),
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
{_joins(part, SPELL_SOURCES_JOIN)}
{SPELL_DISPUTED_JOIN}
WHERE {SPELL_IN_YEARS}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}, {spell_col("start")}"""


def _members_on_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(MEMBERS_ON_COLUMNS)}
FROM {_as_read(MembershipClaim, reading)} m
JOIN {T["country"]} c ON {country_col("id")} = {spell_col("country")}
JOIN {T["bloc"]} b ON {bloc_col("id")} = {spell_col("bloc")}
{_joins(part, SPELL_SOURCES_JOIN)}
WHERE {Membership.in_force_sql("m", DAY)}{f" AND {PART_SPELLS}" if part else ""}
ORDER BY {bloc_col("slug")}, {country_col("alpha3")}"""


def _events_sql(part=None, reading=False):
    return f"""
SELECT
  {_select(EVENT_COLUMNS)}
FROM {T["event"]} e
{_joins(part, EVENT_BLOCS_JOIN, EVENT_COUNTRIES_JOIN, EVENT_SOURCES_JOIN)}
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


def whole_file(scope):
    """A table of a few thousand rows at most, sent in one part: its query starts at once."""
    return [{}]


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
            whole_file,
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
        raise BadRequest(
            gettext('"%(raw)s" is not a year: give ?%(name)s= as four digits, such as 1992.')
            % {"raw": raw[:40], "name": name}
        )
    return int(raw)


def parse_scope(request, spec, first_year):
    """The years and the date asked for, checked; raises BadRequest with a reader's explanation."""
    today = datetime.date.today()
    scope = {"first": _year(request, "from"), "last": _year(request, "to")}
    scope["first"] = scope["first"] or first_year or today.year
    scope["last"] = scope["last"] or today.year
    if scope["first"] > scope["last"]:
        raise BadRequest(
            gettext("?from=%(first)s comes after ?to=%(last)s: the first year must come first.")
            % {"first": scope["first"], "last": scope["last"]}
        )
    if scope["last"] - scope["first"] >= MAX_YEARS:
        raise BadRequest(gettext("Ask for at most %(most)d years at a time.") % {"most": MAX_YEARS})
    raw_day = request.GET.get("date", "").strip()
    if spec.by_date and raw_day:
        try:
            scope["day"] = datetime.date.fromisoformat(raw_day)
        except ValueError:
            raise BadRequest(not_a_date(raw_day))
        if len(raw_day) != 10:
            raise BadRequest(not_a_date(raw_day))
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


def not_a_date(raw):
    return gettext('"%(raw)s" is not a date: give ?date= as YYYY-MM-DD, such as 2012-06-28.') % {"raw": raw[:40]}


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


def data_catalogue(request, changed_at):
    """/data/ as a schema.org Dataset, with each dataset's CSV and XLSX as downloads, for dataset search engines."""
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": "Eurasia's blocs",
        "description": "A curated, sourced history of Eurasia's alliances and unions: who belonged to what, and when. "
        "Membership spells, members on a date, country-year and dyad-year tables in the Correlates of War style, "
        "events, sources, countries and blocs.",
        "url": request.build_absolute_uri(reverse("data:index")),
        "creator": {"@type": "Organization", "name": "Eurasia's blocs"},
        "isAccessibleForFree": True,
        "keywords": ["alliances", "international organisations", "Eurasia", "membership", "Correlates of War"],
        "variableMeasured": sorted({c.name for spec in DATASETS.values() for c in spec.columns}),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"{spec.title} ({extension.upper()})",
                "encodingFormat": CSV_CONTENT_TYPE.split(";")[0] if extension == "csv" else XLSX_CONTENT_TYPE,
                "contentUrl": request.build_absolute_uri(reverse("data:download", args=[spec.slug, extension])),
            }
            for spec in DATASETS.values()
            for extension in ("csv", "xlsx")
        ],
    }
    if changed_at:
        data["dateModified"] = changed_at.date().isoformat()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Inside <script>, "<" must not start a tag: escaped, the JSON reads the same.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@require_safe
@cached_until_records_change
def index(request):
    changed_at, first_year = data_facts()
    context = {
        "json_ld": data_catalogue(request, changed_at),
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


def one_after_another(parts):
    """The rows or chunks of each part in turn.

    A generator, not itertools.chain: a download closed half way closes the part it was reading,
    ending that part's COPY or cursor before anything else uses the connection (a rollback behind a
    COPY still open would wait on it for ever).
    """
    for part in parts:
        yield from part


@require_safe
def download(request, dataset, extension):
    spec = DATASETS.get(dataset)
    if spec is None or extension not in ("csv", "xlsx"):
        raise Http404(gettext("No such dataset."))
    changed_at, first_year = data_facts()
    try:
        scope = parse_scope(request, spec, first_year)
    except BadRequest as e:
        return _bad_request(request, str(e))
    headers = [c.name for c in spec.columns]
    reading = bool(scope.get("reading"))
    parts = spec.parts(scope)
    if extension == "csv":
        sql = {part: spec.sql(neutralise=True, part=part, reading=reading) for part in (FIRST, REST)}
        body = one_after_another(
            copy_csv(sql[REST if n else FIRST], {**scope, **p}, header=n == 0) for n, p in enumerate(parts)
        )
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    else:
        sql = {part: spec.sql(neutralise=False, part=part, reading=reading) for part in (FIRST, REST)}
        rows = one_after_another(stream_rows(sql[REST if n else FIRST], {**scope, **p}) for n, p in enumerate(parts))
        body = xlsx_chunks(headers, rows, title=spec.slug)
        response = StreamingHttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name(spec, scope, changed_at, extension))
    if changed_at:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    return response
