"""Remove import previews older than a day that were never confirmed or cancelled (the next upload does it too)."""

from django.core.management.base import BaseCommand

from blocs.models import ImportFile


class Command(BaseCommand):
    help = "Remove import previews older than a day that were never confirmed or cancelled."

    def handle(self, *args, **options):
        removed, _ = ImportFile.objects.expired().delete()
        self.stdout.write(f"Removed {removed} expired preview{'' if removed == 1 else 's'}.")
