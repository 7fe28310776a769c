"""Reading and writing spreadsheet files: CSV and XLSX read with clear errors and limits, and the upload store."""

import csv
import datetime
import io
import itertools
import logging
import uuid
from collections import defaultdict

import tablib
from django.utils import timezone
from import_export.formats import base_formats
from import_export.tmp_storages import BaseStorage

from ..models import (
    ImportFile,
)
from .writers import (
    CSV_CONTENT_TYPE,
    MAX_CELL_CHARS,
    csv_lines,
    restore,
    xlsx_chunks,
)

logger = logging.getLogger(__name__)


class ImportProblem(Exception):
    """A problem with the file as a whole, in words a curator understands."""


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


# A spreadsheet import is previewed within one web request (about 150 rows a second): larger
# datasets go through `manage.py load_records`. Readers stop at the limit instead of reading on.
MAX_IMPORT_ROWS = 200_000
MAX_IMPORT_BYTES = 32 * 1024 * 1024
TOO_MANY_ROWS = (
    f"The file has more than {MAX_IMPORT_ROWS:,} rows, more than one import can check. Split it into "
    "smaller files, or load the whole dataset with manage.py load_records."
)


def _check_size(data):
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportProblem(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB, more than one import can check. "
            "Split it into smaller files, or load the whole dataset with manage.py load_records."
        )


def _rows_to_dataset(header, rows):
    """A tablib Dataset from raw rows: blank rows dropped, quoted formulas restored, widths checked."""
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportProblem(TOO_MANY_ROWS)
    if not header or all(h in (None, "") for h in header):
        raise ImportProblem("The file is empty: it has no header row naming the columns.")
    while header and header[-1] in (None, ""):
        header = header[:-1]
    width = len(header)
    data = []
    for line, row in rows:
        row = list(row)
        if all(cell in (None, "") for cell in row):
            continue
        extra = [cell for cell in row[width:] if cell not in (None, "")]
        if extra:
            raise ImportProblem(f"Row {line} has more cells than the header row has columns.")
        row = row[:width] + [""] * (width - len(row))
        data.append([restore(cell) for cell in row])
    if not data:
        raise ImportProblem("The file has a header row but no rows to import.")
    return tablib.Dataset(*data, headers=[str(h).strip() if h is not None else "" for h in header])


class SpreadsheetCSV(base_formats.CSV):
    """CSV in UTF-8, read with clear errors and written with formulas neutralised."""

    CONTENT_TYPE = CSV_CONTENT_TYPE

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            text = in_stream.removeprefix("\ufeff")
        else:
            data = bytes(in_stream)
            _check_size(data)
            if data.startswith(b"PK\x03\x04"):
                raise ImportProblem("This file is an XLSX workbook, not CSV: choose xlsx as the format.")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                line = data[: e.start].count(b"\n") + 1
                raise ImportProblem(
                    f"The file is not UTF-8 text (an unreadable byte on line {line}). In Excel, save it as "
                    '"CSV UTF-8 (comma delimited)", or import the XLSX workbook instead.'
                )
        if "\x00" in text:
            raise ImportProblem("This is not a CSV text file (it holds binary data). Choose the file's real format.")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
            rows = [(reader.line_num, row) for row in itertools.islice(reader, MAX_IMPORT_ROWS + 1)]
        except csv.Error as e:
            if "field larger than field limit" in str(e):
                raise ImportProblem(
                    f"Line {reader.line_num + 1}: a cell is far longer than a spreadsheet cell can be "
                    f"({MAX_CELL_CHARS:,} characters)."
                )
            raise ImportProblem(f"Line {reader.line_num}: the CSV cannot be read ({e}).")
        return _rows_to_dataset(header, rows)

    def export_data(self, dataset, **kwargs):
        return "".join(csv_lines(dataset.headers, dataset))


class SpreadsheetXLSX(base_formats.XLSX):
    """XLSX read from the first sheet with clear errors, and written with formulas neutralised."""

    def create_dataset(self, in_stream):
        from openpyxl import load_workbook

        data = bytes(in_stream)
        _check_size(data)
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportProblem("This is an old Excel .xls workbook: save it as .xlsx and import that.")
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise ImportProblem("This file is not an XLSX workbook. Choose csv as the format if it is a CSV file.")
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            header = next(rows, None)
            numbered = [(i, row) for i, row in enumerate(itertools.islice(rows, MAX_IMPORT_ROWS + 1), 2)]
        except Exception:
            raise ImportProblem("This XLSX workbook is damaged and cannot be read.")
        finally:
            book.close()
        return _rows_to_dataset(list(header) if header else None, numbered)

    def export_data(self, dataset, **kwargs):
        return b"".join(xlsx_chunks(dataset.headers, dataset))


IMPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]
EXPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX, base_formats.JSON]


class DatabaseStorage(BaseStorage):
    """Keeps an uploaded file in the database between the preview and the confirmation.

    Every server sees the same database, so the confirmation may reach any of them.
    """

    MAX_AGE = datetime.timedelta(days=1)

    def save(self, data):
        ImportFile.objects.filter(created_at__lt=timezone.now() - self.MAX_AGE).delete()
        self.name = self.name or uuid.uuid4().hex
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        ImportFile.objects.update_or_create(name=self.name, defaults={"data": bytes(data)})

    def read(self):
        data = ImportFile.objects.filter(name=self.name).values_list("data", flat=True).first()
        if data is None:
            raise ImportProblem("The uploaded file is no longer here (already imported, or too old): upload it again.")
        return bytes(data)

    def remove(self):
        ImportFile.objects.filter(name=self.name).delete()
