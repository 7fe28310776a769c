"""Fill and compile the Russian catalogue: `python -m devtools.translations FILE.json` sets msgstrs, then writes the .mo.

The file maps a msgid to its Russian text. A plural entry is keyed "singular|plural" and given the three
Russian forms as a list (one, few, many); an entry with a context is keyed "context\x04msgid", as gettext
itself joins them. The .mo is committed, so that a fresh clone and the image need no gettext tools
(docs/translation.md).
"""

import json
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def fill(translations):
    po = polib.pofile(str(CATALOGUE))
    for entry in po:
        key = f"{entry.msgid}|{entry.msgid_plural}" if entry.msgid_plural else entry.msgid
        if entry.msgctxt:
            key = f"{entry.msgctxt}\x04{key}"
        if key not in translations:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(translations[key]))
        else:
            entry.msgstr = translations[key]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.metadata_is_fuzzy = False
    po.metadata["Language"] = "ru"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    )
    po.save()
    po.save_as_mofile(str(CATALOGUE.with_suffix(".mo")))
    return [e.msgid for e in po.untranslated_entries()]


if __name__ == "__main__":
    translations = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")) if len(sys.argv) > 1 else {}
    missing = fill(translations)
    print("\n".join(missing) or "every string translated")
