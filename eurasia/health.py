"""/healthz: whether this server process can reach its database, for load balancers and monitoring."""

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def replica_states():
    """Each read replica's state: the service still answers without them (reads go to the primary)."""
    states = {}
    for alias in settings.DATABASE_REPLICAS:
        replica = connections[alias]
        try:
            with replica.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            states[alias] = "ok"
        except DatabaseError:
            replica.close_if_unusable_or_obsolete()
            states[alias] = "unreachable"
    return states


@never_cache
@require_safe
def healthz(request):
    """200 when PostgreSQL answers a query, 503 (with the reason) when it does not; replicas are reported, not required."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # Let Django drop the broken connection at the end of the request and open a new one next time.
        connection.close_if_unusable_or_obsolete()
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(error).__name__}, status=503
        )
    body = {"status": "ok", "database": "ok"}
    if settings.DATABASE_REPLICAS:
        body["replicas"] = replica_states()
    return JsonResponse(body)
