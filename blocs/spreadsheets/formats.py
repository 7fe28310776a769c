"""Reading and writing spreadsheet files: CSV and XLSX read with clear errors and limits, and the upload store."""

import logging
import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.tmp_storages import BaseStorage

from .uploads import ImportProblem, decode_csv, read_csv, read_xlsx, too_large  # noqa: F401 (ImportProblem is re-exported)
from .writers import (
    CSV_CONTENT_TYPE,
    csv_lines,
    xlsx_chunks,
)

logger = logging.getLogger(__name__)


class RowProblems:
    """Problems found for a batch of rows, by record (records without a primary key are not hashable)."""

    def __init__(self):
        self.found = {}

    def add(self, instance, field, text):
        self.found.setdefault(id(instance), (instance, defaultdict(list)))[1][field].append(text)

    def items(self):
        return [(instance, dict(errors)) for instance, errors in self.found.values()]

    def __bool__(self):
        return bool(self.found)


# --- Reading and writing the files --------------------------------------------------------------


class SpreadsheetCSV(base_formats.CSV):
    """CSV in UTF-8, read with clear errors and written with formulas neutralised."""

    CONTENT_TYPE = CSV_CONTENT_TYPE

    def create_dataset(self, in_stream, **kwargs):
        text = in_stream if isinstance(in_stream, str) else decode_csv(bytes(in_stream))
        return read_csv(text)

    def export_data(self, dataset, **kwargs):
        return "".join(csv_lines(dataset.headers, dataset))


class SpreadsheetXLSX(base_formats.XLSX):
    """XLSX read from the first sheet with clear errors, and written with formulas neutralised."""

    def create_dataset(self, in_stream):
        return read_xlsx(bytes(in_stream))

    def export_data(self, dataset, **kwargs):
        return b"".join(xlsx_chunks(dataset.headers, dataset))


IMPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]
EXPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX, base_formats.JSON]


class DatabaseStorage(BaseStorage):
    """Holds an uploaded file while it is previewed; the admin keeps it as an ImportFile once the preview passes.

    django-import-export writes the upload before it reads it; here nothing reaches the database
    until the file has been read within its limits and checked, and then with its curator, its
    list and its format (SpreadsheetAdminMixin.keep_pending).
    """

    def save(self, data):
        self.name = self.name or uuid.uuid4().hex
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.data = data

    def read(self):
        return self.data

    def remove(self):
        self.data = None


class UploadForm(ImportForm):
    """The import form, which names a file refused while it streamed in rather than calling it missing."""

    def __init__(self, formats, resources, refused=None, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.refused = refused
        if refused:
            self.fields["import_file"].required = False

    def clean_import_file(self):
        if self.refused:
            raise ValidationError(too_large() + " " + gettext("It was refused as it arrived; nothing was kept."))
        return self.cleaned_data.get("import_file")
