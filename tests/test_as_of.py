"""As-of queries on the model layer: who belonged to a bloc, and where a country belonged, on a date."""

import pytest

from blocs.models import Bloc, Membership

from .conftest import d, make_bloc, make_country, make_membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def alliance():
    bloc = make_bloc(slug="alliance", name="Alliance", founded=d("1992-05-15"))
    uzb, rus = make_country(name="Uzbekistan"), make_country(name="Russia")
    make_membership(country=rus, bloc=bloc, start="1992-05-15")
    make_membership(country=uzb, bloc=bloc, start="1992-05-15", end="1999-04-20", end_reason="non_renewal")
    make_membership(country=uzb, bloc=bloc, start="2006-08-16", suspension_start="2012-12-19", suspension_kind="formal")
    return bloc, uzb, rus


def members_on(bloc, day):
    return bloc.memberships.active_on(day).select_related("country").order_by("country__name")


def memberships_on(country, day):
    return country.memberships.active_on(day).select_related("bloc").order_by("bloc__name")


def names(spells):
    return [(m.country.name, m.is_suspended) for m in spells]


def test_members_on_a_date_with_suspension(alliance):
    bloc, uzb, rus = alliance
    assert names(members_on(bloc, d("2012-12-18"))) == [("Russia", False), ("Uzbekistan", False)]
    assert names(members_on(bloc, d("2012-12-19"))) == [("Russia", False), ("Uzbekistan", True)]


def test_a_spell_is_over_on_its_end_day(alliance):
    bloc, *_ = alliance
    assert names(members_on(bloc, d("1999-04-19"))) == [("Russia", False), ("Uzbekistan", False)]
    assert names(members_on(bloc, d("1999-04-20"))) == [("Russia", False)]


def test_a_spell_counts_from_its_start_day(alliance):
    bloc, *_ = alliance
    assert names(members_on(bloc, d("1992-05-14"))) == []
    assert len(members_on(bloc, d("1992-05-15"))) == 2


def test_a_lifted_suspension_ends_on_its_end_day():
    spell = make_membership(start="2000-01-01", suspension_start="2001-01-01", suspension_end="2002-01-01")
    on = Membership.objects.active_on
    assert on(d("2001-12-31")).get(pk=spell.pk).is_suspended
    assert not on(d("2002-01-01")).get(pk=spell.pk).is_suspended
    assert spell.is_suspended_on(d("2001-06-01")) and not spell.is_suspended_on(d("2002-01-01"))


def test_a_countrys_memberships_on_a_date():
    country = make_country()
    a, b = make_bloc(name="A bloc"), make_bloc(name="B bloc")
    make_membership(country=country, bloc=a, start="2000-01-01", role="observer")
    make_membership(country=country, bloc=b, start="2010-01-01")
    assert [(m.bloc.name, m.role) for m in memberships_on(country, d("2005-01-01"))] == [("A bloc", "observer")]
    assert [m.bloc.name for m in memberships_on(country, d("2010-01-01"))] == ["A bloc", "B bloc"]


def test_members_on_runs_one_query(alliance, django_assert_num_queries):
    bloc, *_ = alliance
    with django_assert_num_queries(1):  # the spells joined to their countries
        list(members_on(bloc, d("2013-01-01")))


def test_blocs_existing_on_a_date():
    make_bloc(slug="old", founded=d("2000-01-01"), dissolved=d("2015-01-01"))
    make_bloc(slug="new", founded=d("2015-01-01"))
    assert sorted(Bloc.objects.existing_on(d("2014-12-31")).values_list("slug", flat=True)) == ["old"]
    assert sorted(Bloc.objects.existing_on(d("2015-01-01")).values_list("slug", flat=True)) == ["new"]


def test_status_querysets():
    current = make_membership(start="2000-01-01")
    ended = make_membership(start="2000-01-01", end="2001-01-01")
    suspended = make_membership(start="2000-01-01", suspension_start="2005-01-01")
    assert set(Membership.objects.current()) == {current, suspended}
    assert set(Membership.objects.ended()) == {ended}
    assert set(Membership.objects.suspended_now()) == {suspended}
