"""Public pages about events: the filterable list and one event."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("<int:pk>/", views.event_detail, name="event"),
]
