"""The seed dataset: it loads, loads again without duplicates, and says what the sources say."""

import json

import pytest
from django.core.management import call_command

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event
from exchange.records import dump

from .conftest import FIXTURES, d

pytestmark = pytest.mark.django_db


def members(slug, day):
    return {
        (m.country.alpha3, m.role, m.is_suspended)
        for m in Bloc.objects.get(slug=slug).memberships.active_on(d(day)).select_related("country")
    }


def full_members(slug, day):
    return sorted(code for code, role, _ in members(slug, day) if role == "member")


def test_seed_has_the_scope_of_the_fact_sheet(seed):
    assert Country.objects.count() == 11
    assert set(Bloc.objects.values_list("slug", flat=True)) >= {
        "cst",
        "csto",
        "csto-crrf",
        "eurasec",
        "cu-bkr",
        "ses",
        "eaeu",
        "cis",
        "nato",
    }
    assert Membership.objects.count() > 50
    assert Event.objects.count() > 70
    assert Source.objects.filter(key="stratfor-2012-12-05").exists()


def test_loading_twice_changes_nothing(seed):
    before = dump()
    counts = {}

    class Out:
        def write(self, text):
            kind, rest = text.split(":", 1)
            counts[kind] = rest.strip()

    call_command("load_records", str(FIXTURES / "seed.json"), stdout=Out())
    assert all(text.startswith("0 created, 0 changed") for text in counts.values()), counts
    assert dump() == before


def test_every_record_cites_a_source(seed):
    assert not Membership.objects.filter(sources__isnull=True).exists()
    assert not Event.objects.filter(sources__isnull=True).exists()


def test_csto_members_when_the_article_was_written(seed):
    # Stratfor, 5 December 2012: the six, and "until recently" Uzbekistan (its note of June 2012).
    assert full_members("csto", "2012-12-05") == ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
    assert ("UZB", "member", False) in members("csto", "2012-12-05")


def test_uzbekistan_is_suspended_not_gone_after_december_2012(seed):
    assert ("UZB", "member", True) in members("csto", "2012-12-19")
    assert ("UZB", "member", True) in members("csto", "2025-01-01")


def test_uzbekistan_has_two_spells_in_the_collective_security_system(seed):
    spells = Membership.objects.filter(country__alpha3="UZB", bloc__slug__in=["cst", "csto"]).order_by("start")
    assert [(m.bloc.slug, m.partial_date("start").iso, m.end and m.partial_date("end").iso) for m in spells] == [
        ("cst", "1992-05-15", "1999-04-20"),
        ("csto", "2006-08-16", None),
    ]


def test_armenias_freeze_is_self_declared(seed):
    spell = Membership.objects.get(country__alpha3="ARM", bloc__slug="csto")
    assert (spell.partial_date("suspension_start").iso, spell.suspension_kind) == ("2024-02-22", "self_declared")
    assert spell.end is None


def test_customs_union_when_the_article_was_written(seed):
    assert full_members("cu-bkr", "2012-12-05") == ["BLR", "KAZ", "RUS"]


def test_eaeu_after_kyrgyz_accession(seed):
    assert full_members("eaeu", "2015-08-06") == ["ARM", "BLR", "KAZ", "KGZ", "RUS"]
    assert ("KGZ", "candidate", False) in members("eaeu", "2015-08-05")


def test_moldova_became_an_eaeu_observer_in_2018_not_2017(seed):
    assert ("MDA", "observer", False) not in members("eaeu", "2017-04-14")
    assert ("MDA", "observer", False) in members("eaeu", "2018-05-14")


def test_eurasec_ended_with_its_termination(seed):
    assert members("eurasec", "2015-01-01") == set()
    assert full_members("eurasec", "2014-12-31") == ["BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"]


def test_georgia_left_the_cis(seed):
    spell = Membership.objects.get(country__alpha3="GEO", bloc__slug="cis")
    assert (spell.partial_date("start").iso, spell.partial_date("end").iso, spell.end_reason) == (
        "1993-12",
        "2009-08-18",
        "withdrawal",
    )


def test_the_articles_wrong_year_is_corrected_and_noted(seed):
    osh = Event.objects.get(date=d("2010-06-10"))
    assert "2011" in osh.notes
    assert osh.sources.filter(key="stratfor-2012-12-05").exists()


def test_successions_are_recorded(seed):
    eaeu = Bloc.objects.get(slug="eaeu")
    assert sorted(eaeu.predecessors.values_list("slug", flat=True)) == ["cu-bkr", "eurasec", "ses"]
    assert Bloc.objects.get(slug="csto-crrf").parent.slug == "csto"


def test_seed_file_is_what_dump_writes_back(seed):
    # Every field of the file survives a load and dump, so curators' exports can be diffed with it.
    with open(FIXTURES / "seed.json", encoding="utf-8") as f:
        original = json.load(f)
    dumped = dump()
    assert len(dumped["memberships"]) == len(original["memberships"])
    assert len(dumped["events"]) == len(original["events"])
    assert {s["key"] for s in dumped["sources"]} == {s["key"] for s in original["sources"]}
