"""Countries, blocs, the membership spells that join them, and the sources behind them."""

from django.apps import AppConfig


class BlocsConfig(AppConfig):
    name = "blocs"
    verbose_name = "Countries, blocs and memberships"
