"""The changelog between two releases: records added, removed and changed, field by field.

It is read from the releases' own frozen files, never from the live record, so it can be drawn
between any two releases, years apart. Each kind of record is one of the /data/ files whose rows
are records (sources, countries, blocs, spells, events), matched by its natural key. A record whose
key itself changed (a spell's start corrected) reads as one removed and one added.

Memory holds one small digest per record of the older file, and the records that changed: the
files are read twice, never held whole.
"""

import csv
import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from blocs.spreadsheets.writers import restore

# The datasets whose rows are records, their natural keys, and the column naming the sources each cites.
RECORDS = {
    "sources": (["source_key"], None),
    "countries": (["country_alpha3"], None),
    "blocs": (["bloc_slug"], "source_keys"),
    "memberships": (["country_alpha3", "bloc_slug", "start"], "source_keys"),
    "events": (["date", "title"], "source_keys"),
}
RECORD_NAMES = {
    "sources": _("source"),
    "countries": _("country"),
    "blocs": _("bloc"),
    "memberships": _("spell"),
    "events": _("event"),
}
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
CHANGE_WORDS = {ADDED: _("added"), REMOVED: _("removed"), CHANGED: _("changed")}
HEADERS = ["record", "record_key", "change", "field", "old_value", "new_value", "source_keys"]


@dataclass(frozen=True)
class Change:
    record: str  # the dataset: memberships, events, ...
    key: str  # the record's natural key, its parts joined by " / "
    change: str  # added, removed or changed
    field: str = ""  # for a change: the column that differs
    old: str = ""
    new: str = ""
    sources: str = ""  # the sources the record cites (after the change; before it, for a removal)

    def row(self):
        return [self.record, self.key, self.change, self.field, self.old, self.new, self.sources]

    @property
    def record_name(self):
        return RECORD_NAMES.get(self.record, self.record)

    @property
    def change_word(self):
        return CHANGE_WORDS[self.change]

    @property
    def source_list(self):
        return [key for key in self.sources.split(";") if key]


def _rows(stream):
    """(header, rows) of a CSV text stream, its cells as the file holds them."""
    reader = csv.reader(stream)
    header = next(reader, [])
    return header, reader


def _digest(row):
    return hashlib.blake2b("\x1f".join(row).encode(), digest_size=16).digest()


def compare_record(slug, open_old, open_new):
    """The changes to one kind of record: `open_old()` and `open_new()` give its two files as text streams.

    `open_old` may return None: a release without that file had none of those records.
    """
    key_names, sources_name = RECORDS[slug]

    def keyed(header):
        positions = [header.index(name) for name in key_names]
        cited = header.index(sources_name) if sources_name in header else None
        return positions, cited

    def sources_of(row, cited):
        if slug == "sources":
            return restore(row[positions[0]])
        return restore(row[cited]) if cited is not None else ""

    old_index = {}
    positions = []
    stream = open_old()
    if stream is not None:
        with stream:
            old_header, rows = _rows(stream)
            positions, _cited = keyed(old_header)
            for row in rows:
                old_index[tuple(row[p] for p in positions)] = _digest(row)
    else:
        old_header = []

    changed, added = {}, []
    with open_new() as stream:
        header, rows = _rows(stream)
        if not header:  # a release without the file: every record of the older one was removed
            header, rows = old_header, iter(())
        positions, cited = keyed(header)
        same_shape = header == old_header
        for row in rows:
            key = tuple(row[p] for p in positions)
            digest = old_index.pop(key, None)
            if digest is None:
                added.append(Change(slug, _key_text(key), ADDED, sources=sources_of(row, cited)))
            elif not same_shape or digest != _digest(row):
                changed[key] = dict(zip(header, row, strict=False))
    removed = old_index  # the keys the newer file no longer has

    if changed or removed:
        with open_old() as stream:
            old_header, rows = _rows(stream)
            positions, old_cited = keyed(old_header)
            for row in rows:
                key = tuple(row[p] for p in positions)
                if key in removed:
                    yield Change(slug, _key_text(key), REMOVED, sources=sources_of(row, old_cited))
                elif key in changed:
                    new = changed[key]
                    old = dict(zip(old_header, row, strict=False))
                    cites = restore(new.get(sources_name, "")) if sources_name else ""
                    if slug == "sources":
                        cites = restore(key[0])
                    for field in [*old_header, *[name for name in new if name not in old]]:
                        before, after = old.get(field, ""), new.get(field, "")
                        if before != after:
                            yield Change(slug, _key_text(key), CHANGED, field, restore(before), restore(after), cites)
    yield from added


def _key_text(key):
    return " / ".join(restore(part) for part in key)


def compare(open_old, open_new):
    """Every change between two releases; `open_x(slug)` gives a release's file of that dataset as text."""
    for slug in RECORDS:
        yield from compare_record(slug, lambda slug=slug: open_old(slug), lambda slug=slug: open_new(slug))


def count(changes):
    """Records added, removed and changed, by kind of record (a record changed in three fields counts once)."""
    counts, seen = {}, set()
    for change in changes:
        if change.change == CHANGED:
            if (change.record, change.key) in seen:
                continue
            seen.add((change.record, change.key))
        kind = counts.setdefault(change.record, {ADDED: 0, REMOVED: 0, CHANGED: 0})
        kind[change.change] += 1
    return counts
