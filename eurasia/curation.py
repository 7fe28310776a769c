"""What keeps the curated record trustworthy in the admin: one version per save, comparison, revert, no lost updates."""

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import get_m2m_reverse_field_name

from eurasia.history import changes, compare, record_change
from eurasia.partial_dates import PartialDateFormMixin

SEEN = "seen_updated_at"


def _who(version):
    if version.history_user_id:
        return str(version.history_user)
    # Without a user, a change came from a script or a load, which says why in its reason.
    return f"a data load ({version.history_change_reason})" if version.history_change_reason else "someone"


def _when(moment):
    return timezone.localtime(moment).strftime("%-d %B %Y, %H:%M:%S %Z")


class CheckedSaveForm(forms.ModelForm):
    """A form that refuses to save over a record changed by someone else since it was opened.

    It carries the record's `updated_at` as it was when the form was shown; on save the record is
    locked and its `updated_at` compared. If they differ, nothing is saved, and the curator sees
    who changed what; the form then carries the new `updated_at`, so saving again is a deliberate
    choice to replace their values with one's own.
    """

    seen_updated_at = forms.CharField(widget=forms.HiddenInput, required=False, label=_("Seen updated at"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = getattr(self.instance, "_history", None)
        if self.instance.pk is None:
            return
        if version is None:
            self.initial[SEEN] = self.instance.updated_at.isoformat()
            return
        # Reverting: the version is the old one, but the save replaces the record as it is now.
        live = self._meta.model._default_manager.filter(pk=self.instance.pk).values_list("updated_at", flat=True)
        self.initial[SEEN] = live[0].isoformat() if live else ""
        for field in version._history_m2m_fields:
            if field.name in self.fields:
                target = get_m2m_reverse_field_name(field)
                self.initial[field.name] = [getattr(row, f"{target}_id") for row in getattr(version, field.name).all()]

    def has_changed(self):
        # The version it was opened on is not an edit: on a save it differs whenever others saved.
        return any(name != SEEN for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        # A formset saves only the rows that changed; a page's main form always writes.
        if self.instance.pk is not None and (self.prefix is None or self.has_changed()):
            try:
                self._refuse_if_stale(cleaned.get(SEEN, ""))
            except ValidationError as refused:
                # Added, not raised, so that the other mixins' clean() still runs to completion.
                self.add_error(None, refused)
        return cleaned

    def _refuse_if_stale(self, token):
        if not token:
            return  # not rendered by the admin (a script or an older page); nothing to compare
        model = self._meta.model
        rows = model._default_manager.filter(pk=self.instance.pk).order_by()
        if connection.in_atomic_block:
            rows = rows.select_for_update(of=("self",))
        current = rows.values_list("updated_at", flat=True).first()
        name = model._meta.verbose_name
        if current is None:
            raise ValidationError(
                gettext("This %(record)s was deleted by someone else after you opened it. Nothing was saved.")
                % {"record": name}
            )
        try:
            seen = parse_datetime(token)
        except ValueError:
            seen = None
        if seen == current:
            return
        data = self.data.copy()
        data[self.add_prefix(SEEN)] = current.isoformat()
        self.data = data
        raise ValidationError(self.stale_messages(seen, name))

    def stale_messages(self, seen, name):
        history = self.instance.history.order_by("-history_date", "-history_id")
        newest = history.first()
        opened = history.filter(updated_at=seen).first() if seen else None
        if newest is None or opened is None:
            return [
                gettext("This %(record)s was changed by someone else after you opened it. Your changes were not saved.")
                % {"record": name},
                gettext("Reload the page to see the record as it is now."),
            ]
        later = list(history.filter(history_date__gt=opened.history_date).select_related("history_user"))
        who = ", ".join(dict.fromkeys(_who(v) for v in reversed(later)))
        lines = [
            gettext(
                "This %(record)s was changed by %(who)s (last at %(when)s) after you opened it. "
                "Your changes were not saved. What changed since:"
            )
            % {"record": name, "who": who, "when": _when(newest.history_date)}
        ]
        lines += [f"{c.label}: “{c.old}” → “{c.new}”" for c in changes(opened, newest)]
        lines.append(gettext("The form still shows your values. Saving again replaces theirs with yours."))
        return lines


class CurationAdminMixin:
    """For SimpleHistoryAdmin subclasses: one version per save, comparing versions, safe revert."""

    object_history_list_template = "admin/curation/history_list.html"
    compare_template = "admin/curation/compare.html"

    def get_urls(self):
        opts = self.model._meta
        compare_url = path(
            "<path:object_id>/history/compare/",
            self.admin_site.admin_view(self.compare_view),
            name=f"{opts.app_label}_{opts.model_name}_compare",
        )
        return [compare_url, *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        # The version the form was opened on travels with it, hidden, in the first fieldset.
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        first = fieldsets[0][1]
        if SEEN not in first["fields"]:
            first["fields"] = [*first["fields"], SEEN]
        return fieldsets

    def save_model(self, request, obj, form, change):
        version = getattr(obj, "_history", None)
        if version is not None:
            obj._change_reason = f"Reverted to the version of {_when(version.history_date)}"
        # The links are saved next: fields and links are then recorded together as one version.
        obj.skip_history_when_saving = True
        obj._created_in_admin = not change
        super().save_model(request, obj, form, change)

    def _record_version(self, obj):
        if hasattr(obj, "skip_history_when_saving"):
            record_change(obj, obj._created_in_admin)

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        self._record_version(form.instance)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def response_change(self, request, obj):
        self._record_version(obj)  # a revert saves its links without save_related
        return super().response_change(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._check_pk(unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_pk(unquote(object_id))
        # A version id is a bigint: longer digit strings cannot name one (and int() refuses 4,301 digits).
        if not (str(version_id).isascii() and str(version_id).isdigit() and len(str(version_id)) < 19):
            raise Http404
        # Viewing an old version is for everyone who may see history; reverting is a change.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def _check_pk(self, object_id):
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError:
            raise Http404 from None

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        for newer, older in zip(records, records[1:], strict=False):
            newer.history_delta_changes = [
                {"field": c.label, "old": c.old, "new": c.new} for c in changes(older, newer)
            ]

    def compare_view(self, request, object_id):
        object_id = unquote(object_id)
        self._check_pk(object_id)
        history = self.model.history.filter(**{self.model._meta.pk.attname: object_id}).select_related("history_user")
        wanted = [request.GET.get("old", ""), request.GET.get("new", "")]
        if not all(v.isdigit() and len(v) < 19 for v in wanted):
            raise Http404(gettext("Choose two versions to compare."))
        versions = {v.history_id: v for v in history.filter(history_id__in=[int(v) for v in wanted])}
        if len(versions) != len(set(wanted)):
            raise Http404(gettext("No such version of this record."))
        old, new = sorted((versions[int(v)] for v in wanted), key=lambda v: (v.history_date, v.history_id))
        obj = self.get_queryset(request).filter(pk=object_id).first() or new.instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Compare versions: %(record)s") % {"record": obj},
            "opts": opts,
            "object": obj,
            "old": old,
            "new": new,
            "rows": compare(old, new),
            "old_who": _who(old),
            "new_who": _who(new),
        }
        request.current_app = self.admin_site.name
        return render(request, self.compare_template, context)


class CuratedForm(PartialDateFormMixin, CheckedSaveForm):
    """Every admin form: partial dates typed as "2012-06", model validation, no save over a newer version."""
