"""The benchmarks behind `make bench`: each figure of the project beside a baseline measured in the same run.

Each measurement prints the project's figure, the baseline's, their ratio and the target the
ratio is held to (docs/performance.md). Pages are timed in this process through the full
middleware stack with Django's test client; the load test starts gunicorn and drives it from
a separate process. Nothing is written to the database that outlives the run: the admin's
user, sessions and imported rows are rolled back.
"""

import datetime
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blocs.changelists import EstimatedCountPaginator, estimated_rows
from blocs.models import Bloc, Country, Membership, MembershipClaim, Rank
from eurasia import page_cache
from events.models import Event

BASE_DIR = Path(settings.BASE_DIR)
TRIVIAL = "/bench/trivial/"
HEALTH = "/healthz"  # the trivial view of the drawn figures: the middleware and one query, as in production
SIGNED_IN = "/bench/signed-in/"


class BenchError(Exception):
    """A page failed or the server would not start: the run cannot give honest figures."""


@dataclass
class Result:
    section: str
    name: str
    project: float | None
    baseline: float | None
    unit: str
    limit: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self):
        if self.project is None or not self.baseline:
            return None
        return self.project / self.baseline

    @property
    def target(self):
        if self.limit is None:
            return ""
        return f"{'≥' if self.higher_is_better else '≤'} {self.limit:g}x"

    @property
    def verdict(self):
        ratio = self.ratio
        if ratio is None or self.limit is None:
            return ""
        if self.higher_is_better:
            return "met" if ratio >= self.limit else f"MISSED ({ratio / self.limit:.0%} of target)"
        return "met" if ratio <= self.limit else f"MISSED ({ratio / self.limit:.1f}x over)"


@dataclass
class Options:
    repeat: int = 15
    requests: int = 3000
    concurrency: int = 8
    seconds: float = 60
    xlsx_rows: int = 100_000
    import_rows: int = 100_000
    import_passes: int = 2
    # Years of the downloads measured: None for every year (the whole table).
    export_years: int | None = None
    table_rows: int = 2_000_000
    # How long readers are timed under each kind of background writing, for the page cache's hit rate.
    hit_seconds: float = 10


QUICK = Options(
    repeat=3,
    requests=60,
    concurrency=4,
    seconds=20,
    xlsx_rows=200,
    import_rows=200,
    import_passes=1,
    export_years=3,
    table_rows=5_000,
    hit_seconds=1.5,
)


def machine():
    """What the figures were measured on."""
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        memory = "unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": postgres,
        "system": f"{platform.system()} {platform.release()}",
    }


def data_size():
    return {
        "countries": Country.objects.count(),
        "blocs": Bloc.objects.count(),
        "memberships": Membership.objects.count(),
        "events": Event.objects.count(),
    }


def fetch(client, path):
    """GET path through the whole middleware stack; a download is read to its end, chunk by chunk."""
    response = client.get(path)
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}")
    size = 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
    else:
        size = len(response.content)
    return size


def paired_ms(client, path, repeat, budget=60, before=None, baseline=TRIVIAL):
    """Median times of `path` and of the trivial view (or `baseline`), their requests taken in turn, in milliseconds.

    Taken in turn, the two meet the same moments of a shared machine (and of this process's own
    garbage collection), so their ratio does not drift with whatever ran minutes before. Each is
    requested twice untimed first. A slow page stops being repeated once `budget` seconds are
    spent on it (one timed request at least); one slower than a quarter of the budget is timed
    once, its last warm-up being its figure. `before`, when given, runs untimed before each
    request of the page.
    """

    def timed(url, prepare=None):
        if prepare:
            prepare()
        began = time.perf_counter()
        fetch(client, url)
        return time.perf_counter() - began

    for _ in range(2):
        timed(baseline)
        warm = timed(path, before)
    if warm > budget / 4:
        return warm * 1000, timed(baseline) * 1000
    page, trivial = [], []
    deadline = time.perf_counter() + budget
    while len(page) < repeat and (not page or time.perf_counter() < deadline):
        trivial.append(timed(baseline))
        page.append(timed(path, before))
        if len(page) == 1 and page[0] < 0.01:
            # A request of a millisecond or two is at the mercy of every other process on the
            # machine: many of them make a steady median.
            repeat = max(repeat, 200)
    return statistics.median(page) * 1000, statistics.median(trivial) * 1000


def forget_kept():
    """As after a change to the records: no page kept, nor what pages keep beside them."""
    page_cache.store().clear()
    cache.clear()


def kept_share(paths, seconds):
    """The share of requests, in %, served kept (in the one query that reads the records' state)."""
    client = Client()
    kept = total = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in paths:
            connection.queries_log.clear()  # a full log would make the count below wrong
            with CaptureQueriesContext(connection) as queries:
                fetch(client, path)
            total += 1
            kept += len(queries.captured_queries) == 1
    return 100 * kept / total


def curator_saving(stop):
    """A curator's save every 3 seconds: a record written (with the same value) and their session saved."""
    from django.contrib.sessions.backends.db import SessionStore

    country = Country.objects.order_by("pk").first()
    session = SessionStore()
    try:
        while not stop.wait(3):
            with transaction.atomic():
                Country.objects.filter(pk=country.pk).update(name=country.name)
            session["saved"] = time.time()
            session.save()
    finally:
        session.delete()
        connection.close()


def other_database_busy(stop):
    """Another database on the same PostgreSQL server, committing a transaction every few milliseconds."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as other:
        while not stop.wait(0.005):
            other.execute("SELECT pg_current_xact_id()")


def redis_server(folder):
    """A Redis of the bench's own on a free port (its URL), or None when this machine has none."""
    import shutil

    @contextmanager
    def running():
        binary = shutil.which("redis-server")
        if binary is None:
            yield None
            return
        port = free_port()
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise BenchError("redis-server did not start") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=20)

    return running()


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        fetch(client, path)
    return [q["sql"] for q in queries.captured_queries]


def largest_bloc():
    return Bloc.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()


def most_disputed_bloc():
    """The bloc with the most spells whose dates the sources disagree on, or None in a world without claims."""
    disputed = MembershipClaim.objects.exclude(rank=Rank.PREFERRED).values("membership__bloc")
    top = disputed.annotate(n=Count("membership", distinct=True)).order_by("-n", "membership__bloc").first()
    return Bloc.objects.get(pk=top["membership__bloc"]) if top else None


def bench_urls():
    """The project's URLs with the trivial views, as the in-process sections request them."""
    return override_settings(ROOT_URLCONF="devtools.bench_urls", ALLOWED_HOSTS=["testserver", "127.0.0.1"])


def busiest_country():
    return Country.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()


def admin_paths():
    """The admin's change lists at their largest, as (label, path, model counted), and its largest change forms.

    The model is the one whose whole table the list must not count (None where a filter bounds it).
    The change forms with the most spells list their latest MembershipInlineFormSet.MOST_SHOWN spells.
    """
    bloc, country = largest_bloc(), busiest_country()
    events = estimated_rows(Event, "default") or Event.objects.count()
    deep = max(1, min(2_000, events // 100 // 2))
    lists = [
        ("events, first page", "/admin/events/event/", Event),
        (f"events, page {deep:,}", f"/admin/events/event/?p={deep}", Event),
        ("events of the largest bloc", f"/admin/events/event/?bloc={bloc.slug}", None),
        ("events of one year", "/admin/events/event/?year=2000", None),
        ("memberships, first page", "/admin/blocs/membership/", Membership),
        ("memberships of the largest bloc", f"/admin/blocs/membership/?bloc={bloc.slug}", None),
    ]
    forms = [
        (f"change form of the largest bloc ({bloc.slug})", reverse("admin:blocs_bloc_change", args=[bloc.pk])),
        (
            f"change form of the busiest country ({country.alpha3})",
            reverse("admin:blocs_country_change", args=[country.pk]),
        ),
    ]
    return lists, forms


@contextmanager
def signed_in():
    """A client signed in as a superuser made for the measurement, rolled back with everything it wrote."""
    with transaction.atomic():
        user = User.objects.create_superuser(f"bench-{os.getpid()}", email="", password=None)
        client = Client()
        client.force_login(user)
        yield client
        transaction.set_rollback(True)


class Bench:
    def __init__(self, options, write):
        self.options = options
        self.write = write
        self.results = []

    # Output ---------------------------------------------------------------------------------------

    def add(self, result):
        self.results.append(result)
        self.write(self.line(result))

    @staticmethod
    def figure(value, unit):
        if value is None:
            return "—"
        if unit == "ms":
            return f"{value:,.1f} ms"
        if unit == "x":  # a ratio to a baseline of its own (bench_scales)
            return f"{value:,.1f}x"
        return f"{value:,.0f} {unit}"

    def line(self, r):
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "—"
        return (
            f"  {r.name:<44} {self.figure(r.project, r.unit):>16} {self.figure(r.baseline, r.unit):>16}"
            f" {ratio:>8} {r.target:>7}  {r.verdict}{'  ' + r.note if r.note else ''}"
        )

    def heading(self, title, baseline):
        self.write(f"\n{title}")
        self.write(f"  {'measurement':<44} {'project':>16} {baseline:>16} {'ratio':>8} {'target':>7}")

    # Sections -------------------------------------------------------------------------------------

    def public_pages(self):
        """Each public page as readers get it (kept since its first drawing), then drawn afresh.

        The kept figure is held to 3x the trivial view: a page is drawn once per worker after each
        change to the records (or each new day) and then served from memory (eurasia/page_cache.py).
        The drawn figure is what a reader waits for after a change, or on a page nobody opened
        since (any date, any search): it is held to 30x /healthz, timed in turn with it, and its
        HTML to 250 KB (docs/performance.md). Each page is measured in English and then in Russian,
        under /ru/ (docs/translation.md), against the same baselines and the same targets.
        """
        self.heading("Public pages vs a trivial view (kept) and /healthz (drawn), taken in turn", "trivial view")
        client = Client()
        english = self.public_paths()
        russian = [(f"{label}, in Russian", f"/ru{path}") for label, path in english]
        for label, path in english + russian:
            ms, trivial = paired_ms(client, path, self.options.repeat)
            n = len(queries_of(client, path))
            self.add(Result("public", f"{label}, kept ({n} query)", ms, trivial, "ms", limit=3, note=path))
            drawn, health = paired_ms(client, path, self.options.repeat, before=forget_kept, baseline=HEALTH)
            forget_kept()
            n = len(queries_of(client, path))
            forget_kept()
            size = fetch(client, path)
            note = f"{size / 1024:,.0f} KB of HTML{'' if size <= 250 * 1024 else ' (OVER 250 KB)'}; vs /healthz"
            self.add(Result("public", f"{label}, drawn ({n} queries)", drawn, health, "ms", limit=30, note=note))

    def public_paths(self):
        """Every kind of public page, at its largest in the world loaded: (label, path)."""
        bloc, country = largest_bloc(), busiest_country()
        event = Event.objects.order_by("-date", "-id").values_list("pk", flat=True).first()
        pages = [
            ("overview, with today's map", reverse("blocs:home")),
            ("blocs", reverse("blocs:blocs")),
            ("countries", reverse("blocs:countries")),
            ("largest bloc", reverse("blocs:bloc", args=[bloc.slug])),
            ("country with most spells", reverse("blocs:country", args=[country.alpha3.lower()])),
            ("as of a date, with its map", self.as_of_page()),  # every family of blocs coloured
            ("as of a date, one family's lines", self.as_of_page() + "?family=military"),
            ("as of a date, its largest bloc in full", f"{self.as_of_page()}?bloc={self.largest_bloc_on_date()}"),
            ("events, first page", reverse("events:list")),
            ("events, deep page", self.deep_events_page()),
            ("events, a broad search", reverse("events:list") + "?q=summit"),
            ("events, a broad search's deep page", self.deep_events_page("?q=summit&")),
            ("events of the largest bloc", f"{reverse('events:list')}?bloc={bloc.slug}"),
            ("/data/", "/data/"),
            ("disputed dates, first page", reverse("blocs:disputes")),
            ("disputed dates of the largest bloc", f"{reverse('blocs:disputes')}?bloc={bloc.slug}"),
        ]
        disputed = most_disputed_bloc()
        if disputed is not None:
            pages.append(("bloc with most disputed spells", reverse("blocs:bloc", args=[disputed.slug])))
        if event is not None:
            pages.append(("one event", reverse("events:event", args=[event])))
        return pages

    def page_stores(self):
        """A kept page served from each store a deployment may choose (eurasia/page_cache.py)."""
        self.heading("A kept page from each page store vs the trivial view", "trivial view")
        path = reverse("blocs:bloc", args=[largest_bloc().slug])
        with tempfile.TemporaryDirectory() as folder, redis_server(folder) as redis_url:
            stores = {
                "memory": {"BACKEND": "eurasia.page_cache.MemoryPages"},
                "Redis": redis_url
                and {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url},
            }
            for name, store in stores.items():
                if not store:
                    self.add(Result("store", f"kept page from {name}", None, None, "ms", note="no redis-server here"))
                    continue
                with override_settings(CACHES={**settings.CACHES, "pages": store}):
                    client = Client()
                    ms, trivial = paired_ms(client, path, self.options.repeat)
                    size = fetch(client, path)
                    note = f"{size / 1024:,.0f} KiB page, {path}"
                    self.add(Result("store", f"kept page from {name}", ms, trivial, "ms", limit=3, note=note))

    def hit_rates(self):
        """How often readers get a kept page while a curator saves every few seconds, and while
        another database on the same server commits all the time; against the same readers alone."""
        self.heading("Public pages served kept, in % of requests, vs the same readers alone", "readers alone")
        bloc, country = largest_bloc(), busiest_country()
        paths = [
            reverse("blocs:bloc", args=[bloc.slug]),
            reverse("blocs:country", args=[country.alpha3.lower()]),
            reverse("events:list"),
            self.as_of_page(),
        ]
        seconds = self.options.hit_seconds
        alone = kept_share(paths, seconds)
        for label, writer in (
            ("a curator saving every 3 seconds", curator_saving),
            ("another database committing all the time", other_database_busy),
        ):
            stop = threading.Event()
            thread = threading.Thread(target=writer, args=(stop,))
            thread.start()
            try:
                share = kept_share(paths, seconds)
            finally:
                stop.set()
                thread.join()
            self.add(Result("hits", f"with {label}", share, alone, "%", higher_is_better=True))

    def as_recorded(self):
        """Each page and download drawn over the record as it stood at a moment against the same page
        drawn from the tables, requests taken in turn, nothing kept between them: at the end of today
        (no version recorded since: the views read the tables), then just before 100 events and 20
        spells were edited (their records rebuilt from their history, the rest read from the tables;
        the edits are undone afterwards)."""
        self.heading("Pages and downloads ?as_recorded= vs the same drawn from the tables, taken in turn", "current")
        bloc = largest_bloc()
        events = reverse("events:list")
        pages = [
            ("largest bloc", reverse("blocs:bloc", args=[bloc.slug])),
            ("country with most spells", reverse("blocs:country", args=[busiest_country().alpha3.lower()])),
            ("as of a date, with its map", self.as_of_page()),
            ("events, first page", events),
            ("events of the largest bloc", f"{events}?bloc={bloc.slug}"),
            ("events found by a search", f"{events}?q=summit"),
            ("memberships.csv", reverse("data:download", args=["memberships", "csv"])),
        ]
        self.as_recorded_pages(pages, datetime.date.today().isoformat(), "today")
        self.as_recorded_before_edits(pages)

    def as_recorded_before_edits(self, pages):
        """The pages as recorded just before 120 edits, which are then undone: the records put back
        as they were, and the versions the edits recorded removed (the world stays as it was made)."""
        from public.as_recorded import recorded_models

        events, spells = list(Event.objects.order_by("?")[:100]), list(Membership.objects.order_by("?")[:20])
        moment = timezone.now()
        try:
            for event in Event.objects.filter(pk__in=[e.pk for e in events]):
                event.description += " (edited)"
                event.save()
            for spell in Membership.objects.filter(pk__in=[m.pk for m in spells]):
                spell.notes += " (edited)"
                spell.save()
            self.as_recorded_pages(pages, moment.isoformat(), "before 120 edits")
        finally:
            Event.objects.bulk_update(events, ["description", "updated_at"])
            Membership.objects.bulk_update(spells, ["notes", "updated_at"])
            for _, history in recorded_models():
                history.objects.filter(history_date__gte=moment).delete()

    def as_recorded_pages(self, pages, moment, words):
        client = Client()

        def timed(url):
            forget_kept()
            began = time.perf_counter()
            fetch(client, url)
            return time.perf_counter() - began

        for label, path in pages:
            recorded = f"{path}{'&' if '?' in path else '?'}as_recorded={quote(moment)}"
            for _ in range(2):
                timed(path), timed(recorded)
            current, past = [], []
            deadline = time.perf_counter() + 60
            while len(current) < self.options.repeat and (not current or time.perf_counter() < deadline):
                current.append(timed(path))
                past.append(timed(recorded))
            forget_kept()
            n = len(queries_of(client, recorded))
            ms, baseline = statistics.median(past) * 1000, statistics.median(current) * 1000
            label = f"{label}, as recorded {words}, drawn ({n} queries)"
            self.add(Result("as-recorded", label, ms, baseline, "ms", limit=5, note=path))

    def deep_events_page(self, query="?"):
        """Halfway through the events, or through those a search finds (`query` ends with & then)."""
        first = reverse("events:list")
        words = query.removeprefix("?").split("&")[0].partition("=")[2]
        events = Event.objects.search(words).order_by() if words else Event.objects.all()
        pages = max(1, events.count() // 25)
        return f"{first}{query}page={max(1, pages // 2)}"

    @staticmethod
    def largest_bloc_on_date():
        day = datetime.date(2000, 1, 1)
        blocs = Bloc.objects.annotate(n=Count("memberships")).order_by("-n", "pk")
        return next((b.slug for b in blocs if b.exists_on(day)), "none")

    def first_bytes(self):
        """How long each /data/ download takes to start: its first chunk, against the 0.5 s target."""
        self.heading("The first byte of each /data/ download, against 0.5 s", "target")
        from public.datasets import DATASETS

        client = Client()
        for slug in DATASETS:
            for extension in ("csv", "xlsx"):
                path = f"/data/{slug}.{extension}"
                times = []
                for _ in range(3):  # best of three: one pass is at the mercy of the machine
                    began = time.perf_counter()
                    response = client.get(path)
                    if response.status_code != 200:
                        raise BenchError(f"{path} answered {response.status_code}")
                    chunk = next(iter(response.streaming_content), b"")
                    times.append(time.perf_counter() - began)
                    response.close()
                note = f"first chunk {len(chunk) / 1024:,.0f} KiB; every year"
                self.add(Result("first-byte", path, min(times) * 1000, 500, "ms", limit=1, note=note))

    def as_of_page(self):
        return reverse("blocs:on", args=["2000-01-01"])

    def admin_lists(self):
        self.heading("Admin change lists vs the same trivial view", "trivial view")
        lists, forms = admin_paths()
        with signed_in() as client:
            # Not a target: what reading the session and the user costs any signed-in page.
            ms, trivial = paired_ms(client, SIGNED_IN, self.options.repeat)
            note = "a view that only reads the signed-in user: the floor under every admin page"
            self.add(Result("admin", "signed-in trivial view (2 queries)", ms, trivial, "ms", note=note))
            for label, path, model in lists:
                ms, trivial = paired_ms(client, path, self.options.repeat)
                n = len(queries_of(client, path))
                self.add(Result("admin", f"{label}, kept ({n} queries)", ms, trivial, "ms", limit=5))
                drawn, trivial = paired_ms(client, path, self.options.repeat, before=forget_kept)
                forget_kept()
                sql = queries_of(client, path)
                note = f"{len(sql)} queries, {self.count_kind(sql, model)}"
                self.add(Result("admin", f"{label}, drawn", drawn, trivial, "ms", note=note))
            for label, path in forms:
                drawn, trivial = paired_ms(client, path, self.options.repeat)
                sql = queries_of(client, path)
                size = len(client.get(path).content) / 1024
                note = f"{len(sql)} queries, {size:,.0f} KB"
                self.add(Result("admin", f"{label}, drawn", drawn, trivial, "ms", limit=40, note=note))

    @staticmethod
    def count_kind(sql, model):
        """Whether the page counted `model`'s whole table, and whether it should have (small tables are counted)."""
        table = model and connection.ops.quote_name(model._meta.db_table)
        whole = table and any(q.startswith(f'SELECT COUNT(*) AS "__count" FROM {table}') for q in sql)
        if not whole:
            return "no count of the whole table"
        if (estimated_rows(model, "default") or 0) < EstimatedCountPaginator.exact_below:
            return "whole table counted (it is small)"
        return "COUNT(*) OF THE WHOLE TABLE"

    def under_load(self):
        self.heading(
            f"Under load: gunicorn, 2 workers, {self.options.concurrency} client threads in another process",
            "trivial view",
        )
        page = reverse("blocs:bloc", args=[largest_bloc().slug])
        with Server() as server:
            trivial = server.drive(TRIVIAL, self.options)
            self.add(Result("load", "trivial view", trivial["rps"], None, "req/s", note=self.load_note(trivial)))
            loaded = server.drive(page, self.options)
            self.add(
                Result(
                    "load",
                    "largest bloc page",
                    loaded["rps"],
                    trivial["rps"],
                    "req/s",
                    note=self.load_note(loaded),
                )
            )
        errors = trivial["errors"] + loaded["errors"]
        if errors:
            raise BenchError(f"{errors} requests failed under load: {loaded['first_error'] or trivial['first_error']}")

    @staticmethod
    def load_note(run):
        return f"{run['requests']} requests, {run['errors']} errors, p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms"

    # Exports, imports and the analysis tables --------------------------------------------------

    def exports(self):
        self.heading("CSV downloads of /data/ vs COPY (the same query) TO STDOUT, rows/s", "COPY")
        from public.datasets import DATASETS, data_facts

        last = datetime.date.today().year
        years = self.options.export_years
        first = last - years + 1 if years else data_facts()[1]
        scope = {"first": first, "last": last, "day": datetime.date.today()}
        client = Client()
        for slug in ("events", "memberships"):
            spec = DATASETS[slug]
            rows = count_rows(spec.sql(neutralise=False), scope)
            # Best of three passes each: one pass is at the mercy of whatever else runs on the machine.
            passes = 3
            copy_s = best_of(passes, lambda spec=spec: copy_out(spec.sql(neutralise=False), scope))
            path = f"/data/{slug}.csv?from={first}&to={last}"
            download_s = best_of(passes, lambda path=path: fetch(client, path))
            # Memory must not grow with the rows: one year's file against ten years'.
            ten = python_peak(lambda slug=slug: fetch(client, f"/data/{slug}.csv?from={last - 9}&to={last}"))
            one = python_peak(lambda slug=slug: fetch(client, f"/data/{slug}.csv?from={last}&to={last}"))
            note = (
                f"{rows:,} rows; peak Python memory {ten * 1024:,.0f} KiB for ten years, {one * 1024:,.0f} KiB for one"
            )
            self.add(
                Result(
                    "exports", f"{slug}.csv, neutralised", rows / download_s, rows / copy_s, "rows/s", 0.8, True, note
                )
            )
        # The claims are one file, whatever the years: every claim of every record.
        spec = DATASETS["claims"]
        rows = count_rows(spec.sql(neutralise=False), {})
        copy_s = best_of(3, lambda: copy_out(spec.sql(neutralise=False), {}))
        download_s = best_of(3, lambda: fetch(client, "/data/claims.csv"))
        peak = python_peak(lambda: fetch(client, "/data/claims.csv"))
        note = f"{rows:,} rows; peak Python memory {peak * 1024:,.0f} KiB"
        self.add(
            Result("exports", "claims.csv, neutralised", rows / download_s, rows / copy_s, "rows/s", 0.8, True, note)
        )

    def xlsx(self):
        n = self.options.xlsx_rows
        self.heading(f"XLSX of {n:,} events vs django-import-export's default export, seconds", "import-export")
        default = child("xlsx-default", n)
        # The project's writer, then the same workbook written by two libraries (devtools/xlsx_libraries.py).
        for what, label in (
            ("xlsx-project", "ours"),
            ("xlsx-xlsxwriter", "XlsxWriter (constant_memory)"),
            ("xlsx-openpyxl", "openpyxl (write-only)"),
        ):
            made = child(what, n)
            self.add(
                Result(
                    "xlsx",
                    f"{label}, speed",
                    default["seconds"] / made["seconds"],
                    1.0,
                    "x",
                    4,
                    True,
                    f"default's time / its time: {made['seconds']:.1f} s against {default['seconds']:.1f} s; "
                    f"first byte after {made['first_byte_s']:.1f} s; {made['bytes'] / 2**20:.1f} MiB file",
                )
            )
            self.add(
                Result(
                    "xlsx",
                    f"{label}, peak memory",
                    made["peak_mib"],
                    200,
                    "MiB",
                    1,
                    note=f"whole process, Django included; default export: {default['peak_mib']:.0f} MiB",
                )
            )

    def imports(self):
        n = self.options.import_rows
        self.heading(f"Import of {n:,} spells (validation, history) vs COPY FROM, rows/s", "COPY FROM")
        from blocs.resources import MembershipResource
        from blocs.spreadsheets.formats import SpreadsheetCSV
        from blocs.spreadsheets.writers import csv_lines

        with transaction.atomic():
            ids = list(Membership.objects.order_by("pk").values_list("pk", flat=True)[:n])
            resource = MembershipResource()
            spells = Membership.objects.filter(pk__in=ids).order_by("pk")
            text = "".join(csv_lines(resource.get_export_headers(), resource.export_rows(spells)))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {SPELL_COLUMNS} FROM blocs_membership WHERE id = ANY(%s) ORDER BY id", [ids])
                raw = cursor.fetchall()
                # Out of the way of both loads; the whole block is rolled back at the end.
                delete_spells(cursor, ids)
            dataset = SpreadsheetCSV().create_dataset(text.encode())
            # COPY FROM and the import with and without the stream that writes new records while the
            # file is checked, in turn, each rolled back; the best of each.
            copies, timings = [], {True: [], False: []}
            for _ in range(self.options.import_passes):
                copies.append(copy_spells(raw))
                for streamed in (True, False):
                    timings[streamed].append(self.import_once(dataset, len(ids), streamed))
            transaction.set_rollback(True)
        for streamed, label in ((True, "written while checked"), (False, "written after the checks")):
            import_s, history = min(timings[streamed])
            copy_s = min(copies)
            note = f"{len(ids):,} rows, {history:,} history rows written; best of {len(copies)}"
            self.add(
                Result(
                    "import",
                    f"import of spells, {label}",
                    len(ids) / import_s,
                    len(ids) / copy_s,
                    "rows/s",
                    0.25,
                    True,
                    note,
                )
            )

    @staticmethod
    def import_once(dataset, expected, streamed):
        """One import of `dataset` into the emptied table, rolled back: (seconds, history rows written)."""
        from blocs.resources import MembershipResource
        from blocs.spreadsheets.bulk import BulkImport

        with transaction.atomic():
            BulkImport.write_while_checking = streamed
            try:
                began = time.perf_counter()
                result = MembershipResource().import_data(dataset, dry_run=False, file_name="bench.csv")
                import_s = time.perf_counter() - began
            finally:
                BulkImport.write_while_checking = True
            if result.has_errors() or result.has_validation_errors() or result.totals["new"] != expected:
                raise BenchError(f"the import did not take every row: {result.totals}")
            history = Membership.history.filter(history_change_reason__contains="bench.csv").count()
            transaction.set_rollback(True)
        return import_s, history

    def jobs(self):
        """The admin's import of a large file as two background jobs (preview, then import) against the
        same two steps within requests: the queue's cost is the enqueue, the worker's claim, the file
        read once more, the progress writes on their own connection and the pickled preview."""
        n = self.options.import_rows
        self.heading(f"Preview and import of {n:,} spells as background jobs vs within the request, seconds", "request")

        from blocs.resources import MembershipResource
        from blocs.spreadsheets.background import preview_import
        from blocs.spreadsheets.formats import SpreadsheetCSV
        from blocs.spreadsheets.pending import ImportFile
        from blocs.spreadsheets.writers import csv_lines
        from jobs.models import Job, run_queued_here

        def run_queued():
            run_queued_here("bench")

        with transaction.atomic():
            ids = list(Membership.objects.order_by("pk").values_list("pk", flat=True)[:n])
            resource = MembershipResource()
            spells = Membership.objects.filter(pk__in=ids).order_by("pk")
            data = "".join(csv_lines(resource.get_export_headers(), resource.export_rows(spells))).encode()
            with connection.cursor() as cursor:
                delete_spells(cursor, ids)
            user = User.objects.create_superuser("bench-jobs", password=None)
            with transaction.atomic():
                began = time.perf_counter()
                for dry_run in (True, False):
                    dataset = SpreadsheetCSV().create_dataset(data)
                    result = MembershipResource().import_data(
                        dataset, dry_run=dry_run, file_name="bench.csv", user=user
                    )
                request_s = time.perf_counter() - began
                if result.totals["new"] != len(ids):
                    raise BenchError(f"the import did not take every row: {result.totals}")
                transaction.set_rollback(True)
            with transaction.atomic():
                began = time.perf_counter()
                rows = len(SpreadsheetCSV().create_dataset(data))  # the upload's request counts the rows
                ImportFile.objects.create(
                    name="bench-jobs", user=user, model="blocs.membership", file_format="csv", data=data
                )
                params = {
                    "model": "blocs.membership",
                    "import_file_name": "bench-jobs",
                    "original_file_name": "bench.csv",
                    "format": "0",
                    "resource": "",
                }
                Job.start(preview_import, f"Preview of {rows} rows", user, params, "bench.csv")
                run_queued()
                from blocs.spreadsheets.background import confirm_import

                Job.start(confirm_import, "Import", user, params, "bench.csv")
                run_queued()
                jobs_s = time.perf_counter() - began
                states = list(Job.objects.filter(owner=user).values_list("state", "message"))
                if [state for state, _ in states] != ["done", "done"]:
                    raise BenchError(f"the jobs did not finish: {states}")
                transaction.set_rollback(True)
            transaction.set_rollback(True)
        self.add(Result("jobs", "preview and import as jobs", jobs_s, request_s, "s", 1.25, note=f"{len(ids):,} rows"))

    def tables(self):
        from public.datasets import DATASETS

        countries, blocs = Country.objects.count(), Bloc.objects.count()
        # The grid is every country × bloc × year: a few years already make millions of rows.
        years = max(1, min(30, self.options.table_rows // max(1, countries * blocs)))
        last = datetime.date.today().year - 1
        scope = {"first": last - years + 1, "last": last, "day": datetime.date.today()}
        self.heading(
            f"Country-year and dyad-year, {scope['first']}-{scope['last']}, vs one hand-written SQL query, rows/s",
            "hand-written",
        )
        client = Client()
        for slug, hand in (("country-year", COUNTRY_YEAR_SQL), ("dyad-year", DYAD_YEAR_SQL)):
            ours = DATASETS[slug].sql(neutralise=False)
            same = digest(ours, scope) == digest(hand, scope)
            rows = count_rows(hand, scope)
            passes = 1 if rows > 500_000 else 2
            hand_s = best_of(passes, lambda hand=hand: copy_out(hand, scope))
            path = f"/data/{slug}.csv?from={scope['first']}&to={scope['last']}"
            ours_s = best_of(passes, lambda path=path: fetch(client, path))
            note = f"{rows:,} rows; " + ("identical output" if same else "OUTPUT DIFFERS from the hand-written query")
            self.add(Result("tables", f"{slug}.csv", rows / ours_s, rows / hand_s, "rows/s", 0.5, True, note))

    def api(self):
        """The read API: pages of 100 against the trivial view, deep cursor pages, and the whole walk against /data/."""
        self.heading("Read API (/api/v1/) vs the trivial view; the cursor walk vs the /data/ events CSV", "baseline")
        client = Client(REMOTE_ADDR="127.0.0.2")
        with override_settings(API_RATE_LIMIT={"requests": 10**9, "window": 60}):
            for label, path in (("memberships", "/api/v1/memberships"), ("events", "/api/v1/events")):
                first = f"{path}?limit=100"
                ms, trivial = paired_ms(client, first, self.options.repeat)
                n = len(queries_of(client, first))
                self.add(Result("api", f"{label}, page of 100 ({n} queries)", ms, trivial, "ms", limit=10))
                deep = self.deep_cursor(client, path)
                deep_ms, first_ms = paired_ms(client, deep, self.options.repeat), paired_ms(client, first, 3)
                n = len(queries_of(client, deep))
                self.add(Result("api", f"{label}, deep cursor page ({n} queries)", deep_ms[0], first_ms[0], "ms", 1.5))
            rows, walk_s = self.walk(client, "/api/v1/events?limit=1000")
            from public.datasets import data_facts

            first, last = data_facts()[1], datetime.date.today().year
            csv_s = best_of(1, lambda: fetch(client, f"/data/events.csv?from={first}&to={last}"))
            note = f"{rows:,} events in pages of 1,000; rows/s against the CSV's"
            self.add(Result("api", "events, whole cursor walk", rows / walk_s, rows / csv_s, "rows/s", 0.3, True, note))

    @staticmethod
    def deep_cursor(client, path):
        """A cursor halfway down the list, made as the API makes its own."""
        from api.problems import encode_cursor

        if path.endswith("memberships"):
            ids = Membership.objects.order_by("pk").values_list("pk", flat=True)
            middle = ids[max(0, ids.count() // 2)]
            return f"{path}?limit=100&cursor={encode_cursor('memberships', [middle])}"
        events = Event.objects.order_by("-date", "-id")
        middle = events.values_list("date", "id")[max(0, events.count() // 2)]
        return f"{path}?limit=100&cursor={encode_cursor('events', list(middle))}"

    def walk(self, client, url):
        """Every page from `url` on: (rows, seconds). Each page is parsed to count its rows and follow
        `next`, with orjson (a dependency already), as the CSV it is compared with is read, not parsed."""
        import orjson

        rows, began = 0, time.perf_counter()
        while url:
            page = orjson.loads(client.get(url).content)
            rows += len(page["data"])
            url = page["next"]
            if time.perf_counter() - began > 300:
                raise BenchError("the cursor walk took over five minutes")
        return rows, time.perf_counter() - began

    def datasette(self):
        """The read API, and /events/ drawn, beside Datasette serving the same events from SQLite (its JSON
        and its HTML pages), requests taken in turn over HTTP.

        Datasette is no dependency of the project: `make bench` installs it in a virtualenv of its own
        (.venv-datasette, devtools/datasette-requirements.txt) and names its command in DATASETTE;
        without one there, or on the PATH, the section is skipped. The events and their links are
        copied into a fresh SQLite file with a full-text index and the indexes a publisher would add,
        and Datasette runs in its fast configuration (no facet suggestions, no CSV size cap).
        """
        import shutil

        named = os.environ.get("DATASETTE")
        binary = named or shutil.which("datasette")
        self.heading(
            "Read API and drawn /events/ pages vs Datasette on the same events, over HTTP, taken in turn", "Datasette"
        )
        if named and not os.access(named, os.X_OK):
            self.write(f"  skipped: no datasette command at {named} (it could not be installed: see make bench)")
            return
        if not binary:
            self.write("  skipped: no datasette command (set DATASETTE to one installed in its own virtualenv)")
            return
        from api.problems import encode_cursor

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "world.db"
            export_events_to_sqlite(path)
            bloc = Bloc.objects.get(
                pk=Event.blocs.through.objects.values("bloc").annotate(n=Count("id")).order_by("-n")[0]["bloc"]
            )
            events = Event.objects.order_by("-date", "-id")
            middle = events.values_list("date", "id")[events.count() // 2]
            cursor = encode_cursor("events", list(middle))
            word = "summit"
            where = quote(f"id in (select event_id from event_blocs where bloc = '{bloc.slug}')")
            pairs = [
                ("events, first page", "/api/v1/events?limit=100", "/world/events.json?_sort_desc=date&_size=100"),
                (
                    f'full-text search "{word}"',
                    f"/api/v1/events?q={word}&limit=100",
                    f"/world/events.json?_search={word}&_sort_desc=date&_size=100",
                ),
                (
                    f"a bloc's events ({bloc.slug})",
                    f"/api/v1/events?bloc={bloc.slug}&limit=100",
                    f"/world/events.json?_where={where}&_sort_desc=date&_size=100",
                ),
                (
                    "deep cursor page (halfway)",
                    f"/api/v1/events?limit=100&cursor={cursor}",
                    f"/world/events.json?_sort_desc=date&_size=100&_next={middle[0].isoformat()},{middle[1]}",
                ),
            ]
            # The public pages drawn (no page kept, PAGE_CACHE=false) beside Datasette's own HTML pages of
            # the same 25 events. A search is ranked on /events/ and by date in Datasette: the same
            # matches, not in the same order.
            pages = max(1, events.count() // 25)
            drawn = [
                ("/events/, first page, drawn", "/events/", "/world/events?_sort_desc=date&_size=25"),
                (
                    f"/events/?q={word}, drawn",
                    f"/events/?q={word}",
                    f"/world/events?_search={word}&_sort_desc=date&_size=25",
                ),
                (
                    f"/events/?bloc={bloc.slug}, drawn",
                    f"/events/?bloc={bloc.slug}",
                    f"/world/events?_where={where}&_sort_desc=date&_size=25",
                ),
                (
                    "/events/, a page halfway, drawn",
                    f"/events/?page={pages // 2 + 1}",
                    f"/world/events?_sort_desc=date&_size=25&_next={middle[0].isoformat()},{middle[1]}",
                ),
            ]
            port = free_port()
            command = [binary, "serve", str(path), "--port", str(port), "--setting", "suggest_facets", "off"]
            command += ["--setting", "max_csv_mb", "0", "--setting", "sql_time_limit_ms", "60000"]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.environ["API_RATE_LIMIT_REQUESTS"] = str(10**9)

            def side_by_side(pairs, note=""):
                with Server() as ours:
                    for label, mine, theirs in pairs:
                        ms, their_ms = alternate_ms(
                            f"http://127.0.0.1:{ours.port}{mine}",
                            f"http://127.0.0.1:{port}{theirs}",
                            self.options.repeat,
                        )
                        self.add(Result("datasette", label, ms, their_ms, "ms", 1, note=note))

            try:
                wait_for(f"http://127.0.0.1:{port}/world.json", process)
                side_by_side(pairs)
                os.environ["PAGE_CACHE"] = "false"
                try:
                    side_by_side(drawn, "HTML, 25 events")
                finally:
                    del os.environ["PAGE_CACHE"]
            finally:
                process.terminate()
                process.wait(timeout=30)

    SECTIONS = [
        "public",
        "as-recorded",
        "store",
        "hits",
        "admin",
        "exports",
        "first-byte",
        "xlsx",
        "import",
        "jobs",
        "tables",
        "load",
        "limits",
        "api",
        "datasette",
        "releases",
        "scales",
    ]

    def releases(self):
        """Publishing a release against the plain /data/ downloads of the same files, in the same run."""
        import resource

        from public.datasets import DATASETS, data_facts
        from releases.models import Release, version_key
        from releases.publishing import publish, sweep_leftovers

        self.heading(
            "Publishing a release vs the /data/ downloads of the same files (CSV and XLSX), seconds", "downloads"
        )
        today = datetime.date.today()
        first = data_facts()[1] or today.year
        paths = [
            f"/data/{slug}.{extension}?" + (f"date={today}" if spec.by_date else f"from={first}&to={today.year}")
            for slug, spec in DATASETS.items()
            for extension in ("csv", "xlsx")
        ]
        client = Client()
        rss = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]
        began = time.perf_counter()
        downloaded = sum(fetch(client, path) for path in paths)
        downloads_s = time.perf_counter() - began
        latest = max(Release.objects.values_list("version", flat=True), key=version_key, default=None)
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        # Into the releases storage itself, where the previous release's files are read for the changelog;
        # rolled back, and its files swept away as a failed publish's are.
        try:
            with transaction.atomic():
                began = time.perf_counter()
                release = publish("9999.12", "Benchmark; rolled back.")
                publish_s = time.perf_counter() - began
                files = list(release.files.all())
                transaction.set_rollback(True)
        finally:
            sweep_leftovers()
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        size = sum(f.size for f in files)
        before, downloads, published = (f"{kib / 1024:,.0f}" for kib in rss)
        note = (
            f"{len(paths)} downloads, {downloaded / 2**20:,.0f} MiB; the release {size / 2**20:,.0f} MiB in "
            f"{len(files)} files, {'with a changelog against ' + latest if latest else 'no previous release'}; "
            f"peak memory of the process {before} MiB before, {downloads} MiB after the downloads, "
            f"{published} MiB after publishing"
        )
        self.add(Result("releases", "publish_release", publish_s, downloads_s, "s", 3, note=note))

    def limits(self):
        """The admin's JSON export against its CSV, and searches of a few and of thousands of words."""
        self.heading("Admin exports (events, rows/s) vs the CSV export; admin searches vs the trivial view", "CSV")

        from events.resources import EventResource

        fields = {f"eventresource_{name}": "on" for name in EventResource().get_export_order()}
        export = reverse("admin:events_event_export")
        rows = Event.objects.count()
        with transaction.atomic():
            user = User.objects.create_superuser(f"bench-{os.getpid()}", email="", password=None)
            client = Client()
            client.force_login(user)

            def download(fmt):
                response = client.post(export, {"format": fmt, "resource": "0", **fields})
                return sum(len(chunk) for chunk in response.streaming_content)

            csv_s = best_of(3, lambda: download("0"))
            json_s = best_of(3, lambda: download("2"))
            note = f"{rows:,} events; JSON streamed from the export query, one encoder call a row"
            self.add(Result("limits", "admin JSON export", rows / json_s, rows / csv_s, "rows/s", 0.2, True, note))
            changelist = reverse("admin:blocs_membership_changelist")
            for words in (1, 10, 3000):
                path = changelist + "?q=" + "+".join(["kaz"] * words)
                ms, trivial = paired_ms(client, path, self.options.repeat, before=forget_kept)
                note = "cut to 10 words" if words > 10 else ""
                self.add(Result("limits", f"membership search of {words:,} words", ms, trivial, "ms", note=note))
            transaction.set_rollback(True)

    def run(self, sections):
        from .bench_scales import scales

        methods = {
            "limits": self.limits,
            "public": self.public_pages,
            "as-recorded": self.as_recorded,
            "store": self.page_stores,
            "hits": self.hit_rates,
            "admin": self.admin_lists,
            "exports": self.exports,
            "first-byte": self.first_bytes,
            "xlsx": self.xlsx,
            "import": self.imports,
            "jobs": self.jobs,
            "tables": self.tables,
            "load": self.under_load,
            "api": self.api,
            "datasette": self.datasette,
            "releases": self.releases,
            "scales": lambda: scales(self),
        }
        with bench_urls():
            for name in sections:
                methods[name]()
        return self.results


SPELL_COLUMNS = (
    "country_id, bloc_id, role, start, start_precision, suspension_start, suspension_start_precision, suspension_end, "
    'suspension_end_precision, suspension_kind, "end", end_precision, end_reason, notes, created_at, updated_at'
)

# The analysis tables written by hand, as an analyst would, to hold the project's queries to:
# each spell is spread over the years it touches, the strongest role of each country, bloc and
# year is kept (member 3, associate 2, observer 1; doubled, plus one when suspended that year),
# and the grid of countries, blocs and years is filled in around it. Same rules as docs/codebook.md.
_HELD = """
  SELECT m.country_id, m.bloc_id, y.year,
    max((CASE m.role WHEN 'member' THEN 3 WHEN 'associate' THEN 2 WHEN 'observer' THEN 1 END) * 2
        + CASE WHEN m.suspension_start <= make_date(y.year, 12, 31)
                AND (m.suspension_end IS NULL OR m.suspension_end
                     + CASE WHEN m.suspension_end_precision = 'day' THEN 0 ELSE 1 END > make_date(y.year, 1, 1))
          THEN 1 ELSE 0 END) AS best
  FROM blocs_membership m
  CROSS JOIN LATERAL generate_series(
    greatest(extract(year FROM m.start)::int, %(first)s::int),
    least(coalesce(extract(year FROM m."end" + CASE WHEN m.end_precision = 'day' THEN 0 ELSE 1 END - 1)::int,
                   %(last)s::int), %(last)s::int)) AS y(year)
  WHERE m.role IN ('member', 'associate', 'observer')
  GROUP BY 1, 2, 3"""
_EXISTS = """(b.founded IS NULL OR b.founded <= make_date(y.year, 12, 31))
    AND (b.dissolved IS NULL OR b.dissolved + CASE WHEN b.dissolved_precision = 'day' THEN 0 ELSE 1 END
         > make_date(y.year, 1, 1))"""
COUNTRY_YEAR_SQL = f"""
WITH held AS ({_HELD})
SELECT c.alpha3, c.cow_code, c.name, b.slug, b.name, y.year,
  CASE WHEN NOT ({_EXISTS}) THEN -1 WHEN h.best IS NULL THEN 0 ELSE 4 - h.best / 2 END,
  CASE WHEN ({_EXISTS}) AND mod(h.best, 2) = 1 THEN 1 ELSE 0 END,
  NULLIF(c.name_ru, ''), NULLIF(b.name_ru, '')
FROM blocs_country c CROSS JOIN blocs_bloc b CROSS JOIN generate_series(%(first)s::int, %(last)s::int) AS y(year)
LEFT JOIN held h ON h.country_id = c.id AND h.bloc_id = b.id AND h.year = y.year
ORDER BY b.slug, c.alpha3, y.year"""
DYAD_YEAR_SQL = f"""
WITH held AS ({_HELD}),
members AS (
  SELECT h.bloc_id, h.year, c.alpha3, c.cow_code, mod(h.best, 2) AS suspended
  FROM held h JOIN blocs_country c ON c.id = h.country_id JOIN blocs_bloc b ON b.id = h.bloc_id
  CROSS JOIN LATERAL (SELECT h.year) AS y(year)
  WHERE h.best / 2 = 3 AND {_EXISTS}
)
SELECT b.slug, b.name, a.year, a.alpha3, a.cow_code, o.alpha3, o.cow_code, a.suspended, o.suspended,
  NULLIF(b.name_ru, '')
FROM members a JOIN members o ON o.bloc_id = a.bloc_id AND o.year = a.year AND o.alpha3 > a.alpha3
JOIN blocs_bloc b ON b.id = a.bloc_id
ORDER BY b.slug, a.year, a.alpha3, o.alpha3"""


def export_events_to_sqlite(path):
    """The events and their links (bloc slugs, alpha-3 codes, source keys) in a new SQLite file, as Datasette serves them."""
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE events (id INTEGER PRIMARY KEY, date TEXT, date_precision TEXT, end_date TEXT,
             end_date_precision TEXT, title TEXT, kind TEXT, location TEXT, description TEXT);
           CREATE TABLE event_blocs (event_id INTEGER REFERENCES events(id), bloc TEXT);
           CREATE TABLE event_countries (event_id INTEGER REFERENCES events(id), country TEXT);
           CREATE TABLE event_sources (event_id INTEGER REFERENCES events(id), source TEXT);"""
    )
    fields = ("id", "date", "date_precision", "end_date", "end_date_precision", "title", "kind", "location")
    rows = Event.objects.values_list(*fields, "description").iterator(chunk_size=10_000)
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ((*r[:1], *map(str_or_none, r[1:])) for r in rows)
    )
    for table, link, key in (
        ("event_blocs", Event.blocs.through, "bloc__slug"),
        ("event_countries", Event.countries.through, "country__alpha3"),
        ("event_sources", Event.sources.through, "source__key"),
    ):
        db.executemany(f"INSERT INTO {table} VALUES (?, ?)", link.objects.values_list("event_id", key).iterator(10_000))
    db.executescript(
        """CREATE INDEX events_date ON events (date DESC, id DESC);
           CREATE INDEX event_blocs_bloc ON event_blocs (bloc, event_id);
           CREATE INDEX event_blocs_event ON event_blocs (event_id);
           CREATE INDEX event_countries_country ON event_countries (country, event_id);
           CREATE INDEX event_sources_event ON event_sources (event_id);
           CREATE VIRTUAL TABLE events_fts USING fts5 (title, description, location, content="events", content_rowid="id");
           INSERT INTO events_fts (events_fts) VALUES ('rebuild');
           ANALYZE;"""
    )
    db.commit()
    db.close()


def str_or_none(value):
    return None if value is None else str(value)


def wait_for(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{url}: the server exited at start")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise BenchError(f"{url} did not answer within {seconds} seconds")


def alternate_ms(ours, theirs, repeat):
    """Median times of two URLs over HTTP, requested in turn (each twice untimed first), in milliseconds."""

    def timed(url):
        began = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            if response.status != 200:
                raise BenchError(f"{url} answered {response.status}")
        return time.perf_counter() - began

    for _ in range(2):
        timed(ours), timed(theirs)
    mine, other = [], []
    for _ in range(max(repeat, 30)):
        mine.append(timed(ours))
        other.append(timed(theirs))
    return statistics.median(mine) * 1000, statistics.median(other) * 1000


def delete_spells(cursor, ids):
    """Delete the spells `ids` with their links and claims, for an import to write them again."""
    cursor.execute("DELETE FROM events_event_memberships WHERE membership_id = ANY(%s)", [ids])
    cursor.execute("DELETE FROM blocs_membershipsource WHERE membership_id = ANY(%s)", [ids])
    # The spells' claims too, with their sources: the import writes spells, not claims.
    cursor.execute(
        "DELETE FROM blocs_membershipclaimsource WHERE claim_id IN "
        "(SELECT id FROM blocs_membershipclaim WHERE membership_id = ANY(%s))",
        [ids],
    )
    cursor.execute("DELETE FROM blocs_membershipclaim WHERE membership_id = ANY(%s)", [ids])
    cursor.execute("DELETE FROM blocs_membership WHERE id = ANY(%s)", [ids])


def copy_spells(raw):
    """COPY FROM of the spells' raw rows, rolled back: the floor for the import, in seconds."""
    with transaction.atomic():
        began = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy(f"COPY blocs_membership ({SPELL_COLUMNS}) FROM STDIN") as copy:
            for row in raw:
                copy.write_row(row)
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    return seconds


def copy_out(sql, params):
    """COPY (sql) TO STDOUT as CSV, read to the end and thrown away: the floor for every download."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy,
    ):
        for _ in copy:
            pass


def digest(sql, params):
    """A checksum of the query's rows, to show that two queries give the same file."""
    sha = hashlib.sha256()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        for chunk in copy:
            sha.update(chunk)
    return sha.hexdigest()


def count_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) q", params)
        return cursor.fetchone()[0]


def best_of(n, fn):
    """The fastest of n runs, in seconds: the least disturbed by other work on the machine."""
    times = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def python_peak(fn):
    """Peak memory allocated by Python while fn runs, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def child(what, rows, url=None):
    """Run one measurement in a fresh process, so that its peak memory is its own; on another database at `url`."""
    command = [sys.executable, "manage.py", "bench", "--child", what, "--rows", str(rows)]
    env = {**os.environ, "DATABASE_URL": url or database_url()}
    done = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BenchError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_child(what, rows):
    """The body of a child process: build one XLSX of `rows` events, report time and peak memory.

    Or, for "drawn-pages", draw each public page and admin list `rows` times (bench_scales: the tiny world's side).
    """
    import resource

    if what == "drawn-pages":
        from .bench_scales import drawn_pages_here

        return drawn_pages_here(rows)

    from blocs.spreadsheets.writers import stream_rows, xlsx_chunks
    from devtools.xlsx_libraries import openpyxl_chunks, xlsxwriter_chunks
    from public.datasets import DATASETS

    writers = {"xlsx-project": xlsx_chunks, "xlsx-xlsxwriter": xlsxwriter_chunks, "xlsx-openpyxl": openpyxl_chunks}
    began = time.perf_counter()
    size = 0
    first_byte = None
    if what in writers:
        spec = DATASETS["events"]
        scope = {"first": 1, "last": 9999, "day": datetime.date.today()}
        sql = f"SELECT * FROM ({spec.sql(neutralise=False)}) q LIMIT {int(rows)}"
        headers = [c.name for c in spec.columns]
        for chunk in writers[what](headers, stream_rows(sql, scope), title="events"):
            if first_byte is None:
                first_byte = time.perf_counter() - began
            size += len(chunk)
    elif what == "xlsx-default":
        from import_export.formats.base_formats import XLSX
        from import_export.resources import modelresource_factory

        events = Event.objects.order_by("date", "title").prefetch_related(
            "blocs", "countries", "memberships", "sources"
        )
        dataset = modelresource_factory(Event)().export(queryset=events[:rows])
        size = len(XLSX().export_data(dataset))
    else:
        raise BenchError(f"unknown measurement {what}")
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "bytes": size, "peak_mib": peak, "first_byte_s": first_byte or seconds}


def database_url():
    """The URL of the database this process uses, for the server it starts."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    # The embedded server is reached through its socket folder, given as the "host" option.
    host = quote(s["HOST"] or s.get("OPTIONS", {}).get("host", ""), safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with two workers on a free loopback port, serving the bench URLs; stopped on exit."""

    def __enter__(self):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "devtools.bench_settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        command = [sys.executable, "-m", "gunicorn", "eurasia.wsgi:application", "--workers", "2"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{TRIVIAL}", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        self.__exit__()
        raise BenchError("gunicorn did not answer within 60 seconds")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def drive(self, path, options):
        """Warm both workers, then run the load generator in its own process."""
        url = f"http://127.0.0.1:{self.port}{path}"
        self.loadgen(url, requests=20, concurrency=2, seconds=30)
        return self.loadgen(url, options.requests, options.concurrency, options.seconds)

    def loadgen(self, url, requests, concurrency, seconds):
        command = [sys.executable, "-m", "devtools.loadgen", url, "--requests", str(requests)]
        command += ["--concurrency", str(concurrency), "--seconds", str(seconds)]
        done = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode != 0:
            raise BenchError(f"the load generator failed: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
