"""Background jobs: long work queued in PostgreSQL, run by a worker, followed on a page with its progress."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"
