"""The releases' addresses, under /data/releases/, and /cite/ for any page's citation."""

from django.urls import path

from . import views

app_name = "releases"
urlpatterns = [
    path("data/releases/", views.release_list, name="list"),
    path("data/releases/compare/", views.compare, name="compare"),
    path("data/releases/<str:version>/", views.release_detail, name="release"),
    path("data/releases/<str:version>/<str:name>", views.release_file, name="file"),
    path("cite/", views.cite, name="cite"),
]
