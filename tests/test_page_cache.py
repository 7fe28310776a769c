"""Public pages kept until the records change: served in one query, never older than the records."""

import psycopg
import pytest
from django.apps import apps
from django.db import connection

from blocs.models import Country
from eurasia import page_cache
from tests.conftest import make_bloc, make_country, make_membership
from tests.servers import redis_server

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def page_store(request, settings):
    """Each store a deployment may choose: this process's memory, or a Redis shared by every server."""
    if request.param == "redis":
        settings.CACHES = {
            **settings.CACHES,
            "pages": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": request.getfixturevalue("redis_url"),
            },
        }
    page_cache.store().clear()
    yield request.param
    page_cache.store().clear()


@pytest.fixture
def armenia():
    country = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    make_membership(country=country, bloc=make_bloc(slug="csto", name="Collective Security Treaty Organization"))
    return country


def test_a_page_seen_again_is_served_in_one_query(client, armenia, page_store, django_assert_num_queries):
    first = client.get("/countries/arm/")
    with django_assert_num_queries(1):  # the records' state
        again = client.get("/countries/arm/")
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "Content-Security-Policy" in again  # the middleware still runs on a kept page


def test_a_change_saved_in_this_transaction_shows_at_once(client, armenia):
    assert "Armenia" in client.get("/countries/arm/").content.decode()
    armenia.name = "Republic of Armenia"
    armenia.save()
    assert "Republic of Armenia" in client.get("/countries/arm/").content.decode()


def test_a_change_made_in_plain_sql_shows_at_once(client, armenia):
    client.get("/countries/")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE blocs_country SET name = 'Hayastan' WHERE alpha3 = 'ARM'")
    assert "Hayastan" in client.get("/countries/").content.decode()


def test_each_address_and_query_string_is_its_own_page(client, armenia, django_assert_num_queries):
    client.get("/events/")
    with django_assert_num_queries(1):
        client.get("/events/")
    assert client.get("/events/?kind=summit").status_code == 200
    with django_assert_num_queries(1):
        client.get("/events/?kind=summit")


def test_a_new_day_draws_the_page_again(client, armenia, monkeypatch, django_assert_num_queries):
    import datetime

    client.get("/countries/arm/")
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **kw: datetime.date(2099, 1, 1))
    with django_assert_num_queries(9):  # the state, and the page's own eight again (no events to prefetch for)
        response = client.get("/countries/arm/")
    assert response.status_code == 200


def test_errors_are_not_kept(client, armenia, django_assert_num_queries):
    assert client.get("/blocs/nato/").status_code == 404
    with django_assert_num_queries(2):  # the state, and the bloc looked up again
        assert client.get("/blocs/nato/").status_code == 404


def test_the_cache_can_be_switched_off(client, armenia, settings, django_assert_num_queries):
    settings.PAGE_CACHE = False
    client.get("/countries/arm/")
    with django_assert_num_queries(8):  # the page's own queries, no state
        client.get("/countries/arm/")


def test_every_record_table_moves_the_change_counter():
    """A new record table without the trigger would leave its pages stale: name each one here."""
    record_tables = {
        model._meta.db_table
        for app in ("blocs", "events")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        if not model._meta.db_table.split("_", 1)[1].startswith("historical")
        # Not records: uploaded files, and the tables the database keeps from the records (the
        # events per year, the events' links), which change only when those records do.
        and model._meta.model_name != "importfile"
        and not hasattr(model, "from_record_sql")
    }
    # Releases too: the list of releases is a cached page, and a publish or a withdrawal must redraw it.
    record_tables.add("releases_release")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'records_changed'")
        with_trigger = {name for (name,) in cursor.fetchall()}
    assert record_tables == with_trigger


@pytest.mark.django_db(transaction=True)
def test_a_page_drawn_while_a_save_was_uncommitted_is_not_served_after_the_commit(client, page_store):
    """The race a counter alone would lose: a writer's counter moves before its data is visible."""
    country = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as writer:
        with writer.cursor() as cursor:
            cursor.execute("UPDATE blocs_country SET name = 'Hayastan' WHERE id = %s", [country.pk])
        # The counter has moved, the new name is not yet visible: the page drawn now has the old name.
        assert "Armenia" in client.get("/countries/arm/").content.decode()
        writer.commit()
    assert Country.objects.get(pk=country.pk).name == "Hayastan"
    assert "Hayastan" in client.get("/countries/arm/").content.decode()


def test_a_page_larger_than_a_quarter_of_the_store_is_drawn_each_time(
    client, armenia, page_store, settings, django_assert_num_queries
):
    settings.PAGE_CACHE_BYTES = 1024
    client.get("/countries/arm/")
    with django_assert_num_queries(9):  # the state, and the page's own eight: nothing was kept
        assert client.get("/countries/arm/").status_code == 200


def test_the_memory_store_drops_the_least_recently_served_first():
    store = page_cache.MemoryPages("", {"OPTIONS": {"MAX_BYTES": 10}})
    store.set("a", b"1234")
    store.set("b", b"1234")
    assert store.get("a") == b"1234"  # now the most recently served
    store.set("c", b"1234")
    assert (store.get("a"), store.get("b"), store.get("c")) == (b"1234", None, b"1234")


def test_a_commit_in_another_database_leaves_the_kept_page(client, armenia, django_assert_num_queries):
    """Only this database's record changes move the key: not another database's commits, nor a session saved."""
    client.get("/countries/arm/")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("CREATE TEMP TABLE busy (n int)")
        for n in range(3):
            other.execute("INSERT INTO busy VALUES (%s)", [n])
    with django_assert_num_queries(1):  # the records' state only
        assert client.get("/countries/arm/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_page_is_kept_across_commits_that_change_no_record(client, django_assert_num_queries):
    make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    client.get("/countries/arm/")
    from django.contrib.sessions.backends.db import SessionStore

    SessionStore().save()  # a commit on this database, outside the records
    with django_assert_num_queries(1):
        client.get("/countries/arm/")
    Country.objects.filter(alpha3="ARM").update(name="Hayastan")
    assert "Hayastan" in client.get("/countries/arm/").content.decode()


# The curators' change lists, drawn for each request ----------------------------------------------------

EVENTS = "/admin/events/event/"


@pytest.fixture
def listed(armenia):
    from tests.conftest import make_event

    return make_event(title="Yerevan summit", countries=[armenia])


def test_a_change_list_shows_a_save_at_once(curator_client, listed):
    curator_client.get(EVENTS)
    curator_client.get(EVENTS)
    listed.title = "Yerevan summit, postponed"
    listed.save()
    assert "Yerevan summit, postponed" in curator_client.get(EVENTS).content.decode()


def test_each_session_gets_its_own_change_list(client, curator_client, listed):
    from tests.conftest import make_staff

    assert "curators" in curator_client.get(EVENTS).content.decode().lower()
    other = make_staff("Curators", username="second-curator")
    client.force_login(other)
    page = client.get(EVENTS).content.decode()
    assert "second-curator" in page.lower()


def test_a_message_is_shown_once_and_never_kept(curator_client, listed):
    from tests.admin_forms import form_data

    change = f"/admin/events/event/{listed.pk}/change/"
    data = {**form_data(curator_client.get(change)), "title": "Yerevan summit, moved"}
    saved = curator_client.post(change, data, follow=True)
    assert saved.redirect_chain[-1][0] == EVENTS
    assert "was changed successfully" in saved.content.decode()
    # The list drawn with the message was not kept: the next view draws it afresh, without it.
    again = curator_client.get(EVENTS).content.decode()
    assert "Yerevan summit, moved" in again
    assert "was changed successfully" not in again
    assert "was changed successfully" not in curator_client.get(EVENTS).content.decode()


def test_the_token_on_a_kept_change_list_still_posts(curator, listed):
    import re

    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(curator)
    for _ in range(3):  # the third is the kept page
        page = browser.get(EVENTS).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(EVENTS, {"csrfmiddlewaretoken": token, "action": "", "index": "0"})
    assert response.status_code == 302  # "no action selected", not 403
