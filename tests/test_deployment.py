"""The hardened deployment: production settings, security headers, /healthz, gunicorn and static files."""

import json
import re

import pytest
from django.db import OperationalError, connection

from tests.servers import database_url, get, gunicorn, manage, production_env

PRODUCTION_CHECK_ENV = {"SECRET_KEY": "k" * 20 + "Zq8#Lw2!Rt5@Yu7$Io9%Pa1^Sd3&Fg", "ALLOWED_HOSTS": "example.org"}


def test_check_deploy_reports_nothing_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**PRODUCTION_CHECK_ENV))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is not set"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    env = production_env()
    del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_local_settings_are_not_production_safe():
    """The checks do flag the local defaults (no HSTS, cookies over plain HTTP): the production block is needed."""
    result = manage("check", "--deploy", env=production_env(EURASIA_ENV="local"))
    assert "security.W004" in result.stderr
    assert "security.W012" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/admin/login/"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_healthz_reports_a_reachable_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_database(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "error": "OperationalError"}


@pytest.mark.django_db
def test_healthz_only_answers_reads(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@pytest.mark.slow
def test_production_under_gunicorn(tmp_path):
    """HTTPS only (but /healthz), HSTS, secure cookies, and hashed, compressed, long-cached static files."""
    env = production_env(DATABASE_URL=database_url(connection.settings_dict), STATIC_ROOT=str(tmp_path / "static"))
    collected = manage("collectstatic", "--noinput", env=env, timeout=300)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    base_css = manifest["admin/css/base.css"]
    assert re.fullmatch(r"admin/css/base\.[0-9a-f]{12}\.css", base_css)
    assert (tmp_path / "static" / f"{base_css}.gz").exists()

    with gunicorn(env) as site:
        status, headers, body = get(f"{site}/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})

        status, headers, _ = get(f"{site}/admin/login/")
        assert status == 301
        assert headers["Location"] == "https://example.org/admin/login/"

        status, headers, body = get(f"{site}/admin/login/", {"X-Forwarded-Proto": "https"})
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("csrftoken=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert f"/static/{base_css}".encode() in body, "pages link the hashed file names"

        status, headers, body = get(
            f"{site}/static/{base_css}", {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]

        for page in ["/", "/blocs/", "/countries/", "/events/", "/data/"]:  # the reader's pages, hashed static files
            status, headers, body = get(f"{site}{page}", {"X-Forwarded-Proto": "https"})
            assert status == 200, page
            assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert f"/static/{manifest['eurasia/site.css']}".encode() in get(f"{site}/", {"X-Forwarded-Proto": "https"})[2]

        status, _, body = get(f"{site}/no-such-page/", {"X-Forwarded-Proto": "https"})
        assert status == 404
        assert b"Traceback" not in body and b"DEBUG" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/admin/blocs/bloc/?q=%00", "/healthz?x=a%00b", "/data/?%00=1", "/blocs/%00/"])
def test_nul_in_an_address_is_a_bad_request(admin_client, address):
    response = admin_client.get(address)
    assert response.status_code == 400
    assert b"NUL character" in response.content


@pytest.mark.slow
@pytest.mark.parametrize("level", ["warning", "Info", "DEBUG"])
def test_log_level_is_accepted_in_any_case(level):
    """Gunicorn takes `LOG_LEVEL=warning`; Django's logging must boot the workers with it too."""
    env = production_env(DATABASE_URL=database_url(connection.settings_dict), LOG_LEVEL=level)
    with gunicorn(env) as site:
        status, _, body = get(f"{site}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
