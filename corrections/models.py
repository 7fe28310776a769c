"""Readers' suggestions: what a reader says is wrong with a record, kept pending until a curator decides.

A suggestion names one record (a bloc, a country, an event or a spell) by a real foreign key, and,
when it is about a date, which of the record's dated facts (a spell's start, a bloc's founding).
Nothing public reads this table: a suggestion changes the record only when a curator accepts it,
and then as a claim with its source (corrections/accepting.py). Its table has no records trigger,
so a suggestion does not move the page cache's state either (eurasia/page_cache.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Source
from eurasia.partial_dates import HasPartialDates, Precision, precision_constraint
from events.models import Event, EventClaim

# Size limits, held by the database's column types as well as by the form.
WHAT_LENGTH = 2000
TEXT_LENGTH = 1000
URL_LENGTH = 1000
EMAIL_LENGTH = 254
REASON_LENGTH = 300


class Kind(models.TextChoices):
    BLOC = "bloc", _("bloc")
    COUNTRY = "country", _("country")
    EVENT = "event", _("event")
    SPELL = "spell", _("membership spell")


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


# Each kind of record: its model, the foreign key naming it, and the claims its dates may carry.
OWNERS = {
    Kind.BLOC: ("bloc", Bloc, BlocClaim),
    Kind.COUNTRY: ("country", Country, None),
    Kind.EVENT: ("event", Event, EventClaim),
    Kind.SPELL: ("membership", Membership, MembershipClaim),
}


def claim_model(kind):
    return OWNERS[kind][2]


def facts_of(kind):
    """The dated facts of a kind of record a reader may correct: those its claims may be about."""
    model = claim_model(kind)
    return model.FIELDS if model else ()


def fact_label(kind, field):
    """A dated fact's name in the page's language ("start", "founded")."""
    model = claim_model(kind)
    choices = dict(model._meta.get_field("field").choices) if model else {}
    return str(choices.get(field, field))


def owner_q(kind):
    """Exactly the owner column of `kind` is filled."""
    names = {name for name, _, _ in OWNERS.values()}
    owner = OWNERS[kind][0]
    return Q(kind=kind, **{f"{owner}__isnull": False}, **{f"{name}__isnull": True for name in names - {owner}})


class SuggestionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Status.PENDING)

    def with_records(self):
        """Suggestions with the record each is about, in the same query."""
        return self.select_related("bloc", "country", "event", "membership__country", "membership__bloc")


class Suggestion(HasPartialDates, models.Model):
    """One reader's correction to one record, or to one dated fact of it."""

    PARTIAL_DATES = ("proposed_date",)

    kind = models.CharField(max_length=10, choices=Kind.choices, help_text="What kind of record it is about.")
    # A suggestion is about its record and goes with it.
    bloc = models.ForeignKey(
        Bloc, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestions", help_text="The bloc."
    )
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestions", help_text="The country."
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestions", help_text="The event."
    )
    membership = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="suggestions",
        help_text="The membership spell.",
    )
    field = models.CharField(
        max_length=20,
        blank=True,
        help_text="Which of the record's dates it is about (start, end, founded...); empty for anything else.",
    )
    what = models.CharField(
        _("what is wrong"), max_length=WHAT_LENGTH, help_text="What the reader says is wrong, as plain text."
    )
    proposed_date = models.DateField(_("proposed date"), null=True, blank=True, help_text="The date the reader gives.")
    proposed_date_precision = models.CharField(
        max_length=5,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text="How much of the date the reader gives: the day, the month or only the year.",
    )
    proposed_text = models.CharField(
        _("proposed text"), max_length=TEXT_LENGTH, blank=True, help_text="What the reader would put instead."
    )
    source_url = models.URLField(
        _("source link"), max_length=URL_LENGTH, blank=True, help_text="Where the reader read it (http or https)."
    )
    email = models.EmailField(
        _("e-mail"),
        max_length=EMAIL_LENGTH,
        blank=True,
        help_text="The reader's address, if given: for curators only, never shown on the site nor sent anywhere.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, help_text="Pending until a curator decides."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the reader sent it.")
    reviewed_at = models.DateTimeField(null=True, blank=True, help_text="When a curator accepted or declined it.")
    # The decision stays when a curator's account goes.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The curator who decided.",
    )
    review_reason = models.CharField(
        max_length=REASON_LENGTH, blank=True, help_text="Why it was accepted or declined; kept in its history."
    )
    # What accepting it made: the source its link became, and the claim (one of the three kinds).
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Its link as a source."
    )
    bloc_claim = models.ForeignKey(
        BlocClaim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The claim made."
    )
    membership_claim = models.ForeignKey(
        MembershipClaim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The claim made."
    )
    event_claim = models.ForeignKey(
        EventClaim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The claim made."
    )

    history = HistoricalRecords(excluded_fields=["email"])
    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("readers' suggestions")
        ordering = ["-created_at", "-id"]
        permissions = [("review_suggestion", "Can accept or decline readers' suggestions")]
        indexes = [models.Index(fields=["status", "created_at"], name="suggestion_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=owner_q(Kind.BLOC) | owner_q(Kind.COUNTRY) | owner_q(Kind.EVENT) | owner_q(Kind.SPELL),
                name="suggestion_one_record_of_its_kind",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.PENDING) | (Q(reviewed_at__isnull=False) & ~Q(review_reason="")),
                name="suggestion_decision_has_a_reason",
                violation_error_message="A decision needs its reason.",
            ),
            models.CheckConstraint(condition=~Q(what=""), name="suggestion_says_what_is_wrong"),
            precision_constraint("proposed_date", "suggestion"),
        ]

    def __str__(self):
        return gettext("Suggestion %(pk)s about %(record)s") % {"pk": self.pk, "record": self.record_label}

    @property
    def record(self):
        return getattr(self, OWNERS[self.kind][0])

    @property
    def record_label(self):
        """The record as a reader names it, in the page's language."""
        record = self.record
        if self.kind == Kind.SPELL:
            return spell_label(record)
        if self.kind == Kind.EVENT:
            return f"{record.partial_date('date')}: {record.local_title}"
        return record.local_name

    @property
    def fact_label(self):
        return fact_label(self.kind, self.field) if self.field else ""

    @property
    def proposed(self):
        """The proposed date, or None."""
        return self.partial_date("proposed_date")

    @property
    def claim(self):
        return self.bloc_claim or self.membership_claim or self.event_claim

    def set_proposed(self, value):
        """Store a PartialDate (or None) as the date and its precision."""
        self.proposed_date = value.date if value else None
        self.proposed_date_precision = value.precision if value else Precision.DAY

    @property
    def is_pending(self):
        return self.status == Status.PENDING


def spell_label(spell):
    """ "Armenia in the CSTO (observer), 2000 – 2024", in the page's language."""
    span = f"{spell.partial_date('start')} – {spell.partial_date('end') or gettext('today')}"
    who = gettext("%(country)s in %(bloc)s") % {"country": spell.country.local_name, "bloc": spell.bloc.short_name}
    role = f" ({spell.get_role_display()})" if spell.role != "member" else ""
    return f"{who}{role}, {span}"
