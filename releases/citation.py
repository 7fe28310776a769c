"""How to cite the record: a formatted citation, BibTeX, RIS and CSL-JSON for any page or release.

A citation names the project, the release (or the live record and the day it was read), the
permalink and the access date. Only our own pages can be cited: /cite/ checks that the address it
is given is one this site serves.
"""

import datetime
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PROJECT = "Eurasia's blocs"
TITLE = "Eurasia's blocs: a curated, sourced history of Eurasia's alliances and unions"
# The characters a path and query string of ours may hold; anything else is refused, not escaped.
SAFE_ADDRESS = re.compile(r"^/[A-Za-z0-9/._~%\-]*(\?[A-Za-z0-9._~%\-=&+;:,]*)?$")
MAX_ADDRESS = 500
FORMATS = {
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON"}


class BadAddress(ValueError):
    """The address to cite is not one of this site's pages."""


def check_address(address):
    """`address` as the path (and query) of one of our pages; raises BadAddress with the reason."""
    if not address:
        raise BadAddress(gettext_lazy("Give the page to cite as ?url=, such as ?url=/blocs/csto/."))
    if len(address) > MAX_ADDRESS:
        raise BadAddress(gettext_lazy("That address is too long to be one of this site's pages."))
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not SAFE_ADDRESS.match(address):
        raise BadAddress(gettext_lazy("Only this site's own pages can be cited: give a path such as /blocs/csto/."))
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise BadAddress(gettext_lazy("This site has no page at that address.")) from None
    if (
        match.namespace == "admin"
        or match.url_name == "healthz"
        or (match.route or "").startswith(("admin/", "api/"))
        or match.view_name == "releases:cite"
    ):
        raise BadAddress(gettext_lazy("Only this site's public pages and data can be cited."))
    return address


@dataclass(frozen=True)
class Citation:
    url: str  # the permalink, absolute
    accessed: datetime.date
    version: str = ""  # a release's version; empty for the live record
    published: datetime.date | None = None  # the release's date

    @property
    def key(self):
        if self.version:
            return "eurasia_blocs_" + self.version.replace(".", "_")
        return f"eurasia_blocs_{self.accessed:%Y_%m_%d}"

    @property
    def year(self):
        return (self.published or self.accessed).year

    def edition(self):
        if self.version:
            return _("release %(version)s") % {"version": self.version}
        return _("live record, as recorded on %(day)s") % {"day": formats.date_format(self.accessed, "j E Y")}

    def text(self):
        """The citation as a reader pastes it into a reference list."""
        return _("%(project)s (%(year)s). %(title)s, %(edition)s [data set]. %(url)s. Accessed %(day)s.") % {
            "project": PROJECT,
            "year": self.year,
            "title": TITLE,
            "edition": self.edition(),
            "url": self.url,
            "day": formats.date_format(self.accessed, "j E Y"),
        }

    def bibtex(self):
        fields = [
            ("author", "{" + _bibtex_text(PROJECT) + "}"),
            ("title", "{" + _bibtex_text(TITLE) + "}"),
            ("year", str(self.year)),
            ("version", self.version or "live"),
            ("url", self.url),
            ("urldate", self.accessed.isoformat()),
            ("howpublished", "\\url{" + self.url + "}"),
            ("note", _bibtex_text(f"Data set, {_english_edition(self)}; accessed {self.accessed.isoformat()}")),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{self.key},\n{body}\n}}\n"

    def ris(self):
        lines = [
            ("TY", "DATA"),
            ("AU", PROJECT),
            ("TI", TITLE),
            ("PY", str(self.year)),
            ("ET", self.version or "live record"),
            ("UR", self.url),
            ("Y2", self.accessed.strftime("%Y/%m/%d")),
            ("N1", _english_edition(self)),
        ]
        if self.published:
            lines.insert(4, ("DA", self.published.strftime("%Y/%m/%d")))
        return "".join(f"{tag}  - {value}\r\n" for tag, value in lines) + "ER  - \r\n"

    def csl(self):
        item = {
            "id": self.key,
            "type": "dataset",
            "title": TITLE,
            "author": [{"literal": PROJECT}],
            "publisher": PROJECT,
            "issued": {"date-parts": [list(_parts(self.published or self.accessed))]},
            "accessed": {"date-parts": [list(_parts(self.accessed))]},
            "URL": self.url,
            "version": self.version or "live record",
            "note": _english_edition(self),
        }
        return json.dumps([item], indent=2, ensure_ascii=False, default=str) + "\n"

    def render(self, fmt):
        return {"bibtex": self.bibtex, "ris": self.ris, "csl-json": self.csl}[fmt]()


def _parts(day):
    return day.year, day.month, day.day


def _english_edition(citation):
    if citation.version:
        return f"release {citation.version}"
    return f"live record, as recorded on {citation.accessed.isoformat()}"


def _bibtex_text(text):
    """Text with BibTeX's special characters escaped."""
    for char in "\\{}":
        text = text.replace(char, "")
    return re.sub(r"([&%$#_])", r"\\\1", text)


def cite_this(request):
    """Template context for the "Cite this" block: the page itself, cited as the live record today.

    A release's pages give their own `citation` in their context, which takes precedence.
    """
    if request is None or request.path.startswith(("/admin/", "/ru/admin/", "/api/")):
        return {}
    from django.utils import timezone

    address = request.get_full_path()
    if len(address) > MAX_ADDRESS or not SAFE_ADDRESS.match(address):
        address = request.path if SAFE_ADDRESS.match(request.path) else "/"
    return {
        "page_citation": Citation(request.build_absolute_uri(address), timezone.localdate()),
        "page_citation_address": address,
    }
