"""Read replicas: public reads go to a replica; writes, the admin and whoever just wrote stay on the primary.

`DATABASE_REPLICA_URLS` (see settings and docs/scaling.md) adds the aliases replica1..N. The
middleware decides, once per request, whether the request may read from a replica: only safe
methods outside the admin, from a browser that has not written in the last few seconds. The
router then sends that request's reads to one replica, chosen at random, and everything else
to the primary ("default"). A write in the middle of a request moves the rest of the request
to the primary and tells the browser, by a short-lived cookie, to stay there for a while, so
that nobody misses their own change because a replica lags behind.
"""

import random
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse

PRIMARY = "default"
PIN_COOKIE = "eurasia_primary"

# The alias this request reads from; None (outside requests: commands, the shell) means the primary.
_reads_from = ContextVar("eurasia_reads_from", default=None)
_wrote = ContextVar("eurasia_wrote", default=False)


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
        _reads_from.set(random.choice(replicas) if replicas and self.may_read_replica(request) else None)
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
