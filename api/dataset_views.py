"""The /data/ datasets through the API: members on a date, country-year and dyad-year, page by page."""

import datetime

from django.db import connection
from ninja import Query, Router

from blocs.models import Bloc, Country, Reading
from eurasia.routers import read_connection
from public.datasets import DATASETS, MAX_YEARS, data_facts, per_bloc_sql

from . import schemas
from .paging import ERRORS, Pager, lookup, page_url, partial, takes
from .problems import bad_parameter, parse_day, parse_year

router = Router(tags=["datasets"])

# The /data/ datasets --------------------------------------------------------------------------------


# How many blocs one page of dyad-year may look through (doubling from 8) before it answers with
# fewer rows than asked and a next link that goes on from the last bloc looked at.
MAX_ROUNDS = 5


def per_bloc_rows(slug, scope, keys, pager, bloc, filters):
    """One page of country-year or dyad-year, computed for the few blocs it reaches, not the whole table.

    Both tables are ordered by bloc first, so a page needs only the blocs from the cursor's on:
    country-year holds exactly countries x years rows per bloc, so their number is known; a bloc
    may have no dyads, so dyad-year doubles its share of blocs until the page is full, and after
    MAX_ROUNDS answers what it has, its next link pointing past the last bloc it looked at.
    """
    quote = connection.ops.quote_name
    table, country = quote(Bloc._meta.db_table), quote(Country._meta.db_table)
    where, params = "", []
    if bloc is not None:
        where, params = "WHERE slug = %s", [bloc]
    elif pager.after:
        where, params = "WHERE slug >= %s", [pager.after[0]]
    with read_connection().cursor() as cursor:
        cursor.execute(f"SELECT id, slug, (SELECT count(*) FROM {country}) FROM {table} {where} ORDER BY slug", params)
        blocs = cursor.fetchall()
    if not blocs:
        return [], None
    years = scope["last"] - scope["first"] + 1
    if slug == "country-year":
        share = -(-(pager.limit + 1) // max(1, blocs[0][2] * years)) + 1
    else:
        share = 8
    rows, taken = [], 0
    for _ in range(MAX_ROUNDS):
        chunk = blocs[taken : taken + share]
        taken += len(chunk)
        rows += dataset_rows(slug, {**scope, "blocs": [b[0] for b in chunk]}, keys, pager, filters, per_bloc=True)
        if len(rows) > pager.limit or taken >= len(blocs):
            return rows, None
        share *= 2
    return rows, blocs[taken - 1][1]


def dataset_rows(slug, scope, keys, pager, filters, per_bloc=False):
    """One page of a /data/ dataset: its own query, filtered and cut after the cursor's key."""
    where, params = [], dict(scope)
    for n, (column, value) in enumerate(filters):
        if value is not None:
            where.append(f"{column} = %(f{n})s")
            params[f"f{n}"] = value
    if pager.after:
        where.append(f"({', '.join(keys)}) > ({', '.join(f'%(k{n})s' for n in range(len(keys)))})")
        params.update({f"k{n}": value for n, value in enumerate(pager.after)})
    reading = scope.get("reading") is not None
    query = per_bloc_sql(slug, reading=reading) if per_bloc else DATASETS[slug].sql(neutralise=False, reading=reading)
    sql = (
        f"SELECT * FROM ({query}) d"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {', '.join(keys)} LIMIT {pager.limit + 1}"
    )
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def years_scope(from_, to):
    today = datetime.date.today()
    first, last = parse_year("from", from_), parse_year("to", to)
    first = first or data_facts()[1] or today.year
    last = last or today.year
    if first > last:
        raise bad_parameter("from", f"?from={first} comes after ?to={last}: the first year must come first.")
    if last - first >= MAX_YEARS:
        raise bad_parameter("to", f"Ask for at most {MAX_YEARS} years at a time.")
    return {"first": first, "last": last, "day": today}


READING_HELP = (
    "The key of a reading (GET /api/v1/readings), such as atop-4-01: each date that reading has a claim of its "
    "own about is taken from it, as /data/ does with ?reading=; the preferred dates when left out."
)


def reading_id(raw):
    """The id of the reading ?reading= names, as /data/ takes it (public/dataset_views.py parse_scope)."""
    if raw is None or raw.strip() == "":
        return None
    key = raw.strip()
    found = None
    if len(key) <= 60:
        found = Reading.objects.filter(key=key).values_list("pk", flat=True).first()
    if found is None:
        raise bad_parameter(
            "reading", f'?reading=: there is no reading "{key[:40]}": GET /api/v1/readings lists them and their keys.'
        )
    return found


def known_key(model, field, name, raw, what):
    found = lookup(model, field, name, raw, what)
    return getattr(found, field) if found else None


@router.get("/members", response={200: schemas.page_of(schemas.MemberOnDate, "MemberPage"), **ERRORS})
@takes()
def members(
    request,
    date: str | None = Query(None, description="The day (YYYY-MM-DD); today when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
    reading: str | None = Query(None, description=READING_HELP),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """Who belonged to what on one day: the /data/ members-on-a-date table, row for row."""
    pager = Pager(request, "members", [str, str], limit, cursor)
    day = parse_day("date", date) or datetime.date.today()
    filters = [
        ("bloc_slug", known_key(Bloc, "slug", "bloc", bloc, "bloc")),
        ("country_alpha3", known_key(Country, "alpha3", "country", country, "country with the alpha-3 code")),
    ]
    keys = ["bloc_slug", "country_alpha3"]
    scope = {"first": day.year, "last": day.year, "day": day, "reading": reading_id(reading)}
    rows = dataset_rows("members", scope, keys, pager, filters)

    def shape(r):
        return {
            "as_of": r["as_of"].isoformat(),
            "country": r["country_alpha3"],
            "country_name": r["country_name"],
            "bloc": r["bloc_slug"],
            "role": r["role"],
            "start": partial(r["start"], r["start_precision"]),
            "suspended": bool(r["suspended"]),
            "suspension_start": partial(r["suspension_start"], r["suspension_start_precision"]),
            "end": partial(r["end"], r["end_precision"]),
            "sources": (r["source_keys"] or "").split(";") if r["source_keys"] else [],
            "page": page_url(request, "blocs:country", r["country_alpha3"].lower()),
        }

    return pager.page(rows, lambda r: [r[k] for k in keys], shape)


@router.get(
    "/country-year",
    response={200: schemas.page_of(schemas.CountryYear, "CountryYearPage"), **ERRORS},
)
@takes()
def country_year(
    request,
    from_: int | None = Query(None, alias="from", description="First year; the record's first when left out."),
    to: int | None = Query(None, description="Last year; this year when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
    reading: str | None = Query(None, description=READING_HELP),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """The /data/ country-year table: COW IGO status of each country in each bloc and year."""
    pager = Pager(request, "country-year", [str, str, int], limit, cursor)
    scope = {**years_scope(from_, to), "reading": reading_id(reading)}
    filters = [
        ("bloc_slug", known_key(Bloc, "slug", "bloc", bloc, "bloc")),
        ("country_alpha3", known_key(Country, "alpha3", "country", country, "country with the alpha-3 code")),
    ]
    keys = ["bloc_slug", "country_alpha3", "year"]
    rows, _ = per_bloc_rows("country-year", scope, keys, pager, filters[0][1], filters)

    def shape(r):
        return {
            "country": r["country_alpha3"],
            "country_cow_code": r["country_cow_code"],
            "bloc": r["bloc_slug"],
            "year": r["year"],
            "status": r["status"],
            "suspended": bool(r["suspended"]),
            "page": page_url(request, "blocs:bloc", r["bloc_slug"]),
        }

    return pager.page(rows, lambda r: [r[k] for k in keys], shape)


@router.get("/dyad-year", response={200: schemas.page_of(schemas.DyadYear, "DyadYearPage"), **ERRORS})
@takes()
def dyad_year(
    request,
    from_: int | None = Query(None, alias="from", description="First year; the record's first when left out."),
    to: int | None = Query(None, description="Last year; this year when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    reading: str | None = Query(None, description=READING_HELP),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """The /data/ dyad-year table: pairs of countries both full members of a bloc in a year."""
    pager = Pager(request, "dyad-year", [str, int, str, str], limit, cursor)
    scope = {**years_scope(from_, to), "reading": reading_id(reading)}
    filters = [("bloc_slug", known_key(Bloc, "slug", "bloc", bloc, "bloc"))]
    keys = ["bloc_slug", "year", "country1_alpha3", "country2_alpha3"]
    rows, last_bloc = per_bloc_rows("dyad-year", scope, keys, pager, filters[0][1], filters)
    # Past every dyad of the last bloc looked at: no year reaches 10000.
    resume = [last_bloc, 10000, "", ""] if last_bloc else None

    def shape(r):
        return {
            "bloc": r["bloc_slug"],
            "year": r["year"],
            "country1": r["country1_alpha3"],
            "country1_cow_code": r["country1_cow_code"],
            "country2": r["country2_alpha3"],
            "country2_cow_code": r["country2_cow_code"],
            "country1_suspended": bool(r["country1_suspended"]),
            "country2_suspended": bool(r["country2_suspended"]),
            "page": page_url(request, "blocs:bloc", r["bloc_slug"]),
        }

    return pager.page(rows, lambda r: [r[k] for k in keys], shape, resume)
