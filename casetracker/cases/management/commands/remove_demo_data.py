"""`manage.py remove_demo_data`: delete every demo record, and nothing else.

Exempt from per-user history like the generator (see casetracker.cases.demo.remove).
"""

from django.core.management.base import BaseCommand

from casetracker.cases import demo
from casetracker.security.signals import forget_public_caches


class Command(BaseCommand):
    help = "Delete all demo data (records labelled demo), leaving real records untouched."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        counts = demo.remove(database)
        forget_public_caches()
        self.stdout.write(
            "Removed demo data: " + ", ".join(f"{n} {label}" for label, n in counts.items())
        )
