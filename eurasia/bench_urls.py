"""The project's URLs plus the trivial view that benchmarks compare pages with; served only by `manage.py bench`."""

from django.http import HttpResponse
from django.urls import path

from eurasia.urls import urlpatterns as project_urlpatterns


def trivial(request):
    """The baseline: nothing but the project's middleware and a short response."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *project_urlpatterns]
