"""Import and export buttons on every curated admin list, on top of django-import-export's admin."""

import logging
import pickle
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from jobs.models import Job

from ..models import (
    ImportFile,
)
from .background import confirm_import, export_file, preview_import
from .copying import log_imported
from .formats import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    DatabaseStorage,
    ImportProblem,
    SpreadsheetCSV,
    SpreadsheetXLSX,
    UploadForm,
)
from .writers import (
    CSV_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    json_chunks,
    xlsx_chunks,
)

logger = logging.getLogger(__name__)


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import and export buttons on every curated admin list.

    Curators (change permission) import; Analysts and Curators (view permission) export. Exports
    hold exactly the rows of the list under its current filters and search.
    """

    # Each model's admin names its resource in `resource_classes`.
    import_template_name = "admin/blocs/import.html"
    tmp_storage_class = DatabaseStorage
    import_form_class = UploadForm
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportProblem):
            form.add_error("import_file", str(e))
        else:
            logger.warning("Unreadable import file", exc_info=e)
            super().add_data_read_fail_error_to_form(form, e)

    def get_urls(self):
        info = self.get_model_info()
        cancel = path(
            "import/cancel/",
            self.admin_site.admin_view(self.cancel_import),
            name=f"{info[0]}_{info[1]}_cancel_import",
        )
        job = path(
            "import/job/<int:job_id>/",
            self.admin_site.admin_view(self.import_job_view),
            name=f"{info[0]}_{info[1]}_import_job",
        )
        return [cancel, job, *super().get_urls()]

    def get_import_form_kwargs(self, request):
        kwargs = super().get_import_form_kwargs(request)
        refused = getattr(request, "refused_uploads", None) or {}
        if request.method == "POST" and "import_file" in refused:
            kwargs["refused"] = refused["import_file"]
        return kwargs

    def write_to_tmp_storage(self, import_file, input_format):
        # The upload handler has already capped its size; joined once, not chunk by chunk.
        storage = self.get_tmp_storage_class()(**self.get_tmp_storage_class_kwargs())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def import_action(self, request, **kwargs):
        if request.method == "POST":
            ImportFile.objects.expired().delete()
            Job.objects.expired().delete()
            if self.has_import_permission(request):
                queued = self.preview_in_background(request)
                if queued is not None:
                    return queued
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and context.get("confirm_form"):
            self.keep_pending(request, context["confirm_form"])
        return response

    def preview_in_background(self, request):
        """A file of more rows than BACKGROUND_IMPORT_ROWS is kept and previewed by a worker, and the
        curator follows the job's page; a smaller one (or one that cannot be read) goes on as before."""
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        upload = form.cleaned_data["import_file"]
        file_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        data = b"".join(upload.chunks())
        try:
            rows = len(file_format.create_dataset(data))
        except Exception:
            return None  # read again by the synchronous path, which says what is wrong
        if rows <= settings.BACKGROUND_IMPORT_ROWS:
            return None
        name = uuid.uuid4().hex
        original = str(upload.name)[:255]
        with transaction.atomic():
            ImportFile.objects.create(
                name=name,
                user=request.user,
                model=self.model_label(),
                file_format=file_format.get_extension(),
                original_name=original,
                data=data,
            )
            params = {
                "model": self.model_label(),
                "import_file_name": name,
                "original_file_name": original,
                "format": str(form.cleaned_data["format"]),
                "resource": str(form.cleaned_data.get("resource") or ""),
            }
            title = gettext("Preview of %(file)s (%(rows)s rows) for %(records)s") % {
                "file": original,
                "rows": f"{rows:,}",
                "records": self.model._meta.verbose_name_plural,
            }
            job = Job.start(preview_import, title, request.user, params, file_name=original)
        return HttpResponseRedirect(job.get_absolute_url() + "?follow=1")

    def import_job_view(self, request, job_id):
        """The preview a background job made, on the import page, with its confirmation form."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = Job.objects.filter(pk=job_id, params__model=self.model_label()).first()
        if job is None or job.state != Job.State.DONE or not job.output:
            raise Http404(gettext("There is no finished preview here: it was cancelled, or removed after a day."))
        if job.owner_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        response = super().import_action(request)
        result = pickle.loads(bytes(job.output))
        response.context_data["result"] = result
        if not result.has_errors() and not result.has_validation_errors():
            keys = ("import_file_name", "original_file_name", "format", "resource")
            response.context_data["confirm_form"] = self.get_confirm_form_class(request)(
                initial={key: job.params[key] for key in keys}
            )
        return response

    def get_import_data_kwargs(self, **kwargs):
        found = super().get_import_data_kwargs(**kwargs)
        progress = getattr(kwargs.get("request"), "job_progress", None)
        if progress is not None:
            found["progress"] = progress
        return found

    def model_label(self):
        return self.model._meta.label_lower

    def keep_pending(self, request, confirm_form):
        """Keep a previewed file for its confirmation: it belongs to the curator who previewed it."""
        upload = request.FILES["import_file"]
        initial = confirm_form.initial
        file_format = self.get_import_formats()[int(initial["format"])]().get_extension()
        ImportFile.objects.create(
            name=initial["import_file_name"],
            user=request.user,
            model=self.model_label(),
            file_format=file_format,
            original_name=str(initial.get("original_file_name") or upload.name)[:255],
            data=b"".join(upload.chunks()),
        )

    def import_url(self):
        info = self.get_model_info()
        return reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)

    def refuse(self, request, text):
        messages.error(request, gettext("Nothing was imported: %(reason)s") % {"reason": text})
        return HttpResponseRedirect(self.import_url())

    def confirm_form_problem(self, form, request):
        """What is wrong with a confirmation form, which only a tampered or stale page can make wrong."""
        if not form.is_valid():
            return gettext("the confirmation form is incomplete. Upload the file again.")
        formats, resources = self.get_import_formats(), self.get_import_resource_classes(request)
        for field, choices in (("format", formats), ("resource", resources)):
            value = str(form.cleaned_data.get(field) or "0")
            if not value.isdigit() or len(value) > 3 or int(value) >= len(choices):
                return gettext(
                    "the confirmation form names no known %(field)s (“%(value)s”). Upload the file again."
                ) % {
                    "field": field,
                    "value": value[:20],
                }
        return None

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Import a previewed file once: it is claimed (locked and deleted) in the import's own transaction."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        problem = self.confirm_form_problem(form, request)
        if problem:
            return self.refuse(request, problem)
        formats = {f().get_extension(): f for f in self.get_import_formats()}
        queued = self.import_in_background(request, form)
        if queued is not None:
            return queued
        try:
            with transaction.atomic():
                pending = ImportFile.objects.claim(
                    form.cleaned_data["import_file_name"], request.user, self.model_label()
                )
                if pending.has_expired():  # refused, and gone with the transaction
                    return self.refuse(
                        request, gettext("this preview is more than a day old and has expired: upload it again.")
                    )
                dataset = formats[pending.file_format]().create_dataset(bytes(pending.data))
                result = self.process_dataset(dataset, form, request, file_name=pending.original_name, **kwargs)
                return self.process_result(result, request)
        except (ImportFile.Unavailable, ImportProblem) as e:
            return self.refuse(request, str(e))

    def import_in_background(self, request, form):
        """A preview that was made in the background is imported in the background too."""
        name = form.cleaned_data["import_file_name"]
        previewed = Job.objects.filter(
            owner=request.user, params__import_file_name=name, params__model=self.model_label(), state=Job.State.DONE
        ).first()
        if previewed is None:
            return None  # a synchronous preview: confirmed within the request, as before
        params = {key: str(form.cleaned_data.get(key) or "") for key in ("import_file_name", "format", "resource")}
        original = previewed.params["original_file_name"]
        params.update(model=self.model_label(), original_file_name=original)
        title = gettext("Import of %(file)s into %(records)s") % {
            "file": original,
            "records": self.model._meta.verbose_name_plural,
        }
        with transaction.atomic():
            job = Job.start(confirm_import, title, request.user, params, file_name=original)
        return HttpResponseRedirect(job.get_absolute_url() + "?follow=1")

    @method_decorator(require_POST)
    def cancel_import(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")[:64]
        pending = ImportFile.objects.filter(name=name).select_related("user").first()
        if pending is not None and pending.user_id != request.user.pk:
            messages.error(
                request,
                gettext(
                    "This preview belongs to %(user)s: only the curator who uploaded a file "
                    "can confirm or cancel its import."
                )
                % {"user": pending.user.get_username()},
            )
        elif pending is not None:
            pending.delete()
            messages.info(
                request, gettext("The import was cancelled and the uploaded file deleted; nothing was imported.")
            )
        else:
            messages.info(
                request, gettext("There was no preview to cancel: it was already imported, cancelled or expired.")
            )
        return HttpResponseRedirect(self.import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation; nothing was stored.
            problems = getattr(result, "problems", []) or [gettext("The import failed.")]
            messages.error(request, gettext("Nothing was imported.") + " " + " ".join(str(p) for p in problems[:20]))
            return HttpResponseRedirect(self.import_url())
        return super().process_result(result, request)

    def generate_log_entries(self, result, request):
        entries = getattr(result, "log_entries", None)
        if entries is None:
            return super().generate_log_entries(result, request)
        if entries and not self.get_skip_admin_log():
            # The same entries django-import-export writes, for every stored record, with one COPY.
            messages_by_flag = {ADDITION: "new through import_export", CHANGE: "update through import_export"}
            log_imported(request.user.pk, self.model, entries, messages_by_flag)

    def success_message(self, result):
        totals = result.totals
        return gettext("Imported %(records)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.") % {
            "records": self.model._meta.verbose_name_plural,
            "new": totals["new"],
            "changed": totals["update"],
            "unchanged": totals["skip"],
        }

    def add_success_message(self, result, request):
        messages.success(request, self.success_message(result))

    def get_export_filename(self, request, queryset, file_format):
        stamp = timezone.now().strftime("%Y-%m-%d")
        return f"eurasia-{self.model._meta.verbose_name_plural.replace(' ', '-')}-{stamp}.{file_format.get_extension()}"

    def export_action(self, request):
        if request.method == "POST":
            Job.objects.expired().delete()  # with their files; `manage.py clear_expired_jobs` does it too
        return super().export_action(request)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not isinstance(file_format, SpreadsheetCSV | SpreadsheetXLSX | base_formats.JSON):
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        progress = getattr(request, "job_progress", None)
        if progress is None:
            queued = self.export_in_background(request, queryset, file_format)
            if queued is not None:
                return queued
        else:
            progress.stage(
                gettext("Writing %(records)s") % {"records": self.model._meta.verbose_name_plural}, queryset.count()
            )
        resource = self.choose_export_resource_class(export_form, request)(**self.get_export_resource_kwargs(request))
        selected = resource.without_empty_translations(queryset, self.get_export_resource_fields_from_form(export_form))
        if isinstance(file_format, SpreadsheetCSV):
            body = resource.export_csv(queryset, selected, progress=progress)
            response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
        elif isinstance(file_format, base_formats.JSON):
            headers = resource.get_export_headers(selected_fields=selected)
            body = json_chunks(headers, counted(resource.export_rows(queryset, selected), progress))
            response = StreamingHttpResponse(body, content_type=JSON_CONTENT_TYPE)
        else:
            headers = resource.get_export_headers(selected_fields=selected)
            rows = counted(resource.export_rows(queryset, selected), progress)
            title = self.model._meta.verbose_name_plural
            response = StreamingHttpResponse(xlsx_chunks(headers, rows, title=title), content_type=XLSX_CONTENT_TYPE)
        name = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def export_in_background(self, request, queryset, file_format):
        """A list of more rows than BACKGROUND_EXPORT_ROWS is written by a worker, which keeps the file
        for the curator to download from the job's page; a shorter one streams within the request."""
        limit = settings.BACKGROUND_EXPORT_ROWS
        # Counted no further than the limit: a list of millions is not counted to the end here.
        if queryset.order_by()[: limit + 1].count() <= limit:
            return None
        name = self.get_export_filename(request, queryset, file_format)
        params = {
            "model": self.model_label(),
            # The list's filters and search, and the export form as it was sent: the worker asks again.
            "query": request.GET.urlencode(),
            "form": {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"},
        }
        title = gettext("Export of %(records)s (more than %(rows)s rows) to %(file)s") % {
            "records": self.model._meta.verbose_name_plural,
            "rows": f"{limit:,}",
            "file": name,
        }
        with transaction.atomic():
            job = Job.start(export_file, title, request.user, params, file_name=name)
        return HttpResponseRedirect(job.get_absolute_url())


def counted(rows, progress):
    """The rows, each told to a job's progress as it is written."""
    if progress is None:
        return rows
    return _counted(rows, progress)


def _counted(rows, progress):
    for row in rows:
        yield row
        progress.advance()
