"""`manage.py backup_database [--dir backups]`: a consistent copy of the embedded SQLite database.

See casetracker.security.backups; `make backup` runs it.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casetracker.security.backups import backup_sqlite, is_sqlite


class Command(BaseCommand):
    help = "Back up the embedded SQLite database into backups/<timestamp>.sqlite3."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", dest="directory", type=Path, default=settings.BASE_DIR / "backups"
        )

    def handle(self, *args, directory: Path, **options):
        if not is_sqlite():
            raise CommandError(
                "This database is PostgreSQL: back it up with pg_dump (see the README, Backups)."
            )
        path = backup_sqlite(directory)
        self.stdout.write(str(path))
