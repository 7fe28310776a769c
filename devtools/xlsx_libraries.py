"""The /data/ workbook written with XlsxWriter and with openpyxl, held beside the project's own writer by `make bench`.

Each gives what `blocs.spreadsheets.writers.xlsx_chunks()` gives: one sheet named after the title,
a bold frozen header row, text neutralised, numbers as numbers, dates as Excel dates. Neither
library can hand out a byte before its workbook is closed (the zip is assembled at the end), so
each writes to a temporary file and streams that file afterwards. docs/performance.md has the
figures and the decision they led to.
"""

import datetime
import math
import re
import tempfile
from decimal import Decimal

from blocs.spreadsheets.writers import _NEEDS_ESCAPE, _serial, neutralise

# A sheet name Excel accepts: at most 31 characters, none of []:*?/\.
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title):
    return _NOT_IN_SHEET_NAMES.sub(" ", str(title)).strip("' ")[:31] or "data"


def _text(value):
    """Neutralised text, with what XML cannot hold replaced as the project's writer does."""
    value = neutralise(value)
    if _NEEDS_ESCAPE.search(value):
        value = _NEEDS_ESCAPE.sub(lambda m: m.group() if m.group() in "&<>\r" else "\ufffd", value)
    return value


def _naive_utc(value):
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _chunks(file, chunk_size):
    file.seek(0)
    while chunk := file.read(chunk_size):
        yield chunk


def xlsxwriter_chunks(headers, rows, title="data", chunk_size=256 * 1024):
    """The workbook by XlsxWriter in `constant_memory` mode (rows flushed as they are written)."""
    import xlsxwriter  # noqa: PLC0415 (a development dependency, measured only)

    with tempfile.TemporaryFile() as file:
        book = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = book.add_worksheet(_sheet_name(title))
        bold = book.add_format({"bold": True})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.freeze_panes(1, 0)
        for c, header in enumerate(headers):
            sheet.write_string(0, c, _text(str(header)), bold)
        write_string, write_number = sheet.write_string, sheet.write_number
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row):
                kind = type(value)
                if kind is str:
                    if value:
                        write_string(r, c, _text(value))
                elif value is None:
                    pass
                elif kind is int or kind is bool:
                    write_number(r, c, int(value))
                elif kind is datetime.date:
                    write_number(r, c, _serial(value), day)
                elif isinstance(value, datetime.datetime):
                    value = _naive_utc(value)
                    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
                    write_number(r, c, _serial(value.date()) + seconds / 86400, moment)
                elif isinstance(value, datetime.date):
                    write_number(r, c, _serial(value), day)
                elif isinstance(value, float | Decimal) and math.isfinite(value):
                    write_number(r, c, float(value))
                else:
                    text = str(value)
                    if text:
                        write_string(r, c, _text(text))
        book.close()
        yield from _chunks(file, chunk_size)


def openpyxl_chunks(headers, rows, title="data", chunk_size=256 * 1024):
    """The workbook by openpyxl's write-only mode (rows written to a temporary file as they come)."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_name(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def header_cell(text):
        cell = WriteOnlyCell(sheet, _text(str(text)))
        cell.font = bold
        return cell

    def dated(value, number_format):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = number_format
        return cell

    sheet.append([header_cell(h) for h in headers])
    for row in rows:
        cells = []
        for value in row:
            kind = type(value)
            if kind is str:
                cells.append(_text(value) if value else None)
            elif value is None or kind is int:
                cells.append(value)
            elif kind is bool:
                cells.append(int(value))
            elif isinstance(value, datetime.datetime):
                cells.append(dated(_naive_utc(value), "yyyy-mm-dd hh:mm:ss"))
            elif isinstance(value, datetime.date):
                cells.append(dated(value, "yyyy-mm-dd"))
            elif isinstance(value, float | Decimal) and math.isfinite(value):
                cells.append(float(value))
            else:
                cells.append(_text(str(value)) or None)
        sheet.append(cells)
    with tempfile.TemporaryFile() as file:
        book.save(file)
        yield from _chunks(file, chunk_size)
