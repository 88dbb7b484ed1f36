from django.core.management.base import BaseCommand
from django.db import connection

from casetracker.search import backends
from casetracker.search.indexing import rebuild_all


class Command(BaseCommand):
    help = (
        "Rebuild every search key of persons, places and incidents, and the database's key "
        "index (PostgreSQL trigram index, SQLite FTS5 table)."
    )

    def handle(self, *args, **options):
        backends.install(connection)
        counts = rebuild_all()
        self.stdout.write(
            f"Search keys rebuilt: {counts['person']} for persons, {counts['place']} for places, "
            f"{counts['incident']} for incidents."
        )
