"""Public pages about events: all events, filtered and searched, and one event with its sources."""

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

from blocs.changelists import IdsFirstPaginator
from blocs.models import Bloc, Country, Membership
from eurasia.page_cache import cached_until_records_change
from events.models import Event, EventClaim, EventKind, search_query, search_vector
from public import charts
from public.disputes import claims_prefetch

PER_PAGE = 25
COUNTS_KEPT = 60 * 60  # seconds; the key already changes with the records
RANKED_MATCHES = 2000  # a search with more matches lists them newest first
FEW_MATCHES = 50_000  # matches sorted by date rather than found along the date index (see newest_first)
WALKED_ROWS = 1_000  # past this many matches before the page, sorting them beats walking the date index


class CountedPaginator(IdsFirstPaginator):
    """A paginator told its count, here the sum of the per-year bars, instead of counting again."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self):
        return self.known_count


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
        label="Search",
        required=False,
        max_length=200,
        error_messages={"max_length": "Search for at most %(limit_value)d characters."},
    )
    bloc = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        error_messages={"invalid_choice": "There is no bloc with the short name “%(value)s”."},
    )
    country = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        error_messages={"invalid_choice": "There is no country with the code “%(value)s”."},
    )
    kind = forms.ChoiceField(
        required=False,
        widget=QuickSelect,
        choices=[("", "any kind")] + EventKind.choices,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of event."},
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
                "invalid": "Enter a year, such as 2012.",
                "min_value": "Enter a year from 1 to 9999.",
                "max_value": "Enter a year from 1 to 9999.",
            },
            "widget": forms.NumberInput(attrs={"placeholder": "year", "min": 1, "max": 9999}),
        }
        self.fields["from"] = forms.IntegerField(label="From", **year)
        self.fields["to"] = forms.IntegerField(label="To", **year)
        self.fields["bloc"].choices = [("", "any bloc")] + [(b.slug, str(b)) for b in blocs]
        self.fields["country"].choices = [("", "any country")] + [(c.alpha3, c.name) for c in countries]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and first > last:
            raise forms.ValidationError(f"The years run backwards: “from” ({first}) is after “to” ({last}).")
        return cleaned

    @property
    def active(self):
        return any(self.cleaned_data.get(name) for name in ("q", "bloc", "country", "kind", "from", "to"))


@cached_until_records_change
def event_list(request):
    # Queries: the blocs and the countries offered as filters; the matching events per year (which
    # also gives their count); one page of them; their blocs; their countries; their sources. A
    # search or filter changes the WHERE clause, never the number of queries.
    blocs = list(Bloc.objects.only("slug", "name", "name_ru", "abbreviations").order_by("name"))
    countries = list(Country.objects.only("alpha3", "name", "name_ru").order_by("name"))
    form = EventFilter(request.GET, blocs=blocs, countries=countries)
    context = {"form": form, "page": None, "problems": [], "query": ""}
    if not form.is_valid():
        context["problems"] = [e for errors in form.errors.values() for e in errors]
        return render(request, "public/event_list.html", context, status=400)

    data = form.cleaned_data
    bloc = next((b for b in blocs if b.slug == data["bloc"]), None)
    country = next((c for c in countries if c.alpha3 == data["country"]), None)
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
    per_year = counts_per_year(request, matched, data)
    total = sum(n for _, n in per_year)
    # Ranking computes every match's text vector; past a few thousand matches that costs seconds
    # and tells a reader little, so a broad search lists its matches newest first instead.
    ranked = bool(words) and total <= RANKED_MATCHES
    paginator = CountedPaginator(None, PER_PAGE, count=total)
    number = request.GET.get("page", "1")
    try:
        number = paginator.validate_number(number)
    except InvalidPage:
        raise Http404(
            f"There is no page “{str(number)[:20]}” of these events: "
            f"there {'is' if paginator.num_pages == 1 else 'are'} {paginator.num_pages} "
            f"page{'' if paginator.num_pages == 1 else 's'}."
        )
    # A search's matches are read through the full-text index and sorted, unless there are many
    # and the page is near the top, where walking the date index finds it sooner (a broad
    # search's first page: 7 ms against 200 ms; its page 300: 660 ms against 230).
    few = bool(words) and (total <= FEW_MATCHES or number * PER_PAGE > WALKED_ROWS)
    events = events.search(words) if ranked else matched.newest_first(few=few)
    paginator.object_list = events.prefetch_related("blocs", "countries", "sources")
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
        raise Http404(f"There is no event number {pk}.")
    # Queries: the event; its blocs; its countries; its sources; the spells it changed, with
    # their countries and blocs; its claims; their sources (left out when there are none).
    try:
        event = Event.objects.prefetch_related(
            "blocs",
            "countries",
            "sources",
            claims_prefetch(EventClaim),
            Prefetch("memberships", queryset=Membership.objects.select_related("country", "bloc")),
        ).get(pk=pk)
    except Event.DoesNotExist:
        raise Http404(f"There is no event number {pk}.")
    return render(
        request,
        "public/event_detail.html",
        {"event": event, "picker_date": event.date, "last_changed": event.updated_at},
    )


def counts_per_year(request, matched, filters):
    """The matching events per year, kept while the records stay as they are.

    The count reads every match, all million events for the unfiltered list; paging through the
    same filters then costs only each page's rows. No DISTINCT: the bloc and country filters are
    subqueries, not joins, so no event is counted twice.
    """

    def count():
        return list(matched.order_by().values_list("date__year").annotate(n=Count("pk")).order_by("date__year"))

    state = getattr(request, "records_state", None)  # set by the page cache, None when it is off
    if state is None:
        return count()
    described = repr(sorted((name, str(value)) for name, value in filters.items()))
    key = "events-per-year:" + hashlib.sha256(f"{state}|{described}".encode()).hexdigest()
    return cache.get_or_set(key, count, COUNTS_KEPT)


def year_chart(request, per_year):
    def href(year):
        query = request.GET.copy()
        query.pop("page", None)
        query["from"] = query["to"] = str(year)
        return f"?{query.urlencode()}"

    total = sum(n for _, n in per_year)
    return charts.events_per_year(
        per_year,
        href=href,
        prefix="per-year",
        title="Events per year",
        desc=f"{total} events over {len(per_year)} years, one bar per year; the list below gives each event.",
    )
