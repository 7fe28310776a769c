"""Settings for the benchmark server: the project's own, plus the trivial baseline view's URL."""

from eurasia.settings import *  # noqa: F403

ROOT_URLCONF = "devtools.bench_urls"
DEBUG = False
