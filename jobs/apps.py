"""Background jobs: long work queued in PostgreSQL, run by a worker, followed on a page with its progress."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")
