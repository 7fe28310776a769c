"""The curators' admin for events."""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from blocs.admin import ClaimAdmin, ClaimInline, CuratedAdmin, partial_date_column
from blocs.changelists import LargeListAdmin
from eurasia.search import MAX_WORDS, bounded_search

from .filters import EventBlocFilter, EventCountryFilter, YearFilter
from .models import Event, EventClaim, search_query, search_vector
from .resources import EventClaimResource, EventResource


@admin.register(Event)
class EventAdmin(LargeListAdmin, CuratedAdmin):
    resource_classes = [EventResource]
    list_display = [
        partial_date_column("date", _("date")),
        partial_date_column("end_date", _("until")),
        "title",
        "kind",
        "location",
    ]
    list_display_links = ["title"]
    list_filter = ["kind", YearFilter, EventBlocFilter, EventCountryFilter]
    search_fields = ["title", "description", "location", "title_ru", "description_ru"]
    # A year box rather than the date hierarchy, whose list of years reads every row.
    indexed_orderings = ["date"]
    autocomplete_fields = ["blocs", "countries", "memberships", "sources"]

    def get_search_results(self, request, queryset, search_term):
        # The full-text index answers in milliseconds; ILIKE '%…%' on three columns reads every
        # row. Each word matches as a prefix, so "Uzbek" still finds "Uzbekistan".
        words = re.findall(r"\w+", bounded_search(request, search_term))[:MAX_WORDS]
        if not words:
            return queryset, False
        query = search_query(" & ".join(f"{w}:*" for w in words), search_type="raw")
        return queryset.alias(search=search_vector()).filter(search=query), False

    fieldsets = [
        (None, {"fields": ["date", "end_date", ("title", "title_ru"), "kind", "location"]}),
        (_("Account"), {"fields": [("description", "description_ru"), "notes"]}),
        (_("Links"), {"fields": ["blocs", "countries", "memberships", "sources"]}),
    ]


class EventClaimInline(ClaimInline):
    model = EventClaim
    fields = [name for name in ClaimInline.fields if name != "field"]


EventAdmin.inlines = [EventClaimInline]


@admin.register(EventClaim)
class EventClaimAdmin(ClaimAdmin):
    resource_classes = [EventClaimResource]
    list_select_related = ["reading", "event"]
    search_fields = ["reason", "event__title"]
