"""Who may see and do what: every public and admin address, for readers, analysts, curators and superusers.

Each row names an address and the status each role gets, in the order of ROLES. A new page is one
more row; `test_every_address_is_in_the_matrix` fails until it has one.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, resolve

from blocs.models import Reading, Source
from tests.claim_makers import dispute
from tests.conftest import exists, make_event, make_membership, make_source, make_staff

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "analyst", "curator", "superuser")
LOGIN = "login"  # a redirect to the admin's login page
ANYONE = (200, 200, 200, 200)

PUBLIC = [
    ("/healthz", *ANYONE),
    ("/data/", *ANYONE),
    ("/data/codebook/", *ANYONE),
    ("/data/memberships.csv", *ANYONE),
    ("/data/members.xlsx?date=2012-06-01", *ANYONE),
    ("/data/no-such-dataset.csv", 404, 404, 404, 404),
    ("/data/releases/", *ANYONE),
    ("/data/releases/{release.version}/", *ANYONE),
    ("/data/releases/2030.01/", 404, 404, 404, 404),
    ("/data/releases/{release.version}/no-such-file.csv", 404, 404, 404, 404),
    ("/data/releases/compare/", 400, 400, 400, 400),  # without the two releases to compare
    ("/cite/?url=/blocs/", *ANYONE),
    ("/cite/?url=/admin/", 400, 400, 400, 400),
    # The reader's pages: checked as soon as their addresses exist.
    ("/", *ANYONE),
    ("/blocs/", *ANYONE),
    ("/blocs/{bloc.slug}/", *ANYONE),
    ("/countries/", *ANYONE),
    ("/countries/{code}/", *ANYONE),
    ("/countries/{country.alpha3}/", 301, 301, 301, 301),  # upper case goes on to the one permalink
    ("/events/", *ANYONE),
    ("/events/{event.pk}/", *ANYONE),
    ("/disputes/?bloc={bloc.slug}", *ANYONE),
    ("/on/2012-06-01/", *ANYONE),
    ("/on/", 302, 302, 302, 302),  # the date picker goes on to the chosen day, today by default
    # Readers' corrections: the form needs no account.
    ("/suggest/bloc/{bloc.slug}/", *ANYONE),
    ("/suggest/country/{code}/", *ANYONE),
    ("/suggest/event/{event.pk}/", *ANYONE),
    ("/suggest/spell/{spell.pk}/start/", *ANYONE),
    ("/suggest/bloc/{bloc.slug}/thanks/", *ANYONE),
    ("/suggest/spell/{spell.pk}/founded/", 404, 404, 404, 404),  # a spell has no founding date
    # The read API and its documentation: the same for everyone.
    ("/api/", *ANYONE),
    ("/api/v1/", 404, 404, 404, 404),  # no index of its own: the schema and /api/ list the addresses
    ("/api/v1/openapi.json", *ANYONE),
    ("/api/v1/countries", *ANYONE),
    ("/api/v1/countries/{country.alpha3}", *ANYONE),
    ("/api/v1/blocs", *ANYONE),
    ("/api/v1/blocs/{bloc.slug}", *ANYONE),
    ("/api/v1/sources", *ANYONE),
    ("/api/v1/sources/no-such-source", 404, 404, 404, 404),
    ("/api/v1/memberships", *ANYONE),
    ("/api/v1/events", *ANYONE),
    ("/api/v1/members?date=2012-06-01", *ANYONE),
    ("/api/v1/country-year?from=2010&to=2012", *ANYONE),
    ("/api/v1/dyad-year?from=2010&to=2012", *ANYONE),
    ("/api/v1/claims", *ANYONE),
    ("/api/v1/readings", *ANYONE),
    ("/api/v1/readings/no-such-reading", 404, 404, 404, 404),
    ("/api/v1/releases", *ANYONE),
    ("/api/v1/releases/{release.version}", *ANYONE),
    ("/api/v1/releases/2030.01", 404, 404, 404, 404),
    ("/api/v1/releases/{release.version}/no-such-dataset", 404, 404, 404, 404),
]

SITE = [
    ("/admin/", LOGIN, 200, 200, 200),
    ("/admin/login/", 200, 302, 302, 302),  # staff already logged in go on to the index
    ("/admin/blocs/", LOGIN, 200, 200, 200),
    ("/admin/events/", LOGIN, 200, 200, 200),
    ("/admin/auth/", LOGIN, 404, 404, 200),  # an app one may not see does not exist
    ("/admin/password_change/", LOGIN, 200, 200, 200),
    ("/admin/password_change/done/", LOGIN, 200, 200, 200),
    ("/admin/jsi18n/", LOGIN, 200, 200, 200),
    ("/admin/autocomplete/?app_label=blocs&model_name=membership&field_name=country&term=C", LOGIN, 200, 200, 200),
    ("/admin/autocomplete/?app_label=auth&model_name=user&field_name=groups", LOGIN, 403, 403, 200),
    ("/admin/logout/", 302, 405, 405, 405),
    # The quality checks are the curators' work list.
    ("/admin/quality/", LOGIN, 403, 200, 200),
    ("/admin/quality/unchecked-titles/", LOGIN, 403, 200, 200),
    (
        "/admin/quality/review/{event.pk}/",
        LOGIN,
        405,
        405,
        405,
    ),  # a POST; tests/test_admin_quality.py posts it  # a POST; readers are sent to the index (and on to log in)
]

# "View on site" from the admin: it leads to the reader's page, so it is checked once those exist.
SITE_TO_PAGES = [
    ("/admin/r/{ct}/{bloc.pk}/", LOGIN, 302, 302, 302),
]

# The pages every curated model has, addressed under /admin/<app>/<model>/.
CURATED_PAGES = [
    ("changelist", "", LOGIN, 200, 200, 200),
    ("add", "add/", LOGIN, 403, 200, 200),
    ("change", "{pk}/change/", LOGIN, 200, 200, 200),
    ("delete", "{pk}/delete/", LOGIN, 403, 200, 200),
    ("history", "{pk}/history/", LOGIN, 200, 200, 200),
    ("simple_history", "{pk}/history/{version}/", LOGIN, 200, 200, 200),
    ("compare", "{pk}/history/compare/?old={version}&new={version}", LOGIN, 200, 200, 200),
    ("import", "import/", LOGIN, 403, 200, 200),
    ("export", "export/", LOGIN, 200, 200, 200),
]
CURATED_MODELS = ["blocs.source", "blocs.country", "blocs.bloc", "blocs.membership", "events.event"]

# Claims and readings are curated too; claims have their "make preferred" step instead of spreadsheets.
# A claim is added on its record's form; "add" is refused to everyone on the claims' own pages.
CLAIM_PAGES = [
    ("changelist", "", LOGIN, 200, 200, 200),
    ("add", "add/", LOGIN, 403, 403, 403),
    *CURATED_PAGES[2:6],
    ("make_preferred", "{pk}/make-preferred/", LOGIN, 403, 200, 200),
]
READING_PAGES = CURATED_PAGES[:6]
CLAIM_MODELS = ["blocs.membershipclaim", "blocs.blocclaim", "events.eventclaim", "blocs.reading"]

# Users and groups are the superuser's alone.
ACCOUNT_PAGES = [
    ("changelist", "", LOGIN, 403, 403, 200),
    ("add", "add/", LOGIN, 403, 403, 200),
    ("change", "{pk}/change/", LOGIN, 403, 403, 200),
    ("delete", "{pk}/delete/", LOGIN, 403, 403, 200),
    ("history", "{pk}/history/", LOGIN, 403, 403, 200),
    ("password", "{pk}/password/", LOGIN, 403, 403, 200),
]
ACCOUNT_MODELS = ["auth.user", "auth.group"]

# Releases: published and withdrawn by those given "Can publish a release" (here the superuser), never deleted.
RELEASE_PAGES = [
    ("changelist", "", LOGIN, 403, 403, 200),
    ("add", "add/", LOGIN, 403, 403, 200),
    ("change", "{pk}/change/", LOGIN, 403, 403, 200),
    ("delete", "{pk}/delete/", LOGIN, 403, 403, 403),
    ("history", "{pk}/history/", LOGIN, 403, 403, 200),
]
RELEASE_MODELS = ["releases.release"]

# Readers' suggestions hold their e-mail addresses: Curators review them, Analysts do not see them.
SUGGESTION_PAGES = [
    ("changelist", "", LOGIN, 403, 302, 302),  # on to the pending ones
    ("changelist", "?status__exact=pending", LOGIN, 403, 200, 200),
    ("add", "add/", LOGIN, 403, 403, 403),
    ("change", "{pk}/change/", LOGIN, 403, 200, 200),
    ("delete", "{pk}/delete/", LOGIN, 403, 200, 200),
    ("history", "{pk}/history/", LOGIN, 403, 200, 200),
    ("simple_history", "{pk}/history/{version}/", LOGIN, 403, 200, 200),
]
SUGGESTION_MODELS = ["corrections.suggestion"]

# Background jobs: each is seen by its owner and superusers only (tests/test_jobs.py checks who sees which).
JOB_PAGES = ["page", "status", "cancel", "again", "download", "import_job"]
JOB_MODELS = ["jobs.job"]

# Writes by those who may not write: refused, and nothing stored.
REFUSED_WRITES = [
    ("/admin/blocs/source/add/", {"key": "planted", "title": "x"}, LOGIN, 403),
    ("/admin/quality/review/{event.pk}/", {}, LOGIN, 403),
    # Accepting would make a source of the suggestion's link.
    ("/admin/corrections/suggestion/{suggestion.pk}/change/", {"decision": "accept", "reason": "x"}, LOGIN, 403),
    ("/admin/blocs/source/{unused.pk}/change/", {"key": "planted", "title": "x"}, LOGIN, 403),
    ("/admin/blocs/source/{unused.pk}/delete/", {"post": "yes"}, LOGIN, 403),
    ("/admin/blocs/source/{unused.pk}/history/{unused_version}/", {"key": "planted"}, LOGIN, 403),
    ("/admin/blocs/source/process_import/", {"import_file_name": "x", "format": "0"}, LOGIN, 403),
    ("/admin/blocs/source/import/", {"format": "0"}, LOGIN, 403),
    ("/admin/auth/user/add/", {"username": "planted", "password1": "x" * 20, "password2": "x" * 20}, LOGIN, 403),
]


@pytest.fixture
def world():
    spell = make_membership(start="1994-04-20")
    event = make_event(blocs=[spell.bloc], countries=[spell.country])
    unused = make_source(key="unused")
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from releases.models import Release

    release = Release.objects.create(version="2026.11", published_at=timezone.now(), storage_prefix="2026.11/none")
    reading = Reading.objects.create(key="a-reading", name="A reading")
    claims = [
        dispute(record, field, "1990")[1]
        for record, field in [(spell, "start"), (spell.bloc, "founded"), (event, "date")]
    ]

    from corrections.models import Suggestion

    suggestion = Suggestion.objects.create(
        kind="spell", membership=spell, field="start", what="Wrong.", source_url="https://example.org/planted"
    )
    suggestion.set_proposed(None)
    return {
        "suggestion": suggestion,
        "release": release,
        "bloc": spell.bloc,
        "country": spell.country,
        "code": spell.country.alpha3.lower(),
        "spell": spell,
        "event": event,
        "unused": unused,
        "unused_version": unused.history.get().history_id,
        "source": make_source(key="cited"),
        "ct": ContentType.objects.get_for_model(spell.bloc).pk,
        "claims": [*claims, reading],
    }


def client_for(role):
    client = Client()
    if role == "analyst":
        client.force_login(make_staff("Analysts", "an-analyst"))
    elif role == "curator":
        client.force_login(make_staff("Curators", "a-curator"))
    elif role == "superuser":
        client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def model_rows(world):
    objects = {
        "blocs.source": world["source"],
        "blocs.country": world["country"],
        "blocs.bloc": world["bloc"],
        "blocs.membership": world["spell"],
        "events.event": world["event"],
    }
    rows = []
    for label in CURATED_MODELS:
        obj = objects[label]
        version = obj.history.first().history_id
        for _, suffix, *statuses in CURATED_PAGES:
            path = suffix.format(pk=obj.pk, version=version)
            rows.append((f"/admin/{label.replace('.', '/')}/{path}", *statuses))
    for label, obj in zip(CLAIM_MODELS, world["claims"], strict=True):
        version = obj.history.first().history_id
        for _kind, suffix, *statuses in READING_PAGES if label == "blocs.reading" else CLAIM_PAGES:
            rows.append((f"/admin/{label.replace('.', '/')}/{suffix.format(pk=obj.pk, version=version)}", *statuses))
    accounts = {"auth.user": User.objects.order_by("pk").first(), "auth.group": None}
    for label in ACCOUNT_MODELS:
        from django.contrib.auth.models import Group

        obj = accounts[label] or Group.objects.get(name="Analysts")
        for kind, suffix, *statuses in ACCOUNT_PAGES:
            if kind == "password" and label != "auth.user":
                continue
            rows.append((f"/admin/{label.replace('.', '/')}/{suffix.format(pk=obj.pk)}", *statuses))
    suggestion = world["suggestion"]
    for _, suffix, *statuses in SUGGESTION_PAGES:
        version = suggestion.history.first().history_id
        rows.append((f"/admin/corrections/suggestion/{suffix.format(pk=suggestion.pk, version=version)}", *statuses))
    for _, suffix, *statuses in RELEASE_PAGES:
        rows.append((f"/admin/releases/release/{suffix.format(pk=world['release'].pk)}", *statuses))
    return rows


def outcome(response):
    if response.status_code == 302 and response.headers["Location"].startswith("/admin/login/"):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_address_gives_each_role_what_it_may_see(role, world):
    client = client_for(role)
    column = ROLES.index(role) + 1
    rows = [(address.format(**world), *s) for address, *s in PUBLIC + SITE] + model_rows(world)
    if exists(f"/blocs/{world['bloc'].slug}/"):
        rows += [(address.format(**world), *s) for address, *s in SITE_TO_PAGES]
    checked, mismatches = 0, []
    for address, *statuses in rows:
        if not exists(address):
            continue  # a reader's page not built yet
        got = outcome(client.get(address))
        checked += 1
        if got != statuses[column - 1]:
            mismatches.append(f"{address}: expected {statuses[column - 1]}, got {got}")
    assert mismatches == []
    assert checked >= 60


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_writes_by_readers_and_analysts_are_refused_and_store_nothing(role, world):
    client = client_for(role)
    column = 2 if role == "anonymous" else 3
    before = {model: model.objects.count() for model in (Source, User)}
    mismatches = []
    for address, data, *statuses in REFUSED_WRITES:
        got = outcome(client.post(address.format(**world), data))
        if got != statuses[column - 2]:
            mismatches.append(f"POST {address}: expected {statuses[column - 2]}, got {got}")
    assert mismatches == []
    assert {model: model.objects.count() for model in (Source, User)} == before
    assert Source.objects.get(pk=world["unused"].pk).key == "unused"
    world["suggestion"].refresh_from_db()
    assert world["suggestion"].status == "pending"
    assert not User.objects.filter(username="planted").exists()


def test_every_address_is_in_the_matrix():
    """A page added without a row here fails this test: the matrix stays complete."""
    admin_kinds = {kind for kind, *_ in CURATED_PAGES} | {kind for kind, *_ in ACCOUNT_PAGES} | {"process_import"}
    admin_kinds |= set(JOB_PAGES) | {kind for kind, *_ in CLAIM_PAGES} | {kind for kind, *_ in SUGGESTION_PAGES}
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == set(CURATED_MODELS) | set(CLAIM_MODELS) | set(ACCOUNT_MODELS) | set(JOB_MODELS) | set(
        RELEASE_MODELS
    ) | set(SUGGESTION_MODELS)
    rows = PUBLIC + SITE + SITE_TO_PAGES
    covered = {resolve(a.split("?")[0].format(**PLACEHOLDERS)).view_name for a, *_ in rows if exists_fmt(a)}
    missing = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif p.name:
                name = f"{namespace}{p.name}"
                model_page = name.startswith("admin:") and any(
                    name.endswith(f"_{kind}") and name.count("_") >= 2 for kind in admin_kinds
                )
                if name not in covered and not model_page:
                    missing.append(name)

    walk(get_resolver().url_patterns)
    assert missing == []


class _Anything:
    pk = slug = alpha3 = 1


class _AnyRelease:
    version = "2026.11"


PLACEHOLDERS = {
    "bloc": _Anything,
    "country": _Anything,
    "event": _Anything,
    "spell": _Anything,
    "code": "abc",
    "ct": 1,
    "release": _AnyRelease,
}


def exists_fmt(address):
    try:
        return exists(address.format(**PLACEHOLDERS))
    except (NoReverseMatch, KeyError):
        return False
