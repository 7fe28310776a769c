"""The records through the API: countries, blocs, sources, membership spells and events."""

import datetime

from django.db.models import BooleanField, Exists, F, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from ninja import Query, Router

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipLinks, Rank, Source
from eurasia.partial_dates import PartialDate
from events.models import Event, EventLinks
from public.links import NUMBER_MARK, SLUG_MARK

from . import schemas
from .paging import (
    ERRORS,
    Pager,
    addresses,
    fast_partial,
    json_response,
    kept,
    keyset_after,
    lookup,
    page_query,
    page_url,
    partial,
    sources_fragment,
    sources_of,
    takes,
    with_sources,
)
from .problems import bad_parameter, parse_day, parse_year

router = Router(tags=["records"])

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


@router.get("/countries", response={200: schemas.page_of(schemas.Country, "CountryPage"), **ERRORS})
@takes()
def countries(request, cursor: str | None = None, limit: int | None = None):
    """Every country, by alpha-3 code."""
    pager = Pager(request, "countries", [str], limit, cursor)
    qs = Country.objects.order_by("alpha3")
    if pager.after:
        qs = qs.filter(alpha3__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda c: [c.alpha3], lambda c: country_out(request, c))


@router.get("/countries/{alpha3}", response={200: schemas.Country, 404: schemas.Problem, **ERRORS})
@takes()
def country(request, alpha3: str):
    """One country, by its alpha-3 code (RUS)."""
    found = Country.objects.filter(alpha3=alpha3.upper()[:3]).first() if len(alpha3) == 3 else None
    if found is None:
        raise Http404(f'There is no country with the alpha-3 code "{alpha3[:60]}".')
    return json_response(country_out(request, found))


def blocs_qs():
    others = BlocClaim.objects.filter(bloc=OuterRef("pk")).exclude(rank=Rank.PREFERRED)
    blocs = Bloc.objects.select_related("parent").only(*BLOC_FIELDS).annotate(disputed=Exists(others))
    return with_sources(blocs).prefetch_related(
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
        "disputed": b.disputed,
        "sources": sources_of(b),
        "page": page_url(request, "blocs:bloc", b.slug),
    }


@router.get("/blocs", response={200: schemas.page_of(schemas.Bloc, "BlocPage"), **ERRORS})
@takes()
def blocs(request, cursor: str | None = None, limit: int | None = None):
    """Every bloc, by slug, with its parent, predecessors, successors and sources."""
    pager = Pager(request, "blocs", [str], limit, cursor)
    qs = blocs_qs().order_by("slug")
    if pager.after:
        qs = qs.filter(slug__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda b: [b.slug], lambda b: bloc_out(request, b))


@router.get("/blocs/{slug}", response={200: schemas.Bloc, 404: schemas.Problem, **ERRORS})
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


@router.get("/sources", response={200: schemas.page_of(schemas.Source, "SourcePage"), **ERRORS})
@takes()
def sources(request, cursor: str | None = None, limit: int | None = None):
    """Every source, by key. A source has no page of its own on the site: `url` is where to read it."""
    pager = Pager(request, "sources", [str], limit, cursor)
    qs = Source.objects.defer("notes").order_by("key")
    if pager.after:
        qs = qs.filter(key__gt=pager.after[0])
    return pager.page(qs[: pager.limit + 1], lambda s: [s.key], lambda s: source_out(request, s))


@router.get("/sources/{key}", response={200: schemas.Source, 404: schemas.Problem, **ERRORS})
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
            "disputed": bool(m["disputed"]),
            "sources": sources_fragment(m["sources"]),
            "page": country_page(m["country_code"].lower()),
        }

    return shape


@router.get("/memberships", response={200: schemas.page_of(schemas.Membership, "MembershipPage"), **ERRORS})
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
        "page.id",
        MEMBERSHIP_LINKS,
        country_code=F("country__alpha3"),
        bloc_slug=F("bloc__slug"),
    )
    country_page = addresses(request, "blocs:country", SLUG_MARK)
    return pager.page(rows, lambda m: [m["id"]], membership_out(country_page))


# Each spell's sources and disputed flag, as the database keeps them (blocs.models.MembershipLinks).
MEMBERSHIP_LINKS = kept(MembershipLinks, ["sources", "disputed"])

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
            "disputed": bool(e["disputed"]),
            "sources": sources_fragment(e["sources"]),
            "page": event_page(e["id"]),
        }

    return shape


# Each event's blocs, countries, sources and disputed flag, as the database keeps them: one look-up
# per event instead of three link tables and their other ends (docs/performance.md, "Read API").
EVENT_LINKS = kept(EventLinks, ["blocs", "countries", "sources", "disputed"])


@router.get("/events", response={200: schemas.page_of(schemas.Event, "EventPage"), **ERRORS})
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
    qs, ends = Event.objects.all(), []
    if found := lookup(Bloc, "slug", "bloc", bloc, "bloc"):
        qs = qs.for_bloc(found)
        ends.append(found)
    if found := lookup(Country, "alpha3", "country", country, "country with the alpha-3 code"):
        qs = qs.for_country(found)
        ends.append(found)
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
    page = qs[: pager.limit + 1]
    if len(ends) == 1 and not kind and not words:
        # One bloc's or country's events, newest first: their keys come from the table the database
        # keeps in date order (events.models.EventDate), one index range, rather than from looking
        # each of their thousands up for its date and sorting them all.
        end = ends[0]
        page = Event.objects.newest_of(
            end, pager.limit + 1, first=first and first.date, last=last and last.last_day, after=pager.after
        )
    rows = page_query(page, EVENT_FIELDS, "page.date DESC, page.id DESC", EVENT_LINKS)
    event_page = addresses(request, "events:event", NUMBER_MARK)
    return pager.page(rows, lambda e: [e["date"], e["id"]], event_out(event_page))


def partial_bound(name, raw):
    if raw is None or raw == "":
        return None
    try:
        return PartialDate.parse(raw) if len(raw) in (4, 7, 10) else PartialDate.parse("x")
    except ValueError:
        raise bad_parameter(name, f'?{name}=: "{raw[:40]}" is not a date: give 2010, 2010-06 or 2010-06-28.')
