"""Integrity rules enforced by PostgreSQL itself: each test goes around the forms and is refused."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from blocs.models import Membership

from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db


def refused(fn, error=IntegrityError):
    with pytest.raises(error), transaction.atomic():
        fn()


def insert_spell(country, bloc, start, end=None, suspension_start=None, suspension_end=None):
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO blocs_membership (country_id, bloc_id, role, start, start_precision,
                   suspension_start, suspension_start_precision, suspension_end, suspension_end_precision,
                   suspension_kind, "end", end_precision, end_reason, notes, created_at, updated_at)
               VALUES (%s, %s, 'member', %s, 'day', %s, 'day', %s, 'day', '', %s, 'day', '', '', now(), now())""",
            [country.pk, bloc.pk, start, suspension_start, suspension_end, end],
        )


class TestDateOrder:
    def test_end_before_start_is_rejected(self):
        refused(lambda: make_membership(start="2010-01-01", end="2009-12-31"))

    def test_end_before_start_is_rejected_in_raw_sql(self):
        country, bloc = make_country(), make_bloc()
        refused(lambda: insert_spell(country, bloc, d("2010-01-01"), end=d("2009-01-01")))

    def test_suspension_before_start_is_rejected(self):
        refused(lambda: make_membership(start="2010-01-01", suspension_start="2009-06-01"))

    def test_suspension_end_before_suspension_start_is_rejected(self):
        refused(lambda: make_membership(start="2010-01-01", suspension_start="2011-01-01", suspension_end="2010-06-01"))

    def test_suspension_end_needs_a_suspension_start(self):
        refused(lambda: make_membership(start="2010-01-01", suspension_end="2011-01-01"))

    def test_end_inside_the_suspension_is_rejected(self):
        refused(
            lambda: make_membership(
                start="2010-01-01", suspension_start="2011-01-01", suspension_end="2012-01-01", end="2011-06-01"
            )
        )

    def test_end_reason_needs_an_end(self):
        refused(lambda: make_membership(end_reason="withdrawal"))

    def test_dates_in_order_are_stored(self):
        spell = make_membership(
            start="2010-01-01", suspension_start="2011-01-01", suspension_end="2012-01-01", end="2013-01-01"
        )
        assert Membership.objects.filter(pk=spell.pk).exists()

    def test_a_month_precision_date_must_be_the_first_of_the_month(self):
        refused(lambda: make_membership(start="2010-06-15", start_precision="month"))

    def test_event_cannot_end_before_it_begins(self):
        refused(lambda: make_event(date=d("2012-01-02"), end_date=d("2012-01-01")))

    def test_bloc_cannot_be_dissolved_before_founding(self):
        refused(lambda: make_bloc(founded=d("2010-01-01"), dissolved=d("2009-01-01")))


class TestNoOverlappingSpells:
    def test_overlapping_spell_is_rejected(self):
        first = make_membership(start="2000-01-01", end="2005-01-01")
        refused(lambda: make_membership(country=first.country, bloc=first.bloc, start="2004-01-01"))

    def test_overlapping_spell_is_rejected_in_raw_sql(self):
        first = make_membership(start="2000-01-01")
        refused(lambda: insert_spell(first.country, first.bloc, d("2010-01-01")))

    def test_ongoing_spell_blocks_any_later_spell(self):
        first = make_membership(start="2000-01-01")
        refused(lambda: make_membership(country=first.country, bloc=first.bloc, start="2030-01-01"))

    def test_overlap_is_refused_whatever_the_role(self):
        first = make_membership(start="2000-01-01", end="2005-01-01", role="observer")
        refused(lambda: make_membership(country=first.country, bloc=first.bloc, start="2003-01-01"))

    def test_spells_that_touch_end_to_start_are_allowed(self):
        first = make_membership(start="2015-01-01", end="2015-08-06", role="candidate", end_reason="succeeded")
        second = make_membership(country=first.country, bloc=first.bloc, start="2015-08-06")
        assert second.pk

    def test_other_countries_and_blocs_may_overlap(self):
        first = make_membership(start="2000-01-01")
        assert make_membership(country=first.country, start="2000-01-01").pk
        assert make_membership(bloc=first.bloc, start="2000-01-01").pk


class TestNaturalKeysAreUnique:
    def test_alpha3(self):
        make_country(alpha3="RUS", alpha2="RU", name="Russia")
        refused(lambda: make_country(alpha3="RUS"))

    def test_alpha2(self):
        make_country(alpha3="RUS", alpha2="RU", name="Russia")
        refused(lambda: make_country(alpha2="RU"))

    def test_cow_code(self):
        make_country(cow_code=365)
        refused(lambda: make_country(cow_code=365))

    def test_countries_without_cow_code_are_fine(self):
        assert make_country().pk and make_country().pk

    def test_lower_case_iso_code_is_rejected(self):
        refused(lambda: make_country(alpha3="rus"))

    def test_bloc_slug(self):
        make_bloc(slug="csto")
        refused(lambda: make_bloc(slug="csto"))

    def test_source_key(self):
        make_source(key="tass-687141")
        refused(lambda: make_source(key="tass-687141"))


class TestHistoryDoesNotVanish:
    def test_country_with_spells_cannot_be_deleted(self):
        spell = make_membership()
        refused(spell.country.delete, ProtectedError)

    def test_bloc_with_spells_cannot_be_deleted(self):
        spell = make_membership()
        refused(spell.bloc.delete, ProtectedError)

    def test_cited_source_cannot_be_deleted(self):
        source = make_source()
        make_membership().sources.add(source)
        refused(source.delete, ProtectedError)

    def test_source_cited_by_an_event_cannot_be_deleted(self):
        source = make_source()
        make_event(sources=[source])
        refused(source.delete, ProtectedError)

    def test_country_named_by_an_event_cannot_be_deleted(self):
        country = make_country()
        make_event(countries=[country])
        refused(country.delete, ProtectedError)

    def test_bloc_named_by_an_event_cannot_be_deleted(self):
        bloc = make_bloc()
        make_event(blocs=[bloc])
        refused(bloc.delete, ProtectedError)

    def test_raw_sql_delete_of_a_country_with_spells_is_refused(self):
        spell = make_membership()

        def delete():
            with connection.cursor() as cur:
                cur.execute("DELETE FROM blocs_country WHERE id = %s", [spell.country_id])
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")

        refused(delete)

    def test_unreferenced_records_can_be_deleted(self):
        country = make_country()
        country.delete()
        assert country.pk is None
