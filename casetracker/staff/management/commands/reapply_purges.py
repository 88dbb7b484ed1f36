"""`manage.py reapply_purges --user NAME`: run after every restore from backup."""

from pathlib import Path

from django.core.management.base import BaseCommand

from casetracker.staff.history import acting_as, add_user_argument, command_user
from casetracker.staff.purge import reapply_purges


class Command(BaseCommand):
    help = (
        "Purge again every public id in the purge table and the purge ledger (PURGE_LEDGER or "
        "--ledger): a restored backup may predate a purge. Run after every restore."
    )

    def add_arguments(self, parser):
        add_user_argument(parser)
        parser.add_argument(
            "--ledger", type=Path, help="A purge ledger file (default: PURGE_LEDGER)."
        )

    def handle(self, *args, user, ledger, **options):
        with acting_as(command_user(user)):
            ids, rows = reapply_purges(ledger=ledger)
        self.stdout.write(f"{ids} purged public ids; {rows} rows erased.")
