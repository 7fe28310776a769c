"""WSGI entry point, used by gunicorn in production."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurasia.settings")
application = get_wsgi_application()
# What starting made (modules, settings, URL patterns, models, translations: about 140,000
# objects) lives as long as the process. Frozen, it is left out of the cyclic garbage collector's
# full collections, which a large API page (thousands of new dictionaries) sets off every few
# requests: the cursor walk of every event moved about a third faster (docs/performance.md, "Read API").
gc.freeze()
