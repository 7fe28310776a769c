"""Spreadsheet imports in bulk: the file read once, every row checked, then written with COPY and its history.

django-import-export's own loop builds, copies and diffs a record per row and manages a few hundred
rows a second. Here a resource's columns clean the cells as they do there, the stored records the
file names are loaded once by natural key and compared as values, only new and changed rows are
built into records and validated (the model's full_clean, as on any form), the rules that span rows
(no overlapping spells, unique values) run once for the whole file, and the writes go through COPY:
records, their links, their history rows and their links' history, in one transaction (a file of
new records only is written while its rows are checked: see Stream). Cells that repeat (dates,
codes, keys) are cleaned once per file. The admin's preview runs the same steps and rolls them
back, so it reports whatever the confirmation would meet, the database's own constraints
included; only history is left out of the preview.
"""

from collections import defaultdict
from contextlib import nullcontext

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from import_export.results import Error, Result, RowResult

from eurasia.constraints import check_deferred, constraint_message
from eurasia.partial_dates import Precision
from jobs.progress import Silent

from .columns import ChoiceWidget, KeyWidget, PartialDateColumn
from .copying import LogEntries, Stream, any_of, array_literal, copy_rows, memoised, reserve

PREVIEW_ROWS = 500  # rows shown with their changes on the preview page; all are counted


class Refused(Exception):
    """The database refused a write that every check had let through; `rows` are the rows it names."""

    def __init__(self, rows):
        self.rows = rows


class ParsedRow:
    """One row of the file: its cleaned values by model attribute name, its links and what it will do."""

    __slots__ = ("number", "key", "values", "objects", "links", "errors", "kind", "instance", "stored")

    def __init__(self, number):
        self.number = number  # data rows count from 1; the spreadsheet shows the header as row 1
        self.key = None
        self.values = {}
        self.objects = {}
        self.links = {}
        self.errors = {}
        self.kind = None
        self.instance = None
        self.stored = None


class BulkImport:
    """One import of one file through one resource; `run()` gives django-import-export's Result."""

    # Whether a file of new records may be written while it is checked (see Stream); the benchmark
    # turns it off to measure what the stream earns.
    write_while_checking = True

    def __init__(self, resource, dataset, dry_run, user=None, reason="", progress=None):
        self.resource = resource
        self.model = resource._meta.model
        self.dataset = dataset
        self.dry_run = dry_run
        self.user = user
        self.reason = reason
        self.now = timezone.now()
        self.fields = [resource.columns()[h] for h in dataset.headers]
        self.concrete = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        self.m2m = {f.attribute: self.model._meta.get_field(f.attribute) for f in self.fields if f.is_m2m}
        self.tracked = [f.name for f in self.model.history.model._history_m2m_fields]
        self.streamed = False  # whether the new records went in while they were checked
        self.log_entries = []  # LogEntries: (action flag, pk, repr) of every record stored, for the admin's log
        # A background job's progress: each row counts half when read and half when checked.
        self.progress = progress or Silent()

    def run(self):
        result = Result()
        result.total_rows = len(self.dataset)
        result.diff_headers = self.resource.get_diff_headers()
        self.resource.load_keys()
        self.progress.stage(gettext("Checking rows"), len(self.dataset))
        with transaction.atomic():
            rows = self.read()
            self.load_stored(rows)
            todo = self.check(rows)
            if not any(r.errors for r in rows):
                self.add_problems(self.resource.batch_problems([r.instance for r in todo]), rows)
            if not any(r.errors for r in rows):
                try:
                    self.write(todo)
                    check_deferred()
                except Refused as refused:
                    for row, error in refused.rows:
                        row.errors.setdefault(NON_FIELD_ERRORS, []).append(constraint_message(error))
                except (IntegrityError, DataError) as error:
                    result.append_base_error(Error(error))
            if self.dry_run or result.base_errors or any(r.errors for r in rows):
                transaction.set_rollback(True)
                self.log_entries = []
        self.fill(result, rows)
        return result

    # Reading: every cell cleaned by its column's widget, as django-import-export would

    def cleaners(self):
        """One function per column of the file that cleans its cell into a ParsedRow."""

        headers = self.dataset.headers
        at = {name: i for i, name in enumerate(headers)}
        found = []
        for field in self.fields:
            if field.readonly:
                continue
            pos, widget, attribute = at[field.column_name], field.widget, field.attribute
            if field.is_m2m:
                # Kept as a tuple: each row gets its own list.
                pks = memoised(lambda cell, widget=widget: tuple(widget.clean_pks(cell)))

                def clean(cells, row, pks=pks, pos=pos, attribute=attribute):
                    row.links[attribute] = list(pks(cells[pos]))

            elif isinstance(field, PartialDateColumn):
                stated = at.get(field.precision_column)
                precision = f"{attribute}_precision"
                # The date's cell and the precision column's cell together: pairs repeat as dates do.
                parse = memoised(lambda cells, field=field: field.agree(field.widget.clean(cells[0]), cells[1]))

                def clean(cells, row, parse=parse, pos=pos, attribute=attribute, stated=stated, precision=precision):
                    value = parse((cells[pos], None if stated is None else cells[stated]))
                    row.values[attribute] = value.date if value else None
                    row.values[precision] = value.precision if value else Precision.DAY

            elif isinstance(widget, KeyWidget):
                attname = self.attname(attribute)
                find = memoised(widget.clean)

                def clean(cells, row, find=find, pos=pos, attribute=attribute, attname=attname):
                    obj = find(cells[pos])
                    row.objects[attribute] = obj
                    row.values[attname] = obj.pk if obj is not None else None

            elif isinstance(widget, ChoiceWidget):
                code = memoised(widget.clean)

                def clean(cells, row, code=code, pos=pos, attribute=attribute):
                    row.values[attribute] = code(cells[pos])

            else:

                def clean(cells, row, pos=pos, widget=widget, attribute=attribute):
                    row.values[attribute] = widget.clean(cells[pos])

            found.append((attribute, clean))
        return found

    def read(self):
        resource = self.resource
        key_names = [resource.fields[name].attribute for name in resource.key_fields]
        key_attnames = [self.attname(a) for a in key_names]
        cleaners = self.cleaners()
        seen, rows = {}, []
        advance = self.progress.advance
        for number, cells in enumerate(self.dataset, 1):
            if number % 2 == 0:
                advance()
            row = ParsedRow(number)
            rows.append(row)
            for attribute, clean in cleaners:
                try:
                    clean(cells, row)
                except ValueError as e:
                    row.errors[attribute] = [str(e)]
            key = tuple(row.values.get(a) for a in key_attnames)
            if row.errors or None in key or "" in key:
                for attribute, part in zip(key_names, key, strict=True):
                    if attribute not in row.errors and part in (None, ""):
                        row.errors[attribute] = [
                            gettext("This column names the %(what)s and cannot be empty.") % {"what": resource.what}
                        ]
                if any(a in row.errors for a in key_names):
                    continue
            row.key = key
            if key in seen:
                row.errors[key_names[0]] = [
                    gettext("Row %(row)s already has this %(what)s: each may appear once.")
                    % {"row": seen[key] + 1, "what": resource.what}
                ]
            else:
                seen[key] = number
        return rows

    def attname(self, attribute):
        return self.model._meta.get_field(attribute).attname

    # The stored records the file names, and their links, in a query per table

    def load_stored(self, rows):
        """The stored values of the file's columns, for the records whose keys the file names."""
        keys = [self.model._meta.get_field(self.resource.fields[n].attribute) for n in self.resource.key_fields]
        compared = {attname for row in rows for attname in row.values}
        fields = [self.model._meta.pk, *keys, *[f for f in self.concrete if f.attname in compared and f not in keys]]
        self.stored_columns = {f.attname: i for i, f in enumerate(fields)}
        self.stored = {}
        wanted = [r.key for r in rows if r.key is not None]
        if wanted:
            quote = connection.ops.quote_name
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in keys)
            names = ", ".join(f"k{i}" for i in range(len(keys)))
            match = " AND ".join(f"t.{quote(f.column)} = k.k{i}" for i, f in enumerate(keys))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(f't.{quote(f.column)}' for f in fields)} "
                    f"FROM {quote(self.model._meta.db_table)} t JOIN unnest({arrays}) AS k({names}) ON {match}",
                    [array_literal(part) for part in zip(*wanted, strict=True)],
                )
                for record in cursor.fetchall():
                    self.stored[record[1 : 1 + len(keys)]] = record
        pks = [record[0] for record in self.stored.values()]
        self.stored_links = {name: self.load_links(name, pks) for name in {*self.m2m, *self.tracked}}
        # Without a date, a precision means nothing, wherever it is stored.
        self.comparisons = [
            (attname, i, attname.removesuffix("_precision") if attname.endswith("_precision") else None)
            for attname, i in self.stored_columns.items()
            if attname in compared
        ]

    def load_records(self, rows):
        """Every column of the stored records that the file changes, to build them whole."""
        quote = connection.ops.quote_name
        meta = self.model._meta
        records = {}
        if rows:
            at = meta.concrete_fields.index(meta.pk)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(quote(f.column) for f in meta.concrete_fields)} FROM {quote(meta.db_table)} "
                    f"WHERE {any_of(quote(meta.pk.column), meta.pk)}",
                    [array_literal(row.stored[0] for row in rows)],
                )
                records = {record[at]: record for record in cursor.fetchall()}
        return records

    def load_links(self, name, pks):
        """{record pk: {target pk: link pk}} for the many-to-many field `name` of the records `pks`."""
        field = self.model._meta.get_field(name)
        through = field.remote_field.through._meta
        owner = through.get_field(field.m2m_field_name()).column
        target = through.get_field(field.m2m_reverse_field_name()).column
        links = defaultdict(dict)
        if pks:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {owner}, {target}, {through.pk.column} FROM {through.db_table} "
                    f"WHERE {any_of(owner, self.model._meta.pk)}",
                    [array_literal(pks)],
                )
                for owner_pk, target_pk, link_pk in cursor.fetchall():
                    links[owner_pk][target_pk] = link_pk
        return links

    # Checking: new and changed rows become records and pass the model's validation

    def check(self, rows):
        for row in rows:
            if row.errors:
                continue
            row.stored = self.stored.get(row.key)
            if row.stored is None:
                row.kind = RowResult.IMPORT_TYPE_NEW
            elif self.unchanged(row):
                row.kind = RowResult.IMPORT_TYPE_SKIP
            else:
                row.kind = RowResult.IMPORT_TYPE_UPDATE
        todo = [row for row in rows if row.kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE)]
        advance = self.progress.advance
        advance((len(rows) - len(todo)) // 2)  # rows with problems or unchanged are checked already
        records = self.load_records([row for row in todo if row.stored is not None])
        fields = self.model._meta.concrete_fields
        related = [(f, fields.index(f)) for f in fields if f.is_relation]
        valid = []
        # A file of new records only: each is written as soon as it passes, while the next are checked.
        streams = (
            self.write_while_checking
            and todo
            and not any(r.errors for r in rows)
            and all(r.stored is None for r in todo)
        )
        stream = Stream(self, len(todo)) if streams else None
        try:
            with connection.execute_wrapper(stream.make_way) if stream else nullcontext():
                for n, row in enumerate(todo):
                    if n % 2:
                        advance()
                    row.instance = self.build(row, fields, related, records)
                    try:
                        self.resource.validate_instance(row.instance)
                    except ValidationError as e:
                        row.errors = e.update_error_dict(row.errors)
                        if stream:
                            stream.abandon()  # nothing will be written; the rest are only checked
                        continue
                    valid.append(row)
                    if stream:
                        stream.write(row)
        except BaseException:
            if stream:
                stream.abandon()  # the connection must be free for the rollback
            raise
        self.streamed = stream.finish() if stream else False
        return valid

    def unchanged(self, row):
        stored, values = row.stored, row.values
        for attname, i, date in self.comparisons:
            if date is not None and values.get(date) is None:
                continue
            if stored[i] != values[attname]:
                return False
        pk = stored[0]
        return all(set(targets) == set(self.stored_links[name][pk]) for name, targets in row.links.items())

    def build(self, row, fields, related, records):
        """The record as it will be stored: what is stored (or the defaults) with the file's values over it."""
        values = row.values
        if row.stored is None:
            args = [
                values[f.attname] if f.attname in values else (None if f.primary_key else f.get_default())
                for f in fields
            ]
            instance = self.model(*args)
            instance.created_at = self.now
        else:
            stored = records[row.stored[0]]
            args = [values.get(f.attname, stored[i]) if not f.primary_key else stored[i] for i, f in enumerate(fields)]
            instance = self.model(*args)
            instance._state.adding, instance._state.db = False, connection.alias
        instance.updated_at = self.now
        for field, at in related:
            obj = row.objects.get(field.name) or self.resource.known(field.related_model, args[at])
            if obj is not None:
                field.set_cached_value(instance, obj)
        instance._import_row = row.number
        return instance

    def attach(self, instance):
        """Give `instance` the records it points to, from those loaded for this import: no query to name them."""
        for field in self.model._meta.concrete_fields:
            if field.is_relation and not field.is_cached(instance):
                obj = self.resource.known(field.related_model, getattr(instance, field.attname))
                if obj is not None:
                    field.set_cached_value(instance, obj)

    def add_problems(self, problems, rows):
        by_number = {r.number: r for r in rows}
        for instance, errors in problems.items():
            row = by_number[instance._import_row]
            for attribute, texts in errors.items():
                row.errors.setdefault(attribute, []).extend(texts)

    # Writing: COPY for the records, their links and their history, all in this transaction

    def write(self, todo):
        changed = [r for r in todo if r.kind == RowResult.IMPORT_TYPE_UPDATE]
        new = [r for r in todo if r.kind == RowResult.IMPORT_TYPE_NEW]
        if changed:
            self.attempt(changed, self.update)
        if new and not self.streamed:
            # Written here when they could not be written while checked (see Stream), with the ids
            # reserved for them then if they were.
            unnumbered = [r for r in new if r.instance.pk is None]
            table = self.model._meta
            for row, pk in zip(unnumbered, reserve(table.db_table, table.pk.column, len(unnumbered)), strict=True):
                row.instance.pk = pk
            self.attempt(new, self.insert)
        links = self.write_links(todo)
        if not self.dry_run:
            self.write_history(todo, links)
        self.log_entries = LogEntries(todo)

    def attempt(self, rows, write):
        """Write `rows`; if the database refuses, find the rows it refuses by halves, keeping the rest."""
        try:
            with transaction.atomic():
                write(rows)
            return
        except (IntegrityError, DataError) as error:
            if len(rows) == 1:
                raise Refused([(rows[0], error)]) from None
        refused = []

        def halves(part):
            try:
                with transaction.atomic():
                    write(part)
            except (IntegrityError, DataError) as error:
                if len(part) == 1:
                    refused.append((part[0], error))
                    return
                halves(part[: len(part) // 2])
                halves(part[len(part) // 2 :])

        halves(rows[: len(rows) // 2])
        halves(rows[len(rows) // 2 :])
        if not refused:
            # Each half went in alone but not all together: name the first row.
            refused.append((rows[0], IntegrityError(gettext("The database refused these rows together."))))
        raise Refused(refused)

    def record_values(self, instance):
        return [instance.pk, *[getattr(instance, f.attname) for f in self.concrete]]

    def insert(self, rows):
        table = self.model._meta
        columns = [table.pk.column, *[f.column for f in self.concrete]]
        copy_rows(table.db_table, columns, (self.record_values(r.instance) for r in rows))

    def update(self, rows):
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        pk = quote(self.model._meta.pk.column)
        changes = f"import_{self.model._meta.model_name}"
        columns = [self.model._meta.pk.column, *[f.column for f in self.concrete if f.name != "created_at"]]
        values = [[getattr(r.instance, f.attname) for f in self.concrete if f.name != "created_at"] for r in rows]
        with connection.cursor() as cursor:
            # The changed rows' columns, types only: no constraint checks until they reach the table.
            names = ", ".join(quote(c) for c in columns)
            cursor.execute(f"CREATE TEMPORARY TABLE {quote(changes)} AS SELECT {names} FROM {table} WITH NO DATA")
            copy_rows(changes, columns, ([r.instance.pk, *v] for r, v in zip(rows, values, strict=True)))
            assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns[1:])
            cursor.execute(f"UPDATE {table} t SET {assignments} FROM {quote(changes)} s WHERE t.{pk} = s.{pk}")
            cursor.execute(f"DROP TABLE {quote(changes)}")

    def write_links(self, todo):
        """Set each record's links as the file gives them; {field: {record pk: [(link pk, target pk)]}}."""
        final = {}
        for name in {*self.m2m, *self.tracked}:
            field = self.model._meta.get_field(name)
            through = field.remote_field.through._meta
            owner = through.get_field(field.m2m_field_name()).column
            target = through.get_field(field.m2m_reverse_field_name()).column
            stored, final[name], stale, added = self.stored_links[name], {}, [], []
            for row in todo:
                pk = row.instance.pk
                have = stored.get(pk, {}) if row.stored is not None else {}
                if name not in row.links:
                    final[name][pk] = [(link, t) for t, link in have.items()]
                    continue
                wanted = dict.fromkeys(row.links[name])
                stale += [link for t, link in have.items() if t not in wanted]
                kept = [(link, t) for t, link in have.items() if t in wanted]
                added += [(pk, t) for t in wanted if t not in have]
                final[name][pk] = kept
            if stale:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {through.db_table} WHERE {any_of(through.pk.column, through.pk)}",
                        [array_literal(stale)],
                    )
            if added:
                ids = reserve(through.db_table, through.pk.column, len(added))
                copy_rows(
                    through.db_table,
                    [through.pk.column, owner, target],
                    ([link, pk, t] for link, (pk, t) in zip(ids, added, strict=True)),
                )
                for link, (pk, t) in zip(ids, added, strict=True):
                    final[name][pk].append((link, t))
        return final

    def write_history(self, todo, links):
        """One history row per record stored, with its links as they now stand (as simple_history keeps them)."""
        history = self.model.history.model._meta
        user = self.user.pk if self.user is not None else None
        reason = self.reason[: history.get_field("history_change_reason").max_length]
        ids = reserve(history.db_table, history.pk.column, len(todo))
        # history_load stays at its database default: an import is not a dataset file's load.
        special = {
            "history_id",
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user",
            "history_load",
        }
        mirrored = [f for f in history.concrete_fields if f.name not in special]
        columns = [f.column for f in mirrored] + ["history_id", "history_date", "history_change_reason", "history_type"]
        columns.append(history.get_field("history_user").column)

        def records():
            for row, history_id in zip(todo, ids, strict=True):
                instance, kind = row.instance, "+" if row.kind == RowResult.IMPORT_TYPE_NEW else "~"
                yield [getattr(instance, f.attname) for f in mirrored] + [history_id, self.now, reason, kind, user]

        copy_rows(history.db_table, columns, records())
        history_of = {row.instance.pk: history_id for row, history_id in zip(todo, ids, strict=True)}
        for name in self.tracked:
            field = self.model._meta.get_field(name)
            snapshot = getattr(self.model.history.model, name).model._meta
            owner = snapshot.get_field(field.m2m_field_name()).column
            target = snapshot.get_field(field.m2m_reverse_field_name()).column
            copy_rows(
                snapshot.db_table,
                ["id", owner, target, snapshot.get_field("history").column],
                ([link, pk, t, history_of[pk]] for pk, pairs in links[name].items() for link, t in pairs),
            )

    # Reporting: counts, the rows to preview, and every problem by row

    def fill(self, result, rows):
        for row in rows:
            if row.errors:
                result.append_invalid_row(row.number, {}, ValidationError(row.errors))
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            elif row.kind is not None:
                result.totals[row.kind] += 1
        if result.invalid_rows or result.base_errors:
            return
        shown = [r for r in rows if r.kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE)]
        for row in shown[:PREVIEW_ROWS]:
            row_result = RowResult()
            row_result.import_type = row.kind
            row_result.diff = self.diff(row)
            result.append_row_result(row_result)
        result.preview_left_out = max(0, len(shown) - PREVIEW_ROWS)
        result.log_entries = self.log_entries

    def diff(self, row):
        """The row's cells as the preview shows them: a changed cell with its stored value struck out."""
        cells = []
        old_record = old_links = None
        if row.stored is not None:
            fields = self.model._meta.concrete_fields
            old_record = self.model(*[getattr(row.instance, f.attname) for f in fields])
            for attname, i in self.stored_columns.items():
                setattr(old_record, attname, row.stored[i])
            self.attach(old_record)
            old_links = {name: list(links.get(row.stored[0], ())) for name, links in self.stored_links.items()}
        new_links = {name: row.links.get(name, (old_links or {}).get(name, [])) for name in self.m2m}
        for field in self.resource.get_import_fields():
            new = self.resource.display(field, row.instance, new_links)
            old = new if old_record is None else self.resource.display(field, old_record, old_links)
            if old == new:
                cells.append(new)
            else:
                cells.append(format_html("<del>{}</del> <ins>{}</ins>", old, new))
        return cells
