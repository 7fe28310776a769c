"""Shared makers and fixtures: small functions that build valid records, and logged-in staff."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_counter = iter(range(1, 10**9))


def d(text):
    return datetime.date.fromisoformat(text)


def make_source(**kw):
    n = next(_counter)
    kw.setdefault("key", f"source-{n}")
    kw.setdefault("title", f"Source {n}")
    return Source.objects.create(**kw)


def make_country(**kw):
    n = next(_counter)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    code = letters[n // 676 % 26] + letters[n // 26 % 26] + letters[n % 26]
    kw.setdefault("alpha3", "X" + code[1:])
    kw.setdefault("alpha2", code[1:])
    kw.setdefault("name", f"Country {code}")
    return Country.objects.create(**kw)


def make_bloc(**kw):
    n = next(_counter)
    kw.setdefault("slug", f"bloc-{n}")
    kw.setdefault("name", f"Bloc {n}")
    kw.setdefault("kind", "military_alliance")
    return Bloc.objects.create(**kw)


def make_membership(**kw):
    kw.setdefault("country", kw.get("country") or make_country())
    kw.setdefault("bloc", kw.get("bloc") or make_bloc())
    kw.setdefault("start", d("2000-01-01"))
    for name in ("start", "end", "suspension_start", "suspension_end"):
        if isinstance(kw.get(name), str):
            kw[name] = d(kw[name])
    return Membership.objects.create(**kw)


def make_event(**kw):
    kw.setdefault("date", d("2012-12-19"))
    kw.setdefault("title", f"Event {next(_counter)}")
    kw.setdefault("kind", "summit")
    blocs, countries, sources = kw.pop("blocs", []), kw.pop("countries", []), kw.pop("sources", [])
    event = Event.objects.create(**kw)
    event.blocs.set(blocs)
    event.countries.set(countries)
    event.sources.set(sources)
    return event


def make_staff(role, username=None):
    user = User.objects.create_user(username or role.lower(), password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users and never attack them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def curator(db):
    return make_staff("Curators")


@pytest.fixture
def analyst(db):
    return make_staff("Analysts")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def seed(db):
    """The project's seed dataset, loaded through the same command users run."""
    from django.core.management import call_command

    call_command("load_records", str(FIXTURES / "seed.json"), stdout=open("/dev/null", "w"))
