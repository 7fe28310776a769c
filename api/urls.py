"""The read API's addresses: its interactive documentation at /api/ and the API itself at /api/v1/."""

from django.urls import path

from .service import api, docs

urlpatterns = [
    path("api/", docs, name="api-docs"),
    path("api/v1/", api.urls),
]
