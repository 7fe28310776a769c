"""Fill an empty database with a synthetic world, reproducible from a seed, for benchmarks and load tests."""

import time

from django.core.management.base import BaseCommand, CommandError

from devtools import synthetic
from jobs.progress import CommandProgress


class Command(BaseCommand):
    help = (
        "Generate and load a synthetic world (invented countries, blocs, spells, events, sources). "
        "The same --scale and --seed always give the same records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(synthetic.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same world.")
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete every curated record and its history first (users and groups are kept).",
        )

    def handle(self, scale, seed, flush, **options):
        size = synthetic.SCALES[scale]
        if flush and synthetic.curated_record_count():
            self.stdout.write(f"Deleting {synthetic.what_flush_deletes()}.")
            synthetic.flush()
        began = time.monotonic()
        self.stdout.write(
            f"Synthetic world '{scale}', seed {seed}: {size.countries:,} countries, {size.blocs:,} blocs, "
            f"{size.memberships:,} spells, {size.events:,} events, {size.sources:,} sources."
        )
        try:
            progress = CommandProgress()
            try:
                counts = synthetic.load(
                    size, seed, report=lambda message: self.stdout.write(f"  {message}"), progress=progress
                )
            finally:
                progress.stop()
        except synthetic.NotEmpty:
            raise CommandError(
                "The database already holds curated records; a synthetic world is loaded only into an empty one. "
                f"--flush would delete {synthetic.what_flush_deletes()}. "
                "Use --flush to delete them first, or point DATABASE_URL at another database."
            ) from None
        rows = sum(counts.values())
        self.stdout.write(f"Loaded {rows:,} rows in {time.monotonic() - began:.1f} s.")
