"""Spreadsheet import and export in the admin: one resource per model, by natural key, all or nothing.

Columns have readable headers and name records by natural keys (country alpha-3, bloc slug, source
key), never by database ids. A partial date is one column in ISO reduced form ("2012", "2012-06",
"2012-06-28", as in the exchange format) followed by its precision. An import checks every row
(model validation included) and stores nothing if any row or any database constraint fails; rows
that match what is stored are reported unchanged and left alone, so a second import of the same
file changes nothing. Imports run through blocs.importing (a whole file checked at once and written
with COPY, history included), except blocs, which name each other and are saved one at a time by
django-import-export's own loop. Exports are one SQL query over the admin list (see export_query).
"""

import logging
import uuid
from collections import defaultdict

from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from import_export import widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.resources import ModelResource
from import_export.results import Error
from import_export.tmp_storages import BaseStorage

from eurasia.constraints import constraint_message
from eurasia.partial_dates import PartialDate
from events.models import Event, EventKind

from .columns import (
    LIST_SEPARATOR,
    ChoiceWidget,
    Column,
    KeyList,
    KeysWidget,
    KeyWidget,
    ListWidget,
    PartialDateColumn,
    SpellsWidget,
    TextWidget,
    WholeNumberWidget,
    partial,
)
from .importing import BulkImport, array_literal, log_imported
from .models import (
    Bloc,
    BlocKind,
    Country,
    EndReason,
    ImportFile,
    Membership,
    Role,
    Source,
    SuspensionKind,
)
from .spreadsheets import (
    CSV_CONTENT_TYPE,
    MAX_CELL_CHARS,
    XLSX_CONTENT_TYPE,
    copy_csv,
    csv_lines,
    neutralised_query,
    stream_rows,
    xlsx_chunks,
)
from .uploads import TOO_LARGE, ImportProblem, decode_csv, read_csv, read_xlsx

logger = logging.getLogger(__name__)


class RowProblems:
    """Problems found for a batch of rows, by record (records without a primary key are not hashable)."""

    def __init__(self):
        self.found = {}

    def add(self, instance, field, text):
        self.found.setdefault(id(instance), (instance, defaultdict(list)))[1][field].append(text)

    def items(self):
        return [(instance, dict(errors)) for instance, errors in self.found.values()]

    def __bool__(self):
        return bool(self.found)


# --- Reading and writing the files --------------------------------------------------------------


class SpreadsheetCSV(base_formats.CSV):
    """CSV in UTF-8, read with clear errors and written with formulas neutralised."""

    CONTENT_TYPE = CSV_CONTENT_TYPE

    def create_dataset(self, in_stream, **kwargs):
        text = in_stream if isinstance(in_stream, str) else decode_csv(bytes(in_stream))
        return read_csv(text)

    def export_data(self, dataset, **kwargs):
        return "".join(csv_lines(dataset.headers, dataset))


class SpreadsheetXLSX(base_formats.XLSX):
    """XLSX read from the first sheet with clear errors, and written with formulas neutralised."""

    def create_dataset(self, in_stream):
        return read_xlsx(bytes(in_stream))

    def export_data(self, dataset, **kwargs):
        return b"".join(xlsx_chunks(dataset.headers, dataset))


IMPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]
EXPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX, base_formats.JSON]


class DatabaseStorage(BaseStorage):
    """Holds an uploaded file while it is previewed; the admin keeps it as an ImportFile once the preview passes.

    django-import-export writes the upload before it reads it; here nothing reaches the database
    until the file has been read within its limits and checked, and then with its curator, its
    list and its format (SpreadsheetAdminMixin.keep_pending).
    """

    def save(self, data):
        self.name = self.name or uuid.uuid4().hex
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.data = data

    def read(self):
        return self.data

    def remove(self):
        self.data = None


class UploadForm(ImportForm):
    """The import form, which names a file refused while it streamed in rather than calling it missing."""

    def __init__(self, formats, resources, refused=None, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.refused = refused
        if refused:
            self.fields["import_file"].required = False

    def clean_import_file(self):
        if self.refused:
            raise ValidationError(f"{TOO_LARGE} It was refused as it arrived; nothing was kept.")
        return self.cleaned_data.get("import_file")


# --- Resources -------------------------------------------------------------------------------------


def _quoted(names, shown=10, length=40):
    """“a”, “b” and “c”: at most `shown` names, each cut to `length` characters, and how many more."""
    names = list(names)
    cut = [f"“{n[:length]}…”" if len(n) > length else f"“{n}”" for n in names[:shown]]
    if len(names) > shown:
        return f"{', '.join(cut)} and {len(names) - shown:,} more"
    return cut[0] if len(cut) == 1 else f"{', '.join(cut[:-1])} and {cut[-1]}"


def _normalise_header(text):
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


class CuratedResource(ModelResource):
    """Shared import behaviour: natural keys, readable errors, whole-file checks, bulk writes with history."""

    key_fields: tuple = ()
    what = "record"  # how a curator calls one row's record
    unique_fields: tuple = ()  # other unique model fields, checked for a whole batch at once
    select_related: tuple = ()
    prefetch: tuple = ()

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

    def export_rows(self, queryset, selected_fields=None):
        """Values (not strings) row by row, from a server-side cursor, for the streamed writers."""
        sql, params, _ = self.export_query(queryset, selected_fields)
        return stream_rows(sql, params)

    def export_csv(self, queryset, selected_fields=None):
        """CSV bytes of the export, written by PostgreSQL's COPY with formulas neutralised."""
        sql, params, columns = self.export_query(queryset, selected_fields)
        return copy_csv(neutralised_query(sql, [(header, header, text) for header, text in columns]), params)

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
                f"The column {_quoted(unknown)} is not one of the {self.what} columns: {', '.join(self.columns())}."
            )
        elif unknown:
            problems.append(
                f"The columns {_quoted(unknown)} are not {self.what} columns; the {self.what} columns are: "
                f"{', '.join(self.columns())}."
            )
        if twice:
            problems.append(f"The header row names {_quoted(twice)} twice; each column may appear once.")
        required = [self.fields[name].column_name for name in self.get_export_order() if self.fields[name].required]
        missing = [column for column in required if column not in seen]
        if missing:
            needed = ", ".join(f"“{column}”" for column in required)
            problems.append(
                f"The file has no {', '.join(f'“{m}”' for m in missing)} column; every {self.what} needs {needed}."
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
                        f"Row {number}, column “{header}”: the text is {len(cell):,} characters long; "
                        f"a cell can hold at most {MAX_CELL_CHARS:,}."
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
        if self._meta.use_bulk:
            result = BulkImport(self, dataset, dry_run, self.user, self.reason).run()
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
                errors[field.attribute] = [f"This column names the {self.what} and cannot be empty."]
            parts.append(self.key_part(value))
        if errors:
            raise ValidationError(errors)
        key = tuple(parts)
        if key in self.row_of_key:
            first = self.fields[self.key_fields[0]].attribute
            raise ValidationError(
                {first: [f"Row {self.row_of_key[key] + 1} already has this {self.what}: each may appear once."]}
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
                errors[attribute] = ["This cell is required."]
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
                    problems.add(instance, name, f"Row {earlier._import_row + 1} of this file has the same {label}.")
                    continue
                values[value] = instance
            if not values:
                continue
            mine = [i.pk for i in instances if i.pk]
            taken = model.objects.filter(**{f"{name}__in": list(values)}).exclude(pk__in=mine)
            for other in taken:
                instance = values[getattr(other, name)]
                problems.add(instance, name, f"{other} already has this {self.column_of(name)}.")
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
        return f"Row {number + 1}"

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
                    where += f", column “{self.column_of(attribute)}”"
                problems.extend(f"{where}: {text}" for text in texts)
        return problems

    def error_text(self, error):
        if isinstance(error, ImportProblem | ValueError):
            return str(error)
        if isinstance(error, IntegrityError | DataError):
            return constraint_message(error)
        logger.warning("Unexpected import error", exc_info=error)
        return f"Unexpected problem ({type(error).__name__}): {error}"


class SourceResource(CuratedResource):
    key = Column("key", "key", TextWidget(strip=True), required=True)
    title = Column("title", "title")
    publisher = Column("publisher", "publisher")
    kind = Column("kind", "kind")
    url = Column("url", "URL", TextWidget(strip=True))
    published, published_precision = partial("published", "published")
    notes = Column("notes", "notes")

    key_fields = ("key",)
    what = "source"

    class Meta(CuratedResource.Meta):
        model = Source
        name = "Sources by key"
        fields = ("key", "title", "publisher", "kind", "url", "published", "published_precision", "notes")


class CountryResource(CuratedResource):
    alpha3 = Column("alpha3", "alpha-3", TextWidget(strip=True, upper=True), required=True)
    alpha2 = Column("alpha2", "alpha-2", TextWidget(strip=True, upper=True), required=True)
    name = Column("name", "name", TextWidget(strip=True), required=True)
    cow_code = Column("cow_code", "COW code", WholeNumberWidget())
    other_names = Column("other_names", "other names")
    notes = Column("notes", "notes")

    key_fields = ("alpha3",)
    what = "country"
    unique_fields = ("alpha2", "name", "cow_code")

    class Meta(CuratedResource.Meta):
        model = Country
        name = "Countries by alpha-3 code"
        fields = ("alpha3", "alpha2", "name", "cow_code", "other_names", "notes")


class BlocResource(CuratedResource):
    slug = Column("slug", "slug", TextWidget(strip=True), required=True)
    name = Column("name", "name", TextWidget(strip=True), required=True)
    abbreviations = Column("abbreviations", "abbreviations", ListWidget(","))
    kind = Column("kind", "kind", ChoiceWidget(BlocKind.choices, "bloc kind"), required=True)
    founded, founded_precision = partial("founded", "founded")
    dissolved, dissolved_precision = partial("dissolved", "dissolved")
    parent = Column("parent", "parent", KeyWidget(Bloc, "slug", "bloc"))
    predecessors = Column("predecessors", "predecessors", KeysWidget(Bloc, "slug", "bloc"))
    description = Column("description", "description")
    notes = Column("notes", "notes")
    sources = Column("sources", "sources", KeysWidget(Source, "key", "source"))

    key_fields = ("slug",)
    what = "bloc"
    select_related = ("parent",)
    prefetch = ("predecessors", "sources")

    class Meta(CuratedResource.Meta):
        model = Bloc
        name = "Blocs by slug"
        fields = (
            "slug",
            "name",
            "abbreviations",
            "kind",
            "founded",
            "founded_precision",
            "dissolved",
            "dissolved_precision",
            "parent",
            "predecessors",
            "description",
            "notes",
            "sources",
        )
        # Blocs name each other (parent, predecessors), so each is saved before the rows that
        # name it; they are few, and saved one at a time with full validation.
        use_bulk = False

    def prepare_import(self, dataset):
        super().prepare_import(dataset)
        self.fields["parent"].widget.table = self.fields["predecessors"].widget.single.table
        self.order_rows(dataset)

    def order_rows(self, dataset):
        """Put every bloc after the blocs it names, remembering where each row was in the file."""
        headers = dataset.headers
        rows = [dict(zip(headers, row, strict=False)) for row in dataset]
        slugs = {str(row.get("slug") or "").strip(): i for i, row in enumerate(rows)}
        order, state = [], {}

        def visit(i):
            if state.get(i) == "done" or state.get(i) == "open":
                return  # a cycle is reported when the rows are validated
            state[i] = "open"
            row = rows[i]
            named = [str(row.get("parent") or "").strip()]
            named += KeysWidget.split(row.get("predecessors"))
            for slug in named:
                if slug in slugs and slugs[slug] != i:
                    visit(slugs[slug])
            state[i] = "done"
            order.append(i)

        for i in range(len(rows)):
            visit(i)
        self.file_row = {position: i + 1 for position, i in enumerate(order, 1)}
        reordered = [dataset[i] for i in order]
        dataset.wipe()
        dataset.headers = headers
        for row in reordered:
            dataset.append(row)

    def before_import_row(self, row, **kwargs):
        self.current_row = self.file_row.get(kwargs.get("row_number", 0), 0)

    def row_label(self, number):
        return f"Row {self.file_row.get(number, number) + 1}"

    def after_save_instance(self, instance, row, **kwargs):
        self.fields["parent"].widget.remember(instance)


class MembershipResource(CuratedResource):
    country = Column("country", "country", KeyWidget(Country, "alpha3", "country", upper=True), required=True)
    bloc = Column("bloc", "bloc", KeyWidget(Bloc, "slug", "bloc"), required=True)
    role = Column("role", "role", ChoiceWidget(Role.choices, "role"))
    start, start_precision = partial("start", "start", required=True)
    suspension_start, suspension_start_precision = partial("suspension_start", "suspension start")
    suspension_end, suspension_end_precision = partial("suspension_end", "suspension end")
    suspension_kind = Column(
        "suspension_kind", "suspension kind", ChoiceWidget(SuspensionKind.choices, "suspension kind", blank=True)
    )
    end, end_precision = partial("end", "end")
    end_reason = Column("end_reason", "end reason", ChoiceWidget(EndReason.choices, "end reason", blank=True))
    notes = Column("notes", "notes")
    sources = Column("sources", "sources", KeysWidget(Source, "key", "source"))

    key_fields = ("country", "bloc", "start")

    def existing_records(self, dataset):
        # Only the spells of the countries and blocs the file names: loading all 200,000 spells
        # (and their sources) for every import made a 100-row file take minutes.
        return self.get_queryset().filter(
            country__in=self.named_in(dataset, "country"), bloc__in=self.named_in(dataset, "bloc")
        )

    what = "membership spell"
    select_related = ("country", "bloc")
    prefetch = ("sources",)

    class Meta(CuratedResource.Meta):
        model = Membership
        name = "Membership spells by country, bloc and start"
        fields = (
            "country",
            "bloc",
            "role",
            "start",
            "start_precision",
            "suspension_start",
            "suspension_start_precision",
            "suspension_end",
            "suspension_end_precision",
            "suspension_kind",
            "end",
            "end_precision",
            "end_reason",
            "notes",
            "sources",
        )

    def batch_problems(self, instances):
        """Overlapping spells, against the database and the rest of the file, in one query."""
        problems = super().batch_problems(instances)
        if not instances:
            return problems
        # The whole file goes in as six arrays, one query however many rows it has.
        params = [
            array_literal(range(len(instances))),
            *[
                array_literal(getattr(spell, name) for spell in instances)
                for name in ("pk", "country_id", "bloc_id", "start", "end")
            ],
        ]
        table = Membership._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH incoming AS (
                  SELECT * FROM unnest(%s::int[], %s::bigint[], %s::bigint[], %s::bigint[], %s::date[], %s::date[])
                    AS i (n, id, country_id, bloc_id, start, stop))
                SELECT i.n, NULL, m.start, m.start_precision, m."end", m.end_precision
                FROM incoming i JOIN {table} m ON m.country_id = i.country_id AND m.bloc_id = i.bloc_id
                  AND daterange(m.start, m."end", '[)') && daterange(i.start, i.stop, '[)')
                WHERE m.id NOT IN (SELECT id FROM incoming WHERE id IS NOT NULL)
                UNION ALL
                SELECT a.n, b.n, NULL, NULL, NULL, NULL
                FROM incoming a JOIN incoming b ON b.n < a.n AND a.country_id = b.country_id
                  AND a.bloc_id = b.bloc_id AND daterange(a.start, a.stop, '[)') && daterange(b.start, b.stop, '[)')""",
                params,
            )
            for n, other, start, start_p, end, end_p in cursor.fetchall():
                spell = instances[n]
                if other is not None:
                    text = f"This spell overlaps the spell in row {instances[other]._import_row + 1} of this file."
                else:
                    until = PartialDate(end, end_p).iso if end else "now"
                    text = (
                        f"This spell overlaps the spell of {spell.country.alpha3} in {spell.bloc.slug} "
                        f"from {PartialDate(start, start_p).iso} to {until} already recorded."
                    )
                problems.add(spell, "start", text)
        return problems


class EventResource(CuratedResource):
    date, date_precision = partial("date", "date", required=True)
    end_date, end_date_precision = partial("end_date", "end date")
    title = Column("title", "title", TextWidget(strip=True), required=True)
    kind = Column("kind", "kind", ChoiceWidget(EventKind.choices, "kind of event"), required=True)
    location = Column("location", "location")
    description = Column("description", "description")
    notes = Column("notes", "notes")
    blocs = Column("blocs", "blocs", KeysWidget(Bloc, "slug", "bloc"))
    countries = Column("countries", "countries", KeysWidget(Country, "alpha3", "country", upper=True))
    spells = Column("memberships", "spells", SpellsWidget())
    sources = Column("sources", "sources", KeysWidget(Source, "key", "source"))

    key_fields = ("date", "title")

    def existing_records(self, dataset):
        # Only the events on the dates the file names, through the date index, not all million.
        return self.get_queryset().filter(date__in=self.named_in(dataset, "date"))

    what = "event"
    prefetch = ("blocs", "countries", "sources", "memberships__bloc", "memberships__country")

    class Meta(CuratedResource.Meta):
        model = Event
        name = "Events by date and title"
        fields = (
            "date",
            "date_precision",
            "end_date",
            "end_date_precision",
            "title",
            "kind",
            "location",
            "description",
            "notes",
            "blocs",
            "countries",
            "spells",
            "sources",
        )


RESOURCES = {
    Source: SourceResource,
    Country: CountryResource,
    Bloc: BlocResource,
    Membership: MembershipResource,
    Event: EventResource,
}


# --- The admin side ------------------------------------------------------------------------------


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import and export buttons on every curated admin list.

    Curators (change permission) import; Analysts and Curators (view permission) export. Exports
    hold exactly the rows of the list under its current filters and search.
    """

    import_template_name = "admin/blocs/import.html"
    tmp_storage_class = DatabaseStorage
    import_form_class = UploadForm
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS

    def get_resource_classes(self, request):
        return [RESOURCES[self.model]]

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportProblem):
            form.add_error("import_file", str(e))
        else:
            logger.warning("Unreadable import file", exc_info=e)
            super().add_data_read_fail_error_to_form(form, e)

    def get_urls(self):
        info = self.get_model_info()
        cancel = path(
            "import/cancel/",
            self.admin_site.admin_view(self.cancel_import),
            name=f"{info[0]}_{info[1]}_cancel_import",
        )
        return [cancel, *super().get_urls()]

    def get_import_form_kwargs(self, request):
        kwargs = super().get_import_form_kwargs(request)
        refused = getattr(request, "refused_uploads", None) or {}
        if request.method == "POST" and "import_file" in refused:
            kwargs["refused"] = refused["import_file"]
        return kwargs

    def write_to_tmp_storage(self, import_file, input_format):
        # The upload handler has already capped its size; joined once, not chunk by chunk.
        storage = self.get_tmp_storage_class()(**self.get_tmp_storage_class_kwargs())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def import_action(self, request, **kwargs):
        if request.method == "POST":
            ImportFile.objects.expired().delete()
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and context.get("confirm_form"):
            self.keep_pending(request, context["confirm_form"])
        return response

    def model_label(self):
        return self.model._meta.label_lower

    def keep_pending(self, request, confirm_form):
        """Keep a previewed file for its confirmation: it belongs to the curator who previewed it."""
        upload = request.FILES["import_file"]
        initial = confirm_form.initial
        file_format = self.get_import_formats()[int(initial["format"])]().get_extension()
        ImportFile.objects.create(
            name=initial["import_file_name"],
            user=request.user,
            model=self.model_label(),
            file_format=file_format,
            original_name=str(initial.get("original_file_name") or upload.name)[:255],
            data=b"".join(upload.chunks()),
        )

    def import_url(self):
        info = self.get_model_info()
        return reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)

    def refuse(self, request, text):
        messages.error(request, f"Nothing was imported: {text}")
        return HttpResponseRedirect(self.import_url())

    def confirm_form_problem(self, form, request):
        """What is wrong with a confirmation form, which only a tampered or stale page can make wrong."""
        if not form.is_valid():
            return "the confirmation form is incomplete. Upload the file again."
        formats, resources = self.get_import_formats(), self.get_import_resource_classes(request)
        for field, choices in (("format", formats), ("resource", resources)):
            value = str(form.cleaned_data.get(field) or "0")
            if not value.isdigit() or len(value) > 3 or int(value) >= len(choices):
                return f"the confirmation form names no known {field} (“{value[:20]}”). Upload the file again."
        return None

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Import a previewed file once: it is claimed (locked and deleted) in the import's own transaction."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        problem = self.confirm_form_problem(form, request)
        if problem:
            return self.refuse(request, problem)
        formats = {f().get_extension(): f for f in self.get_import_formats()}
        try:
            with transaction.atomic():
                pending = ImportFile.objects.claim(
                    form.cleaned_data["import_file_name"], request.user, self.model_label()
                )
                if pending.has_expired():  # refused, and gone with the transaction
                    return self.refuse(request, "this preview is more than a day old and has expired: upload it again.")
                dataset = formats[pending.file_format]().create_dataset(bytes(pending.data))
                result = self.process_dataset(dataset, form, request, file_name=pending.original_name, **kwargs)
                return self.process_result(result, request)
        except (ImportFile.Unavailable, ImportProblem) as e:
            return self.refuse(request, str(e))

    @method_decorator(require_POST)
    def cancel_import(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")[:64]
        pending = ImportFile.objects.filter(name=name).select_related("user").first()
        if pending is not None and pending.user_id != request.user.pk:
            messages.error(
                request,
                f"This preview belongs to {pending.user.get_username()}: only the curator who uploaded a file "
                "can confirm or cancel its import.",
            )
        elif pending is not None:
            pending.delete()
            messages.info(request, "The import was cancelled and the uploaded file deleted; nothing was imported.")
        else:
            messages.info(request, "There was no preview to cancel: it was already imported, cancelled or expired.")
        return HttpResponseRedirect(self.import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation; nothing was stored.
            problems = getattr(result, "problems", []) or ["The import failed."]
            messages.error(request, "Nothing was imported. " + " ".join(problems[:20]))
            return HttpResponseRedirect(self.import_url())
        return super().process_result(result, request)

    def generate_log_entries(self, result, request):
        entries = getattr(result, "log_entries", None)
        if entries is None:
            return super().generate_log_entries(result, request)
        if entries and not self.get_skip_admin_log():
            # The same entries django-import-export writes, for every stored record, with one COPY.
            messages_by_flag = {ADDITION: "new through import_export", CHANGE: "update through import_export"}
            log_imported(request.user.pk, self.model, entries, messages_by_flag)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            f"Imported {self.model._meta.verbose_name_plural}: {totals['new']} new, {totals['update']} changed, "
            f"{totals['skip']} unchanged.",
        )

    def get_export_filename(self, request, queryset, file_format):
        stamp = timezone.now().strftime("%Y-%m-%d")
        return f"eurasia-{self.model._meta.verbose_name_plural.replace(' ', '-')}-{stamp}.{file_format.get_extension()}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not isinstance(file_format, SpreadsheetCSV | SpreadsheetXLSX):
            return super()._do_file_export(file_format, request, queryset, export_form=export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource = self.choose_export_resource_class(export_form, request)(**self.get_export_resource_kwargs(request))
        selected = self.get_export_resource_fields_from_form(export_form)
        if isinstance(file_format, SpreadsheetCSV):
            response = StreamingHttpResponse(resource.export_csv(queryset, selected), content_type=CSV_CONTENT_TYPE)
        else:
            headers = resource.get_export_headers(selected_fields=selected)
            rows = resource.export_rows(queryset, selected)
            title = self.model._meta.verbose_name_plural
            response = StreamingHttpResponse(xlsx_chunks(headers, rows, title=title), content_type=XLSX_CONTENT_TYPE)
        name = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
