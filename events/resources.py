"""Events in spreadsheets: one row per event, named by its date and title, linked by natural keys."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from blocs.models import Bloc, Country, Source
from blocs.spreadsheets.columns import ChoiceWidget, Column, KeysWidget, SpellsWidget, TextWidget, partial_date_columns
from blocs.spreadsheets.curated import CuratedResource

from .models import Event, EventKind


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
