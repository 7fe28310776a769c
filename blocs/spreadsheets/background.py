"""Admin imports and exports too large for one request, run as background jobs with their progress.

The request keeps the upload (as the ImportFile its confirmation will claim) and queues a job;
the worker runs the same steps the admin runs within a request, through the same ModelAdmin, so a
preview and an import reach the same rows, history, log entries and messages either way, and an
export the same bytes.
"""

import pickle

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext
from django_tasks import task
from import_export.signals import post_import

from jobs.models import JobFailed, Outcome, run

from ..models import ImportFile
from .formats import ImportProblem


def model_admin(job):
    return admin.site.get_model_admin(apps.get_model(job.params["model"]))


def job_request(job):
    """A request standing for the job's owner, for the ModelAdmin methods that take one."""
    request = HttpRequest()
    request.user = job.owner
    request.method = "GET"
    return request


def confirm_form(model_admin, request, params):
    data = {key: params[key] for key in ("import_file_name", "original_file_name", "format", "resource")}
    form = model_admin.get_confirm_form_class(request)(data=data)
    if not form.is_valid():
        raise JobFailed(gettext("The job names no file to import. Upload the file again."))
    return form


def read(pending, model_admin, progress):
    formats = {f().get_extension(): f for f in model_admin.get_import_formats()}
    progress.stage(gettext("Reading %(file)s") % {"file": pending.original_name})
    try:
        return formats[pending.file_format]().create_dataset(bytes(pending.data))
    except ImportProblem as e:
        raise JobFailed(gettext("Nothing was imported: %(reason)s") % {"reason": e})


@task()
def preview_import(job_id):
    run(job_id, preview)


def preview(job, progress):
    """The import's dry run: every check the confirmation will meet, rolled back, kept for the preview page."""
    admin_ = model_admin(job)
    request = job_request(job)
    form = confirm_form(admin_, request, job.params)
    pending = ImportFile.objects.filter(name=job.params["import_file_name"], user=job.owner).first()
    if pending is None:
        raise JobFailed(gettext("The uploaded file is no longer kept (it was cancelled or expired): upload it again."))
    dataset = read(pending, admin_, progress)
    resource = admin_.choose_import_resource_class(form, request)(
        **admin_.get_import_resource_kwargs(request, form=form)
    )
    result = resource.import_data(
        dataset, dry_run=True, raise_errors=False, file_name=pending.original_name, user=job.owner, progress=progress
    )
    if result.has_errors() or result.has_validation_errors():
        pending.delete()  # as a refused synchronous preview keeps nothing
        message = gettext("The file has problems: nothing was kept. See them on the preview.")
    else:
        totals = result.totals
        message = gettext("Preview ready: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.") % {
            "new": totals["new"],
            "changed": totals["update"],
            "unchanged": totals["skip"],
        }
    info = admin_.get_model_info()
    url = reverse(f"admin:{info[0]}_{info[1]}_import_job", args=[job.pk], current_app=admin_.admin_site.name)
    # The result is made by this worker and read back by the preview page only.
    return Outcome(message, result_url=url, output=pickle.dumps(result))


@task()
def confirm_import(job_id):
    run(job_id, confirm)


def confirm(job, progress):
    """The confirmed import: the previewed file claimed and imported in the job's one transaction."""
    admin_ = model_admin(job)
    request = job_request(job)
    request.job_progress = progress
    form = confirm_form(admin_, request, job.params)
    try:
        pending = ImportFile.objects.claim(form.cleaned_data["import_file_name"], job.owner, admin_.model_label())
    except ImportFile.Unavailable as e:
        raise JobFailed(gettext("Nothing was imported: %(reason)s") % {"reason": e})
    if pending.has_expired():
        raise JobFailed(
            gettext("Nothing was imported: this preview is more than a day old and has expired: upload it again.")
        )
    dataset = read(pending, admin_, progress)
    result = admin_.process_dataset(dataset, form, request, file_name=pending.original_name)
    if result.has_errors() or result.has_validation_errors():
        problems = getattr(result, "problems", []) or [gettext("The import failed.")]
        raise JobFailed(gettext("Nothing was imported.") + " " + " ".join(str(p) for p in problems[:20]))
    admin_.generate_log_entries(result, request)
    post_import.send(sender=None, model=admin_.model)
    info = admin_.get_model_info()
    url = reverse(f"admin:{info[0]}_{info[1]}_changelist", current_app=admin_.admin_site.name)
    return Outcome(admin_.success_message(result), result_url=url, tell=True)


@task()
def export_file(job_id):
    run(job_id, export)


def export(job, progress):
    """A large export: the export form sent again, as it was, on the list's filters; the file is kept."""
    admin_ = model_admin(job)
    request = job_request(job)
    request.method = "POST"
    request.GET = QueryDict(job.params["query"])
    request.POST = QueryDict(mutable=True)
    for key, values in job.params["form"].items():
        request.POST.setlist(key, values)
    request.job_progress = progress
    response = admin_.export_action(request)
    if not getattr(response, "streaming", False):
        raise JobFailed(
            gettext("The export form could not be read again; no file was written. Export again from the list.")
        )
    # Read to the end (which closes its cursor), but not closed: closing a response ends the request,
    # and with it this worker's connection.
    data = b"".join(response.streaming_content)
    message = gettext("%(file)s is ready to download (%(rows)s rows); it is kept for a day.") % {
        "file": job.file_name,
        "rows": f"{progress.done:,}",
    }
    return Outcome(message, output=data, output_type=response["Content-Type"])
