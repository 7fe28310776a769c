"""Public pages kept, rendered, until the records change: the same page for every reader, drawn once.

A page is stored under a key made of its address, today's date (pages say what holds today) and
the state of the records, read with one small query per request (blocs migration 0009):

- how many transactions that changed the records this reader can see. Each such transaction
  leaves one row in `records_writes` (a trigger on every record table), and whatever two readers
  see, one sees everything the other does: the same number means the same records. A write still
  uncommitted is not counted, so a page drawn while a curator's save was in flight is keyed on
  the state before it, and the commit gives a new key. Commits elsewhere (another database on
  the server, a session saved, a failed login counted) do not move it.
- inside a transaction that has itself written: its id and the records' change counter, which
  moves on each of its writes, so it sees its own changes at once and nobody else ever shares
  a page drawn from what it may yet roll back.

Each statement of the page then reads a snapshot at least as new as the key's, so a stored page
is never older than its key. The state is read from the database the page itself reads (a
replica, when there are replicas), so a replica's lag is the page's lag too.

Only complete, successful GET and HEAD answers are stored; errors, redirects and downloads pass
through. Pages go to the cache alias "pages" (settings.CACHES): each process's own memory by
default (`MemoryPages` below, bounded in bytes), or Redis shared by every worker of every app
server when PAGE_CACHE_URL names one, so that each page is drawn once per change for the whole
fleet. A page is stored as one bytes value, its headers and then its body; pages larger than a
quarter of settings.PAGE_CACHE_BYTES are never stored.
"""

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.http import HttpResponse
from django.utils import timezone
from redis.exceptions import RedisError

from eurasia.routers import read_connection

KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition", "Last-Modified")
STORE = "pages"
log = logging.getLogger(__name__)


class MemoryPages(BaseCache):
    """A cache backend in this process's memory for bytes values, bounded by their total size.

    Django's LocMemCache bounds the number of entries, not their size, and pickles every value;
    pages differ in size a thousandfold and are bytes already. The least recently served go first
    once the total passes OPTIONS["MAX_BYTES"]. Timeouts are ignored: a page's key already says
    when it stops being right.
    """

    def __init__(self, location, params):
        super().__init__(params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 64 * 1024 * 1024))
        self._pages = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # runserver and threaded workers share one store

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            value = self._pages.get(key)
            if value is None:
                return default
            self._pages.move_to_end(key)
            return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not isinstance(value, bytes):
            raise TypeError("MemoryPages keeps bytes only")
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            self._delete(key)
            self._pages[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key, version=version):
            return False
        self.set(key, value, timeout, version)
        return True

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self.has_key(key, version=version)

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            return key in self._pages

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            return self._delete(key)

    def _delete(self, key):
        old = self._pages.pop(key, None)
        if old is None:
            return False
        self._size -= len(old)
        return True

    def clear(self):
        with self._lock:
            self._pages.clear()
            self._size = 0


def store():
    return caches[STORE]


def pack(content, headers):
    """One bytes value: the kept headers as a line of JSON, then the body."""
    return json.dumps(headers).encode() + b"\n" + content


def unpack(value):
    head, _, content = value.partition(b"\n")
    return content, json.loads(head)


def records_state():
    """What the records look like to this reader, as one string (see the module's docstring)."""
    connection = read_connection()
    using = connection.alias
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT coalesce(sum(writes), 0) FROM records_writes), "
            "pg_current_xact_id_if_assigned()::text, (SELECT last_value FROM records_changes)"
        )
        writes, own, counter = cursor.fetchone()
    return f"{using}|{writes}" + (f"|{own}|{counter}" if own else "")


def kept_until_records_change(name, parts, compute, state=None):
    """A JSON value computed by `compute()`, kept in the page store until a record changes.

    `parts` (strings) name what the value depends on besides the records; `state` is the records'
    state when the caller has read it already. A store that is down costs the computing, never
    the answer.
    """
    raw = "|".join([state or records_state(), *parts])
    key = f"{name}:" + hashlib.sha256(raw.encode()).hexdigest()
    try:
        kept = store().get(key)
    except RedisError:
        kept = None
    if kept is not None:
        return json.loads(kept)
    value = compute()
    try:
        store().set(key, json.dumps(value).encode())
    except RedisError:
        pass
    return value


def page_key(request, *parts):
    # Kept on the request for what the view keeps for the same state (the events' counts per year).
    # An as-recorded page (public/as_recorded.py) brings its state, read before its views were made.
    request.records_state = getattr(request, "as_recorded_state", None) or records_state()
    raw = "|".join([request.records_state, timezone.localdate().isoformat(), *parts, request.get_full_path()])
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def serve_kept(key, draw, keep=lambda: True, cookies=()):
    """The page kept under `key`, or the one `draw()` answers, kept when it is a complete success.

    A page that sets a cookie is not kept, except for the `cookies` named, which the key covers.
    """
    try:
        kept = store().get(key)
    except RedisError as error:  # a shared store that is down costs the drawing, never the page
        log.warning("page store unavailable: %s", error)
        kept = None
    if kept is not None:
        content, headers = unpack(kept)
        return HttpResponse(content, headers=headers)
    response = draw()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()  # a TemplateResponse, as the admin's
    if response.status_code == 200 and not response.streaming and set(response.cookies) <= set(cookies) and keep():
        if len(response.content) <= settings.PAGE_CACHE_BYTES // 4:  # one page must not push out most others
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            try:
                store().set(key, pack(response.content, headers))
            except RedisError as error:
                log.warning("page store unavailable: %s", error)
    return response


def cached_until_records_change(view):
    """Serve the view's page from the page cache until a record changes or the day turns."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        return serve_kept(page_key(request), lambda: view(request, *args, **kwargs))

    return wrapper
