"""`manage.py generate_demo_data --persons N [--seed S] [--force]`: a synthetic register at scale.

Exempt from per-user history: the rows are bulk-written (COPY on PostgreSQL), so no history row is
created for demo data, as for the motion's seed load. See casetracker.cases.demo.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from casetracker.cases import demo
from casetracker.security.signals import forget_public_caches


class Command(BaseCommand):
    help = "Fill the register with labelled, synthetic demo persons (refuses real data)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add demo data to a database that holds real records.",
        )
        parser.add_argument("--database", default="default")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, persons, seed, force, database, no_progress, **options):
        if persons < 1:
            raise CommandError("--persons must be at least 1.")
        if demo.has_demo_records(database):
            raise CommandError("Demo data is already loaded: run remove_demo_data first.")
        if demo.has_real_records(database) and not force:
            raise CommandError(
                "This database holds real records; demo data would mix with them. "
                "Use --force to add it anyway (remove_demo_data removes only demo records)."
            )
        started = time.monotonic()

        def progress(batches):
            return tqdm(batches, unit="batch", desc=f"{persons} demo persons", disable=no_progress)

        counts = demo.generate(persons=persons, seed=seed, using=database, progress=progress)
        forget_public_caches()  # written by COPY, which fires no signal
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{label} {count}" for label, count in sorted(counts.items()))
        self.stdout.write(f"Demo data written in {elapsed:.1f} s (last ids: {summary}).")
