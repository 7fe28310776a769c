"""The streamed XLSX writer: workbooks that spreadsheet readers open with typed cells and inert formulas."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl

from blocs.spreadsheets.writers import SHEET_ROWS, xlsx_chunks


def workbook(headers, rows, **kw):
    return openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_chunks(headers, rows, **kw))))


def test_numbers_and_dates_are_typed_and_text_stays_text():
    sheet = workbook(
        ["alpha-3", "COW code", "start", "share", "exact", "changed at", "flag"],
        [
            (
                "ARM",
                371,
                datetime.date(2024, 2, 1),
                1.5,
                Decimal("2.25"),
                datetime.datetime(2020, 1, 2, 3, 4, 5),
                True,
            )
        ],
    ).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == ("alpha-3", "COW code", "start", "share", "exact", "changed at", "flag")
    assert row == ("ARM", 371, datetime.datetime(2024, 2, 1), 1.5, 2.25, datetime.datetime(2020, 1, 2, 3, 4, 5), 1)
    assert [cell.data_type for cell in sheet[2]] == ["s", "n", "d", "n", "n", "d", "n"]
    assert sheet["C2"].number_format == "yyyy-mm-dd"


def test_dates_before_1900_and_in_its_first_months_come_back_as_written():
    days = [datetime.date(1816, 1, 1), datetime.date(1900, 1, 1), datetime.date(1900, 2, 28), datetime.date(1900, 3, 1)]
    sheet = workbook(["day"], [[day] for day in days]).active
    assert [row[0].date() for row in sheet.iter_rows(min_row=2, values_only=True)] == days


def test_formula_looking_text_is_inert_and_odd_text_survives():
    texts = ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx", "a & <b>", " padded ", "two\nlines", "'quoted"]
    sheet = workbook(["text"], [[t] for t in texts]).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert [cell.value for cell in cells] == [
        "'=SUM(A1)",
        "'+1",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\rx",
        "a & <b>",
        " padded ",
        "two\nlines",
        "''quoted",
    ]


def test_empty_cells_stay_in_their_columns():
    sheet = workbook(["a", "b", "c", "d"], [("x", None, "", 4)]).active
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [("x", None, None, 4)]


def test_characters_xml_cannot_hold_are_replaced_not_refused():
    sheet = workbook(["text"], [["bell\x07here"]]).active
    assert sheet["A2"].value == "bell\ufffdhere"


def test_header_is_bold_and_frozen_and_the_sheet_is_named():
    book = workbook(["alpha-3"], [["ARM"]], title="membership spells: all/some")
    sheet = book.active
    assert sheet.title == "membership spells  all some"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"


def test_the_workbook_streams_before_the_last_row_is_read():
    consumed = []

    def rows():
        for i in range(20_000):
            consumed.append(i)
            yield (f"row {i}", i, datetime.date(2000, 1, 1))

    chunks = xlsx_chunks(["text", "number", "day"], rows(), chunk_size=16 * 1024)
    first = next(chunks)
    assert first.startswith(b"PK") and len(consumed) < 20_000
    content = first + b"".join(chunks)
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 20_000


def test_a_table_longer_than_a_sheet_goes_on_in_further_sheets_with_the_header():
    rows = [(f"E{i}", i) for i in range(1, 8)]
    book = workbook(["event", "number"], rows, title="events", sheet_rows=4)
    assert book.sheetnames == ["events", "events (2)", "events (3)"]
    read = []
    for sheet in book.worksheets:
        header, *body = sheet.iter_rows(values_only=True)
        assert header == ("event", "number") and sheet["A1"].font.b and sheet.freeze_panes == "A2"
        assert len(body) <= 3
        read += body
    assert read == rows


def test_a_table_that_fills_its_sheet_exactly_has_no_empty_sheet_after_it():
    assert workbook(["n"], [(1,), (2,), (3,)], sheet_rows=4).sheetnames == ["data"]
    empty = workbook(["n"], [], sheet_rows=4)
    assert empty.sheetnames == ["data"] and list(empty.active.iter_rows(values_only=True)) == [("n",)]


def test_sheets_hold_as_many_rows_as_excel_opens_and_long_titles_keep_their_numbers():
    assert SHEET_ROWS == 2**20
    names = workbook(["n"], [(i,) for i in range(5)], title="x" * 40, sheet_rows=2).sheetnames
    assert names == ["x" * 31] + [f"{'x' * 27} ({i})" for i in range(2, 6)]
    assert all(len(name) <= 31 for name in names)
