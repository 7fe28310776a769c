"""Citations: "Cite this" on every public page, BibTeX, RIS and CSL-JSON that parse, and JSON-LD for dataset search."""

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from django.urls import reverse
from django.utils import timezone

from releases.citation import TITLE
from releases.models import Release
from releases.publishing import publish

from .conftest import make_bloc, make_country, make_membership

CSL_SCHEMA = json.loads((Path(__file__).resolve().parent / "fixtures" / "csl-data.json").read_text())

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def release_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "releases")},
        },
    }


@pytest.fixture
def release():
    make_membership(country=make_country(alpha3="ARM"), bloc=make_bloc(slug="csto"))
    return publish("2026.11", "The first release.")


def cite(client, address, fmt):
    response = client.get(reverse("releases:cite"), {"url": address, "format": fmt})
    assert response.status_code == 200, response.content[:300]
    return response


def test_bibtex_round_trips_through_a_parser(client, release):
    response = cite(client, "/data/releases/2026.11/", "bibtex")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    library = bibtexparser.parse_string(response.content.decode())
    assert not library.failed_blocks
    [entry] = library.entries
    fields = {f.key: f.value for f in entry.fields}
    assert entry.key == "eurasia_blocs_2026_11" and entry.entry_type == "misc"
    assert fields["title"] == "{" + TITLE + "}" and fields["author"] == "{Eurasia's blocs}"
    assert fields["version"] == "2026.11" and fields["url"] == "http://testserver/data/releases/2026.11/"
    assert fields["urldate"] == timezone.localdate().isoformat() and fields["year"] == str(release.published_at.year)


def test_ris_round_trips_through_a_parser(client, release):
    response = cite(client, "/data/releases/2026.11/memberships.csv", "ris")
    [entry] = rispy.loads(response.content.decode())
    assert entry["type_of_reference"] == "DATA"
    assert entry["title"] == TITLE and entry["authors"] == ["Eurasia's blocs"]
    assert entry["urls"] == ["http://testserver/data/releases/2026.11/"] and entry["edition"] == "2026.11"
    assert entry["access_date"] == timezone.localdate().strftime("%Y/%m/%d")


def test_csl_json_validates_against_the_csl_schema(client, release):
    for address in ("/data/releases/2026.11/", "/blocs/csto/"):
        items = json.loads(cite(client, address, "csl-json").content)
        jsonschema.validate(items, CSL_SCHEMA)
        assert items[0]["type"] == "dataset" and items[0]["author"] == [{"literal": "Eurasia's blocs"}]
    live = json.loads(cite(client, "/blocs/csto/", "csl-json").content)[0]
    today = timezone.localdate()
    assert live["URL"] == "http://testserver/blocs/csto/" and live["version"] == "live record"
    assert live["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}


def test_the_schema_would_catch_a_wrong_item():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "type": "data set", "title": "wrong type"}], CSL_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "type": "dataset", "accessed": {"date-parts": "2026"}}], CSL_SCHEMA)


def test_every_public_page_offers_cite_this_for_the_live_record(client, db):
    make_bloc(slug="csto", name="Collective Security Treaty Organization")
    today = timezone.localdate()
    for address in ("/", "/blocs/", "/blocs/csto/", "/events/", "/data/", "/data/codebook/", "/data/releases/"):
        page = client.get(address).content.decode()
        assert "Cite this" in page, address
        assert f"live record, as recorded on {today.day} {today:%B %Y} [data set]. http://testserver{address}." in page
        assert f'href="/cite/?url={address}&amp;format=bibtex&amp;download=1"' in page


def test_a_release_page_cites_the_release(client, release):
    page = client.get(reverse("releases:release", args=["2026.11"])).content.decode()
    assert "Eurasia&#x27;s blocs (2026)" in page and "release 2026.11 [data set]" in page
    assert 'href="/cite/?url=/data/releases/2026.11/&amp;format=ris&amp;download=1"' in page


def test_the_cite_page_shows_every_format_to_copy(client, release, django_assert_num_queries):
    # 1: the release the address belongs to.
    with django_assert_num_queries(1):
        response = client.get(reverse("releases:cite"), {"url": "/data/releases/2026.11/"})
    page = response.content.decode()
    assert '<pre class="cite-block" id="cite-bibtex">@misc{eurasia_blocs_2026_11,' in page
    assert 'id="cite-ris">TY  - DATA' in page and 'id="cite-csl-json">[' in page
    assert "It belongs to a release, whose files never change." in page


def test_a_download_is_named_for_the_citation(client, release):
    response = client.get(reverse("releases:cite"), {"url": "/blocs/", "format": "ris", "download": "1"})
    today = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="eurasia_blocs_{today:%Y_%m_%d}.ris"'


@pytest.mark.parametrize(
    "query, message",
    [
        ({}, "Give the page to cite as ?url="),
        ({"url": "https://evil.example/"}, "Only this site&#x27;s own pages can be cited"),
        ({"url": "//evil.example/blocs/"}, "Only this site&#x27;s own pages can be cited"),
        ({"url": "javascript:alert(1)"}, "Only this site&#x27;s own pages can be cited"),
        ({"url": "/blocs/<script>/"}, "Only this site&#x27;s own pages can be cited"),
        ({"url": "/no/such/page/"}, "This site has no page at that address."),
        ({"url": "/admin/"}, "Only this site&#x27;s public pages and data can be cited."),
        ({"url": "/api/v1/blocs"}, "Only this site&#x27;s public pages and data can be cited."),
        ({"url": "/healthz"}, "Only this site&#x27;s public pages and data can be cited."),
        ({"url": "/cite/?url=/blocs/"}, "Only this site&#x27;s"),
        ({"url": "/" + "a" * 600}, "That address is too long"),
        ({"url": "/blocs/", "format": "endnote"}, "?format= must be bibtex, ris, csl-json or html."),
    ],
)
def test_a_bad_cite_request_gets_a_clear_400_and_stores_nothing(client, query, message):
    response = client.get(reverse("releases:cite"), query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Release.objects.exists()


def test_data_and_release_pages_carry_schema_org_dataset_metadata(client, release):
    for address in ("/data/", "/data/releases/2026.11/"):
        page = client.get(address).content.decode()
        [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
        data = json.loads(block)
        assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
        assert data["distribution"] and data["creator"]["name"] == "Eurasia's blocs"
    release_data = json.loads(block)
    assert release_data["version"] == "2026.11"
    memberships = next(d for d in release_data["distribution"] if d["name"] == "memberships.csv")
    assert memberships["contentUrl"] == "http://testserver/data/releases/2026.11/memberships.csv"
    assert memberships["sha256"] == release.files.get(name="memberships.csv").sha256


def test_the_citation_file_describes_the_software():
    text = (Path(__file__).resolve().parent.parent / "CITATION.cff").read_text()
    assert text.startswith("cff-version: 1.2.0") and "type: software" in text and "title:" in text


def test_a_russian_page_cites_in_russian(client, db):
    page = client.get("/ru/blocs/").content.decode()
    assert "Процитировать" in page and "живая запись по состоянию на" in page and "[набор данных]" in page
