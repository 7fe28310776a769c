"""Dated events: summits, accessions, suspensions, withdrawals, exercises, crises."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
