"""The curators' admin for events."""

from django.contrib import admin

from blocs.admin import CuratedAdmin, partial_column

from .models import Event


@admin.register(Event)
class EventAdmin(CuratedAdmin):
    list_display = [
        partial_column("date", "date"),
        partial_column("end_date", "until"),
        "title",
        "kind",
        "location",
    ]
    list_display_links = ["title"]
    list_filter = ["kind", "blocs", "countries"]
    search_fields = ["title", "description", "location"]
    date_hierarchy = "date"
    autocomplete_fields = ["blocs", "countries", "memberships", "sources"]
    fieldsets = [
        (None, {"fields": ["date", "end_date", "title", "kind", "location"]}),
        ("Account", {"fields": ["description", "notes"]}),
        ("Links", {"fields": ["blocs", "countries", "memberships", "sources"]}),
    ]
