"""Disputed dates on the reader's site: which of a record's dates the sources disagree on, what each says, and /disputes/.

A date is disputed when it carries a claim other than the preferred one. Pages fetch the claims
of the records they show with `claims_prefetch` (one query for the claims with their readings,
one for their sources, whatever their number) and show each disputed date with `dispute_details`
(public/templatetags/record_display.py).
"""

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Case, CharField, F, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Rank, local_name
from eurasia.page_cache import cached_until_records_change
from events.models import Event, EventClaim

from . import event_views  # its `listed`, at call time: it imports this module for claims_prefetch
from .links import url_for
from .templatetags.record_display import dispute_details

FACTS_PER_PAGE = 50
RANK_ORDER = Case(*(When(rank=r, then=Value(i)) for i, r in enumerate(Rank.values)), output_field=IntegerField())


def claims_queryset(model):
    """Claims of one kind, with their readings and (prefetched) sources, preferred first."""
    return (
        model.objects.select_related("reading")
        .prefetch_related(Prefetch("sources", to_attr="cited"))
        .order_by(RANK_ORDER, "value", "id")
    )


def claims_prefetch(model, via="claims"):
    """Prefetch a record's claims into `claims_shown`, for `disputes` and `dispute_details`."""
    return Prefetch(via, queryset=claims_queryset(model), to_attr="claims_shown")


class Fact:
    """One disputed date of one record, as /disputes/ lists it."""

    def __init__(self, record, field, claims):
        self.record = record
        self.field = field
        self.claims = claims
        record.claims_shown = claims
        self.label = claims[0].get_field_display()
        self.url = url_for(record.bloc if hasattr(record, "country_id") else record)
        self.details = dispute_details(record, field)
        self.preferred = next((c for c in claims if c.rank == Rank.PREFERRED), None)


def disputed_facts(model, owner, records):
    """(owner id, field) of each disputed date among `records` (a queryset of `model`'s owners), as values."""
    return (
        model.objects.filter(**{f"{owner}__in": records})
        .exclude(rank=Rank.PREFERRED)
        .annotate(kind=Value(owner, output_field=CharField()), owner=F(f"{owner}_id"))
        .values("kind", "owner", "field")
        .distinct()
        .order_by()
    )


def by_name(record):
    return record.local_name


def chosen(records, model, **key):
    """The record asked for: found among the `records` listed, or looked up when they were too many
    to list (None); None when there is none."""
    if records is None:
        return model.objects.filter(**key).first()
    ((field, value),) = key.items()
    return next((r for r in records if getattr(r, field) == value), None)


@cached_until_records_change
def dispute_list(request):
    """Every disputed date in the record, narrowed to one bloc or one country when asked."""
    # Queries: the blocs and the countries to choose from; the count of disputed dates; one page of
    # them; each kind's claims on the page, with their records; their sources. Past CHOICES_LISTED
    # blocs or countries, the filter is a field to type in, and one more query looks up what was typed.
    blocs = event_views.listed(
        Bloc.objects.order_by(local_name()), ("slug", "name", "name_ru", "abbreviations"), by_name
    )
    countries = event_views.listed(Country.objects.order_by(local_name()), ("alpha3", "name", "name_ru"), by_name)
    slug, code = request.GET.get("bloc", "").strip().lower(), request.GET.get("country", "").strip().upper()
    bloc = chosen(blocs, Bloc, slug=slug) if slug else None
    country = chosen(countries, Country, alpha3=code) if code else None
    if slug and bloc is None:
        raise Http404(gettext("There is no bloc with the short name “%(slug)s”.") % {"slug": slug[:60]})
    if code and country is None:
        raise Http404(gettext("There is no country with the code “%(code)s” in the records.") % {"code": code[:10]})

    spells = Membership.objects.all()
    events = Event.objects.all()
    kinds = []
    if bloc:
        spells, events = spells.filter(bloc=bloc), events.for_bloc(bloc)
    if country:
        spells, events = spells.filter(country=country), events.for_country(country)
    kinds.append(disputed_facts(MembershipClaim, "membership", spells.values("pk")))
    if not country:  # a bloc's own dates belong to no country
        kinds.append(disputed_facts(BlocClaim, "bloc", Bloc.objects.filter(pk=bloc.pk) if bloc else Bloc.objects.all()))
    kinds.append(disputed_facts(EventClaim, "event", events.values("pk")))
    facts = kinds[0].union(*kinds[1:]).order_by("kind", "owner", "field")
    paginator = Paginator(facts, FACTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page", "1"))
    except InvalidPage:
        raise Http404(gettext("There is no such page of disputed dates."))
    wanted = {}
    for row in page.object_list:
        wanted.setdefault(row["kind"], set()).add((row["owner"], row["field"]))
    found = []
    related = {
        "membership": (MembershipClaim, ["membership__country", "membership__bloc"]),
        "bloc": (BlocClaim, ["bloc"]),
        "event": (EventClaim, ["event"]),
    }
    for kind, (model, joins) in related.items():
        if kind not in wanted:
            continue
        ids = {owner for owner, _ in wanted[kind]}
        grouped = {}
        for claim in claims_queryset(model).filter(**{f"{kind}__in": ids}).select_related(*joins):
            if (claim.owner_id, claim.field) in wanted[kind]:
                grouped.setdefault((claim.owner_id, claim.field), []).append(claim)
        for (_, field), claims in sorted(grouped.items()):
            found.append(Fact(claims[0].owner, field, claims))
    return render(
        request,
        "public/dispute_list.html",
        {
            "facts": found,
            "page": page,
            "blocs": blocs,
            "countries": countries,
            "bloc": bloc,
            "country": country,
            "query": "&".join(
                p
                for p in (f"bloc={bloc.slug}" if bloc else "", f"country={country.alpha3.lower()}" if country else "")
                if p
            ),
        },
    )
