"""The read API, /api/v1/: every record and dataset as JSON, by natural keys, in pages with a cursor.

Answers are built as dictionaries and written with orjson: the OpenAPI schema (api/schemas.py)
describes them, and the schemathesis test holds them to it. Validating each record through
pydantic again on the way out would double the time of a page of 100. A page of memberships or
events is one query: the records, with their blocs, countries and sources aggregated in SQL for
that page only (PageQuery); docs/performance.md has the figures.
HTTP around the answers (rate limit, ETag, CORS) is api/middleware.py.
"""

import datetime
from functools import wraps

import orjson
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.db.models import BooleanField, F, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse
from django.urls import reverse
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError
from ninja.openapi.views import openapi_view

from blocs.models import Bloc, Country, Membership, MembershipSource, Source
from blocs.periods import column_sql
from eurasia.partial_dates import PartialDate
from eurasia.routers import read_connection
from events.models import Event, EventBloc, EventCountry, EventSource
from public.datasets import DATASETS, MAX_YEARS, data_facts, per_bloc_sql
from public.links import NUMBER_MARK, SLUG_MARK

from . import schemas
from .problems import (
    Problem,
    bad_parameter,
    check_known,
    decode_cursor,
    encode_cursor,
    parse_day,
    parse_limit,
    parse_year,
    problem_response,
)

DESCRIPTION = """Read-only JSON over the record: countries, blocs, sources, membership spells, events,
and the /data/ datasets (members on a date, country-year, dyad-year). Records are named by
natural keys (alpha-3 codes, bloc slugs, source keys). Lists come in pages: follow `next` (also
sent as a `Link` header) until it is null. Dates carry their precision and never invent a day.
Errors are application/problem+json. See docs/api.md for examples in curl, Python and R."""

ERRORS = {304: None, 400: schemas.Problem, 429: schemas.Problem, 503: schemas.Problem}


class EurasiaAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with error answers typed as problem documents and 304 without a body."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for code, answer in operation["responses"].items():
                    content = answer.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        answer["content"] = {"application/problem+json": content.pop("application/json")}
                    if int(code) == 304:
                        answer.pop("content", None)
                        answer["description"] = "Not modified since the ETag or date given"
        return schema


api = EurasiaAPI(
    title="Eurasia read API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def on_problem(request, exc):
    return problem_response(exc.status, exc.title, exc.detail, exc.parameter, exc.headers)


@api.exception_handler(ValidationError)
def on_invalid(request, exc):
    error = exc.errors[0]
    name = str(error.get("loc", ["", "?"])[-1])
    return problem_response(400, "Bad parameter", f"?{name}=: {error.get('msg', 'not valid')}.", name)


@api.exception_handler(OperationalError)
def on_timeout(request, exc):
    from psycopg import errors

    if not isinstance(exc.__cause__, errors.QueryCanceled):
        raise exc
    detail = (
        f"The database took longer than {settings.STATEMENT_TIMEOUT_SECONDS:g} seconds and the request was stopped: "
        "narrow it (a bloc, fewer years) or try again in a moment."
    )
    return problem_response(503, "Taking too long", detail)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem_response(404, "Not found", str(exc) or "No such record.")


def docs(request):
    """The interactive documentation at /api/, drawn from ninja's own static copy of Swagger UI."""
    return openapi_view(request, api=api)


def takes(*extra):
    """Refuse query parameters the view does not declare (and repeated ones), before it runs."""

    def decorate(view):
        import inspect

        known = {"cursor", "limit", *extra}
        for name, parameter in inspect.signature(view).parameters.items():
            if name != "request":
                default = parameter.default
                known.add(getattr(default, "alias", None) or name)

        @wraps(view)
        def checked(request, *args, **kwargs):
            check_known(request, known)
            return view(request, *args, **kwargs)

        return checked

    return decorate


# Output --------------------------------------------------------------------------------------------


def json_response(body):
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def partial(day, precision):
    return None if day is None else {"date": PartialDate(day, precision).iso, "precision": precision}


# PartialDate.iso, cut from the ISO day: the same text for any year from 1 to 9999, without an object per date.
ISO_LENGTH = {"day": 10, "month": 7, "year": 4}


def fast_partial(day, precision):
    return None if day is None else {"date": day.isoformat()[: ISO_LENGTH[precision]], "precision": precision}


def sources_of(record):
    return [{"key": s.key, "title": s.title, "url": s.url or None} for s in record.sources.all()]


SOURCE_FIELDS = ("key", "title", "url")


def with_sources(qs):
    return qs.prefetch_related(Prefetch("sources", queryset=Source.objects.only(*SOURCE_FIELDS).order_by("key")))


class Pager:
    """A page of `limit` records after the cursor's key; the next page's address when there are more."""

    def __init__(self, request, order, kinds, limit, cursor):
        self.request, self.order, self.kinds = request, order, kinds
        self.limit = parse_limit(limit)
        self.after = decode_cursor(cursor, order, kinds)

    def page(self, rows, key, shape, resume=None):
        """The page's answer; `resume`, when the rows stop short, is the key the next page goes on after."""
        rows = list(rows)
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        next_url = None
        if more or resume:
            query = self.request.GET.copy()
            query["cursor"] = encode_cursor(self.order, key(rows[-1]) if more else resume)
            query["limit"] = str(self.limit)
            next_url = self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")
        response = json_response({"data": [shape(row) for row in rows], "next": next_url, "limit": self.limit})
        if next_url:
            response["Link"] = f'<{next_url}>; rel="next"'
        return response


def addresses(request, name, mark):
    """A maker of absolute page addresses for one kind of page: reversed once per request (public/links.py)."""
    pattern = request.build_absolute_uri(reverse(name, args=[mark]))
    mark = str(mark)
    return lambda key: pattern.replace(mark, str(key))


def linked(name, link, owner, target, aggregate):
    """A CTE of the page's records' links through `link`, aggregated per record by `aggregate` over `t`."""
    quote = connection.ops.quote_name
    targets = link._meta.get_field(target).related_model
    owner_id = column_sql(link, "l", owner)
    return (
        f"{name} AS (SELECT {owner_id} AS owner_id, {aggregate(partial_column(targets))} AS v "
        f"FROM {quote(link._meta.db_table)} l JOIN {quote(targets._meta.db_table)} t "
        f"ON {column_sql(targets, 't', targets._meta.pk.name)} = {column_sql(link, 'l', target)} "
        f"WHERE {owner_id} = ANY(ARRAY(SELECT id FROM page)) GROUP BY 1)"
    )


def partial_column(model):
    return lambda name: column_sql(model, "t", name)


def keys_of(field):
    return lambda col: f"array_agg({col(field)} ORDER BY {col(field)})"


def sources_json(col):
    pairs = f"'key', {col('key')}, 'title', {col('title')}, 'url', NULLIF({col('url')}, '')"
    return f"json_agg(json_build_object({pairs}) ORDER BY {col('key')})::text"


def page_query(qs, fields, links, order, **columns):
    """The page `qs` selects, as dictionaries, each with its links (`name: CTE`) aggregated: one query.

    The queryset (filters, keyset, order and LIMIT) becomes a materialised CTE, and each link table
    is read once for that page's ids and grouped, as public/datasets.py does for a whole file:
    no query per record, nor one per kind of link.
    """
    compiler = qs.values("id", *fields, **columns).query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    ctes = ", ".join([f"page AS MATERIALIZED ({sql})", *links.values()])
    joins = " ".join(f"LEFT JOIN {name} ON {name}.owner_id = page.id" for name in links)
    picks = "".join(f", {name}.v AS {name}" for name in links)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT page.*{picks} FROM page {joins} ORDER BY {order}", params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sources_fragment(text):
    """The sources as json_agg wrote them, put in the answer as they are."""
    return orjson.Fragment(text or "[]")


def keyset_after(model, columns, values, descending=False):
    """Rows after `values` in the order of `columns`, as one row comparison the index can answer."""
    table = model._meta.db_table
    left = ", ".join(column_sql(model, table, c) for c in columns)
    right = ", ".join(["%s"] * len(values))
    return RawSQL(f"({left}) {'<' if descending else '>'} ({right})", values, output_field=BooleanField())


def lookup(model, field, name, raw, what):
    """The record a filter names by its natural key; a problem naming the parameter when there is none."""
    if raw is None or raw == "":
        return None
    value = raw.upper() if field == "alpha3" else raw
    try:
        return model.objects.only("pk", field).get(**{field: value})
    except model.DoesNotExist:
        raise bad_parameter(name, f'?{name}=: there is no {what} "{raw[:60]}".')


def page_url(request, name, *args):
    return request.build_absolute_uri(reverse(name, args=args))


# Countries, blocs, sources ------------------------------------------------------------------------


def country_out(request, c):
    return {
        "alpha3": c.alpha3,
        "alpha2": c.alpha2,
        "cow_code": c.cow_code,
        "name": c.name,
        "other_names": [n.strip() for n in c.other_names.split(";") if n.strip()],
        "page": page_url(request, "blocs:country", c.alpha3.lower()),
    }


@api.get("/countries", response={200: schemas.page_of(schemas.Country, "CountryPage"), **ERRORS}, tags=["records"])
@takes()
def countries(request, cursor: str | None = None, limit: int | None = None):
    """Every country, by alpha-3 code."""
    pager = Pager(request, "countries", [str], limit, cursor)
    qs = Country.objects.order_by("alpha3")
    if pager.after:
        qs = qs.filter(alpha3__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda c: [c.alpha3], lambda c: country_out(request, c))


@api.get("/countries/{alpha3}", response={200: schemas.Country, 404: schemas.Problem, **ERRORS}, tags=["records"])
@takes()
def country(request, alpha3: str):
    """One country, by its alpha-3 code (RUS)."""
    found = Country.objects.filter(alpha3=alpha3.upper()[:3]).first() if len(alpha3) == 3 else None
    if found is None:
        raise Http404(f'There is no country with the alpha-3 code "{alpha3[:60]}".')
    return json_response(country_out(request, found))


def blocs_qs():
    return with_sources(Bloc.objects.select_related("parent").only(*BLOC_FIELDS)).prefetch_related(
        Prefetch("predecessors", queryset=Bloc.objects.only("slug").order_by("slug")),
        Prefetch("successors", queryset=Bloc.objects.only("slug").order_by("slug")),
    )


BLOC_FIELDS = (
    "slug",
    "name",
    "abbreviations",
    "kind",
    "founded",
    "founded_precision",
    "dissolved",
    "dissolved_precision",
    "description",
    "parent__slug",
)


def bloc_out(request, b):
    return {
        "slug": b.slug,
        "name": b.name,
        "abbreviations": b.abbreviations,
        "kind": b.kind,
        "founded": partial(b.founded, b.founded_precision),
        "dissolved": partial(b.dissolved, b.dissolved_precision),
        "parent": b.parent.slug if b.parent_id else None,
        "predecessors": [p.slug for p in b.predecessors.all()],
        "successors": [s.slug for s in b.successors.all()],
        "description": b.description,
        "sources": sources_of(b),
        "page": page_url(request, "blocs:bloc", b.slug),
    }


@api.get("/blocs", response={200: schemas.page_of(schemas.Bloc, "BlocPage"), **ERRORS}, tags=["records"])
@takes()
def blocs(request, cursor: str | None = None, limit: int | None = None):
    """Every bloc, by slug, with its parent, predecessors, successors and sources."""
    pager = Pager(request, "blocs", [str], limit, cursor)
    qs = blocs_qs().order_by("slug")
    if pager.after:
        qs = qs.filter(slug__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda b: [b.slug], lambda b: bloc_out(request, b))


@api.get("/blocs/{slug}", response={200: schemas.Bloc, 404: schemas.Problem, **ERRORS}, tags=["records"])
@takes()
def bloc(request, slug: str):
    """One bloc, by its slug (csto)."""
    found = blocs_qs().filter(slug=slug).first()
    if found is None:
        raise Http404(f'There is no bloc "{slug[:60]}".')
    return json_response(bloc_out(request, found))


def source_out(request, s):
    return {
        "key": s.key,
        "title": s.title,
        "publisher": s.publisher,
        "kind": s.kind,
        "url": s.url or None,
        "published": partial(s.published, s.published_precision),
    }


@api.get("/sources", response={200: schemas.page_of(schemas.Source, "SourcePage"), **ERRORS}, tags=["records"])
@takes()
def sources(request, cursor: str | None = None, limit: int | None = None):
    """Every source, by key. A source has no page of its own on the site: `url` is where to read it."""
    pager = Pager(request, "sources", [str], limit, cursor)
    qs = Source.objects.defer("notes").order_by("key")
    if pager.after:
        qs = qs.filter(key__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda s: [s.key], lambda s: source_out(request, s))


@api.get("/sources/{key}", response={200: schemas.Source, 404: schemas.Problem, **ERRORS}, tags=["records"])
@takes()
def source(request, key: str):
    """One source, by its key."""
    found = Source.objects.defer("notes").filter(key=key).first()
    if found is None:
        raise Http404(f'There is no source "{key[:60]}".')
    return json_response(source_out(request, found))


# Memberships and events ---------------------------------------------------------------------------


def membership_out(country_page):
    def shape(m):
        return {
            "country": m["country_code"],
            "bloc": m["bloc_slug"],
            "role": m["role"],
            "start": fast_partial(m["start"], m["start_precision"]),
            "suspension_start": fast_partial(m["suspension_start"], m["suspension_start_precision"]),
            "suspension_end": fast_partial(m["suspension_end"], m["suspension_end_precision"]),
            "suspension_kind": m["suspension_kind"] or None,
            "end": fast_partial(m["end"], m["end_precision"]),
            "end_reason": m["end_reason"] or None,
            "sources": sources_fragment(m["sources"]),
            "page": country_page(m["country_code"].lower()),
        }

    return shape


@api.get(
    "/memberships", response={200: schemas.page_of(schemas.Membership, "MembershipPage"), **ERRORS}, tags=["records"]
)
@takes()
def memberships(
    request,
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
    role: schemas.Roles | None = None,
    as_of: str | None = Query(None, description="Only spells in force on this day (YYYY-MM-DD)."),
    from_: int | None = Query(None, alias="from", description="Only spells that touch this year or later."),
    to: int | None = Query(None, description="Only spells that touch this year or earlier."),
    suspended: bool | None = Query(
        None, description="With as_of, suspended on that day; without, ever suspended (true) or never (false)."
    ),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Records per page, 1 to 1000; 100 when left out."),
):
    """Membership spells, in the order they were recorded, filtered as asked."""
    pager = Pager(request, "memberships", [int], limit, cursor)
    day = parse_day("as_of", as_of)
    first, last = parse_year("from", from_), parse_year("to", to)
    if first and last and first > last:
        raise bad_parameter("from", f"?from={first} comes after ?to={last}: the first year must come first.")
    qs = Membership.objects.all()
    if found := lookup(Bloc, "slug", "bloc", bloc, "bloc"):
        qs = qs.filter(bloc=found)
    if found := lookup(Country, "alpha3", "country", country, "country with the alpha-3 code"):
        qs = qs.filter(country=found)
    if role:
        qs = qs.filter(role=role)
    if day:
        qs = qs.filter(Membership.in_force_q(day))
    if first or last:
        table = Membership._meta.db_table
        in_years = Membership.in_force_sql(
            table, f"make_date({first or 1}, 1, 1)", f"make_date({last or 9999}, 12, 31)", widen=True
        )
        qs = qs.filter(RawSQL(in_years, [], output_field=BooleanField()))
    if suspended is not None:
        has = Membership.suspended_q(day) if day else Q(suspension_start__isnull=False)
        qs = qs.filter(has) if suspended else qs.exclude(has)
    if pager.after:
        qs = qs.filter(pk__gt=pager.after[0])
    rows = page_query(
        qs.order_by("pk")[: pager.limit + 1],
        MEMBERSHIP_FIELDS,
        {"sources": linked("sources", MembershipSource, "membership", "source", sources_json)},
        "page.id",
        country_code=F("country__alpha3"),
        bloc_slug=F("bloc__slug"),
    )
    country_page = addresses(request, "blocs:country", SLUG_MARK)
    return pager.page(rows, lambda m: [m["id"]], membership_out(country_page))


MEMBERSHIP_FIELDS = [f"{name}{suffix}" for name in Membership.PARTIAL_DATES for suffix in ("", "_precision")] + [
    "role",
    "suspension_kind",
    "end_reason",
]

EVENT_FIELDS = ("date", "date_precision", "end_date", "end_date_precision", "title", "kind", "location", "description")


def event_out(event_page):
    def shape(e):
        return {
            "date": fast_partial(e["date"], e["date_precision"]),
            "end_date": fast_partial(e["end_date"], e["end_date_precision"]),
            "title": e["title"],
            "kind": e["kind"],
            "location": e["location"],
            "description": e["description"],
            "blocs": e["blocs"] or [],
            "countries": e["countries"] or [],
            "sources": sources_fragment(e["sources"]),
            "page": event_page(e["id"]),
        }

    return shape


EVENT_LINKS = {
    "blocs": linked("blocs", EventBloc, "event", "bloc", keys_of("slug")),
    "countries": linked("countries", EventCountry, "event", "country", keys_of("alpha3")),
    "sources": linked("sources", EventSource, "event", "source", sources_json),
}


@api.get("/events", response={200: schemas.page_of(schemas.Event, "EventPage"), **ERRORS}, tags=["records"])
@takes()
def events(
    request,
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
    kind: schemas.EventKinds | None = None,
    from_: str | None = Query(
        None, alias="from", description="Events on or after this date: 2010, 2010-06 or 2010-06-28."
    ),
    to: str | None = Query(None, description="Events on or before this date (2012 means to its 31 December)."),
    q: str | None = Query(None, max_length=200, description="Words to find in the title, description and place."),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Records per page, 1 to 1000; 100 when left out."),
):
    """Events, newest first, filtered as asked; an event's date is the first day of its period."""
    pager = Pager(request, "events", [datetime.date, int], limit, cursor)
    first, last = partial_bound("from", from_), partial_bound("to", to)
    if first and last and first.date > last.last_day:
        raise bad_parameter("from", f"?from={first.iso} comes after ?to={last.iso}.")
    qs = Event.objects.all()
    if found := lookup(Bloc, "slug", "bloc", bloc, "bloc"):
        qs = qs.for_bloc(found)
    if found := lookup(Country, "alpha3", "country", country, "country with the alpha-3 code"):
        qs = qs.for_country(found)
    if kind:
        qs = qs.filter(kind=kind)
    if first:
        qs = qs.filter(date__gte=first.date)
    if last:
        qs = qs.filter(date__lte=last.last_day)
    words = (q or "").strip()
    if words:
        # Newest first rather than by rank, so that the cursor's (date, id) order holds for a search too.
        qs = qs.search(words).newest_first(few=True)
    else:
        qs = qs.newest_first()
    if pager.after:
        qs = qs.filter(keyset_after(Event, ["date", "id"], pager.after, descending=True))
    rows = page_query(qs[: pager.limit + 1], EVENT_FIELDS, EVENT_LINKS, "page.date DESC, page.id DESC")
    event_page = addresses(request, "events:event", NUMBER_MARK)
    return pager.page(rows, lambda e: [e["date"], e["id"]], event_out(event_page))


def partial_bound(name, raw):
    if raw is None or raw == "":
        return None
    try:
        return PartialDate.parse(raw) if len(raw) in (4, 7, 10) else PartialDate.parse("x")
    except ValueError:
        raise bad_parameter(name, f'?{name}=: "{raw[:40]}" is not a date: give 2010, 2010-06 or 2010-06-28.')


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
    query = per_bloc_sql(slug) if per_bloc else DATASETS[slug].sql(neutralise=False)
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


def known_key(model, field, name, raw, what):
    found = lookup(model, field, name, raw, what)
    return getattr(found, field) if found else None


@api.get("/members", response={200: schemas.page_of(schemas.MemberOnDate, "MemberPage"), **ERRORS}, tags=["datasets"])
@takes()
def members(
    request,
    date: str | None = Query(None, description="The day (YYYY-MM-DD); today when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
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
    rows = dataset_rows("members", {"first": day.year, "last": day.year, "day": day}, keys, pager, filters)

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


@api.get(
    "/country-year",
    response={200: schemas.page_of(schemas.CountryYear, "CountryYearPage"), **ERRORS},
    tags=["datasets"],
)
@takes()
def country_year(
    request,
    from_: int | None = Query(None, alias="from", description="First year; the record's first when left out."),
    to: int | None = Query(None, description="Last year; this year when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    country: str | None = Query(None, description="A country's alpha-3 code."),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """The /data/ country-year table: COW IGO status of each country in each bloc and year."""
    pager = Pager(request, "country-year", [str, str, int], limit, cursor)
    scope = years_scope(from_, to)
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


@api.get("/dyad-year", response={200: schemas.page_of(schemas.DyadYear, "DyadYearPage"), **ERRORS}, tags=["datasets"])
@takes()
def dyad_year(
    request,
    from_: int | None = Query(None, alias="from", description="First year; the record's first when left out."),
    to: int | None = Query(None, description="Last year; this year when left out."),
    bloc: str | None = Query(None, description="A bloc's slug."),
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """The /data/ dyad-year table: pairs of countries both full members of a bloc in a year."""
    pager = Pager(request, "dyad-year", [str, int, str, str], limit, cursor)
    scope = years_scope(from_, to)
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
