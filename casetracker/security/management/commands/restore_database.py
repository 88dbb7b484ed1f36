"""`manage.py restore_database <file>`: put a backup of the embedded SQLite database back.

The current database is backed up first (its path is printed), so a restore can itself be undone.
Run `manage.py reapply_purges --user <you>` afterwards: a backup may predate a purge.
The restore writes around every signal; the backup carries the precomputed figures of its own
rows, so they are checked and rebuilt only if they do not match (casetracker.public.tallies).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casetracker.public import tallies
from casetracker.public.models import Tally
from casetracker.security.backups import backup_sqlite, is_sqlite, restore_sqlite
from casetracker.security.signals import forget_public_caches


class Command(BaseCommand):
    help = "Restore the embedded SQLite database from a backup made by backup_database."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument(
            "--no-safety-copy",
            action="store_true",
            help="Do not back up the current database first.",
        )

    def handle(self, *args, backup: Path, no_safety_copy: bool, **options):
        if not is_sqlite():
            raise CommandError(
                "This database is PostgreSQL: restore it with pg_restore (see the README, Backups)."
            )
        if not backup.is_file():
            raise CommandError(f"No backup file at {backup}.")
        if not no_safety_copy:
            safety = backup_sqlite(settings.BASE_DIR / "backups" / "before-restore")
            self.stdout.write(f"The database as it was: {safety}")
        restore_sqlite(backup)
        if Tally._meta.db_table not in connection.introspection.table_names():
            self.stdout.write(
                "This backup predates the precomputed figures: run manage.py migrate."
            )
        elif any(tallies.check().values()):
            tallies.rebuild()
            self.stdout.write("The public figures did not match the restored rows: rebuilt.")
        forget_public_caches()  # pages and counts kept from the database as it was
        self.stdout.write(f"Restored {backup}. Now run: manage.py reapply_purges --user <you>")
