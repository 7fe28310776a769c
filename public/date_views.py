"""The page of a date: who belonged to what on a given day, its map, and the way to the days around it."""

import datetime

from django.db.models import (
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from blocs.models import (
    Membership,
    local_name,
)
from eurasia.languages import in_reading_order
from eurasia.page_cache import cached_until_records_change
from eurasia.partial_dates import Precision

from . import maps
from .map_data import bad_map_choice, map_choice_context
from .views import cited, every_bloc, last_changed, map_of_day, named, page_of, parse_day, timeline_order, today

BLOCS_PER_PAGE = 20  # blocs with their members on one page of a date
MEMBERS_PER_PAGE = 100  # one bloc's members on a date, a page at a time


def on_date_picker(request):
    """The date picker's target: send the reader to the permalink of the day they chose."""
    raw = request.GET.get("date", "")
    if not raw.strip():
        return redirect("blocs:on", today().isoformat())
    try:
        day = parse_day(raw)
    except ValueError as e:
        return render(request, "public/bad_date.html", {"message": str(e), "raw": raw[:40]}, status=400)
    return redirect("blocs:on", day.isoformat())


@cached_until_records_change
def on_date(request, day):
    try:
        when = parse_day(day)
    except ValueError as e:
        raise Http404(str(e))
    # Queries: the blocs; the successions; each country's standing for the map; the first spell and
    # the nearest earlier and later changes; the spells in force in this page's blocs, with their
    # countries and blocs; their sources.
    all_blocs, _successions = every_bloc()
    blocs = [b for b, _ in timeline_order([b for b in all_blocs if b.exists_on(when)])]
    try:
        choice, layers, statuses = map_of_day(request, all_blocs, when)
    except maps.BadChoice as e:
        return bad_map_choice(request, e)
    nearest = nearest_changes(when)
    before = max((v for k, v in nearest.items() if k.startswith("before_") and v), default=None)
    after = min((v for k, v in nearest.items() if k.startswith("after_") and v), default=None)

    # ?bloc= lists one bloc's members in full; otherwise a large bloc's list stops at MEMBERS_NAMED.
    only = request.GET.get("bloc", "").strip().lower()
    if only:
        blocs = [b for b in blocs if b.slug == only]
        if not blocs:
            raise Http404(
                gettext("There is no bloc “%(slug)s” in existence on %(day)s.")
                % {"slug": only[:40], "day": when.isoformat()}
            )
    page = page_of(request, blocs, BLOCS_PER_PAGE, gettext("the blocs on this date")) if not only else None
    spells = in_reading_order(
        Membership.objects.active_on(when)
        .filter(bloc__in=[b.pk for b in (blocs if only else page.object_list)])
        .select_related("country", "bloc")
        .order_by(local_name("country__")),
        lambda m: m.country.local_name,
    )
    by_bloc = {}
    for m in spells:
        by_bloc.setdefault(m.bloc_id, []).append(m)
    if only:
        members = page_of(
            request,
            by_bloc.get(blocs[0].pk, []),
            MEMBERS_PER_PAGE,
            gettext("the members of the %(bloc)s") % {"bloc": blocs[0].short_name},
        )
        listed, page = [(blocs[0], members.object_list, 0)], members
    else:
        listed = named(page.object_list, by_bloc)
    # Once cut, the members are named in a line, not tabled: twenty blocs of tables would outweigh the page.
    compact = any(more for _, _, more in listed)
    shown = [m for _, members, _ in listed for m in members]
    prefetch_related_objects(shown, cited())  # the sources of the spells listed, not of those left out
    for m in shown:
        m.uncertain = uncertain_on(m, when)
    return render(
        request,
        "public/on_date.html",
        {
            "when": when,
            "picker_date": when,
            "listed": listed,
            "compact": compact,
            "only": only,
            "page": page,
            "paginator": page.paginator,
            "spells": spells,
            "region_map": maps.region_map(statuses, layers, day=when, prefix="map", article=choice.is_article),
            **map_choice_context(choice, blocs),
            "before": before,
            "after": after,
            "years": same_day_in_years(when, nearest["first"]),
            "is_today": when == today(),
            "last_changed": last_changed(spells, blocs if only else page.object_list),
        },
    )


def nearest_changes(when):
    """The first spell's start, and the nearest change of any spell before and after `when`, in one query.

    Each is a subquery that reads one end of its column's index (blocs migration 0013): an
    aggregate with a FILTER per change read every spell instead, its cost growing with the record.
    """
    spells = Membership.objects.order_by()
    picks = {"first": spells.filter(start__isnull=False).order_by("start").values("start")[:1]}
    for f in ("start", "end", "suspension_start", "suspension_end"):
        picks[f"before_{f}"] = spells.filter(**{f"{f}__lt": when}).order_by(f"-{f}").values(f)[:1]
        picks[f"after_{f}"] = spells.filter(**{f"{f}__gt": when}).order_by(f).values(f)[:1]
    row = (
        Membership.objects.order_by()
        .annotate(**{name: Subquery(pick) for name, pick in picks.items()})
        .values(*picks)[:1]
    )
    return next(iter(row), dict.fromkeys(picks))


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
        value = m.partial_date(name)
        if value and value.precision != Precision.DAY and value.date <= day <= value.last_day:
            return value
    return None
