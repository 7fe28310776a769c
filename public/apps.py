"""What readers and analysts see: the history pages, their charts and map, and the /data/ downloads."""

from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Public history pages and data"
