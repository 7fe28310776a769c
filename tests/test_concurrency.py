"""Two curators on the same record: the later save never silently overwrites the earlier one."""

import pytest
from django.test import Client
from django.urls import reverse

from blocs.models import Bloc, Country, Membership
from tests.admin_forms import change_url, errors, form_data
from tests.conftest import make_bloc, make_country, make_membership, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db):
    client = Client()
    client.force_login(make_staff("Curators", "anna"))
    return client


@pytest.fixture
def boris(db):
    client = Client()
    client.force_login(make_staff("Curators", "boris"))
    return client


def test_second_save_is_refused_with_what_changed(anna, boris):
    country = make_country(name="Kirgizia", notes="")
    annas_form = form_data(anna.get(change_url(country)))
    boris_form = form_data(boris.get(change_url(country)))

    annas_form["name"] = "Kyrgyzstan"
    assert anna.post(change_url(country), annas_form).status_code == 302
    boris_form["notes"] = "Renamed in 1993."
    response = boris.post(change_url(country), boris_form)

    assert response.status_code == 200
    shown = errors(response)
    assert shown[0].startswith("This country was changed by anna (last at ")
    assert "Your changes were not saved" in shown[0]
    assert "Name: “Kirgizia” → “Kyrgyzstan”" in shown
    assert "Saving again replaces theirs with yours." in shown[-1]
    assert "Name: “Kirgizia” → “Kyrgyzstan”" in response.content.decode()
    country.refresh_from_db()
    assert (country.name, country.notes) == ("Kyrgyzstan", "")
    assert country.history.count() == 2

    # The refused form now carries the current version: saving again is a deliberate overwrite.
    again = form_data(response)
    assert again["notes"] == "Renamed in 1993."
    assert boris.post(change_url(country), again).status_code == 302
    country.refresh_from_db()
    assert (country.name, country.notes) == ("Kirgizia", "Renamed in 1993.")


def test_save_of_a_record_deleted_meanwhile_is_refused(anna, boris):
    country = make_country()
    boris_form = form_data(boris.get(change_url(country)))
    anna.post(reverse("admin:blocs_country_delete", args=[country.pk]), {"post": "yes"})
    boris_form["notes"] = "Too late."
    response = boris.post(change_url(country), boris_form, follow=True)
    assert response.status_code == 200
    assert Country.objects.count() == 0


def test_spell_changed_elsewhere_refuses_the_bloc_page_row_that_edits_it(anna, boris):
    spell = make_membership(start="1994-04-20")
    bloc = spell.bloc
    boris_form = form_data(boris.get(change_url(bloc)))

    annas_form = form_data(anna.get(change_url(spell)))
    annas_form["end"] = "1999-04-02"
    annas_form["end_reason"] = "non_renewal"
    assert anna.post(change_url(spell), annas_form).status_code == 302

    boris_form["memberships-0-role"] = "observer"
    response = boris.post(change_url(bloc), boris_form)
    assert response.status_code == 200
    row_errors = [str(e) for e in response.context["inline_admin_formsets"][0].formset.forms[0].non_field_errors()]
    assert row_errors[0].startswith("This membership was changed by anna")
    assert "End: “—” → “2 April 1999”" in row_errors
    spell.refresh_from_db()
    assert (spell.role, spell.end_reason) == ("member", "non_renewal")


def test_untouched_rows_do_not_block_a_save_of_the_bloc(anna, boris):
    spell = make_membership(start="1994-04-20")
    bloc = spell.bloc
    boris_form = form_data(boris.get(change_url(bloc)))
    annas_form = form_data(anna.get(change_url(spell)))
    annas_form["notes"] = "Ratified late."
    assert anna.post(change_url(spell), annas_form).status_code == 302

    boris_form["description"] = "A customs union."
    assert boris.post(change_url(bloc), boris_form).status_code == 302
    assert Bloc.objects.get().description == "A customs union."
    assert Membership.objects.get().notes == "Ratified late."


def test_revert_over_a_newer_change_is_refused(anna, boris):
    country = make_country(name="Byelorussia")
    first = country.history.get()
    url = reverse("admin:blocs_country_simple_history", args=[country.pk, first.history_id])
    boris_form = form_data(boris.get(url))

    annas_form = form_data(anna.get(change_url(country)))
    annas_form["name"] = "Belarus"
    anna.post(change_url(country), annas_form)

    response = boris.post(url, boris_form)
    assert response.status_code == 200
    assert "This country was changed by anna" in response.content.decode()
    country.refresh_from_db()
    assert country.name == "Belarus"


@pytest.mark.parametrize("token", ["not a date", "2001-01-01T00:00:00+00:00", "9" * 5000])
def test_tampered_version_is_refused_and_nothing_stored(curator_client, token):
    bloc = make_bloc(name="Shanghai Five")
    data = form_data(curator_client.get(change_url(bloc)))
    data.update(seen_updated_at=token, name="Shanghai Cooperation Organisation")
    response = curator_client.post(change_url(bloc), data)
    assert response.status_code == 200
    assert "was changed by" in response.content.decode()
    assert Bloc.objects.get().name == "Shanghai Five"


def test_a_load_while_the_form_is_open_is_named_in_the_refusal(boris, tmp_path):
    import json

    from django.core.management import call_command

    country = make_country(name="Kirgizia", alpha2="KG", alpha3="KGZ")
    boris_form = form_data(boris.get(change_url(country)))
    path = tmp_path / "rename.json"
    dataset = {"format": "eurasia-records/1", "countries": [{"alpha3": "KGZ", "alpha2": "KG", "name": "Kyrgyzstan"}]}
    path.write_text(json.dumps(dataset))
    call_command("load_records", str(path), update=True, stdout=open("/dev/null", "w"))

    boris_form["notes"] = "Renamed in 1993."
    shown = errors(boris.post(change_url(country), boris_form))
    assert shown[0].startswith(f"This country was changed by a data load (loaded from {path})")
    assert "Name: “Kirgizia” → “Kyrgyzstan”" in shown
    assert Country.objects.get().notes == ""
