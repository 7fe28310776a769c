"""Root URLs: the public history pages, the data downloads and releases, the read API and the curators' admin.

Pages for people come in English at their plain addresses and in Russian under /ru/
(docs/translation.md); the read API and the health check have one address each.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from eurasia.health import healthz
from eurasia.throttle import ThrottledAdminLoginForm

admin.site.site_header = _("Eurasia: curation")
admin.site.site_title = _("Eurasia admin")
admin.site.index_title = _("Blocs, memberships, events and sources")
admin.site.login_form = ThrottledAdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("api.urls")),
    *i18n_patterns(
        path("admin/quality/", include("events.quality_urls")),
        path("admin/", admin.site.urls),
        path("", include("releases.urls")),
        path("", include("corrections.urls")),
        path("", include("public.urls")),
        prefix_default_language=False,
    ),
]
