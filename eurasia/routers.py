"""Read replicas: public reads go to a replica; writes, the admin and whoever just wrote stay on the primary.

`DATABASE_REPLICA_URLS` (see settings and docs/scaling.md) adds the aliases replica1..N. The
middleware decides, once per request, whether the request may read from a replica: only safe
methods outside the admin, from a browser that has not written in the last few seconds. The
router then sends that request's reads to one replica, chosen at random, and everything else
to the primary ("default"). A write in the middle of a request moves the rest of the request
to the primary and tells the browser, by a short-lived cookie, to stay there for a while, so
that nobody misses their own change because a replica lags behind.

A replica that cannot be reached is left out, by this process, for DATABASE_REPLICA_RETRY_SECONDS,
and its readers read from the primary: the check costs nothing more than Django's own health
check of the connection at the start of each request. A replica lost in the middle of a read
(stopped, restarted) has that read answered again from the primary, so readers see no error.
"""

import logging
import random
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from psycopg.errors import QueryCanceled

PRIMARY = "default"
PIN_COOKIE = "eurasia_primary"

# The alias this request reads from; None (outside requests: commands, the shell) means the primary.
_reads_from = ContextVar("eurasia_reads_from", default=None)
_wrote = ContextVar("eurasia_wrote", default=False)
# Replicas this process found unreachable, and when to try each again.
_down_until = {}
log = logging.getLogger(__name__)


def reachable(alias):
    """Whether the replica answers now; one that does not is left out for a while."""
    if _down_until.get(alias, 0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        mark_down(alias, error)
        return False
    _down_until.pop(alias, None)
    return True


def mark_down(alias, error):
    if alias not in _down_until:
        log.warning("replica %s unreachable, reading from the primary: %s", alias, error)
    _down_until[alias] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
    try:
        connections[alias].close()
    except DatabaseError:
        pass


def use_primary():
    _reads_from.set(None)


def read_connection():
    """The connection that raw SQL reads (COPY, server-side cursors) should use, as the router would choose."""
    return connections[ReplicaRouter().db_for_read(None)]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = _reads_from.get()
        # Inside a transaction we must read what that transaction wrote.
        if alias is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model, **hints):
        _reads_from.set(None)
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data: the replicas are copies of the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas receive the schema through replication, never by migrate.
        return db == PRIMARY


class ReplicaMiddleware:
    """Chooses where each request reads from; must come first, before anything reads the database."""

    SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replicas = settings.DATABASE_REPLICAS
        _wrote.set(False)
        _reads_from.set(self.choose(replicas) if replicas and self.may_read_replica(request) else None)
        response = self.get_response(request)
        if replicas and _wrote.get():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    @staticmethod
    def choose(replicas):
        """A replica that answers, at random; None (the primary) when none does."""
        for alias in random.sample(replicas, len(replicas)):
            if reachable(alias):
                return alias
        return None

    def process_exception(self, request, exception):
        """A read lost with its replica is answered again from the primary."""
        alias = _reads_from.get()
        if alias is None or _wrote.get() or not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        if isinstance(exception.__cause__, QueryCanceled):
            return None  # a statement too slow (eurasia/timeouts.py), not a replica lost
        mark_down(alias, exception)
        use_primary()
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        return response

    def may_read_replica(self, request):
        if request.method not in self.SAFE_METHODS or PIN_COOKIE in request.COOKIES:
            return False
        try:
            admin = reverse("admin:index")
        except NoReverseMatch:
            admin = None
        return not (admin and request.path.startswith(admin))


@receiver(request_finished)
def _back_to_primary(sender, **kwargs):
    # Fired when the response is closed, so a streamed download reads from the replica to its end;
    # whatever this thread does next outside a request reads from the primary.
    use_primary()
    _wrote.set(False)
