"""The exchange format: every record as one JSON file, written and loaded whole."""

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Exchange format"
