"""The public site's addresses: blocs, countries, the map of a date, events and the /data/ downloads."""

from django.urls import include, path

from . import date_views, disputes, downloads, event_views, timeline_views, views

bloc_pages = [
    path("", views.home, name="home"),
    path("blocs/", views.bloc_list, name="blocs"),
    path("blocs/<slug:slug>/", timeline_views.bloc_detail, name="bloc"),
    path("countries/", views.country_list, name="countries"),
    path("countries/<str:code>/", timeline_views.country_detail, name="country"),
    path("on/", date_views.on_date_picker, name="on-picker"),
    path("on/<str:day>/", date_views.on_date, name="on"),
    path("disputes/", disputes.dispute_list, name="disputes"),
]

event_pages = [
    path("", event_views.event_list, name="list"),
    path("<int:pk>/", event_views.event_detail, name="event"),
]

data_pages = [
    path("", downloads.index, name="index"),
    path("codebook/", downloads.codebook, name="codebook"),
    path("<slug:dataset>.<str:extension>", downloads.download, name="download"),
]

# The namespaces name what a reader finds there: "blocs:bloc", "events:list", "data:download".
urlpatterns = [
    path("data/", include((data_pages, "data"))),
    path("events/", include((event_pages, "events"))),
    path("", include((bloc_pages, "blocs"))),
]
