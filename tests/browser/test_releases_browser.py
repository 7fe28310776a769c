"""A reader in a real browser: from /data/ to a release, a comparison with another release, and a citation copied."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def releases(site, django_db_blocker, tmp_path_factory):
    """Two releases of the seed, committed for the live server: a source's title corrected between them."""
    from blocs.models import Source
    from releases.publishing import publish

    location = tmp_path_factory.mktemp("releases")
    storage = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "releases": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    with override_settings(STORAGES=storage), django_db_blocker.unblock():
        from django.db import connection

        publish("2026.11", "The seed as first published.")
        source = Source.objects.get(key="tass-687141")
        source.title = "Uzbekistan suspends its CSTO membership (TASS, corrected title)"
        source.save()
        publish("2026.12", "A source's title corrected.")
        yield
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE releases_releasefile, releases_release")


def test_a_reader_opens_a_release_compares_it_and_copies_its_citation(reader, releases, site):
    page = reader.page
    reader.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    reader.open("/data/")
    page.get_by_role("link", name="numbered release").click()
    expect(page).to_have_url(re.compile(r"/data/releases/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Releases")
    expect(page.get_by_role("row", name=re.compile(r"^2026\.12 "))).to_contain_text("0 added, 0 removed, 1 changed")

    page.get_by_role("link", name="2026.12", exact=True).click()
    expect(page).to_have_url(re.compile(r"/data/releases/2026\.12/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Release 2026.12")
    files = page.locator("#files ~ table").first
    expect(files.get_by_role("link", name="memberships.csv", exact=True)).to_be_visible()
    expect(files.get_by_role("row", name=re.compile(r"^SHA256SUMS"))).to_contain_text(re.compile(r"[0-9a-f]{64}"))
    change = page.locator("table.changes tbody tr")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("tass-687141")
    expect(change).to_contain_text("corrected title")
    reader.screenshot("release-desktop")

    page.get_by_role("link", name="Compare it with any other release").click()
    page.get_by_label("From release").select_option("2026.11")
    page.get_by_label("to release").select_option("2026.12")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/data/releases/compare/\?from=2026\.11&to=2026\.12$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes from 2026.11 to 2026.12")
    expect(page.locator("table.changes tbody tr")).to_contain_text("title")
    reader.screenshot("release-compare-desktop")

    page.get_by_role("link", name="2026.12", exact=True).first.click()
    page.get_by_text("Cite this", exact=True).click()
    citation = page.locator("#citation-text")
    expect(citation).to_be_visible()
    expect(citation).to_contain_text("release 2026.12 [data set].")
    expect(citation).to_contain_text(f"{site}/data/releases/2026.12/")
    # The citation selects as a whole on a click; the reader copies it.
    citation.click()
    page.keyboard.press("Control+C")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == citation.inner_text().strip()
    assert "Eurasia's blocs (2026)" in copied
    reader.screenshot("release-cite-desktop")
