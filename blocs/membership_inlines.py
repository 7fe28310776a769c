"""A bloc's or a country's spells on its change form: editable rows when few, a list one click from each when many."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from eurasia.curation import SEEN, CuratedForm

from .memberships import OVERLAP_MESSAGE
from .models import Membership


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """A bloc's or a country's spells on its change form: editable when few, listed and one link away when many.

    A bloc of a thousand spells would otherwise draw a thousand rows of inputs (megabytes of HTML, a
    page no curator can use) and cost what the table holds; even 25 editable rows cost about 5 ms
    each to draw (docs/performance.md). With more than MOST_SHOWN spells the form lists the latest
    ones by start, each linking to its own form, says how many there are, and links to the spells
    list filtered to the record; new spells are still added here, in rows of their own.
    """

    MOST_SHOWN = 25

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.total = None
        self.listed = []
        if self.instance.pk is None:
            return
        latest = list(self.queryset.order_by("-start", "-pk")[: self.MOST_SHOWN + 1])
        self.other_side = Membership._meta.get_field("country" if self.fk.name == "bloc" else "bloc").verbose_name
        if len(latest) > self.MOST_SHOWN:
            self.total = self.queryset.count()
            self.listed = [self.listed_spell(spell) for spell in latest[: self.MOST_SHOWN]]
            self.queryset = self.queryset.none()

    def listed_spell(self, spell):
        """What the list of a large record's spells shows of one: the other side, role, dates, and its form."""
        other = spell.country if self.fk.name == "bloc" else spell.bloc
        suspension = spell.partial_date("suspension_start")
        if suspension:
            lifted = spell.partial_date("suspension_end")
            suspension = f"{suspension} – {lifted}" if lifted else gettext("since %(date)s") % {"date": suspension}
        return {
            "url": reverse("admin:blocs_membership_change", args=[spell.pk]),
            "other": str(other),
            "role": spell.get_role_display(),
            "start": spell.partial_date("start") or "—",
            "end": spell.partial_date("end") or "—",
            "suspension": suspension or "—",
        }

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Each row's country (or bloc) box draws the record the row's spell already holds, loaded
        # with it, instead of asking the database for it row by row.
        other = "country" if self.fk.name == "bloc" else "bloc"
        field = form.fields.get(other)
        widget = getattr(field, "widget", None)
        widget = getattr(widget, "widget", widget)
        if isinstance(widget, ChosenAutocomplete) and form.instance.pk is not None:
            widget.chosen = getattr(form.instance, other)
        return form

    def all_spells_query(self):
        """The spells list's filter that shows every spell of this form's bloc or country."""
        if self.fk.name == "bloc":
            return urlencode({"bloc": self.instance.slug})
        return urlencode({"country": self.instance.alpha3})

    def clean(self):
        """Spells typed together on one page must not overlap each other either."""
        super().clean()
        if self.total and self.initial_form_count():
            # The form was drawn with editable rows, and the record has passed MOST_SHOWN spells
            # since: the rows no longer match what the form shows, so nothing of them is saved.
            raise forms.ValidationError(
                gettext(
                    "Spells were added to this record since the form was opened, and it now has "
                    "%(total)s: too many to edit here. Nothing was saved; open the form again."
                )
                % {"total": self.total}
            )
        # All forms share the page's bloc (or country), which a new record does not have yet:
        # compare the other side only.
        other_side = "country_id" if self.fk.name == "bloc" else "bloc_id"
        on_page = [form.instance.pk for form in self.forms if form.instance.pk is not None]
        spells = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            spell = form.instance
            if spell.start is None or getattr(spell, other_side) is None:
                continue
            # The record's spells that are not on the page (a large record shows none as rows):
            # the form leaves the bloc out of its own checks, which would let PostgreSQL refuse
            # the save with the curator's typing lost.
            if (
                form.has_changed()
                and self.instance.pk is not None
                and Membership.objects.overlapping(spell).exclude(pk__in=on_page).exists()
            ):
                form.add_error("start", OVERLAP_MESSAGE)
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


class ChosenAutocomplete(AutocompleteSelect):
    """An autocomplete box whose chosen record, when the form already holds it, is drawn without a query."""

    chosen = None

    def optgroups(self, name, value, attr=None):
        chosen = self.chosen
        picked = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if chosen is None or picked != [str(chosen.pk)]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(chosen)
        options.append(self.create_option(name, chosen.pk, label, set(picked), len(options)))
        return [(None, options, 0)]


class MembershipInline(admin.TabularInline):
    model = Membership
    form = CuratedForm
    formset = MembershipInlineFormSet
    template = "admin/blocs/membership_inline.html"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields and "widget" not in kwargs:
            kwargs["widget"] = ChosenAutocomplete(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
