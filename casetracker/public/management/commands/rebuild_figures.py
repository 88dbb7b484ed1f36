"""`manage.py rebuild_figures [--check]`: recompute the precomputed figures from the register.

Every write keeps them right; run this after writing to the database around the app (SQL by
hand, a partial restore), or with --check to see whether anything drifted (exit code 1 if so).
"""

import time

from django.core.management.base import BaseCommand, CommandError

from casetracker.public import tallies
from casetracker.security.signals import forget_public_caches


class Command(BaseCommand):
    help = "Recompute the public figures' ledger and each person's share of it from the register."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare them with the register and report drift; exit code 1 if any.",
        )

    def handle(self, *args, check: bool, **options):
        started = time.perf_counter()
        if check:
            drift = tallies.check()
            took = time.perf_counter() - started
            if any(drift.values()):
                raise CommandError(
                    f"The figures have drifted: {drift['persons']} persons' shares and "
                    f"{drift['ledger']} ledger sums differ from the register "
                    f"(checked in {took:.1f} s). Run manage.py rebuild_figures.",
                    returncode=1,
                )
            self.stdout.write(f"The figures match the register (checked in {took:.1f} s).")
            return
        counts = tallies.rebuild()
        forget_public_caches()
        self.stdout.write(
            f"Figures rebuilt in {time.perf_counter() - started:.1f} s: "
            f"{counts['shares']} share rows, {counts['ledger']} ledger rows."
        )
