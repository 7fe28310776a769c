"""Publishing a release: every /data/ dataset frozen as CSV and XLSX, described, checksummed, all or nothing.

The files are streamed into the storage alias "releases" as PostgreSQL and the XLSX writer make
them, and hashed on the way, so memory stays flat however large the record. All of them are read
from one snapshot of the record. Each attempt writes under a prefix of its own
("2026.12/<random>/"); the release's rows are recorded in one transaction once every file is
written. An attempt that fails removes what it wrote; one that was killed leaves files no release
names, and the next publish sweeps them away before it starts. One publish runs at a time.
"""

import csv
import datetime
import hashlib
import io
import json
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from blocs.spreadsheets.writers import copy_csv, csv_lines, stream_rows, xlsx_chunks
from jobs.progress import Silent
from public.datasets import DATASETS, data_facts

from . import changes as changelog
from .models import Release, ReleaseFile, check_version, version_key
from .package import descriptor

# pg_advisory_lock key: one publish at a time, in every process ("RELS").
PUBLISH_LOCK = 0x52454C53
CHANGES_FILE, NOTES_FILE, DESCRIPTOR_FILE, CHECKSUMS_FILE = "changes.csv", "NOTES.txt", "datapackage.json", "SHA256SUMS"


class PublishError(Exception):
    """Why a release could not be published, for the curator; nothing of it was kept."""


def storage():
    return storages["releases"]


class _Hashing(io.RawIOBase):
    """A readable stream over an iterable of byte chunks that counts and hashes them as they pass."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)
        self.pending = memoryview(b"")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            if isinstance(chunk, str):
                chunk = chunk.encode()
            self.sha256.update(chunk)
            self.size += len(chunk)
            self.pending = memoryview(chunk)
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


class _Rows(Silent):
    """Counts the rows COPY reports."""

    def __init__(self):
        self.rows = 0

    def advance(self, n=1):
        self.rows += n


def check_new_version(version):
    """Raise PublishError unless `version` is well formed, unused and later than every release."""
    try:
        check_version(version)
    except ValidationError as e:
        raise PublishError(e.messages[0]) from None
    if Release.objects.filter(version=version).exists():
        raise PublishError(
            _("Release %(version)s already exists; versions are never reused, even after a withdrawal.")
            % {"version": version}
        )
    latest = max(Release.objects.values_list("version", flat=True), key=version_key, default=None)
    if latest and version_key(version) < version_key(latest):
        raise PublishError(
            _("Release %(version)s would come before the latest release, %(latest)s: give a later version.")
            % {"version": version, "latest": latest}
        )


class Publisher:
    def __init__(self, version, notes, user, progress):
        self.version, self.notes, self.user = version, notes.strip(), user
        self.progress = progress or Silent()
        self.prefix = f"{version}/{secrets.token_hex(8)}"
        self.files = []  # ReleaseFile rows, unsaved, in order
        self.written = []  # storage names, to remove if the publish fails

    def write(self, name, chunks, fmt, dataset="", rows=None):
        stream = _Hashing(chunks)
        path = f"{self.prefix}/{name}"
        self.written.append(path)
        saved = storage().save(path, File(io.BufferedReader(stream, 256 * 1024), name=name))
        if saved != path:  # the storage renamed it: something else is there, which a release must not share
            self.written.append(saved)
            raise PublishError(f"The releases storage already holds {path}; nothing was published.")
        record = ReleaseFile(
            position=len(self.files),
            name=name,
            format=fmt,
            dataset=dataset,
            rows=rows() if callable(rows) else rows,
            size=stream.size,
            sha256=stream.sha256.hexdigest(),
            storage_path=path,
        )
        self.files.append(record)
        self.progress.advance()
        return record

    def freeze(self, today):
        _changed_at, first_year = data_facts()
        scope = {"first": first_year or today.year, "last": today.year, "day": today}
        for spec in DATASETS.values():
            counted = _Rows()
            self.write(
                f"{spec.slug}.csv",
                copy_csv(spec.sql(neutralise=True), scope, progress=counted),
                "csv",
                spec.slug,
                rows=lambda counted=counted: counted.rows,
            )
            xlsx_rows = [0]
            self.write(
                f"{spec.slug}.xlsx",
                xlsx_chunks(
                    [c.name for c in spec.columns],
                    _counted(stream_rows(spec.sql(neutralise=False), scope), xlsx_rows),
                    title=spec.slug,
                ),
                "xlsx",
                spec.slug,
                rows=lambda counter=xlsx_rows: counter[0],
            )
        return scope

    def own_file(self, slug):
        path = f"{self.prefix}/{slug}.csv"
        return io.TextIOWrapper(storage().open(path, "rb"), encoding="utf-8", newline="")

    def write_changes(self, previous):
        counts = {}
        if previous is not None:
            found = changelog.compare(lambda slug: open_release_csv(previous, slug), self.own_file)
            tally = _Tally(found)
            rows = (c.row() for c in tally)
            self.write(CHANGES_FILE, _encoded(csv_lines(changelog.HEADERS, rows)), "csv", rows=lambda: tally.rows)
            counts = tally.counts
        else:
            self.write(CHANGES_FILE, _encoded(csv_lines(changelog.HEADERS, [])), "csv", rows=0)
        return counts

    def run(self, published_at):
        today = timezone.localdate(published_at)
        self.progress.stage(_("Writing the release's files"), len(DATASETS) * 2 + 4)
        self.freeze(today)
        previous = Release.objects.listed().first()
        counts = self.write_changes(previous)
        self.write(NOTES_FILE, [notes_text(self.version, published_at, self.notes, previous).encode()], "text")
        # A release's files are in the site's own language, whoever publishes it: the codebook's
        # descriptions are translatable texts, written out as they read in that language.
        with translation.override(settings.LANGUAGE_CODE):
            package = descriptor(self.version, published_at, self.notes, self.files)
            text = json.dumps(package, indent=2, ensure_ascii=False, default=str)
        self.write(DESCRIPTOR_FILE, [text.encode()], "json")
        sums = "".join(f"{f.sha256}  {f.name}\n" for f in self.files)
        self.write(CHECKSUMS_FILE, [sums.encode()], "text")
        release = Release.objects.create(
            version=self.version,
            published_at=published_at,
            published_by=self.user,
            notes=self.notes,
            previous=previous,
            change_counts=counts,
            storage_prefix=self.prefix,
        )
        for record in self.files:
            record.release = release
        ReleaseFile.objects.bulk_create(self.files)
        return release

    def discard(self):
        for path in self.written:
            try:
                storage().delete(path)
            except OSError:
                pass


def _counted(rows, counter):
    for row in rows:
        counter[0] += 1
        yield row


class _Tally:
    """Changes passed through, counted by kind of record on the way."""

    def __init__(self, found):
        self.found, self.rows, self.counts, self.seen = found, 0, {}, set()

    def __iter__(self):
        for change in self.found:
            self.rows += 1
            if change.change != changelog.CHANGED or (change.record, change.key) not in self.seen:
                if change.change == changelog.CHANGED:
                    self.seen.add((change.record, change.key))
                kind = self.counts.setdefault(change.record, {"added": 0, "removed": 0, "changed": 0})
                kind[change.change] += 1
            yield change


def _encoded(lines, size=64 * 1024):
    gathered = []
    length = 0
    for line in lines:
        gathered.append(line)
        length += len(line)
        if length >= size:
            yield "".join(gathered).encode()
            gathered, length = [], 0
    yield "".join(gathered).encode()


def notes_text(version, published_at, notes, previous):
    lines = [
        f"Eurasia's blocs, release {version}",
        f"Published {published_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"Changes against release {previous.version}" if previous else "The first release: no changelog.",
        "",
        notes or "(no notes)",
        "",
    ]
    return "\n".join(lines)


def open_release_csv(release, slug):
    """A release's CSV of dataset `slug` as text, or None when the release has none."""
    path = f"{release.storage_prefix}/{slug}.csv"
    if not storage().exists(path):
        return None
    return io.TextIOWrapper(storage().open(path, "rb"), encoding="utf-8", newline="")


def sweep_leftovers():
    """Remove the files of publishes that never finished (killed, or rolled back after writing)."""
    kept = set(Release.objects.values_list("storage_prefix", flat=True))
    removed = 0
    try:
        versions, _files = storage().listdir("")
    except FileNotFoundError:
        return 0
    for version in versions:
        attempts, _files = storage().listdir(version)
        for attempt in attempts:
            prefix = f"{version}/{attempt}"
            if prefix in kept:
                continue
            _dirs, names = storage().listdir(prefix)
            for name in names:
                storage().delete(f"{prefix}/{name}")
                removed += 1
    return removed


def publish(version, notes="", user=None, progress=None):
    """Publish release `version` and return it; raises PublishError, having kept nothing, when it cannot."""
    outer = connection.in_atomic_block  # inside a job's transaction, which commits the release with the job
    if not outer:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PUBLISH_LOCK])
    publisher = Publisher(version, notes, user, progress)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if outer:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
                else:  # every file from the same snapshot of the record
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            check_new_version(version)
            sweep_leftovers()
            return publisher.run(timezone.now())
    except IntegrityError:
        publisher.discard()
        raise PublishError(
            _("Release %(version)s already exists; versions are never reused, even after a withdrawal.")
            % {"version": version}
        ) from None
    except BaseException:
        publisher.discard()
        raise
    finally:
        if not outer:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PUBLISH_LOCK])


def read_csv_rows(release, name):
    """The rows of one of a release's CSV files (its header first), for tests and tools."""
    with io.TextIOWrapper(storage().open(f"{release.storage_prefix}/{name}", "rb"), encoding="utf-8", newline="") as f:
        yield from csv.reader(f)
