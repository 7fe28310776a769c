"""Large admin exports run as background jobs: the form answers at once, the job shows its progress,
and the file it keeps for its owner has the same bytes as the export streamed within the request."""

import datetime
import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from events.models import Event
from jobs.models import Job

from .conftest import make_staff
from .spreadsheet_forms import fields
from .workers import run_worker

pytestmark = pytest.mark.django_db

CSV, XLSX, JSON = "0", "1", "2"  # positions of the export formats in the admin's format list
ROWS = 60
EXPORT = "/admin/events/event/export/"


@pytest.fixture(autouse=True)
def events(settings):
    settings.BACKGROUND_EXPORT_ROWS = 50
    Event.objects.bulk_create(
        Event(date=datetime.date(2001, 1, 1) + datetime.timedelta(days=n), title=f"Summit {n}", kind="summit")
        for n in range(ROWS)
    )


def export(client, fmt, query=""):
    return client.post(EXPORT + query, {"format": fmt, "resource": "0", **fields("events", "event")})


def streamed(client, fmt, query=""):
    response = export(client, fmt, query)
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content), response


def comparable(content, fmt):
    """The file's bytes; for a workbook, the bytes of each part (the zip stamps each part with its time)."""
    if fmt != XLSX:
        return content
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return {name: book.read(name) for name in book.namelist()}


def export_in_background(client, fmt, query=""):
    answer = export(client, fmt, query)
    assert answer.status_code == 302
    job = Job.objects.latest("pk")
    assert answer["Location"] == f"/admin/jobs/job/{job.pk}/"
    assert job.state == "queued"  # answered before any of the file was written
    run_worker()
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("fmt", [CSV, XLSX, JSON])
def test_a_large_export_is_written_in_the_background_with_the_same_bytes_as_within_the_request(
    curator_client, settings, fmt
):
    settings.BACKGROUND_EXPORT_ROWS = 10_000
    expected, response = streamed(curator_client, fmt)
    settings.BACKGROUND_EXPORT_ROWS = 50
    job = export_in_background(curator_client, fmt)
    assert (job.state, job.done, job.total, job.stage) == ("done", ROWS, ROWS, "Writing events")
    assert f"({ROWS} rows)" in job.message
    assert job.file_name == response["Content-Disposition"].split('"')[1]
    page = curator_client.get(f"/admin/jobs/job/{job.pk}/").content.decode()
    assert f'href="/admin/jobs/job/{job.pk}/download/"' in page
    download = curator_client.get(f"/admin/jobs/job/{job.pk}/download/")
    assert download["Content-Type"] == response["Content-Type"]
    assert download["Content-Disposition"] == response["Content-Disposition"]
    assert comparable(download.content, fmt) == comparable(expected, fmt)


def test_the_background_export_keeps_the_lists_filters(curator_client, settings):
    query = "?q=Summit+5"  # Summit 5 and Summit 50 to 59: 11 rows, below the threshold
    assert streamed(curator_client, CSV, query)[0].count(b"\n") == 12
    settings.BACKGROUND_EXPORT_ROWS = 5
    job = export_in_background(curator_client, CSV, query)
    assert job.total == 11 and bytes(job.output) == streamed_at(curator_client, settings, query)


def streamed_at(client, settings, query):
    settings.BACKGROUND_EXPORT_ROWS = 10_000
    return streamed(client, CSV, query)[0]


def test_a_small_export_still_streams_within_the_request(curator_client):
    Event.objects.filter(title__endswith="7").delete()  # 54 rows left; 50 and fewer stream
    Event.objects.filter(title__in=["Summit 1", "Summit 2", "Summit 3", "Summit 4"]).delete()
    content, _ = streamed(curator_client, CSV)
    assert content.count(b"\n") == 51 and not Job.objects.exists()


def test_the_file_is_refused_to_another_curator_and_removed_once_downloaded(curator_client):
    job = export_in_background(curator_client, CSV)
    other = Client()
    other.force_login(make_staff("Curators", "other-curator"))
    assert other.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 403
    assert other.get(f"/admin/jobs/job/{job.pk}/").status_code == 403
    assert Job.objects.get(pk=job.pk).output is not None  # a refused download takes nothing
    assert curator_client.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 200
    job.refresh_from_db()
    assert job.output is None and job.output_type == "" and "no longer kept" in job.message
    assert curator_client.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 404
    assert "Download" not in curator_client.get(f"/admin/jobs/job/{job.pk}/").content.decode()


def test_a_file_never_downloaded_is_removed_after_a_day(curator_client):
    old = export_in_background(curator_client, CSV)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    out = io.StringIO()
    call_command("clear_expired_jobs", stdout=out)
    assert out.getvalue() == "Removed 1 expired job.\n" and not Job.objects.exists()
    # The next export clears the expired ones too.
    kept = export_in_background(curator_client, CSV)
    Job.objects.filter(pk=kept.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    export_in_background(curator_client, CSV)
    assert not Job.objects.filter(pk=kept.pk).exists() and Job.objects.count() == 1


def test_a_cancelled_export_keeps_no_file(curator_client):
    export(curator_client, CSV)
    job = Job.objects.get()
    curator_client.post(f"/admin/jobs/job/{job.pk}/cancel/")
    run_worker()
    job.refresh_from_db()
    assert job.state == "cancelled" and job.output is None
    assert curator_client.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 404


def test_an_analyst_may_export_in_the_background_too(analyst_client):
    job = export_in_background(analyst_client, JSON)
    assert job.state == "done" and analyst_client.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 200


def test_the_job_page_of_an_export_pins_its_queries(curator_client, django_assert_num_queries):
    job = export_in_background(curator_client, CSV)
    # Queries: session, user, stalled jobs marked failed, the job with its owner, the curator's own
    # permissions and their groups' (the admin's menu).
    with django_assert_num_queries(6):
        assert curator_client.get(f"/admin/jobs/job/{job.pk}/").status_code == 200
    # Queries: session, user, stalled jobs marked failed, the job, its file, the file marked as taken.
    with django_assert_num_queries(6):
        assert curator_client.get(f"/admin/jobs/job/{job.pk}/download/").status_code == 200
