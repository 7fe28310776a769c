"""Claims: several sources' dates for one fact, the preferred one always the record's, held by PostgreSQL itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from blocs.models import Bloc, Membership, MembershipClaim, Rank, Reading
from eurasia.constraints import constraint_message
from events.models import Event

from .claim_makers import dispute, make_claim
from .conftest import d, make_bloc, make_event, make_membership, make_source, make_staff

pytestmark = pytest.mark.django_db


def committed(fn):
    """Run `fn` and then the checks PostgreSQL defers to commit, as a commit would; its error, if any."""
    try:
        with transaction.atomic():
            fn()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError as error:
        return error
    return None


def refused(fn):
    error = committed(fn)
    assert error is not None, "the change was stored"
    return constraint_message(error)


class TestPreferredClaimIsTheStoredDate:
    def test_a_preferred_claim_with_the_stored_date_is_accepted(self):
        spell = make_membership(start="2006-08-16")
        assert committed(lambda: dispute(spell, "start", "2006-06-23")) is None
        assert spell.claims.count() == 2

    def test_a_preferred_claim_with_another_date_is_refused(self):
        spell = make_membership(start="2006-08-16")
        message = refused(lambda: make_claim(spell, "start", "2006-06-23", Rank.PREFERRED))
        assert "none of them is preferred with the date the record stores" in message
        assert not MembershipClaim.objects.exists()

    def test_claims_without_a_preferred_one_are_refused(self):
        spell = make_membership(start="2006-08-16")
        refused(lambda: make_claim(spell, "start", "2006-06-23"))

    def test_changing_the_stored_date_alone_is_refused(self):
        spell = make_membership(start="2006-08-16")
        dispute(spell, "start", "2006-06-23")
        refused(lambda: Membership.objects.filter(pk=spell.pk).update(start=d("2006-06-23")))
        spell.refresh_from_db()
        assert spell.start == d("2006-08-16")

    def test_changing_the_precision_alone_is_refused(self):
        spell = make_membership(start="2006-01-01")
        dispute(spell, "start", "2006-06-23")
        refused(lambda: Membership.objects.filter(pk=spell.pk).update(start_precision="year"))

    def test_changing_the_date_and_the_preferred_claim_together_is_accepted(self):
        spell = make_membership(start="2006-08-16")
        preferred, alternative = dispute(spell, "start", "2006-06-23")

        def swap():
            MembershipClaim.objects.filter(pk=preferred.pk).update(rank=Rank.ALTERNATIVE)
            MembershipClaim.objects.filter(pk=alternative.pk).update(rank=Rank.PREFERRED)
            Membership.objects.filter(pk=spell.pk).update(start=d("2006-06-23"))

        assert committed(swap) is None

    def test_an_undisputed_date_changes_freely(self):
        spell = make_membership(start="2006-08-16")
        assert committed(lambda: Membership.objects.filter(pk=spell.pk).update(start=d("2006-06-23"))) is None

    def test_no_such_date_is_a_value(self):
        spell = make_membership(start="2006-08-16")
        # Preferred: no end ("never formally withdrew"); alternative: it ended in 2012.
        assert committed(lambda: dispute(spell, "end", "2012-12-19")) is None
        assert spell.claims.get(rank=Rank.PREFERRED).value is None
        refused(lambda: Membership.objects.filter(pk=spell.pk).update(end=d("2013-01-01")))

    def test_deleting_the_only_preferred_claim_is_refused(self):
        spell = make_membership(start="2006-08-16")
        preferred, _ = dispute(spell, "start", "2006-06-23")
        refused(lambda: MembershipClaim.objects.filter(pk=preferred.pk).delete())

    def test_deleting_every_claim_of_a_date_is_accepted(self):
        spell = make_membership(start="2006-08-16")
        dispute(spell, "start", "2006-06-23")
        assert committed(lambda: spell.claims.all().delete()) is None

    def test_deleting_the_record_takes_its_claims(self):
        spell = make_membership(start="2006-08-16")
        dispute(spell, "start", "2006-06-23")
        assert committed(spell.delete) is None
        assert not MembershipClaim.objects.exists()

    def test_a_bloc_and_an_event_hold_to_it_too(self):
        bloc = make_bloc(founded=d("2001-06-15"))
        event = make_event(date=d("2011-12-20"))
        dispute(bloc, "founded", "2001-06-14")
        dispute(event, "date", "2011-12-21")
        refused(lambda: Bloc.objects.filter(pk=bloc.pk).update(founded=d("2001-06-14")))
        refused(lambda: Event.objects.filter(pk=event.pk).update(date=d("2011-12-21")))


class TestRawSql:
    def test_a_preferred_claim_inserted_in_sql_must_match(self):
        spell = make_membership(start="2006-08-16")
        source = make_source()

        def insert(value):
            with connection.cursor() as cursor:
                cursor.execute(
                    """INSERT INTO blocs_membershipclaim (membership_id, field, value, value_precision, rank, reason,
                           created_at, updated_at) VALUES (%s, 'start', %s, 'day', 'preferred', '', now(), now()) RETURNING id""",
                    [spell.pk, value],
                )
                claim = cursor.fetchone()[0]
                cursor.execute(
                    "INSERT INTO blocs_membershipclaimsource (claim_id, source_id) VALUES (%s, %s)", [claim, source.pk]
                )

        refused(lambda: insert(d("2006-06-23")))
        assert committed(lambda: insert(d("2006-08-16"))) is None

    def test_a_claim_without_sources_is_refused(self):
        spell = make_membership(start="2006-08-16")

        def insert():
            with connection.cursor() as cursor:
                cursor.execute(
                    """INSERT INTO blocs_membershipclaim (membership_id, field, value, value_precision, rank, reason,
                           created_at, updated_at) VALUES (%s, 'start', %s, 'day', 'preferred', '', now(), now())""",
                    [spell.pk, d("2006-08-16")],
                )

        assert refused(insert) == "Every claim cites at least one source."

    def test_unlinking_a_claims_last_source_is_refused(self):
        spell = make_membership(start="2006-08-16")
        preferred, _ = dispute(spell, "start", "2006-06-23")
        assert refused(lambda: preferred.sources.clear()) == "Every claim cites at least one source."

    def test_two_preferred_claims_are_refused_at_once(self):
        spell = make_membership(start="2006-08-16")
        dispute(spell, "start", "2006-06-23")
        with pytest.raises(IntegrityError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE blocs_membershipclaim SET rank = 'preferred'")

    def test_a_value_off_its_precision_is_refused(self):
        spell = make_membership(start="2006-08-16")
        with pytest.raises(IntegrityError), transaction.atomic():
            spell.claims.create(field="start", value=d("2006-08-16"), value_precision="year")


class TestMakePreferred:
    def test_it_swaps_ranks_and_sets_the_record(self):
        curator = make_staff("Curators", "ada")
        spell = make_membership(start="2006-08-16")
        preferred, alternative = dispute(spell, "start", "2006-06-23")
        alternative.make_preferred(curator, "The Minsk declaration is the act analysts use.")
        spell.refresh_from_db()
        preferred.refresh_from_db()
        alternative.refresh_from_db()
        assert spell.start == d("2006-06-23")
        assert (preferred.rank, alternative.rank) == (Rank.ALTERNATIVE, Rank.PREFERRED)
        assert committed(lambda: None) is None

    def test_it_is_recorded_in_the_history_with_the_curator_and_the_reason(self):
        curator = make_staff("Curators", "ada")
        spell = make_membership(start="2006-08-16")
        _, alternative = dispute(spell, "start", "2006-06-23")
        alternative.make_preferred(curator, "The Minsk declaration is the act analysts use.")
        version = spell.history.latest()
        assert version.history_user == curator
        assert version.start == d("2006-06-23")
        assert "23 June 2006" in version.history_change_reason
        assert "The Minsk declaration is the act analysts use." in version.history_change_reason
        assert alternative.history.latest().history_change_reason == "The Minsk declaration is the act analysts use."

    def test_it_is_all_or_nothing(self):
        # Making an end before the start preferred fails validation: neither rank nor date changes.
        spell = make_membership(start="2006-08-16")
        preferred, alternative = dispute(spell, "end", "2005-01-01")
        with pytest.raises(ValidationError):
            alternative.make_preferred(None, "wrong")
        spell.refresh_from_db()
        assert spell.end is None
        assert set(spell.claims.values_list("pk", "rank")) == {
            (preferred.pk, Rank.PREFERRED),
            (alternative.pk, Rank.ALTERNATIVE),
        }

    def test_a_reading_is_a_record(self):
        reading = Reading.objects.create(key="atop-4-01", name="ATOP v4.01", url="http://www.atopdata.org/")
        spell = make_membership(start="2006-08-16")
        _, alternative = dispute(spell, "end", "2012-12-19", reading=reading)
        assert alternative.reading == reading
        assert str(alternative) == "end: 19 December 2012 (alternative)"
