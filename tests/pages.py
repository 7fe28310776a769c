"""What the page tests check on every page: the page itself, its words, its charts, and a strict CSP."""

import re
from html.parser import HTMLParser


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def text_of(html):
    """The words a reader sees, without tags, with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def row_of(html, *markers):
    """The first table row (<tr>…</tr>) that contains every one of `markers`."""
    for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S):
        if all(marker in row for marker in markers):
            return row
    raise AssertionError(f"no row contains {markers!r}")


def svg_of(html, css_class):
    match = re.search(rf'<svg [^>]*class="[^"]*{css_class}[^"]*".*?</svg>', html, flags=re.S)
    assert match, f"no <svg> of class {css_class}"
    return match.group(0)


def assert_accessible_chart(svg):
    assert 'role="img"' in svg
    assert re.search(r"<title [^>]*>[^<]+</title>", svg)
    assert re.search(r"<desc [^>]*>[^<]+</desc>", svg)
    labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    for ident in labelled:
        assert f'id="{ident}"' in svg


class InlineCode(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        # A JSON-LD data block is never run, and a Content Security Policy does not apply to it.
        if tag == "script" and ("type", "application/ld+json") not in attrs:
            self.found.append("<script>")
        self.found += [f"{tag} {name}=" for name, _ in attrs if name == "style" or name.startswith("on")]

    handle_startendtag = handle_starttag


def assert_strict_csp_friendly(html):
    """No inline script, style attribute or event handler: the pages pass a strict Content Security Policy."""
    parser = InlineCode()
    parser.feed(html)
    assert parser.found == []
