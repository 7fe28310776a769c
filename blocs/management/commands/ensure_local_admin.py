"""Create the local superuser admin/admin on a developer's machine (never in production)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the superuser 'admin' with password 'admin' if no superuser exists (local use only)."

    def handle(self, **options):
        if not settings.LOCAL:
            raise CommandError("Refusing: this creates a well-known password and is for local use only.")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; nothing to do.")
            return
        User.objects.create_superuser("admin", "admin@localhost", "admin")
        self.stdout.write("Created the local superuser: log in at /admin/ as admin / admin.")
