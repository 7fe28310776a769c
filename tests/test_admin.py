"""Curators in the admin: forgiving forms, clear messages beside the field, nothing stored on error."""

import pytest
from django.urls import reverse

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event

from .admin_forms import membership_form
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db


def errors_of(response):
    form = response.context["adminform"].form
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


class TestMembershipForm:
    url = reverse("admin:blocs_membership_add")

    def test_partial_dates_are_typed_naturally(self, curator_client):
        country, bloc = make_country(), make_bloc()
        source = make_source()
        response = curator_client.post(
            self.url,
            membership_form(country, bloc, start="2012-06", end="2014", end_reason="withdrawal", sources=[source.pk]),
        )
        assert response.status_code == 302
        spell = Membership.objects.get()
        assert (spell.start, spell.start_precision) == (d("2012-06-01"), "month")
        assert (spell.end, spell.end_precision) == (d("2014-01-01"), "year")
        assert list(spell.sources.all()) == [source]

    def test_change_form_shows_the_partial_date_as_typed(self, curator_client):
        spell = make_membership(start="2012-06-01", start_precision="month")
        response = curator_client.get(reverse("admin:blocs_membership_change", args=[spell.pk]))
        assert 'value="2012-06"' in response.content.decode()

    def test_malformed_date_gets_a_message_beside_the_field(self, curator_client):
        country, bloc = make_country(), make_bloc()
        response = curator_client.post(self.url, membership_form(country, bloc, start="2012-13"))
        assert response.status_code == 200
        assert errors_of(response) == {"start": ['"2012-13": there is no month 13.']}
        assert not Membership.objects.exists()

    def test_end_before_start_is_explained_not_a_server_error(self, curator_client):
        country, bloc = make_country(), make_bloc()
        response = curator_client.post(self.url, membership_form(country, bloc, start="2010-05-01", end="2009"))
        assert response.status_code == 200
        assert errors_of(response)["end"] == ["The spell cannot end (2009) before it starts (1 May 2010)."]
        assert not Membership.objects.exists()

    def test_suspension_end_without_start(self, curator_client):
        country, bloc = make_country(), make_bloc()
        response = curator_client.post(self.url, membership_form(country, bloc, start="2010", suspension_end="2011"))
        assert errors_of(response)["suspension_end"] == ["A suspension end needs a suspension start."]
        assert not Membership.objects.exists()

    def test_overlapping_spell_is_refused_with_a_clear_message(self, curator_client):
        first = make_membership(start="2006-08-16")
        response = curator_client.post(self.url, membership_form(first.country, first.bloc, start="2010-01-01"))
        assert response.status_code == 200
        assert "already has a spell in this bloc that overlaps these dates" in str(errors_of(response))
        assert Membership.objects.count() == 1

    def test_end_reason_without_end(self, curator_client):
        country, bloc = make_country(), make_bloc()
        response = curator_client.post(self.url, membership_form(country, bloc, start="2010", end_reason="withdrawal"))
        assert "An end reason needs an end date" in str(errors_of(response)["end_reason"])
        assert not Membership.objects.exists()

    def test_editing_a_spell_keeps_it_valid(self, curator_client):
        spell = make_membership(start="2006-08-16")
        url = reverse("admin:blocs_membership_change", args=[spell.pk])
        response = curator_client.post(
            url,
            membership_form(
                spell.country, spell.bloc, start="2006-08-16", suspension_start="2012-12-19", suspension_kind="formal"
            ),
        )
        assert response.status_code == 302
        spell.refresh_from_db()
        assert spell.suspension_start == d("2012-12-19")


class TestCountryForm:
    def test_duplicate_code_is_refused_beside_the_field(self, curator_client):
        make_country(alpha3="RUS", alpha2="RU", name="Russia")
        response = curator_client.post(
            reverse("admin:blocs_country_add"),
            {
                "name": "Russia again",
                "alpha2": "RX",
                "alpha3": "RUS",
                "cow_code": "",
                "other_names": "",
                "notes": "",
                "memberships-TOTAL_FORMS": "0",
                "memberships-INITIAL_FORMS": "0",
                "claims-TOTAL_FORMS": "0",
                "claims-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        assert errors_of(response) == {"alpha3": ["Country with this ISO alpha-3 already exists."]}
        assert Country.objects.count() == 1

    def test_lower_case_code_is_explained(self, curator_client):
        response = curator_client.post(
            reverse("admin:blocs_country_add"),
            {
                "name": "Ruritania",
                "alpha2": "rr",
                "alpha3": "RUR",
                "memberships-TOTAL_FORMS": "0",
                "memberships-INITIAL_FORMS": "0",
                "claims-TOTAL_FORMS": "0",
                "claims-INITIAL_FORMS": "0",
            },
        )
        assert "Two capital letters" in str(errors_of(response)["alpha2"])
        assert not Country.objects.exists()


class TestBlocPageWithInlineSpells:
    def inline_data(self, bloc, rows):
        data = {
            "name": bloc.name if bloc.pk else "New bloc",
            "slug": bloc.slug if bloc.pk else "new-bloc",
            "abbreviations": "NB",
            "kind": "military_alliance",
            "founded": "1992-05-15",
            "dissolved": "",
            "description": "",
            "notes": "",
            "memberships-TOTAL_FORMS": str(len(rows)),
            "memberships-INITIAL_FORMS": "0",
            "claims-TOTAL_FORMS": "0",
            "claims-INITIAL_FORMS": "0",
        }
        for i, row in enumerate(rows):
            for key, value in {
                "role": "member",
                "end": "",
                "end_reason": "",
                "suspension_start": "",
                "suspension_end": "",
                "suspension_kind": "",
                **row,
            }.items():
                data[f"memberships-{i}-{key}"] = value
        return data

    def test_spells_are_added_inline_on_the_bloc_page(self, curator_client):
        rus, kaz = make_country(), make_country()
        response = curator_client.post(
            reverse("admin:blocs_bloc_add"),
            self.inline_data(
                Bloc(), [{"country": rus.pk, "start": "1992-05-15"}, {"country": kaz.pk, "start": "1992-05"}]
            ),
        )
        assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
        bloc = Bloc.objects.get(slug="new-bloc")
        assert bloc.abbreviations == ["NB"]
        assert sorted(m.partial_date("start").iso for m in bloc.memberships.all()) == ["1992-05", "1992-05-15"]

    def test_overlapping_spells_typed_together_are_refused(self, curator_client):
        rus = make_country()
        response = curator_client.post(
            reverse("admin:blocs_bloc_add"),
            self.inline_data(Bloc(), [{"country": rus.pk, "start": "1992"}, {"country": rus.pk, "start": "1995"}]),
        )
        assert response.status_code == 200
        errors = response.context["inline_admin_formsets"][0].formset.errors
        assert "overlaps another spell" in str(errors)
        assert not Bloc.objects.filter(slug="new-bloc").exists()
        assert not Membership.objects.exists()

    def test_inline_spell_overlapping_a_stored_one_is_refused(self, curator_client):
        spell = make_membership(start="2000-01-01")
        data = self.inline_data(spell.bloc, [{"country": spell.country.pk, "start": "2001"}])
        data["memberships-TOTAL_FORMS"] = "2"
        data["memberships-INITIAL_FORMS"] = "1"
        # The stored spell, unchanged, comes back as form 1 (forms are renumbered after the new one).
        data.update(
            {
                f"memberships-1-{k}": v
                for k, v in {
                    "id": spell.pk,
                    "bloc": spell.bloc.pk,
                    "country": spell.country.pk,
                    "role": "member",
                    "start": "2000-01-01",
                    "end": "",
                    "end_reason": "",
                    "suspension_start": "",
                    "suspension_end": "",
                    "suspension_kind": "",
                }.items()
            }
        )
        response = curator_client.post(reverse("admin:blocs_bloc_change", args=[spell.bloc.pk]), data)
        assert response.status_code == 200
        assert "overlap" in str(response.context["inline_admin_formsets"][0].formset.errors)
        assert Membership.objects.count() == 1

    def test_dissolved_before_founded(self, curator_client):
        data = self.inline_data(Bloc(), [])
        data["dissolved"] = "1990"
        response = curator_client.post(reverse("admin:blocs_bloc_add"), data)
        assert errors_of(response)["dissolved"] == [
            "The bloc cannot be dissolved (1990) before it was founded (15 May 1992)."
        ]
        assert not Bloc.objects.exists()


class TestEventForm:
    def test_event_with_links_and_a_span(self, curator_client):
        bloc, country, source = make_bloc(), make_country(), make_source()
        response = curator_client.post(
            reverse("admin:events_event_add"),
            {
                "date": "2009-10-02",
                "end_date": "2009-10-16",
                "title": "Interaction-2009",
                "kind": "exercise",
                "location": "Matybulak",
                "description": "",
                "notes": "",
                "blocs": [bloc.pk],
                "countries": [country.pk],
                "sources": [source.pk],
                "claims-TOTAL_FORMS": "0",
                "claims-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302
        event = Event.objects.get()
        assert event.when == "2 October 2009 – 16 October 2009"
        assert list(event.blocs.all()) == [bloc] and list(event.sources.all()) == [source]

    def test_event_ending_before_it_begins(self, curator_client):
        response = curator_client.post(
            reverse("admin:events_event_add"),
            {"date": "2009-10-02", "end_date": "2009-10-01", "title": "x", "kind": "exercise"},
        )
        assert "cannot end (1 October 2009) before it begins (2 October 2009)" in str(errors_of(response))
        assert not Event.objects.exists()


class TestListsAndSearch:
    @pytest.mark.parametrize(
        "name, query",
        [
            ("blocs_membership", "?status=current"),
            ("blocs_membership", "?status=suspended&role=member"),
            ("blocs_membership", "?status=ended&q=Uzbek"),
            ("blocs_bloc", "?kind=military_alliance&place=top"),
            ("blocs_country", "?q=RU"),
            ("blocs_source", "?q=tass"),
            ("events_event", "?kind=summit&q=summit"),
        ],
    )
    def test_lists_filter_and_search(self, curator_client, name, query):
        make_event(title="CSTO summit", blocs=[make_membership(suspension_start="2012-12-19").bloc])
        response = curator_client.get(reverse(f"admin:{name}_changelist") + query)
        assert response.status_code == 200

    def test_status_filter_picks_suspended_spells(self, curator_client):
        make_membership(start="2000-01-01")
        suspended = make_membership(start="2006-08-16", suspension_start="2012-12-19")
        response = curator_client.get(reverse("admin:blocs_membership_changelist") + "?status=suspended")
        assert list(response.context["cl"].result_list) == [suspended]

    def test_autocomplete_finds_countries_by_code(self, curator_client):
        make_country(name="Kazakhstan", alpha3="KAZ", alpha2="KZ")
        response = curator_client.get(
            reverse("admin:autocomplete"),
            {"term": "KAZ", "app_label": "blocs", "model_name": "membership", "field_name": "country"},
        )
        assert [r["text"] for r in response.json()["results"]] == ["Kazakhstan (KAZ)"]


def test_str_reads_well_in_lists():
    bloc = make_bloc(name="Collective Security Treaty Organization", abbreviations=["CSTO"])
    spell = make_membership(country=make_country(name="Uzbekistan"), bloc=bloc, start="2006-08-16", role="observer")
    assert str(bloc) == "Collective Security Treaty Organization (CSTO)"
    assert str(spell) == "Uzbekistan in CSTO (observer), 16 August 2006 – present"
    assert str(make_source(key="tass-687141", title="")) == "tass-687141"
    assert str(make_event(date=d("2012-12-19"), title="UZ suspended")) == "19 December 2012: UZ suspended"


def test_deleting_a_cited_source_in_the_admin_is_refused_with_a_message(admin_client):
    source = make_source(key="odkb-basic")
    make_membership().sources.add(source)
    response = admin_client.post(reverse("admin:blocs_source_delete", args=[source.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Source.objects.filter(key="odkb-basic").exists()
