"""The project's URLs plus the trivial view that benchmarks compare pages with; served only by `manage.py bench`."""

from django.http import HttpResponse
from django.urls import path

from eurasia.urls import urlpatterns as project_urlpatterns


def trivial(request):
    """The baseline: nothing but the project's middleware and a short response."""
    return HttpResponse("ok", content_type="text/plain")


def signed_in(request):
    """What any page for a signed-in curator pays first: the session and the user, read from the database."""
    return HttpResponse("ok" if request.user.is_authenticated else "no", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("bench/signed-in/", signed_in, name="bench-signed-in"),
    *project_urlpatterns,
]
