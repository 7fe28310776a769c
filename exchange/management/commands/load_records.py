"""Load a dataset in the exchange format (the seed data, or another installation's dump)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from exchange.records import Conflicts, ExistingRecordsDiffer, LoadError, load, read_file
from exchange.reloading import KEEP, REFUSE, UPDATE
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
            help="Username to record in the change history as the one who loaded the file.",
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

    def handle(self, path, user=None, reason=None, update=False, add_only=False, accept_file_values=False, **options):
        if accept_file_values and not update:
            raise CommandError("--accept-file-values only goes with --update: nothing was loaded.")
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f'No user "{user}": nothing was loaded.')
        progress = CommandProgress()
        try:
            counts = load(
                read_file(path),
                reason=reason or f"loaded from {path}",
                user=who,
                loaded_from=str(path),
                existing=UPDATE if update else KEEP if add_only else REFUSE,
                accept_file_values=accept_file_values,
                show=self.show,
                progress=progress,
            )
        except Conflicts as e:
            fields = sum(len(change.conflicts) for change in e.changes)
            raise CommandError(
                f"Nothing was stored: {fields} field(s) of existing records were changed since they were last "
                "loaded from a file, and the file has other values (CONFLICT below):\n"
                + "\n".join(e.problems)
                + "\nTo keep those changes, bring them into the file or leave the records out of it; "
                "to replace them with the file's values, run again with --update --accept-file-values."
            ) from None
        except ExistingRecordsDiffer as e:
            raise CommandError(
                f"Nothing was stored: the file would change {len(e.changes)} existing record(s):\n"
                + "\n".join(e.problems)
                + "\nTo apply these changes, run again with --update; to add only the records the database "
                "lacks and leave these as they are, with --add-only."
            ) from None
        except LoadError as e:
            raise CommandError(f"Nothing was stored; {len(e.problems)} problem(s):\n" + "\n".join(e.problems)) from None
        except (OperationalError, InterfaceError) as e:
            progress.stop()
            # The transaction dies with the connection: PostgreSQL has rolled all of it back.
            raise CommandError(f"Nothing was stored: the connection to the database was lost ({e}).") from None
        finally:
            progress.stop()
        for kind, outcome in counts.items():
            kept = f", {outcome['kept']} left as they are" if outcome["kept"] else ""
            self.stdout.write(
                f"{kind}: {outcome['created']} created, {outcome['changed']} changed, "
                f"{outcome['unchanged']} unchanged{kept}"
            )

    def show(self, changes):
        """The changes to existing records, printed before they are committed."""
        replaced = sum(len(change.conflicts) for change in changes)
        note = f", {replaced} of them replacing values changed since their last load" if replaced else ""
        self.stdout.write(f"Changing {len(changes)} existing record(s){note}:")
        for change in changes:
            for line in change.lines(accepted=True):
                self.stdout.write(line)
