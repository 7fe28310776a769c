"""The curators' admin for sources, countries, blocs and membership spells."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from eurasia.constraints import constraint_message
from eurasia.curation import CuratedForm, CurationAdminMixin
from eurasia.partial_dates import FORMAT_HELP, PartialDateFormMixin
from eurasia.search import bounded_search

from .changelists import BlocFilter, CountryFilter, LargeListAdmin, search_words
from .membership_inlines import BlocMembershipInline, CountryMembershipInline
from .models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Rank, Reading, Role, Source
from .resources import (
    BlocClaimResource,
    BlocResource,
    CountryResource,
    MembershipClaimResource,
    MembershipResource,
    SourceResource,
)
from .spreadsheets.admin import SpreadsheetAdminMixin


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


@admin.register(Source)
class SourceAdmin(CuratedAdmin):
    resource_classes = [SourceResource]
    list_display = [
        "key",
        "title",
        "publisher",
        "kind",
        partial_date_column("published", _("published")),
        "title_checked",
        "link",
    ]
    list_filter = ["title_checked", "kind"]
    search_fields = ["key", "title", "publisher", "url"]
    fields = ["key", ("title", "title_checked"), "publisher", "kind", "url", "published", "notes"]

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


# Claims ------------------------------------------------------------------------------------------


class ClaimForm(PartialDateFormMixin, forms.ModelForm):
    """One claim in a record's form: its date typed as the record's own dates are; empty for "no such date"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "value" in self.fields:
            self.fields["value"].label = _("Value")
            self.fields["value"].help_text = _('Empty for "no such date". ') + FORMAT_HELP
        if "sources" in self.fields:
            self.fields["sources"].error_messages["required"] = _("Every claim cites at least one source.")


class ClaimFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """A date with claims has one preferred claim, equal to the date the record's form saves."""
        super().clean()
        if any(self.errors):
            return
        record = self.instance
        by_field = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data:
                continue
            claim = form.instance
            if data.get("DELETE"):
                continue
            by_field.setdefault(claim.field, []).append(form)
        deleted = [f for f in self.forms if getattr(f, "cleaned_data", None) and f.cleaned_data.get("DELETE")]
        for form in deleted:
            claim = form.instance
            if claim.pk and claim.rank == Rank.PREFERRED and by_field.get(claim.field):
                label = claim.get_field_display()
                raise forms.ValidationError(
                    _(
                        "The preferred claim for the %(date)s cannot be deleted while other claims remain: "
                        "make another claim preferred first."
                    )
                    % {"date": label}
                )
        for field, forms_ in by_field.items():
            label = record._meta.get_field(field).verbose_name
            preferred = [f for f in forms_ if f.instance.rank == Rank.PREFERRED]
            if len(preferred) != 1:
                raise forms.ValidationError(
                    _("The %(date)s has claims: exactly one of them must be preferred.") % {"date": label}
                )
            claim = preferred[0].instance
            stored = record.partial_date(field)
            if stored != claim.partial_value:
                none = _("no date")
                raise forms.ValidationError(
                    _(
                        "The preferred claim for the %(date)s (%(claim)s) differs from the %(date)s the record "
                        "stores (%(stored)s): change both together, or use “Make preferred”."
                    )
                    % {"date": label, "claim": claim.value_text, "stored": stored or none}
                )


class ClaimInline(admin.TabularInline):
    form = ClaimForm
    formset = ClaimFormSet
    extra = 0
    fields = ["field", "value", "rank", "reason", "reading", "sources", "make_preferred_link"]
    readonly_fields = ["make_preferred_link"]
    autocomplete_fields = ["reading", "sources"]
    verbose_name = _("claim")
    verbose_name_plural = _("claims: what the sources say about these dates")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["widget"] = AutocompleteSelectMultiple(db_field, self.admin_site)
        return db_field.formfield(**kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reading").prefetch_related("sources")

    @admin.display(description=_("make preferred"))
    def make_preferred_link(self, claim):
        if not claim.pk or claim.rank == Rank.PREFERRED:
            return "—"
        meta = claim._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_make_preferred", args=[claim.pk])
        return format_html('<a href="{}">{}</a>', url, _("Make preferred…"))


class MakePreferredForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("Why this claim is now the one the record uses; kept in the record's history."),
    )


class CheckedHistoryAdmin(SimpleHistoryAdmin):
    """History pages that answer 404, not a server error, to an address that names no record or version."""

    def _check_pk(self, object_id):
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None

    def history_view(self, request, object_id, extra_context=None):
        self._check_pk(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_pk(object_id)
        if not (str(version_id).isascii() and str(version_id).isdigit() and len(str(version_id)) < 19):
            raise Http404
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ClaimAdmin(SpreadsheetAdminMixin, CheckedHistoryAdmin):
    """Claims of one kind of record: a list to search, the "make preferred" step, and spreadsheets in and out."""

    export_template_name = CuratedAdmin.export_template_name

    form = ClaimForm
    list_display = ["__str__", "owner_link", "rank", "reading", "reason"]
    list_filter = ["rank", "field", "reading"]
    list_select_related = ["reading"]
    autocomplete_fields = ["reading", "sources"]
    actions = None  # deleting in bulk would skip the check that keeps one preferred claim per date
    # The date and its rank change on the record's own form, beside the record's date, or by
    # "make preferred"; here only what does not touch the record.
    readonly_fields = ["owner_link", "field", "value_text", "rank"]

    def get_fields(self, request, obj=None):
        return ["owner_link", "field", "value_text", "rank", "reason", "reading", "sources"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["widget"] = AutocompleteSelectMultiple(db_field, self.admin_site)
        return db_field.formfield(**kwargs)

    def has_add_permission(self, request):
        return False  # a claim is added on its record's form, where the record's date is

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (IntegrityError, DataError) as error:
            self.message_user(request, f"Nothing was saved: {constraint_message(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_urls(self):
        meta = self.model._meta
        name = f"{meta.app_label}_{meta.model_name}_make_preferred"
        view = self.admin_site.admin_view(self.make_preferred_view)
        return [path("<int:claim_id>/make-preferred/", view, name=name), *super().get_urls()]

    @admin.display(description=_("record"))
    def owner_link(self, claim):
        owner = claim.owner
        meta = owner._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[owner.pk])
        return format_html('<a href="{}">{}</a>', url, owner)

    def owner_url(self, claim):
        meta = claim.owner._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[claim.owner_id])

    def make_preferred_view(self, request, claim_id):
        claim = self.get_object(request, str(claim_id))
        if claim is None:
            raise Http404(_("No such claim."))
        if not self.has_change_permission(request, claim):
            raise PermissionDenied
        form = MakePreferredForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                claim.make_preferred(request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                for messages_ in error.message_dict.values():
                    for message in messages_:
                        form.add_error(None, message)
            else:
                self.message_user(
                    request,
                    _("The %(date)s is now %(value)s, and that claim is preferred.")
                    % {"date": claim.get_field_display(), "value": claim.value_text},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self.owner_url(claim))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Make a claim preferred"),
            "claim": claim,
            "record": claim.owner,
            "current": claim.owner.partial_date(claim.field),
            "form": form,
            "back": self.owner_url(claim),
        }
        return TemplateResponse(request, "admin/blocs/make_preferred.html", context)

    def delete_view(self, request, object_id, extra_context=None):
        claim = self.get_object(request, object_id)
        refused = claim.deletion_refused() if claim else ""
        if refused:
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(self.owner_url(claim))
        return super().delete_view(request, object_id, extra_context)


class MembershipClaimInline(ClaimInline):
    model = MembershipClaim


class BlocClaimInline(ClaimInline):
    model = BlocClaim


BlocAdmin.inlines = [*BlocAdmin.inlines, BlocClaimInline]
MembershipAdmin.inlines = [MembershipClaimInline]


@admin.register(MembershipClaim)
class MembershipClaimAdmin(ClaimAdmin):
    resource_classes = [MembershipClaimResource]
    list_select_related = ["reading", "membership__country", "membership__bloc"]
    search_fields = ["reason", "membership__country__name", "membership__bloc__name"]


@admin.register(BlocClaim)
class BlocClaimAdmin(ClaimAdmin):
    resource_classes = [BlocClaimResource]
    list_select_related = ["reading", "bloc"]
    search_fields = ["reason", "bloc__name"]


@admin.register(Reading)
class ReadingAdmin(CheckedHistoryAdmin):
    list_display = ["name", "key", "url"]
    search_fields = ["name", "key", "citation"]
    fields = ["key", "name", "citation", "url"]
    prepopulated_fields = {"key": ["name"]}
