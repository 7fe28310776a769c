"""Hostile and careless uploads: each refused quickly, with its reason named, in bounded memory; confirmed once."""

import datetime
import html
import io
import re
import resource
import threading
import time
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from blocs.models import ImportFile, Source
from blocs.spreadsheets import uploads
from events.models import Event
from tests.conftest import make_event, make_staff

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MB = 1024 * 1024


# --- Workbooks built here, in memory, part by part -------------------------------------------------


def workbook(sheet, shared=None, prolog=b"", compresslevel=6):
    """An XLSX whose first sheet's XML is `sheet` (bytes, or an iterable of byte chunks)."""
    out = io.BytesIO()
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": prolog
        + f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>".encode(),
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        b"</Relationships>",
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as book:
        for name, data in parts.items():
            book.writestr(name, data)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for chunk in [sheet] if isinstance(sheet, bytes) else sheet:
                part.write(chunk)
        if shared is not None:
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in [shared] if isinstance(shared, bytes) else shared:
                    part.write(chunk)
    return out.getvalue()


def sheet(rows, dimension=None):
    """Sheet XML: a header row (key, title) and `rows` of (key, title) as inline strings."""
    yield f'<worksheet xmlns="{MAIN}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>key</t></is></c><c r="B1" t="inlineStr"><is><t>title</t></is></c></row>'
    batch = []
    for n, (key, title) in enumerate(rows, 2):
        batch.append(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{key}</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t>{title}</t></is></c></row>'
        )
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()
    yield b"</sheetData></worksheet>"


def many_empty_rows(count):
    yield f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>key</t></is></c></row>'
    for _ in range(count // 100_000):
        yield b"<row/>" * 100_000
    yield b"</sheetData></worksheet>"


def zeros(megabytes):
    yield f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    for _ in range(megabytes):
        yield b" " * MB
    yield b"</sheetData></worksheet>"


def shared_strings(count, text="a"):
    yield f'<sst xmlns="{MAIN}">'.encode()
    for start in range(0, count, 100_000):
        yield "".join(f"<si><t>{text}{n}</t></si>" for n in range(start, min(count, start + 100_000))).encode()
    yield b"</sst>"


def shared_sheet():
    return (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        f'<c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c></row></sheetData></worksheet>'
    ).encode()


# --- Uploading, measured -----------------------------------------------------------------------------


def upload(client, content, name="data.xlsx", fmt=XLSX, model="blocs/source"):
    return client.post(
        f"/admin/{model}/import/", {"import_file": SimpleUploadedFile(name, content), "format": fmt, "resource": "0"}
    )


def measured(call):
    """(result, CPU seconds, megabytes by which the process's peak memory grew) of `call()`.

    The request is served in this process, so the CPU time it took is the work the server did
    for it: a refusal that reads too much shows here whatever else the machine is doing, where
    the time on the clock would also count the other work sharing its cores.
    The peak resident size (getrusage) costs nothing to read, where tracing every allocation
    slowed the reading several times; its growth is at most what the call itself took.
    """
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    result = call()
    seconds = time.process_time() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # kilobytes on Linux
    return result, seconds, grown


def page_text(response):
    return response.content.decode()


HOSTILE = {
    # 2 million empty <row/> elements: 12 MB of XML packed into a few KB.
    "many empty rows": (
        lambda: workbook(many_empty_rows(2_000_000), compresslevel=9),
        "times larger than it is stored",
    ),
    # A classic zip bomb: a sheet of 200 MB of spaces.
    "zip bomb": (lambda: workbook(zeros(200), compresslevel=9), "as a zip bomb would be"),
    # Shared strings of 20 MB that pack a hundred times and more.
    "inflated shared strings": (
        lambda: workbook(shared_sheet(), shared=shared_strings(20_000, "x" * 1_000), compresslevel=9),
        "times larger than it is stored",
    ),
    # More shared strings than any import needs, packed no more than real ones.
    "a million shared strings": (
        lambda: workbook(shared_sheet(), shared=shared_strings(1_000_001)),
        "more than 1,000,000 strings",
    ),
    # 250,000 real rows, packed as a spreadsheet packs them: refused at the limit, while reading.
    "too many rows": (
        lambda: workbook(sheet((f"k{n}", f"Title {n}") for n in range(250_000))),
        "more than 200,000 rows",
    ),
    # XML entities: the classic XXE and its billion-laughs cousin.
    "XXE": (
        lambda: workbook(sheet([("k", "&xxe;")]), prolog=b'<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
        "declares a DTD",
    ),
    "DTD in the sheet": (
        lambda: workbook([b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>', *sheet([])]),
        "declares a DTD",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_workbook_is_refused_quickly_with_its_reason_and_in_bounded_memory(admin_client, kind):
    build, reason = HOSTILE[kind]
    content = build()
    assert len(content) < 4 * MB  # each is small: the harm is in what it unpacks to
    response, seconds, peak = measured(lambda: upload(admin_client, content))
    assert response.status_code == 200
    assert reason in page_text(response), kind
    assert 'name="import_file"' in page_text(response)  # still the upload form
    assert seconds < 15, f"{kind}: {seconds:.1f} s"
    assert peak < 120, f"{kind}: {peak:.0f} MB"
    assert not Source.objects.exists()
    assert not ImportFile.objects.exists()


def test_a_declared_dimension_is_not_trusted_and_rows_are_not_padded_to_it(admin_client):
    content = workbook(sheet(((f"k{n}", f"Title {n}") for n in range(2_000)), dimension="A1:XFD20001"))
    response, seconds, peak = measured(lambda: upload(admin_client, content))
    assert "2000 new, 0 changed, 0 unchanged" in page_text(response)
    assert peak < 120, f"{peak:.0f} MB"
    dataset = uploads.read_xlsx(content)
    assert dataset.headers == ["key", "title"] and dataset.width == 2
    assert ImportFile.objects.get().file_format == "xlsx"


def test_a_value_far_beyond_the_header_is_refused_without_building_the_row():
    cells = '<c r="A2" t="inlineStr"><is><t>k</t></is></c><c r="XFD2" t="inlineStr"><is><t>far</t></is></c>'
    content = workbook(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>key</t></is></c></row>'
        f'<row r="2">{cells}</row></sheetData></worksheet>'.encode()
    )
    with pytest.raises(uploads.ImportProblem, match="Row 2 has a value in column 16,384"):
        uploads.read_xlsx(content)


def test_a_part_larger_than_its_limit_is_refused_from_the_zip_directory(monkeypatch, admin_client):
    monkeypatch.setattr(uploads, "MAX_SHEET_BYTES", 100_000)
    content = workbook(sheet((f"k{n}", f"Title {n}") for n in range(5_000)))
    text = page_text(upload(admin_client, content))
    assert "The workbook's part xl/worksheets/sheet1.xml unpacks to" in html.unescape(text)
    assert "more than the 98 KB one import can read" in text


def test_an_upload_larger_than_the_limit_is_refused_as_it_streams_in(admin_client, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    stored = []
    keep = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self, data, start):
        stored.append(start)
        return keep(self, data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    content = b"key,title\n" + b"k,t\n" * (9 * MB)  # 36 MB
    response, seconds, peak = measured(lambda: upload(admin_client, content, "big.csv", CSV))
    text = page_text(response)
    assert "The file is larger than 32 MB" in text and "It was refused as it arrived; nothing was kept." in text
    assert stored == []  # never handed to the handler that writes it to disk
    assert seconds < 10
    assert not ImportFile.objects.exists()


def test_a_utf16_csv_is_read_as_what_it_is(admin_client):
    content = "key,title\nutf16,Договор\n".encode("utf-16")
    response = upload(admin_client, content, "data.csv", CSV)
    assert "1 new, 0 changed, 0 unchanged" in page_text(response)
    broken = codecs_bom_le() + b"k\x00e\x00y\x00\x00\xd8"
    assert "The file is UTF-16 text" in page_text(upload(admin_client, broken, "data.csv", CSV))


def codecs_bom_le():
    import codecs

    return codecs.BOM_UTF16_LE


def test_thousands_of_unknown_columns_are_refused_in_a_short_message(admin_client):
    wide = ",".join(f"column {n}" for n in range(10_000)) + "\n" + "," * 9_999 + "x\n"
    response = upload(admin_client, wide.encode(), "wide.csv", CSV)
    assert "The header row has 10,000 columns; an import takes at most 50" in page_text(response)
    assert len(response.content) < 50_000

    some = "key,title," + ",".join(f"unknown column with a long name number {n:03}" for n in range(30)) + "\nk,t\n"
    text = page_text(upload(admin_client, some.encode(), "some.csv", CSV))
    assert f"“{'unknown column with a long name number 000'[:40]}…”" in text
    assert "and 20 more are not source columns" in text
    assert text.count("unknown column with a long name number") == 10


# --- Confirming: once, by its owner, with a form that may have been tampered with ---------------------


def events_csv(count, start=0):
    lines = [f"2001-01-{1 + n % 28:02},Event number {n},summit" for n in range(start, start + count)]
    return ("date,title,kind\n" + "\n".join(lines) + "\n").encode()


def preview(client, content, model="events/event"):
    response = upload(client, content, "events.csv", CSV, model=model)
    form = response.context["confirm_form"]
    assert form is not None, page_text(response)[:2000]
    return form.initial


def confirm(client, initial, model="events/event", **changes):
    return client.post(f"/admin/{model}/process_import/", {**initial, **changes}, follow=True)


def shown_messages(response):
    """The messages on the page, as the curator reads them (the test client's context is shared by threads)."""
    found = re.findall(r'<li class="(?:success|error|info|warning)">(.*?)</li>', page_text(response), re.S)
    return [html.unescape(m.strip()) for m in found]


def test_a_second_confirmation_finds_the_file_gone_and_imports_nothing(admin_client):
    initial = preview(admin_client, events_csv(50))
    assert shown_messages(confirm(admin_client, initial)) == ["Imported events: 50 new, 0 changed, 0 unchanged."]
    again = shown_messages(confirm(admin_client, initial))
    assert again[0].startswith("Nothing was imported: This file is no longer waiting to be imported")
    assert Event.objects.count() == 50


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"format": "99"}, "no known format (“99”)"),
        ({"format": "abc"}, "no known format (“abc”)"),
        ({"format": "9" * 5000}, "no known format"),
        ({"resource": "5"}, "no known resource (“5”)"),
        ({"resource": "-1"}, "no known resource"),
        ({"import_file_name": ""}, "the confirmation form is incomplete"),
        ({"import_file_name": "../../etc/passwd"}, "no longer waiting to be imported"),
    ],
)
def test_a_tampered_confirmation_is_refused_with_a_message(admin_client, changes, named):
    initial = preview(admin_client, events_csv(3))
    response = confirm(admin_client, initial, **changes)
    assert response.status_code == 200
    assert named in shown_messages(response)[0]
    assert Event.objects.count() == 0


def test_a_preview_belongs_to_its_curator(admin_client, client):
    initial = preview(admin_client, events_csv(3))
    other = make_staff("Curators", "boris")
    client.force_login(other)
    refused = shown_messages(confirm(client, initial))[0]
    assert "This preview belongs to admin: only the curator who uploaded a file can confirm or cancel" in refused
    cancel = client.post("/admin/events/event/import/cancel/", initial, follow=True)
    assert "This preview belongs to admin" in shown_messages(cancel)[0]
    assert Event.objects.count() == 0 and ImportFile.objects.count() == 1
    assert shown_messages(confirm(admin_client, initial)) == ["Imported events: 3 new, 0 changed, 0 unchanged."]
    assert Event.history.filter(history_user__username="admin").count() == 3


def test_a_preview_confirmed_on_another_list_is_refused(admin_client):
    initial = preview(admin_client, events_csv(3))
    response = confirm(admin_client, initial, model="blocs/source")
    assert "This file was previewed for another list" in shown_messages(response)[0]
    assert not Source.objects.exists() and ImportFile.objects.count() == 1


def test_a_preview_can_be_cancelled(admin_client):
    initial = preview(admin_client, events_csv(3))
    page = upload(admin_client, events_csv(3), "events.csv", CSV, model="events/event")
    assert 'value="Cancel"' in page_text(page) and "/admin/events/event/import/cancel/" in page_text(page)
    response = admin_client.post("/admin/events/event/import/cancel/", initial, follow=True)
    assert shown_messages(response) == ["The import was cancelled and the uploaded file deleted; nothing was imported."]
    assert ImportFile.objects.count() == 1  # the second preview, still waiting
    assert "no longer waiting" in shown_messages(confirm(admin_client, initial))[0]
    assert Event.objects.count() == 0


def test_a_preview_expires_after_a_day(admin_client):
    initial = preview(admin_client, events_csv(3))
    ImportFile.objects.update(created_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    assert "has expired" in shown_messages(confirm(admin_client, initial))[0]
    assert Event.objects.count() == 0 and not ImportFile.objects.exists()


def test_expired_previews_are_removed_by_the_next_upload_and_by_the_command(admin_client):
    preview(admin_client, events_csv(3))
    ImportFile.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    preview(admin_client, events_csv(3))
    assert ImportFile.objects.count() == 1
    ImportFile.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    out = io.StringIO()
    call_command("clear_pending_imports", stdout=out)
    assert not ImportFile.objects.exists()
    assert "Removed 1 expired preview" in out.getvalue()


def test_a_refused_file_is_not_kept(admin_client):
    upload(admin_client, b"date,title,kind\nnot a date,x,summit\n", "bad.csv", CSV, model="events/event")
    assert not ImportFile.objects.exists()


def test_the_same_event_cannot_be_stored_twice():
    from django.db import IntegrityError, transaction

    make_event(date=datetime.date(2001, 1, 1), title="Summit")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(date=datetime.date(2001, 1, 1), title="Summit")
    make_event(date=datetime.date(2001, 1, 2), title="Summit")


# --- Two confirmations at once ----------------------------------------------------------------------


def at_once(*calls):
    """Run `calls` in threads released together; each thread has its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@pytest.fixture
def root_clients(transactional_db):
    User.objects.create_superuser("root", "root@example.org", "pw")
    clients = [Client(), Client()]
    for client in clients:
        client.login(username="root", password="pw")
    return clients


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [300, 2_000])
def test_two_confirmations_at_once_import_the_file_once(root_clients, count):
    first, second = root_clients
    initial = preview(first, events_csv(count))
    results = at_once(*(lambda c=c: shown_messages(confirm(c, initial)) for c in (first, second)))
    said = sorted(m[0] for m in results)
    assert Event.objects.count() == count
    assert said[0] == f"Imported events: {count} new, 0 changed, 0 unchanged."
    assert said[1].startswith("Nothing was imported: This file is no longer waiting to be imported")
    assert not ImportFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_previews_of_the_same_new_rows_confirmed_at_once_store_them_once(root_clients):
    first, second = root_clients
    one, two = preview(first, events_csv(300)), preview(second, events_csv(300))
    results = at_once(lambda: shown_messages(confirm(first, one)), lambda: shown_messages(confirm(second, two)))
    said = sorted(m[0] for m in results)
    assert Event.objects.count() == 300
    # Whichever comes second either finds them stored, or is refused by the natural key; never a copy.
    assert "Imported events: 300 new, 0 changed, 0 unchanged." in said
    other = said[0] if said[1].startswith("Imported events: 300 new") else said[1]
    assert other == "Imported events: 0 new, 0 changed, 300 unchanged." or (
        other.startswith("Nothing was imported") and "already recorded on this date" in other
    ), other
