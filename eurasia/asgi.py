"""ASGI entry point."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurasia.settings")
application = get_asgi_application()
# As in eurasia/wsgi.py: what starting made is left out of the garbage collector's full collections.
gc.freeze()
