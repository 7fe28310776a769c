"""The fact sheet's disputes are claims in the seed; the exchange format carries them; loads never undo a curator."""

import io
import json

import pytest
from django.core.management import call_command

from blocs.models import Bloc, BlocClaim, Membership, MembershipClaim, Rank, Reading
from events.models import Event, EventClaim
from exchange.dumping import dump
from exchange.records import LoadError, load
from exchange.reloading import KEEP

from .conftest import FIXTURES, d, make_membership, make_source, make_staff

pytestmark = pytest.mark.django_db


def uzbekistan_in_the_csto():
    return Membership.objects.get(country__alpha3="UZB", bloc__slug="csto")


def claims_of(record, field):
    return {(c.partial_value.iso if c.value else None, c.rank) for c in record.claims.filter(field=field)}


def test_the_fact_sheets_disputes_are_claims(seed):
    spell = uzbekistan_in_the_csto()
    assert claims_of(spell, "start") == {
        ("2006-08-16", Rank.PREFERRED),
        ("2006-06-23", Rank.ALTERNATIVE),
        ("2006-12-13", Rank.ALTERNATIVE),
        ("2008-03-28", Rank.ALTERNATIVE),
        ("2008", Rank.DEPRECATED),
    }
    assert claims_of(spell, "suspension_start") == {
        ("2012-12-19", Rank.PREFERRED),
        ("2012-06-20", Rank.ALTERNATIVE),
        ("2012-06-28", Rank.ALTERNATIVE),
    }
    assert (None, Rank.PREFERRED) in claims_of(spell, "end")
    assert claims_of(Bloc.objects.get(slug="eurasec"), "dissolved") == {
        ("2015-01-01", Rank.PREFERRED),
        ("2014-10-10", Rank.ALTERNATIVE),
    }
    osh = Event.objects.get(date=d("2010-06-10"), title__contains="Osh")
    assert claims_of(osh, "date") == {
        ("2010-06-10", Rank.PREFERRED),
        ("2010-06-11", Rank.ALTERNATIVE),
        ("2011-06", Rank.DEPRECATED),
    }
    assert osh.claims.get(rank=Rank.DEPRECATED).reading.key == "founding-article"
    # D1-D16, D19, D20, D25 and D200 name a seeded record's date; D17 has no record, and D18, D21-D24
    # dispute no date.
    disputed = (
        MembershipClaim.objects.values("membership").distinct().count()
        + BlocClaim.objects.values("bloc").distinct().count()
        + EventClaim.objects.values("event").distinct().count()
    )
    assert disputed == 23


def test_every_preferred_claim_is_the_stored_date_and_every_claim_has_a_source(seed):
    for model in (MembershipClaim, BlocClaim, EventClaim):
        for claim in model.objects.prefetch_related("sources"):
            assert claim.sources.all(), claim
            if claim.rank == Rank.PREFERRED:
                assert claim.matches_record(), claim


def test_notes_no_longer_restate_the_disputes(seed):
    assert "formally joined in 2008" not in uzbekistan_in_the_csto().notes
    assert "Uzbekistan never signed the CRRF agreement." in uzbekistan_in_the_csto().notes


def test_the_readings_are_in_the_seed(seed):
    assert set(Reading.objects.values_list("name", flat=True)) == {
        "ATOP v4.01",
        "COW IGO v3",
        "The founding article",
        "The bloc's official record",
    }


def test_dump_writes_the_claims_as_the_seed_has_them(seed):
    original = json.loads((FIXTURES / "seed.json").read_text())
    dumped = dump()
    assert dumped["readings"] == original["readings"]
    keys = {
        "blocs": lambda row: row["slug"],
        "memberships": lambda row: (row["country"], row["bloc"], row["start"]),
        "events": lambda row: (row["date"], row["title"]),
    }
    for kind, key in keys.items():
        written = {key(row): row.get("claims") for row in dumped[kind]}
        assert written == {key(row): row.get("claims") for row in original[kind]}


def curators_choice():
    """A curator makes the day the termination was signed EurAsEC's dissolution."""
    eurasec = Bloc.objects.get(slug="eurasec")
    eurasec.claims.get(value=d("2014-10-10")).make_preferred(make_staff("Curators"), "The signing ended it.")


def test_a_curators_choice_survives_the_seed_and_an_add_only_load(seed):
    curators_choice()
    call_command("seed", stdout=io.StringIO())
    load(json.loads((FIXTURES / "seed.json").read_text()), existing=KEEP)
    eurasec = Bloc.objects.get(slug="eurasec")
    assert eurasec.dissolved == d("2014-10-10")
    assert eurasec.claims.get(rank=Rank.PREFERRED, field="dissolved").value == d("2014-10-10")


def test_a_load_over_a_curators_choice_refuses_and_says_where(seed):
    curators_choice()
    with pytest.raises(LoadError) as refused:
        load(json.loads((FIXTURES / "seed.json").read_text()))
    assert any('"eurasec"' in line for line in refused.value.problems), refused.value.problems
    assert Bloc.objects.get(slug="eurasec").dissolved == d("2014-10-10")


class TestBadClaimsInAFile:
    def file(self, claims):
        source = make_source(key="a-source")
        spell = make_membership(start="2006-08-16")
        data = dump()
        data["memberships"][0]["claims"] = claims
        spell.delete()
        source.delete()
        data["sources"] = [{"key": "a-source"}]
        return data

    @pytest.mark.parametrize(
        "claims, problem",
        [
            (
                [{"field": "start", "value": "2006-06-23", "rank": "preferred", "sources": ["a-source"]}],
                "the preferred claim for the start differs from the record's start",
            ),
            (
                [{"field": "start", "value": "2006-08-16", "rank": "alternative", "sources": ["a-source"]}],
                "the start has claims, and exactly one of them must be preferred",
            ),
            ([{"field": "start", "value": "2006-08-16", "rank": "preferred", "sources": []}], "cites at least one"),
            ([{"field": "start", "value": "2006-08-16", "rank": "best", "sources": ["a-source"]}], "rank must be"),
            ([{"field": "colour", "value": "2006", "rank": "preferred", "sources": ["a-source"]}], "field must be"),
            (
                [
                    {
                        "field": "start",
                        "value": "2006-08-16",
                        "rank": "preferred",
                        "sources": ["a-source"],
                        "reading": "x",
                    }
                ],
                'unknown reading "x"',
            ),
            ([{"field": "start", "value": "16/08/2006x", "rank": "preferred", "sources": ["a-source"]}], "not a date"),
            ("all of them", "claims must be a list"),
        ],
    )
    def test_it_is_refused_with_a_message_and_nothing_is_stored(self, claims, problem):
        data = self.file(claims)
        with pytest.raises(LoadError) as refused:
            load(data)
        assert any(problem in line for line in refused.value.problems), refused.value.problems
        assert not Membership.objects.exists()
        assert not MembershipClaim.objects.exists()

    def test_good_claims_are_stored(self):
        data = self.file(
            [
                {"field": "start", "value": "2006-08-16", "rank": "preferred", "sources": ["a-source"]},
                {"field": "start", "value": "2006-06", "rank": "alternative", "reason": "x", "sources": ["a-source"]},
            ]
        )
        load(data)
        assert claims_of(Membership.objects.get(), "start") == {
            ("2006-08-16", Rank.PREFERRED),
            ("2006-06", Rank.ALTERNATIVE),
        }
