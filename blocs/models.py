"""Countries, blocs, membership spells and sources: the record of who belonged to what, when."""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.periods import column_sql, covers, covers_q, covers_sql, end_sql
from eurasia.history import History, TimeStamped
from eurasia.languages import CYRILLIC, in_language, russian_page
from eurasia.partial_dates import (
    HasPartialDates,
    partial_date_fields,
    precision_constraint,
)

SLUG_HELP = _("Lower-case letters, digits and hyphens; used in URLs, imports and exports.")


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
    title_checked = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_(
            "Tick once a curator has read the title off the page or document itself; "
            "titles read off a URL or copied from elsewhere stay unticked."
        ),
        verbose_name=_("title checked"),
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


# Uploaded spreadsheets waiting for their confirmation live beside the import machinery.
# Spells: one country in one bloc, in one role, over one period.
# Claims about a bloc's or a spell's dates, and the readings they follow.
from .claims import BlocClaim, BlocClaimSource, MembershipClaim, MembershipClaimSource, Rank, Reading  # noqa: E402, F401
from .memberships import (  # noqa: E402, F401
    OVERLAP_MESSAGE,
    DateRange,
    EndReason,
    Membership,
    MembershipLinks,
    MembershipQuerySet,
    MembershipSource,
    Role,
    SuspensionKind,
)
from .spreadsheets.pending import ImportFile, ImportFileQuerySet  # noqa: E402, F401
