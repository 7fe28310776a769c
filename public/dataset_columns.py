"""The columns of the public datasets at /data/, and the pieces of SQL they are made of.

Each column names itself, its kind, the SQL that computes it and its codebook description, so the
files, the codebook page and docs/codebook.md describe the same columns (public/datasets.py builds
the queries from these lists).
"""

from dataclasses import dataclass
from functools import partial

from django.db import connection
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from blocs.models import (
    Bloc,
    Country,
    Membership,
    MembershipClaim,
    MembershipSource,
    Rank,
    Role,
    Source,
)
from blocs.periods import column_sql
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


def link_joins(part, *joins):
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
DISPUTED_TEXT = _(
    "1 when the sources disagree on one of its dates (the claims dataset lists what each says), else 0; "
    "the dates given are the preferred ones."
)


def as_read(claim_model, reading):
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


CLAIM_COLUMNS = [
    Column("record_kind", "text", "k.record_kind", _("What the claim is about: membership, bloc or event.")),
    Column(
        "country_alpha3", "text", "k.country_alpha3", _("The spell's country (alpha-3); empty for a bloc or an event.")
    ),
    Column("bloc_slug", "text", "k.bloc_slug", _("The spell's bloc, or the bloc itself; empty for an event.")),
    Column(
        "spell_start",
        "date",
        "k.spell_start",
        _(
            "The start the record stores for the spell: with country and bloc, "
            "the spell's key; empty for a bloc or an event."
        ),
    ),
    Column("event_date", "date", "k.event_date", _("The event's stored date: with its title, the event's key.")),
    Column("event_title", "text", "k.event_title", _("The event's title; empty for a spell or a bloc.")),
    Column(
        "field",
        "text",
        "k.field",
        _(
            "Which date of the record: start, end, suspension_start, suspension_end "
            "(spells), founded, dissolved (blocs) or date (events)."
        ),
    ),
    Column(
        "value",
        "date",
        "k.value",
        _(
            'The date the claim gives: the first day of its period; empty for "no such '
            'date" (it never happened, such as a withdrawal that never formally took place).'
        ),
    ),
    Column(
        "value_precision",
        "text",
        "CASE WHEN k.value IS NULL THEN NULL ELSE k.value_precision END",
        _("How much of the claimed date is known: day, month or year."),
    ),
    Column(
        "rank",
        "text",
        "k.rank",
        _(
            "preferred (the value the record and the other datasets use), alternative "
            "(another reading the sources support) or deprecated (refuted; the reason says why)."
        ),
    ),
    Column("reason", "text", "NULLIF(k.reason, '')", _("Why this value, in one line.")),
    Column(
        "reading_key",
        "text",
        "rd.key",
        _("The reading it follows, as ?reading= names it (atop-4-01); empty when none."),
    ),
    Column("reading_name", "text", "rd.name", _("The reading's name (ATOP v4.01).")),
    Column("source_keys", "text", "k.keys", _("Keys of the sources that give this value, separated by semicolons.")),
    Column(
        "disputed",
        "flag",
        "k.disputed",
        _("1 when the date has a claim other than the preferred one (it is disputed), else 0."),
    ),
]
