"""Public history pages: the overview, blocs, countries, and who belonged to what on a given day."""

import datetime
import re

from django.core.paginator import InvalidPage, Paginator
from django.db.models import (
    Count,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from blocs.models import (
    Bloc,
    BlocClaim,
    Country,
    Membership,
    MembershipClaim,
    Role,
    Succession,
    local_name,
)
from eurasia.languages import in_language, in_reading_order
from eurasia.page_cache import cached_until_records_change
from eurasia.partial_dates import PartialDate, Precision
from events.models import Event, EventClaim

from . import charts, maps
from .disputes import claims_prefetch
from .event_views import with_links
from .links import event_url, url_for
from .map_data import bad_map_choice, country_statuses, map_choice_context
from .templatetags.record_display import disputes

EVENTS_LISTED = 20  # on a bloc's or a country's page; the rest are one click away on /events/
HOME_BLOCS = 12  # blocs with their members on the overview; the blocs page lists them all
# The overview shows the record's own period: the blocs from the end of the USSR.
OVERVIEW_FROM = datetime.date(1991, 1, 1)
TIMELINE_BLOCS = 40  # rows of the blocs' own timeline; the table beside it lists them all
CHIPS = 8  # blocs named beside each country on the countries page
RECENT_EVENTS = 8
# Pages stay bounded however large the record grows (about 250 KB of HTML at the full synthetic
# world, docs/performance.md): a bloc's countries or a country's blocs are drawn a page at a time,
# and a bloc's members are named up to a point, with a link to the rest.
ROWS_PER_PAGE = 25  # timeline rows, each with its spells in the table below, on a bloc's or a country's page
MEMBER_ROWS = 150  # members listed whole on the overview's cards or a page of a date; past it, each bloc's are cut
MEMBERS_NAMED = 20  # members named for each bloc once they are cut, with a link to the rest
MARKERS_DRAWN = 200  # events drawn on a timeline, newest first
BLOCS_LISTED = 200  # rows of the table of all blocs on one page
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALPHA3 = re.compile(r"^[A-Za-z]{3}$")


def today():
    return timezone.localdate()


def last_changed(*groups):
    """When the newest of the records shown on a page was last changed."""
    return max((obj.updated_at for group in groups for obj in group if obj is not None), default=None)


def parse_day(text):
    """A whole date from a URL or the date picker; a readable reason when it is not one."""
    text = text.strip()
    if not ISO_DAY.match(text):
        raise ValueError(
            gettext("“%(text)s” is not a date: write it as year-month-day, such as 2012-12-05.") % {"text": text[:40]}
        )
    value = PartialDate.parse(text)  # raises with "February 2013 has no day 30" and the like
    if value.precision != Precision.DAY:
        raise ValueError(gettext("“%(text)s” is not a whole date.") % {"text": text})
    return value.date


# A spell's sources as a plain list: a page of a thousand spells would otherwise build a related
# manager and a queryset for each one just to read what was prefetched.
def cited():
    return Prefetch("sources", to_attr="cited")


def map_of_day(request, blocs, day):
    """What the map of `day` colours, as the query string chooses: (choice, layers, each country's standing).

    `blocs` are all the blocs, with their parents loaded. Raises maps.BadChoice for a choice that
    cannot be drawn, whose message tells the reader why.
    """
    choice = maps.MapChoice.from_query(request.GET)
    existing = [b for b, _ in timeline_order([b for b in blocs if b.exists_on(day)])]
    by_slug = any(b.slug in maps.layer_slugs() for b in existing)
    layers = choice.layers({b.slug: b for b in blocs}, existing, by_slug)
    return choice, layers, country_statuses(day, layers, choice.is_article)


def page_of(request, items, per_page, what):
    """One page of `items`, the one ?page= names; a page that does not exist is not found, with why."""
    paginator = Paginator(items, per_page)
    number = request.GET.get("page", "1")
    try:
        return paginator.page(number)
    except InvalidPage:
        raise Http404(gettext("There is no page “%(page)s” of %(what)s.") % {"page": number[:20], "what": what})


def timeline_order(blocs):
    """Blocs by founding date, each force inside a bloc listed just after its parent."""
    first = datetime.date.max
    key = lambda b: (b.founded or first, b.name)  # noqa: E731
    ids = {b.pk for b in blocs}
    roots = sorted((b for b in blocs if b.parent_id not in ids), key=key)
    children = {}
    for b in blocs:
        if b.parent_id in ids:
            children.setdefault(b.parent_id, []).append(b)
    ordered = []

    def visit(bloc, depth):
        ordered.append((bloc, depth))
        for child in sorted(children.get(bloc.pk, []), key=key):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    return ordered


def with_members_on(blocs, day):
    """Blocs annotated with `members_now`: their spells in the member role in force on `day`."""
    # Counted per bloc in a subquery over its spells' (bloc, start) index: a join grouped by every
    # column of the blocs sorted all the spells of the record first (75 of 90 ms at the medium world).
    counted = (
        Membership.objects.filter(Membership.in_force_q(day), bloc=OuterRef("pk"), role=Role.MEMBER)
        .order_by()
        .values("bloc")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return blocs.annotate(members_now=Coalesce(Subquery(counted), 0))


def largest(blocs, most):
    """At most `most` blocs, those with the most members today, in their timeline order."""
    chosen = {b.pk for b in sorted(blocs, key=lambda b: (-b.members_now, b.founded or datetime.date.max))[:most]}
    return [b for b, _ in timeline_order(blocs) if b.pk in chosen]


def blocs_chart(blocs, successions, *, prefix, day):
    """The blocs' own timeline, and the blocs it draws: in a large record, those with the most members today."""
    shown = largest(blocs, TIMELINE_BLOCS)
    rows = []
    by_id = {}
    families = list(maps.FAMILIES)
    # Grouped by family (military, economic, political), each group in founding order.
    ordered = sorted(timeline_order(shown), key=lambda pair: families.index(maps.family_of(pair[0])))
    for bloc, depth in ordered:
        founded, dissolved = bloc.partial_date("founded"), bloc.partial_date("dissolved")
        span = f"{founded or gettext('founding date not recorded')} – {dissolved or gettext('today')}"
        row = charts.BlocRow(
            label=bloc.short_name,
            href=url_for(bloc),
            kind=bloc.kind,
            founded=founded,
            dissolved=dissolved,
            members_now=bloc.members_now if not dissolved else None,
            child=depth > 0,
            tooltip=f"{bloc.local_name} ({bloc.get_kind_display()}): {span}",
            key=bloc.pk,
        )
        rows.append(row)
        by_id[bloc.pk] = row
    links = [
        (by_id[s.predecessor_id], by_id[s.successor_id])
        for s in successions
        if s.predecessor_id in by_id and s.successor_id in by_id
    ]
    which = (
        ngettext(
            "The %(count)d bloc with the most members today",
            "The %(count)d blocs with the most members today",
            len(rows),
        )
        if len(shown) < len(blocs)
        else ngettext("%(count)d bloc", "%(count)d blocs", len(rows))
    ) % {"count": len(rows)}
    chart = charts.blocs_timeline(
        rows,
        links,
        today=day,
        prefix=prefix,
        since=OVERVIEW_FROM,
        title=gettext("The blocs over time"),
        desc=gettext(
            "%(which)s, grouped by family (military alliances, economic unions, political organisations), "
            "each drawn from its founding (or from 1991) to its dissolution or to today, "
            "coloured by kind, with dashed arrows from each bloc to the blocs that continued it. "
            "The table gives the same dates."
        )
        % {"which": which},
    )
    return chart, shown


def event_markers(events):
    return [
        charts.Marker(
            day=e["date"], label=f"{PartialDate(e['date'], e['date_precision'])}: {e['title']}", href=e["url"]
        )
        for e in events
    ]


def marker_values(end):
    """The newest MARKERS_DRAWN events of a bloc or a country, as a timeline marks them."""
    rows = list(Event.objects.newest_of(end, MARKERS_DRAWN).values("pk", "date", "date_precision", "title", "kind"))
    for row in rows:
        row["url"] = event_url(row["pk"])
    return rows


def named(blocs, members_of):
    """Each bloc with its members and how many more it has than are listed.

    Every member is listed while the blocs have MEMBER_ROWS between them (the seed's record always
    does); past that, each bloc's first MEMBERS_NAMED, and a link leads to the rest.
    """
    lists = [(bloc, members_of.get(bloc.pk, [])) for bloc in blocs]
    if sum(len(members) for _, members in lists) <= MEMBER_ROWS:
        return [(bloc, members, 0) for bloc, members in lists]
    return [(bloc, members[:MEMBERS_NAMED], max(0, len(members) - MEMBERS_NAMED)) for bloc, members in lists]


@cached_until_records_change
def home(request):
    day = today()
    # Queries: blocs with their parent, today's member count and their predecessors' ids; successions;
    # each country's standing for the map; today's spells in the blocs shown, with their countries; recent
    # events; their blocs; their sources.
    blocs = list(with_members_on(Bloc.objects.select_related("parent").with_predecessor_ids(), day))
    successions = list(Succession.objects.all())
    existing = [b for b in blocs if b.exists_on(day)]
    try:
        choice, layers, statuses = map_of_day(request, blocs, day)
    except maps.BadChoice as e:
        return bad_map_choice(request, e)
    shown = largest(existing, HOME_BLOCS)
    spells = in_reading_order(
        Membership.objects.active_on(day)
        .filter(bloc__in=[b.pk for b in shown])
        .select_related("country")
        .order_by(local_name("country__")),
        lambda m: m.country.local_name,
    )
    events = list(with_links(Event.objects.newest_first(), "blocs", "sources")[:RECENT_EVENTS])

    by_bloc = {}
    for spell in spells:
        by_bloc.setdefault(spell.bloc_id, []).append(spell)
    timeline, charted = blocs_chart(blocs, successions, prefix="blocs-chart", day=day)
    return render(
        request,
        "public/home.html",
        {
            "day": day,
            "existing": named(shown, by_bloc),
            "more_blocs": len(existing) - len(shown),
            "blocs": charted,
            "timeline": timeline,
            "abridged_chart": len(charted) < len(blocs),
            "region_map": maps.region_map(
                statuses,
                layers,
                day=day,
                prefix="map-today",
                title=gettext("The region today"),
                article=choice.is_article,
            ),
            **map_choice_context(choice, existing),
            "events": events,
            "last_changed": last_changed(blocs, spells, events),
        },
    )


@cached_until_records_change
def bloc_list(request):
    day = today()
    # Queries: blocs with their parent and today's member count; successions.
    blocs = list(with_members_on(Bloc.objects.select_related("parent"), day))
    successions = list(Succession.objects.all())
    timeline, charted = blocs_chart(blocs, successions, prefix="blocs-chart", day=day)
    page = page_of(request, [b for b, _ in timeline_order(blocs)], BLOCS_LISTED, "the blocs")
    return render(
        request,
        "public/bloc_list.html",
        {
            "blocs": page.object_list,
            "page": page,
            "total": len(blocs),
            "timeline": timeline,
            "abridged_chart": len(charted) < len(blocs),
            "last_changed": last_changed(blocs),
        },
    )


@cached_until_records_change
def bloc_detail(request, slug):
    day = today()
    # Queries: the bloc and its parent; its claims; their sources; its predecessors; successors;
    # forces inside it; each country's first spell, count and last change in it and its
    # predecessors; its spells today; the page's countries' spells, with their countries and blocs;
    # the spells' sources; their claims; the claims' sources; event markers; the latest events; their
    # sources; their countries; their claims; the claims' sources; the bloc's sources. (A query for
    # claims' sources is left out when there are no claims.)
    try:
        bloc = Bloc.objects.select_related("parent").prefetch_related(claims_prefetch(BlocClaim)).get(slug=slug)
    except Bloc.DoesNotExist:
        raise Http404(gettext("There is no bloc with the short name “%(slug)s”.") % {"slug": slug})
    predecessors = list(bloc.predecessors.all())
    successors = list(bloc.successors.all())
    children = list(bloc.children.all())
    # A bloc's story starts in the blocs it continued (the CSTO's in the CST), so their spells are
    # drawn too, set apart, on the same row as the country's later spells.
    spells_of = Membership.objects.filter(bloc_id__in=[bloc.pk, *(b.pk for b in predecessors)])
    # One row per country, the earliest first: each country's first start, spells and last change,
    # counted in the database, so that only the page's countries' spells are read (a bloc of a
    # thousand spells made 3,000 records for a page of 25 countries).
    countries = spells_of.values("country_id", "country__name", "country__name_ru").annotate(
        first=Min("start"), spells=Count("pk"), own=Count("pk", filter=Q(bloc_id=bloc.pk)), changed=Max("updated_at")
    )
    countries = sorted(
        in_reading_order(countries.order_by(local_name("country__")), country_name),
        key=lambda c: (c["first"], country_name(c)),
    )
    own_count = sum(c["own"] for c in countries)
    current = in_reading_order(
        Membership.objects.filter(Membership.in_force_q(day), bloc=bloc)
        .select_related("country", "bloc")
        .order_by(local_name("country__"), "start", "bloc__name"),
        lambda m: m.country.local_name,
    )
    # Its newest events, marked and listed, are read from the table the database keeps of them in
    # date order (Event.objects.newest_of), whatever their number.
    markers = marker_values(bloc)
    events = list(
        with_links(Event.objects.newest_of(bloc, EVENTS_LISTED + 1), "sources", "countries").prefetch_related(
            claims_prefetch(EventClaim)
        )
    )
    bloc_sources = list(bloc.sources.all())

    # A page draws ROWS_PER_PAGE countries, and lists their spells.
    page = page_of(
        request, countries, ROWS_PER_PAGE, gettext("the countries of the %(bloc)s") % {"bloc": bloc.short_name}
    )
    shown = spells_of.filter(country_id__in=[c["country_id"] for c in page.object_list])
    spells = list(shown.select_related("country", "bloc").order_by("start", "bloc__name"))
    group_of = {}
    for m in spells:
        group_of.setdefault(m.country_id, []).append(m)
    groups = [group_of[c["country_id"]] for c in page.object_list]
    listed = [m for group in sorted(groups, key=lambda g: g[0].country.local_name) for m in group]
    prefetch_related_objects(listed, cited(), claims_prefetch(MembershipClaim))
    rows = []
    for group in groups:
        country = group[0].country
        rows.append(
            charts.TimelineRow(
                label=country.local_name,
                href=url_for(country),
                spells=sorted(
                    (
                        charts.Spell.of(
                            m,
                            gettext("%(country)s in %(bloc)s")
                            % {"country": country.local_name, "bloc": m.bloc.short_name},
                            earlier=m.bloc.short_name if m.bloc_id != bloc.pk else "",
                            disputed=disputes(m),
                        )
                        for m in group
                    ),
                    key=lambda s: (not s.earlier, s.start),  # the bloc's own spells drawn on top
                ),
            )
        )
    founded, dissolved = bloc.partial_date("founded"), bloc.partial_date("dissolved")
    earlier_words = ""
    all_count = sum(c["spells"] for c in countries)
    if own_count < all_count:
        earlier_words = ngettext(
            ", and %(count)d in the bloc it continued (%(blocs)s), drawn in grey",
            ", and %(count)d in the blocs it continued (%(blocs)s), drawn in grey",
            len(predecessors),
        ) % {"count": all_count - own_count, "blocs": ", ".join(b.short_name for b in predecessors)}
    timeline = charts.membership_timeline(
        rows,
        title=gettext("Membership of the %(bloc)s over time") % {"bloc": bloc.short_name},
        desc=ngettext(
            "%(count)d membership spell in the %(bloc)s%(earlier)s; one row per country (%(rows)s), each bar from "
            "the start of a spell to its end or to today; roles and suspensions are told apart by colour and "
            "pattern. The table below lists the same spells.",
            "%(count)d membership spells in the %(bloc)s%(earlier)s; one row per country (%(rows)s), each bar from "
            "the start of a spell to its end or to today; roles and suspensions are told apart by colour and "
            "pattern. The table below lists the same spells.",
            own_count,
        )
        % {"count": own_count, "bloc": bloc.short_name, "earlier": earlier_words, "rows": rows_words(page, len(rows))},
        today=day,
        prefix="bloc-timeline",
        markers=event_markers(markers),
        band=(founded, dissolved) if founded else None,
        band_label=gettext("%(bloc)s founded %(founded)s") % {"bloc": bloc.short_name, "founded": founded}
        + (gettext(", dissolved %(dissolved)s") % {"dissolved": dissolved} if dissolved else ""),
        earlier_label=gettext("in the %(earlier)s, before the %(bloc)s")
        % {"earlier": ", ".join(b.short_name for b in predecessors), "bloc": bloc.short_name},
    )
    return render(
        request,
        "public/bloc_detail.html",
        {
            "bloc": bloc,
            "predecessors": predecessors,
            "successors": successors,
            "children": children,
            "spells": listed,
            "rows_page": page,
            "with_earlier": own_count < all_count,
            "current": current,
            "current_members": [m for m in current if m.role == Role.MEMBER],
            "suspended_now": [m for m in current if m.is_suspended_on(day)],
            "timeline": timeline,
            "events": events[:EVENTS_LISTED],
            "more_events": len(events) > EVENTS_LISTED,
            "bloc_sources": bloc_sources,
            "day": day,
            "last_changed": max(
                filter(None, [last_changed([bloc], events, bloc_sources), *(c["changed"] for c in countries)]),
                default=None,
            ),
        },
    )


def country_name(row):
    """The name of the country of a row of values, in the language of the page (Country.local_name)."""
    return in_language(row["country__name"], row["country__name_ru"])


@cached_until_records_change
def country_list(request):
    day = today()
    # Queries: countries with the number of blocs they are in today; the first of today's spells
    # of each, with their blocs.
    # Counted per country in a subquery over its spells' (country, start) index, as with_members_on does for blocs.
    counted = (
        Membership.objects.filter(Membership.in_force_q(day), country=OuterRef("pk"))
        .order_by()
        .values("country")
        .annotate(n=Count("pk"))
        .values("n")
    )
    countries = in_reading_order(
        Country.objects.annotate(spells_now=Coalesce(Subquery(counted), 0))
        .order_by(local_name())
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active_on(day)
                .select_related("bloc")
                .order_by(local_name("bloc__"))[:CHIPS],
                to_attr="current",
            )
        ),
        lambda c: c.local_name,
    )
    for country in countries:
        country.more_now = country.spells_now - len(country.current)
    return render(
        request,
        "public/country_list.html",
        {
            "countries": countries,
            "day": day,
            "last_changed": last_changed(countries, (m for c in countries for m in c.current)),
        },
    )


@cached_until_records_change
def country_detail(request, code):
    day = today()
    if not ALPHA3.match(code):
        raise Http404(
            gettext("“%(code)s” is not a country code: countries are named by three letters, such as kaz.")
            % {"code": code[:40]}
        )
    if code != code.lower():
        return redirect("blocs:country", code.lower(), permanent=True)
    # Queries: the country; each bloc's first spell, count and last change; its spells today; the
    # page's blocs' spells with their blocs; the spells' sources; their claims; the claims' sources;
    # event markers; the latest events; their sources; their blocs; their claims; the claims'
    # sources. (A query for claims' sources is left out when there are no claims.)
    try:
        country = Country.objects.get(alpha3=code.upper())
    except Country.DoesNotExist:
        raise Http404(gettext("There is no country with the code “%(code)s” in the records.") % {"code": code})
    # One row per bloc, in the order of the country's first spell in each: each bloc's first start,
    # spells and last change, counted in the database, so that only the page's blocs' spells are
    # read (the busiest country's 800 spells and their blocs were made for a page of 25 blocs).
    blocs = list(
        country.memberships.values("bloc_id")
        .annotate(first=Min("start"), spells=Count("pk"), changed=Max("updated_at"))
        .order_by("first", "bloc__name")
    )
    current = list(
        country.memberships.filter(Membership.in_force_q(day)).select_related("bloc").order_by("start", "bloc__name")
    )
    # Its newest events, marked and listed, are read from the table the database keeps of them in
    # date order (Event.objects.newest_of), whatever their number.
    markers = marker_values(country)
    events = list(
        with_links(Event.objects.newest_of(country, EVENTS_LISTED + 1), "sources", "blocs").prefetch_related(
            claims_prefetch(EventClaim)
        )
    )

    # ROWS_PER_PAGE blocs a page, with their spells.
    page = page_of(request, blocs, ROWS_PER_PAGE, gettext("the blocs of %(country)s") % {"country": country.local_name})
    shown = country.memberships.filter(bloc_id__in=[b["bloc_id"] for b in page.object_list])
    groups = {b["bloc_id"]: [] for b in page.object_list}
    for m in shown.select_related("bloc").order_by("start", "bloc__name"):
        groups[m.bloc_id].append(m)
    listed = sorted((m for group in groups.values() for m in group), key=lambda m: (m.start, m.bloc.name))
    prefetch_related_objects(listed, cited(), claims_prefetch(MembershipClaim))
    rows = [
        charts.TimelineRow(
            label=group[0].bloc.short_name,
            href=url_for(group[0].bloc),
            spells=[
                charts.Spell.of(
                    m,
                    gettext("%(country)s in %(bloc)s") % {"country": country.local_name, "bloc": m.bloc.short_name},
                    disputed=disputes(m),
                )
                for m in group
            ],
        )
        for group in groups.values()
    ]
    timeline = charts.membership_timeline(
        rows,
        title=gettext("%(country)s in the blocs over time") % {"country": country.local_name},
        desc=gettext(
            "%(spells)d membership spells of %(country)s in %(blocs)d blocs, one row per bloc (%(rows)s), each bar "
            "from the start of a spell to its end or to today; roles and suspensions are told apart by colour and "
            "pattern. The table below lists the same spells."
        )
        % {
            "spells": sum(b["spells"] for b in blocs),
            "country": country.local_name,
            "blocs": len(blocs),
            "rows": rows_words(page, len(rows)),
        },
        today=day,
        prefix="country-timeline",
        markers=event_markers(markers),
    )
    return render(
        request,
        "public/country_detail.html",
        {
            "country": country,
            "spells": listed,
            "rows_page": page,
            "current": current,
            "timeline": timeline,
            "events": events[:EVENTS_LISTED],
            "more_events": len(events) > EVENTS_LISTED,
            "day": day,
            "last_changed": max(
                filter(None, [last_changed([country], events), *(b["changed"] for b in blocs)]), default=None
            ),
        },
    )


def rows_words(page, drawn):
    """How many rows a timeline draws, and of how many when it is drawn a page at a time."""
    if page.paginator.num_pages == 1:
        return str(drawn)
    return gettext("%(first)d to %(last)d of %(count)d on this page") % {
        "first": page.start_index(),
        "last": page.end_index(),
        "count": page.paginator.count,
    }
