"""The releases' public pages: the list, a release with its files and changelog, comparisons, files, citations."""

import csv
import io
import itertools
import json
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from blocs.spreadsheets.writers import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines
from eurasia.page_cache import cached_until_records_change

from . import changes as changelog
from .citation import FORMAT_NAMES, FORMATS, PROJECT, TITLE, BadAddress, Citation, check_address
from .models import VERSION_RE, Release, ReleaseFile
from .publishing import CHANGES_FILE, open_release_csv, storage

SHOWN_CHANGES = 1000  # rows of a changelog drawn on a page; the CSV has them all
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {
    "csv": CSV_CONTENT_TYPE,
    "xlsx": XLSX_CONTENT_TYPE,
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
}


def _bad_request(request, message, status=400):
    return render(request, "releases/bad_request.html", {"message": message}, status=status)


def _release_or_404(version, queryset=None):
    if not VERSION_RE.match(version):
        raise Http404(
            _("“%(version)s” is not a release version: versions read like 2026.12 or 2026.12.1.")
            % {"version": version[:40]}
        )
    release = (Release.objects.all() if queryset is None else queryset).filter(version=version).first()
    if release is None:
        raise Http404(_("There is no release %(version)s.") % {"version": version})
    return release


def json_ld(data):
    """schema.org metadata for a <script type="application/ld+json"> block, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def release_dataset(request, release, files):
    """A release as a schema.org Dataset, with each of its files as a download."""
    page = request.build_absolute_uri(release.get_absolute_url())
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": f"{PROJECT}, release {release.version}",
        "alternateName": TITLE,
        "description": release.notes
        or "A frozen release of a curated, sourced history of Eurasia's alliances and unions: who belonged to what, and when.",
        "url": page,
        "version": release.version,
        "datePublished": release.published_at.date().isoformat(),
        "creator": {"@type": "Organization", "name": PROJECT},
        "isAccessibleForFree": True,
        "keywords": ["alliances", "international organisations", "Eurasia", "membership"],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f.name,
                "encodingFormat": CONTENT_TYPES[f.format].split(";")[0],
                "contentUrl": request.build_absolute_uri(reverse("releases:file", args=[release.version, f.name])),
                "contentSize": f"{f.size} B",
                "sha256": f.sha256,
            }
            for f in files
        ],
    }


def _changes_shown(rows):
    """The first SHOWN_CHANGES changes, and whether there were more."""
    shown = list(itertools.islice(rows, SHOWN_CHANGES + 1))
    return shown[:SHOWN_CHANGES], len(shown) > SHOWN_CHANGES


def _stored_changes(release):
    """A release's own changelog (against its previous release), read back from its changes.csv."""
    stream = open_release_csv(release, CHANGES_FILE.removesuffix(".csv"))
    if stream is None:
        return
    with stream:
        rows = iter(csv.reader(stream))
        next(rows, None)
        for row in rows:
            yield changelog.Change(*row)


@require_safe
@cached_until_records_change
def release_list(request):
    # Queries: the releases with their sizes.
    releases = list(Release.objects.listed().with_size())
    context = {"releases": releases, "versions": releases}
    return render(request, "releases/release_list.html", context)


@require_safe
@cached_until_records_change
def release_detail(request, version):
    # Queries: the release with its previous one; its files.
    release = _release_or_404(version, Release.objects.select_related("previous"))
    files = list(release.files.all())
    shown, more = _changes_shown(_stored_changes(release))
    citation = Citation(
        request.build_absolute_uri(release.get_absolute_url()),
        timezone.localdate(),
        release.version,
        release.published_at.date(),
    )
    context = {
        "release": release,
        "files": files,
        "size": sum(f.size for f in files),
        "changes": shown,
        "more_changes": more,
        "totals": release.change_totals(),
        "citation": citation,
        "citation_address": release.get_absolute_url(),
        "json_ld": json_ld(release_dataset(request, release, files)),
    }
    return render(request, "releases/release_detail.html", context)


@require_safe
def release_file(request, version, name):
    # Queries: the file with its release.
    if not VERSION_RE.match(version):
        raise Http404(
            _("“%(version)s” is not a release version: versions read like 2026.12 or 2026.12.1.")
            % {"version": version[:40]}
        )
    record = ReleaseFile.objects.select_related("release").filter(release__version=version, name=name).first()
    if record is None:
        raise Http404(_("Release %(version)s has no file named “%(name)s”.") % {"version": version, "name": name[:80]})
    etag = f'"sha256-{record.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE,
        "Last-Modified": http_date(record.release.published_at.timestamp()),
        # RFC 9530: the checksum of the file as served, base64 between colons.
        "Repr-Digest": f"sha-256=:{_base64(record.sha256)}:",
        "Digest": f"sha-256={_base64(record.sha256)}",
    }
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
        for name_, value in headers.items():
            response[name_] = value
        return response
    try:
        stored = storage().open(record.storage_path, "rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the releases storage: please tell the site's curators.")) from None
    response = FileResponse(stored, content_type=CONTENT_TYPES[record.format])
    response["Content-Length"] = str(record.size)
    response["Content-Disposition"] = content_disposition_header(
        record.format in ("csv", "xlsx"), f"eurasia-{version}-{record.name}"
    )
    for name_, value in headers.items():
        response[name_] = value
    return response


def _base64(hex_digest):
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


class BadComparison(Exception):
    pass


def _compared(request):
    """The two releases ?from= and ?to= name; raises BadComparison (400) or Http404 (no such release)."""
    versions = []
    for name in ("from", "to"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            raise BadComparison(_("Choose two releases to compare: ?from=2026.11&to=2026.12."))
        if not VERSION_RE.match(raw):
            raise BadComparison(
                _("“%(version)s” is not a release version: versions read like 2026.12 or 2026.12.1.")
                % {"version": raw[:40]}
            )
        versions.append(raw)
    if versions[0] == versions[1]:
        raise BadComparison(_("Choose two different releases: a release has no changes against itself."))
    found = {r.version: r for r in Release.objects.filter(version__in=versions)}
    for version in versions:
        if version not in found:
            raise Http404(_("There is no release %(version)s.") % {"version": version})
    return found[versions[0]], found[versions[1]]


def _changes_between(old, new):
    return changelog.compare(
        lambda slug: open_release_csv(old, slug), lambda slug: open_release_csv(new, slug) or io.StringIO("")
    )


@require_safe
@cached_until_records_change
def compare(request):
    # Queries: the two releases; the list of releases for the form.
    fmt = request.GET.get("format", "html")
    if fmt not in ("html", "csv"):
        return _bad_request(request, _("?format= must be html or csv."))
    try:
        old, new = _compared(request)
    except BadComparison as e:
        return _bad_request(request, str(e))
    if fmt == "csv":
        rows = (change.row() for change in _changes_between(old, new))
        response = StreamingHttpResponse(
            (line.encode() for line in csv_lines(changelog.HEADERS, rows)), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"eurasia-changes-{old.version}-to-{new.version}.csv"
        )
        response["Cache-Control"] = IMMUTABLE
        return response
    changes = list(_changes_between(old, new))
    context = {
        "old": old,
        "new": new,
        "changes": changes[:SHOWN_CHANGES],
        "more_changes": len(changes) > SHOWN_CHANGES,
        "counts": changelog.count(changes),
        "csv_url": reverse("releases:compare")
        + "?"
        + urlencode({"from": old.version, "to": new.version, "format": "csv"}),
        "versions": list(Release.objects.listed()),
    }
    return render(request, "releases/compare.html", context)


@require_safe
def cite(request):
    """A page's citation: ?url=/a/page/ (one of ours), and ?format=bibtex, ris or csl-json to download."""
    fmt = request.GET.get("format", "html")
    if fmt != "html" and fmt not in FORMATS:
        return _bad_request(request, _("?format= must be bibtex, ris, csl-json or html."))
    try:
        address = check_address(request.GET.get("url", "").strip())
    except BadAddress as e:
        return _bad_request(request, str(e))
    citation = citation_for(request, address)
    if fmt != "html":
        content_type, extension = FORMATS[fmt]
        response = HttpResponse(citation.render(fmt), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            request.GET.get("download") == "1", f"{citation.key}.{extension}"
        )
        return response
    formats = [(key, FORMAT_NAMES[key], citation.render(key)) for key in FORMATS]
    context = {
        "cited": citation,
        "formats": formats,
        "address": address,
        "citation": citation,
        "citation_address": address,
    }
    return render(request, "releases/cite.html", context)


def citation_for(request, address):
    """The citation of one of our addresses: its release when it is a release's page or file."""
    path = address.split("?")[0]
    prefix = reverse("releases:list")
    parts = path.removeprefix(prefix).split("/") if path.startswith(prefix) else []
    today = timezone.localdate()
    if parts and VERSION_RE.match(parts[0]):
        release = Release.objects.filter(version=parts[0]).first()
        if release is not None:
            return Citation(
                request.build_absolute_uri(release.get_absolute_url()),
                today,
                release.version,
                release.published_at.date(),
            )
    return Citation(request.build_absolute_uri(address), today)
