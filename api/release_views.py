"""Releases through the API: the numbered releases, their files and citations, and the rows of a release's tables.

A release's files never change (releases/models.py), so a page of a release's table can name its
place in the file itself: the cursor holds the row number and the byte offset the next row starts
at, signed so that it can only be one this API gave. A page seeks there and reads `limit` rows,
however deep in the file: memory and time stay flat.
"""

import csv
import datetime
import io

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from ninja import Query, Router

from releases.citation import Citation
from releases.models import Release, ReleaseFile, check_version
from releases.publishing import storage

from . import schemas
from .paging import ERRORS, Pager, json_response, page_url, takes
from .problems import bad_parameter

router = Router(tags=["releases"])


def release_out(request, release, files):
    published = release.published_at.date()
    permalink = page_url(request, "releases:release", release.version)
    citation = Citation(permalink, timezone.localdate(), release.version, published)
    return {
        "version": release.version,
        "published": release.published_at.isoformat(),
        "notes": release.notes,
        "previous": release.previous.version if release.previous_id else None,
        "changes": release.change_counts,
        "withdrawn": release.withdrawn_at.isoformat() if release.withdrawn_at else None,
        "withdrawal_reason": release.withdrawal_reason or None,
        "citation": {"text": citation.text(), "bibtex": citation.bibtex()},
        "page": permalink,
        "files": [
            {
                "name": f.name,
                "format": f.format,
                "dataset": f.dataset or None,
                "rows": f.rows,
                "size": f.size,
                "sha256": f.sha256,
                "url": page_url(request, "releases:file", release.version, f.name),
                "rows_url": (
                    page_url(request, "api:release_rows", release.version, f.dataset)
                    if f.format == "csv" and f.dataset
                    else None
                ),
            }
            for f in files
        ],
    }


def published(request, qs, field="published_at"):
    """The releases published by then: all of them, or those before ?as_recorded= (api/middleware.py)."""
    until = getattr(request, "api_as_recorded", None)
    return qs.filter(**{f"{field}__lt": until}) if until else qs


def releases_qs(request):
    return published(request, Release.objects.select_related("previous").prefetch_related("files"))


@router.get("/releases", response={200: schemas.page_of(schemas.Release, "ReleasePage"), **ERRORS})
@takes()
def releases(request, cursor: str | None = None, limit: int | None = None):
    """Every release readers may cite, newest first; withdrawn ones keep their own address but leave the list."""
    pager = Pager(request, "releases", [str, int], limit, cursor)
    qs = releases_qs(request).filter(withdrawn_at__isnull=True).order_by("-published_at", "-id")
    if pager.after:
        try:
            moment = datetime.datetime.fromisoformat(pager.after[0])
        except ValueError:
            moment = None
        if moment is None or timezone.is_naive(moment):
            raise bad_parameter(
                "cursor", "?cursor= is not a cursor of this list: use the next link of a page as it is."
            )
        qs = qs.filter(Q(published_at__lt=moment) | Q(published_at=moment, id__lt=pager.after[1]))
    return pager.page(
        qs[: pager.limit + 1],
        lambda r: [r.published_at.isoformat(), r.id],
        lambda r: release_out(request, r, r.files.all()),
    )


def known_version(version):
    try:
        check_version(version)
    except ValidationError:
        raise Http404(f'"{version[:40]}" is not a release version: versions read like 2026.12 or 2026.12.1.')
    return version


@router.get("/releases/{version}", response={200: schemas.Release, 404: schemas.Problem, **ERRORS})
@takes()
def release(request, version: str):
    """One release, by its version (2026.12), withdrawn or not: its files with their checksums, its citation."""
    found = releases_qs(request).filter(version=known_version(version)).first()
    if found is None:
        raise Http404(f"There is no release {version}.")
    return json_response(release_out(request, found, found.files.all()))


# The rows of a release's table ------------------------------------------------------------------------


def _signature(version, dataset, row, offset):
    return salted_hmac("api.release_rows", f"{version}|{dataset}|{row}|{offset}").hexdigest()[:24]


class _Lines:
    """The decoded lines of a binary file, counting the bytes consumed, so that a row's end is a byte offset."""

    def __init__(self, stream):
        self.stream, self.offset = stream, stream.tell()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.stream.readline()
        if not line:
            raise StopIteration
        self.offset += len(line)
        return line.decode("utf-8")


@router.get(
    "/releases/{version}/{dataset}",
    response={200: schemas.page_of(dict[str, str], "ReleaseRowPage"), 404: schemas.Problem, **ERRORS},
    url_name="release_rows",
)
@takes()
def release_rows(
    request,
    version: str,
    dataset: str,
    cursor: str | None = None,
    limit: int | None = Query(None, description="Rows per page, 1 to 1000; 100 when left out."),
):
    """The rows of one of a release's CSV tables (members, country-year, ...), exactly as the file has them, as text."""
    files = ReleaseFile.objects.select_related("release")
    found = (
        published(request, files, "release__published_at")
        .filter(release__version=known_version(version), dataset=dataset[:40], format="csv")
        .first()
    )
    if found is None:
        raise Http404(
            f'Release {version} has no table "{dataset[:40]}": GET /api/v1/releases/{version} lists its files.'
        )
    order = f"release:{version}:{dataset}"
    pager = Pager(request, order, [int, int, str], limit, cursor)
    row, offset = 0, None
    if pager.after:
        row, offset, signature = pager.after
        if not constant_time_compare(signature, _signature(version, dataset, row, offset)):
            raise bad_parameter(
                "cursor", "?cursor= is not a cursor of this list: use the next link of a page as it is."
            )
    try:
        stream = storage().open(found.storage_path, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing from the releases storage: please tell the site's curators.") from None
    with stream:
        lines = _Lines(io.BufferedReader(stream) if not hasattr(stream, "readline") else stream)
        reader = csv.reader(lines)
        header = next(reader, [])
        if offset is not None:
            stream.seek(offset)
            lines.offset = offset
        rows, ends = [], []
        for values in reader:
            rows.append(dict(zip(header, values, strict=False)))
            ends.append(lines.offset)
            if len(rows) > pager.limit:
                break
    numbered = [(row + n + 1, end, values) for n, (end, values) in enumerate(zip(ends, rows, strict=True))]

    def key(item):
        number, end, _ = item
        return [number, end, _signature(version, dataset, number, end)]

    return pager.page(numbered, key, lambda item: item[2])
