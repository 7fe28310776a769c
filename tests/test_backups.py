"""Backups restore to the same data: the exchange format between installations, and pg_dump/pg_restore."""

import json
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from tests.servers import database_url, local_env, manage, pg_bin, scratch_database

pytestmark = pytest.mark.django_db


def dump_here(path):
    call_command("dump_records", str(path), stderr=open("/dev/null", "w"))
    return json.loads(path.read_text())


def test_dump_then_load_into_an_empty_database_gives_identical_data(seed, tmp_path):
    original = dump_here(tmp_path / "original.json")
    assert len(original["memberships"]) > 50 and len(original["events"]) > 50

    with scratch_database(connection.settings_dict, f"{connection.settings_dict['NAME']}_moved") as url:
        env = local_env(DATABASE_URL=url)
        for args in (["migrate", "--noinput"], ["load_records", str(tmp_path / "original.json")]):
            result = manage(*args, env=env, timeout=300)
            assert result.returncode == 0, result.stderr
        assert "memberships: 137 created" in result.stdout
        result = manage("dump_records", str(tmp_path / "moved.json"), env=env)
        assert result.returncode == 0, result.stderr

    assert json.loads((tmp_path / "moved.json").read_text()) == original


def test_pg_dump_and_restore_bring_back_records_and_their_history(transactional_db, seed, tmp_path):
    # pg_dump is another session: the seed must be committed for it to see.
    original = dump_here(tmp_path / "original.json")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM blocs_historicalmembership")
        versions = cursor.fetchone()[0]
    assert versions >= 58

    source_url = database_url(connection.settings_dict)
    major = connection.pg_version // 10000  # client programs of the server's version, as the procedure says
    backup = tmp_path / "eurasia.dump"
    subprocess.run(
        [pg_bin("pg_dump", major), "--format=custom", "--no-owner", f"--file={backup}", source_url],
        check=True,
        timeout=120,
    )
    subprocess.run([pg_bin("pg_restore", major), "--list", str(backup)], check=True, capture_output=True, timeout=60)

    with scratch_database(connection.settings_dict, f"{connection.settings_dict['NAME']}_restored") as url:
        restore = [
            pg_bin("pg_restore", major),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={url}",
        ]
        subprocess.run([*restore, str(backup)], check=True, capture_output=True, timeout=300)
        env = local_env(DATABASE_URL=url)
        assert manage("migrate", "--check", env=env).returncode == 0, "the restored schema is this release's"
        result = manage("dump_records", str(tmp_path / "restored.json"), env=env)
        assert result.returncode == 0, result.stderr
        check = manage("shell", "-c", "from blocs.models import Membership; print(Membership.history.count())", env=env)
        assert check.stdout.strip().splitlines()[-1] == str(versions)

    assert json.loads((tmp_path / "restored.json").read_text()) == original
