"""Fill and compile the Russian catalogue: `python -m devtools.translations FILE.json` sets msgstrs, then writes the .mo.

The .mo is committed, so that a fresh clone and the image need no gettext tools (docs/translation.md).
"""

import json
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def fill(translations):
    po = polib.pofile(str(CATALOGUE))
    for entry in po:
        if entry.msgid in translations:
            entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
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
