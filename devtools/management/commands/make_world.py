"""Fill an empty database with a synthetic world, reproducible from a seed, for benchmarks and load tests."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from devtools import synthetic
from devtools.background import make_world, not_empty_text
from jobs.models import Job
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
        parser.add_argument(
            "--background",
            action="store_true",
            help="Queue the world as a background job for a worker (manage.py db_worker) and return at once; "
            "its progress and outcome are on the admin's Jobs list.",
        )
        parser.add_argument("--owner", help="With --background: the username the job belongs to (default: none).")

    def handle(self, scale, seed, flush, background=False, owner=None, **options):
        size = synthetic.SCALES[scale]
        if background:
            return self.queue(scale, seed, flush, owner)
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
            raise CommandError(not_empty_text()) from None
        rows = sum(counts.values())
        self.stdout.write(f"Loaded {rows:,} rows in {time.monotonic() - began:.1f} s.")

    def queue(self, scale, seed, flush, owner):
        who = None
        if owner:
            who = get_user_model().objects.filter(username=owner).first()
            if who is None:
                raise CommandError(f'No user "{owner}": no job was queued.')
        params = {"scale": scale, "seed": seed, "flush": flush}
        title = f"Synthetic world '{scale}', seed {seed}" + (", after deleting every curated record" if flush else "")
        with transaction.atomic():
            job = Job.start(make_world, title, who, params)
        self.stdout.write(
            f"Queued as job {job.pk}: a worker (manage.py db_worker) loads the world, all or nothing. "
            f"Follow it on the admin's Jobs list, /admin/jobs/job/{job.pk}/."
        )
