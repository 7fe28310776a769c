"""A bloc's and a country's own pages: their membership timelines, a page of rows at a time, their
spells with sources and claims, and their newest events."""

import re

from django.db.models import Count, Max, Min, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Role, local_name
from eurasia.languages import in_language, in_reading_order
from eurasia.page_cache import cached_until_records_change
from eurasia.partial_dates import PartialDate
from events.models import Event, EventClaim

from . import charts
from .disputes import claims_prefetch
from .event_views import with_links
from .links import event_url, url_for
from .templatetags.record_display import disputes
from .views import cited, last_changed, page_of, today

EVENTS_LISTED = 20  # on a bloc's or a country's page; the rest are one click away on /events/
# Pages stay bounded however large the record grows (about 250 KB of HTML at the full synthetic
# world, docs/performance.md): a bloc's countries or a country's blocs are drawn a page at a time.
ROWS_PER_PAGE = 25  # timeline rows, each with its spells in the table below, on a bloc's or a country's page
# ... and at most this many spells between them: a row is drawn and listed with all its spells, and
# in Russian a spell takes about 1.6 KB of the page (its bar and tooltip, its table row), so a page
# of rows with many spells each stays within the 250 KB a page may weigh (docs/performance.md).
SPELLS_PER_PAGE = 100
MARKERS_DRAWN = 200  # events drawn on a timeline, newest first
ALPHA3 = re.compile(r"^[A-Za-z]{3}$")


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

    # A page draws ROWS_PER_PAGE countries, fewer when their spells pass SPELLS_PER_PAGE, and lists their spells.
    what = gettext("the countries of the %(bloc)s") % {"bloc": bloc.short_name}
    page = page_of(request, countries, ROWS_PER_PAGE, what, most_spells=SPELLS_PER_PAGE)
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
            "last_changed": last_changed([bloc], events, bloc_sources, changed=(c["changed"] for c in countries)),
        },
    )


def country_name(row):
    """The name of the country of a row of values, in the language of the page (Country.local_name)."""
    return in_language(row["country__name"], row["country__name_ru"])


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

    # ROWS_PER_PAGE blocs a page, fewer when their spells pass SPELLS_PER_PAGE, with their spells.
    what = gettext("the blocs of %(country)s") % {"country": country.local_name}
    page = page_of(request, blocs, ROWS_PER_PAGE, what, most_spells=SPELLS_PER_PAGE)
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
            "last_changed": last_changed([country], events, changed=(b["changed"] for b in blocs)),
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
