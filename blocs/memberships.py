"""Memberships: the spells of countries in blocs, their roles, suspensions and ends, and the sources each cites.

The rules PostgreSQL holds for them (no two overlapping spells of a country in a bloc, an end after
its start, a suspension inside its spell) are constraints on the table; docs/architecture.md lists them.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.periods import BOUNDS, column_sql, covers, covers_q, covers_sql, end_sql, overlap, overlap_q
from eurasia.history import History, TimeStamped
from eurasia.kept_links import SOURCES, KeptLinks, KeptLinksRow, Link
from eurasia.partial_dates import (
    HasPartialDates,
    partial_date_fields,
    precision_constraint,
)


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    OBSERVER = "observer", _("observer")
    ASSOCIATE = "associate", _("associate")
    CANDIDATE = "candidate", _("candidate / acceding")
    PARTICIPANT = "participant", _("participant (non-member)")
    DIALOGUE_PARTNER = "dialogue_partner", _("dialogue partner")


class EndReason(models.TextChoices):
    WITHDRAWAL = "withdrawal", _("withdrawal")
    NON_RENEWAL = "non_renewal", _("non-renewal")
    EXPULSION = "expulsion", _("expulsion")
    DISSOLVED = "dissolved", _("bloc dissolved")
    SUCCEEDED = "succeeded", _("succeeded (by another spell or bloc)")
    OTHER = "other", _("other")


class SuspensionKind(models.TextChoices):
    FORMAL = "formal", _("formal decision of the bloc")
    SELF_DECLARED = "self_declared", _("self-declared by the country")
    DE_FACTO = "de_facto", _("in fact, without any decision")


OVERLAP_MESSAGE = _("This country already has a spell in this bloc that overlaps these dates.")


class DateRange(models.Func):
    """daterange(start, end, '[)'): a spell covers its start day up to, not including, its end."""

    function = "DATERANGE"
    output_field = DateRangeField()


class MembershipQuerySet(models.QuerySet):
    def active_on(self, day):
        """Spells in force on `day`, each annotated with `is_suspended` on that day."""
        return self.filter(Membership.in_force_q(day)).annotate(
            # A Case, not a bare Q: with no suspension the comparison is NULL, and readers need False.
            is_suspended=models.Case(
                models.When(Membership.suspended_q(day), then=True),
                default=False,
                output_field=models.BooleanField(),
            )
        )

    def current(self):
        return self.filter(end__isnull=True)

    def ended(self):
        return self.filter(end__isnull=False)

    def suspended_now(self):
        """Spells that are ongoing and under a suspension that has not ended."""
        return self.current().filter(suspension_start__isnull=False, suspension_end__isnull=True)

    def overlapping(self, membership):
        """Other spells of the same country in the same bloc that share at least one day."""
        qs = self.filter(country_id=membership.country_id, bloc_id=membership.bloc_id).exclude(pk=membership.pk)
        return qs.filter(overlap_q("start", "end", membership.start, membership.end))


class MembershipSource(models.Model):
    # The link goes with the spell, but a cited source cannot be deleted from under it.
    membership = models.ForeignKey(
        "Membership", on_delete=models.CASCADE, related_name="+", verbose_name=_("membership")
    )
    source = models.ForeignKey("blocs.Source", on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "source"], name="membershipsource_unique")]

    def __str__(self):
        return f"{self.membership_id} cites {self.source_id}"


class Membership(HasPartialDates, TimeStamped):
    """One spell: one country in one bloc, in one role, over one continuous period."""

    PARTIAL_DATES = ("start", "suspension_start", "suspension_end", "end")

    # Memberships are the record itself: a country or bloc with spells cannot be deleted.
    country = models.ForeignKey(
        "blocs.Country",
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("The member country."),
        verbose_name=_("country"),
    )
    bloc = models.ForeignKey(
        "blocs.Bloc",
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("The bloc it belongs to."),
        verbose_name=_("bloc"),
    )
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        default=Role.MEMBER,
        help_text=_("The country's standing in the bloc during this spell."),
        verbose_name=_("role"),
    )
    start, start_precision = partial_date_fields(
        _("start"),
        _("First day of the spell (accession, entry into force, or status granted)."),
        required=True,
    )
    suspension_start, suspension_start_precision = partial_date_fields(
        _("suspension start"), _("When the membership was suspended or frozen, if it was.")
    )
    suspension_end, suspension_end_precision = partial_date_fields(
        _("suspension end"),
        _("When the suspension was lifted; empty while it lasts. Needs a suspension start."),
    )
    suspension_kind = models.CharField(
        max_length=20,
        choices=SuspensionKind.choices,
        blank=True,
        help_text=(
            _(
                "Whether the bloc decided the suspension, the country declared it (Armenia's 2024 freeze), "
                "or it holds in fact without any decision (Afghanistan in the SCO since 2021)."
            )
        ),
        verbose_name=_("suspension kind"),
    )
    end, end_precision = partial_date_fields(
        _("end"),
        _("The day the spell ended: the first day the country no longer held this role. Empty while it lasts."),
    )
    end_reason = models.CharField(
        max_length=20,
        choices=EndReason.choices,
        blank=True,
        help_text=_("Why the spell ended; only with an end date."),
        verbose_name=_("end reason"),
    )
    notes = models.TextField(
        blank=True,
        help_text=_("Alternative dates, disagreements between sources, the founding article's claims."),
        verbose_name=_("notes"),
    )
    sources = models.ManyToManyField(
        "blocs.Source",
        through=MembershipSource,
        related_name="memberships",
        blank=True,
        help_text=_("Sources for the spell's dates."),
        verbose_name=_("sources"),
    )

    history = History(m2m_fields=[sources])
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["bloc__name", "country__name", "start"]
        indexes = [
            models.Index(fields=["bloc", "start"], name="membership_bloc_start"),
            models.Index(fields=["country", "start"], name="membership_country_start"),
            # The first spell, and the nearest change before and after a date (/on/<date>/, /data/),
            # each read from one end of an index rather than from every spell.
            models.Index(fields=["start"], name="membership_start"),
            models.Index(fields=["end"], name="membership_end"),
            models.Index(fields=["suspension_start"], name="membership_suspension_start"),
            models.Index(fields=["suspension_end"], name="membership_suspension_end"),
            models.Index(fields=["updated_at"], name="membership_updated_at"),  # as Source's
            # The admin's word search matches notes with icontains, UPPER(notes) LIKE '%word%'
            # (blocs/changelists.py search_words): a trigram index on that expression serves it.
            GinIndex(OpClass(Upper("notes"), name="gin_trgm_ops"), name="membership_notes_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(suspension_start__isnull=True) | Q(suspension_start__gte=F("start")),
                name="membership_suspension_after_start",
                violation_error_message=_("A suspension cannot start before the spell starts."),
            ),
            models.CheckConstraint(
                condition=Q(suspension_end__isnull=True)
                | (Q(suspension_start__isnull=False) & Q(suspension_end__gte=F("suspension_start"))),
                name="membership_suspension_end_after_suspension_start",
                violation_error_message=_("A suspension end needs a suspension start on or before it."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True)
                | (
                    Q(end__gte=F("start"))
                    & (Q(suspension_start__isnull=True) | Q(end__gte=F("suspension_start")))
                    & (Q(suspension_end__isnull=True) | Q(end__gte=F("suspension_end")))
                ),
                name="membership_end_after_other_dates",
                violation_error_message=_("A spell cannot end before it starts or before its suspension."),
            ),
            models.CheckConstraint(
                condition=Q(end_reason="") | Q(end__isnull=False),
                name="membership_end_reason_needs_end",
                violation_error_message=_("An end reason needs an end date."),
            ),
            models.CheckConstraint(
                condition=Q(suspension_kind="") | Q(suspension_start__isnull=False),
                name="membership_suspension_kind_needs_start",
                violation_error_message=_("A suspension kind needs a suspension start."),
            ),
            ExclusionConstraint(
                name="membership_no_overlapping_spells",
                expressions=[
                    ("country", RangeOperators.EQUAL),
                    ("bloc", RangeOperators.EQUAL),
                    (
                        DateRange("start", "end", models.Value(BOUNDS)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=OVERLAP_MESSAGE,
            ),
            precision_constraint("start", "membership"),
            precision_constraint("suspension_start", "membership"),
            precision_constraint("suspension_end", "membership"),
            precision_constraint("end", "membership"),
        ]

    def __str__(self):
        span = f"{self.partial_date('start')} – {self.partial_date('end') or 'present'}" if self.start else "undated"
        country = self.country.name if self.country_id else "?"
        bloc = self.bloc.short_name if self.bloc_id else "?"
        role = "" if self.role == Role.MEMBER else f" ({self.get_role_display()})"
        return f"{country} in {bloc}{role}, {span}"

    def date_order_errors(self):
        """Field errors for dates out of order, checked before any range is built from them."""
        errors = {}
        if self.start is None:
            return errors
        if self.suspension_start and self.suspension_start < self.start:
            errors["suspension_start"] = gettext(
                "The suspension cannot start (%(suspension_start)s) before the spell starts (%(start)s)."
            ) % {"suspension_start": self.partial_date("suspension_start"), "start": self.partial_date("start")}
        if self.suspension_end and not self.suspension_start:
            errors["suspension_end"] = gettext("A suspension end needs a suspension start.")
        elif self.suspension_end and self.suspension_end < self.suspension_start:
            errors["suspension_end"] = gettext(
                "The suspension cannot end (%(suspension_end)s) before it starts (%(suspension_start)s)."
            ) % {
                "suspension_end": self.partial_date("suspension_end"),
                "suspension_start": self.partial_date("suspension_start"),
            }
        if self.end:
            end = self.partial_date("end")
            if self.end < self.start:
                errors["end"] = gettext("The spell cannot end (%(end)s) before it starts (%(start)s).") % {
                    "end": end,
                    "start": self.partial_date("start"),
                }
            elif self.suspension_end and self.end < self.suspension_end:
                errors["end"] = gettext(
                    "The spell cannot end (%(end)s) before its suspension ends (%(suspension_end)s)."
                ) % {"end": end, "suspension_end": self.partial_date("suspension_end")}
            elif self.suspension_start and self.end < self.suspension_start:
                errors["end"] = gettext(
                    "The spell cannot end (%(end)s) before its suspension starts (%(suspension_start)s)."
                ) % {"end": end, "suspension_start": self.partial_date("suspension_start")}
        return errors

    def clean(self):
        errors = self.date_order_errors()
        if self.end_reason and not self.end:
            errors.setdefault(
                "end_reason",
                gettext("An end reason needs an end date; leave it empty while the spell lasts."),
            )
        if self.suspension_kind and not self.suspension_start:
            errors.setdefault("suspension_kind", gettext("A suspension kind needs a suspension start."))
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # The overlap check builds daterange(start, end) in PostgreSQL, which fails outright on
        # end < start; dates out of order are reported as field errors instead.
        exclude = set(exclude or ())
        if self.date_order_errors():
            exclude |= {"start", "end"}
        super().validate_constraints(exclude=exclude)

    # "In force on a day" and "suspended on a day", in Python, the ORM and SQL; the rule is in blocs.periods.
    def is_active_on(self, day):
        return covers(self.start, self.end, day)

    def is_suspended_on(self, day):
        return covers(self.suspension_start, self.suspension_end, day)

    def shares_days_with(self, other):
        """Whether the two spells' dates overlap, whatever their countries and blocs."""
        return overlap(self.start, self.end, other.start, other.end)

    @staticmethod
    def in_force_q(day, via=""):
        """Spells in force on `day`, through the relation path `via` ("memberships__") when given."""
        return covers_q(f"{via}start", f"{via}end", day)

    @staticmethod
    def suspended_q(day, via=""):
        return covers_q(f"{via}suspension_start", f"{via}suspension_end", day)

    @classmethod
    def in_force_sql(cls, alias, first, last=None, *, widen=False):
        """`in_force_q` as SQL over the table alias `alias`, for any day from `first` to `last` (see end_sql)."""
        return covers_sql(column_sql(cls, alias, "start"), end_sql(cls, alias, "end", widen=widen), first, last)

    @classmethod
    def suspended_sql(cls, alias, first, last=None, *, widen=False):
        start, end = column_sql(cls, alias, "suspension_start"), end_sql(cls, alias, "suspension_end", widen=widen)
        return covers_sql(start, end, first, last)


class MembershipLinks(KeptLinksRow):
    """Each spell's sources as the read API gives them, and whether one of its dates is disputed:
    a table the database keeps from the links and claims (eurasia/kept_links.py), read by the API
    with one look-up per spell instead of the link table and the sources."""

    KEPT = KeptLinks(
        table="blocs_membership_links_kept",
        owners="blocs_membership",
        owner="membership_id",
        links=(
            Link("sources", "blocs_membershipsource", "source_id", "blocs_source", SOURCES, ("key", "title", "url")),
        ),
        claims="blocs_membershipclaim",
    )

    membership_id = models.BigIntegerField(primary_key=True, help_text="The spell's key.")

    class Meta:
        db_table = "blocs_membership_links_kept"
        verbose_name_plural = "spells' links (kept by the database)"

    def __str__(self):
        return f"links of spell {self.membership_id}"

    @classmethod
    def kept_from(cls):
        """The records whose changes change this table (public/as_recorded.py); link changes are the spell's."""
        from .models import MembershipClaim, Source

        return [Membership, MembershipClaim, Source]
