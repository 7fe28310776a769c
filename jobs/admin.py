"""The admin's Jobs list, and each job's page: its progress bar, its JSON status, cancel and run again."""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_tasks_db.models import DBTaskResult

from .models import Job

# The queue's own rows are the workers' business: curators follow their jobs on the Jobs list.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Every staff member sees their own jobs here, superusers everyone's; nobody edits them."""

    list_display = ["title", "state", "owner", "file_name", "created_at", "result"]
    list_filter = ["state"]
    list_select_related = ["owner"]
    search_fields = ["title", "file_name"]
    # The output (a preview, a file) is not read for the list.
    list_per_page = 50

    def get_queryset(self, request):
        Job.objects.mark_stalled()
        return super().get_queryset(request).defer("output", "file_data").visible_to(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if not self.has_module_permission(request):
            return False
        return obj is None or request.user.is_superuser or obj.owner_id == request.user.pk

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("result"))
    def result(self, job):
        if job.state == Job.State.DONE and job.result_url:
            return format_html('<a href="{}">{}</a>', job.result_url, gettext("See the result"))
        if job.state == Job.State.DONE and job.output_type:
            return format_html(
                '<a href="{}">{}</a>', reverse("admin:jobs_job_download", args=[job.pk]), gettext("Download")
            )
        if job.finished:
            return job.message[:200]
        return format_html('<a href="{}">{}</a>', job.get_absolute_url(), f"{job.percent()} %")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/status/", view(self.status_view), name="jobs_job_status"),
            path("<int:job_id>/cancel/", view(require_POST(self.cancel_view)), name="jobs_job_cancel"),
            path("<int:job_id>/again/", view(require_POST(self.again_view)), name="jobs_job_again"),
            path("<int:job_id>/download/", view(self.download_view), name="jobs_job_download"),
            path("<int:job_id>/", view(self.job_view), name="jobs_job_page"),
            *super().get_urls(),
        ]

    def get_job(self, request, job_id, **fields):
        """The job, if this staff member may see it: 404 when there is none, 403 when it is not theirs."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        Job.objects.filter(pk=job_id).mark_stalled()
        job = Job.objects.defer("output", "file_data").select_related("owner").filter(pk=job_id).first()
        if job is None:
            raise Http404(gettext("There is no such job: finished jobs are removed after a day."))
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def job_view(self, request, job_id):
        job = self.get_job(request, job_id)
        follow = request.GET.get("follow") == "1"
        if follow and job.state == Job.State.DONE and job.result_url:
            if job.params.get("tell"):
                messages.success(request, job.message)
            return HttpResponseRedirect(job.result_url)
        context = {
            **self.admin_site.each_context(request),
            "title": job.title,
            "opts": self.model._meta,
            "job": job,
            "status": job.status(),
            "follow": follow,
            "refresh_seconds": 2,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/jobs/job.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not re.fullmatch(r"[0-9]{1,18}", str(object_id)):
            raise Http404(gettext("There is no such job."))
        return HttpResponseRedirect(self.get_job(request, int(object_id)).get_absolute_url())

    def status_view(self, request, job_id):
        job = self.get_job(request, job_id)
        return JsonResponse(job.status())

    def cancel_view(self, request, job_id):
        job = self.get_job(request, job_id)
        if job.finished:
            messages.info(
                request,
                gettext("The job had already ended (%(state)s); nothing changed.") % {"state": job.get_state_display()},
            )
        else:
            job.cancel()
            messages.info(request, gettext("The job is being cancelled; nothing of it will be stored."))
        return HttpResponseRedirect(job.get_absolute_url())

    def again_view(self, request, job_id):
        job = self.get_job(request, job_id)
        if job.state not in (Job.State.FAILED, Job.State.CANCELLED):
            messages.error(request, gettext("Only a failed or cancelled job can be run again."))
            return HttpResponseRedirect(job.get_absolute_url())
        with transaction.atomic():
            again = job.again()
        return HttpResponseRedirect(again.get_absolute_url() + "?follow=1")

    def download_view(self, request, job_id):
        job = self.get_job(request, job_id)
        output = Job.objects.filter(pk=job.pk).values_list("output", flat=True).first()
        if job.state != Job.State.DONE or not job.output_type or output is None:
            raise Http404(gettext("This job made no file to download, or it was removed after a day."))
        response = HttpResponse(bytes(output), content_type=job.output_type)
        response["Content-Disposition"] = content_disposition_header(True, job.file_name)
        # A file is handed over once, then removed: it is not kept in the database longer than needed.
        taken = " " + gettext("It was downloaded at %(time)s and is no longer kept.") % {
            "time": f"{timezone.localtime():%Y-%m-%d %H:%M}"
        }
        Job.objects.filter(pk=job.pk).update(output=None, output_type="", message=job.message + taken)
        return response
