"""A bloc's or a country's change form with spells by the hundred: the latest few, the rest one link away."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from blocs.admin import MembershipInlineFormSet
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


def test_a_bloc_with_hundreds_of_spells_shows_the_latest_and_links_to_all(curator_client):
    bloc = make_bloc(slug="big-bloc")
    spells_of_one_country(bloc, make_country(), 130)
    response = curator_client.get(reverse("admin:blocs_bloc_change", args=[bloc.pk]))
    formset = inline_of(response)
    shown = sorted(form.instance.start.year for form in formset.forms)
    assert shown == list(range(1930 - MOST, 1930))  # the latest by start
    assert formset.total == 130
    page = response.content.decode()
    assert f"The latest {MOST} of its 130 spells are shown here, by start." in page
    assert f'href="{reverse("admin:blocs_membership_changelist")}?bloc=big-bloc"' in page


def test_a_country_form_links_to_its_spells_by_its_code(curator_client):
    country = make_country(alpha3="XQZ")
    spells_of_one_country(make_bloc(), country, MOST + 1)
    response = curator_client.get(reverse("admin:blocs_country_change", args=[country.pk]))
    assert len(inline_of(response).forms) == MOST
    assert f'href="{reverse("admin:blocs_membership_changelist")}?country=XQZ"' in response.content.decode()
    # The link's filter lists every one of them.
    listed = curator_client.get(reverse("admin:blocs_membership_changelist") + "?country=XQZ")
    assert listed.context["cl"].result_count == MOST + 1


def test_the_russian_form_says_it_in_russian(curator_client):
    bloc = make_bloc()
    spells_of_one_country(bloc, make_country(), 61)
    with translation.override("ru"):
        url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    assert url.startswith("/ru/")
    response = curator_client.get(url)
    page = response.content.decode()
    assert "Здесь показаны последние 25 из 61 периода членства, по дате начала." in page


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


def test_a_spell_on_the_cut_form_is_still_checked_against_every_other(curator_client):
    bloc = make_bloc()
    country = make_country()
    spells_of_one_country(bloc, country, 60)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    data = form_data(curator_client.get(url))
    # Move the latest spell's start back into 1805, a year whose spell is not on the form.
    formset = "memberships"
    rows = int(data[f"{formset}-INITIAL_FORMS"])
    latest = max(range(rows), key=lambda i: data[f"{formset}-{i}-start"])
    data[f"{formset}-{latest}-start"] = "1805-03-01"
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert "overlaps" in str(inline_of(response).errors)
    assert not Membership.objects.filter(bloc=bloc, start=datetime.date(1805, 3, 1)).exists()


@pytest.mark.parametrize("spells", [MOST + 1, 4 * MOST])
def test_the_form_costs_the_same_queries_however_many_spells(curator_client, django_assert_num_queries, spells):
    bloc = make_bloc()
    spells_of_many_countries(bloc, spells)
    url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
    curator_client.get(url)  # the session and the user's permissions, read once
    with django_assert_num_queries(QUERIES_OF_A_BIG_BLOC_FORM):
        response = curator_client.get(url)
    assert len(inline_of(response).forms) == MOST


# The session, the user, the bloc, the permissions (2) and groups, the bloc again for the form, its
# sources, the latest spells' ids, their count, the spells with their countries, the bloc's claims.
QUERIES_OF_A_BIG_BLOC_FORM = 11
