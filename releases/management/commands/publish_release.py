"""`manage.py publish_release 2026.12 --notes "..."`: freeze every /data/ dataset as a numbered release."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jobs.progress import CommandProgress
from releases.publishing import PublishError, publish


class Command(BaseCommand):
    help = "Publish a release: every /data/ dataset as CSV and XLSX, its data package, checksums and changelog."

    def add_arguments(self, parser):
        parser.add_argument("version", help="YYYY.MM, or YYYY.MM.N for a correction in the same month.")
        parser.add_argument("--notes", default="", help="The release notes readers see on its page.")
        parser.add_argument("--notes-file", help="Read the release notes from this file instead.")
        parser.add_argument("--user", help="The username recorded as the release's publisher.")

    def handle(self, *args, version, notes, notes_file, user, verbosity, **options):
        if notes_file:
            try:
                with open(notes_file, encoding="utf-8") as f:
                    notes = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise CommandError(f"Cannot read the notes from {notes_file}: {e}")
        publisher = None
        if user:
            publisher = get_user_model().objects.filter(username=user).first()
            if publisher is None:
                raise CommandError(f'No user "{user}": give the username of an existing account, or leave --user out.')
        progress = CommandProgress(self.stderr) if verbosity > 0 else None
        try:
            release = publish(version, notes, publisher, progress)
        except PublishError as e:
            raise CommandError(f"Nothing was published: {e}")
        finally:
            if progress is not None:
                progress.stop()
        size = sum(f.size for f in release.files.all())
        self.stdout.write(
            f"Published release {release.version}: {release.files.count()} files, {size:,} bytes, "
            f"{release.total_changes} change(s) against {release.previous or 'no previous release'}."
        )
