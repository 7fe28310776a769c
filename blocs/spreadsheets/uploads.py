"""Uploaded spreadsheets read within fixed bounds: sizes, rows, columns and text, whatever the file declares.

A curator's upload is untrusted input to a server that other people are using. Every limit here is
checked before the work it bounds: the upload's size while it streams in (eurasia.upload_handlers), an XLSX
workbook's unpacked part sizes and compression ratios from its zip directory before a part is
opened, and rows, cells and text as they are read. The workbook's XML is read as a stream with
expat (nothing of a sheet is held but the row being read), never trusting its declared dimension,
and a part that declares a DTD is refused: spreadsheets never need one, and entities are how XML
attacks a server. Every refusal is an ImportProblem whose text names the limit that was hit.
"""

import codecs
import csv
import io
import posixpath
import zipfile
import zlib
from xml.parsers import expat

import tablib
from django.conf import settings
from django.utils.translation import gettext
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from .writers import MAX_CELL_CHARS, restore


class ImportProblem(Exception):
    """A problem with the file as a whole, in words a curator understands."""


MB = 1024 * 1024

# A spreadsheet import is previewed within one web request (about 150 rows a second): larger
# datasets go through `manage.py load_records`. Readers stop at the limit instead of reading on.
MAX_IMPORT_ROWS = 200_000
MAX_IMPORT_BYTES = settings.FILE_UPLOAD_MAX_BYTES  # also enforced while the upload streams in
# The widest table has 15 columns; rows are kept as wide as the header, so the width bounds memory.
MAX_COLUMNS = 50
# An XLSX holds no more text than a CSV within the size limit could.
MAX_TEXT_CHARS = MAX_IMPORT_BYTES
# Unpacked sizes of a workbook's parts: a sheet of 200,000 rows of events unpacks to about 150 MB.
MAX_SHEET_BYTES = 256 * MB
MAX_SHARED_STRINGS_BYTES = 64 * MB
MAX_SHARED_STRINGS = 1_000_000
MAX_PART_BYTES = 8 * MB  # any other part: workbook, styles, relationships
MAX_PARTS = 1_000
# Spreadsheet XML packs 5 to 30 times; zip bombs pack hundreds of times. Small parts may pack as they like.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 * MB
# Cells a sheet may hold, empty ones included: 200,000 rows of the widest table need 3 million.
MAX_CELLS = 5_000_000


def too_many_rows():
    return gettext(
        "The file has more than %(rows)s rows, more than one import can check. Split it into "
        "smaller files, or load the whole dataset with manage.py load_records."
    ) % {"rows": f"{MAX_IMPORT_ROWS:,}"}


def too_large():
    return gettext(
        "The file is larger than %(megabytes)s MB, more than one import can check. "
        "Split it into smaller files, or load the whole dataset with manage.py load_records."
    ) % {"megabytes": MAX_IMPORT_BYTES // MB}


def check_size(data):
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportProblem(too_large())


def rows_to_dataset(header, rows):
    """A tablib Dataset from (line, cells) rows: blank rows dropped, quoted formulas restored, limits enforced.

    `rows` may be a generator: the row limit stops the reading, and each row is cut to the header's
    width as it arrives, so that neither a long file nor a wide one is held before it is refused.
    """
    header = list(header or ())
    while header and header[-1] in (None, ""):
        header.pop()
    if not header:
        raise ImportProblem(gettext("The file is empty: it has no header row naming the columns."))
    width = len(header)
    if width > MAX_COLUMNS:
        raise ImportProblem(
            gettext(
                "The header row has %(width)s columns; an import takes at most %(most)s "
                "(the widest table has 15). Keep only the columns of this table."
            )
            % {"width": f"{width:,}", "most": MAX_COLUMNS}
        )
    data = []
    for count, (line, row) in enumerate(rows, 1):
        if count > MAX_IMPORT_ROWS:
            raise ImportProblem(too_many_rows())
        if not row or all(cell in (None, "") for cell in row):
            continue
        if len(row) > width and any(cell not in (None, "") for cell in row[width:]):
            raise ImportProblem(
                gettext("Row %(line)s has more cells than the header row has columns.") % {"line": line}
            )
        row = list(row[:width])
        row += [""] * (width - len(row))
        data.append([restore(cell) for cell in row])
    if not data:
        raise ImportProblem(gettext("The file has a header row but no rows to import."))
    return tablib.Dataset(*data, headers=[str(h).strip() if h is not None else "" for h in header])


# --- CSV -------------------------------------------------------------------------------------------

_WIDE_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
]


def decode_csv(data):
    """The text of an uploaded CSV: UTF-8 (with or without a byte order mark), or UTF-16/32 with one."""
    check_size(data)
    if data.startswith(b"PK\x03\x04"):
        raise ImportProblem(gettext("This file is an XLSX workbook, not CSV: choose xlsx as the format."))
    for bom, codec, name in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as e:
                raise ImportProblem(
                    gettext(
                        "The file is %(name)s text (it starts with a %(name)s byte order mark) but byte %(byte)s "
                        'cannot be read. In Excel, save it as "CSV UTF-8 (comma delimited)".'
                    )
                    % {"name": name, "byte": f"{e.start:,}"}
                )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ImportProblem(
            gettext(
                "The file is not UTF-8 text (an unreadable byte on line %(line)s). In Excel, save it as "
                '"CSV UTF-8 (comma delimited)", or import the XLSX workbook instead.'
            )
            % {"line": line}
        )


def read_csv(text):
    """A Dataset from CSV text; rows are read one at a time, so the row limit stops the reading."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ImportProblem(
            gettext("This is not a CSV text file (it holds binary data). Choose the file's real format.")
        )
    reader = csv.reader(io.StringIO(text, newline=""))

    def rows():
        for row in reader:
            yield reader.line_num, row

    try:
        header = next(reader, None)
        return rows_to_dataset(header, rows())
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            raise ImportProblem(
                gettext("Line %(line)s: a cell is far longer than a spreadsheet cell can be (%(most)s characters).")
                % {"line": reader.line_num + 1, "most": f"{MAX_CELL_CHARS:,}"}
            )
        raise ImportProblem(
            gettext("Line %(line)s: the CSV cannot be read (%(error)s).") % {"line": reader.line_num, "error": e}
        )


# --- XLSX ------------------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships "
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships "
_SHEET_TAGS = {"row": 1, "c": 2, "v": 3, "t": 4, "rPh": 5, "is": 6}
_SHEET_TAGS = {_MAIN + name: code for name, code in _SHEET_TAGS.items()}
_ROW, _CELL, _VALUE, _TEXT, _PHONETIC = 1, 2, 3, 4, 5


def _megabytes(size):
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size / 1024:,.0f} KB"


def check_workbook(data):
    """The workbook's zip, its directory checked: no part unpacks beyond its limit or packs like a bomb.

    zipfile stops reading a part at the size its directory declares (and a part that unpacks to more
    fails its checksum), so the declared sizes bound the work of reading.
    """
    check_size(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem(gettext("This is an old Excel .xls workbook: save it as .xlsx and import that."))
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ImportProblem(gettext("This file is not an XLSX workbook. Choose csv as the format if it is a CSV file."))
    if len(parts) > MAX_PARTS:
        raise ImportProblem(
            gettext("The workbook has %(parts)s parts, more than any spreadsheet (%(most)s).")
            % {"parts": f"{len(parts):,}", "most": f"{MAX_PARTS:,}"}
        )
    for part in parts:
        name = part.filename
        if part.flag_bits & 0x1:
            raise ImportProblem(
                gettext("The workbook is protected with a password: save a copy without one and import that.")
            )
        if name.startswith("xl/worksheets/"):
            limit = MAX_SHEET_BYTES
        elif name.lower().endswith("sharedstrings.xml"):
            limit = MAX_SHARED_STRINGS_BYTES
        else:
            limit = MAX_PART_BYTES
        if part.file_size > limit:
            raise ImportProblem(
                gettext(
                    "The workbook's part %(part)s unpacks to %(size)s, more than the %(most)s one import can "
                    "read. Split the data into smaller files, or save it as CSV."
                )
                % {"part": name[:80], "size": _megabytes(part.file_size), "most": _megabytes(limit)}
            )
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            ratio = part.file_size // max(part.compress_size, 1)
            raise ImportProblem(
                gettext(
                    "The workbook's part %(part)s unpacks %(ratio)s times larger than it is stored "
                    "(%(stored)s to %(size)s), far more than a real spreadsheet packs: it was refused unread, "
                    "as a zip bomb would be. Save the data again from a spreadsheet program, or as CSV."
                )
                % {
                    "part": name[:80],
                    "ratio": f"{ratio:,}",
                    "stored": _megabytes(part.compress_size),
                    "size": _megabytes(part.file_size),
                }
            )
    return book


def _parser(name):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*args):
        raise ImportProblem(
            gettext(
                "The workbook's part %(part)s declares a DTD (<!DOCTYPE …>). Spreadsheets never need one, "
                "and DTD entities are a way to attack a server, so the workbook was refused unread. Save it "
                "again from Excel or LibreOffice."
            )
            % {"part": name[:80]}
        )

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _stream(book, name, parser, done=None):
    """Feed part `name` to `parser` in chunks; after each chunk, yield what `done` (a list) gathered."""
    try:
        with book.open(name) as part:
            while chunk := part.read(64 * 1024):
                parser.Parse(chunk, False)
                if done:
                    yield from done
                    done.clear()
            parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise ImportProblem(
            gettext(
                "This XLSX workbook is damaged and cannot be read: its part %(part)s is not well-formed XML (%(error)s)."
            )
            % {"part": name[:80], "error": e}
        )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as e:
        raise ImportProblem(
            gettext(
                "This XLSX workbook is damaged and cannot be read: its part %(part)s cannot be unpacked (%(error)s)."
            )
            % {"part": name[:80], "error": e}
        )
    if done:
        yield from done
        done.clear()


def _parse(book, name, start=None, end=None, text=None):
    parser = _parser(name)
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    for _ in _stream(book, name, parser):
        pass


def _relationships(book, name):
    """{id: (type, target path in the zip)} of the relationships part of part `name`."""
    folder, base = posixpath.split(name)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found = {}
    if rels not in book.NameToInfo:
        return found

    def start(tag, attrs):
        if tag == _PACKAGE_REL + "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id")] = (attrs.get("Type", "").rsplit("/", 1)[-1], path)

    _parse(book, rels, start=start)
    return found


def _workbook(book):
    """(first sheet's part, shared strings part or None, styles part or None, epoch)."""
    package = _relationships(book, "")
    main = next((path for kind, path in package.values() if kind == "officeDocument"), "xl/workbook.xml")
    if main not in book.NameToInfo:
        raise ImportProblem(gettext("This file is not an XLSX workbook. Choose csv as the format if it is a CSV file."))
    sheets, epoch = [], [WINDOWS_EPOCH]

    def start(tag, attrs):
        if tag == _MAIN + "sheet":
            sheets.append(attrs.get(_REL + "id"))
        elif tag == _MAIN + "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    _parse(book, main, start=start)
    rels = _relationships(book, main)
    if not sheets or sheets[0] not in rels or rels[sheets[0]][1] not in book.NameToInfo:
        raise ImportProblem(gettext("This XLSX workbook is damaged and cannot be read: it has no sheet."))
    by_kind = {kind: path for kind, path in rels.values() if path in book.NameToInfo}
    return rels[sheets[0]][1], by_kind.get("sharedStrings"), by_kind.get("styles"), epoch[0]


def _shared_strings(book, name):
    """The shared string table, bounded in count and in characters."""
    strings, parts, state = [], [], {"depth": 0, "text": False, "chars": 0}

    def start(tag, attrs):
        if tag == _MAIN + "si":
            parts.clear()
        elif tag == _MAIN + "rPh":
            state["depth"] += 1
        elif tag == _MAIN + "t" and not state["depth"]:
            state["text"] = True

    def end(tag):
        if tag == _MAIN + "si":
            value = "".join(parts)
            state["chars"] += len(value)
            if len(strings) >= MAX_SHARED_STRINGS or state["chars"] > MAX_TEXT_CHARS:
                raise ImportProblem(
                    gettext(
                        "The workbook's shared text holds more than %(strings)s strings or %(megabytes)s MB of "
                        "characters, more than one import can check."
                    )
                    % {"strings": f"{MAX_SHARED_STRINGS:,}", "megabytes": MAX_TEXT_CHARS // MB}
                )
            strings.append(value)
        elif tag == _MAIN + "rPh":
            state["depth"] -= 1
        elif tag == _MAIN + "t":
            state["text"] = False

    def text(data):
        if state["text"]:
            parts.append(data)

    _parse(book, name, start, end, text)
    return strings


def _date_styles(book, name):
    """(styles showing dates, styles showing durations), by cell style index, as openpyxl works them out."""
    custom, formats, state = {}, [], {"in_xfs": False}

    def start(tag, attrs):
        if tag == _MAIN + "numFmt":
            custom[attrs.get("numFmtId")] = attrs.get("formatCode")
        elif tag == _MAIN + "cellXfs":
            state["in_xfs"] = True
        elif tag == _MAIN + "xf" and state["in_xfs"]:
            formats.append(attrs.get("numFmtId", "0"))

    def end(tag):
        if tag == _MAIN + "cellXfs":
            state["in_xfs"] = False

    _parse(book, name, start, end)
    dates, durations = set(), set()
    for i, number in enumerate(formats):
        try:
            code = custom[number] if number in custom else builtin_format_code(int(number))
        except ValueError:
            continue
        if is_date_format(code):
            dates.add(i)
        if is_timedelta_format(code):
            durations.add(i)
    return dates, durations


class _SheetReader:
    """expat handlers that turn a sheet's XML into (row number, cells) as it streams past.

    Cells are converted as openpyxl converts them with data_only=True (a formula gives its last
    value). Nothing the sheet declares (its dimension, spans) is used: a row is as wide as its
    last cell with a value, and a cell beyond MAX_COLUMNS with a value is refused.
    """

    def __init__(self, shared, dates, durations, epoch):
        self.shared, self.dates, self.durations, self.epoch = shared, dates, durations, epoch
        self.done = []
        self.rows = self.cells = self.chars = 0
        self.number = 0
        self.row = None
        self.column = 0
        self.kind = self.style = None
        self.capture = None
        self.phonetic = 0
        self.parts = []

    def start(self, tag, attrs):
        code = _SHEET_TAGS.get(tag)
        if code == _CELL:
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise ImportProblem(
                    gettext(
                        "The sheet has more than %(cells)s cells (empty ones included), more than one import "
                        "can check. Delete the unused rows and columns, or save the data as CSV."
                    )
                    % {"cells": f"{MAX_CELLS:,}"}
                )
            ref = attrs.get("r")
            self.column = self._column(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.parts = []
            self.capture = None
        elif code == _VALUE:
            self.capture = True
        elif code == _TEXT:
            self.capture = not self.phonetic
        elif code == _PHONETIC:
            self.phonetic += 1
        elif code == _ROW:
            self.rows += 1
            if self.rows > MAX_IMPORT_ROWS + 1:
                raise ImportProblem(too_many_rows())
            number = attrs.get("r")
            try:
                self.number = int(number) if number else self.number + 1
            except ValueError:
                raise ImportProblem(
                    gettext("This XLSX workbook is damaged and cannot be read: a row is numbered “%(number)s”.")
                    % {"number": number[:20]}
                )
            self.row = []
            self.column = 0

    def _column(self, ref):
        letters = ref.rstrip("0123456789").lstrip("$")
        try:
            return column_index_from_string(letters)
        except ValueError:
            raise ImportProblem(
                gettext("This XLSX workbook is damaged and cannot be read: a cell is named “%(ref)s”.")
                % {"ref": ref[:20]}
            )

    def text(self, data):
        if self.capture:
            self.parts.append(data)

    def end(self, tag):
        code = _SHEET_TAGS.get(tag)
        if code in (_VALUE, _TEXT):
            self.capture = False
        elif code == _PHONETIC:
            self.phonetic -= 1
        elif code == _CELL:
            if self.row is None or not self.parts:
                return
            value = self.value("".join(self.parts))
            if value is None or value == "":
                return
            if self.column > MAX_COLUMNS:
                raise ImportProblem(
                    gettext("Row %(row)s has a value in column %(column)s; an import reads at most %(most)s columns.")
                    % {"row": self.number, "column": f"{self.column:,}", "most": MAX_COLUMNS}
                )
            if type(value) is str:
                self.chars += len(value)
                if self.chars > MAX_TEXT_CHARS:
                    raise ImportProblem(
                        gettext("The sheet holds more than %(megabytes)s MB of text, more than one import can check.")
                        % {"megabytes": MAX_TEXT_CHARS // MB}
                    )
            row = self.row
            if len(row) < self.column:
                row += [None] * (self.column - len(row))
            row[self.column - 1] = value
        elif code == _ROW:
            if self.row is not None:
                self.done.append((self.number, self.row))
            self.row = None

    def value(self, raw):
        kind = self.kind
        try:
            if kind == "s":
                return self.shared[int(raw)]
            if kind in ("inlineStr", "str", "e"):
                return raw
            if kind == "b":
                return bool(int(raw))
            if kind == "d":
                return from_ISO8601(raw)
            number = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
            style = int(self.style) if self.style else 0
            if style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # openpyxl's reading of a date outside the calendar
            return number
        except (ValueError, IndexError, TypeError, OverflowError):
            raise ImportProblem(
                gettext(
                    "This XLSX workbook is damaged and cannot be read: row %(row)s has a cell whose value “%(value)s” cannot be read."
                )
                % {"row": self.number, "value": raw[:40]}
            )


def xlsx_rows(data):
    """(row number, cells) of the workbook's first sheet, read as a stream within every limit."""
    book = check_workbook(data)
    sheet, strings, styles, epoch = _workbook(book)
    shared = _shared_strings(book, strings) if strings else []
    dates, durations = _date_styles(book, styles) if styles else (set(), set())
    reader = _SheetReader(shared, dates, durations, epoch)
    parser = _parser(sheet)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    yield from _stream(book, sheet, parser, reader.done)


def read_xlsx(data):
    """A Dataset from the first sheet of an XLSX workbook; the header is row 1, as the spreadsheet shows it."""
    rows = xlsx_rows(data)
    first = next(rows, None)
    header = first[1] if first is not None and first[0] == 1 else None
    return rows_to_dataset(header, rows)
