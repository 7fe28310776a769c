"""Releases made for tests: a folder of their own to publish into, a small record and an edit to it."""

import pytest

from blocs.models import Membership
from events.models import Event
from releases.publishing import publish

from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source


@pytest.fixture
def release_storage(settings, tmp_path):
    """Each test publishes into a folder of its own."""
    location = tmp_path / "releases"
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    return location


def stored_files(location):
    return sorted(str(p.relative_to(location)) for p in location.rglob("*") if p.is_file()) if location.exists() else []


def make_record():
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", founded=d("2002-10-07"))
    arm = make_country(alpha3="ARM", alpha2="AM", name="Armenia", cow_code=371)
    kaz = make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan", cow_code=705)
    tass1, tass2 = make_source(key="tass-1", title="TASS one"), make_source(key="tass-2", title="TASS two")
    make_membership(country=kaz, bloc=csto, start="2002-10-07").sources.set([tass1])
    arm_spell = make_membership(country=arm, bloc=csto, start="2002-10-07")
    summit = make_event(date=d("2012-06-28"), title="Summit in Moscow", blocs=[csto], countries=[arm], sources=[tass1])
    return {
        "csto": csto,
        "arm": arm,
        "kaz": kaz,
        "tass1": tass1,
        "tass2": tass2,
        "arm_spell": arm_spell,
        "summit": summit,
    }


def edit_record(record):
    """Armenia freezes its participation (citing tass-2), the summit is deleted, Uzbekistan is added."""
    spell = Membership.objects.get(pk=record["arm_spell"].pk)
    spell.suspension_start = d("2024-02-01")
    spell.suspension_kind = "self_declared"
    spell.save()
    spell.sources.set([record["tass2"]])
    Event.objects.filter(pk=record["summit"].pk).delete()
    make_country(alpha3="UZB", alpha2="UZ", name="Uzbekistan", cow_code=704)


@pytest.fixture
def two_releases(db):
    record = make_record()
    first = publish("2026.11", "The first release.")
    edit_record(record)
    second = publish("2026.12", "Armenia's freeze.")
    return first, second
