"""The site's two languages: English at the plain addresses, Russian under /ru/ (docs/translation.md)."""

import re

from django.utils.translation import get_language

RUSSIAN = "ru"
CYRILLIC = re.compile("[\u0400-\u04ff]")


def russian_page():
    """Whether the page being drawn is in Russian."""
    return (get_language() or "").startswith(RUSSIAN)


def in_language(english, russian):
    """The Russian text on Russian pages when there is one, else the English."""
    return russian if russian and russian_page() else english


def missing_translation(english, russian):
    """Whether a Russian page must show `english` for want of `russian`."""
    return bool(english) and not russian and russian_page()


def in_reading_order(items, name):
    """`items` as a reader of a Russian page finds them in a list: by the Russian `name(item)`, case
    ignored and ё read as е, Cyrillic names before those shown in English. Other pages keep the order
    given (the database's, by English name). PostgreSQL's own collations differ between installs (the
    embedded server has no ICU), so the Russian order is settled here."""
    if not russian_page():
        return list(items)

    def key(item):
        text = str(name(item))
        return (not CYRILLIC.match(text), text.casefold().replace("ё", "е"))

    return sorted(items, key=key)


def path_in(path, language):
    """The same page in `language`: "/blocs/csto/" is "/ru/blocs/csto/" in Russian, and back."""
    prefix = f"/{RUSSIAN}/"
    english = "/" + path[len(prefix) :] if path.startswith(prefix) or path == prefix[:-1] else path
    if path == prefix[:-1]:
        english = "/"
    return prefix[:-1] + english if language == RUSSIAN else english


def alternates(request):
    """Template context: the page's language and its address in each language (the switcher, hreflang)."""
    path = request.get_full_path()
    russian = russian_page()
    return {
        "page_language": RUSSIAN if russian else "en",
        "english_url": path_in(path, "en"),
        "russian_url": path_in(path, RUSSIAN),
    }
