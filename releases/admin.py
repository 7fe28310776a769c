"""Releases in the admin: publish one (with the "publish release" permission), view, withdraw; never edit or delete."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import Job

from .background import publish_release
from .models import VERSION_HELP, Release, ReleaseFile
from .publishing import PublishError, check_new_version

PUBLISH = "releases.publish_release"


class PublishForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=12, help_text=VERSION_HELP)
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("What this release is, for its readers: what changed and why."),
    )

    def clean_version(self):
        version = self.cleaned_data["version"].strip()
        try:
            check_new_version(version)
        except PublishError as e:
            raise forms.ValidationError(str(e)) from None
        return version


class WithdrawForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["withdrawal_reason"]

    def clean_withdrawal_reason(self):
        reason = self.cleaned_data["withdrawal_reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the release is withdrawn: readers see the reason on its page."))
        return reason


class ReleaseFileInline(admin.TabularInline):
    model = ReleaseFile
    fields = ["name", "format", "rows", "size", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "published_at", "published_by", "withdrawn_at"]
    readonly_fields = [
        "version",
        "published_at",
        "published_by",
        "notes",
        "previous",
        "change_counts",
        "storage_prefix",
        "withdrawn_at",
    ]
    inlines = [ReleaseFileInline]
    form = WithdrawForm

    def has_add_permission(self, request):
        return request.user.has_perm(PUBLISH)

    def has_change_permission(self, request, obj=None):
        # Only a withdrawal, once, by someone who may publish.
        return request.user.has_perm(PUBLISH) and (obj is None or not obj.withdrawn)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.withdrawn:
            return [*self.readonly_fields, "withdrawal_reason"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change and not obj.withdrawn:
            obj.withdrawn_at = timezone.now()
            obj.save(update_fields=["withdrawn_at", "withdrawal_reason"])
            messages.warning(request, _("Release %(version)s is withdrawn.") % {"version": obj.version})

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PublishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            version, notes = form.cleaned_data["version"], form.cleaned_data["notes"]
            with transaction.atomic():
                job = Job.start(
                    publish_release,
                    _("Publish release %(version)s") % {"version": version},
                    request.user,
                    {"version": version, "notes": notes},
                )
            return HttpResponseRedirect(job.get_absolute_url() + "?follow=1")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Publish a release"),
        }
        return TemplateResponse(request, "admin/releases/release/publish.html", context)
