"""Addresses of the public pages, reversed once per kind of page instead of once per link.

A bloc's page lists hundreds of countries and spells; reversing each link costs more than
drawing the chart. The address is the same as `get_absolute_url()` gives, with the key swapped in.
"""

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Stand-ins that each URL converter accepts and that cannot occur in a real address.
SLUG_MARK = "key-to-swap"
NUMBER_MARK = 987654321987654

_patterns = {}


def _pattern(name, mark):
    key = (name, get_urlconf(), get_script_prefix(), get_language())
    if key not in _patterns:
        _patterns[key] = reverse(name, args=[mark])
    return _patterns[key]


def url_for(obj):
    """The public page of a bloc, a country or an event."""
    from blocs.models import Bloc, Country
    from events.models import Event

    if isinstance(obj, Country):
        return _pattern("blocs:country", SLUG_MARK).replace(SLUG_MARK, obj.alpha3.lower())
    if isinstance(obj, Bloc):
        return _pattern("blocs:bloc", SLUG_MARK).replace(SLUG_MARK, obj.slug)
    if isinstance(obj, Event):
        return _pattern("events:event", NUMBER_MARK).replace(str(NUMBER_MARK), str(obj.pk))
    return obj.get_absolute_url()


def country_url(alpha3):
    return _pattern("blocs:country", SLUG_MARK).replace(SLUG_MARK, alpha3.lower())


def event_url(pk):
    return _pattern("events:event", NUMBER_MARK).replace(str(NUMBER_MARK), str(pk))
