"""Public pages kept, rendered, until the records change: the same page for every reader, drawn once.

A page is stored under a key made of its address, today's date (pages say what holds today) and
the state of the records, read with one small query per request:

- the records' change counter, which a trigger on every record table moves on each write
  (blocs migration 0005), so a write inside the reader's own transaction gives a new key;
- the reader's transaction snapshot (`pg_current_snapshot()`), which changes whenever any other
  transaction commits, so a page drawn while a curator's save was still uncommitted is never
  served after it commits. Any commit moves it, so a curator's unrelated write (a session, say)
  also starts the pages afresh: correct, if sometimes more often than needed.

Each statement of the page then reads a snapshot at least as new as the key's, so a stored page
is never older than its key. The state is read from the database the page itself reads (a
replica, when there are replicas), so a replica's lag is the page's lag too.

Only complete, successful GET and HEAD answers are stored; errors, redirects and downloads pass
through. Each worker keeps its own pages in memory, the least recently served dropped first once
they pass settings.PAGE_CACHE_BYTES. They are kept as the bytes sent, not pickled as a shared
cache would need: a large page would otherwise cost more to unpickle than the rest of the request.
"""

import hashlib
import threading
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from eurasia.routers import read_connection

KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition", "Last-Modified")


class PageStore:
    """Pages by key, bounded by their total size in bytes; the least recently served go first."""

    def __init__(self):
        self.pages = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()  # runserver and threaded workers share one store

    def get(self, key):
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def set(self, key, content, headers):
        limit = settings.PAGE_CACHE_BYTES
        if len(content) > limit // 4:
            return  # one page must not push out most of the others
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self.pages[key] = (content, headers)
            self.size += len(content)
            while self.size > limit:
                _, (dropped, _) = self.pages.popitem(last=False)
                self.size -= len(dropped)

    def clear(self):
        with self.lock:
            self.pages.clear()
            self.size = 0


store = PageStore()


def records_state():
    """The records' change counter and this transaction's snapshot, as one string."""
    connection = read_connection()
    using = connection.alias
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called, pg_current_snapshot()::text FROM records_changes")
        counter, called, snapshot = cursor.fetchone()
    return f"{using}|{counter if called else 0}|{snapshot}"


def page_key(request, *parts):
    # Kept on the request for what the view keeps for the same state (the events' counts per year).
    request.records_state = records_state()
    raw = "|".join([request.records_state, timezone.localdate().isoformat(), *parts, request.get_full_path()])
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def serve_kept(key, draw, keep=lambda: True, cookies=()):
    """The page kept under `key`, or the one `draw()` answers, kept when it is a complete success.

    A page that sets a cookie is not kept, except for the `cookies` named, which the key covers.
    """
    kept = store.get(key)
    if kept is not None:
        content, headers = kept
        return HttpResponse(content, headers=headers)
    response = draw()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()  # a TemplateResponse, as the admin's
    if response.status_code == 200 and not response.streaming and set(response.cookies) <= set(cookies) and keep():
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        store.set(key, response.content, headers)
    return response


def cached_until_records_change(view):
    """Serve the view's page from the page cache until a record changes or the day turns."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        return serve_kept(page_key(request), lambda: view(request, *args, **kwargs))

    return wrapper
