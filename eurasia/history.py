"""Change history of curated records: one version per change, read and compared field by field."""

from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import get_m2m_reverse_field_name

from eurasia.choice_labels import display
from eurasia.partial_dates import PartialDate

EMPTY = "—"


class TimeStamped(models.Model):
    created_at = models.DateTimeField(
        auto_now_add=True, help_text=_("When the record was created."), verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(
        auto_now=True,
        help_text=_("When the record was last changed; shown on the public pages."),
        verbose_name=_("updated at"),
    )

    _get_FIELD_display = display  # every get_FOO_display(): labels translated once per language

    class Meta:
        abstract = True


class LoadedVersion(models.Model):
    """What every version carries besides the record: the dataset file it was loaded from, if any."""

    # A load over existing records compares each with its last loaded version, to tell a curator's
    # edit (a conflict) from a value the file itself put there (docs/operations.md).
    history_load = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text="The dataset file this version was loaded from; empty for edits, imports and scripts.",
    )

    class Meta:
        abstract = True


class History(HistoricalRecords):
    """HistoricalRecords that the model can reach, so a batch writer can record a change once.

    Saving a record and then setting three many-to-many fields would otherwise write four history
    rows; writers that set `skip_history_when_saving` call `record_change()` when they are done.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", (LoadedVersion,))
        super().__init__(*args, **kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender._history_records = self


def record_change(obj, created, reason="", loaded_from=""):
    """Write one history row for `obj` as it now stands, fields and links included."""
    if hasattr(obj, "skip_history_when_saving"):
        del obj.skip_history_when_saving
    if reason:
        obj._change_reason = reason
    obj._history_load = loaded_from
    try:
        type(obj)._history_records.create_historical_record(obj, "+" if created else "~")
    finally:
        del obj._history_load


def _mark_loaded_version(sender, instance, history_instance, **kwargs):
    if hasattr(history_instance, "history_load"):
        history_instance.history_load = getattr(instance, "_history_load", "")[:255]
    # A reason longer than its column (a curator's 300 characters after "start set to ...: ") would
    # fail the whole change with a database error; the version keeps its beginning instead.
    reason = history_instance.history_change_reason
    most = type(history_instance)._meta.get_field("history_change_reason").max_length
    if reason and most and len(reason) > most:
        history_instance.history_change_reason = reason[: most - 1] + "…"


pre_create_historical_record.connect(_mark_loaded_version, dispatch_uid="eurasia.history.loaded_version")


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def curated_fields(model):
    """The fields a curator edits, in form order; a partial date's precision travels with its date."""
    partial_dates = set(getattr(model, "PARTIAL_DATES", ()))
    precisions = {f"{name}_precision" for name in partial_dates}
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
