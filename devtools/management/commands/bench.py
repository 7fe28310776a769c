"""Run the benchmarks (`make bench`): the project's figures beside baselines measured in the same run."""

import argparse
import gc
import json

from django.core.management.base import BaseCommand, CommandError

from devtools import bench


class Command(BaseCommand):
    help = (
        "Measure public pages, admin lists and the site under load against baselines measured in the same "
        "run, on the data in the database (load one with `manage.py make_world`). See docs/performance.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            default=",".join(bench.Bench.SECTIONS),
            help=f"Comma-separated sections to run, of: {', '.join(bench.Bench.SECTIONS)}.",
        )
        parser.add_argument("--quick", action="store_true", help="Few repetitions and requests: checks that it runs.")
        # A measurement run alone in a fresh process, so that its peak memory is its own.
        parser.add_argument("--child", help=argparse.SUPPRESS)
        parser.add_argument("--rows", type=int, default=100_000, help=argparse.SUPPRESS)

    def handle(self, only, quick, child, rows, **options):
        if child:
            self.stdout.write(json.dumps(bench.measure_child(child, rows)))
            return
        # The sections measured in this process run as a server's worker does (eurasia/wsgi.py).
        gc.freeze()
        sections = [s.strip() for s in only.split(",") if s.strip()]
        unknown = set(sections) - set(bench.Bench.SECTIONS)
        if unknown:
            raise CommandError(
                f"Unknown section(s): {', '.join(sorted(unknown))}; choose from {', '.join(bench.Bench.SECTIONS)}."
            )
        size = bench.data_size()
        if not size["events"] or not size["memberships"]:
            raise CommandError(
                "There is nothing to measure: load a synthetic world first, e.g. `manage.py make_world --scale small`."
            )
        about = bench.machine()
        self.stdout.write(
            f"Machine: {about['cpus']} CPUs, {about['memory']} memory, {about['system']}, "
            f"Python {about['python']}, PostgreSQL {about['postgresql']}"
        )
        self.stdout.write("Data: " + ", ".join(f"{n:,} {name}" for name, n in size.items()))
        runner = bench.Bench(bench.QUICK if quick else bench.Options(), self.stdout.write)
        try:
            runner.run(sections)
        except bench.BenchError as error:
            raise CommandError(f"The benchmark stopped: {error}") from None
        missed = [r for r in runner.results if r.verdict.startswith("MISSED")]
        self.stdout.write(f"\n{len(runner.results)} measurements, {len(missed)} targets missed.")
