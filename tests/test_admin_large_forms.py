"""A bloc's or a country's change form with spells by the hundred: the latest listed, each one link away."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from blocs.membership_inlines import MembershipInlineFormSet
from blocs.models import Bloc, Membership

from .admin_forms import form_data
from .conftest import make_bloc, make_country

pytestmark = pytest.mark.django_db

MOST = MembershipInlineFormSet.MOST_SHOWN


def spells_of_one_country(bloc, country, n):
    """`n` one-year spells of `country` in `bloc`, one after another from 1800."""
    Membership.objects.bulk_create(
        Membership(country=country, bloc=bloc, start=datetime.date(1800 + i, 1, 1), end=datetime.date(1800 + i, 7, 1))
        for i in range(n)
    )


def spells_of_many_countries(bloc, n):
    Membership.objects.bulk_create(
        Membership(country=make_country(), bloc=bloc, start=datetime.date(2000, 1, 1)) for _ in range(n)
    )


def inline_of(response):
    return response.context["inline_admin_formsets"][0].formset


def test_a_bloc_with_few_spells_shows_them_all_without_a_note(curator_client):
    bloc = make_bloc()
    spells_of_many_countries(bloc, 3)
    response = curator_client.get(reverse("admin:blocs_bloc_change", args=[bloc.pk]))
    assert len(inline_of(response).forms) == 3
    assert "spells-cut" not in response.content.decode()


def test_a_bloc_with_hundreds_of_spells_lists_the_latest_and_links_to_all(curator_client):
    bloc = make_bloc(slug="big-bloc")
    country = make_country(name="Listland")
    spells_of_one_country(bloc, country, 130)
    response = curator_client.get(reverse("admin:blocs_bloc_change", args=[bloc.pk]))
    formset = inline_of(response)
    assert formset.forms == []  # none of them drawn as rows of inputs
    assert [row["start"].date.year for row in formset.listed] == list(range(1929, 1929 - MOST, -1))  # latest first
    assert formset.total == 130
    page = response.content.decode()
    assert f"Its 130 spells are too many to edit here: the latest {MOST} by start are listed" in page
    assert f'href="{reverse("admin:blocs_membership_changelist")}?bloc=big-bloc"' in page
    # Each listed spell opens on its own form.
    latest = Membership.objects.get(bloc=bloc, start=datetime.date(1929, 1, 1))
    assert f'<a href="{reverse("admin:blocs_membership_change", args=[latest.pk])}">Listland' in page
    assert 'id="memberships-empty"' in page  # a new spell can still be added here


def test_a_country_form_links_to_its_spells_by_its_code(curator_client):
    country = make_country(alpha3="XQZ")
    spells_of_one_country(make_bloc(name="Listed Pact"), country, MOST + 1)
    response = curator_client.get(reverse("admin:blocs_country_change", args=[country.pk]))
    formset = inline_of(response)
    assert formset.forms == [] and len(formset.listed) == MOST
    assert {row["other"] for row in formset.listed} == {"Listed Pact"}
    assert f'href="{reverse("admin:blocs_membership_changelist")}?country=XQZ"' in response.content.decode()
    # The link's filter lists every one of them.
    listed = curator_client.get(reverse("admin:blocs_membership_changelist") + "?country=XQZ")
    assert listed.context["cl"].result_count == MOST + 1


def test_a_listed_spell_shows_its_suspension(curator_client):
    bloc = make_bloc()
    spells_of_many_countries(bloc, MOST + 1)
    Membership.objects.filter(bloc=bloc).update(
        suspension_start=datetime.date(2012, 6, 1), suspension_kind="self_declared"
    )
    formset = inline_of(curator_client.get(reverse("admin:blocs_bloc_change", args=[bloc.pk])))
    assert {row["suspension"] for row in formset.listed} == {"since 1 June 2012"}
    assert {row["end"] for row in formset.listed} == {"—"}


def test_the_russian_form_says_it_in_russian(curator_client):
    bloc = make_bloc()
    spells_of_one_country(bloc, make_country(), 61)
    with translation.override("ru"):
        url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    assert url.startswith("/ru/")
    response = curator_client.get(url)
    page = response.content.decode()
    assert "Периодов членства слишком много, чтобы править их здесь (61)" in page
    assert "Последние 25 периодов членства" in page


def test_the_cut_form_saves_as_drawn_and_leaves_the_other_spells_alone(curator_client):
    bloc = make_bloc(name="Old name")
    spells_of_one_country(bloc, make_country(), 80)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    data = form_data(curator_client.get(url))
    data["name"] = "New name"
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Bloc.objects.get(pk=bloc.pk).name == "New name"
    assert Membership.objects.filter(bloc=bloc).count() == 80


def test_a_spell_added_on_the_cut_form_is_still_checked_against_every_other(curator_client):
    bloc = make_bloc()
    country = make_country()
    spells_of_one_country(bloc, country, 60)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    data = form_data(curator_client.get(url))
    # A new spell starting in 1805, a year whose spell is on no row of the form.
    formset = "memberships"
    assert data[f"{formset}-INITIAL_FORMS"] == "0"
    data[f"{formset}-TOTAL_FORMS"] = "1"
    data.update(
        {f"{formset}-0-country": str(country.pk), f"{formset}-0-role": "member", f"{formset}-0-start": "1805-03-01"}
    )
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert "overlap" in str(inline_of(response).errors)
    assert not Membership.objects.filter(bloc=bloc, start=datetime.date(1805, 3, 1)).exists()
    assert Membership.objects.filter(bloc=bloc).count() == 60


def test_a_form_opened_before_the_record_grew_past_the_cut_is_refused_with_a_reason(curator_client):
    bloc = make_bloc(name="Old name")
    spells_of_one_country(bloc, make_country(), MOST)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    data = form_data(curator_client.get(url))
    assert data["memberships-INITIAL_FORMS"] == str(MOST)  # drawn as editable rows
    Membership.objects.create(country=make_country(), bloc=bloc, start=datetime.date(2001, 1, 1))
    data["name"] = "New name"
    response = curator_client.post(url, data)
    assert response.status_code == 200
    formset = inline_of(response)
    assert [str(e) for e in formset.non_form_errors()] == [
        f"Spells were added to this record since the form was opened, and it now has {MOST + 1}: "
        "too many to edit here. Nothing was saved; open the form again."
    ]
    assert not any(formset.errors)  # one reason, not one per row
    assert Bloc.objects.get(pk=bloc.pk).name == "Old name"
    assert Membership.objects.filter(bloc=bloc).count() == MOST + 1


@pytest.mark.parametrize("spells", [MOST + 1, 4 * MOST])
def test_the_form_costs_the_same_queries_however_many_spells(curator_client, django_assert_num_queries, spells):
    bloc = make_bloc()
    spells_of_many_countries(bloc, spells)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    curator_client.get(url)  # the session and the user's permissions, read once
    with django_assert_num_queries(QUERIES_OF_A_BIG_BLOC_FORM):
        response = curator_client.get(url)
    assert len(inline_of(response).listed) == MOST


# The session, the user, the bloc, the permissions (2) and groups, the bloc again for the form, its
# sources, the latest spells with their countries, their count, the bloc's claims.
QUERIES_OF_A_BIG_BLOC_FORM = 10
