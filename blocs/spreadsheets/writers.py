"""Spreadsheet safety and streaming: the formula neutraliser every export uses, and CSV/XLSX/JSON writers.

Excel and LibreOffice run a cell as a formula when its text starts with "=", "+", "-" or "@"
(and a leading tab or carriage return can hide one). Every export, admin or public, passes text
through `neutralise()`, or through `neutralised_sql()` when PostgreSQL writes the CSV itself:
such text gets a leading apostrophe and is shown, never run. Numbers and dates are not text and
stay typed. `restore()` undoes the apostrophe on import, so an exported file imports unchanged.
"""

import csv
import datetime
import json
import math
import re
import time
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from eurasia.routers import read_connection

# What makes a spreadsheet treat a text cell as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Text that already starts with the quote is quoted too, so that restore() is exact.
_QUOTED = (*TRIGGERS, QUOTE)
_QUOTED_FIRST = frozenset(_QUOTED)

# Excel's own limit for one cell; longer text cannot have come from a spreadsheet.
MAX_CELL_CHARS = 32_767

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"


def neutralise(value):
    """The value as a spreadsheet must receive it: text that could run as a formula is quoted."""
    if isinstance(value, str) and value and value[0] in _QUOTED_FIRST:
        return QUOTE + value
    return value


def restore(value):
    """Undo neutralise() on a cell read back from an exported file."""
    if isinstance(value, str) and len(value) > 1 and value[0] == QUOTE and value[1] in _QUOTED:
        return value[1:]
    return value


def neutralised_sql(expression):
    """SQL for neutralise(expression), for text columns that PostgreSQL's COPY writes directly.

    ascii() gives the first character's code as a number: several times cheaper per cell than
    comparing left(expression, 1) as text.
    """
    codes = ", ".join(str(ord(c)) for c in _QUOTED)
    return f"CASE WHEN ascii({expression}) IN ({codes}) THEN '''' || {expression} ELSE {expression} END"


def neutralised_query(sql, columns):
    """`sql` with its text columns neutralised, for COPY; `columns` lists (name in sql, header, is text).

    The neutraliser names its column three times. Over the finished rows of `sql` that is a column
    reference, where inside `sql` a column's subquery (a list of source keys) would run three times.
    PostgreSQL keeps a subquery with ORDER BY apart from the outer query, so the rows keep its order.
    """
    quote = read_connection().ops.quote_name
    select = ", ".join(
        f"{neutralised_sql(f'q.{quote(name)}') if text else f'q.{quote(name)}'} AS {quote(header)}"
        for name, header, text in columns
    )
    return f"SELECT {select} FROM ({sql}) q"


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


# --- XLSX, written by hand -------------------------------------------------------------------------
#
# A workbook is a zip of a few XML parts. Only the sheet grows with the rows, and it is written
# through zipfile into a buffer that is handed on whenever it fills, so memory stays flat and nothing
# touches the disk. Text goes in as inline strings (no shared-string table to hold in memory),
# numbers as numbers and dates as Excel serial days with a date format, so spreadsheets, openpyxl,
# pandas and R all read them as dates.
#
# Why by hand: XlsxWriter (constant_memory) and openpyxl (write-only) were measured against this
# writer with `make bench` (docs/performance.md, "Downloads"). Both meet the speed and memory target,
# but neither can hand out a byte before the workbook is closed, so a download would wait for its
# last row (and a proxy's timeout) before it starts; neither brings a carriage return back to the
# readers analysts use (openpyxl, pandas); and XlsxWriter's constant_memory mode writes text that
# looks like "<r>…</r>" into the sheet as XML, unescaped.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Each sheet's own content type is added when the workbook is closed and its sheets are known.
_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    _XML + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
# Cell styles by position: 0 plain, 1 date, 2 date and time, 3 bold (the header row).
_DATE, _DATETIME, _BOLD = 1, 2, 3
_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    _XML + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"
# Excel opens no sheet of more rows than this, the header included.
SHEET_ROWS = 1_048_576

# Excel's serial days count from 30 December 1899 (and keep Lotus 1-2-3's 29 February 1900, which
# shifts the first two months of 1900 by one day, as openpyxl does).
_EPOCH = datetime.date(1899, 12, 30)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MARCH_1900 = datetime.date(1900, 3, 1).toordinal() - _EPOCH_ORDINAL  # serial 61

# Characters XML 1.0 cannot hold become U+FFFD; a carriage return is written as a character
# reference, or the reader would turn it into a line feed.
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
# Text that starts or ends with these loses them in Excel unless it is marked to keep its spaces.
_XML_SPACE = " \t\n\r"


def _escape_match(match):
    return _ESCAPES.get(match.group(), "\ufffd")


def _text_cell(ref, text, style=""):
    if not text:
        return ""
    if text[0] in _QUOTED_FIRST:
        text = QUOTE + text
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(_escape_match, text)
    if text[0] in _XML_SPACE or text[-1] in _XML_SPACE:
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


def _serial(day):
    serial = day.toordinal() - _EPOCH_ORDINAL
    return serial - 1 if 0 < serial < _MARCH_1900 else serial


def _cell(ref, value):
    """One cell's XML; None and empty text make no cell at all. The common types are tried first."""
    kind = type(value)
    if kind is str:
        return _text_cell(ref, value)
    if value is None:
        return ""
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is datetime.date:
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)}</v></c>'
    return _typed_cell(ref, value)


def _typed_cell(ref, value):
    if isinstance(value, bool | int):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value.date()) + seconds / 86400!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)}</v></c>'
    if isinstance(value, float | Decimal) and math.isfinite(value):
        number = repr(value) if isinstance(value, float) else str(value)
        return f'<c r="{ref}"><v>{number}</v></c>'
    return _text_cell(ref, str(value))


def _column_letters(n):
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_name(title, suffix=""):
    """A sheet name Excel accepts: at most 31 characters with `suffix`, none of []:*?/\\."""
    name = re.sub(r"[\[\]:*?/\\]", " ", str(title))[: 31 - len(suffix)].strip("' ")
    return xml_escape((name or "data") + suffix, {'"': "&quot;"})


class _Buffer:
    """A write-only file for zipfile: it has no seek(), so zipfile streams, and keeps bytes until taken."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def write(self, data):
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


def xlsx_chunks(headers, rows, title="data", chunk_size=256 * 1024, batch=500, sheet_rows=SHEET_ROWS):
    """An XLSX workbook, streamed in chunks of about `chunk_size` bytes as rows arrive.

    The header row is bold and frozen. Text is neutralised (see neutralise()); numbers stay numbers
    and dates (datetime.date values, in any column) are real Excel dates. A table longer than one
    sheet holds (`sheet_rows`, the header included) goes on in sheets named "title (2)", "title (3)"
    and so on, each with the header again: Excel refuses to open a longer sheet.
    """
    out = _Buffer()
    # Level 1 deflate: the sheet's XML compresses well at any level, and the higher ones cost
    # several times the CPU for a few per cent of size.
    book = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    book.writestr("_rels/.rels", _PACKAGE_RELS)
    book.writestr("xl/styles.xml", _STYLES)
    # These parts go out before the first row is asked for: a download starts at once, however long
    # its query takes to return that row. The parts that list the sheets follow the last sheet, as
    # openpyxl writes them too; readers find every part through the zip's closing directory.
    yield out.take()
    letters = [_column_letters(i) for i in range(1, len(headers) + 1)]
    header = "".join(_text_cell(f"{c}1", str(h), f' s="{_BOLD}"') for c, h in zip(letters, headers, strict=False))
    sheets = 1
    sheet = book.open("xl/worksheets/sheet1.xml", "w")
    try:
        pending = [_SHEET_START, f'<row r="1">{header}</row>']
        number = 1
        for row in rows:
            if number == sheet_rows:
                pending.append(_SHEET_END)
                sheet.write("".join(pending).encode())
                sheet.close()
                sheets += 1
                sheet = book.open(f"xl/worksheets/sheet{sheets}.xml", "w")
                pending = [_SHEET_START, f'<row r="1">{header}</row>']
                number = 1
            number += 1
            if len(row) > len(letters):
                letters += [_column_letters(i) for i in range(len(letters) + 1, len(row) + 1)]
            n = str(number)
            pending.append(f'<row r="{n}">')
            pending += [
                _text_cell(c + n, v) if type(v) is str else _cell(c + n, v) for c, v in zip(letters, row, strict=False)
            ]
            pending.append("</row>")
            if number % batch == 0:
                sheet.write("".join(pending).encode())
                pending = []
                if out.size >= chunk_size:
                    yield out.take()
        pending.append(_SHEET_END)
        sheet.write("".join(pending).encode())
    finally:
        sheet.close()
    _write_book_parts(book, title, sheets)
    book.close()
    yield out.take()


def _write_book_parts(book, title, sheets):
    """The workbook, its relationships and the content types, naming `sheets` sheets."""
    numbers = range(1, sheets + 1)
    listed = "".join(
        f'<sheet name="{_sheet_name(title, "" if i == 1 else f" ({i})")}" sheetId="{i}" r:id="rId{i}"/>'
        for i in numbers
    )
    book.writestr(
        "xl/workbook.xml",
        _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>{listed}</sheets></workbook>',
    )
    related = "".join(
        f'<Relationship Id="rId{i}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in numbers
    )
    book.writestr(
        "xl/_rels/workbook.xml.rels",
        _XML + f'<Relationships xmlns="{_RELS}">{related}'
        f'<Relationship Id="rId{sheets + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/></Relationships>',
    )
    typed = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>' for i in numbers)
    book.writestr("[Content_Types].xml", _CONTENT_TYPES.replace("</Types>", typed + "</Types>"))


def _json_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_chunks(headers, rows, chunk_size=256 * 1024):
    """A JSON array of one object per row, keyed by the headers, streamed in chunks as rows arrive.

    Text is exact (JSON is not run as formulas); an empty value is "", as in the CSV. One encoder
    call per row keeps the rate near the CSV's; a whole tablib Dataset would cost milliseconds a row.
    """
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_value).encode
    pending, size, separator = ["["], 1, ""
    for row in rows:
        line = separator + encode({h: "" if v is None else v for h, v in zip(headers, row, strict=False)})
        pending.append(line)
        size += len(line)
        separator = ",\n"
        if size >= chunk_size:
            yield "".join(pending).encode()
            pending, size = [], 0
    pending.append("]")
    yield "".join(pending).encode()


def copy_csv(sql, params=None, chunk_size=64 * 1024, progress=None, header=True):
    """Stream `COPY (sql) TO STDOUT` as CSV with a header line (unless `header` is false), straight from PostgreSQL.

    PostgreSQL sends COPY's output a row at a time; the rows are gathered into chunks of about
    `chunk_size` bytes, so that a million rows are not a million trips through the response's
    generators and the server's writes. `progress` (jobs/progress.py) is told the rows of each chunk.
    """
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER {'true' if header else 'false'})"
    # Downloads read from a replica when the request may (eurasia/routers.py).
    connection = read_connection()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        started = time.monotonic()
        with raw.copy(statement, params) as copy:
            gathered, rows = bytearray(), -1 if header else 0  # the first row is the header line
            for row in copy:
                gathered += row
                rows += 1
                if len(gathered) >= chunk_size:
                    if progress is not None and rows > 0:
                        progress.advance(rows)
                        rows = 0
                    yield bytes(gathered)
                    gathered.clear()
            if progress is not None and rows > 0:
                progress.advance(rows)
            if gathered:
                yield bytes(gathered)
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
