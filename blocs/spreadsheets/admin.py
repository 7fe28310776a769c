"""Import and export buttons on every curated admin list, on top of django-import-export's admin."""

import logging

from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from ..models import (
    ImportFile,
)
from .copying import log_imported
from .formats import EXPORT_FORMATS, IMPORT_FORMATS, DatabaseStorage, ImportProblem, SpreadsheetCSV, SpreadsheetXLSX
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
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportProblem):
            form.add_error("import_file", str(e))
        else:
            logger.warning("Unreadable import file", exc_info=e)
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and not context.get("confirm_form"):
            # A file that cannot be imported is not kept for a confirmation that will not come.
            name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            if name:
                ImportFile.objects.filter(name=name).delete()
        return response

    def import_url(self):
        info = self.get_model_info()
        return reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except ImportProblem as e:
            messages.error(request, f"Nothing was imported: {e}")
            return HttpResponseRedirect(self.import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation; nothing was stored.
            problems = getattr(result, "problems", []) or ["The import failed."]
            messages.error(request, "Nothing was imported. " + " ".join(problems[:20]))
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

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            f"Imported {self.model._meta.verbose_name_plural}: {totals['new']} new, {totals['update']} changed, "
            f"{totals['skip']} unchanged.",
        )

    def get_export_filename(self, request, queryset, file_format):
        stamp = timezone.now().strftime("%Y-%m-%d")
        return f"eurasia-{self.model._meta.verbose_name_plural.replace(' ', '-')}-{stamp}.{file_format.get_extension()}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not isinstance(file_format, SpreadsheetCSV | SpreadsheetXLSX | base_formats.JSON):
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource = self.choose_export_resource_class(export_form, request)(**self.get_export_resource_kwargs(request))
        selected = self.get_export_resource_fields_from_form(export_form)
        if isinstance(file_format, SpreadsheetCSV):
            response = StreamingHttpResponse(resource.export_csv(queryset, selected), content_type=CSV_CONTENT_TYPE)
        elif isinstance(file_format, base_formats.JSON):
            headers = resource.get_export_headers(selected_fields=selected)
            body = json_chunks(headers, resource.export_rows(queryset, selected))
            response = StreamingHttpResponse(body, content_type=JSON_CONTENT_TYPE)
        else:
            headers = resource.get_export_headers(selected_fields=selected)
            rows = resource.export_rows(queryset, selected)
            title = self.model._meta.verbose_name_plural
            response = StreamingHttpResponse(xlsx_chunks(headers, rows, title=title), content_type=XLSX_CONTENT_TYPE)
        name = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
