"""Write every record in the exchange format, to move a dataset to another installation."""

import json
import sys

from django.core.management.base import BaseCommand

from exchange.dumping import dump


class Command(BaseCommand):
    help = "Dump all records as exchange-format JSON (to a file, or standard output)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Where to write; standard output when omitted.")

    def handle(self, path=None, **options):
        data = dump()
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
                f.write("\n")
            counts = ", ".join(f"{len(v)} {k}" for k, v in data.items() if isinstance(v, list))
            self.stderr.write(f"Wrote {counts} to {path}")
        else:
            json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
