"""Shared makers and fixtures: small functions that build valid records, and logged-in staff."""

import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.fields import AutoFieldMixin
from django.urls import Resolver404, resolve

from blocs.models import Bloc, Country, Membership, Source
from eurasia import page_cache
from events.models import Event

# Fixtures that modules of tests share, kept beside the makers they use.
pytest_plugins = ["tests.recorded_history", "tests.release_makers"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_counter = iter(range(1, 10**9))


def d(text):
    return datetime.date.fromisoformat(text)


def make_source(**kw):
    n = next(_counter)
    kw.setdefault("key", f"source-{n}")
    kw.setdefault("title", f"Source {n}")
    return Source.objects.create(**kw)


def make_country(**kw):
    n = next(_counter)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    code = letters[n // 676 % 26] + letters[n // 26 % 26] + letters[n % 26]
    kw.setdefault("alpha3", "X" + code[1:])
    kw.setdefault("alpha2", code[1:])
    kw.setdefault("name", f"Country {code}")
    return Country.objects.create(**kw)


def make_bloc(**kw):
    n = next(_counter)
    kw.setdefault("slug", f"bloc-{n}")
    kw.setdefault("name", f"Bloc {n}")
    kw.setdefault("kind", "military_alliance")
    return Bloc.objects.create(**kw)


def make_membership(**kw):
    kw.setdefault("country", kw.get("country") or make_country())
    kw.setdefault("bloc", kw.get("bloc") or make_bloc())
    kw.setdefault("start", d("2000-01-01"))
    for name in ("start", "end", "suspension_start", "suspension_end"):
        if isinstance(kw.get(name), str):
            kw[name] = d(kw[name])
    return Membership.objects.create(**kw)


def make_event(**kw):
    kw.setdefault("date", d("2012-12-19"))
    kw.setdefault("title", f"Event {next(_counter)}")
    kw.setdefault("kind", "summit")
    blocs, countries, sources = kw.pop("blocs", []), kw.pop("countries", []), kw.pop("sources", [])
    event = Event.objects.create(**kw)
    event.blocs.set(blocs)
    event.countries.set(countries)
    event.sources.set(sources)
    return event


def make_staff(role, username=None):
    user = User.objects.create_user(username or role.lower(), password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def exists(address):
    """Whether the project routes `address` (its path, without the query string)."""
    try:
        resolve(address.split("?")[0])
    except Resolver404:
        return False
    return True


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users and never attack them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_page_cache():
    # Each test draws its pages afresh, so that pinned query counts count the drawing, and
    # computes afresh what pages keep beside them (the events' counts per year).
    page_cache.store().clear()
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    # The API counts requests per address in the process's memory: each test starts with none.
    from api.middleware import local_counts

    local_counts.clear()


@pytest.fixture
def curator(db):
    return make_staff("Curators")


@pytest.fixture
def analyst(db):
    return make_staff("Analysts")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def _record_tables():
    """(table, serial primary-key column or None) of every table the blocs and events apps own.

    Tables the database keeps from the others (a `from_record_sql`) are left out: their triggers
    fill them again as the others are restored.
    """
    return [
        (model._meta.db_table, model._meta.pk.column if isinstance(model._meta.pk, AutoFieldMixin) else None)
        for label in ("blocs", "events")
        for model in django_apps.get_app_config(label).get_models(include_auto_created=True)
        if not hasattr(model, "from_record_sql")
    ]


_seed_rows = {}  # table -> its rows after the seed was loaded, in COPY's text format


def _put_seed():
    """Load the seed: through load_records the first time, from the kept COPY afterwards."""
    # One transaction, so that foreign keys are checked once all tables are back, in any order.
    with transaction.atomic(), connection.cursor() as cursor:
        if not _seed_rows:
            call_command("load_records", str(FIXTURES / "seed.json"), stdout=io.StringIO())
            for table, _ in _record_tables():
                with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    _seed_rows[table] = b"".join(bytes(chunk) for chunk in copy)
            return
        for table, pk in _record_tables():
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(_seed_rows[table])
            if pk is None:
                continue
            # Later inserts must not collide with the restored ids.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST((SELECT max({pk}) FROM {table}), 1))",
                [table, pk],
            )


@pytest.fixture
def seed(db):
    """The project's seed dataset, loaded through the same command users run.

    The first test loads it with load_records (seconds) and keeps a COPY of every table; later
    tests restore that copy (milliseconds). Each test's transaction still rolls it all back.
    """
    _put_seed()


@pytest.fixture(scope="module")
def _seeded_module(django_db_setup, django_db_blocker):
    """The seed committed for a whole module, for read-only tests that need another process
    (a live server) to see it; cleared when the module ends."""
    with django_db_blocker.unblock():
        _put_seed()
    yield
    with django_db_blocker.unblock():
        _clear_records()


def _clear_records():
    """Empty every table of the blocs and events apps (committed data of module-wide fixtures)."""
    with connection.cursor() as cursor:
        tables = ", ".join(table for table, _ in _record_tables())
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The page tests' shared record (tests/pages_world.py), made once per module; a module may define its own."""
    from .pages_world import shared_world

    yield from shared_world(django_db_blocker)


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's default language.

    A request to a /ru/ page leaves Russian active in the thread that served it (the locale
    middleware activates a language and never puts it back), and `reverse()` would then give
    the next test /ru/ addresses.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def worker(transactional_db, settings):
    """Start `manage.py db_worker` processes against the test database; they are stopped after the test."""
    import subprocess
    import sys

    from .servers import ROOT, database_url, local_env, stop

    env = local_env(
        DATABASE_URL=database_url(connection.settings_dict),
        JOB_HEARTBEAT_SECONDS="0.2",
        BACKGROUND_IMPORT_ROWS="100",
    )
    processes = []

    def start():
        args = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.1"]
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process, timeout=10)
