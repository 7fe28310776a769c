"""Claims and readings through the API: what each source says about a disputed date, as the /data/ claims file has it.

A claim belongs to one of three tables (blocs/claims.py, events/models.py): a bloc's, a spell's or
an event's. The list pages through the three as one, ordered by (record kind, claim id), and a page
is one query: the page's keys first (filters, cursor and LIMIT over the union), then each kind's
claims of that page with their record's natural keys, reading, sources and disputed flag.
"""

from django.db import connection
from django.http import Http404
from ninja import Query, Router

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Rank, Reading, Source
from blocs.periods import column_sql
from eurasia.routers import read_connection
from events.models import Event, EventBloc, EventClaim, EventCountry
from public.links import NUMBER_MARK, SLUG_MARK

from . import schemas
from .paging import ERRORS, Pager, addresses, fast_partial, json_response, lookup, takes
from .problems import bad_parameter

router = Router(tags=["claims"])

RECORD_KINDS = ("bloc", "event", "membership")  # in the list's order


def quote(name):
    return connection.ops.quote_name(name)


def table(model, alias):
    return f"{quote(model._meta.db_table)} {alias}"


def _owner(claim_model, alias="k"):
    return column_sql(claim_model, alias, claim_model.OWNER)


def _keys_part(kind, claim_model, params):
    """The ids of one kind's claims that the filters keep: SQL over the claim table as k."""
    bloc, country = params["bloc"], params["country"]
    where = ["true"]
    if params["rank"]:
        where.append("k.rank = %(rank)s")
    if params["reading"]:
        where.append("k.reading_id = %(reading)s")
    joins = ""
    if claim_model is MembershipClaim:
        joins = f"JOIN {table(Membership, 'm')} ON {column_sql(Membership, 'm', 'id')} = {_owner(claim_model)}"
        if bloc:
            where.append(f"{column_sql(Membership, 'm', 'bloc')} = %(bloc)s")
        if country:
            where.append(f"{column_sql(Membership, 'm', 'country')} = %(country)s")
    elif claim_model is BlocClaim:
        if bloc:
            where.append(f"{_owner(claim_model)} = %(bloc)s")
        if country:
            where.append("false")  # a bloc's dates belong to no country
    else:
        for link, name, value in ((EventBloc, "bloc", bloc), (EventCountry, "country", country)):
            if value:
                where.append(
                    f"EXISTS (SELECT 1 FROM {table(link, 'l')} WHERE {column_sql(link, 'l', 'event')} = "
                    f"{_owner(claim_model)} AND {column_sql(link, 'l', name)} = %({name})s)"
                )
    conditions = " AND ".join(f"({w})" for w in where)
    return f"SELECT '{kind}'::text AS record_kind, k.id FROM {table(claim_model, 'k')} {joins} WHERE {conditions}"


def _details_part(kind, claim_model):
    """One kind's claims of the page, with what the answer shows of each."""
    links = claim_model.sources.through
    sources = (
        f"(SELECT array_agg({column_sql(Source, 's', 'key')} ORDER BY {column_sql(Source, 's', 'key')}) "
        f"FROM {table(links, 'l')} JOIN {table(Source, 's')} ON {column_sql(Source, 's', 'id')} = "
        f"{column_sql(links, 'l', 'source')} WHERE {column_sql(links, 'l', 'claim')} = k.id)"
    )
    disputed = (
        f"EXISTS (SELECT 1 FROM {table(claim_model, 'o')} WHERE {_owner(claim_model, 'o')} = {_owner(claim_model)} "
        f"AND o.field = k.field AND o.rank <> '{Rank.PREFERRED}')"
    )
    if claim_model is MembershipClaim:
        keys = (
            f"{column_sql(Country, 'c', 'alpha3')}, {column_sql(Bloc, 'b', 'slug')}, "
            f"{column_sql(Membership, 'm', 'start')}, {column_sql(Membership, 'm', 'start_precision')}, "
            "NULL::bigint, NULL::date, NULL::text, NULL::text"
        )
        joins = (
            f"JOIN {table(Membership, 'm')} ON {column_sql(Membership, 'm', 'id')} = {_owner(claim_model)} "
            f"JOIN {table(Country, 'c')} ON {column_sql(Country, 'c', 'id')} = {column_sql(Membership, 'm', 'country')} "
            f"JOIN {table(Bloc, 'b')} ON {column_sql(Bloc, 'b', 'id')} = {column_sql(Membership, 'm', 'bloc')}"
        )
    elif claim_model is BlocClaim:
        keys = (
            f"NULL::text, {column_sql(Bloc, 'b', 'slug')}, NULL::date, NULL::text, "
            "NULL::bigint, NULL::date, NULL::text, NULL::text"
        )
        joins = f"JOIN {table(Bloc, 'b')} ON {column_sql(Bloc, 'b', 'id')} = {_owner(claim_model)}"
    else:
        keys = (
            f"NULL::text, NULL::text, NULL::date, NULL::text, {column_sql(Event, 'e', 'id')}, "
            f"{column_sql(Event, 'e', 'date')}, {column_sql(Event, 'e', 'date_precision')}, "
            f"{column_sql(Event, 'e', 'title')}"
        )
        joins = f"JOIN {table(Event, 'e')} ON {column_sql(Event, 'e', 'id')} = {_owner(claim_model)}"
    return (
        f"SELECT p.record_kind, k.id, {keys}, k.field, k.value, k.value_precision, k.rank, k.reason, "
        f"{column_sql(Reading, 'rd', 'key')}, {sources}, {disputed} "
        f"FROM page p JOIN {table(claim_model, 'k')} ON k.id = p.id "
        f"{joins} LEFT JOIN {table(Reading, 'rd')} ON {column_sql(Reading, 'rd', 'id')} = k.reading_id "
        f"WHERE p.record_kind = '{kind}'"
    )


CLAIM_MODELS = {"bloc": BlocClaim, "event": EventClaim, "membership": MembershipClaim}
COLUMNS = (
    "record_kind id country bloc spell_start spell_start_precision event_id event_date event_date_precision "
    "event_title field value value_precision rank reason reading sources disputed"
).split()


def claim_rows(params, kinds, limit, after):
    keys = " UNION ALL ".join(_keys_part(kind, CLAIM_MODELS[kind], params) for kind in kinds)
    keyset = "WHERE (u.record_kind, u.id) > (%(after_kind)s, %(after_id)s)" if after else ""
    details = " UNION ALL ".join(_details_part(kind, CLAIM_MODELS[kind]) for kind in kinds)
    sql = (
        f"WITH page AS MATERIALIZED (SELECT u.record_kind, u.id FROM ({keys}) u {keyset} "
        f"ORDER BY u.record_kind, u.id LIMIT {limit + 1}) "
        f"SELECT * FROM ({details}) d ORDER BY 1, 2"
    )
    if after:
        params = {**params, "after_kind": after[0], "after_id": after[1]}
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def claim_out(country_page, bloc_page, event_page):
    def shape(r):
        kind = r["record_kind"]
        if kind == "membership":
            page = country_page(r["country"].lower())
        elif kind == "bloc":
            page = bloc_page(r["bloc"])
        else:
            page = event_page(r["event_id"])
        return {
            "record_kind": kind,
            "fact": {
                "country": r["country"],
                "bloc": r["bloc"],
                "spell_start": fast_partial(r["spell_start"], r["spell_start_precision"]),
                "event_date": fast_partial(r["event_date"], r["event_date_precision"]),
                "event_title": r["event_title"],
                "page": page,
            },
            "field": r["field"],
            "value": fast_partial(r["value"], r["value_precision"]),
            "rank": r["rank"],
            "reason": r["reason"],
            "reading": r["reading"],
            "sources": r["sources"] or [],
            "disputed": r["disputed"],
        }

    return shape


@router.get("/claims", response={200: schemas.page_of(schemas.Claim, "ClaimPage"), **ERRORS})
@takes()
def claims(
    request,
    bloc: str | None = Query(None, description="A bloc's slug: its own dates, its spells' and its events'."),
    country: str | None = Query(None, description="A country's alpha-3 code: its spells' dates and its events'."),
    record_kind: schemas.RecordKinds | None = None,
    rank: schemas.Ranks | None = None,
    reading: str | None = Query(None, description="A reading's key (GET /api/v1/readings): its claims only."),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Claims per page, 1 to 1000; 100 when left out."),
):
    """Every claim about a dated fact, as the /data/ claims file lists them: bloc claims, then events', then spells'."""
    pager = Pager(request, "claims", [str, int], limit, cursor)
    found_reading = None
    if reading is not None and reading.strip():
        found_reading = lookup(Reading, "key", "reading", reading.strip()[:61], "reading")
    found_bloc = lookup(Bloc, "slug", "bloc", bloc, "bloc")
    found_country = lookup(Country, "alpha3", "country", country, "country with the alpha-3 code")
    params = {
        "bloc": found_bloc.pk if found_bloc else None,
        "country": found_country.pk if found_country else None,
        "rank": rank,
        "reading": found_reading.pk if found_reading else None,
    }
    kinds = [record_kind] if record_kind else list(RECORD_KINDS)
    if pager.after and pager.after[0] not in RECORD_KINDS:
        raise bad_parameter("cursor", "?cursor= is not a cursor of this list: use the next link of a page as it is.")
    rows = claim_rows(params, kinds, pager.limit, pager.after)
    shape = claim_out(
        addresses(request, "blocs:country", SLUG_MARK),
        addresses(request, "blocs:bloc", SLUG_MARK),
        addresses(request, "events:event", NUMBER_MARK),
    )
    return pager.page(rows, lambda r: [r["record_kind"], r["id"]], shape)


# Readings -----------------------------------------------------------------------------------------


def reading_out(r):
    return {"key": r.key, "name": r.name, "citation": r.citation, "url": r.url or None}


@router.get("/readings", response={200: schemas.page_of(schemas.Reading, "ReadingPage"), **ERRORS})
@takes()
def readings(request, cursor: str | None = None, limit: int | None = None):
    """Every reading (a published dataset or authority whose coding claims follow), by key."""
    pager = Pager(request, "readings", [str], limit, cursor)
    qs = Reading.objects.order_by("key")
    if pager.after:
        qs = qs.filter(key__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda r: [r.key], reading_out)


@router.get("/readings/{key}", response={200: schemas.Reading, 404: schemas.Problem, **ERRORS})
@takes()
def reading(request, key: str):
    """One reading, by the key that ?reading= takes (atop-4-01)."""
    found = Reading.objects.filter(key=key).first() if len(key) <= 60 else None
    if found is None:
        raise Http404(f'There is no reading "{key[:60]}".')
    return json_response(reading_out(found))
