"""Remove jobs asked for more than a day ago, with the files they made (the next export or import does it too)."""

from django.core.management.base import BaseCommand

from jobs.models import Job


class Command(BaseCommand):
    help = "Remove jobs asked for more than a day ago, with the files they made and were never downloaded."

    def handle(self, *args, **options):
        removed = Job.objects.expired().delete()[1].get(Job._meta.label, 0)
        self.stdout.write(f"Removed {removed} expired job{'' if removed == 1 else 's'}.")
