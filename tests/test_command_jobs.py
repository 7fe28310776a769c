"""`load_records --background` and `make_world --background`: a worker does the same load, all or nothing,
with its progress on the Jobs list; a failed or cancelled one, or one whose worker is killed, stores nothing."""

import io
import json
import os
import signal
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from blocs.models import Country, Membership
from devtools import synthetic
from events.models import Event
from exchange.dumping import dump
from jobs.models import Job

from .big_dataset import big_dataset
from .conftest import make_country, make_staff
from .workers import run_worker, wait_for


def history():
    """Each version a load wrote, without its time: who, why, from which file, what."""
    found = []
    for model in (Country, Membership, Event):
        found += model.history.values_list("history_type", "history_change_reason", "history_user__username")
    return sorted(found, key=str)


def command(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def records_file(tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(big_dataset(countries=20, blocs=3, events=30)))
    return path


@pytest.mark.django_db
def test_load_records_in_the_background_stores_what_the_command_stores(records_file):
    make_staff("Curators", "loader")
    with transaction.atomic():
        said = command("load_records", str(records_file), "--user", "loader")
        expected = dump(), history()
        transaction.set_rollback(True)
    assert not Country.objects.exists()
    answer = command("load_records", str(records_file), "--user", "loader", "--background")
    job = Job.objects.get()
    assert answer.startswith(f"Queued as job {job.pk}: ") and f"/admin/jobs/job/{job.pk}/" in answer
    assert (job.state, job.owner.username, job.file_name) == ("queued", "loader", "records.json")
    assert not Country.objects.exists()  # the command returned before anything was loaded
    run_worker()
    job.refresh_from_db()
    assert job.state == "done" and job.message == said.strip()
    assert (job.done, job.total) == (30, 30)  # the last step: events
    assert (dump(), history()) == expected
    assert job.file_data is None  # the file is not kept once loaded


@pytest.mark.django_db
def test_a_failed_load_in_the_background_stores_nothing_and_says_what_the_command_says(tmp_path):
    data = big_dataset(countries=20, blocs=3, events=30)
    data["memberships"].append({"country": "XAA", "bloc": "no-such-bloc", "role": "member", "start": "2000"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as refused:
        command("load_records", str(path))
    command("load_records", str(path), "--background")
    run_worker()
    job = Job.objects.get()
    assert job.state == "failed" and job.message == str(refused.value)
    assert job.owner is None and not Country.objects.exists() and not Event.objects.exists()
    assert job.file_data is not None  # kept, so that it can be run again


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_is_refused_before_any_job_is_queued(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    for name in ("broken.json", "missing.json"):
        with pytest.raises(CommandError, match="Nothing was stored"):
            command("load_records", str(tmp_path / name), "--background")
    assert not Job.objects.exists()


def world_rows():
    return dump(), Membership.objects.count(), Event.objects.count()


@pytest.mark.django_db
def test_make_world_in_the_background_loads_the_world_the_command_loads():
    make_staff("Curators", "bench")
    with transaction.atomic():
        command("make_world", "--scale", "tiny", "--seed", "3")
        expected = world_rows()
        transaction.set_rollback(True)
    answer = command("make_world", "--scale", "tiny", "--seed", "3", "--background", "--owner", "bench")
    job = Job.objects.get()
    assert answer.startswith(f"Queued as job {job.pk}: ") and job.owner.username == "bench"
    assert not Membership.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert job.state == "done" and job.message.startswith("Loaded ") and "indexes built" in job.message
    assert world_rows() == expected


@pytest.mark.django_db
def test_make_world_in_the_background_into_a_database_with_records_fails_and_stores_nothing():
    make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    command("make_world", "--scale", "tiny", "--background")
    run_worker()
    job = Job.objects.get()
    assert job.state == "failed" and "already holds curated records" in job.message
    assert list(Country.objects.values_list("alpha3", flat=True)) == ["ARM"] and not Membership.objects.exists()
    command("make_world", "--scale", "tiny", "--background", "--flush")
    run_worker()
    assert Job.objects.latest("pk").state == "done"
    assert not Country.objects.filter(alpha3="ARM").exists() and Membership.objects.count() == 80


@pytest.mark.django_db
def test_make_world_refuses_an_unknown_owner():
    with pytest.raises(CommandError, match='No user "nobody"'):
        command("make_world", "--background", "--owner", "nobody")
    assert not Job.objects.exists()


# Against a worker in its own process: cancel and kill -9 store nothing, and the job runs again.


@pytest.mark.slow
def test_a_cancelled_world_stores_nothing(worker):  # noqa: F811
    command("make_world", "--scale", "small", "--background")
    job = Job.objects.get()
    worker()
    wait_for(lambda: Job.objects.filter(pk=job.pk, state="running", done__gt=0).exists())
    job.cancel()
    wait_for(lambda: Job.objects.filter(pk=job.pk).exclude(state="running").exists())
    job.refresh_from_db()
    assert job.state == "cancelled" and synthetic.curated_record_count() == 0


@pytest.mark.slow
def test_a_worker_killed_mid_world_leaves_nothing_and_the_job_can_be_run_again(worker, settings):  # noqa: F811
    settings.JOB_TIMEOUT_SECONDS = 2
    command("make_world", "--scale", "small", "--background")
    job = Job.objects.get()
    process = worker()
    wait_for(lambda: Job.objects.filter(pk=job.pk, state="running", done__gt=0).exists())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(2.5)
    Job.objects.mark_stalled()
    job.refresh_from_db()
    assert job.state == "failed" and "stopped answering" in job.message
    assert synthetic.curated_record_count() == 0  # nothing half-written
    again = job.again()
    worker()
    wait_for(lambda: Job.objects.filter(pk=again.pk, state="done").exists(), timeout=180)
    assert Membership.objects.count() == synthetic.SCALES["small"].memberships
