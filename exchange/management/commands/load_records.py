"""Load a dataset in the exchange format (the seed data, or another installation's dump)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from exchange.records import LoadError, load, read_file


class Command(BaseCommand):
    help = "Load records from an exchange-format JSON file; upserts by natural key, all or nothing."

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

    def handle(self, path, user=None, reason=None, **options):
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f'No user "{user}": nothing was loaded.')
        try:
            counts = load(read_file(path), reason=reason or f"loaded from {path}", user=who)
        except LoadError as e:
            raise CommandError(f"Nothing was stored; {len(e.problems)} problem(s):\n" + "\n".join(e.problems)) from None
        except (OperationalError, InterfaceError) as e:
            # The transaction dies with the connection: PostgreSQL has rolled all of it back.
            raise CommandError(f"Nothing was stored: the connection to the database was lost ({e}).") from None
        for kind, outcome in counts.items():
            self.stdout.write(
                f"{kind}: {outcome['created']} created, {outcome['changed']} changed, {outcome['unchanged']} unchanged"
            )
