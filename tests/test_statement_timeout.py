"""No page holds a database connection past the statement timeout; downloads may take as long as they need."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from eurasia.urls import urlpatterns as site

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def sleepy(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(request.GET.get("seconds", "1"))])
    return HttpResponse("done")


def timeout(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0])


urlpatterns = [
    path("slow/", sleepy),
    path("slow.csv", sleepy, name="download"),
    path("timeout/", timeout),
    path("timeout.csv", timeout, name="download"),
    *site,
]


@pytest.fixture
def short_limit(settings):
    settings.STATEMENT_TIMEOUT_SECONDS = 0.2


def test_a_slow_statement_is_stopped_with_a_503_that_says_why(client, short_limit):
    response = client.get("/slow/?seconds=5")
    assert response.status_code == 503
    assert "took longer than we allow for one page (0.2 seconds)" in response.content.decode()


def test_a_quick_statement_is_untouched(client, short_limit):
    assert client.get("/slow/?seconds=0.01").content == b"done"


def test_downloads_are_exempt(client, short_limit):
    assert client.get("/slow.csv?seconds=0.5").content == b"done"


def test_pages_carry_the_limit_and_leave_the_connection_as_they_found_it(client, settings):
    settings.STATEMENT_TIMEOUT_SECONDS = 5
    assert client.get("/timeout/").content == b"5s"
    assert client.get("/timeout.csv").content == b"0"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


def test_the_admin_carries_the_limit(admin_client, settings, monkeypatch):
    from django.contrib.admin import ModelAdmin

    settings.STATEMENT_TIMEOUT_SECONDS = 0.2

    def slow_search(self, request, queryset, term):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        return queryset, False

    monkeypatch.setattr(ModelAdmin, "get_search_results", slow_search)
    response = admin_client.get("/admin/blocs/source/?q=x")
    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_the_limit_is_set_once_per_connection_and_again_only_when_another_is_wanted(client, settings):
    settings.STATEMENT_TIMEOUT_SECONDS = 5
    assert client.get("/timeout/").content == b"5s"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"  # kept for the connection's next request
        # Changed behind the middleware's back: a request that sets nothing shows it.
        cursor.execute("SET statement_timeout = '7s'")
    assert client.get("/timeout/").content == b"7s"
    assert client.get("/timeout.csv").content == b"0"  # a download wants another: set again
    assert client.get("/timeout/").content == b"5s"
