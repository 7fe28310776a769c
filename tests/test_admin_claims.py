"""Curators edit claims beside the dates they are about: clear messages, never a database error, one step to swap."""

import html

import pytest
from django.urls import reverse

from blocs.models import Membership, MembershipClaim, Rank

from .admin_forms import change_url, form_data
from .claim_makers import dispute
from .conftest import d, make_bloc, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db


def formset_errors(response):
    return [str(e) for inline in response.context["inline_admin_formsets"] for e in inline.formset.non_form_errors()]


def claim_row(data, claim):
    """The inline prefix of `claim`'s row in the form data."""
    for key, value in data.items():
        if key.startswith("claims-") and key.endswith("-id") and value == str(claim.pk):
            return key[: -len("-id")]
    raise AssertionError("no such row")


def spell_with_dispute():
    spell = make_membership(start="2006-08-16")
    preferred, alternative = dispute(spell, "start", "2006-06-23")
    return spell, preferred, alternative


class TestInline:
    def test_the_spell_form_shows_its_claims(self, curator_client):
        spell, preferred, alternative = spell_with_dispute()
        page = curator_client.get(change_url(spell)).content.decode()
        # Escaped as the widget's templates escape it (&#39; or &#x27;): compared as the curator reads it.
        assert "another source's date" in html.unescape(page)
        assert 'value="2006-06-23"' in page
        assert reverse("admin:blocs_membershipclaim_make_preferred", args=[alternative.pk]) in page

    def test_the_bloc_and_event_forms_show_their_claims(self, curator_client):
        bloc = make_bloc(founded=d("2001-06-15"))
        event = make_event(date=d("2011-12-20"))
        dispute(bloc, "founded", "2001-06-14")
        dispute(event, "date", "2011-12-21")
        assert 'value="2001-06-14"' in curator_client.get(change_url(bloc)).content.decode()
        assert 'value="2011-12-21"' in curator_client.get(change_url(event)).content.decode()

    def test_changing_the_preferred_claim_alone_is_explained(self, curator_client):
        spell, preferred, _ = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data[f"{claim_row(data, preferred)}-value"] = "2006-12-13"
        response = curator_client.post(change_url(spell), data)
        assert response.status_code == 200
        assert formset_errors(response) == [
            "The preferred claim for the start (13 December 2006) differs from the start the record stores "
            "(16 August 2006): change both together, or use “Make preferred”."
        ]
        preferred.refresh_from_db()
        assert preferred.value == d("2006-08-16")

    def test_changing_the_date_alone_is_explained(self, curator_client):
        spell, _, _ = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data["start"] = "2006"
        response = curator_client.post(change_url(spell), data)
        assert response.status_code == 200
        assert "differs from the start the record stores (2006)" in formset_errors(response)[0]
        spell.refresh_from_db()
        assert spell.start == d("2006-08-16")

    def test_changing_both_together_is_saved(self, curator_client):
        spell, preferred, _ = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data["start"] = "2006-08"
        data[f"{claim_row(data, preferred)}-value"] = "2006-08"
        assert curator_client.post(change_url(spell), data).status_code == 302
        spell.refresh_from_db()
        assert (spell.start, spell.start_precision) == (d("2006-08-01"), "month")

    def test_two_preferred_claims_are_explained(self, curator_client):
        spell, _, alternative = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data[f"{claim_row(data, alternative)}-rank"] = Rank.PREFERRED
        response = curator_client.post(change_url(spell), data)
        assert formset_errors(response) == ["The start has claims: exactly one of them must be preferred."]

    def test_deleting_the_only_preferred_claim_is_refused(self, curator_client):
        spell, preferred, _ = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data[f"{claim_row(data, preferred)}-DELETE"] = "on"
        response = curator_client.post(change_url(spell), data)
        assert formset_errors(response) == [
            "The preferred claim for the start cannot be deleted while other claims remain: "
            "make another claim preferred first."
        ]
        assert MembershipClaim.objects.count() == 2

    def test_a_claim_without_sources_is_explained(self, curator_client):
        spell, _, alternative = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data.pop(f"{claim_row(data, alternative)}-sources")
        response = curator_client.post(change_url(spell), data)
        errors = [str(e) for inline in response.context["inline_admin_formsets"] for e in inline.formset.errors]
        assert "Every claim cites at least one source." in " ".join(errors)

    def test_a_new_claim_with_a_malformed_date_is_explained(self, curator_client):
        spell, _, _ = spell_with_dispute()
        data = form_data(curator_client.get(change_url(spell)))
        data.update(
            {
                "claims-TOTAL_FORMS": "3",
                "claims-2-field": "end",
                "claims-2-value": "31 Febtember 2012",
                "claims-2-rank": "alternative",
                "claims-2-sources": [str(make_source().pk)],
            }
        )
        response = curator_client.post(change_url(spell), data)
        assert response.status_code == 200
        assert MembershipClaim.objects.count() == 2


class TestMakePreferred:
    def url(self, claim):
        return reverse("admin:blocs_membershipclaim_make_preferred", args=[claim.pk])

    def test_it_asks_for_a_reason(self, curator_client):
        spell, _, alternative = spell_with_dispute()
        page = curator_client.get(self.url(alternative)).content.decode()
        assert "becomes 23 June 2006 (now 16 August 2006)" in page
        response = curator_client.post(self.url(alternative), {"reason": ""})
        assert response.status_code == 200
        spell.refresh_from_db()
        assert spell.start == d("2006-08-16")

    def test_it_swaps_and_records_the_curator(self, curator_client, curator):
        spell, preferred, alternative = spell_with_dispute()
        response = curator_client.post(self.url(alternative), {"reason": "The Minsk declaration."})
        assert response.status_code == 302
        assert response["Location"] == change_url(spell)
        spell.refresh_from_db()
        assert spell.start == d("2006-06-23")
        assert MembershipClaim.objects.get(rank=Rank.PREFERRED) == alternative
        version = spell.history.latest()
        assert version.history_user == curator
        assert version.history_change_reason.endswith("The Minsk declaration.")

    def test_a_date_out_of_order_is_explained(self, curator_client):
        spell = make_membership(start="2006-08-16")
        _, alternative = dispute(spell, "end", "2005")
        response = curator_client.post(self.url(alternative), {"reason": "test"})
        assert response.status_code == 200
        assert "cannot end (2005) before it starts" in response.content.decode()
        spell.refresh_from_db()
        assert spell.end is None

    def test_an_unknown_claim_is_not_found(self, curator_client):
        assert curator_client.get("/admin/blocs/membershipclaim/999999/make-preferred/").status_code == 404

    def test_deleting_the_preferred_claim_from_its_page_is_refused(self, curator_client):
        spell, preferred, _ = spell_with_dispute()
        url = reverse("admin:blocs_membershipclaim_delete", args=[preferred.pk])
        response = curator_client.post(url, {"post": "yes"}, follow=True)
        assert "cannot be deleted while other claims remain" in response.content.decode()
        assert Membership.objects.get().claims.count() == 2


class TestSpreadsheetImport:
    def test_a_disputed_date_changed_alone_in_a_spreadsheet_is_refused_with_the_reason(self, curator_client):
        from .spreadsheet_forms import export, snapshot, upload

        bloc = make_bloc(slug="sco-like", founded=d("2001-06-15"))
        dispute(bloc, "founded", "2001-06-14")
        content, _ = export(curator_client, "blocs", "bloc")
        before = snapshot()
        preview = upload(curator_client, "blocs", "bloc", content.replace(b"2001-06-15", b"2001-06-14"))
        assert preview.status_code == 200
        assert not preview.context.get("confirm_form")
        assert "none of them is preferred with the date the record stores" in preview.content.decode()
        assert snapshot() == before

    def test_a_spells_disputed_end_changed_alone_is_refused_too(self, curator_client):
        from .spreadsheet_forms import export, snapshot, upload

        spell = make_membership(start="2006-08-16", end="2014-01-01")
        dispute(spell, "end", "2013")
        content, _ = export(curator_client, "blocs", "membership")
        assert b"2014-01-01" in content
        before = snapshot()
        preview = upload(curator_client, "blocs", "membership", content.replace(b"2014-01-01", b"2013-05-01"))
        assert preview.status_code == 200
        assert not preview.context.get("confirm_form")
        assert "none of them is preferred with the date the record stores" in preview.content.decode()
        assert snapshot() == before
