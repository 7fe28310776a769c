"""Read replicas: which database alias each query of a request went to.

The replica here is a second connection to the test database (a test mirror of default), so the
data must be committed for it to see: these tests run outside a wrapping transaction.
"""

import copy

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from blocs.models import Country, Source
from eurasia import routers
from eurasia.health import healthz
from eurasia.settings import replica_databases

from .conftest import make_country, make_membership

REPLICA = "replica1"


def list_countries(request):
    return HttpResponse(" ".join(Country.objects.values_list("alpha3", flat=True)))


def add_source(request):
    Source.objects.create(key="written-by-a-post")
    return HttpResponse("stored")


def read_write_read(request):
    before = Country.objects.count()
    Source.objects.create(key="written-by-a-get")
    after = Country.objects.count()
    return HttpResponse(f"{before} {after}")


def stream_countries(request):
    return StreamingHttpResponse(c.alpha3 for c in Country.objects.iterator(chunk_size=1))


urlpatterns = [
    path("countries/", list_countries),
    path("add-source/", add_source),
    path("read-write-read/", read_write_read),
    path("stream/", stream_countries),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
    path("", include("public.urls")),
]

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    pytest.mark.urls(__name__),
]


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """A second alias on the test database, as DATABASE_REPLICA_URLS would add one."""
    config = copy.deepcopy(connections["default"].settings_dict)
    config["TEST"]["MIRROR"] = "default"
    connections.settings[REPLICA] = config
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def with_replica(settings):
    settings.DATABASE_REPLICAS = [REPLICA]


class Queries:
    """The queries each alias ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def sql(self, which):
        return [q["sql"] for q in getattr(self, which).captured_queries]


def test_a_public_read_goes_to_the_replica(client):
    make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
    with Queries() as queries:
        response = client.get("/countries/")
    assert response.content == b"KAZ"
    # The replica ran the one query: SELECT alpha3 FROM blocs_country.
    assert len(queries.sql("replica")) == 1
    assert "blocs_country" in queries.sql("replica")[0]
    assert queries.sql("primary") == []


def test_the_admin_reads_from_the_primary(admin_client):
    make_country(name="Kazakhstan")
    with Queries() as queries:
        response = admin_client.get("/admin/blocs/country/")
    assert response.status_code == 200
    assert "Kazakhstan" in response.content.decode()
    assert queries.sql("replica") == []
    assert any("blocs_country" in sql for sql in queries.sql("primary"))


def test_a_post_writes_to_the_primary_and_keeps_that_browser_there(client):
    make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
    with Queries() as queries:
        response = client.post("/add-source/")
    assert response.content == b"stored"
    assert Source.objects.filter(key="written-by-a-post").exists()
    assert queries.sql("replica") == []
    assert routers.PIN_COOKIE in response.cookies
    assert response.cookies[routers.PIN_COOKIE]["max-age"] == 10

    # The same browser's next read sees its own write, whatever the replica's lag.
    with Queries() as queries:
        client.get("/countries/")
    assert queries.sql("replica") == []


def test_another_browser_still_reads_from_the_replica(client):
    make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
    client.post("/add-source/")
    client.cookies.clear()
    with Queries() as queries:
        client.get("/countries/")
    assert len(queries.sql("replica")) == 1


def test_a_write_during_a_get_moves_the_rest_of_the_request_to_the_primary(client):
    make_country()
    with Queries() as queries:
        response = client.get("/read-write-read/")
    assert response.content == b"1 1"
    # Replica: the first count. Primary: the insert (and its history row), then the second count.
    assert len(queries.sql("replica")) == 1
    assert any(sql.startswith("INSERT") for sql in queries.sql("primary"))
    assert "COUNT" in queries.sql("primary")[-1]
    assert routers.PIN_COOKIE in response.cookies


def test_a_streamed_download_reads_from_the_replica_to_its_end(client):
    for n in range(3):
        make_country(name=f"Country {n}")
    with Queries() as queries:
        response = client.get("/stream/")
        body = b"".join(response.streaming_content)
        response.close()
    assert len(body) == 9
    assert queries.sql("replica")
    assert queries.sql("primary") == []
    # Once the response is closed, reads outside a request go back to the primary.
    assert routers.read_connection().alias == "default"


def test_a_data_download_reads_from_the_replica(client):
    spell = make_membership(start="2000-01-01")
    with Queries() as queries:
        response = client.get("/data/memberships.csv")
        body = b"".join(response.streaming_content).decode()
        response.close()
    assert spell.country.alpha3 in body
    # The replica: when the data last changed, the blocs that make the file's parts, then the COPY
    # of each part of the file itself.
    assert len(queries.sql("replica")) == 4
    assert queries.sql("replica")[-1].startswith("COPY (")
    assert queries.sql("primary") == []


def test_without_replicas_everything_reads_from_the_primary(client, settings):
    settings.DATABASE_REPLICAS = []
    make_country()
    with Queries() as queries:
        response = client.get("/countries/")
    assert response.status_code == 200
    assert queries.sql("replica") == []
    assert len(queries.sql("primary")) == 1
    assert routers.PIN_COOKIE not in response.cookies


def test_reads_inside_a_transaction_stay_on_the_primary():
    router = routers.ReplicaRouter()
    token = routers._reads_from.set(REPLICA)
    try:
        assert router.db_for_read(Country) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Country) == "default"
    finally:
        routers._reads_from.reset(token)


def test_replica_urls_become_aliases():
    replicas = replica_databases(" postgres://reader@db-2:5432/eurasia , postgres://reader@db-3/eurasia,")
    assert list(replicas) == ["replica1", "replica2"]
    assert replicas["replica1"]["HOST"] == "db-2"
    assert replicas["replica2"]["HOST"] == "db-3"
    assert replicas["replica1"]["TEST"] == {"MIRROR": "default"}
    assert replica_databases("") == {}


def test_a_replica_url_that_is_not_postgres_is_refused():
    with pytest.raises(ImproperlyConfigured, match="replica 2 must be a postgres:// URL"):
        replica_databases("postgres://db-2/eurasia,mysql://db-3/eurasia")


def test_the_staff_groups_are_still_there_afterwards():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"Curators", "Analysts"}


def test_a_replica_that_cannot_be_reached_sends_reads_to_the_primary(client):
    """Nothing listens where the replica should be: the page is read from the primary, with no error."""
    from tests.servers import free_port

    replica = connections[REPLICA]
    saved = copy.deepcopy(replica.settings_dict)
    replica.close()
    replica.settings_dict.update(HOST="127.0.0.1", PORT=free_port(), OPTIONS={"connect_timeout": 1})
    try:
        make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
        with CaptureQueriesContext(connections["default"]) as primary:
            response = client.get("/countries/")
        assert response.content == b"KAZ"
        assert len(primary.captured_queries) == 1
        health = client.get("/healthz").json()
        assert health == {"status": "ok", "database": "ok", "replicas": {REPLICA: "unreachable"}}
    finally:
        routers._down_until.clear()
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)
