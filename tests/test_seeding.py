"""Curators' work survives every start, seed and load: existing records change only when an operator asks, and sees how."""

import importlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from blocs.models import Bloc, Membership
from events.models import Event

from .admin_forms import save_in_admin
from .conftest import FIXTURES
from .servers import ROOT, database_url, free_port, get, local_env, production_env

pytestmark = pytest.mark.django_db

CURATED = {
    "bloc": "Curated: the alliance as the curators now describe it.",
    "spell": "Curated: Armenia's freeze, as the curators now word it.",
    "event": "Curated: the summit, as the curators now tell it.",
}


def csto():
    return Bloc.objects.get(slug="csto")


def armenia_in_the_csto():
    return Membership.objects.get(country__alpha3="ARM", bloc__slug="csto")


def the_summit():
    return Event.objects.filter(blocs__slug="csto").order_by("date").first()


def curate(client):
    """A curator's edits, made in the admin, to a seeded bloc, spell and event."""
    save_in_admin(client, csto(), description=CURATED["bloc"])
    save_in_admin(client, armenia_in_the_csto(), notes=CURATED["spell"])
    save_in_admin(client, the_summit(), description=CURATED["event"])


def curated_values():
    return {
        "bloc": csto().description,
        "spell": armenia_in_the_csto().notes,
        "event": the_summit().description,
    }


def seed_file(tmp_path, change):
    """A copy of the seed with `change(data)` applied; its path."""
    data = json.loads((FIXTURES / "seed.json").read_text())
    change(data)
    path = tmp_path / "newer-seed.json"
    path.write_text(json.dumps(data))
    return path


def bloc_row(data, slug):
    return next(row for row in data["blocs"] if row["slug"] == slug)


def load(*args, **options):
    out = io.StringIO()
    call_command("load_records", *map(str, args), stdout=out, **options)
    return out.getvalue()


# Starting the site -------------------------------------------------------------------------------


def image_command():
    """The command line the image runs on every start, read from the Dockerfile."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    return json.loads(re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1))


def run_the_image_command(env):
    """Run the image's start command until the site answers, then stop it; its output."""
    port = free_port()
    env = {**env, "PORT": str(port), "PATH": f"{os.path.dirname(sys.executable)}:{env['PATH']}"}
    process = subprocess.Popen(
        image_command(),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if get(f"http://127.0.0.1:{port}/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the site never answered"
            time.sleep(0.3)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    return output


def test_the_image_starts_through_the_seed_command():
    assert image_command()[:2] == ["sh", "-c"]
    assert "manage.py seed &&" in image_command()[2]
    assert "load_records" not in image_command()[2]


def test_a_fresh_database_gets_the_whole_seed():
    out = io.StringIO()
    call_command("seed", stdout=out)
    seed = json.loads((FIXTURES / "seed.json").read_text())
    assert f"blocs: {len(seed['blocs'])} created" in out.getvalue()
    assert Event.objects.count() == len(seed["events"])
    assert set(csto().history.values_list("history_load", flat=True)) == {"fixtures/seed.json"}


@pytest.mark.parametrize("start", ["make seed", "the image's command"])
def test_a_curators_edits_survive_starting_the_site_again(transactional_db, seed, curator_client, start):
    curate(curator_client)
    url = database_url(connection.settings_dict)
    if start == "make seed":
        result = subprocess.run(
            ["make", "seed"], cwd=ROOT, env=local_env(DATABASE_URL=url), capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        output = result.stdout
    else:
        output = run_the_image_command(production_env(DATABASE_URL=url))

    assert "the seed was not loaded and no record was changed" in output
    assert "15 blocs" in output
    assert curated_values() == CURATED
    assert csto().history.first().history_user.username == "curators"


def test_a_curators_edits_survive_loading_the_seed_again(seed, curator_client):
    curate(curator_client)
    with pytest.raises(CommandError) as refused:
        load(FIXTURES / "seed.json")

    message = str(refused.value)
    assert message.startswith("Nothing was stored: the file would change 3 existing record(s):")
    assert '"csto":' in message
    assert f"Description: CONFLICT: the database has “{CURATED['bloc']}” (last changed by curators on " in message
    assert "run again with --update" in message
    assert curated_values() == CURATED


# Loading over existing records -------------------------------------------------------------------


def test_update_shows_each_change_and_records_who_loaded_which_file_and_why(seed, tmp_path, curator):
    def newer(data):
        bloc_row(data, "csto")["kind"] = "political"
        bloc_row(data, "cis")["sources"] = bloc_row(data, "cis")["sources"][:1]

    path = seed_file(tmp_path, newer)
    cis = Bloc.objects.get(slug="cis")
    cis_sources = sorted(str(s) for s in cis.sources.all())
    kept_source = str(cis.sources.get(key="panarmenian-27321"))
    output = load(path, update=True, user="curators", reason="the newer fact sheet")

    assert output.startswith("Changing 2 existing record(s):\n")
    assert "    Kind: “military alliance” → “political organisation”\n" in output
    assert f"    Sources: “{'; '.join(cis_sources)}” → “{kept_source}”" in output
    assert "blocs: 0 created, 2 changed, 13 unchanged" in output
    assert csto().kind == "political"
    version = csto().history.first()
    assert (version.history_user, version.history_change_reason, version.history_load) == (
        curator,
        "the newer fact sheet",
        str(path),
    )


def test_update_refuses_a_conflict_naming_both_values_and_stores_nothing(seed, tmp_path, curator_client):
    curate(curator_client)

    def newer(data):
        bloc_row(data, "csto")["description"] = "The file's own new description."
        bloc_row(data, "cis")["notes"] = "A change nobody made here."

    path = seed_file(tmp_path, newer)
    with pytest.raises(CommandError) as refused:
        load(path, update=True)

    message = str(refused.value)
    # The file changes the bloc's description and carries the seed's text for the spell and the event.
    assert message.startswith("Nothing was stored: 3 field(s) of existing records were changed since")
    assert f"    Description: CONFLICT: the database has “{CURATED['bloc']}” (last changed by curators on " in message
    assert "the file has “The file's own new description.”" in message
    assert f"    Notes: CONFLICT: the database has “{CURATED['spell']}” (last changed by curators on " in message
    assert "--update --accept-file-values" in message
    assert Bloc.objects.get(slug="cis").notes != "A change nobody made here."
    assert curated_values() == CURATED

    output = load(path, update=True, accept_file_values=True)
    assert f"Description: REPLACING a later change: the database has “{CURATED['bloc']}”" in output
    assert csto().description == "The file's own new description."
    assert Bloc.objects.get(slug="cis").notes == "A change nobody made here."
    assert armenia_in_the_csto().notes != CURATED["spell"]


def test_a_load_that_agrees_with_a_curators_edit_is_no_conflict(seed, tmp_path, curator_client):
    save_in_admin(curator_client, csto(), description=CURATED["bloc"])

    def newer(data):
        bloc_row(data, "csto")["description"] = CURATED["bloc"]
        bloc_row(data, "csto")["notes"] = "Added by the newer file."

    output = load(seed_file(tmp_path, newer), update=True)
    assert "CONFLICT" not in output and "REPLACING" not in output
    assert (csto().description, csto().notes) == (CURATED["bloc"], "Added by the newer file.")


def test_new_records_come_in_only_when_asked_and_existing_ones_stay(seed, tmp_path, curator_client):
    save_in_admin(curator_client, csto(), description=CURATED["bloc"])

    def newer(data):
        data["blocs"].append({"slug": "caco", "name": "Central Asian Cooperation Organization", "kind": "political"})

    path = seed_file(tmp_path, newer)
    with pytest.raises(CommandError, match="would change 1 existing record"):
        load(path)
    assert not Bloc.objects.filter(slug="caco").exists()

    output = load(path, add_only=True)
    assert "blocs: 1 created, 0 changed, 14 unchanged, 1 left as they are" in output
    assert Bloc.objects.filter(slug="caco").exists()
    assert csto().description == CURATED["bloc"]


def test_accepting_the_files_values_goes_only_with_update(seed):
    with pytest.raises(CommandError, match="--accept-file-values only goes with --update"):
        load(FIXTURES / "seed.json", accept_file_values=True)


# The synthetic world -----------------------------------------------------------------------------


def test_the_synthetic_world_refuses_a_curated_database_and_says_what_would_be_lost(seed, curator_client):
    curate(curator_client)
    with pytest.raises(CommandError) as refused:
        call_command("make_world", "--scale", "tiny", stdout=io.StringIO())

    message = str(refused.value)
    assert "already holds curated records" in message
    assert "--flush would delete 520 sources, 54 countries, 15 blocs, 137 memberships, 175 events" in message
    assert "edits by curators" in message and "seed.json" in message
    assert curated_values() == CURATED
    assert Membership.objects.count() == 137


def test_versions_loaded_before_files_were_named_count_as_loads():
    # Installations seeded before versions named their file: the reason load_records wrote names it.
    from django.apps import apps

    name_the_loads = importlib.import_module("blocs.migrations.0006_history_load").name_the_loads
    bloc = Bloc.objects.create(slug="csto", name="CSTO", kind="military_alliance")
    Bloc.history.update(history_change_reason="loaded from fixtures/seed.json", history_load="")
    name_the_loads(apps, None)
    assert bloc.history.get().history_load == "fixtures/seed.json"
