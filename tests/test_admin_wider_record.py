"""The wider record's blocs, the dialogue partner role and the de facto suspension in the admin and its spreadsheets."""

import csv
import io

import pytest
from django.urls import reverse

from blocs.models import Bloc, Membership, Role, SuspensionKind

from .admin_forms import errors, form_data, membership_form
from .conftest import make_country
from .spreadsheet_forms import assert_refused, export, import_file

pytestmark = pytest.mark.django_db

NEW_BLOCS = ["nato", "shanghai-five", "sco", "guam", "by-ru-community", "by-ru-union", "union-state"]


def changelist(client, name, query=""):
    response = client.get(reverse(f"admin:{name}_changelist") + query)
    assert response.status_code == 200
    return list(response.context["cl"].queryset)


def spells_csv(rows):
    return ("country,bloc,role,start,end,suspension start,suspension kind\n" + "".join(rows)).encode()


class TestAdmin:
    @pytest.mark.parametrize("slug", NEW_BLOCS)
    def test_each_new_blocs_change_form_saves_as_it_is(self, curator_client, seed, slug):
        bloc = Bloc.objects.get(slug=slug)
        spells = sorted(bloc.memberships.values_list("country__alpha3", "role", "start", "end"))
        url = reverse("admin:blocs_bloc_change", args=[bloc.pk])
        response = curator_client.post(url, form_data(curator_client.get(url)))
        assert response.status_code == 302, errors(response)
        bloc.refresh_from_db()
        assert bloc.slug == slug and bloc.founded is not None
        assert sorted(bloc.memberships.values_list("country__alpha3", "role", "start", "end")) == spells

    def test_a_new_political_bloc_continuing_another_is_added(self, curator_client, seed):
        sco = Bloc.objects.get(slug="sco")
        url = reverse("admin:blocs_bloc_add")
        data = form_data(curator_client.get(url))
        data.update(
            name="Successor of the SCO", slug="sco-next", abbreviations="SCO2", kind="political", founded="2030-06"
        )
        data["predecessors"] = [str(sco.pk)]
        response = curator_client.post(url, data)
        assert response.status_code == 302, errors(response)
        bloc = Bloc.objects.get(slug="sco-next")
        assert list(bloc.predecessors.all()) == [sco]
        assert bloc.partial_date("founded").iso == "2030-06"

    def test_the_kind_filter_lists_the_political_organisations(self, curator_client, seed):
        listed = {b.slug for b in changelist(curator_client, "blocs_bloc", "?kind=political")}
        assert listed == {"cis", "shanghai-five", "sco", "guam", "by-ru-community", "by-ru-union", "union-state"}
        military = {b.slug for b in changelist(curator_client, "blocs_bloc", "?kind=military_alliance&place=top")}
        assert military == {"cst", "csto", "nato"}

    def test_a_dialogue_partner_spell_is_added_changed_and_filtered(self, curator_client, seed):
        sco = Bloc.objects.get(slug="sco")
        country = make_country(name="Maldives", alpha3="MDV", alpha2="MV")
        response = curator_client.post(
            reverse("admin:blocs_membership_add"),
            membership_form(country, sco, role="dialogue_partner", start="2023-05-05", notes="Memorandum signed."),
        )
        assert response.status_code == 302
        spell = Membership.objects.get(country=country)
        assert spell.role == Role.DIALOGUE_PARTNER
        url = reverse("admin:blocs_membership_change", args=[spell.pk])
        page = curator_client.get(url)
        assert '<option value="dialogue_partner" selected>dialogue partner</option>' in page.content.decode()
        data = form_data(page)
        data["notes"] = "Memorandum on dialogue partnership signed."
        assert curator_client.post(url, data).status_code == 302
        spell.refresh_from_db()
        assert (spell.role, spell.notes) == ("dialogue_partner", "Memorandum on dialogue partnership signed.")

        partners = changelist(curator_client, "blocs_membership", "?role=dialogue_partner&bloc=sco")
        assert sorted(m.country.alpha3 for m in partners) == [
            "ARM",
            "AZE",
            "BLR",
            "KHM",
            "LAO",
            "LKA",
            "MDV",
            "NPL",
            "TUR",
        ]
        current = changelist(curator_client, "blocs_membership", "?role=dialogue_partner&status=current")
        assert "BLR" not in {m.country.alpha3 for m in current}  # an observer since 2015

    def test_a_de_facto_suspension_is_added_and_found_by_the_status_filter(self, curator_client, seed):
        guam = Bloc.objects.get(slug="guam")
        country = make_country(name="Ruritania", alpha3="RUR", alpha2="RR")
        response = curator_client.post(
            reverse("admin:blocs_membership_add"),
            membership_form(country, guam, start="1999-04-24", suspension_start="2005", suspension_kind="de_facto"),
        )
        assert response.status_code == 302
        spell = Membership.objects.get(country=country)
        assert (spell.suspension_kind, spell.partial_date("suspension_start").iso) == ("de_facto", "2005")
        page = curator_client.get(reverse("admin:blocs_membership_change", args=[spell.pk])).content.decode()
        assert '<option value="de_facto" selected>in fact, without any decision</option>' in page

        suspended = changelist(curator_client, "blocs_membership", "?status=suspended")
        found = {(m.country.alpha3, m.bloc.slug, m.suspension_kind) for m in suspended}
        assert ("RUR", "guam", "de_facto") in found
        assert ("AFG", "sco", "de_facto") in found  # the seed's own: Afghanistan in the SCO since 2021

    def test_a_de_facto_suspension_needs_its_start(self, curator_client, seed):
        country, guam = make_country(), Bloc.objects.get(slug="guam")
        response = curator_client.post(
            reverse("admin:blocs_membership_add"),
            membership_form(country, guam, start="1999-04-24", suspension_kind="de_facto"),
        )
        assert response.status_code == 200
        assert errors(response)
        assert not Membership.objects.filter(country=country).exists()


class TestSpreadsheets:
    def test_the_new_roles_and_kinds_are_exported_by_their_codes(self, curator_client, seed):
        sco = Bloc.objects.get(slug="sco")
        content, _ = export(curator_client, "blocs", "membership", query=f"?bloc__id__exact={sco.pk}")
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        roles = {(r["country"], r["start"]): r["role"] for r in rows}
        assert roles[("TUR", "2012-06-07")] == "dialogue_partner"
        afghanistan = next(r for r in rows if r["country"] == "AFG")
        assert (afghanistan["suspension start"], afghanistan["suspension kind"]) == ("2021-09", "de_facto")

        content, _ = export(curator_client, "blocs", "bloc", query="?kind=political")
        blocs = {r["slug"]: r for r in csv.DictReader(io.StringIO(content.decode()))}
        assert set(NEW_BLOCS) - {"nato"} <= set(blocs)
        assert blocs["union-state"]["predecessors"] == "by-ru-union"
        assert blocs["sco"]["kind"] == "political"

    def test_a_file_of_dialogue_partners_and_de_facto_suspensions_is_imported(self, curator_client, seed):
        make_country(name="Maldives", alpha3="MDV", alpha2="MV")
        make_country(name="Ruritania", alpha3="RUR", alpha2="RR")
        content = spells_csv(
            [
                "MDV,sco,dialogue partner,2023-05-05,,,\n",  # the label is read as well as the code
                "RUR,guam,member,1999-04-24,,2005,in fact without any decision\n",
            ]
        )
        # "in fact without any decision" lacks the label's comma: refused, with the codes to use.
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            content,
            "“in fact without any decision” is not a suspension kind: use one of formal, self_declared, de_facto.",
        )
        import_file(
            curator_client, "blocs", "membership", content.replace(b"in fact without any decision", b"de_facto")
        )
        assert Membership.objects.get(country__alpha3="MDV").role == "dialogue_partner"
        ruritania = Membership.objects.get(country__alpha3="RUR")
        assert (ruritania.bloc.slug, ruritania.suspension_kind) == ("guam", SuspensionKind.DE_FACTO)
        assert ruritania.is_suspended_on(ruritania.start.replace(year=2010))

    def test_an_unknown_role_is_refused_naming_the_dialogue_partner(self, curator_client, seed):
        make_country(name="Maldives", alpha3="MDV", alpha2="MV")
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            spells_csv(["MDV,sco,partner,2023-05-05,,,\n"]),
            "“partner” is not a role: use one of member, observer, associate, candidate, participant, dialogue_partner.",
        )

    def test_a_new_bloc_is_imported_with_its_predecessor_and_members(self, curator_client, seed):
        make_country(name="Ruritania", alpha3="RUR", alpha2="RR")
        blocs = (
            b"slug,name,abbreviations,kind,founded,predecessors\nguam-next,GUAM Successor,GUAM2,political,2031,guam\n"
        )
        import_file(curator_client, "blocs", "bloc", blocs)
        bloc = Bloc.objects.get(slug="guam-next")
        assert [b.slug for b in bloc.predecessors.all()] == ["guam"]
        import_file(curator_client, "blocs", "membership", spells_csv(["RUR,guam-next,member,2031,,,\n"]))
        assert bloc.memberships.active_on(bloc.founded).get().country.alpha3 == "RUR"
