"""The benchmarks behind `make bench`: each figure of the project beside a baseline measured in the same run.

Each measurement prints the project's figure, the baseline's, their ratio and the target the
ratio is held to (docs/performance.md). Pages are timed in this process through the full
middleware stack with Django's test client; the load test starts gunicorn and drives it from
a separate process. Nothing is written to the database that outlives the run: the admin's
user, sessions and imported rows are rolled back.
"""

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from blocs.changelists import EstimatedCountPaginator, estimated_rows
from blocs.models import Bloc, Country, Membership
from events.models import Event

BASE_DIR = Path(settings.BASE_DIR)
TRIVIAL = "/bench/trivial/"


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


QUICK = Options(repeat=3, requests=60, concurrency=4, seconds=20, xlsx_rows=200, import_rows=200)


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


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def fetch(client, path):
    response = client.get(path)
    body = _body(response)
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}")
    return body


def median_ms(client, path, repeat):
    """Median time of `repeat` requests after two warm-up requests, in milliseconds."""
    for _ in range(2):
        fetch(client, path)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fetch(client, path)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        fetch(client, path)
    return [q["sql"] for q in queries.captured_queries]


def _url(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return None


def largest_bloc():
    return Bloc.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()


def busiest_country():
    return Country.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()


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
        self.heading("Public pages vs a trivial view through the same middleware", "trivial view")
        bloc, country = largest_bloc(), busiest_country()
        pages = [
            ("largest bloc", bloc and _url("blocs:bloc", bloc.slug)),
            ("country with most spells", country and _url("blocs:country", country.alpha3.lower())),
            ("events, first page", _url("events:list")),
            ("events, deep page", self.deep_events_page()),
            ("as of a date, with its map", self.as_of_page()),
        ]
        client = Client()
        trivial = median_ms(client, TRIVIAL, self.options.repeat)
        for label, path in pages:
            if not path:
                self.add(Result("public", label, None, trivial, "ms", note="page not on this branch"))
                continue
            ms = median_ms(client, path, self.options.repeat)
            n = len(queries_of(client, path))
            self.add(Result("public", f"{label} ({n} queries)", ms, trivial, "ms", limit=3, note=path))

    def deep_events_page(self):
        first = _url("events:list")
        if not first:
            return None
        pages = max(1, Event.objects.count() // 50)
        return f"{first}?page={max(1, pages // 2)}"

    def as_of_page(self):
        return _url("blocs:on", "2000-01-01") or _url("on", "2000-01-01")

    def admin_lists(self):
        self.heading("Admin change lists vs the same trivial view", "trivial view")
        bloc = largest_bloc()
        events = estimated_rows(Event, "default") or Event.objects.count()
        deep = max(1, min(2_000, events // 100 // 2))
        lists = [
            ("events, first page", "/admin/events/event/", "events_event"),
            (f"events, page {deep:,}", f"/admin/events/event/?p={deep}", "events_event"),
            ("events of the largest bloc", f"/admin/events/event/?bloc={bloc.slug}", None),
            ("events of one year", "/admin/events/event/?year=2000", None),
            ("memberships, first page", "/admin/blocs/membership/", "blocs_membership"),
            ("memberships of the largest bloc", f"/admin/blocs/membership/?bloc={bloc.slug}", None),
        ]
        with transaction.atomic():
            user = User.objects.create_superuser(f"bench-{os.getpid()}", email="", password=None)
            client = Client()
            client.force_login(user)
            trivial = median_ms(client, TRIVIAL, self.options.repeat)
            for label, path, table in lists:
                ms = median_ms(client, path, self.options.repeat)
                sql = queries_of(client, path)
                note = f"{len(sql)} queries, {self.count_kind(sql, table)}"
                self.add(Result("admin", label, ms, trivial, "ms", limit=5, note=note))
            transaction.set_rollback(True)

    @staticmethod
    def count_kind(sql, table):
        """Whether the page counted a whole table, and whether it should have (small tables are counted)."""
        whole = table and any(q.startswith(f'SELECT COUNT(*) AS "__count" FROM "{table}"') for q in sql)
        if not whole:
            return "no count of the whole table"
        model = {"events_event": Event, "blocs_membership": Membership}[table]
        if (estimated_rows(model, "default") or 0) < EstimatedCountPaginator.exact_below:
            return "whole table counted (it is small)"
        return "COUNT(*) OF THE WHOLE TABLE"

    def under_load(self):
        self.heading(
            f"Under load: gunicorn, 2 workers, {self.options.concurrency} client threads in another process",
            "trivial view",
        )
        bloc = largest_bloc()
        page = bloc and _url("blocs:bloc", bloc.slug)
        with Server() as server:
            trivial = server.drive(TRIVIAL, self.options)
            self.add(Result("load", "trivial view", trivial["rps"], None, "req/s", note=self.load_note(trivial)))
            if not page:
                self.add(
                    Result("load", "largest bloc page", None, trivial["rps"], "req/s", note="page not on this branch")
                )
                return
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

    SECTIONS = ["public", "admin", "load"]

    def run(self, sections):
        methods = {"public": self.public_pages, "admin": self.admin_lists, "load": self.under_load}
        with override_settings(ROOT_URLCONF="eurasia.bench_urls", ALLOWED_HOSTS=["testserver", "127.0.0.1"]):
            for name in sections:
                methods[name]()
        return self.results


def database_url():
    """The URL of the database this process uses, for the server it starts."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = quote(s["HOST"] or "", safe="")
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
            "DJANGO_SETTINGS_MODULE": "eurasia.bench_settings",
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
        command = [sys.executable, "-m", "eurasia.loadgen", url, "--requests", str(requests)]
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
