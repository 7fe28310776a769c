"""Addresses of the "Suggest a correction" pages: /suggest/<kind>/<record>/ and /suggest/<kind>/<record>/<date>/."""

from django.urls import path

from . import views

app_name = "corrections"

# The public pages link here by name: {% url 'corrections:suggest' 'bloc' bloc.slug %}.
urlpatterns = [
    path("suggest/<slug:kind>/<str:key>/", views.suggest, name="suggest"),
    path("suggest/<slug:kind>/<str:key>/thanks/", views.thanks, name="thanks"),
    path("suggest/<slug:kind>/<str:key>/<slug:field>/", views.suggest, name="suggest-fact"),
]
