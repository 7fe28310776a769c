"""/healthz: whether this server process can reach its database, for load balancers and monitoring."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """200 when PostgreSQL answers a query, 503 (with the reason) when it does not."""
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
    return JsonResponse({"status": "ok", "database": "ok"})
