"""Public pages about blocs and countries, and the as-of-a-date view."""

from django.urls import path

from . import views

app_name = "blocs"

urlpatterns = [
    path("", views.home, name="home"),
    path("blocs/", views.bloc_list, name="blocs"),
    path("blocs/<slug:slug>/", views.bloc_detail, name="bloc"),
    path("countries/", views.country_list, name="countries"),
    path("countries/<str:code>/", views.country_detail, name="country"),
    path("on/", views.on_date_picker, name="on-picker"),
    path("on/<str:day>/", views.on_date, name="on"),
]
