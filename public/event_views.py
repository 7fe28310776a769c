"""Public pages about events: all events, filtered and searched, and one event with its sources."""

import datetime
import hashlib

from django import forms
from django.core.cache import cache
from django.core.paginator import InvalidPage
from django.db.models import Count, Prefetch
from django.forms.utils import flatatt
from django.http import Http404
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blocs.changelists import IdsFirstPaginator
from blocs.models import Bloc, Country, Membership, Source, local_name
from eurasia.languages import in_reading_order
from eurasia.page_cache import cached_until_records_change
from events.models import Event, EventClaim, EventDate, EventKind, EventsInYear, search_query, search_vector
from public import (
    charts,
    disputes,  # its claims_prefetch, at call time: it imports this module for `listed`
)

PER_PAGE = 25
COUNTS_KEPT = 60 * 60  # seconds; the key already changes with the records
RANKED_MATCHES = 2000  # a search with more matches lists them newest first
FEW_MATCHES = 50_000  # matches sorted by date rather than found along the date index (see newest_first)
WALKED_ROWS = 1_000  # past this many matches before the page, sorting them beats walking the date index


class CountedPaginator(IdsFirstPaginator):
    """A paginator told its count, here the sum of the per-year bars, instead of counting again.

    Told the bars too (`per_year`, oldest first) and that the list runs newest first, a deep page
    skips whole years: the events of a year are together in that order, so page 20,000 lies in
    the years the bars say, and is read among the events of those years only, with an OFFSET
    of the page's place in them, not of every newer event. Its cost is that of a year or two of
    events, wherever it falls.

    Told how to pick a page's rows by their place in the list (`pick(offset, limit)`, a queryset),
    it leaves the picking to that.
    """

    def __init__(self, object_list, per_page, *, count, per_year=(), newest_first=False, pick=None):
        super().__init__(object_list, per_page)
        self.known_count = count
        self.per_year = per_year if newest_first else ()
        self.pick = pick

    @property
    def count(self):
        return self.known_count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.pick is not None:
            return self._get_page(self.pick(bottom, top - bottom), number, self)
        if not self.per_year or bottom < self.deep_after:
            return super().page(number)
        newer, taken, years = 0, 0, []
        for year, n in reversed(self.per_year):
            if not years and newer + n <= bottom:
                newer += n  # a whole year newer than the page: skipped
                continue
            years.append(year)  # the page's first year, and the older ones it runs into
            taken += n
            if newer + taken >= top:
                break
        if not years or not 1 <= min(years) <= max(years) < 9999:
            return super().page(number)
        # Both ends bound the dates, so the page reads the matches of its own years only.
        events = self.object_list.filter(
            date__gte=datetime.date(min(years), 1, 1), date__lt=datetime.date(max(years) + 1, 1, 1)
        )
        ids = events.values("pk")[bottom - newer : top - newer]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


# Past this many blocs or countries a filter is a field to type a short name or code in: a
# drop-down of 2,000 blocs weighed 100 KB on every page of events (docs/performance.md).
CHOICES_LISTED = 300

LARGEST_ID = 2**63 - 1  # beyond a bigint, PostgreSQL would refuse the lookup outright


class QuickSelect(forms.Select):
    """A drop-down drawn in Python: Django's template per option took 0.3 s for 2,000 blocs."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) == chosen else ""}>{escape(label)}</option>'
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt({'name': name, **self.build_attrs(self.attrs, attrs)})}>{options}</select>")


class EventFilter(forms.Form):
    """The filters of /events/, read from the query string; every value is checked before use."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
    )
    bloc = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        error_messages={"invalid_choice": _("There is no bloc with the short name “%(value)s”.")},
    )
    country = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        error_messages={"invalid_choice": _("There is no country with the code “%(value)s”.")},
    )
    kind = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        choices=[("", _("any kind"))] + EventKind.choices,
        error_messages={"invalid_choice": _("“%(value)s” is not a kind of event.")},
    )

    def __init__(self, data, *, blocs, countries):
        data = data.copy()
        if data.get("country"):
            data["country"] = data["country"].strip().upper()
        super().__init__(data, label_suffix="")
        year = {
            "required": False,
            "min_value": 1,
            "max_value": 9999,
            "error_messages": {
                "invalid": _("Enter a year, such as 2012."),
                "min_value": _("Enter a year from 1 to 9999."),
                "max_value": _("Enter a year from 1 to 9999."),
            },
            "widget": forms.NumberInput(attrs={"placeholder": gettext("year"), "min": 1, "max": 9999}),
        }
        self.fields["from"] = forms.IntegerField(label=gettext("From"), **year)
        self.fields["to"] = forms.IntegerField(label=gettext("To"), **year)
        self.records = {"bloc": blocs or [], "country": countries or []}
        for name, records, key, label, empty, example in [
            (
                "bloc",
                blocs,
                lambda b: b.slug,
                lambda b: b.local_label,
                gettext("any bloc"),
                gettext("short name, such as csto"),
            ),
            (
                "country",
                countries,
                lambda c: c.alpha3,
                lambda c: c.local_name,
                gettext("any country"),
                gettext("code, such as KAZ"),
            ),
        ]:
            if records is not None:
                self.fields[name].choices = [("", empty)] + [(key(r), label(r)) for r in records]
            else:
                field = self.fields[name]
                self.fields[name] = forms.CharField(
                    label=field.label,
                    required=False,
                    max_length=50,
                    widget=forms.TextInput(attrs={"placeholder": example}),
                    error_messages={"max_length": field.error_messages["invalid_choice"] % {"value": "…"}},
                )
                self.fields[name].unknown = field.error_messages["invalid_choice"]

    def typed(self, name, model, lookup):
        """A bloc or country typed in, looked up by its key (one query); the message says when there is none."""
        value = self.cleaned_data[name].strip()
        if not value or not hasattr(self.fields[name], "unknown"):
            return value
        record = model.objects.filter(**{lookup: value}).first()
        if record is None:
            raise forms.ValidationError(self.fields[name].unknown % {"value": value[:40]})
        self.records[name] = [record]
        return value

    def clean_bloc(self):
        return self.typed("bloc", Bloc, "slug__iexact")

    def clean_country(self):
        return self.typed("country", Country, "alpha3")

    def chosen(self, name, key):
        return next((r for r in self.records[name] if key(r).lower() == self.cleaned_data[name].lower()), None)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and first > last:
            raise forms.ValidationError(
                gettext("The years run backwards: “from” (%(first)s) is after “to” (%(last)s).")
                % {"first": first, "last": last}
            )
        return cleaned

    @property
    def active(self):
        return any(self.cleaned_data.get(name) for name in ("q", "bloc", "country", "kind", "from", "to"))


# What a list of events shows of each event's blocs, countries and sources (public/_events.html),
# as lists in `listed_blocs`, `listed_countries` and `listed_sources`. Prefetched into the related
# managers, each event cost Django a filtered queryset per link kind, and whole rows cost more to
# make than these fields: a page of 25 events and their links took 5.4 ms at the full world, 3.3 ms so.
SHOWN = {
    "blocs": Bloc.objects.only("slug", "name", "name_ru", "abbreviations", "kind"),
    "countries": Country.objects.only("alpha3", "name", "name_ru"),
    "sources": Source.objects.only("key", "title", "publisher", "published", "published_precision", "url", "kind"),
}


def with_links(events, *names):
    """`events` with the blocs, countries or sources (`names`) that a list of events shows of each,
    as `listed_<name>`."""
    return events.prefetch_related(*(Prefetch(name, SHOWN[name], to_attr=f"listed_{name}") for name in names))


def listed(records, fields, name):
    """The records to offer in a drop-down, with `fields` loaded, in reading order by `name(record)`:
    None when there are more than CHOICES_LISTED, and then none is made. (Making the 301 blocs and
    301 countries only to find there were too many took 2.5 ms of the 21 ms of the first page of
    /events/ at the full world.)
    """
    wanted = {records.model._meta.pk.attname, *fields}
    # In the model's order of fields, the order Model.from_db takes the values in.
    names = [f.attname for f in records.model._meta.concrete_fields if f.attname in wanted]
    rows = list(records.values_list(*names)[: CHOICES_LISTED + 1])
    if len(rows) > CHOICES_LISTED:
        return None
    return in_reading_order([records.model.from_db(records.db, names, row) for row in rows], name)


@cached_until_records_change
def event_list(request):
    # Queries: the blocs and the countries offered as filters; the matching events per year (which
    # also gives their count); one page of them; their blocs; their countries; their sources. A
    # search or filter changes the WHERE clause, never the number of queries. Past CHOICES_LISTED
    # blocs or countries, one more query looks up the one typed in, when one is.
    blocs = listed(
        Bloc.objects.order_by(local_name()), ("slug", "name", "name_ru", "abbreviations"), lambda b: b.local_label
    )
    countries = listed(Country.objects.order_by(local_name()), ("alpha3", "name", "name_ru"), lambda c: c.local_name)
    form = EventFilter(request.GET, blocs=blocs, countries=countries)
    context = {"form": form, "page": None, "problems": [], "query": ""}
    if not form.is_valid():
        context["problems"] = [e for errors in form.errors.values() for e in errors]
        return render(request, "public/event_list.html", context, status=400)

    data = form.cleaned_data
    bloc = form.chosen("bloc", lambda b: b.slug) if data["bloc"] else None
    country = form.chosen("country", lambda c: c.alpha3) if data["country"] else None
    events = Event.objects.all()
    if bloc:
        events = events.for_bloc(bloc)
    if country:
        events = events.for_country(country)
    if data["kind"]:
        events = events.filter(kind=data["kind"])
    events = events.in_years(data["from"], data["to"])
    words = data["q"].strip()
    matched = events
    if words:
        # Matched through the GIN index; the vector is only tested here, not selected.
        query = search_query(words)
        matched = events.alias(search=search_vector()).filter(search=query)
    # One bloc's or one country's events and no other filter: counted and paged from the table the
    # database keeps of its events in date order (EventDate), which costs the page, not its thousands.
    end = None
    if bool(bloc) != bool(country) and not (data["kind"] or words or data["from"] or data["to"]):
        end = bloc or country
    per_year = EventDate.of(end).per_year(end) if end else counts_per_year(request, matched, data)
    total = sum(n for _, n in per_year)
    # Ranking computes every match's text vector; past a few thousand matches that costs seconds
    # and tells a reader little, so a broad search lists its matches newest first instead.
    ranked = bool(words) and total <= RANKED_MATCHES
    pick = None
    if end:

        def pick(offset, limit):
            return with_links(Event.objects.newest_of(end, limit, offset), "blocs", "countries", "sources")

    paginator = CountedPaginator(None, PER_PAGE, count=total, per_year=per_year, newest_first=not ranked, pick=pick)
    number = request.GET.get("page", "1")
    try:
        number = paginator.validate_number(number)
    except InvalidPage:
        raise Http404(
            ngettext(
                "There is no page “%(page)s” of these events: there is %(count)d page.",
                "There is no page “%(page)s” of these events: there are %(count)d pages.",
                paginator.num_pages,
            )
            % {"page": str(number)[:20], "count": paginator.num_pages}
        )
    # A search's matches are read through the full-text index and sorted, unless there are many
    # and the page is near the top, where walking the date index finds it sooner (a broad
    # search's first page: 7 ms against 200 ms; its page 300: 660 ms against 230).
    few = bool(words) and (total <= FEW_MATCHES or number * PER_PAGE > WALKED_ROWS)
    events = events.search(words) if ranked else matched.newest_first(few=few)
    paginator.object_list = with_links(events, "blocs", "countries", "sources")
    page = paginator.page(number)
    context.update(
        page=page,
        paginator=paginator,
        filtered=form.active,
        bloc=bloc,
        country=country,
        last_changed=max((e.updated_at for e in page.object_list), default=None),
        per_year=year_chart(request, per_year),
        ranked=ranked,
    )
    return render(request, "public/event_list.html", context)


@cached_until_records_change
def event_detail(request, pk):
    if pk > LARGEST_ID:
        raise Http404(gettext("There is no event number %(pk)d.") % {"pk": pk})
    # Queries: the event; its blocs; its countries; its sources; the spells it changed, with
    # their countries and blocs; its claims; their sources (left out when there are none).
    try:
        event = Event.objects.prefetch_related(
            "blocs",
            "countries",
            "sources",
            disputes.claims_prefetch(EventClaim),
            Prefetch("memberships", queryset=Membership.objects.select_related("country", "bloc")),
        ).get(pk=pk)
    except Event.DoesNotExist:
        raise Http404(gettext("There is no event number %(pk)d.") % {"pk": pk})
    return render(
        request,
        "public/event_detail.html",
        {"event": event, "picker_date": event.date, "last_changed": event.updated_at},
    )


def counts_per_year(request, matched, filters):
    """The matching events per year, kept while the records stay as they are.

    Unfiltered, they are read from the counts the database keeps. Filtered, the count reads every
    match, through the index of the filter (the link tables' for a bloc or a country, the kind's,
    the full-text one for words); paging through the same filters then costs only each page's
    rows. No DISTINCT: the bloc and country filters are subqueries, not joins, so no event is
    counted twice.
    """

    if not any(filters.values()):
        # Every event: the counts the database keeps beside them (EventsInYear), a row a year.
        return list(EventsInYear.objects.filter(events__gt=0).order_by("year").values_list("year", "events"))

    def count():
        return list(matched.order_by().values_list("date__year").annotate(n=Count("pk")).order_by("date__year"))

    state = getattr(request, "records_state", None)  # set by the page cache, None when it is off
    if state is None:
        return count()
    described = repr(sorted((name, str(value)) for name, value in filters.items()))
    key = "events-per-year:" + hashlib.sha256(f"{state}|{described}".encode()).hexdigest()
    return cache.get_or_set(key, count, COUNTS_KEPT)


# Stands for the year in the bars' links, encoded once: a chart of two centuries encoding the
# query string for each bar spent a fifth of the drawing of /events/ on it.
YEAR_MARK = "0YEAR0"


def year_chart(request, per_year):
    query = request.GET.copy()
    query.pop("page", None)
    query["from"] = query["to"] = YEAR_MARK
    encoded = f"?{query.urlencode()}"
    from_mark, to_mark = f"from={YEAR_MARK}", f"to={YEAR_MARK}"

    def href(year):
        return encoded.replace(from_mark, f"from={year}").replace(to_mark, f"to={year}")

    total = sum(n for _, n in per_year)
    return charts.events_per_year(
        per_year,
        href=href,
        prefix="per-year",
        title=gettext("Events per year"),
        desc=ngettext(
            "%(total)d event over %(years)d years, one bar per year; the list below gives each event.",
            "%(total)d events over %(years)d years, one bar per year; the list below gives each event.",
            total,
        )
        % {"total": total, "years": len(per_year)},
    )
