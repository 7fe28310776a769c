"""The Russian edition: pages under /ru/, Russian dates and names, search in Russian, the catalogue complete."""

import datetime
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

from eurasia.partial_dates import PartialDate

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
# The copy makemessages reads: the project without its environment, data and history.
NOT_COPIED = (".venv", ".git", "staticfiles", "artifacts", "media", ".pgdata", "*.pyc", "__pycache__")
# The command as docs/translation.md gives it: development tools and tests are not translated.
MAKEMESSAGES = ["makemessages", "-l", "ru", "--no-location", "--verbosity", "0"] + [
    f"--ignore={pattern}" for pattern in (".venv/*", "tests/*", "devtools/*", "staticfiles/*")
]
NOMINATIVE = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()
GENITIVE = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()


@pytest.mark.parametrize("month", range(1, 13))
def test_russian_dates_decline_the_month_after_a_day(month):
    with translation.override("ru"):
        assert str(PartialDate(datetime.date(1992, month, 15), "day")) == f"15 {GENITIVE[month - 1]} 1992 г."
        assert str(PartialDate(datetime.date(2012, month, 1), "month")) == f"{NOMINATIVE[month - 1]} 2012 г."
        assert str(PartialDate(datetime.date(2012, 1, 1), "year")) == "2012 г."
    with translation.override("en-gb"):
        assert str(PartialDate(datetime.date(1992, 5, 15), "day")) == "15 May 1992"


def test_the_catalogue_has_no_untranslated_or_fuzzy_string():
    po = polib.pofile(str(CATALOGUE))
    assert not po.untranslated_entries()
    assert not po.fuzzy_entries()
    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    assert {e.msgid: e.msgstr for e in compiled if e.msgid} == {e.msgid: e.msgstr for e in po if not e.obsolete}


def entry_key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def test_makemessages_leaves_nothing_untranslated_and_the_catalogue_is_up_to_date(tmp_path):
    """Django's makemessages, run on a copy of the sources, adds no string and leaves none untranslated or fuzzy."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail(
            "GNU gettext (xgettext, msgmerge) is not installed, so the Russian catalogue cannot be checked "
            "against the sources: install it (apt-get install gettext), as .ci/run does."
        )
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    done = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    fresh = polib.pofile(str(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    committed = {entry_key(e) for e in polib.pofile(str(CATALOGUE)) if not e.obsolete}
    new = [e.msgid for e in fresh if not e.obsolete and entry_key(e) not in committed]
    assert not new, f"strings marked in the sources but missing from {CATALOGUE.name}: {new[:10]}"
    gone = [e.msgid for e in fresh.obsolete_entries()]
    assert not gone, f"strings in {CATALOGUE.name} that the sources no longer mark: {gone[:10]}"
    assert not [e.msgid for e in fresh.untranslated_entries()]
    assert not [e.msgid for e in fresh.fuzzy_entries()]


@pytest.mark.django_db
def test_russian_pages_show_russian_names_dates_and_the_way_back(client, seed):
    page = client.get("/ru/blocs/csto/").content.decode()
    assert '<html lang="ru">' in page
    assert "Организация Договора о коллективной безопасности" in page and "Россия" in page
    assert '<link rel="alternate" hreflang="en" href="/blocs/csto/">' in page
    assert '<a href="/blocs/csto/" hreflang="en" lang="en" rel="alternate">English</a>' in page
    home = client.get("/ru/").content.decode()
    assert "мая 1992 г." in home and "Блоки Евразии" in home
    english = client.get("/blocs/csto/").content.decode()
    assert '<html lang="en">' in english and 'href="/ru/blocs/csto/"' in english and "Russia" in english


@pytest.mark.django_db
def test_a_record_without_russian_text_shows_the_english_marked(client, seed):
    from blocs.models import Country

    Country.objects.filter(alpha3="KAZ").update(name_ru="")
    page = client.get("/ru/countries/kaz/").content.decode()
    assert '<span lang="en" class="in-english">Kazakhstan</span>' in page and "(по-английски)" in page


@pytest.mark.django_db
def test_events_are_found_by_their_russian_titles(client, seed):
    page = client.get("/ru/events/", {"q": "в Минске без Армении"}).content.decode()
    assert "Саммит ОДКБ в Минске без Армении" in page
