"""Measure exports and imports against PostgreSQL's own COPY, in one run, on generated data that is rolled back."""

import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from blocs.datasets import DATASETS
from blocs.models import Bloc, Country, Membership
from blocs.resources import MembershipResource, SpreadsheetCSV
from blocs.spreadsheets import copy_csv, csv_lines, stream_rows, xlsx_chunks


class Rollback(Exception):
    pass


def timed(fn):
    started = time.perf_counter()
    count = fn()
    return time.perf_counter() - started, count


def drain(chunks):
    size = 0
    for chunk in chunks:
        size += len(chunk)
    return size


def raw_copy(sql, params):
    """COPY (sql) TO STDOUT, read and thrown away: the floor every export is compared with."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy,
    ):
        return sum(len(chunk) for chunk in copy)


class Command(BaseCommand):
    help = "Time the /data/ and admin exports and the admin import against COPY; nothing is kept."

    def add_arguments(self, parser):
        parser.add_argument("--countries", type=int, default=400, help="Generated countries (at most 676).")
        parser.add_argument("--blocs", type=int, default=50, help="Generated blocs; spells = countries × blocs.")
        parser.add_argument("--memory", action="store_true", help="Also measure peak Python memory of each export.")

    def handle(self, countries, blocs, memory, **options):
        try:
            with transaction.atomic():
                self.generate(countries, blocs)
                self.exports(memory)
                self.imports()
                raise Rollback
        except Rollback:
            pass

    def report(self, label, rows, seconds, floor=None):
        ratio = f"  {floor / seconds:5.2f} × COPY speed" if floor else ""
        self.stdout.write(f"{label:<48} {rows:>8} rows {seconds:7.3f} s {rows / seconds:>10,.0f} rows/s{ratio}")

    def generate(self, countries, blocs):
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        codes = [a + b for a in letters for b in letters][:countries]
        made = Country.objects.bulk_create(
            [Country(alpha3=f"Q{c}", alpha2=c, name=f"Generated {c}", notes=f"=cell {c}") for c in codes]
        )
        made_blocs = Bloc.objects.bulk_create(
            [
                Bloc(slug=f"gen-{i}", name=f"Generated bloc {i}", kind="other", founded="1990-01-01")
                for i in range(blocs)
            ]
        )
        spells = []
        for i, country in enumerate(made):
            for j, bloc in enumerate(made_blocs):
                year = 1990 + (i + j) % 30
                spells.append(
                    Membership(
                        country=country,
                        bloc=bloc,
                        start=f"{year}-01-01",
                        start_precision="year",
                        end=f"{year + 5}-06-01" if (i + j) % 3 else None,
                        end_precision="month",
                        end_reason="withdrawal" if (i + j) % 3 else "",
                        notes="-note" if j % 2 else "",
                    )
                )
        Membership.objects.bulk_create(spells, batch_size=5000)
        self.stdout.write(f"Generated {len(made)} countries, {len(made_blocs)} blocs, {len(spells)} spells.\n")

    def exports(self, memory):
        self.stdout.write("Exports (each compared with COPY of the same query, without neutralising):")
        scope = {"first": 1990, "last": 2025, "day": "2000-06-01"}
        for slug in ("memberships", "country-year"):
            spec = DATASETS[slug]
            plain = spec.sql(neutralise=False)
            rows = self.count(plain, scope)
            floor, _ = timed(lambda plain=plain: raw_copy(plain, scope))
            self.report(f"{slug}: COPY TO STDOUT", rows, floor)
            seconds, _ = timed(lambda spec=spec: drain(copy_csv(spec.sql(neutralise=True), scope)))
            self.report(f"{slug}: /data/ CSV (COPY, neutralised)", rows, seconds, floor)
            headers = [c.name for c in spec.columns]

            def xlsx(spec=spec, plain=plain, headers=headers):
                return drain(xlsx_chunks(headers, stream_rows(plain, scope), date_columns=spec.date_columns))

            seconds, _ = timed(xlsx)
            self.report(f"{slug}: /data/ XLSX (server-side cursor)", rows, seconds, floor)
            if memory:
                self.peak(f"{slug}: /data/ CSV", lambda spec=spec: drain(copy_csv(spec.sql(neutralise=True), scope)))
                self.peak(f"{slug}: /data/ XLSX", xlsx)
        resource = MembershipResource()
        headers = resource.get_export_headers()
        rows = Membership.objects.count()
        spec = DATASETS["memberships"]
        floor, _ = timed(lambda: raw_copy(spec.sql(neutralise=False), scope))

        def admin_csv():
            return drain(csv_lines(headers, resource.export_rows(Membership.objects.all())))

        def admin_xlsx():
            return drain(xlsx_chunks(headers, resource.export_rows(Membership.objects.all())))

        seconds, _ = timed(admin_csv)
        self.report("memberships: admin CSV export", rows, seconds, floor)
        seconds, _ = timed(admin_xlsx)
        self.report("memberships: admin XLSX export", rows, seconds, floor)
        if memory:
            self.peak("memberships: admin CSV", admin_csv)

    def peak(self, label, fn):
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.stdout.write(f"{label:<48} peak Python memory {peak / 2**20:7.1f} MiB")

    def count(self, sql, params):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) q", params)
            return cursor.fetchone()[0]

    def imports(self):
        self.stdout.write("Imports of every spell (compared with COPY FROM of the same rows):")
        resource = MembershipResource()
        headers = resource.get_export_headers()
        text = "".join(csv_lines(headers, resource.export_rows(Membership.objects.all())))
        columns = [
            "country_id",
            "bloc_id",
            "role",
            "start",
            "start_precision",
            "suspension_start",
            "suspension_start_precision",
            "suspension_end",
            "suspension_end_precision",
            "suspension_kind",
            '"end"',
            "end_precision",
            "end_reason",
            "notes",
            "created_at",
            "updated_at",
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM blocs_membership")
            raw = cursor.fetchall()
        rows = len(raw)
        Membership.objects.all().delete()

        def copy_from():
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY blocs_membership ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in raw:
                    copy.write_row(row)
            return rows

        with transaction.atomic():
            floor, _ = timed(copy_from)
            transaction.set_rollback(True)
        self.report("COPY FROM STDIN (no validation, no history)", rows, floor)
        dataset = SpreadsheetCSV().create_dataset(text.encode())

        def preview():
            return MembershipResource().import_data(dataset, dry_run=True)

        def import_all():
            return MembershipResource().import_data(dataset, dry_run=False, file_name="benchmark.csv")

        seconds, result = timed(preview)
        assert not result.has_errors() and not result.has_validation_errors(), result.problems[:5]
        self.report("admin import preview (dry run, all checks)", rows, seconds, floor)
        seconds, result = timed(import_all)
        assert result.totals["new"] == rows, result.totals
        self.report("admin import (validation, history)", rows, seconds, floor)
        history = Membership.history.filter(history_change_reason="imported from benchmark.csv").count()
        self.stdout.write(f"  history rows written by the import: {history}")
        seconds, result = timed(import_all)
        self.report("same file again (all unchanged)", rows, seconds, floor)
