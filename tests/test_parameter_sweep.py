"""Every URL pattern and the parameters of every page, filled with hostile values: never a server error."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event

pytestmark = pytest.mark.django_db

HOSTILE = ["9" * 4301, "99999999999999999999", "-1", "0", "abc", "1.5", "²", "ａ", "%2e%2e", "1e999"]
QUERY_HOSTILE = [*HOSTILE, "", " ", "kaz " * 3000, "-" * 5000, "2012-02-30", "9999-12-31", "0001-01-01"]
SAFE = "1"
# A path converter (<int:pk>) or a regex group, named or not (simple_history's ([^/]+)).
PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\((?:\?P<\w+>)?[^)]*\)")


def patterns(resolver=None, prefix=""):
    """(route with its parameters marked, names of the parameters) for every URL the site answers."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def filled(route, values):
    names = iter(values)
    return "/" + PARAMETER.sub(lambda m: next(names), route)


def real_id(route):
    """The id of a stored record of the admin page's model, so that its other parameters are reached."""
    from django.apps import apps

    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return SAFE
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return SAFE
    first = model.objects.order_by("pk").values_list("pk", flat=True).first()
    return SAFE if first is None else str(first)


def addresses():
    """Each route with each parameter in turn hostile and the others a stored record's id."""
    seen = set()
    for route in patterns():
        count = len(PARAMETER.findall(route))
        if count == 0:
            seen.add(filled(route, []))
            continue
        safe = real_id(route)
        for position in range(count):
            for value in HOSTILE:
                values = [value if i == position else safe for i in range(count)]
                seen.add(filled(route, values))
    return sorted(seen)


@pytest.fixture
def staff():
    user = User.objects.create_superuser("root", password="pw-for-tests-only")
    client = Client()
    client.force_login(user)
    return client


def no_server_error(client, address, **kwargs):
    response = client.get(address, **kwargs)
    # The answer's own words say which error it was (a statement timeout's 503 says so).
    said = b"" if response.streaming else response.content[:300]
    assert response.status_code < 500, (address[:200], said)
    if response.streaming:
        b"".join(response.streaming_content)


def test_every_url_pattern_with_hostile_parameters(seed, staff):
    found = addresses()
    assert len(found) > 100  # the walk did reach the admin's patterns
    for address in found:
        no_server_error(Client(), address)
        no_server_error(staff, address)


PUBLIC = ["/", "/blocs/", "/countries/", "/events/", "/on/", "/data/", "/data/events.csv", "/data/members.xlsx"]
PUBLIC_PARAMETERS = ["from", "to", "page", "date", "q", "bloc", "country", "kind", "year", "o", "sort"]


@pytest.mark.parametrize("page", PUBLIC)
def test_public_pages_and_downloads_with_hostile_query_strings(seed, page):
    client = Client()
    for name in PUBLIC_PARAMETERS:
        for value in QUERY_HOSTILE:
            no_server_error(client, page, data={name: value})


ADMIN_LISTS = [Source, Country, Bloc, Membership, Event]
ADMIN_PARAMETERS = ["q", "o", "p", "e", "all", "_to_field", "_popup", "status", "role", "kind", "bloc", "country"]
ADMIN_PARAMETERS += ["year", "place", "end_reason", "role__exact", "kind__exact", "id__gte", "start__gte"]


@pytest.mark.parametrize("model", ADMIN_LISTS, ids=lambda m: m.__name__)
def test_admin_lists_with_hostile_parameters(seed, staff, model):
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for name in ADMIN_PARAMETERS:
        for value in QUERY_HOSTILE:
            no_server_error(staff, changelist, data={name: value})


@pytest.mark.parametrize("model", ADMIN_LISTS, ids=lambda m: m.__name__)
def test_admin_forms_with_hostile_values_in_every_field(seed, staff, model):
    """Each field of the add form in turn holds a hostile value: a message, never a server error, nothing stored."""
    from tests.admin_forms import form_data

    add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    form = form_data(staff.get(add))
    before = model.objects.count()
    fields = [name for name in form if not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MAX_NUM_FORMS"))]
    fields = [name for name in fields if name != "csrfmiddlewaretoken"]
    for name in fields:
        for value in ["9" * 4301, "-1", "abc", "99999999999999999999", "\x00"]:
            response = staff.post(add, {**form, name: value})
            assert response.status_code < 500, (name, value[:20])
    assert model.objects.count() == before


@pytest.mark.parametrize("format_value", ["99", "abc", "-1", "9" * 4301, ""])
def test_admin_export_form_with_tampered_choices(seed, staff, format_value):
    export = reverse("admin:events_event_export")
    response = staff.post(export, {"format": format_value, "resource": "0"})
    assert response.status_code < 500
