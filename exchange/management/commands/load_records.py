"""Load a dataset in the exchange format (the seed data, or another installation's dump)."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, transaction

from exchange.background import change_lines, count_lines, load_records, nothing_stored
from exchange.records import LoadError, load, read_file
from exchange.reloading import KEEP, REFUSE, UPDATE
from jobs.models import Job
from jobs.progress import CommandProgress


class Command(BaseCommand):
    help = (
        "Load records from an exchange-format JSON file, all or nothing. Records the database lacks are added; "
        "existing records are changed only with --update, which shows each change first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The JSON file, e.g. fixtures/seed.json")
        parser.add_argument(
            "--user",
            help="Username to record in the change history as the one who loaded the file "
            "(with --background, the owner of the job too).",
        )
        parser.add_argument(
            "--reason",
            help='Reason to record in the change history (default: "loaded from PATH").',
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--update",
            action="store_true",
            help="Change existing records to the file's values, listing every change field by field. "
            "A field changed since the record was last loaded from a file is a conflict and stops the load.",
        )
        existing.add_argument(
            "--add-only",
            action="store_true",
            help="Add the records the database lacks and leave every existing record as it is.",
        )
        parser.add_argument(
            "--accept-file-values",
            action="store_true",
            help="With --update: replace even the fields changed since their last load with the file's values.",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Queue the load as a background job for a worker (manage.py db_worker) and return at once; "
            "its progress and outcome are on the admin's Jobs list.",
        )

    def handle(
        self,
        path,
        user=None,
        reason=None,
        update=False,
        add_only=False,
        accept_file_values=False,
        background=False,
        **options,
    ):
        if accept_file_values and not update:
            raise CommandError("--accept-file-values only goes with --update: nothing was loaded.")
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f'No user "{user}": nothing was loaded.')
        existing = UPDATE if update else KEEP if add_only else REFUSE
        if background:
            try:
                return self.queue(path, who, reason, existing, accept_file_values)
            except LoadError as e:
                raise CommandError(nothing_stored(e)) from None
        progress = CommandProgress()
        try:
            counts = load(
                read_file(path),
                reason=reason or f"loaded from {path}",
                user=who,
                loaded_from=str(path),
                existing=existing,
                accept_file_values=accept_file_values,
                show=self.show,
                progress=progress,
            )
        except LoadError as e:
            raise CommandError(nothing_stored(e)) from None
        except (OperationalError, InterfaceError) as e:
            progress.stop()
            # The transaction dies with the connection: PostgreSQL has rolled all of it back.
            raise CommandError(f"Nothing was stored: the connection to the database was lost ({e}).") from None
        finally:
            progress.stop()
        for line in count_lines(counts):
            self.stdout.write(line)

    def show(self, changes):
        """The changes to existing records, printed before they are committed."""
        for line in change_lines(changes):
            self.stdout.write(line)

    def queue(self, path, who, reason, existing, accept_file_values):
        """The file, kept in the database with a job that a worker runs: the worker needs no access to it."""
        read_file(path)  # a missing or unreadable file is refused now, not by the worker
        with open(path, "rb") as f:
            data = f.read()
        params = {
            "reason": reason or f"loaded from {path}",
            "loaded_from": str(path),
            "existing": existing,
            "accept_file_values": accept_file_values,
        }
        name = os.path.basename(str(path))
        with transaction.atomic():
            job = Job.start(load_records, f"Load of {name}", who, params, file_name=name, file_data=data)
        self.stdout.write(
            f"Queued as job {job.pk}: a worker (manage.py db_worker) loads the file, all or nothing. "
            f"Follow it on the admin's Jobs list, /admin/jobs/job/{job.pk}/."
        )
