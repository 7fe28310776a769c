"""The pages of /data/: the catalogue, the codebook, and the downloads of each dataset in CSV and XLSX."""

import datetime
import json

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header, http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from blocs.models import (
    Reading,
)
from blocs.spreadsheets.writers import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    copy_csv,
    stream_rows,
    xlsx_chunks,
)
from eurasia.page_cache import cached_until_records_change

from .dataset_columns import FIRST, READING_EXAMPLE, READING_RULE, REST, SEED_BLOCS, STATUS_CODES, YEAR_RULE
from .datasets import DATASETS, MAX_YEARS, data_facts, reading_differences


class BadRequest(Exception):
    """A query-string value that cannot be used; the message says why, for the reader."""


def _year(request, name):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    # Length first: int() refuses strings of over 4,300 digits, and isdigit() passes "²", which int() refuses.
    if len(raw) > 4 or not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 9999:
        raise BadRequest(
            gettext('"%(raw)s" is not a year: give ?%(name)s= as four digits, such as 1992.')
            % {"raw": raw[:40], "name": name}
        )
    return int(raw)


def parse_scope(request, spec, first_year):
    """The years and the date asked for, checked; raises BadRequest with a reader's explanation."""
    today = datetime.date.today()
    scope = {"first": _year(request, "from"), "last": _year(request, "to")}
    scope["first"] = scope["first"] or first_year or today.year
    scope["last"] = scope["last"] or today.year
    if scope["first"] > scope["last"]:
        raise BadRequest(
            gettext("?from=%(first)s comes after ?to=%(last)s: the first year must come first.")
            % {"first": scope["first"], "last": scope["last"]}
        )
    if scope["last"] - scope["first"] >= MAX_YEARS:
        raise BadRequest(gettext("Ask for at most %(most)d years at a time.") % {"most": MAX_YEARS})
    raw_day = request.GET.get("date", "").strip()
    if spec.by_date and raw_day:
        try:
            scope["day"] = datetime.date.fromisoformat(raw_day)
        except ValueError:
            raise BadRequest(not_a_date(raw_day))
        if len(raw_day) != 10:
            raise BadRequest(not_a_date(raw_day))
    else:
        scope["day"] = today
    raw_reading = request.GET.get("reading", "").strip()
    if raw_reading:
        if not spec.by_reading:
            raise BadRequest(
                gettext(
                    "?reading= applies to the members, country-year and dyad-year datasets only: the others give "
                    "every claim, or the preferred dates with a disputed flag."
                )
            )
        reading = Reading.objects.filter(key=raw_reading[:60]).values_list("pk", flat=True).first()
        if reading is None:
            raise BadRequest(
                gettext('There is no reading "%(key)s": /data/ lists the readings and their keys.')
                % {"key": raw_reading[:40]}
            )
        scope["reading"], scope["reading_key"] = reading, raw_reading
    return scope


def not_a_date(raw):
    return gettext('"%(raw)s" is not a date: give ?date= as YYYY-MM-DD, such as 2012-06-28.') % {"raw": raw[:40]}


def file_name(spec, scope, changed_at, extension):
    data_day = (changed_at or datetime.datetime.now(datetime.UTC)).date().isoformat()
    if spec.by_date:
        what = f"{spec.slug}-on-{scope['day'].isoformat()}"
    else:
        what = f"{spec.slug}-{scope['first']}-{scope['last']}"
    if scope.get("reading"):
        what += f"-reading-{scope['reading_key']}"
    return f"eurasia-{what}-data-{data_day}.{extension}"


def _bad_request(request, message):
    return render(request, "public/datasets/bad_request.html", {"message": message}, status=400)


def data_catalogue(request, changed_at):
    """/data/ as a schema.org Dataset, with each dataset's CSV and XLSX as downloads, for dataset search engines."""
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": "Eurasia's blocs",
        "description": "A curated, sourced history of Eurasia's alliances and unions: who belonged to what, and when. "
        "Membership spells, members on a date, country-year and dyad-year tables in the Correlates of War style, "
        "events, sources, countries and blocs.",
        "url": request.build_absolute_uri(reverse("data:index")),
        "creator": {"@type": "Organization", "name": "Eurasia's blocs"},
        "isAccessibleForFree": True,
        "keywords": ["alliances", "international organisations", "Eurasia", "membership", "Correlates of War"],
        "variableMeasured": sorted({c.name for spec in DATASETS.values() for c in spec.columns}),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"{spec.title} ({extension.upper()})",
                "encodingFormat": CSV_CONTENT_TYPE.split(";")[0] if extension == "csv" else XLSX_CONTENT_TYPE,
                "contentUrl": request.build_absolute_uri(reverse("data:download", args=[spec.slug, extension])),
            }
            for spec in DATASETS.values()
            for extension in ("csv", "xlsx")
        ],
    }
    if changed_at:
        data["dateModified"] = changed_at.date().isoformat()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Inside <script>, "<" must not start a tag: escaped, the JSON reads the same.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@require_safe
@cached_until_records_change
def index(request):
    changed_at, first_year = data_facts()
    first_year = first_year or datetime.date.today().year
    readings = list(Reading.objects.order_by("name"))
    # The country-year file's default years: every year of the record, to this one.
    differing = reading_differences(
        [r.pk for r in readings], first_year, datetime.date.today().year, getattr(request, "records_state", None)
    )
    for reading in readings:
        # None when they could not be counted in time: the page says so, rather than "none".
        reading.differing_cells = None if differing is None else differing.get(reading.pk, 0)
    context = {
        "json_ld": data_catalogue(request, changed_at),
        "datasets": DATASETS.values(),
        "readings": readings,
        "changed_at": changed_at,
        "first_year": first_year,
        "this_year": datetime.date.today().year,
        "today": datetime.date.today(),
    }
    return render(request, "public/datasets/index.html", context)


@require_safe
def codebook(request):
    context = {
        "datasets": DATASETS.values(),
        "status_codes": STATUS_CODES,
        "year_rule": YEAR_RULE,
        "reading_rule": READING_RULE,
        "reading_example": READING_EXAMPLE,
        "seed_blocs": SEED_BLOCS,
    }
    return render(request, "public/datasets/codebook.html", context)


def one_after_another(parts):
    """The rows or chunks of each part in turn.

    A generator, not itertools.chain: a download closed half way closes the part it was reading,
    ending that part's COPY or cursor before anything else uses the connection (a rollback behind a
    COPY still open would wait on it for ever).
    """
    for part in parts:
        yield from part


@require_safe
def download(request, dataset, extension):
    spec = DATASETS.get(dataset)
    if spec is None or extension not in ("csv", "xlsx"):
        raise Http404(gettext("No such dataset."))
    changed_at, first_year = data_facts()
    try:
        scope = parse_scope(request, spec, first_year)
    except BadRequest as e:
        return _bad_request(request, str(e))
    headers = [c.name for c in spec.columns]
    reading = bool(scope.get("reading"))
    parts = spec.parts(scope)
    if extension == "csv":
        sql = {part: spec.sql(neutralise=True, part=part, reading=reading) for part in (FIRST, REST)}
        body = one_after_another(
            copy_csv(sql[REST if n else FIRST], {**scope, **p}, header=n == 0) for n, p in enumerate(parts)
        )
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    else:
        sql = {part: spec.sql(neutralise=False, part=part, reading=reading) for part in (FIRST, REST)}
        rows = one_after_another(stream_rows(sql[REST if n else FIRST], {**scope, **p}) for n, p in enumerate(parts))
        body = xlsx_chunks(headers, rows, title=spec.slug)
        response = StreamingHttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name(spec, scope, changed_at, extension))
    if changed_at:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    return response
