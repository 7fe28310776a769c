"""Events in spreadsheets: one row per event, named by its date and title, linked by natural keys."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from blocs.models import Bloc, Country, Source
from blocs.resources import CLAIM_COLUMNS
from blocs.spreadsheets.claims import ClaimResource, OwnerWidget
from blocs.spreadsheets.columns import (
    ChoiceWidget,
    Column,
    KeysWidget,
    PartialDateWidget,
    PartialIso,
    SpellsWidget,
    TextWidget,
    partial_date_columns,
)
from blocs.spreadsheets.curated import CuratedResource

from .models import Event, EventClaim, EventKind


class EventResource(CuratedResource):
    date, date_precision = partial_date_columns("date", "date", required=True)
    end_date, end_date_precision = partial_date_columns("end_date", "end date")
    title = Column("title", "title", TextWidget(strip=True), required=True)
    kind = Column(
        "kind",
        "kind",
        ChoiceWidget(EventKind.choices, pgettext_lazy("what a cell names", "kind of event")),
        required=True,
    )
    location = Column("location", "location")
    description = Column("description", "description")
    notes = Column("notes", "notes")
    title_ru = Column("title_ru", "title_ru", TextWidget(strip=True))
    description_ru = Column("description_ru", "description_ru")
    blocs = Column("blocs", "blocs", KeysWidget(Bloc, "slug", pgettext_lazy("what a cell names", "bloc")))
    countries = Column(
        "countries",
        "countries",
        KeysWidget(Country, "alpha3", pgettext_lazy("what a cell names", "country"), upper=True),
    )
    spells = Column("memberships", "spells", SpellsWidget())
    sources = Column("sources", "sources", KeysWidget(Source, "key", pgettext_lazy("what a cell names", "source")))

    key_fields = ("date", "title")
    translations = ("title_ru", "description_ru")

    def existing_records(self, dataset):
        # Only the events on the dates the file names, through the date index, not all million.
        return self.get_queryset().filter(date__in=self.named_in(dataset, "date"))

    what = pgettext_lazy("what a row names", "event")
    prefetch = ("blocs", "countries", "sources", "memberships__bloc", "memberships__country")

    class Meta(CuratedResource.Meta):
        model = Event
        name = _("Events by date and title")
        fields = (
            "date",
            "date_precision",
            "end_date",
            "end_date_precision",
            "title",
            "kind",
            "location",
            "description",
            "notes",
            "blocs",
            "countries",
            "spells",
            "sources",
            "title_ru",
            "description_ru",
        )


class EventOwnerWidget(OwnerWidget):
    """An event named by its date (this column) and its title, as the events' own spreadsheet names it."""

    what = "event"
    parts = ("event title", "event date")

    def key_of_row(self, value, row):
        date = PartialDateWidget().clean(value)
        if date is None:
            raise ValueError("The event date is empty.")
        return (date.date, str(row.get("event title") or "").strip())

    def records(self, keys):
        events = Event.objects.filter(date__in={k[0] for k in keys}, title__in={k[1] for k in keys})
        return {(e.date, e.title): e for e in events}

    def describe(self, key):
        return f"“{key[1]}” on {key[0].isoformat()}"

    def render(self, value, obj=None, **kwargs):
        return value.partial_date("date").iso if value else ""

    def export_sql(self, model, attribute):
        return PartialIso(f"{attribute}__date")


class EventClaimResource(ClaimResource):
    event = Column("event", "event date", EventOwnerWidget(), required=True)
    event_title = Column("event__title", "event title", TextWidget(strip=True), readonly=True)
    field = ClaimResource.field_column(EventClaim)

    owner_column = "event date"
    owner_parts = ("event title",)
    what = "claim about an event"
    select_related = ("reading", "event")

    class Meta(ClaimResource.Meta):
        model = EventClaim
        name = "Claims about events' dates, by event date and title"
        fields = ("event", "event_title", *CLAIM_COLUMNS)
