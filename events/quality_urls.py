"""The quality pages' addresses, under /admin/quality/, behind the admin's login."""

from django.contrib import admin
from django.urls import path

from .quality_views import check_page, overview, review

app_name = "quality"
urlpatterns = [
    path("", admin.site.admin_view(overview), name="overview"),
    path("review/<int:pk>/", admin.site.admin_view(review), name="review"),
    path("<slug:slug>/", admin.site.admin_view(check_page), name="check"),
]
