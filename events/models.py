"""Events: what happened, when, in which blocs and countries, and who says so."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.expressions import Expression, RawSQL
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.claims import Claim, ClaimSource
from blocs.models import Bloc, Country, Membership, Source
from blocs.periods import column_sql
from eurasia.history import History, TimeStamped
from eurasia.kept_links import SOURCES, KeptDates, KeptLinks, KeptLinksRow, Link
from eurasia.languages import in_language
from eurasia.partial_dates import (
    HasPartialDates,
    partial_date_fields,
    precision_constraint,
)

SEARCH_CONFIG = "english"
# The Russian title and description are searched with PostgreSQL's Russian stemming.
RUSSIAN_SEARCH_CONFIG = "russian"


# search_text_vector() as SQL over the event's own columns: the expression of the stored column
# `search` (migration 0011, which keeps its own copy; tests/test_as_recorded.py checks they agree).
SEARCH_VECTOR_SQL = (
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '') || ' ' "
    "|| COALESCE(location, '')) || to_tsvector('russian'::regconfig, COALESCE(title_ru, '') || ' ' "
    "|| COALESCE(description_ru, ''))"
)


def search_text_vector():
    """The events' words as a text search vector: English title, description and place, Russian title and description.

    Migration 0010 stores it in the generated column `search` (as SQL: it must stay the same
    expression), so that a search never computes it again.
    """
    return SearchVector("title", "description", "location", config=SEARCH_CONFIG) + SearchVector(
        "title_ru", "description_ru", config=RUSSIAN_SEARCH_CONFIG
    )


class StoredSearchVector(Expression):
    """The event's stored search vector: the column `search` of the events table, GIN-indexed (migration 0010).

    A generated column, written by PostgreSQL on every insert and update, and kept out of the
    model's fields on purpose: the bulk import, COPY loads and the history name the fields they
    write, and none may write this one. Reading it costs a search nothing per row; the
    expression index it replaces made PostgreSQL compute every candidate's vector again to
    recheck it, and every match's to rank it.
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return (
            f"{compiler.quote_name_unless_alias(compiler.query.base_table)}.{connection.ops.quote_name('search')}",
            [],
        )


def search_vector():
    return StoredSearchVector()


def search_query(text, search_type="websearch"):
    """The reader's words as a query in both languages: an event matches in English or in Russian."""
    return SearchQuery(text, config=SEARCH_CONFIG, search_type=search_type) | SearchQuery(
        text, config=RUSSIAN_SEARCH_CONFIG, search_type=search_type
    )


class EventKind(models.TextChoices):
    SUMMIT = "summit", _("summit")
    TREATY_SIGNED = "treaty_signed", _("treaty signed")
    ACCESSION = "accession", _("accession")
    SUSPENSION = "suspension", _("suspension")
    WITHDRAWAL = "withdrawal", _("withdrawal")
    ANNOUNCEMENT = "announcement", _("announcement")
    EXERCISE = "exercise", _("exercise")
    DEPLOYMENT = "deployment", _("deployment")
    CRISIS = "crisis", _("crisis")
    OTHER = "other", _("other")


class EventQuerySet(models.QuerySet):
    def for_country(self, country):
        return self.linked_to(EventCountry, "country", country)

    def for_bloc(self, bloc):
        return self.linked_to(EventBloc, "bloc", bloc)

    def linked_to(self, link, name, record):
        """Events that `link` ties to `record`, found through the link table's index first.

        Joined plainly, PostgreSQL tends to walk the date index of every event, newest first,
        until enough of the record's turn up: for one country's 7,000 events among a million, a
        hundred thousand rows read. OFFSET 0 keeps the subquery apart, so the record's events are
        picked from the link table first and only they are sorted, whatever the order asked for.
        """
        meta = link._meta
        quote = connection.ops.quote_name
        event, other = quote(meta.get_field("event").column), quote(meta.get_field(name).column)
        sql = f"SELECT {event} FROM {quote(meta.db_table)} WHERE {other} = %s OFFSET 0"
        return self.filter(pk__in=RawSQL(sql, [record.pk]))

    def newest_of(self, end, limit, offset=0, **bounds):
        """The `limit` newest events linked to `end` (a bloc or a country), from the `offset`-th on,
        within `bounds` (EventDate.newest's `first`, `last` and `after`).

        Their keys come from the table the database keeps in date order (EventDate), one index
        range, instead of looking each of the record's thousands of events up for its date and
        sorting them all (docs/performance.md, "Drawn pages"). Only those rows are then read.
        """
        sql, params = EventDate.of(end).newest(end, limit, offset=offset, **bounds)
        # The keys as an array, computed first: the events are then looked up by key, where an IN
        # (subquery) let the planner hash all million of them under ?as_recorded= (0.4 s).
        key = f"{connection.ops.quote_name(self.model._meta.db_table)}.{connection.ops.quote_name('id')}"
        picked = RawSQL(f"{key} = ANY(ARRAY({sql}))", params, output_field=models.BooleanField())
        return self.filter(picked).newest_first(few=True)

    def in_years(self, first=None, last=None):
        """Events that began in the years `first` to `last`, or began before and ended in them (Event.in_years_sql)."""
        qs = self
        if first is not None:
            qs = qs.filter(Q(date__year__gte=first) | Q(end_date__year__gte=first))
        if last is not None:
            qs = qs.filter(date__year__lte=last)
        return qs

    def search(self, text):
        """PostgreSQL full-text search over title, description and location in both languages, best match first."""
        query = search_query(text)
        return (
            self.annotate(search=search_vector())
            .filter(search=query)
            .annotate(rank=SearchRank(F("search"), query))
            .order_by("-rank", "-date")
        )

    def newest_first(self, *, few=False):
        """Newest first. Say `few` when the events are a small part of all (a search's matches).

        For a small selection PostgreSQL tends to walk the date index of every event backwards,
        testing each, until enough of the selection turns up. Sorting on `date + 0` takes that
        index out of its choices, so it reads the selection through its own index and sorts it.
        (A bloc's or a country's events need not say it: for_bloc and for_country pick them first.)
        """
        if few:
            return self.order_by(ExpressionWrapper(F("date") + 0, output_field=models.DateField()).desc(), "-id")
        return self.order_by("-date", "-id")


class EventsInYear(models.Model):
    """How many events began in each year, kept by the database itself for the histogram of /events/.

    Counting a million events by year took 80 ms of every drawing of the unfiltered list; this
    table answers in a few rows. Statement-level triggers on the events table (migration 0008)
    add and subtract each statement's rows by year, whoever writes them (the admin, an import,
    COPY, a shell), in the writer's own transaction, so the counts are exactly as current as the
    events a reader sees. Years whose events were all deleted keep a row of 0.
    """

    year = models.IntegerField(primary_key=True, help_text="A calendar year.")
    events = models.BigIntegerField(help_text="How many events began in it (kept by the database).")

    class Meta:
        db_table = "events_per_year"
        verbose_name_plural = "events in each year"

    def __str__(self):
        return f"{self.year}: {self.events}"

    @classmethod
    def kept_from(cls):
        """The records whose changes change this table (public/as_recorded.py)."""
        return [Event]

    @classmethod
    def from_record_sql(cls, quote):
        """The table computed afresh from the events, as the triggers keep it (for ?as_recorded=)."""
        year, count = (quote(cls._meta.get_field(name).column) for name in ("year", "events"))
        date = quote(Event._meta.get_field("date").column)
        return (
            f"SELECT EXTRACT(YEAR FROM {date})::integer AS {year}, count(*)::bigint AS {count} "
            f"FROM {quote(Event._meta.db_table)} GROUP BY 1"
        )

    @classmethod
    def from_changes_sql(cls, quote, schema, changed, then):
        """The table as it stood, from the table as kept now (in `schema`) and the events changed since
        (`changed`: SQL of their keys; `then`: SQL of those events as they stood): less what they
        count now, plus what they counted then. Cheaper than from_record_sql when few changed
        (for ?as_recorded=).
        """
        year, count = (quote(cls._meta.get_field(name).column) for name in ("year", "events"))
        date, key = quote(Event._meta.get_field("date").column), quote(Event._meta.pk.column)
        return (
            f"SELECT {year}, sum(n)::bigint AS {count} FROM ("
            f"SELECT {year}, {count} AS n FROM {schema}.{quote(cls._meta.db_table)} "
            f"UNION ALL SELECT EXTRACT(YEAR FROM e.{date})::integer, -1 FROM {schema}.{quote(Event._meta.db_table)} e "
            f"WHERE e.{key} IN ({changed}) "
            f"UNION ALL SELECT EXTRACT(YEAR FROM e.{date})::integer, 1 FROM ({then}) e"
            f") AS counts GROUP BY 1"
        )


# Events are history: a bloc, country or source that an event names cannot be deleted from under it.
class EventBloc(models.Model):
    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    bloc = models.ForeignKey(Bloc, on_delete=models.PROTECT, related_name="+", verbose_name=_("bloc"))
    # A treaty is signed before its bloc exists: the quality checks flag such dates once, until reviewed.
    lifetime_reviewed = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("A curator has confirmed that the event rightly falls outside the bloc's lifetime."),
        verbose_name=_("dated outside the bloc's lifetime: reviewed"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "bloc"], name="eventbloc_unique")]
        indexes = [models.Index(fields=["bloc", "event"], name="eventbloc_bloc_event")]

    def __str__(self):
        return f"event {self.event_id}: bloc {self.bloc_id}"


class EventCountry(models.Model):
    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "country"], name="eventcountry_unique")]
        indexes = [models.Index(fields=["country", "event"], name="eventcountry_country_event")]

    def __str__(self):
        return f"event {self.event_id}: country {self.country_id}"


class EventSource(models.Model):
    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "source"], name="eventsource_unique")]

    def __str__(self):
        return f"event {self.event_id}: source {self.source_id}"


class Event(HasPartialDates, TimeStamped):
    """Something that happened: a summit, an accession, a crisis."""

    PARTIAL_DATES = ("date", "end_date")
    # Columns PostgreSQL writes itself, by their SQL: the record as it stood (public/as_recorded.py)
    # computes them for a record rebuilt from its history, which does not keep them.
    GENERATED_COLUMNS = {"search": SEARCH_VECTOR_SQL}

    date, date_precision = partial_date_fields(_("date"), _("When it happened, or when it began."), required=True)
    end_date, end_date_precision = partial_date_fields(
        _("end date"), _("For events that span days: the last day. Empty for one-day events.")
    )
    title = models.CharField(
        max_length=300, help_text=_("One line a reader can scan: what happened."), verbose_name=_("title")
    )
    title_ru = models.CharField(
        _("title in Russian"),
        default="",
        db_default="",
        max_length=300,
        blank=True,
        help_text=_("The title in Russian; pages in Russian show the English one when empty."),
    )
    kind = models.CharField(
        max_length=20, choices=EventKind.choices, help_text=_("What sort of event it is."), verbose_name=_("kind")
    )
    description = models.TextField(
        blank=True,
        help_text=_("What happened, in a few sentences, with any disagreement between sources."),
        verbose_name=_("description"),
    )
    description_ru = models.TextField(
        _("description in Russian"),
        default="",
        db_default="",
        blank=True,
        help_text=_("The description in Russian; pages in Russian show the English one when empty."),
    )
    location = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Where it happened (city, region), if known."),
        verbose_name=_("location"),
    )
    blocs = models.ManyToManyField(
        Bloc,
        through=EventBloc,
        related_name="events",
        blank=True,
        help_text=_("The blocs it concerns."),
        verbose_name=_("blocs"),
    )
    countries = models.ManyToManyField(
        Country,
        through=EventCountry,
        related_name="events",
        blank=True,
        help_text=_("The countries it concerns."),
        verbose_name=_("countries"),
    )
    # Unlinked, not deleted, if a spell goes: the event still happened.
    memberships = models.ManyToManyField(
        Membership,
        related_name="events",
        blank=True,
        help_text=_("Membership spells this event started, suspended or ended."),
        verbose_name=_("memberships"),
    )
    sources = models.ManyToManyField(
        Source,
        through=EventSource,
        related_name="events",
        blank=True,
        help_text=_("Sources that report it."),
        verbose_name=_("sources"),
    )
    notes = models.TextField(
        blank=True,
        help_text=_("Curators' notes: alternative dates, what the founding article claimed."),
        verbose_name=_("notes"),
    )

    history = History(m2m_fields=[blocs, countries, memberships, sources])
    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date", "-id"]
        permissions = [("review_quality", _("Can see the quality checks and mark their findings reviewed"))]
        indexes = [
            models.Index(fields=["-date", "-id"], name="event_date_desc"),
            models.Index(fields=["kind", "-date"], name="event_kind_date"),
            # When the data last changed (/data/): the newest row from the index's end, as for sources and spells.
            models.Index(fields=["updated_at"], name="event_updated_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="event_end_after_start",
                violation_error_message=_("An event cannot end before it begins."),
            ),
            precision_constraint("date", "event"),
            precision_constraint("end_date", "event"),
            # The natural key, as imports and the exchange format name an event: a file imported twice,
            # or twice at once, cannot store its events twice.
            models.UniqueConstraint(
                fields=["date", "title"],
                name="event_date_title_unique",
                violation_error_message=_("An event with this title is already recorded on this date."),
            ),
        ]

    def __str__(self):
        return f"{self.partial_date('date')}: {self.title}" if self.date else self.title

    def get_absolute_url(self):
        return reverse("events:event", args=[self.pk])

    @property
    def local_title(self):
        """The title in the language of the page: the Russian one on Russian pages, when recorded."""
        return in_language(self.title, self.title_ru)

    @property
    def local_description(self):
        return in_language(self.description, self.description_ru)

    def clean(self):
        if self.date and self.end_date and self.end_date < self.date:
            raise ValidationError(
                {
                    "end_date": gettext("The event cannot end (%(end)s) before it begins (%(start)s).")
                    % {"end": self.partial_date("end_date"), "start": self.partial_date("date")}
                }
            )

    @property
    def when(self):
        """The date as a reader reads it: "12 June 2012" or "2–5 October 2009"."""
        start, end = self.partial_date("date"), self.partial_date("end_date")
        return f"{start} – {end}" if end else str(start)

    @classmethod
    def in_years_sql(cls, alias, first, last):
        """`Event.objects.in_years(first, last)` as SQL over the table alias `alias`, for /data/."""
        date, end_date = column_sql(cls, alias, "date"), column_sql(cls, alias, "end_date")
        return (
            f"(EXTRACT(year FROM {date}) >= {first} OR EXTRACT(year FROM {end_date}) >= {first})"
            f" AND EXTRACT(year FROM {date}) <= {last}"
        )


# The link goes with the claim, but a cited source cannot be deleted from under it.
class EventClaimSource(ClaimSource):
    claim = models.ForeignKey("events.EventClaim", on_delete=models.CASCADE, related_name="+")


class EventClaim(Claim):
    OWNER = "event"
    FIELDS = ("date",)

    # A claim is about its record and goes with it.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="claims", help_text="The event.")
    field = models.CharField(
        max_length=20,
        choices=[("date", _("date"))],
        default="date",
        help_text="Which of the event's dates the claim is about.",
    )
    sources = models.ManyToManyField(
        Source,
        through=EventClaimSource,
        related_name="+",
        help_text="The sources that give this value; at least one.",
    )

    history = History(m2m_fields=[sources])

    class Meta:
        ordering = ["event", "field", "id"]
        constraints = Claim.constraints_for("eventclaim", "event")


class EventLinks(KeptLinksRow):
    """Each event's blocs, countries and sources as the read API gives them, and whether its date is
    disputed: a table the database keeps from the links and claims (eurasia/kept_links.py).

    A page of 1,000 events spent 15 of its 20 ms in PostgreSQL gathering the page's links from
    three link tables and their blocs, countries and sources; this table answers with one look-up
    per event (docs/performance.md, "Read API").
    """

    KEPT = KeptLinks(
        table="events_links_kept",
        owners="events_event",
        owner="event_id",
        links=(
            Link("blocs", "events_eventbloc", "bloc_id", "blocs_bloc", "array_agg(t.slug ORDER BY t.slug)", ("slug",)),
            Link(
                "countries",
                "events_eventcountry",
                "country_id",
                "blocs_country",
                "array_agg(t.alpha3 ORDER BY t.alpha3)",
                ("alpha3",),
            ),
            Link("sources", "events_eventsource", "source_id", "blocs_source", SOURCES, ("key", "title", "url")),
        ),
        claims="events_eventclaim",
    )

    event_id = models.BigIntegerField(primary_key=True, help_text="The event's key.")
    blocs = ArrayField(models.TextField(), null=True, help_text="The blocs' slugs, in order.")
    countries = ArrayField(models.TextField(), null=True, help_text="The countries' alpha-3 codes, in order.")

    class Meta:
        db_table = "events_links_kept"
        verbose_name_plural = "events' links (kept by the database)"

    def __str__(self):
        return f"links of event {self.event_id}"

    @classmethod
    def kept_from(cls):
        """The records whose changes change this table (public/as_recorded.py); link changes are the event's."""
        return [Event, EventClaim, Bloc, Country, Source]


class EventDate(models.Model):
    """A bloc's or a country's events with their dates, kept by the database in date order
    (eurasia/kept_links.py, KeptDates), so that its newest events are read from one index range.

    Found through the link table, a bloc's newest 100 events meant looking each of its 3,000 events
    up for its date, then sorting them: 10 ms of the read API's 16 ms for that page, slower than
    Datasette's (docs/performance.md, "Read API").
    """

    KEPT: KeptDates

    date = models.DateField(help_text="The event's date.")
    event_id = models.BigIntegerField(help_text="The event's key.")

    class Meta:
        abstract = True

    @classmethod
    def kept_from(cls):
        """The records whose changes change this table (public/as_recorded.py); link changes are the event's."""
        return [Event]

    @classmethod
    def from_record_sql(cls, quote):
        return cls.KEPT.from_record_sql(quote)

    @classmethod
    def from_changes_sql(cls, quote, schema, changed, then):
        return cls.KEPT.from_changes_sql(quote, schema, changed, then)

    @classmethod
    def newest(cls, end, limit, first=None, last=None, after=None, offset=0):
        """SQL (and its parameters) of the keys of the `limit` newest events linked to `end`, from
        `first` to `last` (days), after the (date, key) `after` in that order, skipping `offset`.

        An OFFSET here is cheap: the index holds the key, and the table's pages are all-visible
        once vacuumed, so the skipped rows are read from the index alone."""
        quote = connection.ops.quote_name
        table, column = quote(cls._meta.db_table), quote(cls.KEPT.end)
        date, event = quote(cls.KEPT.date), quote(cls.KEPT.owner)
        conditions, params = [f"{column} = %s"], [end.pk]
        if first:
            conditions.append(f"{date} >= %s")
            params.append(first)
        if last:
            conditions.append(f"{date} <= %s")
            params.append(last)
        if after:
            conditions.append(f"({date}, {event}) < (%s, %s)")
            params += list(after)
        where, order = " AND ".join(conditions), f"{date} DESC, {event} DESC"
        return (
            f"SELECT {event} FROM {table} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )

    @classmethod
    def per_year(cls, end):
        """How many events linked to `end` began in each year, oldest first: (year, count) pairs,
        read from the same index range."""
        rows = cls.objects.filter(**{cls.KEPT.end: end.pk}).values_list("date__year")
        return list(rows.annotate(n=models.Count("event_id")).order_by("date__year"))

    @staticmethod
    def of(end):
        """The kept table of a bloc's or a country's events."""
        return BlocEventDate if end._meta.model_name == "bloc" else CountryEventDate


class BlocEventDate(EventDate):
    KEPT = KeptDates("events_bloc_event_dates", "events_eventbloc", "bloc_id", "events_event", "event_id")

    pk = models.CompositePrimaryKey("bloc_id", "event_id")
    bloc_id = models.BigIntegerField(help_text="The bloc's key.")

    class Meta:
        db_table = "events_bloc_event_dates"
        verbose_name_plural = "blocs' events by date (kept by the database)"
        indexes = [models.Index(fields=["bloc_id", "-date", "-event_id"], name="bloc_event_dates_newest")]

    def __str__(self):
        return f"bloc {self.bloc_id}: event {self.event_id} on {self.date}"


class CountryEventDate(EventDate):
    KEPT = KeptDates("events_country_event_dates", "events_eventcountry", "country_id", "events_event", "event_id")

    pk = models.CompositePrimaryKey("country_id", "event_id")
    country_id = models.BigIntegerField(help_text="The country's key.")

    class Meta:
        db_table = "events_country_event_dates"
        verbose_name_plural = "countries' events by date (kept by the database)"
        indexes = [models.Index(fields=["country_id", "-date", "-event_id"], name="country_event_dates_newest")]

    def __str__(self):
        return f"country {self.country_id}: event {self.event_id} on {self.date}"
