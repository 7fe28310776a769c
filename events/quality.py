"""The curators' quality checks: what in the record needs a curator's eye, each check one entry in CHECKS.

A check names its findings with a queryset, says in a sentence why they matter, and links each
finding to the admin page where a curator deals with it. Adding a check is one more `Check` in
CHECKS; the admin index counts every check's findings in one query, and each check has its own
paginated list (events/quality_views.py).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.models import Bloc, BlocClaim, BlocSource, Membership, MembershipClaim, MembershipSource, Rank, Source
from eurasia.page_cache import kept_until_records_change

from .models import Event, EventBloc, EventClaim, EventSource

# The permission that shows the checks and lets a curator mark a finding reviewed (blocs/roles.py gives it to Curators).
PERMISSION = "events.review_quality"


def admin_url(record):
    """The admin change page of `record`."""
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


@dataclass(frozen=True)
class Check:
    slug: str  # its address under /admin/quality/
    title: str
    explanation: str
    queryset: object  # a function giving the findings, in the order the list shows them
    link: object = admin_url  # a finding's admin page
    describe: object = str  # a finding in one line
    reviewable: bool = False  # a curator may mark a finding reviewed (see quality_views.review)

    def findings(self):
        return self.queryset()


def single_source(model, link, owner, related=(), walked=False):
    """Records of `model` that cite exactly one source, counted in the link table `link`.

    By default the link table is grouped by its owner on its own index, once. `walked`, for a
    list whose order is an index of the records (the newest events first): the records are
    walked in that order and each one's links counted through the link table's index, until the
    page is full. On the full synthetic world the newest 50 single-source events take 5 ms so
    against 946 ms grouping a million links first; the spells, listed by bloc and country, take
    217 ms grouped against 564 ms walked (docs/performance.md).
    """
    if walked:
        cited = link.objects.filter(**{owner: OuterRef("pk")}).order_by().values(owner).annotate(n=Count("pk"))
        return lambda: model.objects.alias(cited=Subquery(cited.values("n"))).filter(cited=1).select_related(*related)
    cited_once = link.objects.values(owner).alias(cited=Count("pk")).filter(cited=1).values(owner)
    return lambda: model.objects.filter(pk__in=cited_once).select_related(*related)


def without_source(model, link, owner, related=()):
    """Records of `model` that cite no source at all: none in the link table `link` names them."""
    return lambda: model.objects.filter(~Exists(link.objects.filter(**{owner: OuterRef("pk")}))).select_related(
        *related
    )


def unexplained_preferred(model, related):
    """Preferred claims with no reason, on dates that carry another claim too (a disputed date)."""
    owner = model.OWNER

    def queryset():
        others = model.objects.filter(**{owner: OuterRef(owner), "field": OuterRef("field")}).exclude(pk=OuterRef("pk"))
        return (
            model.objects.filter(rank=Rank.PREFERRED, reason="")
            .filter(Exists(others))
            .select_related(*related)
            .order_by(owner, "field", "id")
        )

    return queryset


def claim_owner_url(claim):
    return admin_url(claim.owner)


def describe_claim(claim):
    return f"{claim.owner} — {claim}"


def outside_lifetime():
    """Links of events to blocs that did not exist on the event's date, not yet reviewed."""
    return (
        EventBloc.objects.filter(lifetime_reviewed=False)
        .exclude(Bloc.exists_q(F("event__date"), via="bloc__"))
        .select_related("event", "bloc")
        .order_by("bloc__slug", "event__date", "event_id")
    )


def describe_outside_lifetime(link):
    bloc = link.bloc
    founded = bloc.partial_date("founded") or "?"
    dissolved = bloc.partial_date("dissolved") or "…"
    return f"{link.event} — {bloc.short_name} ({founded} – {dissolved})"


CHECKS = [
    Check(
        "single-source-spells",
        _("Spells resting on a single source"),
        _("Membership spells that cite exactly one source: one mistaken page would go unnoticed."),
        lambda: single_source(Membership, MembershipSource, "membership", ["country", "bloc"])().order_by(
            "bloc__slug", "country__alpha3", "start"
        ),
    ),
    Check(
        "single-source-events",
        _("Events resting on a single source"),
        _("Events that cite exactly one source: a second, independent one would confirm the date."),
        lambda: single_source(Event, EventSource, "event", walked=True)().order_by("-date", "-id"),
    ),
    Check(
        "unchecked-titles",
        _("Sources whose title was never checked"),
        _("Titles read off a URL or copied from elsewhere; tick “title checked” once the page itself is read."),
        lambda: Source.objects.filter(title_checked=False).exclude(title="").order_by("key"),
    ),
    Check(
        "unexplained-bloc-dates",
        _("Disputed bloc dates whose preferred claim gives no reason"),
        _("A bloc's founding or dissolution is disputed, and the preferred claim does not say why it is preferred."),
        unexplained_preferred(BlocClaim, ["bloc"]),
        claim_owner_url,
        describe_claim,
    ),
    Check(
        "unexplained-spell-dates",
        _("Disputed spell dates whose preferred claim gives no reason"),
        _("A spell's date is disputed, and the preferred claim does not say why it is preferred."),
        unexplained_preferred(MembershipClaim, ["membership__country", "membership__bloc"]),
        claim_owner_url,
        describe_claim,
    ),
    Check(
        "unexplained-event-dates",
        _("Disputed event dates whose preferred claim gives no reason"),
        _("An event's date is disputed, and the preferred claim does not say why it is preferred."),
        unexplained_preferred(EventClaim, ["event"]),
        claim_owner_url,
        describe_claim,
    ),
    Check(
        "outside-bloc-lifetime",
        _("Events dated outside the lifetime of their bloc"),
        _(
            "The event is linked to a bloc that was not yet founded, or already dissolved, on the event's date. "
            "Right for a treaty signed before its bloc came into being: mark those reviewed."
        ),
        outside_lifetime,
        lambda link: admin_url(link.event),
        describe_outside_lifetime,
        reviewable=True,
    ),
    Check(
        "blocs-without-sources",
        _("Blocs without any source"),
        _("Blocs that cite no source for their facts."),
        lambda: without_source(Bloc, BlocSource, "bloc")().order_by("slug"),
    ),
    Check(
        "spells-without-sources",
        _("Spells without any source"),
        _("Membership spells that cite no source."),
        lambda: without_source(Membership, MembershipSource, "membership", ["country", "bloc"])().order_by(
            "bloc__slug", "country__alpha3", "start"
        ),
    ),
    Check(
        "events-without-sources",
        _("Events without any source"),
        _("Events that cite no source."),
        lambda: without_source(Event, EventSource, "event")().order_by("-date", "-id"),
    ),
]
BY_SLUG = {check.slug: check for check in CHECKS}


def register(check):
    """Add a check from an app this one may not import (readers' suggestions): one more entry, as in CHECKS."""
    if check.slug not in BY_SLUG:
        CHECKS.append(check)
        BY_SLUG[check.slug] = check


# Past this many findings a check's count says "more than 1,000": counting every one of a
# finding that covers most of a million events costs seconds, and the list is paged anyway.
MOST_COUNTED = 1000


def counts(checks=CHECKS):
    """How many findings each check has, up to MOST_COUNTED + 1, in one query: [(check, count)].

    The counts are kept in the page store until a record changes (eurasia/page_cache.py): the
    admin index shows them on every visit, and on the full synthetic world the one query takes
    about three seconds without the cap (docs/performance.md).
    """

    def count():
        parts, params = [], []
        for check in checks:
            findings = check.findings().order_by().values("pk")[: MOST_COUNTED + 1]
            sql, check_params = findings.query.sql_with_params()
            parts.append(f"(SELECT count(*) FROM ({sql}) AS findings)")
            params.extend(check_params)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            return list(cursor.fetchone())

    kept = kept_until_records_change("quality-counts", [c.slug for c in checks], count)
    return list(zip(checks, kept, strict=True))


def count_words(count):
    """A count as the admin shows it: the number, or "more than 1,000" past MOST_COUNTED."""
    if count > MOST_COUNTED:
        return gettext("more than %(most)s") % {"most": number_format(MOST_COUNTED, force_grouping=True)}
    return number_format(count, force_grouping=True)


def shown_counts():
    """[(check, its count in words)] for the admin's pages."""
    return [(check, count_words(count)) for check, count in counts()]
