"""Releases: numbered, frozen copies of every /data/ dataset, written once and never altered.

A release's files live in the storage alias "releases" (settings.STORAGES) under the release's own
prefix; the rows here say what they are and their checksums. The database refuses to delete a
release or change its files (migration 0002), whatever the admin or a shell tries.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Calendar versions: the year and month of the release, and a correction number when a month has several.
VERSION_PATTERN = r"^[0-9]{4}\.(0[1-9]|1[0-2])(\.[1-9][0-9]{0,2})?$"
VERSION_RE = re.compile(VERSION_PATTERN)
VERSION_HELP = _("YYYY.MM for a release (2026.12), YYYY.MM.N for a correction in the same month (2026.12.1).")


def version_key(version):
    """The order of versions: 2026.12 < 2026.12.1 < 2026.12.2 < 2027.01."""
    year, month, *correction = version.split(".")
    return int(year), int(month), int(correction[0]) if correction else 0


def check_version(version):
    """Raise ValidationError, with a reader's explanation, unless `version` is a well-formed version."""
    if not isinstance(version, str) or not VERSION_RE.match(version) or not 1900 <= int(version[:4]) <= 9999:
        raise ValidationError(
            _("“%(version)s” is not a release version: give YYYY.MM (2026.12) or YYYY.MM.N (2026.12.1)."),
            code="bad_version",
            params={"version": str(version)[:40]},
        )


class ReleaseQuerySet(models.QuerySet):
    def listed(self):
        """The releases readers see in the list: every one not withdrawn, newest first."""
        return self.filter(withdrawn_at__isnull=True).order_by("-published_at")

    def with_size(self):
        return self.annotate(size=Sum("files__size"))


class Release(models.Model):
    version = models.CharField(
        max_length=12,
        unique=True,
        validators=[check_version],
        help_text=VERSION_HELP,
    )
    published_at = models.DateTimeField(
        help_text=_("When the release was published; its files hold the record as it stood then.")
    )
    # A curator who leaves keeps their releases; the release only forgets who made it.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who published it."),
    )
    notes = models.TextField(blank=True, help_text=_("What this release is, for its readers: what changed and why."))
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The release its changelog is measured against; empty for the first."),
    )
    change_counts = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Records added, removed and changed since the previous release, by kind of record."),
    )
    storage_prefix = models.CharField(
        max_length=100, unique=True, help_text=_("Where its files are kept in the releases storage.")
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When it was withdrawn; withdrawn releases leave the list but keep their page."),
    )
    withdrawal_reason = models.TextField(blank=True, help_text=_("Why it was withdrawn, shown on its page."))

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        permissions = [("publish_release", "Can publish a release")]
        constraints = [
            models.CheckConstraint(condition=Q(version__regex=VERSION_PATTERN), name="release_version_calendar"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="release_withdrawal_has_reason",
                violation_error_message=_("A withdrawal needs a reason."),
            ),
        ]

    def __str__(self):
        return self.version

    def get_absolute_url(self):
        return reverse("releases:release", args=[self.version])

    @property
    def withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def total_changes(self):
        return sum(sum(counts.values()) for counts in self.change_counts.values())

    def change_totals(self):
        """Records added, removed and changed since the previous release, over every kind."""
        totals = {"added": 0, "removed": 0, "changed": 0}
        for counts in self.change_counts.values():
            for what in totals:
                totals[what] += counts.get(what, 0)
        return totals


class ReleaseFile(models.Model):
    FORMATS = [
        ("csv", "CSV"),
        ("xlsx", "XLSX"),
        ("json", "JSON"),
        ("text", _("text")),
    ]

    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="files", help_text=_("The release the file belongs to.")
    )
    position = models.PositiveSmallIntegerField(help_text=_("The file's place in the release's list."))
    name = models.CharField(max_length=100, help_text=_("The file's name in the release, as its address ends."))
    format = models.CharField(max_length=4, choices=FORMATS, help_text=_("What sort of file it is."))
    dataset = models.CharField(
        max_length=40, blank=True, help_text=_("The /data/ dataset it freezes; empty for the descriptor and checksums.")
    )
    rows = models.PositiveIntegerField(null=True, blank=True, help_text=_("Its rows of data, for a table."))
    size = models.PositiveBigIntegerField(help_text=_("Its size in bytes."))
    sha256 = models.CharField(max_length=64, help_text=_("Its SHA-256 checksum, in hexadecimal."))
    storage_path = models.CharField(max_length=300, help_text=_("Where it is kept in the releases storage."))

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="releasefile_name_unique"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="releasefile_sha256_hex"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("releases:file", args=[self.release.version, self.name])
