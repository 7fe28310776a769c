"""A per-request limit on how long any one SQL statement may run, and a clear answer when it is reached.

No public or admin page may hold a database connection for long: a statement running past
settings.STATEMENT_TIMEOUT_SECONDS is cancelled by PostgreSQL, and the reader gets a 503 page that
says so. Downloads and imports (whose views are named in EXEMPT_VIEWS) run without the limit, as do
management commands and anything else outside a request (jobs run in their own worker process).

The setting costs a round trip, so it is made once per connection rather than once per request:
a persistent connection (CONN_MAX_AGE) keeps the value its last request wanted, and the next
request sets it again only when it wants another (a download after a page). A value set inside a
transaction is undone if the transaction rolls back, so there it is not remembered, and it is
reset when the request ends, as before.
"""

import re
from contextlib import ExitStack

from django.conf import settings
from django.db import OperationalError, connections
from django.shortcuts import render
from django.utils.translation import gettext

# URL names of views that read or write whole tables on purpose: /data/ downloads, admin exports
# and imports (django-import-export's names end so).
EXEMPT_VIEWS = re.compile(r"^(download|.*_(export|import|process_import))$")
SET_TIMEOUT = "SELECT set_config('statement_timeout', %s, false)"


def query_canceled(error):
    """Whether `error` is a statement the timeout stopped."""
    from psycopg import errors

    return isinstance(error, OperationalError) and isinstance(error.__cause__, errors.QueryCanceled)


def timed_out(request):
    """The 503 page of a request whose statement the timeout stopped."""
    message = gettext(
        "The database took longer than we allow for one page (%(seconds)s seconds) and the request "
        "was stopped. Narrow the list or search, or try again in a moment."
    ) % {"seconds": f"{settings.STATEMENT_TIMEOUT_SECONDS:g}"}
    return render(request, "503.html", {"message": message}, status=503)


def _remembered(connection):
    """The statement_timeout this process last set on the connection outside a transaction, if still open."""
    raw, value = getattr(connection, "_statement_timeout", (None, None))
    return value if raw is not None and raw is connection.connection else None


class StatementTimeoutMiddleware:
    """Sets statement_timeout on each connection the request uses, at its first statement, unless already so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = f"{int(settings.STATEMENT_TIMEOUT_SECONDS * 1000)}ms"
        request._statement_timeout = limit if settings.STATEMENT_TIMEOUT_SECONDS else "0"
        applied, in_transaction = {}, set()

        def wrapper(execute, sql, params, many, context):
            connection = context["connection"]
            wanted = request._statement_timeout
            if (applied.get(connection.alias) or _remembered(connection)) != wanted:
                # The driver's own cursor: the setting is no query of the page's, and not counted as one.
                context["cursor"].cursor.execute(SET_TIMEOUT, [wanted])
                applied[connection.alias] = wanted
                if connection.get_autocommit():
                    connection._statement_timeout = (connection.connection, wanted)
                else:  # a rollback would undo it: reset at the end, remember nothing
                    connection._statement_timeout = (None, None)
                    in_transaction.add(connection.alias)
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(wrapper))
            try:
                return self.get_response(request)
            finally:
                for alias in in_transaction:
                    self._reset(connections[alias])

    @staticmethod
    def _reset(connection):
        # Back to the server's default, whether the transaction commits or not.
        connection._statement_timeout = (None, None)
        if connection.connection is None:
            return
        try:
            with connection.connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        except Exception:
            connection.close_if_unusable_or_obsolete()

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and EXEMPT_VIEWS.match(match.url_name or ""):
            request._statement_timeout = "0"

    def process_exception(self, request, exception):
        return timed_out(request) if query_canceled(exception) else None
