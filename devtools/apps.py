"""Development tooling: the synthetic world, benchmarks, the load generator and the map preprocessor.

Installed in local settings only and left out of the image: nothing in the product imports it.
"""

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "devtools"
    verbose_name = "Development tooling"
