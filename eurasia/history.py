"""Change history of curated records: versions as curators read them, compared field by field."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from eurasia.partial_dates import PartialDate

EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def curated_fields(model):
    """The fields a curator edits, in form order; a partial date's precision travels with its date."""
    partial = set(getattr(model, "PARTIAL_DATES", ()))
    precisions = {f"{name}_precision" for name in partial}
    fields = []
    for field in [*model._meta.fields, *model._meta.many_to_many]:
        if field.auto_created or not field.editable or field.name in precisions:
            continue
        fields.append(field)
    return fields


def _related_text(record, field):
    try:
        related = getattr(record, field.name)
    except ObjectDoesNotExist:
        related = None
    if related is None:
        raw = getattr(record, field.attname)
        return EMPTY if raw is None else f"(deleted {field.related_model._meta.verbose_name} #{raw})"
    return str(related)


def _links_text(record, field):
    if field.name not in {f.name for f in record._history_m2m_fields}:
        return None
    target = get_m2m_reverse_field_name(field)
    rows = getattr(record, field.name).select_related(target)
    names = []
    for row in rows:
        try:
            names.append(str(getattr(row, target)))
        except ObjectDoesNotExist:
            names.append(f"(deleted #{getattr(row, f'{target}_id')})")
    return "; ".join(sorted(names)) or EMPTY


def field_text(record, field):
    """One field of a version (a historical record, or a live one) as the curator reads it."""
    model = getattr(record, "instance_type", type(record))
    if field.name in getattr(model, "PARTIAL_DATES", ()):
        day = getattr(record, field.name)
        return str(PartialDate(day, getattr(record, f"{field.name}_precision"))) if day else EMPTY
    if field.many_to_many:
        return _links_text(record, field)
    if field.is_relation:
        return _related_text(record, field)
    value = getattr(record, field.attname)
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    if isinstance(field, ArrayField):
        value = ", ".join(value or [])
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    return EMPTY if value in (None, "") else str(value)


def snapshot(record):
    """[(label, text)] for every curated field of one historical version."""
    rows = []
    for field in curated_fields(record.instance_type):
        text = field_text(record, field)
        if text is not None:  # a link that history does not track
            rows.append((str(field.verbose_name).capitalize(), text))
    return rows


def compare(old, new):
    """Every curated field of two versions side by side: [(label, old, new, changed)]."""
    return [
        (label, before, after, before != after)
        for (label, before), (_, after) in zip(snapshot(old), snapshot(new), strict=True)
    ]


def changes(old, new):
    """What differs between two versions, field by field."""
    return [FieldChange(label, before, after) for label, before, after, changed in compare(old, new) if changed]


@contextmanager
def links_unrecorded(obj):
    """Change obj's many-to-many links without a history record per link change.

    Whoever saves the links records them once, with `record_links` (simple-history would
    otherwise write a version for every remove and every add).
    """
    obj.skip_history_when_saving = True
    try:
        yield
    finally:
        del obj.skip_history_when_saving


def rewrite_newest_version(obj):
    """Make obj's newest version hold obj as it is now, fields and links, instead of adding one."""
    version = obj.history.order_by("-history_date", "-history_id").first()
    if version is None:
        return
    for field in version.tracked_fields:
        setattr(version, field.attname, getattr(obj, field.attname))
    version.save()
    record_links(obj, version)


def record_links(obj, version=None):
    """Rewrite the links stored with obj's newest version to the links it has now."""
    version = version or obj.history.order_by("-history_date", "-history_id").first()
    if version is None:
        return
    for field in version._history_m2m_fields:
        link_history = getattr(type(version), field.name).model
        through = field.remote_field.through
        names = [f.name for f in through._meta.fields]
        link_history.objects.filter(history=version).delete()
        link_history.objects.bulk_create(
            link_history(history=version, **{name: getattr(row, name) for name in names})
            for row in through.objects.filter(**{get_m2m_field_name(field): obj})
        )
