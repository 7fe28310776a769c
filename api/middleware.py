"""HTTP for the read API under /api/v1/: a rate limit per address, conditional requests, caching and CORS.

Validators come from the records' state, read with the one small query the page cache keys on
(eurasia/page_cache.py `records_state`): the number of committed transactions that wrote to the
records, as this reader sees them. The ETag names that state and Last-Modified the last change.
A write still open elsewhere is not counted, and every statement of the answer reads a snapshot
at least as new as the state, so an answer is never older than its ETag; a replica's state is its
own, lag included.

The rate limit counts requests per address and window without touching the database: in Redis
when the page store is shared (PAGE_CACHE_URL), where every worker of every app server counts
into one number with one INCR; otherwise in each worker process's memory, so that an address may
make up to the limit once per worker (docs/api.md, "Rate limit"). A Redis that stops answering
falls back to the worker's own count.
"""

import logging
import math
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.db import OperationalError
from django.db.models import Max
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from eurasia.page_cache import records_state
from eurasia.routers import use_primary
from eurasia.throttle import client_address
from eurasia.timeouts import query_canceled
from public import as_recorded

from .problems import PROBLEM_TYPE, problem_response, timed_out_problem

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
log = logging.getLogger(__name__)


def _limits():
    return {"requests": 600, "window": 60} | getattr(settings, "API_RATE_LIMIT", {})


class LocalCounts:
    """Requests per address in the current window, in this process; forgotten when the window turns."""

    def __init__(self):
        self.lock = threading.Lock()  # threaded workers share the counts
        self.window, self.hits = None, {}

    def count(self, window, address):
        with self.lock:
            if window != self.window:
                self.window, self.hits = window, {}
            hits = self.hits[address] = self.hits.get(address, 0) + 1
            return hits

    def clear(self):
        with self.lock:
            self.window, self.hits = None, {}


local_counts = LocalCounts()


@lru_cache(maxsize=1)
def _shared(url):
    # The page store's Redis, with its short timeouts (settings.CACHES["pages"]).
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def count_request(address):
    """Count one request of `address`: (requests in this window, seconds left in it)."""
    limits = _limits()
    now = time.time()
    length = limits["window"]
    window = (length, int(now // length))
    left = (window[1] + 1) * length - now
    if settings.PAGE_CACHE_URL:
        key = f"eurasia:api-rate:{length}:{window[1]}:{address}"
        try:
            # INCR is atomic: parallel requests of one address each see their own count.
            hits, _ = (
                _shared(settings.PAGE_CACHE_URL).pipeline(transaction=False).incr(key).expire(key, length).execute()
            )
            return hits, left
        except redis.RedisError as error:
            log.warning("rate-limit store unavailable, counting in this worker: %s", error)
    return local_counts.count(window, address), left


_last_modified = {}


def records_version():
    """The records' state as this reader sees them, as ETag text (one query)."""
    return records_state().partition("|")[2].replace("|", ".")


def last_modified(version):
    """When the records last changed, read once per change of their state in each process."""
    if version not in _last_modified:
        from public.datasets import data_facts
        from releases.models import Release

        # A release's publishing or withdrawal changes the state, and the releases' answers, too.
        moments = Release.objects.aggregate(published=Max("published_at"), withdrawn=Max("withdrawn_at"))
        _last_modified.clear()
        _last_modified[version] = max([m for m in (data_facts()[0], *moments.values()) if m], default=None)
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
        if request.GET.get(as_recorded.PARAMETER):
            return self.as_recorded(request, request.GET[as_recorded.PARAMETER])
        version = records_version()
        etag = f'"{getattr(settings, "API_REVISION", REVISION)}-{version}"'
        stamp = _stamp(last_modified(version))
        response = get_conditional_response(request, etag=etag, last_modified=stamp)
        if response is None:
            response = self.get_response(request)
        return validated(response, etag, stamp)

    def as_recorded(self, request, raw):
        """The answer over the record as it stood at ?as_recorded=, read as public pages read it (public/as_recorded.py).

        The ETag names the moment and the records' state now (a change may still reach a moment
        of today); Last-Modified is the last change recorded before the moment.
        """
        try:
            until, words = as_recorded.parse_moment(raw)
        except as_recorded.BadMoment as error:
            return problem_response(400, "Bad parameter", f"?as_recorded=: {error}", as_recorded.PARAMETER)
        use_primary()  # the views are temporary, in a transaction of the primary's
        etag = f'"{getattr(settings, "API_REVISION", REVISION)}-{records_version()}-at-{until.isoformat()}"'
        if request.headers.get("If-None-Match"):
            response = get_conditional_response(request, etag=etag)
            if response is not None:
                return validated(response, etag, None)
        schema, first, since = as_recorded.first_change(until)
        missing = as_recorded.not_yet_recorded(first, until, words)
        if missing:
            return problem_response(404, "Not yet recorded", missing)
        request.api_as_recorded = until
        try:
            block = as_recorded.enter_moment(until, schema, since)
        except OperationalError as error:
            if query_canceled(error):
                return timed_out_problem()
            raise
        try:
            stamp = _stamp(changed_before(until))
            response = get_conditional_response(request, etag=etag, last_modified=stamp)
            if response is None:
                response = self.get_response(request)
        except BaseException as error:
            as_recorded.leave_moment(block, error)
            raise
        as_recorded.leave_moment(block)
        return validated(response, etag, stamp)


def _stamp(moment):
    # Whole seconds, as the header carries them: If-Modified-Since then compares equal.
    return math.ceil(moment.timestamp()) if moment else None


def changed_before(until):
    """When the record, or the list of releases, last changed before `until` (two queries, inside the moment's views)."""
    from releases.models import Release

    published = Release.objects.filter(published_at__lt=until).aggregate(last=Max("published_at"))["last"]
    return max([m for m in (as_recorded.last_change(), published) if m], default=None)


def validated(response, etag, stamp):
    """A successful answer (or a 304) with its validators; any other answer as it is."""
    if response.status_code not in (200, 304):
        return response
    response["ETag"] = etag
    if stamp:
        response["Last-Modified"] = http_date(stamp)
    # Kept by any cache, but checked with the server each time: a 304 costs one small query.
    response["Cache-Control"] = "public, no-cache"
    return response
