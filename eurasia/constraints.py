"""Turn a database constraint violation into the message a curator should read."""

from django.apps import apps
from django.db import DataError, IntegrityError, connection
from django.utils.translation import gettext


def constraint_message(error):
    """The violation message of the model constraint PostgreSQL names in `error`, or a plain fallback."""
    cause = getattr(error, "__cause__", None) or error
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name and name.endswith("_trigger"):
        # A deferred check written as a trigger words its own message for the curator.
        return diag.message_primary
    if name:
        for model in apps.get_models():
            for constraint in model._meta.constraints:
                if constraint.name == name:
                    return str(constraint.violation_error_message % {"name": name})
        if name.endswith("_key") or name.endswith("_uniq"):
            return gettext("A record with the same key already exists.")
        if name.endswith("_fk") or "fk_" in name:
            return gettext("It refers to a record that does not exist, or is still referred to by others.")
    if isinstance(error, DataError):
        return gettext("A value is not valid for the database (a date or number out of range, or text too long).")
    if isinstance(error, IntegrityError):
        return gettext("It would contradict the record already stored (a duplicate key or a broken link).")
    return str(error)


def check_deferred():
    """Run now the checks PostgreSQL defers to commit (such as a claim's tie to its record's date).

    A writer that reports problems itself (an import's preview, a load) calls this before it
    finishes, so that a refusal comes as an IntegrityError it can word, not at a commit out of its hands.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
