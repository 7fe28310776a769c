"""Start-up's seeding step: the seed data into an empty database, and never a change to an existing record."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event

SEED = "fixtures/seed.json"
# Any number will do, as long as nothing else takes this advisory lock.
LOCK = 5_170_017


class Command(BaseCommand):
    help = (
        "Load fixtures/seed.json into an empty database. On a database that holds records, change nothing "
        "and say so: run on every start (make run, the container's command), it never touches curators' work."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help=f"The dataset to seed with (default: {SEED}).")

    def handle(self, path=None, **options):
        if path is None:
            # Named as the README names it when run from the project's folder, as make and the image do.
            path = SEED if Path(SEED).exists() else str(settings.BASE_DIR / SEED)
        with transaction.atomic():
            # Two containers starting at once: the second waits, then finds the records of the first.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
            held = {
                model._meta.verbose_name_plural: model.objects.count()
                for model in (Source, Country, Bloc, Membership, Event)
            }
            if any(held.values()):
                listed = ", ".join(f"{count:,} {name}" for name, count in held.items() if count)
                self.stdout.write(
                    f"The database already holds records ({listed}): the seed was not loaded and no record "
                    f"was changed. To add records a newer seed brings: manage.py load_records {path} --add-only"
                )
                return
            call_command("load_records", path, stdout=self.stdout, stderr=self.stderr)
