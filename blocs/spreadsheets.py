"""Spreadsheet safety and streaming: the formula neutraliser every export uses, and CSV/XLSX writers.

Excel and LibreOffice run a cell as a formula when its text starts with "=", "+", "-" or "@"
(and a leading tab or carriage return can hide one). Every export, admin or public, passes text
through `neutralise()`, or through `neutralised_sql()` when PostgreSQL writes the CSV itself:
such text gets a leading apostrophe and is shown, never run. Numbers and dates are not text and
stay typed. `restore()` undoes the apostrophe on import, so an exported file imports unchanged.
"""

import csv
import datetime
import tempfile
import time
from decimal import Decimal

from eurasia.routers import read_connection

# What makes a spreadsheet treat a text cell as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Text that already starts with the quote is quoted too, so that restore() is exact.
_QUOTED = (*TRIGGERS, QUOTE)

# Excel's own limit for one cell; longer text cannot have come from a spreadsheet.
MAX_CELL_CHARS = 32_767

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(value):
    """The value as a spreadsheet must receive it: text that could run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(_QUOTED):
        return QUOTE + value
    return value


def restore(value):
    """Undo neutralise() on a cell read back from an exported file."""
    if isinstance(value, str) and len(value) > 1 and value[0] == QUOTE and value[1] in _QUOTED:
        return value[1:]
    return value


def neutralised_sql(expression):
    """SQL for neutralise(expression), for text columns that PostgreSQL's COPY writes directly."""
    firsts = ", ".join("'" + c.replace("'", "''") + "'" for c in _QUOTED)
    return f"CASE WHEN left({expression}, 1) IN ({firsts}) THEN '''' || {expression} ELSE {expression} END"


class _Echo:
    """A file-like object that hands back what is written, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(headers, rows):
    """CSV text, line by line, with every cell neutralised; `rows` may be any iterable."""
    writer = csv.writer(_Echo())
    yield writer.writerow(headers)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def _xlsx_cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal, datetime.date)):
        return value
    if value is None:
        return None
    text = neutralise(str(value))
    # openpyxl refuses control characters that XML 1.0 cannot hold; they carry no meaning here.
    return "".join(ch if ch >= " " or ch in "\t\n\r" else "\ufffd" for ch in text)


def xlsx_chunks(headers, rows, title="data", date_columns=(), chunk_size=64 * 1024):
    """An XLSX workbook, built in openpyxl's write-only mode and streamed in chunks.

    Rows go straight to openpyxl's worksheet file as they arrive, so memory stays flat however many
    there are; dates are real Excel dates and numbers real numbers.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(name))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    date_positions = {i for i, name in enumerate(headers) if name in set(date_columns)}
    for row in rows:
        values = [_xlsx_cell(v) for v in row]
        if date_positions:
            for i in date_positions:
                if isinstance(values[i], datetime.date):
                    cell = WriteOnlyCell(sheet, value=values[i])
                    cell.number_format = "yyyy-mm-dd"
                    values[i] = cell
        sheet.append(values)
    # The zip directory comes last, so the workbook is finished in a temporary file (on this
    # server, for this response only) and then sent in chunks.
    with tempfile.TemporaryFile() as f:
        workbook.save(f)
        f.seek(0)
        while chunk := f.read(chunk_size):
            yield chunk


def copy_csv(sql, params=None, chunk_size=None):
    """Stream `COPY (sql) TO STDOUT` as CSV with a header line, straight from PostgreSQL."""
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    # Downloads read from a replica when the request may (eurasia/routers.py).
    connection = read_connection()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        started = time.monotonic()
        with raw.copy(statement, params) as copy:
            for chunk in copy:
                yield bytes(chunk)
        _log(connection, raw, statement, params, started)


def stream_rows(sql, params=None, batch=2000):
    """Rows of `sql` from a server-side cursor, fetched in batches."""
    cursor = read_connection().chunked_cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _log(connection, raw_cursor, statement, params, started):
    # COPY bypasses Django's cursor wrapper; log it like any query so that query counts see it.
    if connection.queries_logged:
        mogrify = getattr(raw_cursor, "mogrify", None)
        sql = mogrify(statement, params) if params and mogrify else statement
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
