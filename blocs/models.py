"""Countries, blocs, membership spells and sources: the record of who belonged to what, when."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Value
from django.db.models.functions import Coalesce, NullIf, Upper
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.periods import BOUNDS, column_sql, covers, covers_q, covers_sql, end_sql, overlap, overlap_q
from eurasia.history import History
from eurasia.languages import CYRILLIC, in_language, russian_page
from eurasia.partial_dates import (
    HasPartialDates,
    partial_date_fields,
    precision_constraint,
)

SLUG_HELP = _("Lower-case letters, digits and hyphens; used in URLs, imports and exports.")


class TimeStamped(models.Model):
    created_at = models.DateTimeField(
        auto_now_add=True, help_text=_("When the record was created."), verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(
        auto_now=True,
        help_text=_("When the record was last changed; shown on the public pages."),
        verbose_name=_("updated at"),
    )

    class Meta:
        abstract = True


class Source(HasPartialDates, TimeStamped):
    """A document that a record cites: a treaty text, an official page, a news report."""

    PARTIAL_DATES = ("published",)

    key = models.SlugField(
        max_length=80,
        unique=True,
        help_text=format_lazy(
            "{} {}", _("Short stable key, such as tass-687141; the natural key in imports and exports."), SLUG_HELP
        ),
        verbose_name=_("key"),
    )
    title = models.CharField(
        max_length=300, blank=True, help_text=_("Title of the page or document."), verbose_name=_("title")
    )
    publisher = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Who published it: an agency, a ministry, a journal."),
        verbose_name=_("publisher"),
    )
    kind = models.CharField(
        max_length=100,
        blank=True,
        help_text=_('What sort of source it is: "news", "CSTO official", "wiki mirror" (weaker), ...'),
        verbose_name=_("kind"),
    )
    url = models.URLField(
        max_length=1000,
        blank=True,
        help_text=_("Where to read it; leave empty when none is recorded."),
        verbose_name=_("url"),
    )
    published, published_precision = partial_date_fields(_("published"), _("When it was published."))
    notes = models.TextField(
        blank=True, help_text=_("Anything a curator should know about this source."), verbose_name=_("notes")
    )

    history = History()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["key"]
        constraints = [precision_constraint("published", "source")]
        # When the data last changed (/data/): the newest row read from the index's end, not every row.
        indexes = [models.Index(fields=["updated_at"], name="source_updated_at")]

    def __str__(self):
        return f"{self.key}: {self.title}" if self.title else self.key

    def natural_key(self):
        return (self.key,)


def local_name(via=""):
    """The name a reader of the page sorts and reads by, as an expression: on Russian pages the Russian name,
    the English one where there is none; elsewhere the English name. `via` leads to a country or a bloc
    ("country__")."""
    if russian_page():
        return Coalesce(NullIf(F(f"{via}name_ru"), Value("")), F(f"{via}name"))
    return F(f"{via}name")


class CountryQuerySet(models.QuerySet):
    def get_by_natural_key(self, alpha3):
        return self.get(alpha3=alpha3.upper())


class Country(TimeStamped):
    """A state, named by its ISO 3166-1 codes."""

    name = models.CharField(
        max_length=120, unique=True, help_text=_("Short English name, as readers know it."), verbose_name=_("name")
    )
    name_ru = models.CharField(
        _("name in Russian"),
        default="",
        db_default="",
        max_length=120,
        blank=True,
        help_text=_(
            "Short Russian name, as Russian readers know it (Казахстан); pages in Russian show the English name when empty."
        ),
    )
    alpha2 = models.CharField(
        _("ISO alpha-2"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters, as in ISO 3166-1 (RU, KZ)."))],
        help_text=_("ISO 3166-1 alpha-2 code, two capital letters (RU)."),
    )
    alpha3 = models.CharField(
        _("ISO alpha-3"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Three capital letters, as in ISO 3166-1 (RUS, KAZ)."))],
        help_text=_(
            "ISO 3166-1 alpha-3 code, three capital letters (RUS); the natural key in URLs, imports and exports."
        ),
    )
    cow_code = models.PositiveSmallIntegerField(
        _("COW code"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("Correlates of War country code (Russia is 365), for joining with COW and ATOP data."),
    )
    other_names = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Other names and spellings, separated by semicolons (Kirghizia; Kyrgyz Republic)."),
        verbose_name=_("other names"),
    )
    notes = models.TextField(
        blank=True,
        help_text=_("Anything a curator should know about this country's record."),
        verbose_name=_("notes"),
    )

    history = History()
    objects = CountryQuerySet.as_manager()

    class Meta:
        verbose_name = _("country")
        ordering = ["name"]
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(condition=Q(alpha2__regex=r"^[A-Z]{2}$"), name="country_alpha2_format"),
            models.CheckConstraint(condition=Q(alpha3__regex=r"^[A-Z]{3}$"), name="country_alpha3_format"),
        ]

    def __str__(self):
        return f"{self.name} ({self.alpha3})"

    def get_absolute_url(self):
        return reverse("blocs:country", args=[self.alpha3.lower()])

    @property
    def local_name(self):
        """The name in the language of the page: the Russian one on Russian pages, when recorded."""
        return in_language(self.name, self.name_ru)

    def natural_key(self):
        return (self.alpha3,)


class BlocKind(models.TextChoices):
    MILITARY_ALLIANCE = "military_alliance", _("military alliance")
    CUSTOMS_UNION = "customs_union", _("customs union")
    ECONOMIC_UNION = "economic_union", _("economic union")
    POLITICAL = "political", _("political organisation")
    OTHER = "other", _("other")


class BlocQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def existing_on(self, day):
        """Blocs founded on or before `day` and not yet dissolved."""
        return self.filter(Bloc.exists_q(day))

    def with_predecessor_ids(self):
        """Blocs annotated with `predecessor_ids`, the ids of the blocs each continued, in the same query."""
        earlier = Succession.objects.filter(successor=OuterRef("pk")).order_by("predecessor_id")
        return self.annotate(predecessor_ids=ArraySubquery(earlier.values("predecessor_id")))


class BlocSource(models.Model):
    # The link goes with the bloc, but a cited source cannot be deleted from under it.
    bloc = models.ForeignKey("Bloc", on_delete=models.CASCADE, related_name="+", verbose_name=_("bloc"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bloc", "source"], name="blocsource_unique")]

    def __str__(self):
        return f"{self.bloc_id} cites {self.source_id}"


class Succession(models.Model):
    """One bloc continuing another (EurAsEC, the Customs Union and the SES into the EAEU)."""

    # Both ends are history: deleting either bloc must not silently drop the link.
    predecessor = models.ForeignKey(
        "Bloc",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The earlier bloc."),
        verbose_name=_("predecessor"),
    )
    successor = models.ForeignKey(
        "Bloc", on_delete=models.PROTECT, related_name="+", help_text=_("The later bloc."), verbose_name=_("successor")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique"),
            models.CheckConstraint(condition=~Q(predecessor=F("successor")), name="succession_not_self"),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor}"


class Bloc(HasPartialDates, TimeStamped):
    """An alliance, union or organisation that countries belong to."""

    PARTIAL_DATES = ("founded", "dissolved")

    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text=format_lazy("{} {}", _("Stable short name, such as csto or cu-bkr."), SLUG_HELP),
        verbose_name=_("slug"),
    )
    name = models.CharField(
        max_length=200,
        unique=True,
        help_text=_("Full English name (Collective Security Treaty Organization)."),
        verbose_name=_("name"),
    )
    name_ru = models.CharField(
        _("name in Russian"),
        default="",
        db_default="",
        max_length=200,
        blank=True,
        help_text=_(
            "Full Russian name (Организация Договора о коллективной безопасности); "
            "pages in Russian show the English name when empty."
        ),
    )
    abbreviations = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text=_("Abbreviations and other short names, separated by commas (CSTO, ОДКБ, ODKB)."),
        verbose_name=_("abbreviations"),
    )
    kind = models.CharField(
        max_length=20, choices=BlocKind.choices, help_text=_("What sort of bloc it is."), verbose_name=_("kind")
    )
    founded, founded_precision = partial_date_fields(
        _("founded"),
        _("When the bloc came into being (its treaty in force or first operation)."),
    )
    dissolved, dissolved_precision = partial_date_fields(
        _("dissolved"), _("When the bloc ceased to exist; empty while it exists.")
    )
    # A force inside an organisation (the CSTO's CRRF) keeps its own spells but points to its parent.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The bloc this one sits inside, if any (the CRRF sits inside the CSTO)."),
        verbose_name=_("parent"),
    )
    predecessors = models.ManyToManyField(
        "self",
        symmetrical=False,
        through=Succession,
        through_fields=("successor", "predecessor"),
        related_name="successors",
        blank=True,
        help_text=_("Blocs this one continued or absorbed (the CST for the CSTO)."),
        verbose_name=_("predecessors"),
    )
    description = models.TextField(
        blank=True, help_text=_("A short account of the bloc for readers."), verbose_name=_("description")
    )
    notes = models.TextField(
        blank=True,
        help_text=_("Curators' notes: alternative dates, disagreements between sources."),
        verbose_name=_("notes"),
    )
    sources = models.ManyToManyField(
        "blocs.Source",
        through=BlocSource,
        related_name="blocs",
        blank=True,
        help_text=_("Sources for the bloc's facts."),
        verbose_name=_("sources"),
    )

    history = History(m2m_fields=[sources, predecessors])
    objects = BlocQuerySet.as_manager()

    class Meta:
        verbose_name = _("bloc")
        verbose_name_plural = _("blocs")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved__isnull=True) | Q(founded__isnull=True) | Q(dissolved__gte=F("founded")),
                name="bloc_dissolved_after_founded",
                violation_error_message=_("A bloc cannot be dissolved before it was founded."),
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="bloc_not_own_parent"),
            precision_constraint("founded", "bloc"),
            precision_constraint("dissolved", "bloc"),
        ]

    def __str__(self):
        short = self.abbreviations[0] if self.abbreviations else ""
        return f"{self.name} ({short})" if short and short != self.name else self.name

    def get_absolute_url(self):
        return reverse("blocs:bloc", args=[self.slug])

    @property
    def local_label(self):
        """As `str()`, in the language of the page: "Организация Договора о коллективной безопасности (ОДКБ)"."""
        name, short = self.local_name, self.short_name
        return f"{name} ({short})" if short and short != name else name

    @property
    def local_name(self):
        """The name in the language of the page: the Russian one on Russian pages, when recorded."""
        return in_language(self.name, self.name_ru)

    @property
    def short_name(self):
        """The first abbreviation; on Russian pages the first one in Cyrillic (ОДКБ), else the Russian name."""
        if russian_page():
            cyrillic = next((a for a in self.abbreviations if CYRILLIC.search(a)), None)
            if cyrillic or self.name_ru:
                return cyrillic or self.name_ru
        return self.abbreviations[0] if self.abbreviations else self.name

    def exists_on(self, day):
        """Whether the bloc had been founded and not yet dissolved on `day`; no founding date counts as founded."""
        return covers(self.founded, self.dissolved, day, open_start=True)

    @staticmethod
    def exists_q(day, via=""):
        """`exists_on` as a Q, through the relation path `via` ("bloc__") when given."""
        return covers_q(f"{via}founded", f"{via}dissolved", day, open_start=True)

    @classmethod
    def exists_sql(cls, alias, first, last=None, *, widen=False):
        """`exists_on` as SQL over the table alias `alias`, for any day from `first` to `last` (see end_sql)."""
        founded, dissolved = column_sql(cls, alias, "founded"), end_sql(cls, alias, "dissolved", widen=widen)
        return covers_sql(founded, dissolved, first, last, open_start=True)

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        errors = {}
        if self.founded and self.dissolved and self.dissolved < self.founded:
            errors["dissolved"] = gettext(
                "The bloc cannot be dissolved (%(dissolved)s) before it was founded (%(founded)s)."
            ) % {"dissolved": self.partial_date("dissolved"), "founded": self.partial_date("founded")}
        if self.pk and self.parent_id == self.pk:
            errors["parent"] = gettext("A bloc cannot sit inside itself.")
        if errors:
            raise ValidationError(errors)


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
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "source"], name="membershipsource_unique")]

    def __str__(self):
        return f"{self.membership_id} cites {self.source_id}"


class Membership(HasPartialDates, TimeStamped):
    """One spell: one country in one bloc, in one role, over one continuous period."""

    PARTIAL_DATES = ("start", "suspension_start", "suspension_end", "end")

    # Memberships are the record itself: a country or bloc with spells cannot be deleted.
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("The member country."),
        verbose_name=_("country"),
    )
    bloc = models.ForeignKey(
        Bloc,
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
        Source,
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


# Uploaded spreadsheets waiting for their confirmation live beside the import machinery.
# Claims about a bloc's or a spell's dates, and the readings they follow.
from .claims import BlocClaim, BlocClaimSource, MembershipClaim, MembershipClaimSource, Rank, Reading  # noqa: E402, F401
from .spreadsheets.pending import ImportFile, ImportFileQuerySet  # noqa: E402, F401
