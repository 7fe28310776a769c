"""HTTP for the read API under /api/v1/: a rate limit per address, conditional requests, caching and CORS.

Validators come from the records' change counter (blocs migration 0005), the same counter the
page cache keys on: the ETag names the counter's value and Last-Modified the last change. The
counter moves when a write's statement ends, before it commits, so a request that reads it while a
write to the records is still open (a curator's save, an import) is answered without validators
and cannot be revalidated against data it never saw. The snapshot the page cache also keys on is
left out: any commit moves it, and every API request commits its own rate-limit count.
"""

import math
import time

from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from eurasia.routers import PRIMARY, read_connection
from eurasia.throttle import client_address

from .models import RateWindow
from .problems import PROBLEM_TYPE, problem_response

PREFIX = "/api/v1/"
# Raise it (API_REVISION in settings) when the answers change shape, so that no client keeps an old one.
REVISION = "1"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Retry-After",
}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


def _limits():
    return {"requests": 600, "window": 60} | getattr(settings, "API_RATE_LIMIT", {})


def count_request(address):
    """Count one request of `address` in one atomic statement: (requests in this window, seconds left)."""
    limits = _limits()
    now = time.time()
    window = int(now // limits["window"])
    table = connections[PRIMARY].ops.quote_name(RateWindow._meta.db_table)
    # One INSERT ... ON CONFLICT: parallel requests of one address each see their own count.
    sql = f"""INSERT INTO {table} (address, "window", hits) VALUES (%s, %s, 1)
        ON CONFLICT (address) DO UPDATE SET
          hits = CASE WHEN {table}."window" = EXCLUDED."window" THEN {table}.hits + 1 ELSE 1 END,
          "window" = EXCLUDED."window"
        RETURNING hits"""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(sql, [address, window])
        hits = cursor.fetchone()[0]
    return hits, (window + 1) * limits["window"] - now


def record_tables():
    from events.models import Event

    from .views import RECORD_MODELS

    return [m._meta.db_table for m in RECORD_MODELS] + [Event.memberships.through._meta.db_table]


_STATE_SQL = """SELECT last_value, is_called, EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation = ANY(%s::text[]::regclass[]) AND pid <> pg_backend_pid()
      AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'))
FROM records_changes"""
_last_modified = {}


def records_version():
    """The records' change counter, or None while a write to them is open or the reads go to a replica."""
    connection = read_connection()
    if connection.alias != PRIMARY:
        return None  # a replica shows neither the primary's open writes nor an exact counter
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, [record_tables()])
        counter, called, writing = cursor.fetchone()
    return None if writing else (counter if called else 0)


def last_modified(version):
    """When the records last changed, read once per change of the counter in each process."""
    if version not in _last_modified:
        from public.datasets import data_facts

        _last_modified.clear()
        _last_modified[version] = data_facts()[0]
    return _last_modified[version]


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        response = self.answer(request)
        if response.status_code == 404 and response.get("Content-Type") != PROBLEM_TYPE:
            response = problem_response(404, "Not found", "No such address in the API: see /api/v1/openapi.json.")
        for name, value in CORS.items():
            response.headers.setdefault(name, value)
        return response

    def answer(self, request):
        if request.method == "OPTIONS":
            return HttpResponse(status=204, headers=PREFLIGHT)
        if request.method != "GET":
            return problem_response(
                405, "Method not allowed", "The API is read-only: use GET.", headers={"Allow": "GET, OPTIONS"}
            )
        hits, left = count_request(client_address(request))
        limit = _limits()["requests"]
        if hits > limit:
            wait = max(1, int(left + 0.999))
            detail = f"More than {limit} requests in {_limits()['window']} seconds from your address: wait {wait} s."
            return problem_response(429, "Too many requests", detail, headers={"Retry-After": str(wait)})
        version = records_version()
        if version is None:
            response = self.get_response(request)
            if response.status_code == 200:
                response["Cache-Control"] = "no-cache"
            return response
        etag = f'"{getattr(settings, "API_REVISION", REVISION)}-{version}"'
        modified = last_modified(version)
        # Whole seconds, as the header carries them: If-Modified-Since then compares equal.
        stamp = math.ceil(modified.timestamp()) if modified else None
        response = get_conditional_response(request, etag=etag, last_modified=stamp)
        if response is None:
            response = self.get_response(request)
            if response.status_code != 200:
                return response
        response["ETag"] = etag
        if stamp:
            response["Last-Modified"] = http_date(stamp)
        # Kept by any cache, but checked with the server each time: a 304 costs two small queries.
        response["Cache-Control"] = "public, no-cache"
        return response
