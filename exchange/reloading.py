"""A dataset loaded over existing records: what it changes, field by field, and which changes undo a curator's edit."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext

from eurasia.history import EMPTY, curated_fields, field_text

# What a load does to an existing record that the file describes differently.
REFUSE = "refuse"  # store nothing, and show what would change (the default)
KEEP = "keep"  # leave it as it is; only records the database lacks are added
UPDATE = "update"  # apply the file's values, unless a curator changed the field since the last load


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    # Set when the record's history shows this field changed since the record was last loaded from a file.
    edited_by: str = ""

    @property
    def conflict(self):
        return bool(self.edited_by)


@dataclass
class RecordChange:
    where: str
    fields: list = field(default_factory=list)

    @property
    def conflicts(self):
        return [f for f in self.fields if f.conflict]

    def lines(self, accepted=False):
        """The change as the operator reads it: one line for the record, one per field."""
        yield f"{self.where}:"
        if not self.fields:
            yield "    " + gettext("(its stored values differ only in ways that read the same)")
        for f in self.fields:
            if f.conflict:
                verdict = gettext("REPLACING a later change") if accepted else gettext("CONFLICT")
                yield "    " + gettext(
                    "%(field)s: %(verdict)s: the database has “%(old)s” (%(edited)s), the file has “%(new)s”"
                ) % {
                    "field": f.label,
                    "verdict": verdict,
                    "old": f.old,
                    "edited": f.edited_by,
                    "new": f.new,
                }
            else:
                yield f"    {f.label}: “{f.old}” → “{f.new}”"


def _text(record, field):
    if field.many_to_many and not hasattr(record, "instance_type"):
        # A live record's links, written as a version's are (eurasia.history).
        return "; ".join(sorted(str(target) for target in getattr(record, field.name).all())) or EMPTY
    return field_text(record, field)


def _texts(record):
    """{field name: (label, text)} for every curated field of a record or of one of its versions."""
    model = getattr(record, "instance_type", type(record))
    return {f.name: (str(f.verbose_name).capitalize(), _text(record, f)) for f in curated_fields(model)}


def _edit(latest, loaded):
    """Who last changed a record loaded from a file, in words; the record's newest version says."""
    when = timezone.localtime(latest.history_date).strftime("%-d %B %Y")
    by = f" by {latest.history_user}" if latest.history_user_id else ""
    why = f" ({latest.history_change_reason})" if latest.history_change_reason and not by else ""
    return f"last changed{by} on {when}{why}, after its last load from {loaded.history_load}"


class Review:
    """Each existing record a load changes: its fields before, and its last version loaded from a file.

    A field is a conflict when the record's value differs from both the file's and the value its
    last load left there: someone changed it since, and the file would silently undo that change.
    A record never loaded from a file has no such value to compare, so its changes are plain ones.
    """

    def __init__(self):
        self.noted = {}

    def note(self, obj, where):
        """Call before the first change to an existing record."""
        key = (type(obj), obj.pk)
        if key in self.noted:
            return
        versions = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
        base = versions.exclude(history_load="").first()
        latest = versions.first()
        self.noted[key] = (obj, where, _texts(obj), base and _texts(base), base, latest)

    def changes(self):
        """[RecordChange] for every noted record, as the loader has left it (call before commit)."""
        found = []
        for obj, where, before, loaded, base, latest in self.noted.values():
            after = _texts(obj)
            record = RecordChange(where)
            for name, (label, old) in before.items():
                new = after[name][1]
                if old == new:
                    continue
                edited = ""
                if loaded is not None and loaded[name][1] != old:
                    edited = _edit(latest, base)
                record.fields.append(FieldChange(label, old, new, edited))
            found.append(record)
        return found
