"""Countries, blocs, the membership spells that join them, and the sources behind them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocsConfig(AppConfig):
    name = "blocs"
    verbose_name = _("Countries, blocs and memberships")

    def ready(self):
        from django.apps import apps as live_apps
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from eurasia.throttle import create_cache_table
        from eurasia.timestamps import read_timestamps_in_c

        from .roles import ensure_roles

        # The data migration creates the roles once; this keeps them after a database flush too.
        post_migrate.connect(lambda **kwargs: ensure_roles(live_apps), sender=self, weak=False)
        post_migrate.connect(create_cache_table, sender=self)
        # Every connection, the site's, the workers' and the commands': eurasia/timestamps.py.
        connection_created.connect(read_timestamps_in_c, weak=False)
