"""Claims in spreadsheets: one row per claim, its record named by natural keys, ranks kept as the database wants them.

A row names its fact (the record by its natural keys, and which of its dates), the value with its
precision, the rank, the reason, the reading and the sources. A claim is the same claim when its
record, date, value (with precision) and reading are the same, as the database's unique constraint
says; its rank, reason and sources may change. The rules an import keeps, with a message naming
the row before anything is stored:
- each date has one preferred claim: two preferred rows for one date are refused, and so is a row
  that demotes the stored preferred claim while no row of the file makes another one preferred;
- a row that makes a claim preferred also sets the record's date to its value, in the import's
  transaction, as "make preferred" does (the record's form rules checked first); the claim that
  was preferred becomes an alternative;
- every claim cites at least one source.
Claims are few beside their records, so they go through django-import-export's own loop, one row at
a time, as blocs do; the deferred checks run before the preview is shown (CuratedResource.after_import).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import widgets

from ..claims import Rank, Reading
from ..models import Membership, Source
from .columns import (
    ChoiceWidget,
    Column,
    KeysWidget,
    KeyWidget,
    PartialDateWidget,
    PartialIso,
    TextWidget,
    partial_date_columns,
)
from .curated import CuratedResource


class OwnerWidget(widgets.Widget):
    """The record a claim is about, named by the row's natural-key cells; loaded once per import.

    Concrete widgets say which cells name the record (`parts`, in the order of the key), how to
    read them and which stored records the file may name.
    """

    what = "record"
    parts: tuple = ()  # the column names whose cells name the record, this column's own last

    def __init__(self):
        super().__init__(coerce_to_string=False)
        self.table = None

    def key_of_row(self, value, row):
        """The record's key from the row's cells; ValueError with a message if a cell is wrong."""
        raise NotImplementedError

    def records(self, keys):
        """The stored records named by `keys`, as {key: record}."""
        raise NotImplementedError

    def load(self, dataset):
        keys = set()
        for row in dataset.dict:
            try:
                keys.add(self.key_of_row(row.get(self.parts[-1]), row))
            except ValueError:
                continue  # reported with the row
        self.table = self.records(keys)

    def missing(self, row, value):
        empty = [
            name for name in self.parts if not str((value if name == self.parts[-1] else row.get(name)) or "").strip()
        ]
        if empty:
            cells = ", ".join(f"“{name}”" for name in empty)
            raise ValueError(
                f"A claim names its {self.what} by {', '.join(self.parts)}: the {cells} cell of this row is empty."
            )

    def clean(self, value, row=None, **kwargs):
        row = row or {}
        self.missing(row, value)
        key = self.key_of_row(value, row)
        if key not in self.table:
            raise ValueError(f"There is no {self.what} {self.describe(key)} in the database.")
        return self.table[key]

    def describe(self, key):
        return "/".join(str(part) for part in key)


class SpellOwnerWidget(OwnerWidget):
    """A spell named by its country (alpha-3), bloc (slug) and start, the last in this column."""

    what = "spell"
    parts = ("country", "bloc", "spell start")

    def key_of_row(self, value, row):
        start = PartialDateWidget().clean(value)
        if start is None:
            raise ValueError("The spell start is empty.")
        return (str(row.get("country") or "").strip().upper(), str(row.get("bloc") or "").strip(), start.date)

    def records(self, keys):
        spells = Membership.objects.select_related("country", "bloc").filter(
            country__alpha3__in={k[0] for k in keys}, bloc__slug__in={k[1] for k in keys}
        )
        return {(m.country.alpha3, m.bloc.slug, m.start): m for m in spells}

    def describe(self, key):
        return f"of {key[0]} in {key[1]} starting on {key[2].isoformat()}"

    def render(self, value, obj=None, **kwargs):
        return value.partial_date("start").iso if value else ""

    def export_sql(self, model, attribute):
        return PartialIso(f"{attribute}__start")


class ClaimResource(CuratedResource):
    """The columns and rules every kind of claim shares; subclasses add the columns that name the record."""

    # Filled by each subclass: the column of the owner (its widget an OwnerWidget or a KeyWidget)
    # and the read-only columns that name the owner with it.
    owner_column = ""
    owner_parts: tuple = ()

    field = Column("field", "field", required=True)  # each subclass gives it the model's choices
    value, value_precision = partial_date_columns("value", "value")
    rank = Column("rank", "rank", ChoiceWidget(Rank.choices, "rank"), required=True)
    reason = Column("reason", "reason", TextWidget(strip=True))
    reading = Column("reading", "reading", KeyWidget(Reading, "key", "reading"))
    sources = Column("sources", "sources", KeysWidget(Source, "key", "source"))

    what = "claim"
    prefetch = ("sources",)

    class Meta(CuratedResource.Meta):
        # Saving a preferred claim demotes the old one and sets the record's date: row by row.
        use_bulk = False

    @classmethod
    def field_column(cls, model):
        return Column("field", "field", ChoiceWidget(model._meta.get_field("field").choices, "date"), required=True)

    def owner_attribute(self):
        return self._meta.model.OWNER

    # Whole-file checks and loading

    def check_dataset(self, dataset):
        problems = super().check_dataset(dataset)
        if problems:
            return problems
        missing = [name for name in self.owner_parts if name not in dataset.headers]
        if missing:
            columns = ", ".join(f"“{name}”" for name in missing)
            problems.append(
                f"The file has no {columns} column; a claim names its record by "
                f"{', '.join(f'“{name}”' for name in (*self.owner_parts, self.owner_column))}."
            )
        return problems

    def prepare_import(self, dataset):
        self.load_keys()
        widget = self.fields[self.owner_attribute()].widget
        if isinstance(widget, OwnerWidget):
            widget.load(dataset)
        owners = self.named_in(dataset, self.owner_attribute())
        model = self._meta.model
        stored = list(self.with_related(model.objects.filter(**{f"{self.owner_attribute()}__in": owners})))
        self.existing = {self.instance_key(claim): claim for claim in stored}
        self.facts_with_claims = {(claim.owner_id, claim.field) for claim in stored}
        self.preferred_rows = self.preferred_rows_of(dataset)
        self.row_of_key = {}
        self.current_row = 0

    def preferred_rows_of(self, dataset):
        """{(record pk, date): [rows of the file that make a claim of it preferred]}, rows that fail left out."""
        found = {}
        for number, row in enumerate(dataset.dict, 1):
            try:
                owner = self.fields[self.owner_attribute()].clean(row)
                field = self.fields["field"].clean(row)
                rank = self.fields["rank"].clean(row)
            except (ValueError, KeyError, ValidationError):
                continue
            if owner is not None and rank == Rank.PREFERRED:
                found.setdefault((owner.pk, field), []).append(number)
        return found

    # One row: which claim it is

    def instance_key(self, obj):
        value = obj.partial_value
        return (
            obj.owner_id,
            obj.field,
            value.date if value else None,
            value.precision if value else None,
            obj.reading_id,
        )

    def get_or_init_instance(self, instance_loader, row):
        errors, parts = {}, {}
        for name in (self.owner_attribute(), "field", "value", "reading"):
            field = self.fields[name]
            try:
                parts[name] = field.clean_partial(row) if name == "value" else field.clean(row)
            except ValueError as e:
                errors[field.attribute] = [str(e)]
        if not errors and parts["field"] in (None, ""):
            errors["field"] = ["This column names the date the claim is about and cannot be empty."]
        if errors:
            raise ValidationError(errors)
        value, reading = parts["value"], parts["reading"]
        key = (
            parts[self.owner_attribute()].pk,
            parts["field"],
            value.date if value else None,
            value.precision if value else None,
            reading.pk if reading else None,
        )
        if key in self.row_of_key:
            raise ValidationError(
                {
                    "value": [
                        f"Row {self.row_of_key[key] + 1} already has this claim (same date, value and reading): each may appear once."
                    ]
                }
            )
        self.row_of_key[key] = self.current_row
        instance = self.existing.get(key)
        if instance is not None:
            return instance, False
        return self.init_instance(row), True

    def resolved_foreign_keys(self):
        return [*super().resolved_foreign_keys(), self.owner_attribute()]

    def validation_plan(self):
        # The unique constraints all name the record: a row's key makes it the stored claim or a
        # new one (never a duplicate), and the one preferred claim is kept by claim_problems() and
        # save_instance(), which demotes the old one before the new one is saved.
        excluded, _, required = super().validation_plan()
        return excluded, frozenset(), required

    # One row: whether the database would take it

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            super().validate_instance(instance, errors, validate_unique)
        except ValidationError as e:
            errors = e.update_error_dict({})
        if not errors:
            errors = self.claim_problems(instance)
        if errors:
            raise ValidationError(errors)

    def claim_problems(self, claim):
        """What the claim rules refuse in this row, by attribute (see the module's docstring)."""
        errors = {}
        record, date = claim.owner, claim.get_field_display()
        preferred_rows = self.preferred_rows.get((record.pk, claim.field), [])
        if claim.rank == Rank.PREFERRED and len(preferred_rows) > 1:
            rows = " and ".join(str(n + 1) for n in preferred_rows)
            errors["rank"] = [f"Rows {rows} all make a claim of the {date} of {record} preferred; a date has one."]
        elif claim.rank != Rank.PREFERRED and not preferred_rows:
            if getattr(claim, "_import_original_rank", None) == Rank.PREFERRED:
                errors["rank"] = [
                    f"This is the preferred claim of the {date} of {record}: to demote it, make another claim "
                    "of that date preferred in the same file."
                ]
            elif (record.pk, claim.field) not in self.facts_with_claims:
                errors["rank"] = [
                    f"The {date} of {record} has no claims yet: its first claims need one preferred, "
                    f"usually the date the record stores ({record.partial_date(claim.field) or 'none'})."
                ]
        if claim.rank == Rank.PREFERRED and not claim.matches_record(record):
            try:
                claim.with_record_date(type(record)._default_manager.get(pk=record.pk))
            except ValidationError as e:
                texts = [
                    f"{name}: {' '.join(m)}" if name != "__all__" else " ".join(m) for name, m in e.message_dict.items()
                ]
                errors.setdefault("value", []).append(
                    f"Making this claim preferred sets the {date} of {record} to {claim.value_text}, which the "
                    f"record refuses: {' '.join(texts)}"
                )
        return errors

    def import_instance(self, instance, row, **kwargs):
        if instance.pk and not hasattr(instance, "_import_original_rank"):
            instance._import_original_rank = instance.rank
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        listed = "sources" in row or not instance.pk
        if "sources" not in errors and listed and not self.fields["sources"].clean(row):
            errors["sources"] = ["Every claim cites at least one source: give their keys, separated by semicolons."]
        if errors:
            raise ValidationError(errors)

    # One row: storing it

    def save_instance(self, instance, is_create, row, **kwargs):
        # A savepoint: a refusal by the database names this row, and the rows after it are still checked.
        with transaction.atomic():
            if instance.rank == Rank.PREFERRED:
                # Demoted first: the partial unique index admits one preferred claim at any moment.
                others = (
                    type(instance)
                    ._default_manager.filter(
                        **{self.owner_attribute(): instance.owner_id}, field=instance.field, rank=Rank.PREFERRED
                    )
                    .exclude(pk=instance.pk)
                )
                for old in others:
                    old.rank = Rank.ALTERNATIVE
                    self.before_save_instance(old, row)
                    old.save(update_fields=["rank", "updated_at"])
            super().save_instance(instance, is_create, row, **kwargs)
            if instance.rank == Rank.PREFERRED and not instance.matches_record():
                instance.set_record_date(instance.owner, self.user, self.reason)
