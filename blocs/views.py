"""Public history pages: the overview, blocs, countries, and who belonged to what on a given day."""

import datetime
import re
from itertools import groupby

from django.db.models import Count, Max, Min, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from eurasia.partial_dates import PartialDate, Precision
from events.models import Event

from . import charts
from .links import event_url, url_for
from .models import Bloc, Country, Membership, Role, Succession

EVENTS_LISTED = 20  # on a bloc's or a country's page; the rest are one click away on /events/
MARKERS_DRAWN = 500  # events drawn on a timeline, newest first
RECENT_EVENTS = 8
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
        raise ValueError(f"“{text[:40]}” is not a date: write it as year-month-day, such as 2012-12-05.")
    value = PartialDate.parse(text)  # raises with "February 2013 has no day 30" and the like
    if value.precision != Precision.DAY:
        raise ValueError(f"“{text}” is not a whole date.")
    return value.date


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


def blocs_chart(blocs, successions, members_now, *, prefix, day):
    rows = []
    by_id = {}
    for bloc, depth in timeline_order(blocs):
        founded, dissolved = bloc.partial("founded"), bloc.partial("dissolved")
        span = f"{founded or 'founding date not recorded'} – {dissolved or 'today'}"
        row = charts.BlocRow(
            label=bloc.short_name,
            href=url_for(bloc),
            kind=bloc.kind,
            founded=founded,
            dissolved=dissolved,
            members_now=members_now.get(bloc.pk) if not dissolved else None,
            child=depth > 0,
            tooltip=f"{bloc.name} ({bloc.get_kind_display()}): {span}",
            key=bloc.pk,
        )
        rows.append(row)
        by_id[bloc.pk] = row
    links = [
        (by_id[s.predecessor_id], by_id[s.successor_id])
        for s in successions
        if s.predecessor_id in by_id and s.successor_id in by_id
    ]
    return charts.blocs_timeline(
        rows,
        links,
        today=day,
        prefix=prefix,
        title="The blocs over time",
        desc=(
            f"{len(rows)} blocs, each drawn from its founding to its dissolution or to today, "
            "coloured by kind, with dashed arrows from each bloc to the blocs that continued it. "
            "The table below gives the same dates."
        ),
    )


def event_markers(events):
    return [
        charts.Marker(
            day=e["date"], label=f"{PartialDate(e['date'], e['date_precision'])}: {e['title']}", href=e["url"]
        )
        for e in events
    ]


def marker_values(queryset):
    rows = list(queryset.newest_first().values("pk", "date", "date_precision", "title", "kind")[:MARKERS_DRAWN])
    for row in rows:
        row["url"] = event_url(row["pk"])
    return rows


def home(request):
    day = today()
    # Queries: blocs; successions; spells in force today with their country and bloc;
    # recent events; their blocs.
    blocs = list(Bloc.objects.select_related("parent"))
    successions = list(Succession.objects.all())
    spells = list(
        Membership.objects.active_on(day).select_related("country", "bloc").order_by("bloc__name", "country__name")
    )
    events = list(Event.objects.newest_first().prefetch_related("blocs")[:RECENT_EVENTS])

    members_now = {}
    by_bloc = {}
    for spell in spells:
        by_bloc.setdefault(spell.bloc_id, []).append(spell)
        if spell.role == Role.MEMBER:
            members_now[spell.bloc_id] = members_now.get(spell.bloc_id, 0) + 1
    existing = [(bloc, by_bloc.get(bloc.pk, [])) for bloc, _ in timeline_order(blocs) if not bloc.dissolved]
    region_map = charts.region_map(spells, day=day, prefix="map-today", title="The region today")
    return render(
        request,
        "blocs/home.html",
        {
            "day": day,
            "existing": existing,
            "blocs": [b for b, _ in timeline_order(blocs)],
            "timeline": blocs_chart(blocs, successions, members_now, prefix="blocs-chart", day=day),
            "region_map": region_map,
            "events": events,
            "last_changed": last_changed(blocs, spells, events),
        },
    )


def bloc_list(request):
    day = today()
    # Queries: blocs with their parent and today's member count; successions.
    blocs = list(
        Bloc.objects.select_related("parent").annotate(
            members_now=Count(
                "memberships",
                filter=Q(memberships__role=Role.MEMBER, memberships__start__lte=day)
                & (Q(memberships__end__isnull=True) | Q(memberships__end__gt=day)),
            )
        )
    )
    successions = list(Succession.objects.all())
    members_now = {b.pk: b.members_now for b in blocs}
    return render(
        request,
        "blocs/bloc_list.html",
        {
            "blocs": [b for b, _ in timeline_order(blocs)],
            "timeline": blocs_chart(blocs, successions, members_now, prefix="blocs-chart", day=day),
            "last_changed": last_changed(blocs),
        },
    )


def bloc_detail(request, slug):
    day = today()
    # Queries: the bloc and its parent; its predecessors; successors; forces inside it; its spells
    # and its predecessors' spells, with their countries and blocs; the spells' sources; event
    # markers; the latest events; their sources; their countries; the bloc's sources.
    try:
        bloc = Bloc.objects.select_related("parent").get(slug=slug)
    except Bloc.DoesNotExist:
        raise Http404(f"There is no bloc with the short name “{slug}”.")
    predecessors = list(bloc.predecessors.all())
    successors = list(bloc.successors.all())
    children = list(bloc.children.all())
    # A bloc's story starts in the blocs it continued (the CSTO's in the CST), so their spells are
    # drawn too, set apart, on the same row as the country's later spells.
    spells = list(
        Membership.objects.filter(bloc_id__in=[bloc.pk, *(b.pk for b in predecessors)])
        .select_related("country", "bloc")
        .prefetch_related("sources")
        .order_by("country__name", "start", "bloc__name")
    )
    own = [m for m in spells if m.bloc_id == bloc.pk]
    markers = marker_values(Event.objects.for_bloc(bloc))
    events = list(
        Event.objects.for_bloc(bloc).newest_first().prefetch_related("sources", "countries")[: EVENTS_LISTED + 1]
    )
    bloc_sources = list(bloc.sources.all())

    rows = []
    for country, group in groupby(spells, key=lambda m: m.country):
        rows.append(
            charts.TimelineRow(
                label=country.name,
                href=url_for(country),
                spells=[
                    charts.Spell.of(
                        m,
                        f"{country.name} in {m.bloc.short_name}",
                        earlier=m.bloc.short_name if m.bloc_id != bloc.pk else "",
                    )
                    for m in group
                ],
            )
        )
    for row in rows:
        row.spells.sort(key=lambda s: (not s.earlier, s.start))  # the bloc's own spells drawn on top
    rows.sort(key=lambda r: (min(s.start for s in r.spells), r.label))
    founded, dissolved = bloc.partial("founded"), bloc.partial("dissolved")
    earlier_words = ""
    if len(own) < len(spells):
        earlier_words = (
            f", and {len(spells) - len(own)} in the bloc{'s' if len(predecessors) > 1 else ''} it continued "
            f"({', '.join(b.short_name for b in predecessors)}), drawn in grey"
        )
    timeline = charts.membership_timeline(
        rows,
        title=f"Membership of the {bloc.short_name} over time",
        desc=(
            f"{len(own)} membership spell{'s' if len(own) != 1 else ''} in the {bloc.short_name}{earlier_words}; "
            f"one row per country ({len(rows)}), each bar from the start of a spell to its end or to today; roles "
            "and suspensions are told apart by colour and pattern. The table below lists the same spells."
        ),
        today=day,
        prefix="bloc-timeline",
        markers=event_markers(markers),
        band=(founded, dissolved) if founded else None,
        band_label=f"{bloc.short_name} founded {founded}" + (f", dissolved {dissolved}" if dissolved else ""),
        earlier_label=f"in the {', '.join(b.short_name for b in predecessors)}, before the {bloc.short_name}",
    )
    current = [m for m in own if m.is_active_on(day)]
    return render(
        request,
        "blocs/bloc_detail.html",
        {
            "bloc": bloc,
            "predecessors": predecessors,
            "successors": successors,
            "children": children,
            "spells": spells,
            "with_earlier": len(own) < len(spells),
            "current": current,
            "current_members": [m for m in current if m.role == Role.MEMBER],
            "suspended_now": [m for m in current if m.is_suspended_on(day)],
            "timeline": timeline,
            "events": events[:EVENTS_LISTED],
            "more_events": len(events) > EVENTS_LISTED,
            "bloc_sources": bloc_sources,
            "day": day,
            "last_changed": last_changed([bloc], spells, events, bloc_sources),
        },
    )


def country_list(request):
    day = today()
    # Queries: countries; the spells in force today with their blocs.
    countries = list(
        Country.objects.prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active_on(day).select_related("bloc").order_by("bloc__name"),
                to_attr="current",
            )
        )
    )
    return render(
        request,
        "blocs/country_list.html",
        {
            "countries": countries,
            "day": day,
            "last_changed": last_changed(countries, (m for c in countries for m in c.current)),
        },
    )


def country_detail(request, code):
    day = today()
    if not ALPHA3.match(code):
        raise Http404(f"“{code[:40]}” is not a country code: countries are named by three letters, such as kaz.")
    if code != code.lower():
        return redirect("blocs:country", code.lower(), permanent=True)
    # Queries: the country; its spells with their blocs; the spells' sources; event markers;
    # the latest events; their sources; their blocs.
    try:
        country = Country.objects.get(alpha3=code.upper())
    except Country.DoesNotExist:
        raise Http404(f"There is no country with the code “{code}” in the records.")
    spells = list(
        country.memberships.select_related("bloc").prefetch_related("sources").order_by("start", "bloc__name")
    )
    markers = marker_values(Event.objects.for_country(country))
    events = list(
        Event.objects.for_country(country).newest_first().prefetch_related("sources", "blocs")[: EVENTS_LISTED + 1]
    )

    rows = {}
    for m in spells:
        row = rows.setdefault(m.bloc_id, charts.TimelineRow(label=m.bloc.short_name, href=url_for(m.bloc)))
        row.spells.append(charts.Spell.of(m, f"{country.name} in {m.bloc.short_name}"))
    timeline = charts.membership_timeline(
        list(rows.values()),
        title=f"{country.name} in the blocs over time",
        desc=(
            f"{len(spells)} membership spells of {country.name} in {len(rows)} blocs, one row per bloc, each bar "
            "from the start of a spell to its end or to today; roles and suspensions are told apart by colour and "
            "pattern. The table below lists the same spells."
        ),
        today=day,
        prefix="country-timeline",
        markers=event_markers(markers),
    )
    current = [m for m in spells if m.is_active_on(day)]
    return render(
        request,
        "blocs/country_detail.html",
        {
            "country": country,
            "spells": spells,
            "current": current,
            "timeline": timeline,
            "events": events[:EVENTS_LISTED],
            "more_events": len(events) > EVENTS_LISTED,
            "day": day,
            "last_changed": last_changed([country], spells, events),
        },
    )


def on_date_picker(request):
    """The date picker's target: send the reader to the permalink of the day they chose."""
    raw = request.GET.get("date", "")
    if not raw.strip():
        return redirect("blocs:on", today().isoformat())
    try:
        day = parse_day(raw)
    except ValueError as e:
        return render(request, "blocs/bad_date.html", {"message": str(e), "raw": raw[:40]}, status=400)
    return redirect("blocs:on", day.isoformat())


def on_date(request, day):
    try:
        when = parse_day(day)
    except ValueError as e:
        raise Http404(str(e))
    # Queries: the spells in force on the day with their countries and blocs; their sources;
    # the blocs in existence; the nearest earlier and later changes to any spell.
    spells = list(
        Membership.objects.active_on(when)
        .select_related("country", "bloc", "bloc__parent")
        .prefetch_related("sources")
        .order_by("bloc__name", "country__name")
    )
    blocs = {b.pk: b for b in Bloc.objects.existing_on(when).select_related("parent")}
    changes = ("start", "end", "suspension_start", "suspension_end")
    nearest = Membership.objects.aggregate(
        first=Min("start"),
        **{f"before_{f}": Max(f, filter=Q(**{f"{f}__lt": when})) for f in changes},
        **{f"after_{f}": Min(f, filter=Q(**{f"{f}__gt": when})) for f in changes},
    )
    before = max((v for k, v in nearest.items() if k.startswith("before_") and v), default=None)
    after = min((v for k, v in nearest.items() if k.startswith("after_") and v), default=None)

    by_bloc = {}
    for m in spells:
        blocs.setdefault(m.bloc_id, m.bloc)
        by_bloc.setdefault(m.bloc_id, []).append(m)
        m.uncertain = uncertain_on(m, when)
    listed = [(bloc, by_bloc.get(bloc.pk, [])) for bloc, _ in timeline_order(list(blocs.values()))]
    region_map = charts.region_map(spells, day=when, prefix="map")
    return render(
        request,
        "blocs/on_date.html",
        {
            "when": when,
            "picker_date": when,
            "listed": listed,
            "spells": spells,
            "region_map": region_map,
            "before": before,
            "after": after,
            "years": same_day_in_years(when, nearest["first"]),
            "is_today": when == today(),
            "last_changed": last_changed(spells, blocs.values()),
        },
    )


def same_day_in_years(when, first):
    """Links to the same day in other years, from the first spell to this year, at most about 40 of them."""
    if first is None:
        return []
    last = max(today().year, when.year)
    span = last - first.year + 1
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 40), 100)
    years = list(range(first.year - first.year % step, last + 1, step))
    days = []
    for year in years:
        try:
            days.append(when.replace(year=year))
        except ValueError:  # 29 February in a year without one
            days.append(datetime.date(year, 2, 28))
    return [d for d in days if d.year >= 1]


def uncertain_on(m, day):
    """Whether `day` falls inside a month or year that a spell's date is known only to."""
    for name in ("start", "end", "suspension_start", "suspension_end"):
        value = m.partial(name)
        if value and value.precision != Precision.DAY and value.date <= day <= value.last_day:
            return value
    return None
