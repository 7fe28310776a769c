"""Releases: publishing, the changelog between two releases, immutability, the pages and the admin."""

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from jobs.models import run_queued_here
from releases import publishing
from releases.models import Release, ReleaseFile
from releases.publishing import CHECKSUMS_FILE, publish

from .conftest import make_staff
from .release_makers import edit_record, make_record, stored_files
from .servers import database_url

ROOT = Path(__file__).resolve().parent.parent
RECORD_FILES = ["sources", "countries", "blocs", "memberships", "events"]
ALL_DATASETS = [
    "memberships",
    "members",
    "country-year",
    "dyad-year",
    "events",
    "sources",
    "countries",
    "blocs",
    "claims",
]
# Every dataset as CSV and XLSX, then the data package, the checksums, the notes and the changelog.
FILES = 2 * len(ALL_DATASETS) + 4


pytestmark = pytest.mark.usefixtures("release_storage")  # each test publishes into a folder of its own


def file_bytes(release, name):
    with storages["releases"].open(f"{release.storage_prefix}/{name}", "rb") as f:
        return f.read()


def csv_rows(release, name):
    return list(csv.reader(io.StringIO(file_bytes(release, name).decode(), newline="")))


@pytest.mark.django_db
class TestPublishing:
    def test_a_release_freezes_every_dataset_with_its_checksums(self, release_storage):
        make_record()
        release = publish("2026.11", "First release.")
        names = [f.name for f in release.files.all()]
        for slug in ALL_DATASETS:
            assert f"{slug}.csv" in names and f"{slug}.xlsx" in names
        assert names[-4:] == ["changes.csv", "NOTES.txt", "datapackage.json", "SHA256SUMS"]
        sums = file_bytes(release, CHECKSUMS_FILE).decode().splitlines()
        listed = dict(reversed(line.split("  ")) for line in sums)
        for f in release.files.exclude(name=CHECKSUMS_FILE):
            content = file_bytes(release, f.name)
            assert hashlib.sha256(content).hexdigest() == f.sha256 == listed[f.name]
            assert len(content) == f.size
        spells = csv_rows(release, "memberships.csv")
        assert [(r[0], r[4]) for r in spells[1:]] == [("ARM", "csto"), ("KAZ", "csto")]
        assert release.files.get(name="memberships.csv").rows == 2 == release.files.get(name="memberships.xlsx").rows
        assert "First release." in file_bytes(release, "NOTES.txt").decode()
        assert release.previous is None and release.change_counts == {}

    def test_two_releases_around_an_edit_give_the_changelog_row_by_row(self):
        record = make_record()
        first = publish("2026.11", "Before.")
        edit_record(record)
        second = publish("2026.12", "After.")
        assert second.previous == first
        rows = csv_rows(second, "changes.csv")
        assert rows == [
            ["record", "record_key", "change", "field", "old_value", "new_value", "source_keys"],
            ["countries", "UZB", "added", "", "", "", ""],
            ["memberships", "ARM / csto / 2002-10-07", "changed", "suspension_start", "", "2024-02-01", "tass-2"],
            ["memberships", "ARM / csto / 2002-10-07", "changed", "suspension_start_precision", "", "day", "tass-2"],
            ["memberships", "ARM / csto / 2002-10-07", "changed", "suspension_kind", "", "self_declared", "tass-2"],
            ["memberships", "ARM / csto / 2002-10-07", "changed", "source_keys", "", "tass-2", "tass-2"],
            ["events", "2012-06-28 / Summit in Moscow", "removed", "", "", "", "tass-1"],
        ]
        assert second.change_counts == {
            "countries": {"added": 1, "removed": 0, "changed": 0},
            "memberships": {"added": 0, "removed": 0, "changed": 1},
            "events": {"added": 0, "removed": 1, "changed": 0},
        }
        assert second.change_totals() == {"added": 1, "removed": 1, "changed": 1}

    def test_a_release_is_unchanged_byte_for_byte_by_later_edits(self, client):
        record = make_record()
        first = publish("2026.11")
        before = {f.name: (f.sha256, file_bytes(first, f.name)) for f in first.files.all()}
        edit_record(record)
        publish("2026.12")
        first.refresh_from_db()
        after = {f.name: (f.sha256, file_bytes(first, f.name)) for f in first.files.all()}
        assert after == before
        served = client.get(reverse("releases:file", args=["2026.11", "memberships.csv"]))
        assert b"".join(served.streaming_content) == before["memberships.csv"][1]

    def test_frictionless_validate_accepts_the_data_package(self, release_storage):
        from frictionless import validate

        record = make_record()
        publish("2026.11")
        edit_record(record)
        release = publish("2026.12")
        report = validate(str(release_storage / release.storage_prefix / "datapackage.json"))
        assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
        assert len(report.tasks) == len(ALL_DATASETS) + 1  # every CSV table and the changelog

    def test_the_data_package_describes_every_column_with_keys(self):
        import json

        make_record()
        release = publish("2026.11")
        package = json.loads(file_bytes(release, "datapackage.json"))
        tables = {r["name"]: r for r in package["resources"]}
        spells = tables["memberships"]["schema"]
        assert spells["primaryKey"] == ["country_alpha3", "bloc_slug", "start"]
        assert {"fields": ["bloc_slug"], "reference": {"resource": "blocs", "fields": ["bloc_slug"]}} in spells[
            "foreignKeys"
        ]
        assert spells["missingValues"] == [""]
        start = next(f for f in spells["fields"] if f["name"] == "start")
        assert start["type"] == "date" and start["description"].startswith("Start: the first day")
        assert tables["memberships"]["hash"] == "sha256:" + release.files.get(name="memberships.csv").sha256
        assert package["version"] == "2026.11"

    def test_a_duplicate_version_is_refused_with_a_clear_message(self, release_storage):
        make_record()
        call_command("publish_release", "2026.11", notes="One.", verbosity=0)
        files = stored_files(release_storage)
        with pytest.raises(CommandError, match="Release 2026.11 already exists; versions are never reused"):
            call_command("publish_release", "2026.11", notes="Again.", verbosity=0)
        assert Release.objects.count() == 1 and stored_files(release_storage) == files

    def test_a_withdrawn_version_is_never_reused(self):
        make_record()
        release = publish("2026.11")
        Release.objects.filter(pk=release.pk).update(withdrawn_at=release.published_at, withdrawal_reason="Wrong.")
        with pytest.raises(publishing.PublishError, match="never reused, even after a withdrawal"):
            publish("2026.11")

    @pytest.mark.parametrize("version", ["2026.13", "26.12", "2026.12.0", "2026-12", "latest", "2026.1", ""])
    def test_a_bad_version_is_refused_and_nothing_is_stored(self, version, release_storage):
        make_record()
        with pytest.raises(CommandError, match="is not a release version"):
            call_command("publish_release", version, verbosity=0)
        assert not Release.objects.exists() and stored_files(release_storage) == []

    def test_a_version_before_the_latest_is_refused(self):
        make_record()
        publish("2026.12")
        with pytest.raises(publishing.PublishError, match="would come before the latest release, 2026.12"):
            publish("2026.11")
        assert publish("2026.12.1").version == "2026.12.1"

    def test_a_publish_that_fails_midway_leaves_nothing(self, monkeypatch, release_storage):
        make_record()
        calls = []
        real = publishing.xlsx_chunks

        def failing(headers, rows, title="data"):
            calls.append(title)
            if title == "events":  # after several files are written
                raise OSError("disk full")
            return real(headers, rows, title=title)

        monkeypatch.setattr(publishing, "xlsx_chunks", failing)
        with pytest.raises(OSError, match="disk full"):
            publish("2026.11")
        assert "memberships" in calls
        assert not Release.objects.exists() and not ReleaseFile.objects.exists()
        assert stored_files(release_storage) == []

    def test_the_database_refuses_to_delete_or_alter_a_release(self):
        make_record()
        release = publish("2026.11", "Notes.")
        for statement in (
            "DELETE FROM releases_releasefile",
            "DELETE FROM releases_release",
            "UPDATE releases_release SET notes = 'Rewritten.'",
            "UPDATE releases_release SET version = '2026.12'",
            "UPDATE releases_releasefile SET sha256 = repeat('0', 64)",
        ):
            with pytest.raises(DatabaseError, match="never deleted|cannot be altered"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
        assert Release.objects.get().notes == "Notes." and release.files.count() == FILES


@pytest.mark.django_db(transaction=True)
def test_a_publish_killed_midway_leaves_no_release(release_storage, settings):
    """The publisher is killed while its files are written and before it records them: no release, and
    the next publish sweeps its files away."""
    make_record()
    env = {
        **os.environ,
        "DATABASE_URL": _url_of_test_database(),
        "MEDIA_ROOT": str(release_storage.parent / "media"),
    }
    location = Path(env["MEDIA_ROOT"]) / "releases"
    # Held by the test: the publisher writes every file, then waits here to record its release.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("LOCK TABLE releases_release IN EXCLUSIVE MODE")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "publish_release", "2026.11", "--notes", "Killed.", "-v0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not any(name.endswith("SHA256SUMS") for name in stored_files(location)):
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "the publisher never wrote its files"
                time.sleep(0.05)
            assert len(stored_files(location)) == FILES  # every file written, none recorded
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
            cursor.execute("ROLLBACK")
    assert process.returncode == -signal.SIGKILL
    assert not Release.objects.exists() and not ReleaseFile.objects.exists()
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    release = publish("2026.11", "Again.")
    assert stored_files(location) == sorted(f"{release.storage_prefix}/{f.name}" for f in release.files.all())


def _url_of_test_database():
    # The embedded server is reached through its socket folder: tests/servers.py spells both kinds.
    return database_url(connection.settings_dict)


@pytest.mark.django_db
class TestPages:
    def test_the_list_shows_every_release_with_its_size_and_changes(
        self, client, two_releases, django_assert_num_queries
    ):
        # 1: the records' state (page cache); 2: the releases with their sizes.
        with django_assert_num_queries(2):
            response = client.get(reverse("releases:list"))
        page = response.content.decode()
        assert response.status_code == 200
        assert page.index('href="/data/releases/2026.12/"') < page.index('href="/data/releases/2026.11/"')
        assert "Armenia&#x27;s freeze." in page and "1 added, 1 removed, 1 changed" in page and "first release" in page
        assert 'action="/data/releases/compare/"' in page

    def test_a_withdrawn_release_leaves_the_list_and_its_page_says_why(self, client, two_releases):
        first, _ = two_releases
        Release.objects.filter(pk=first.pk).update(
            withdrawn_at=first.published_at, withdrawal_reason="The CSTO dates were off by a year."
        )
        page = client.get(reverse("releases:list")).content.decode()
        assert "/data/releases/2026.12/" in page and "/data/releases/2026.11/" not in page
        own = client.get(reverse("releases:release", args=["2026.11"]))
        assert own.status_code == 200
        assert "Withdrawn on" in own.content.decode() and "The CSTO dates were off by a year." in own.content.decode()

    def test_a_release_page_lists_files_checksums_notes_changelog_and_citation(
        self, client, two_releases, django_assert_num_queries
    ):
        _, second = two_releases
        # 1: the records' state; 2: the release with its previous one; 3: its files.
        with django_assert_num_queries(3):
            response = client.get(reverse("releases:release", args=["2026.12"]))
        page = response.content.decode()
        for f in second.files.all():
            assert f.sha256 in page and f'href="/data/releases/2026.12/{f.name}"' in page
        assert "Armenia&#x27;s freeze." in page and "Since release 2026.11" in page
        assert "<code>suspension_kind</code></td><td></td><td>self_declared</td>" in page
        assert "ARM / csto / 2002-10-07" in page and "Summit in Moscow" in page
        assert "release 2026.12 [data set]. http://testserver/data/releases/2026.12/." in page
        assert '<script type="application/ld+json">' in page

    def test_a_file_is_served_with_its_checksum_and_for_good(self, client, two_releases, django_assert_num_queries):
        _, second = two_releases
        record = second.files.get(name="memberships.csv")
        # 1: the file with its release.
        with django_assert_num_queries(1):
            response = client.get(reverse("releases:file", args=["2026.12", "memberships.csv"]))
        content = b"".join(response.streaming_content)
        assert hashlib.sha256(content).hexdigest() == record.sha256
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["ETag"] == f'"sha256-{record.sha256}"'
        assert response["Repr-Digest"].startswith("sha-256=:") and response["Content-Type"].startswith("text/csv")
        assert "eurasia-2026.12-memberships.csv" in response["Content-Disposition"]
        again = client.get(
            reverse("releases:file", args=["2026.12", "memberships.csv"]), HTTP_IF_NONE_MATCH=response["ETag"]
        )
        assert again.status_code == 304 and again["ETag"] == response["ETag"]

    @pytest.mark.parametrize(
        "address, message",
        [
            ("/data/releases/2026.13/", "is not a release version"),
            ("/data/releases/2030.01/", "There is no release 2030.01."),
            ("/data/releases/latest/", "is not a release version"),
            ("/data/releases/2026.12/secrets.txt", "Release 2026.12 has no file named"),
            ("/data/releases/2026.12/..%2F..%2Fsettings.py", "There is no page at this address."),
            ("/data/releases/9999.99/memberships.csv", "is not a release version"),
        ],
    )
    def test_a_bad_version_or_file_name_is_a_clear_404(self, client, two_releases, address, message):
        response = client.get(address)
        assert response.status_code == 404
        assert message in response.content.decode()

    def test_compare_builds_the_changelog_between_any_two_releases(self, client, two_releases):
        response = client.get(reverse("releases:compare"), {"from": "2026.11", "to": "2026.12"})
        page = response.content.decode()
        assert response.status_code == 200 and "Changes from 2026.11 to 2026.12" in page
        assert "<code>suspension_start</code></td><td></td><td>2024-02-01</td>" in page
        backwards = client.get(reverse("releases:compare"), {"from": "2026.12", "to": "2026.11"})
        assert "UZB</td><td>removed" in backwards.content.decode()
        download = client.get(reverse("releases:compare"), {"from": "2026.11", "to": "2026.12", "format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode(), newline="")))
        assert rows == csv_rows(two_releases[1], "changes.csv")

    @pytest.mark.parametrize(
        "query, status, message",
        [
            ({}, 400, "Choose two releases to compare"),
            ({"from": "2026.11"}, 400, "Choose two releases to compare"),
            ({"from": "2026.11", "to": "2026.11"}, 400, "Choose two different releases"),
            ({"from": "2026.11", "to": "nope"}, 400, "is not a release version"),
            ({"from": "2026.11", "to": "2030.01"}, 404, "There is no release 2030.01."),
            ({"from": "2026.11", "to": "2026.12", "format": "pdf"}, 400, "?format= must be html or csv."),
        ],
    )
    def test_bad_compare_parameters_get_a_clear_answer(self, client, two_releases, query, status, message):
        response = client.get(reverse("releases:compare"), query)
        assert response.status_code == status
        assert message in response.content.decode()

    def test_the_data_page_links_to_the_releases(self, client, db):
        page = client.get(reverse("data:index")).content.decode()
        assert 'href="/data/releases/"' in page and "numbered release" in page

    def test_the_release_pages_read_in_russian(self, client, two_releases):
        page = client.get("/ru/data/releases/").content.decode()
        assert "Выпуски" in page
        assert "Процитировать" in client.get("/ru/data/releases/2026.12/").content.decode()


@pytest.mark.django_db
class TestAdmin:
    @pytest.fixture
    def publisher(self, db):
        from django.contrib.auth.models import Permission

        user = make_staff("Curators", "publisher")
        user.user_permissions.add(Permission.objects.get(codename="publish_release"))
        return user

    def test_a_curator_with_the_permission_publishes_in_the_background(self, client, publisher):
        make_record()
        client.force_login(publisher)
        response = client.post(
            reverse("admin:releases_release_add"), {"version": "2026.11", "notes": "From the admin."}
        )
        assert response.status_code == 302
        run_queued_here()
        release = Release.objects.get()
        assert release.version == "2026.11" and release.published_by == publisher and release.files.count() == FILES

    def test_the_admin_refuses_a_duplicate_version_on_the_form(self, client, publisher):
        make_record()
        publish("2026.11")
        client.force_login(publisher)
        response = client.post(reverse("admin:releases_release_add"), {"version": "2026.11", "notes": ""})
        assert response.status_code == 200
        assert "Release 2026.11 already exists" in response.content.decode()
        assert Release.objects.count() == 1

    def test_a_curator_without_the_permission_cannot_publish(self, client, curator):
        client.force_login(curator)
        assert client.get(reverse("admin:releases_release_add")).status_code == 403

    def test_a_release_is_withdrawn_with_a_reason_and_never_deleted(self, client, publisher):
        make_record()
        release = publish("2026.11")
        client.force_login(publisher)
        change = reverse("admin:releases_release_change", args=[release.pk])
        refused = client.post(change, {"withdrawal_reason": "  "})
        assert "Say why the release is withdrawn" in refused.content.decode()
        client.post(change, {"withdrawal_reason": "Dates off by a year."})
        release.refresh_from_db()
        assert release.withdrawn and release.withdrawal_reason == "Dates off by a year."
        assert client.get(reverse("admin:releases_release_delete", args=[release.pk])).status_code == 403
        page = client.get(change).content.decode()
        assert 'name="withdrawal_reason"' not in page  # withdrawn once, for good
