"""Public history pages: the overview, blocs, countries, and who belonged to what on a given day."""

import datetime
import re

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from blocs.models import (
    Bloc,
    Country,
    Membership,
    Role,
    Succession,
    local_name,
)
from eurasia.languages import in_reading_order
from eurasia.page_cache import cached_until_records_change
from eurasia.partial_dates import PartialDate, Precision
from events.models import Event

from . import charts, maps
from .event_views import with_links
from .links import url_for
from .map_data import bad_map_choice, country_statuses, map_choice_context

HOME_BLOCS = 12  # blocs with their members on the overview; the blocs page lists them all
# The overview shows the record's own period: the blocs from the end of the USSR.
OVERVIEW_FROM = datetime.date(1991, 1, 1)
TIMELINE_BLOCS = 40  # rows of the blocs' own timeline; the table beside it lists them all
CHIPS = 8  # blocs named beside each country on the countries page
RECENT_EVENTS = 8
# Pages stay bounded however large the record grows (about 250 KB of HTML at the full synthetic
# world, docs/performance.md): a bloc's members are named up to a point, with a link to the rest
# (and a bloc's or a country's own page draws its rows a page at a time: public/timeline_views.py).
MEMBER_ROWS = 150  # members listed whole on the overview's cards or a page of a date; past it, each bloc's are cut
MEMBERS_NAMED = 20  # members named for each bloc once they are cut, with a link to the rest
BLOCS_LISTED = 200  # rows of the table of all blocs on one page
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today():
    return timezone.localdate()


def last_changed(*groups, changed=()):
    """When the newest of the records shown on a page was last changed; `changed`, moments of others
    the page counts in the database rather than reads (None where there are none)."""
    moments = [obj.updated_at for group in groups for obj in group if obj is not None]
    return max([*moments, *(moment for moment in changed if moment is not None)], default=None)


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

    `blocs` are all the blocs, with their parents and predecessors (every_bloc). Raises
    maps.BadChoice for a choice that cannot be drawn, whose message tells the reader why.
    """
    choice = maps.MapChoice.from_query(request.GET)
    existing = [b for b, _ in timeline_order([b for b in blocs if b.exists_on(day)])]
    by_slug = any(b.slug in maps.layer_slugs() for b in existing)
    layers = choice.layers({b.slug: b for b in blocs}, existing, by_slug)
    return choice, layers, country_statuses(day, layers, choice.is_article)


class SpellPaginator(Paginator):
    """Pages of at most `per_page` rows and at most `most_spells` spells between them (a row at least).

    A timeline's row is a country or a bloc with all its spells, drawn as bars and listed in the
    table: a page of rows with many spells each would be many times the size of an ordinary one.
    Each row's count of spells is already counted in the database (the "spells" of each item).
    """

    def __init__(self, rows, per_page, most_spells):
        super().__init__(rows, per_page)
        self.starts = [0]
        spells = taken = 0
        for index, row in enumerate(rows):
            if taken and (taken == per_page or spells + row["spells"] > most_spells):
                self.starts.append(index)
                spells = taken = 0
            spells += row["spells"]
            taken += 1

    @property
    def num_pages(self):
        return len(self.starts)

    def page(self, number):
        number = self.validate_number(number)
        bottom = self.starts[number - 1]
        top = self.starts[number] if number < len(self.starts) else self.count
        return _RowsPage(self.object_list[bottom:top], number, self)


class _RowsPage(Page):
    """A page of a SpellPaginator: its rows are numbered from where the page starts."""

    def start_index(self):
        return self.paginator.starts[self.number - 1] + 1 if self.paginator.count else 0

    def end_index(self):
        return self.paginator.starts[self.number - 1] + len(self.object_list)


def page_of(request, items, per_page, what, most_spells=None):
    """One page of `items`, the one ?page= names; a page that does not exist is not found, with why.

    With `most_spells`, the items are timeline rows paged by their spells too (SpellPaginator).
    """
    paginator = Paginator(items, per_page) if most_spells is None else SpellPaginator(items, per_page, most_spells)
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


def every_bloc():
    """Every bloc, each with its parent and `predecessor_ids` (maps.lines_of), and the successions: two queries.

    Both are found among the blocs already read: the predecessors' ids were an array subquery per
    bloc (half the time of reading the blocs at the full world) and the parents a join that read
    each parent's row a second time.
    """
    blocs = list(Bloc.objects.all())
    successions = list(Succession.objects.all())
    by_pk = {b.pk: b for b in blocs}
    earlier = {}
    for succession in sorted(successions, key=lambda s: s.predecessor_id):
        earlier.setdefault(succession.successor_id, []).append(succession.predecessor_id)
    for bloc in blocs:
        bloc.predecessor_ids = earlier.get(bloc.pk, [])
        if bloc.parent_id is not None:
            bloc.parent = by_pk[bloc.parent_id]
    return blocs, successions


def with_members_on(blocs, day):
    """The blocs, each with `members_now`: its spells in the member role in force on `day`."""
    # One count over the spells in force on the day, grouped by bloc alone (15-25 ms at the full
    # world): a subquery per bloc over its spells' (bloc, start) index cost about 20 µs a bloc,
    # 40 ms for 2,000, and a join grouped by every column of the blocs sorted all the spells first.
    counted = dict(
        Membership.objects.filter(Membership.in_force_q(day), role=Role.MEMBER)
        .order_by()
        .values_list("bloc")
        .annotate(n=Count("pk"))
    )
    blocs = list(blocs)
    for bloc in blocs:
        bloc.members_now = counted.get(bloc.pk, 0)
    return blocs


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
    # Queries: the blocs; successions; today's member count of each; each country's standing for the
    # map; today's spells in the blocs shown, with their countries; recent events; their blocs; their sources.
    blocs, successions = every_bloc()
    blocs = with_members_on(blocs, day)
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
    # Queries: the blocs; successions; today's member count of each.
    blocs, successions = every_bloc()
    blocs = with_members_on(blocs, day)
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
def country_list(request):
    day = today()
    # Queries: the countries; how many spells each has in force today; the first of today's spells
    # of each, with their blocs.
    # Counted for all countries at once, over the spells in force today: counted for each country in
    # turn, the planner read the whole index of open spells once per country (0.44 s at the full world).
    spells_now = dict(
        Membership.objects.filter(Membership.in_force_q(day)).order_by().values_list("country").annotate(n=Count("pk"))
    )
    countries = in_reading_order(
        Country.objects.order_by(local_name()).prefetch_related(
            Prefetch(
                "memberships",
                # Without the texts no chip shows: the first CHIPS of each country are chosen by
                # a window over today's spells, sorted with every column they carry.
                queryset=Membership.objects.active_on(day)
                .select_related("bloc")
                .defer("notes", "bloc__description", "bloc__notes")
                .order_by(local_name("bloc__"))[:CHIPS],
                to_attr="current",
            )
        ),
        lambda c: c.local_name,
    )
    for country in countries:
        country.more_now = spells_now.get(country.pk, 0) - len(country.current)
    return render(
        request,
        "public/country_list.html",
        {
            "countries": countries,
            "day": day,
            "last_changed": last_changed(countries, (m for c in countries for m in c.current)),
        },
    )
