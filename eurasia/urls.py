"""Root URLs: the public history pages, the data downloads, the read API and the curators' admin."""

from django.contrib import admin
from django.urls import include, path

from eurasia.health import healthz
from eurasia.throttle import ThrottledAdminLoginForm

admin.site.site_header = "Eurasia: curation"
admin.site.site_title = "Eurasia admin"
admin.site.index_title = "Blocs, memberships, events and sources"
admin.site.login_form = ThrottledAdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("api.urls")),
    path("", include("public.urls")),
]
