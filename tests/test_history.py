"""Change history: who changed what and when, from the admin and from loads; comparing and reverting."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from blocs.models import Bloc, Country, Membership
from events.models import Event
from tests.admin_forms import form_data
from tests.conftest import make_bloc, make_country, make_event, make_membership, make_source

from .admin_forms import change_url, save_in_admin

pytestmark = pytest.mark.django_db


def history_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def compare_url(obj, old, new):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_compare", args=[obj.pk])
    return f"{url}?old={old.history_id}&new={new.history_id}"


def version_url(obj, version):
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history"
    return reverse(name, args=[obj.pk, version.history_id])


def test_admin_change_records_who_when_and_each_field(curator_client, curator):
    country = make_country(name="Kirgizia", other_names="")
    save_in_admin(curator_client, country, name="Kyrgyzstan", other_names="Kirghizia; Kyrgyz Republic")

    newest = country.history.first()
    assert newest.history_type == "~"
    assert newest.history_user == curator
    page = curator_client.get(history_url(country)).content.decode()
    assert "Kirgizia &rarr; Kyrgyzstan" in page
    assert "Other names:</strong> — &rarr; Kirghizia; Kyrgyz Republic" in page
    assert curator.username in page


def test_one_admin_save_is_one_version_with_its_sources(curator_client, curator):
    treaty, report = make_source(key="treaty"), make_source(key="report")
    bloc = make_bloc(name="Collective Security Treaty Organization")
    bloc.sources.set([treaty])
    before = bloc.history.count()

    save_in_admin(curator_client, bloc, description="Founded on the 1992 treaty.", sources=[str(report.pk)])

    assert bloc.history.count() == before + 1
    newest = bloc.history.first()
    assert [row.source.key for row in newest.sources.all()] == ["report"]
    assert newest.history_user == curator
    page = curator_client.get(history_url(bloc)).content.decode()
    assert "Sources:</strong> treaty: Source" in page


def test_inline_spell_change_is_recorded_with_its_curator(curator_client, curator):
    spell = make_membership(start="1994-04-20")
    data = form_data(curator_client.get(change_url(spell.bloc)))
    data["memberships-0-end"] = "1999-04"
    data["memberships-0-end_reason"] = "non_renewal"
    assert curator_client.post(change_url(spell.bloc), data).status_code == 302

    newest = spell.history.first()
    assert (newest.end.isoformat(), newest.end_precision, newest.history_user) == ("1999-04-01", "month", curator)


def test_deletion_is_recorded_and_the_history_stays_readable(curator_client, curator):
    source = make_source(key="deleted-later", title="A report")
    response = curator_client.post(reverse("admin:blocs_source_delete", args=[source.pk]), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    gone = source.history.first()
    assert (gone.history_type, gone.history_user) == ("-", curator)
    assert "A report" in curator_client.get(history_url(source)).content.decode()


def test_event_links_to_spells_are_part_of_its_history(curator_client):
    spell = make_membership(start="2015-01-02")
    event = make_event(title="Armenia joins the EAEU")
    save_in_admin(curator_client, event, memberships=[str(spell.pk)])
    newest = event.history.first()
    assert [row.membership_id for row in newest.memberships.all()] == [spell.pk]


def test_bloc_predecessors_are_part_of_its_history(curator_client):
    cst = make_bloc(name="Collective Security Treaty")
    csto = make_bloc(name="Collective Security Treaty Organization")
    save_in_admin(curator_client, csto, predecessors=[str(cst.pk)])
    assert [row.predecessor_id for row in csto.history.first().predecessors.all()] == [cst.pk]
    page = curator_client.get(history_url(csto)).content.decode()
    assert "Predecessors:</strong> — &rarr; Collective Security Treaty" in page


def test_load_records_signs_its_versions_with_reason_and_user(tmp_path, curator):
    dataset = {
        "format": "eurasia-records/1",
        "sources": [{"key": "tass-1", "title": "TASS"}],
        "countries": [{"alpha3": "KAZ", "alpha2": "KZ", "name": "Kazakhstan"}],
        "blocs": [{"slug": "eaeu", "name": "Eurasian Economic Union", "kind": "economic_union", "sources": ["tass-1"]}],
        "memberships": [{"country": "KAZ", "bloc": "eaeu", "role": "member", "start": "2015-01-01"}],
    }
    path = tmp_path / "eaeu.json"
    path.write_text(json.dumps(dataset))
    call_command("load_records", str(path), user=curator.username, stdout=open("/dev/null", "w"))

    bloc = Bloc.objects.get(slug="eaeu")
    versions = list(bloc.history.all())
    assert {(v.history_change_reason, v.history_user) for v in versions} == {(f"loaded from {path}", curator)}
    assert [row.source.key for row in versions[0].sources.all()] == ["tass-1"]
    spell = Membership.objects.get()
    assert spell.history.get().history_user == curator

    # Loading the same file again changes nothing, so it adds no version.
    call_command("load_records", str(path), stdout=open("/dev/null", "w"))
    assert bloc.history.count() == len(versions)

    # Links alone changing still make a version, and a new "last changed".
    dataset["blocs"][0]["sources"] = []
    path.write_text(json.dumps(dataset))
    updated_at = bloc.updated_at
    call_command("load_records", str(path), reason="sources withdrawn", update=True, stdout=open("/dev/null", "w"))
    bloc.refresh_from_db()
    assert bloc.updated_at > updated_at
    newest = bloc.history.first()
    assert (newest.history_change_reason, newest.history_user, newest.sources.count()) == ("sources withdrawn", None, 0)


def test_load_records_refuses_an_unknown_user_and_stores_nothing(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"format": "eurasia-records/1", "countries": []}))
    with pytest.raises(Exception, match='No user "nobody"'):
        call_command("load_records", str(path), user="nobody")


def test_curator_compares_two_versions_field_by_field(curator_client, django_assert_num_queries):
    country = make_country(name="Byelorussia", alpha2="BY", alpha3="BLR", notes="")
    first = country.history.get()
    save_in_admin(curator_client, country, name="Belarus", notes="Renamed 19 September 1991.")
    second = country.history.first()

    # session, user, the two versions (with their users), the record, and the curator's user and
    # group permissions: the page reads only what it shows.
    with django_assert_num_queries(6):
        response = curator_client.get(compare_url(country, second, first))
    page = response.content.decode()
    assert response.status_code == 200
    rows = {label: (before, after, changed) for label, before, after, changed in response.context["rows"]}
    assert rows["Name"] == ("Byelorussia", "Belarus", True)
    assert rows["Notes"] == ("—", "Renamed 19 September 1991.", True)
    assert rows["Iso alpha-3"] == ("BLR", "BLR", False)
    assert page.count("curation-changed") == 2
    assert "Created by someone" in page  # made by a script: no user, no reason


def test_partial_dates_compare_as_readers_read_them(curator_client):
    spell = make_membership(start="1994-04-20")
    old = spell.history.get()
    save_in_admin(curator_client, spell, start="1994-04", end="2012")
    new = spell.history.first()
    rows = {r[0]: r[1:] for r in curator_client.get(compare_url(spell, old, new)).context["rows"]}
    assert rows["Start"] == ("20 April 1994", "April 1994", True)
    assert rows["End"] == ("—", "2012", True)


def test_curator_reverts_a_record_and_its_sources(curator_client, curator):
    treaty = make_source(key="treaty")
    bloc = make_bloc(name="Eurasian Economic Community", description="As founded.")
    bloc.sources.set([treaty])
    save_in_admin(curator_client, bloc, description="Vandalised.", sources=[])
    original = bloc.history.all()[1]  # the version before the vandalism

    page = curator_client.get(version_url(bloc, original))
    assert page.status_code == 200
    assert "Revert" in page.content.decode()
    data = form_data(page)
    assert data["sources"] == [str(treaty.pk)], "the form shows the version's sources, not today's"
    assert curator_client.post(version_url(bloc, original), data).status_code == 302

    bloc.refresh_from_db()
    assert bloc.description == "As founded."
    assert list(bloc.sources.all()) == [treaty]
    newest = bloc.history.first()
    assert newest.history_user == curator
    assert newest.history_change_reason.startswith("Reverted to the version of ")
    assert [row.source_id for row in newest.sources.all()] == [treaty.pk]


def test_analyst_reads_history_and_versions_but_cannot_revert(client, analyst, curator):
    country = make_country(name="Kazakstan")
    client.force_login(curator)
    save_in_admin(client, country, name="Kazakhstan")
    old, new = country.history.last(), country.history.first()
    client.force_login(analyst)

    assert client.get(history_url(country)).status_code == 200
    assert client.get(compare_url(country, old, new)).status_code == 200
    page = client.get(version_url(country, old))
    assert page.status_code == 200
    assert 'value="Revert"' not in page.content.decode()
    data = form_data(page)
    assert client.post(version_url(country, old), data).status_code == 403
    country.refresh_from_db()
    assert country.name == "Kazakhstan"


@pytest.mark.parametrize(
    "suffix",
    [
        "history/abc/",
        "history/99999999/",
        "history/compare/?old=1",
        "history/compare/?old=x&new=y",
        "history/compare/?old=99999999999999999999&new=1",
        "history/compare/?old=999999&new=999998",
    ],
)
def test_bad_version_addresses_are_not_found(curator_client, suffix):
    country = make_country()
    url = change_url(country).replace("change/", suffix)
    assert curator_client.get(url).status_code == 404


@pytest.mark.parametrize("object_id", ["abc", "1%20OR%201=1", "99999999"])
def test_bad_record_addresses_in_history_are_handled(curator_client, object_id):
    response = curator_client.get(f"/admin/blocs/country/{object_id}/history/")
    assert response.status_code in (302, 404)
    assert Country.objects.count() == 0


def test_versions_of_another_record_cannot_be_compared(curator_client):
    a, b = make_country(), make_country()
    url = compare_url(a, a.history.get(), b.history.get())
    assert curator_client.get(url).status_code == 404


def test_event_history_page_lists_versions_with_pickers(curator_client):
    event = make_event(title="Summit in Minsk")
    save_in_admin(curator_client, event, location="Minsk")
    page = curator_client.get(history_url(event)).content.decode()
    assert page.count('type="radio" name="old"') == 2
    assert "Compare the two chosen versions" in page
    assert "Location:</strong> — &rarr; Minsk" in page
    assert Event.objects.count() == 1
