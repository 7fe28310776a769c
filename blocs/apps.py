"""Countries, blocs, the membership spells that join them, and the sources behind them."""

from django.apps import AppConfig


class BlocsConfig(AppConfig):
    name = "blocs"
    verbose_name = "Countries, blocs and memberships"

    def ready(self):
        from django.db.models.signals import post_migrate

        from eurasia.throttle import create_cache_table

        post_migrate.connect(create_cache_table, sender=self)
