"""The curators' review of readers' suggestions: accepting a date makes a claim with its source, declining keeps a reason."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from blocs.models import BlocClaim, Membership, MembershipClaim, Rank, Source
from corrections.models import Status, Suggestion
from events.models import EventClaim

from .claim_makers import dispute
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source, make_staff
from .suggestion_makers import URL, make_suggestion

pytestmark = pytest.mark.django_db

QUEUE = "/admin/corrections/suggestion/"


def review_url(suggestion):
    return reverse("admin:corrections_suggestion_change", args=[suggestion.pk])


@pytest.fixture
def spell():
    armenia = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", abbreviations=["CSTO"])
    spell = make_membership(country=armenia, bloc=csto, start="2006-08-16")
    spell.sources.set([make_source(key="tass-1", url="https://tass.ru/1")])
    return spell


def decide(client, suggestion, decision, reason="Checked against the treaty text.", **extra):
    return client.post(review_url(suggestion), {"decision": decision, "reason": reason, **extra})


class TestTheQueue:
    def test_it_opens_on_the_pending_suggestions_beside_their_records(self, curator_client, spell):
        pending = make_suggestion(spell, "start", "2006-06-23")
        declined = make_suggestion(spell.bloc, what="Old news.")
        Suggestion.objects.filter(pk=declined.pk).update(
            status=Status.DECLINED, review_reason="no", reviewed_at="2026-01-01T00:00Z"
        )
        response = curator_client.get(QUEUE)
        assert response.status_code == 302 and response["Location"].endswith("?status__exact=pending")
        page = curator_client.get(response["Location"]).content.decode()
        assert review_url(pending) in page and review_url(declined) not in page
        assert reverse("admin:blocs_membership_change", args=[spell.pk]) in page
        assert spell.bloc.get_absolute_url() in page
        assert "23 June 2006" in page

    def test_the_queue_query_count_does_not_grow_with_its_rows(self, curator_client, spell, django_assert_num_queries):
        event = make_event()
        for record in (spell, spell.bloc, spell.country, event):
            make_suggestion(record)
        # Queries: the session and the user; the user's permissions (groups); the filtered count; the
        # total count; one page of suggestions with their records (spells with their countries and blocs).
        with django_assert_num_queries(7):
            assert curator_client.get(QUEUE + "?status__exact=pending").status_code == 200
        for _ in range(10):
            make_suggestion(spell)
        with django_assert_num_queries(7):
            assert curator_client.get(QUEUE + "?status__exact=pending").status_code == 200

    def test_the_review_page_query_count(self, curator_client, spell, django_assert_num_queries):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        dispute(spell, "start", "2006-06-01")
        # Queries: the session; the user; the user's own permissions; their groups' permissions; the
        # suggestion with its record, curator and source; the date's claims with their readings; their sources.
        with django_assert_num_queries(7):
            assert curator_client.get(review_url(suggestion)).status_code == 200

    def test_the_review_page_shows_the_email_to_curators_only(self, curator_client, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23", email="reader@example.org")
        page = curator_client.get(review_url(suggestion)).content.decode()
        assert "reader@example.org" in page
        assert "recorded as 16 August 2006" in page

    def test_an_unknown_suggestion_is_not_found(self, curator_client):
        assert curator_client.get(reverse("admin:corrections_suggestion_change", args=["99999"])).status_code == 404
        assert curator_client.get("/admin/corrections/suggestion/x/change/").status_code == 404


class TestAccept:
    def test_a_date_becomes_an_alternative_claim_with_its_link_as_a_new_source(self, curator_client, curator, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        response = decide(curator_client, suggestion, "accept", source_title="Protocol on Uzbekistan's accession")
        assert response.status_code == 302
        spell.refresh_from_db()
        assert spell.start == d("2006-08-16")  # the record keeps its date
        kept = MembershipClaim.objects.get(membership=spell, rank=Rank.PREFERRED)
        assert (kept.value, list(kept.sources.values_list("key", flat=True))) == (d("2006-08-16"), ["tass-1"])
        claim = MembershipClaim.objects.get(membership=spell, rank=Rank.ALTERNATIVE)
        assert claim.value == d("2006-06-23")
        source = claim.sources.get()
        assert (source.url, source.title) == (URL, "Protocol on Uzbekistan's accession")
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.reviewed_by, suggestion.source, suggestion.claim) == (
            Status.ACCEPTED,
            curator,
            source,
            claim,
        )
        # The decision is in the suggestion's history, the claim's and the source's, with the curator.
        version = suggestion.history.latest()
        assert (version.history_user, version.status) == (curator, Status.ACCEPTED)
        assert "Checked against the treaty text." in version.history_change_reason
        assert claim.history.latest().history_user == curator
        assert claim.history.latest().history_change_reason == "Checked against the treaty text."
        assert source.history.latest().history_user == curator

    def test_accepted_as_preferred_the_record_takes_the_date(self, curator_client, curator, spell):
        suggestion = make_suggestion(spell, "start", "2006-06")
        assert decide(curator_client, suggestion, "preferred").status_code == 302
        spell.refresh_from_db()
        assert (spell.start, spell.start_precision) == (d("2006-06-01"), "month")
        assert MembershipClaim.objects.get(membership=spell, rank=Rank.PREFERRED).value == d("2006-06-01")
        assert MembershipClaim.objects.get(membership=spell, rank=Rank.ALTERNATIVE).value == d("2006-08-16")
        version = spell.history.latest()
        assert version.history_user == curator
        assert "Checked against the treaty text." in version.history_change_reason
        # The public page shows the new date, marked as disputed.
        page = curator_client.get(spell.bloc.get_absolute_url()).content.decode()
        assert "June 2006" in page and "disputed" in page

    def test_a_long_reason_is_kept_whole_on_the_suggestion_and_begun_in_the_history(self, curator_client, spell):
        reason = "The protocol on accession entered into force on the day the last instrument was deposited. " * 3
        suggestion = make_suggestion(spell, "start", "2006-06")
        assert decide(curator_client, suggestion, "preferred", reason=reason[:300]).status_code == 302
        suggestion.refresh_from_db()
        assert suggestion.review_reason == reason[:300].strip()
        assert suggestion.history.latest().review_reason == reason[:300].strip()
        version = spell.history.latest()
        assert version.history_change_reason.startswith("start set to June 2006 (claim made preferred): The protocol")
        assert len(version.history_change_reason) == 100 and version.history_change_reason.endswith("…")

    def test_an_existing_source_with_the_link_is_cited(self, curator_client, spell):
        existing = make_source(key="csto-docs", url=URL)
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        decide(curator_client, suggestion, "accept")
        assert MembershipClaim.objects.get(rank=Rank.ALTERNATIVE).sources.get() == existing
        assert Source.objects.filter(url=URL).count() == 1

    def test_a_date_already_claimed_gets_the_source_added(self, curator_client, spell):
        _, alternative = dispute(spell, "start", "2006-06-23")
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        decide(curator_client, suggestion, "accept")
        assert MembershipClaim.objects.count() == 2
        assert URL in set(alternative.sources.values_list("url", flat=True))

    def test_bloc_and_event_dates_too(self, curator_client):
        bloc = make_bloc(founded=d("2002-10-07"))
        bloc.sources.set([make_source()])
        event = make_event(date=d("2011-12-20"), sources=[make_source()])
        decide(curator_client, make_suggestion(bloc, "founded", "2002-05-14"), "preferred")
        decide(curator_client, make_suggestion(event, "date", "2011-12-21"), "accept")
        bloc.refresh_from_db()
        assert bloc.founded == d("2002-05-14")
        assert BlocClaim.objects.filter(bloc=bloc).count() == 2
        assert EventClaim.objects.get(event=event, rank=Rank.ALTERNATIVE).value == d("2011-12-21")

    def test_a_date_the_record_leaves_empty_keeps_no_such_date_as_preferred(self, curator_client):
        bloc = make_bloc()  # not dissolved
        bloc.sources.set([make_source()])
        decide(curator_client, make_suggestion(bloc, "dissolved", "2010"), "accept")
        bloc.refresh_from_db()
        assert bloc.dissolved is None
        assert {(c.value, c.rank) for c in BlocClaim.objects.filter(bloc=bloc)} == {
            (None, Rank.PREFERRED),
            (d("2010-01-01"), Rank.ALTERNATIVE),
        }

    def test_a_suggestion_confirming_the_record_cites_its_source_on_the_preferred_claim(self, curator_client, spell):
        decide(curator_client, make_suggestion(spell, "start", "2006-08-16"), "accept")
        claim = MembershipClaim.objects.get()
        assert (claim.value, claim.rank) == (d("2006-08-16"), Rank.PREFERRED)
        assert set(claim.sources.values_list("url", flat=True)) == {"https://tass.ru/1", URL}

    def test_a_date_the_rules_refuse_is_explained_and_nothing_changes(self, curator_client, spell):
        suggestion = make_suggestion(spell, "end", "2001")  # an end before the start
        response = decide(curator_client, suggestion, "preferred")
        assert response.status_code == 200
        assert "cannot end (2001) before it starts (16 August 2006)" in response.content.decode()
        spell.refresh_from_db()
        assert spell.end is None
        assert not MembershipClaim.objects.exists()
        assert not Source.objects.filter(url=URL).exists()
        suggestion.refresh_from_db()
        assert suggestion.status == Status.PENDING

    def test_overlapping_spells_are_refused_with_the_reason(self, curator_client, spell):
        Membership.objects.filter(pk=spell.pk).update(end=d("2008-01-01"))
        later = make_membership(country=spell.country, bloc=spell.bloc, start="2010-01-01", end="2012-01-01")
        later.sources.set([make_source()])
        suggestion = make_suggestion(later, "start", "2007")
        response = decide(curator_client, suggestion, "preferred")
        assert response.status_code == 200
        assert "already has a spell in this bloc that overlaps these dates" in response.content.decode()
        later.refresh_from_db()
        assert later.start == d("2010-01-01")

    def test_a_date_without_the_records_source_is_explained_when_kept_as_alternative(self, curator_client):
        spell = make_membership(start="2006-08-16")  # cites no source
        response = decide(curator_client, make_suggestion(spell, "start", "2006-06-23"), "accept")
        assert response.status_code == 200
        assert "cites no source" in response.content.decode()
        assert not MembershipClaim.objects.exists()

    def test_a_text_suggestion_is_accepted_without_a_claim(self, curator_client, spell):
        suggestion = make_suggestion(spell.country, source_url="", proposed_text="Republic of Armenia")
        assert decide(curator_client, suggestion, "accept").status_code == 302
        suggestion.refresh_from_db()
        assert suggestion.status == Status.ACCEPTED and suggestion.claim is None

    def test_a_decision_needs_a_reason(self, curator_client, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        response = decide(curator_client, suggestion, "accept", reason="")
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        suggestion.refresh_from_db()
        assert suggestion.status == Status.PENDING

    def test_a_suggestion_is_decided_once(self, curator_client, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        decide(curator_client, suggestion, "decline")
        response = decide(curator_client, suggestion, "accept")
        assert response.status_code == 302
        suggestion.refresh_from_db()
        assert suggestion.status == Status.DECLINED
        assert not MembershipClaim.objects.exists()


class TestDecline:
    def test_it_keeps_the_reason_and_the_curator_and_changes_nothing(self, curator_client, curator, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        response = decide(curator_client, suggestion, "decline", reason="The source gives the signature date.")
        assert response.status_code == 302
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.review_reason, suggestion.reviewed_by) == (
            Status.DECLINED,
            "The source gives the signature date.",
            curator,
        )
        version = suggestion.history.latest()
        assert version.history_user == curator
        assert "The source gives the signature date." in version.history_change_reason
        assert not MembershipClaim.objects.exists()
        assert not Source.objects.filter(url=URL).exists()
        assert "The source gives the signature date." in curator_client.get(review_url(suggestion)).content.decode()


class TestPermissions:
    def test_analysts_do_not_see_the_queue(self, analyst_client, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23", email="reader@example.org")
        assert analyst_client.get(QUEUE + "?status__exact=pending").status_code == 403
        assert analyst_client.get(review_url(suggestion)).status_code == 403
        assert decide(analyst_client, suggestion, "accept").status_code == 403
        suggestion.refresh_from_db()
        assert suggestion.status == Status.PENDING

    def test_viewing_is_not_deciding(self, client, spell):
        viewer = User.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
        from django.contrib.auth.models import Permission

        viewer.user_permissions.add(Permission.objects.get(codename="view_suggestion"))
        client.force_login(viewer)
        suggestion = make_suggestion(spell, "start", "2006-06-23", email="reader@example.org")
        page = client.get(review_url(suggestion)).content.decode()
        assert 'name="decision"' not in page
        assert "reader@example.org" not in page
        assert decide(client, suggestion, "accept").status_code == 403
        suggestion.refresh_from_db()
        assert suggestion.status == Status.PENDING

    def test_readers_are_sent_to_log_in(self, client, spell):
        suggestion = make_suggestion(spell, "start", "2006-06-23")
        assert client.get(review_url(suggestion)).status_code == 302
        assert decide(client, suggestion, "accept").status_code == 302
        suggestion.refresh_from_db()
        assert suggestion.status == Status.PENDING

    def test_curators_hold_the_permission_after_the_roles_are_repaired(self, db):
        from django.apps import apps

        from blocs.roles import ensure_roles

        ensure_roles(apps)
        assert make_staff("Curators", "ada").has_perm("corrections.review_suggestion")
