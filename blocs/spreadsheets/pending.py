"""Uploaded spreadsheets between the import preview and its confirmation: owned, claimed once, expiring.

A model of the blocs app (blocs.models imports it, so Django and migrations see it there).
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext


class ImportFileQuerySet(models.QuerySet):
    def expired(self):
        return self.filter(created_at__lt=timezone.now() - ImportFile.MAX_AGE)

    def claim(self, name, user, model):
        """The pending file `name`, locked and deleted in the caller's transaction, or ImportFile.Unavailable.

        Two confirmations of one preview (a double click, two tabs) meet at the lock: the second waits
        for the first to finish, then finds nothing, so the file is imported once.
        """
        pending = self.select_for_update().filter(name=name).first()
        if pending is None:
            raise ImportFile.Unavailable(
                gettext(
                    "This file is no longer waiting to be imported: it was already imported (or refused) by an "
                    "earlier confirmation, or its preview was cancelled or expired. Check the list before "
                    "uploading it again."
                )
            )
        if pending.user_id != user.pk:
            raise ImportFile.Unavailable(
                gettext(
                    "This preview belongs to %(user)s: only the curator who uploaded a file "
                    "can confirm or cancel its import."
                )
                % {"user": pending.user.get_username()}
            )
        if pending.model != model:
            raise ImportFile.Unavailable(gettext("This file was previewed for another list: confirm it there."))
        pending.delete()
        return pending


class ImportFile(models.Model):
    """An uploaded spreadsheet between the import preview and its confirmation.

    Kept in the database, not on one server's disk, so that the confirmation may reach any server.
    A preview belongs to the curator who made it; it is confirmed once, cancelled, or expires.
    """

    MAX_AGE = datetime.timedelta(days=1)

    class Unavailable(Exception):
        """The confirmation cannot use this file; the text says why."""

    name = models.CharField(max_length=64, primary_key=True, help_text="Random name the confirmation form refers to.")
    # A preview is of no use without the curator who made it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_imports",
        help_text="The curator who uploaded the file; only they can confirm or cancel it.",
    )
    model = models.CharField(max_length=100, help_text="The list it was previewed for, as app_label.model_name.")
    file_format = models.CharField(max_length=10, help_text="The format it was read as: csv or xlsx.")
    original_name = models.CharField(max_length=255, blank=True, help_text="The file's name on the curator's computer.")
    data = models.BinaryField(help_text="The file's bytes, exactly as uploaded.")
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When it was uploaded; files older than a day are removed."
    )

    objects = ImportFileQuerySet.as_manager()

    def __str__(self):
        return self.name

    def has_expired(self):
        return self.created_at < timezone.now() - self.MAX_AGE
