"""Every kind of reader's page, charts and map included, works under the Content-Security-Policy."""

import pytest

pytestmark = pytest.mark.browser

PAGES = [
    ("/", "overview"),
    ("/blocs/", "bloc-list"),
    ("/blocs/csto/", "bloc"),
    ("/countries/", "country-list"),
    ("/countries/arm/", "country"),
    ("/events/", "event-list"),
    ("/events/?q=summit&kind=summit", "event-search"),
    ("/on/2012-12-05/", "on-date"),
    ("/data/", "data"),
    ("/data/codebook/", "codebook"),
]


def test_readers_pages_draw_their_charts_with_no_policy_violation(reader):
    violations = []
    reader.page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    header = None
    drawn = 0
    for path, shot in PAGES:
        response = reader.open(path)
        assert response.status == 200, path
        header = response.headers["content-security-policy"]
        drawn += reader.page.locator("svg").count()
        reader.screenshot(f"csp-{shot}", full_page=False)
    assert "script-src 'self'" in header and "unsafe-inline" not in header
    assert drawn > 0, "the charts and the map are drawn as SVG"
    assert violations == []
