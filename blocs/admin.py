"""The curators' admin for sources, countries, blocs and membership spells."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.db import DataError, IntegrityError
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from eurasia.constraints import constraint_message
from eurasia.curation import SEEN, CheckedSaveForm, CurationAdminMixin
from eurasia.partial_dates import PartialDateFormMixin
from eurasia.search import bounded_search

from .changelists import BlocFilter, CountryFilter, LargeListAdmin, search_words
from .models import Bloc, Country, Membership, Role, Source
from .resources import BlocResource, CountryResource, MembershipResource, SourceResource
from .spreadsheets.admin import SpreadsheetAdminMixin


class CuratedForm(PartialDateFormMixin, CheckedSaveForm):
    """Every admin form: partial dates typed as "2012-06", model validation, no save over a newer version."""


class CuratedAdmin(CurationAdminMixin, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    """Shared behaviour of every curated model's admin page."""

    form = CuratedForm
    save_on_top = True
    export_template_name = "admin/blocs/export.html"  # django-import-export's own uses inline handlers

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, bounded_search(request, search_term))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Our relationship models only add PROTECT to the link, so the plain field is safe to
        # edit (Django hides fields with an explicit `through` by default).
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(db_field, self.admin_site)
        return db_field.formfield(**kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Forms check every rule first; this is the net for a race between two curators.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (IntegrityError, DataError) as error:
            self.message_user(
                request,
                gettext("Nothing was saved: %(reason)s") % {"reason": constraint_message(error)},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


def partial_date_column(name, label):
    """A list column showing a partial date as readers see it, sortable by the stored day."""

    @admin.display(description=label, ordering=name)
    def column(obj):
        return obj.partial_date(name) or "—"

    return column


class SpellStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("current", _("current")),
            ("suspended", _("suspended now")),
            ("ended", _("ended")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "current":
                return queryset.current()
            case "suspended":
                return queryset.suspended_now()
            case "ended":
                return queryset.ended()
        return queryset


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Spells typed together on one page must not overlap each other either."""
        super().clean()
        # All forms share the page's bloc (or country), which a new record does not have yet:
        # compare the other side only.
        other_side = "country_id" if self.fk.name == "bloc" else "bloc_id"
        spells = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            spell = form.instance
            if spell.start is None or getattr(spell, other_side) is None:
                continue
            for other in spells:
                if getattr(other, other_side) != getattr(spell, other_side):
                    continue
                if spell.shares_days_with(other):
                    form.add_error(
                        "start",
                        gettext("This spell overlaps another spell on this page (%(start)s onwards).")
                        % {"start": other.partial_date("start")},
                    )
            spells.append(spell)


class MembershipInline(admin.TabularInline):
    model = Membership
    form = CuratedForm
    formset = MembershipInlineFormSet
    extra = 0
    show_change_link = True
    fields = [
        "role",
        "start",
        "suspension_start",
        "suspension_end",
        "suspension_kind",
        "end",
        "end_reason",
        SEEN,
    ]


class BlocMembershipInline(MembershipInline):
    fk_name = "bloc"
    fields = ["country", *MembershipInline.fields]
    autocomplete_fields = ["country"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country", "bloc")


class CountryMembershipInline(MembershipInline):
    fk_name = "country"
    fields = ["bloc", *MembershipInline.fields]
    autocomplete_fields = ["bloc"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country", "bloc")


@admin.register(Source)
class SourceAdmin(CuratedAdmin):
    resource_classes = [SourceResource]
    list_display = [
        "key",
        "title",
        "publisher",
        "kind",
        partial_date_column("published", _("published")),
        "link",
    ]
    list_filter = ["kind"]
    search_fields = ["key", "title", "publisher", "url"]
    fields = ["key", "title", "publisher", "kind", "url", "published", "notes"]

    @admin.display(description=_("URL"))
    def link(self, obj):
        return format_html('<a href="{}" rel="noopener">{}</a>', obj.url, gettext("open")) if obj.url else "—"


@admin.register(Country)
class CountryAdmin(CuratedAdmin):
    resource_classes = [CountryResource]
    list_display = ["name", "alpha2", "alpha3", "cow_code", "other_names"]
    search_fields = ["name", "name_ru", "alpha2", "alpha3", "other_names"]
    fields = [("name", "name_ru"), "alpha2", "alpha3", "cow_code", "other_names", "notes"]
    inlines = [CountryMembershipInline]


class ParentFilter(admin.SimpleListFilter):
    title = _("place")
    parameter_name = "place"

    def lookups(self, request, model_admin):
        return [("top", _("top-level blocs")), ("inside", _("inside another bloc"))]

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "inside":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Bloc)
class BlocAdmin(CuratedAdmin):
    resource_classes = [BlocResource]
    list_display = [
        "name",
        "slug",
        "abbreviation_list",
        "kind",
        partial_date_column("founded", _("founded")),
        partial_date_column("dissolved", _("dissolved")),
        "parent",
    ]
    list_filter = ["kind", ParentFilter]
    list_select_related = ["parent"]
    search_fields = ["name", "name_ru", "slug", "abbreviations"]
    autocomplete_fields = ["parent", "predecessors", "sources"]
    fieldsets = [
        (None, {"fields": [("name", "name_ru"), "slug", "abbreviations", "kind"]}),
        (_("Dates"), {"fields": ["founded", "dissolved"]}),
        (_("Relations"), {"fields": ["parent", "predecessors"]}),
        (_("Account"), {"fields": ["description", "notes", "sources"]}),
    ]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [BlocMembershipInline]

    @admin.display(description=_("abbreviations"))
    def abbreviation_list(self, obj):
        return ", ".join(obj.abbreviations)


@admin.register(Membership)
class MembershipAdmin(LargeListAdmin, CuratedAdmin):
    resource_classes = [MembershipResource]
    list_display = [
        "country",
        "bloc_short",
        "role",
        partial_date_column("start", _("start")),
        partial_date_column("suspension_start", _("suspended")),
        partial_date_column("suspension_end", _("suspension lifted")),
        partial_date_column("end", _("end")),
        "end_reason",
    ]
    list_filter = [SpellStatusFilter, "role", BlocFilter, CountryFilter, "end_reason"]
    list_select_related = ["country", "bloc"]
    # The default order (bloc name, country name, start) walks the bloc name index.
    indexed_orderings = ["bloc", "bloc__name"]
    search_fields = [
        "country__name",
        "country__alpha3",
        "bloc__name",
        "bloc__slug",
        "notes",
    ]
    autocomplete_fields = ["country", "bloc", "sources"]
    fieldsets = [
        (None, {"fields": ["country", "bloc", "role"]}),
        (_("Spell"), {"fields": ["start", "end", "end_reason"]}),
        (
            _("Suspension"),
            {"fields": ["suspension_start", "suspension_end", "suspension_kind"]},
        ),
        (_("Evidence"), {"fields": ["sources", "notes"]}),
    ]

    @admin.display(description=_("bloc"), ordering="bloc__name")
    def bloc_short(self, obj):
        return obj.bloc.short_name

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("role", Role.MEMBER)
        return initial

    def get_search_results(self, request, queryset, search_term):
        related = {"country": (Country, ["alpha3"], ["name"]), "bloc": (Bloc, ["slug"], ["name"])}
        search_term = bounded_search(request, search_term)
        return search_words(queryset, search_term, related, own_fields=["notes"]), False
