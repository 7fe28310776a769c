"""Schemathesis over the read API on a live server: generated requests for every operation, held to the OpenAPI schema."""

import subprocess
import sys

import pytest

from tests.servers import ROOT, gunicorn, local_env, manage, scratch_database

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, loads",
    [
        ("seed", [["load_records", "fixtures/seed.json"]]),
        (
            "tiny",
            [
                ["make_world", "--scale", "tiny", "--seed", "1", "--flush"],
                # The synthetic world has no readings: one, so that /readings/{key} has one to answer with.
                [
                    "shell",
                    "-c",
                    "from blocs.models import Reading; Reading.objects.create(key='atop-4-01', name='ATOP')",
                ],
            ],
        ),
    ],
)
def test_generated_requests_get_no_server_error_and_match_the_schema(settings, tmp_path, name, loads):
    with scratch_database(settings.DATABASES["default"], f"eurasia_api_fuzz_{name}") as url:
        # The limit is for clients, not for this run of a few hundred requests.
        env = local_env(
            DATABASE_URL=url, API_RATE_LIMIT_REQUESTS="1000000", PAGE_CACHE="false", MEDIA_ROOT=str(tmp_path)
        )
        # A release, so that the release operations (and a release's table) have one to answer with.
        for command in (["migrate", "--noinput"], *loads, ["publish_release", "2026.11", "--notes", "For the test."]):
            done = manage(*command, env=env, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
        # Every generated request reaches the API: gunicorn's own 414 for a request line over
        # 4 KiB (a page of its own, before Django) is the server's answer, not the API's.
        with gunicorn(env, workers=2, extra=["--limit-request-line", "0"]) as site:
            run = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"{site}/api/v1/openapi.json"]
                + ["--checks", CHECKS, "--max-examples", "25", "--seed", "1", "--no-color"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    print(run.stdout[-1500:])
    assert "No issues found" in run.stdout, run.stdout[-3000:]
