"""Spreadsheet import and export in the admin: one resource per model, by natural key, all or nothing.

Columns have readable headers and name records by natural keys (country alpha-3, bloc slug, source
key), never by database ids. A partial date is one column in ISO reduced form ("2012", "2012-06",
"2012-06-28", as in the exchange format) followed by its precision. An import checks every row
(model validation included) and stores nothing if any row or any database constraint fails; rows
that match what is stored are reported unchanged and left alone, so a second import of the same
file changes nothing. Imports run through blocs.spreadsheets.bulk (a whole file checked at once and written
with COPY, history included), except blocs, which name each other and are saved one at a time by
django-import-export's own loop. Exports are one SQL query over the admin list (see export_query).
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, connection
from django.db.models import F
from django.utils.translation import gettext
from import_export import widgets
from import_export.resources import ModelResource
from import_export.results import Error

from eurasia.constraints import check_deferred, constraint_message
from eurasia.partial_dates import PartialDate

from .bulk import BulkImport
from .columns import (
    LIST_SEPARATOR,
    KeyList,
    KeysWidget,
    KeyWidget,
    PartialDateColumn,
    SpellsWidget,
    quoted,
)
from .formats import ImportProblem, RowProblems
from .writers import (
    MAX_CELL_CHARS,
    copy_csv,
    neutralised_query,
    stream_rows,
)

logger = logging.getLogger(__name__)


def _quoted(names, shown=10, length=40):
    """“a”, “b” and “c”: at most `shown` names, each cut to `length` characters, and how many more."""
    names = list(names)
    cut = [quoted(f"{n[:length]}…") if len(n) > length else quoted(n) for n in names[:shown]]
    if len(names) > shown:
        return gettext("%(names)s and %(count)s more") % {"names": ", ".join(cut), "count": f"{len(names) - shown:,}"}
    if len(cut) == 1:
        return cut[0]
    return gettext("%(names)s and %(last)s") % {"names": ", ".join(cut[:-1]), "last": cut[-1]}


def _normalise_header(text):
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


class CuratedResource(ModelResource):
    """Shared import behaviour: natural keys, readable errors, whole-file checks, bulk writes with history."""

    key_fields: tuple = ()
    what = "record"  # how a curator calls one row's record
    unique_fields: tuple = ()  # other unique model fields, checked for a whole batch at once
    select_related: tuple = ()
    prefetch: tuple = ()
    # Texts in Russian (name_ru, ...): exported only when some record of the export has one.
    translations: tuple = ()

    class Meta:
        use_bulk = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        store_instance = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user = None
        self.reason = "imported from a spreadsheet"
        self._validation_plan = None

    # Export

    def get_queryset(self):
        return self.with_related(self._meta.model.objects.all())

    def with_related(self, queryset):
        """The queryset with what the columns show loaded up front, in a fixed number of queries."""
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset.prefetch_related(*self.prefetch) if self.prefetch else queryset

    def export_query(self, queryset, selected_fields=None):
        """The export of `queryset` as one SQL query: (sql, params, [(header, is text), ...]).

        `queryset` is the admin list under its filters and search; the rows keep its order.
        """
        model = self._meta.model
        fields = self.get_export_fields(selected_fields)
        if queryset.query.distinct:
            queryset = model.objects.filter(pk__in=queryset.values("pk")).order_by(*queryset.query.order_by)
        expressions = {f"c{i}": field.export_sql(model) for i, field in enumerate(fields)}
        scalars = {name: e for name, e in expressions.items() if not isinstance(e, KeyList)}
        inner, params = (
            queryset.annotate(row_pk=F("pk"), **scalars).values_list("row_pk", *scalars).query.sql_with_params()
        )
        quote = connection.ops.quote_name
        select, joins = [], []
        for (name, expression), field in zip(expressions.items(), fields, strict=True):
            if isinstance(expression, KeyList):
                joins.append(expression.join(f"k{name}", "r"))
                select.append(f"k{name}.keys AS {quote(field.column_name)}")
            else:
                select.append(f"r.{name} AS {quote(field.column_name)}")
        if joins:
            # The joins may reorder rows: number them in the list's order first, and sort by that.
            rows = f"(SELECT q.*, row_number() OVER () AS row_n FROM ({inner}) q) r"
            sql = f"SELECT {', '.join(select)} FROM {rows} {' '.join(joins)} ORDER BY r.row_n"
        else:
            sql = f"SELECT {', '.join(select)} FROM ({inner}) r"
        columns = [(field.column_name, getattr(field.widget, "text", True)) for field in fields]
        return sql, params, columns

    def without_empty_translations(self, queryset, selected_fields):
        """The columns to export, less the Russian ones that no record of `queryset` fills.

        A file of records with no Russian text keeps the columns it always had; one query per
        Russian column.
        """
        selected = list(selected_fields or self.get_export_order())
        return [
            name
            for name in selected
            if name not in self.translations or queryset.exclude(**{self.fields[name].attribute: ""}).exists()
        ]

    def export_rows(self, queryset, selected_fields=None):
        """Values (not strings) row by row, from a server-side cursor, for the streamed writers."""
        sql, params, _ = self.export_query(queryset, selected_fields)
        return stream_rows(sql, params)

    def export_csv(self, queryset, selected_fields=None, progress=None):
        """CSV bytes of the export, written by PostgreSQL's COPY with formulas neutralised."""
        sql, params, columns = self.export_query(queryset, selected_fields)
        query = neutralised_query(sql, [(header, header, text) for header, text in columns])
        return copy_csv(query, params, progress=progress)

    # Import: whole-file checks first

    def columns(self):
        return {f.column_name: f for f in self.fields.values()}

    def check_dataset(self, dataset):
        """Problems with the file as a whole; also renames headers to the canonical column names."""
        problems = []
        known = {}
        for name, field in self.fields.items():
            known[_normalise_header(field.column_name)] = field.column_name
            known.setdefault(_normalise_header(name), field.column_name)
        headers, seen, unknown, twice = [], set(), {}, {}
        for header in dataset.headers:
            column = known.get(_normalise_header(header))
            if column is None:
                unknown.setdefault(str(header), None)
            elif column in seen:
                twice.setdefault(column, None)
            seen.add(column)
            headers.append(column or header)
        # Each column named once, however many there are: a header of thousands must not repeat them all.
        if len(unknown) == 1:
            problems.append(
                gettext("The column %(column)s is not one of the %(what)s columns: %(columns)s.")
                % {"column": _quoted(unknown), "what": self.what, "columns": ", ".join(self.columns())}
            )
        elif unknown:
            problems.append(
                gettext("The columns %(unknown)s are not %(what)s columns; the %(what)s columns are: %(columns)s.")
                % {"unknown": _quoted(unknown), "what": self.what, "columns": ", ".join(self.columns())}
            )
        if twice:
            problems.append(
                gettext("The header row names %(columns)s twice; each column may appear once.")
                % {"columns": _quoted(twice)}
            )
        required = [self.fields[name].column_name for name in self.get_export_order() if self.fields[name].required]
        missing = [column for column in required if column not in seen]
        if missing:
            needed = ", ".join(quoted(column) for column in required)
            problems.append(
                gettext("The file has no %(missing)s column; every %(what)s needs %(needed)s.")
                % {"missing": ", ".join(quoted(m) for m in missing), "what": self.what, "needed": needed}
            )
        if not problems:
            dataset.headers = headers
        is_text = str.__instancecheck__
        for number, row in enumerate(dataset, 2):
            # No cell can be too long in a row whose text is short in all: one sum per row, in C.
            if sum(map(len, filter(is_text, row))) <= MAX_CELL_CHARS:
                continue
            for header, cell in zip(headers, row, strict=False):
                if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                    problems.append(
                        gettext(
                            "Row %(row)s, column “%(column)s”: the text is %(length)s characters long; "
                            "a cell can hold at most %(most)s."
                        )
                        % {"row": number, "column": header, "length": f"{len(cell):,}", "most": f"{MAX_CELL_CHARS:,}"}
                    )
        return problems

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        self.user = kwargs.get("user") if getattr(kwargs.get("user"), "pk", None) else None
        if kwargs.get("file_name"):
            self.reason = f"imported from {kwargs['file_name']}"[:100]
        problems = self.check_dataset(dataset)
        if problems:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            for problem in problems:
                result.append_base_error(Error(ImportProblem(problem)))
            result.problems = problems
            return result
        progress = kwargs.pop("progress", None)
        if self._meta.use_bulk:
            result = BulkImport(self, dataset, dry_run, self.user, self.reason, progress).run()
        else:
            self.prepare_import(dataset)
            # All or nothing: an invalid row rolls back the whole import, the preview included.
            kwargs["rollback_on_validation_errors"] = True
            result = super().import_data(
                dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
            )
        result.problems = self.describe(result)
        return result

    def load_keys(self):
        """Load, once, every record the rows may name by key."""
        self.loaded = {}
        for field in self.fields.values():
            if isinstance(field.widget, KeyWidget):
                field.widget.load()
            elif isinstance(field.widget, KeysWidget) and not isinstance(field.widget, SpellsWidget):
                field.widget.single.load()

    def known(self, model, pk):
        """A record of `model` loaded by load_keys(), by primary key; None if it was not loaded."""
        if model not in self.loaded:
            tables = [f.widget.table for f in self.fields.values() if isinstance(f.widget, KeyWidget)]
            tables += [f.widget.single.table for f in self.fields.values() if isinstance(f.widget, KeysWidget)]
            self.loaded[model] = {
                obj.pk: obj for table in tables if table for obj in table.values() if isinstance(obj, model)
            }
        return self.loaded[model].get(pk)

    def prepare_import(self, dataset):
        """For django-import-export's own loop: the records the rows may name, and those the file may update."""
        self.load_keys()
        self.existing = {self.instance_key(obj): obj for obj in self.existing_records(dataset)}
        self.row_of_key = {}
        self.current_row = 0

    def display(self, field, instance, links):
        """A cell as the preview shows it: what an export would write for `instance` with `links`."""
        if field.is_m2m:
            return LIST_SEPARATOR.join(sorted(field.widget.labels(links.get(field.attribute, ()))))
        value = field.export(instance)
        return "" if value is None else str(value)

    def existing_records(self, dataset):
        """The stored records the file's rows may update: all of them, for the small tables."""
        return self.get_queryset()

    def named_in(self, dataset, name):
        """The values the file gives in one column, cleaned; rows that fail are reported later."""
        field, values = self.fields[name], set()
        for row in dataset.dict:
            try:
                value = field.clean(row)
            except (ValueError, KeyError, ValidationError):
                continue
            if value not in (None, ""):
                values.add(self.key_part(value))
        return values

    # Import: one row

    def key_part(self, value):
        if isinstance(value, PartialDate):
            return value.date
        return getattr(value, "pk", value)

    def instance_key(self, obj):
        parts = []
        for name in self.key_fields:
            attribute = self.fields[name].attribute
            field = self._meta.model._meta.get_field(attribute)
            parts.append(getattr(obj, field.attname))
        return tuple(parts)

    def before_import_row(self, row, **kwargs):
        self.current_row = kwargs.get("row_number", 0)

    def get_or_init_instance(self, instance_loader, row):
        errors, parts = {}, []
        for name in self.key_fields:
            field = self.fields[name]
            try:
                value = field.clean(row)
            except ValueError as e:
                errors[field.attribute] = [str(e)]
                continue
            if value in (None, ""):
                errors[field.attribute] = [
                    gettext("This column names the %(what)s and cannot be empty.") % {"what": self.what}
                ]
            parts.append(self.key_part(value))
        if errors:
            raise ValidationError(errors)
        key = tuple(parts)
        if key in self.row_of_key:
            first = self.fields[self.key_fields[0]].attribute
            raise ValidationError(
                {
                    first: [
                        gettext("Row %(row)s already has this %(what)s: each may appear once.")
                        % {"row": self.row_of_key[key] + 1, "what": self.what}
                    ]
                }
            )
        self.row_of_key[key] = self.current_row
        instance = self.existing.get(key)
        if instance is not None:
            return instance, False
        return self.init_instance(row), True

    def import_instance(self, instance, row, **kwargs):
        # Links are saved later, but a curator hears about an unknown key with the row's other problems.
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        for field in self.fields.values():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as e:
                    errors[field.attribute] = [str(e)]
        if errors:
            raise ValidationError(errors)

    def set_by_import(self):
        model = self._meta.model._meta
        own = {f"{f.attribute}_precision" for f in self.fields.values() if isinstance(f, PartialDateColumn)}
        return own | {f.name for f in model.concrete_fields if not f.editable}

    def resolved_foreign_keys(self):
        return [f.attribute for f in self.fields.values() if isinstance(f.widget, KeyWidget)]

    def validation_plan(self):
        """What validate_instance() leaves out for every row, and the required cells: worked out once."""
        if self._validation_plan is None:
            # Records named by key were found in the tables loaded for this import, so their existence
            # needs no query; in bulk, uniqueness and constraints are checked for the whole file at once.
            # Precisions come from a parsed PartialDate and timestamps from the import itself.
            resolved = set(self.resolved_foreign_keys())
            exclude = resolved | self.set_by_import()
            kept = frozenset() if self._meta.use_bulk else frozenset(resolved)
            meta = self._meta.model._meta
            required = [
                (field.attribute, meta.get_field(field.attribute).attname)
                for field in self.fields.values()
                if field.required and field.column_name
            ]
            self._validation_plan = frozenset(exclude), kept, required
        return self._validation_plan

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        excluded, kept, required = self.validation_plan()
        exclude = (excluded | set(errors)) - kept
        for attribute, attname in required:
            if attribute not in errors and getattr(instance, attname) in (None, ""):
                errors[attribute] = [gettext("This cell is required.")]
                exclude |= {attribute}
        try:
            instance.full_clean(
                exclude=exclude,
                validate_unique=not self._meta.use_bulk,
                validate_constraints=not self._meta.use_bulk,
            )
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.user
        instance._change_reason = self.reason

    def batch_problems(self, instances):
        """Uniqueness of other unique fields, against the database and the rest of the file, in one query per field.

        `instances` are the file's new and changed records, each with the `_import_row` it came from.
        """
        problems = RowProblems()
        model = self._meta.model
        for name in self.unique_fields:
            values = {}
            for instance in instances:
                value = getattr(instance, name)
                if value in (None, ""):
                    continue
                earlier = values.get(value)
                if earlier is not None:
                    label = self.column_of(name)
                    problems.add(
                        instance,
                        name,
                        gettext("Row %(row)s of this file has the same %(column)s.")
                        % {"row": earlier._import_row + 1, "column": label},
                    )
                    continue
                values[value] = instance
            if not values:
                continue
            mine = [i.pk for i in instances if i.pk]
            taken = model.objects.filter(**{f"{name}__in": list(values)}).exclude(pk__in=mine)
            for other in taken:
                instance = values[getattr(other, name)]
                problems.add(
                    instance,
                    name,
                    gettext("%(record)s already has this %(column)s.")
                    % {"record": other, "column": self.column_of(name)},
                )
        return problems

    # Import: saying what went wrong

    def column_of(self, attribute):
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        for field in self.fields.values():
            if isinstance(field, PartialDateColumn) and attribute == f"{field.attribute}_precision":
                return field.precision_column
        return attribute.replace("_", " ")

    def row_label(self, number):
        return gettext("Row %(number)s") % {"number": number + 1}

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # The checks PostgreSQL defers to commit (a disputed date changed without its claims) run
        # here, where a refusal becomes a problem the preview names, not an error at the commit.
        check_deferred()

    def describe(self, result):
        """Every problem of an import, each naming its row (as the spreadsheet counts) and column."""
        problems = []
        for error in result.base_errors:
            problems.append(self.error_text(error.error))
        for row in result.error_rows:
            for error in row.errors:
                problems.append(f"{self.row_label(row.number)}: {self.error_text(error.error)}")
        for row in sorted(result.invalid_rows, key=lambda r: r.number):
            for attribute, texts in row.error_dict.items():
                where = self.row_label(row.number)
                if attribute != NON_FIELD_ERRORS:
                    where += gettext(", column “%(column)s”") % {"column": self.column_of(attribute)}
                problems.extend(f"{where}: {text}" for text in texts)
        return problems

    def error_text(self, error):
        if isinstance(error, ImportProblem | ValueError):
            return str(error)
        if isinstance(error, IntegrityError | DataError):
            return constraint_message(error)
        logger.warning("Unexpected import error", exc_info=error)
        return gettext("Unexpected problem (%(kind)s): %(error)s") % {"kind": type(error).__name__, "error": error}
