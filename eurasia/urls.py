"""Root URLs: the public history pages, the data downloads and the curators' admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Eurasia: curation"
admin.site.site_title = "Eurasia admin"
admin.site.index_title = "Blocs, memberships, events and sources"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("data/", include("blocs.datasets")),
    path("events/", include("events.urls")),
    path("", include("blocs.urls")),
]
