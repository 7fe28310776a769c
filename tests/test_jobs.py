"""Large admin imports run as background jobs: the upload answers at once, the job shows its progress,
and it reaches the same preview and the same import as a small file does within the request."""

import html
import os
import re
import signal
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from blocs.spreadsheets.pending import ImportFile
from events.models import Event
from jobs.models import Job

from .conftest import make_staff
from .workers import run_worker, wait_for

ROWS = 300  # above the threshold the tests set, so that the file goes to the background


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.BACKGROUND_IMPORT_ROWS = 100


def events_csv(count, start=0):
    lines = ["date,title,kind"] + [f"2001-01-{1 + n % 28:02d},Summit number {n},summit" for n in range(start, count)]
    return ("\n".join(lines) + "\n").encode()


def upload(client, content, name="events.csv", model="events/event"):
    data = {"format": "0", "import_file": SimpleUploadedFile(name, content, content_type="text/csv")}
    return client.post(f"/admin/{model}/import/", data)


def page_text(response):
    return response.content.decode() if not hasattr(response, "streaming_content") else ""


def shown_messages(response):
    found = re.findall(r'<li class="(?:success|error|info|warning)">(.*?)</li>', page_text(response), re.S)
    return [html.unescape(m.strip()) for m in found]


def preview_section(response):
    """The preview as the curator reads it: the summary and the table of rows, without the form's file name."""
    text = page_text(response)
    return text[text.index("<h2>Preview</h2>") : text.index("</table>", text.index("<h2>Preview</h2>"))]


def confirm_fields(response):
    form = response.context["confirm_form"]
    return {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format", "resource")}


def stored_events():
    return sorted(Event.objects.values_list("date", "title", "kind"))


def stored_history():
    return sorted(Event.history.values_list("title", "history_type", "history_change_reason", "history_user__username"))


def import_synchronously(client, content):
    preview = upload(client, content)
    assert preview.status_code == 200
    confirmed = client.post("/admin/events/event/process_import/", confirm_fields(preview), follow=True)
    return preview_section(preview), shown_messages(confirmed)


def import_in_background(client, content):
    answer = upload(client, content)
    assert answer.status_code == 302
    job = Job.objects.get()
    assert answer["Location"] == f"/admin/jobs/job/{job.pk}/?follow=1"
    run_worker()
    preview = client.get(answer["Location"], follow=True)
    assert preview.redirect_chain[-1][0] == f"/admin/events/event/import/job/{job.pk}/"
    confirmed = client.post("/admin/events/event/process_import/", confirm_fields(preview))
    assert confirmed.status_code == 302 and confirmed["Location"].startswith("/admin/jobs/job/")
    run_worker()
    result = client.get(confirmed["Location"], follow=True)
    return preview_section(preview), shown_messages(result)


@pytest.mark.django_db
def test_a_large_import_reaches_the_same_preview_and_result_in_the_background_as_within_the_request(
    admin_client, settings
):
    content = events_csv(ROWS)
    with transaction.atomic():
        settings.BACKGROUND_IMPORT_ROWS = 10_000
        expected = import_synchronously(admin_client, content)
        expected_records = stored_events(), stored_history(), LogEntry.objects.count()
        transaction.set_rollback(True)
    assert Event.objects.count() == 0
    settings.BACKGROUND_IMPORT_ROWS = 100
    assert import_in_background(admin_client, content) == expected
    assert expected[1] == [f"Imported events: {ROWS} new, 0 changed, 0 unchanged."]
    assert (stored_events(), stored_history(), LogEntry.objects.count()) == expected_records
    assert [job.state for job in Job.objects.order_by("pk")] == ["done", "done"]


@pytest.mark.django_db
def test_the_upload_answers_before_the_preview_is_made(admin_client):
    answer = upload(admin_client, events_csv(ROWS))
    job = Job.objects.get()
    assert answer.status_code == 302  # answered while the job still waits for a worker
    assert (job.state, job.done, job.total) == ("queued", 0, 0)
    page = admin_client.get(answer["Location"])
    assert page.status_code == 200 and "Waiting for a worker" in page_text(page)
    assert '<meta http-equiv="refresh" content="2;url=/admin/jobs/job/' in page_text(page)
    assert ImportFile.objects.count() == 1 and Event.objects.count() == 0
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.message) == ("done", f"Preview ready: {ROWS} new, 0 changed, 0 unchanged.")
    assert Event.objects.count() == 0  # a preview stores nothing


@pytest.mark.django_db
def test_a_small_file_is_still_previewed_within_the_request(admin_client):
    answer = upload(admin_client, events_csv(50))
    assert answer.status_code == 200 and "confirm_form" in answer.context
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_file_with_problems_previewed_in_the_background_shows_them_and_keeps_nothing(admin_client):
    content = events_csv(ROWS) + b"2001-02-30,Bad date,summit\n"
    upload(admin_client, content)
    run_worker()
    job = Job.objects.get()
    assert job.state == "done" and "problems" in job.message
    preview = admin_client.get(job.result_url)
    assert "confirm_form" not in preview.context and "2001-02-30" in page_text(preview)
    assert not ImportFile.objects.exists() and not Event.objects.exists()


@pytest.mark.django_db
def test_a_job_page_is_refused_to_another_curator(curator_client, admin_client):
    upload(curator_client, events_csv(ROWS))
    job = Job.objects.get()
    other = Client()
    other.force_login(make_staff("Curators", "other-curator"))
    for url in (f"/admin/jobs/job/{job.pk}/", f"/admin/jobs/job/{job.pk}/status/"):
        assert other.get(url).status_code == 403
        assert curator_client.get(url).status_code == 200
        assert admin_client.get(url).status_code == 200  # superusers see every job
    assert other.post(f"/admin/jobs/job/{job.pk}/cancel/").status_code == 403
    run_worker()
    assert other.get(f"/admin/events/event/import/job/{job.pk}/").status_code == 403
    assert curator_client.get(f"/admin/events/event/import/job/{job.pk}/").status_code == 200
    assert job.title not in page_text(other.get("/admin/jobs/job/"))
    assert job.title in page_text(curator_client.get("/admin/jobs/job/"))


@pytest.mark.django_db
def test_the_status_endpoint_and_the_page_without_javascript_agree(admin_client, django_assert_num_queries):
    upload(admin_client, events_csv(ROWS))
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(state="running", stage="Checking rows", done=120, total=ROWS)
    Job.objects.filter(pk=job.pk).update(started_at=job.created_at, heartbeat_at=job.created_at)
    # Queries: session, user, stalled jobs marked failed, the job with its owner.
    with django_assert_num_queries(4):
        status = admin_client.get(f"/admin/jobs/job/{job.pk}/status/").json()
    with django_assert_num_queries(4):
        page = page_text(admin_client.get(f"/admin/jobs/job/{job.pk}/"))
    assert status["counts"].startswith("120 of 300 rows, ")
    assert (status["state"], status["percent"], status["stage"]) == ("running", 40, "Checking rows")
    for shown in (status["counts"], status["stage"], status["state_label"].capitalize()):
        assert html.escape(shown) in page
    assert f'value="{status["percent"]}" max="100"' in page


@pytest.mark.django_db
def test_a_job_cancelled_before_it_starts_never_runs(admin_client):
    upload(admin_client, events_csv(ROWS))
    job = Job.objects.get()
    admin_client.post(f"/admin/jobs/job/{job.pk}/cancel/")
    run_worker()
    job.refresh_from_db()
    assert job.state == "cancelled" and job.output is None
    again = admin_client.post(f"/admin/jobs/job/{job.pk}/again/")
    run_worker()
    assert Job.objects.exclude(pk=job.pk).get().state == "done"
    assert again.status_code == 302


@pytest.mark.django_db
def test_a_job_is_taken_by_one_worker_only(admin_client):
    from blocs.spreadsheets.background import preview_import

    upload(admin_client, events_csv(ROWS))
    job = Job.objects.get()
    preview_import.enqueue(job.pk)  # a second task for the same job
    run_worker()
    job.refresh_from_db()
    assert job.state == "done"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 2 and DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


# Against a worker in its own process: progress is seen while the job runs; cancel and kill -9 store nothing


BIG = 20_000  # rows enough that a job is seen running on a shared machine


@pytest.mark.slow
def test_progress_is_seen_while_a_job_runs_and_cancelling_it_stores_nothing(admin_client, worker):
    upload(admin_client, events_csv(BIG))
    job = Job.objects.get()
    worker()
    wait_for(lambda: Job.objects.filter(pk=job.pk, state="running", done__gt=0).exists())
    status = admin_client.get(f"/admin/jobs/job/{job.pk}/status/").json()
    assert status["total"] == BIG and 0 < status["done"] <= BIG
    admin_client.post(f"/admin/jobs/job/{job.pk}/cancel/")
    wait_for(lambda: Job.objects.filter(pk=job.pk).exclude(state="running").exists())
    job.refresh_from_db()
    assert job.state == "cancelled" and "nothing was stored" in job.message
    assert not Event.objects.exists() and ImportFile.objects.count() == 1


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_can_be_run_again(admin_client, worker, settings):
    settings.JOB_TIMEOUT_SECONDS = 2
    upload(admin_client, events_csv(BIG))
    process = worker()
    wait_for(lambda: Job.objects.filter(state="done").exists())
    preview = admin_client.get(Job.objects.get().result_url)
    confirmed = admin_client.post("/admin/events/event/process_import/", confirm_fields(preview))
    job = Job.objects.get(pk=int(confirmed["Location"].split("/")[4]))
    wait_for(lambda: Job.objects.filter(pk=job.pk, state="running", done__gt=0).exists())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(2.5)
    status = admin_client.get(f"/admin/jobs/job/{job.pk}/status/").json()
    assert status["state"] == "failed" and "stopped answering" in status["message"]
    assert not Event.objects.exists() and ImportFile.objects.count() == 1  # nothing half-written
    again = admin_client.post(f"/admin/jobs/job/{job.pk}/again/")
    worker()
    retried = Job.objects.get(pk=int(again["Location"].split("/")[4]))
    wait_for(lambda: Job.objects.filter(pk=retried.pk, state="done").exists())
    assert Event.objects.count() == BIG and not ImportFile.objects.exists()


# Long commands: a bar on a terminal, plain lines in a log, with the same counts


class Terminal:
    def __init__(self, tty):
        self.tty, self.text = tty, []

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


def test_a_command_shows_a_bar_on_a_terminal_and_plain_lines_in_a_log_with_the_same_counts():
    from jobs.progress import CommandProgress

    shown = {}
    for tty in (True, False):
        stream = Terminal(tty)
        progress = CommandProgress(stream)
        progress.stage("Loading memberships", 2500)
        for _ in range(2500):
            progress.advance()
        progress.stop()
        shown[tty] = "".join(stream.text)
    assert "Loading memberships: 2,500 of 2,500 rows" in shown[False]
    assert "\r" not in shown[False]
    assert "Loading memberships" in shown[True] and "2500/2500" in shown[True]


@pytest.mark.django_db
def test_load_records_tells_its_progress_in_a_log(tmp_path, capsys):
    import json

    from .big_dataset import big_dataset

    path = tmp_path / "records.json"
    path.write_text(json.dumps(big_dataset(countries=20, blocs=3, events=30)))
    from django.core.management import call_command

    call_command("load_records", str(path))
    err = capsys.readouterr().err
    assert "Loading memberships: 60 of 60 rows" in err and "Loading events: 30 of 30 rows" in err


@pytest.mark.django_db(transaction=True)
def test_a_job_ends_even_when_its_work_holds_the_jobs_row(settings, monkeypatch):
    """The progress writer gives up on a locked row instead of waiting on it for ever.

    A confirmed import once wrote its own job row inside the job's transaction: the heartbeat then
    waited on that row's lock, and the job waited on the heartbeat, until the worker was killed.
    The work now says what it has to say in its Outcome; a mistake of that kind costs progress
    writes, not the job.
    """
    from jobs.models import Outcome, run
    from jobs.progress import Reporter

    settings.JOB_HEARTBEAT_SECONDS = 0.05
    monkeypatch.setattr(Reporter, "lock_timeout_ms", 200)
    job = Job.objects.create(title="holds its row", task="tests.holds")

    def work(job, progress):
        progress.stage("Working", 3)
        Job.objects.filter(pk=job.pk).update(title="holds its row, locked")  # the mistake
        time.sleep(0.5)  # several heartbeats meet the lock
        progress.advance(3)
        return Outcome("Imported 3 rows.", tell=True)

    run(job.pk, work)  # it returns: before, it waited for ever
    job.refresh_from_db()
    assert job.state == "done" and job.message == "Imported 3 rows." and job.params == {"tell": True}
    assert job.title == "holds its row, locked"
