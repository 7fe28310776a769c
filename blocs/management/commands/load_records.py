"""Load a dataset in the exchange format (the seed data, or another installation's dump)."""

from django.core.management.base import BaseCommand, CommandError

from blocs.exchange import LoadError, load, read_file


class Command(BaseCommand):
    help = "Load records from an exchange-format JSON file; upserts by natural key, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The JSON file, e.g. fixtures/seed.json")

    def handle(self, path, **options):
        try:
            counts = load(read_file(path), reason=f"loaded from {path}")
        except LoadError as e:
            raise CommandError(f"Nothing was stored; {len(e.problems)} problem(s):\n" + "\n".join(e.problems)) from None
        for kind, outcome in counts.items():
            self.stdout.write(
                f"{kind}: {outcome['created']} created, {outcome['changed']} changed, {outcome['unchanged']} unchanged"
            )
