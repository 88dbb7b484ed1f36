"""Time an import of generated rows: N persons and 3N timeline entries, checked then applied.

For a scratch database only (it writes the generated persons): `DATABASE_URL=... manage.py
bench_import --persons 25000 --user <staff username>` measures 100,000 rows.
"""

import csv
import io
import time

from django.core.management.base import BaseCommand

from casetracker.exports.fields import KINDS, column_names
from casetracker.imports.applying import apply_batch, stage_batch
from casetracker.imports.models import ImportBatch, ImportFile
from casetracker.staff.history import add_user_argument, command_user


def _table(kind: str, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, column_names(KINDS[kind].columns(True, "")), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


class Command(BaseCommand):
    help = "Time checking and applying a generated import (scratch databases only)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=25_000)
        add_user_argument(parser)

    def handle(self, *args, persons: int, user: str, **options):
        user = command_user(user)
        common = {"publication": "draft"}
        people = _table(
            "persons",
            (
                {
                    "public_id": f"bench{i:07d}",
                    "display_name": f"Bench Person {i}",
                    "consent": "unknown",
                    "risk_level": "low",
                    **common,
                }
                for i in range(persons)
            ),
        )
        timeline = _table(
            "timeline",
            (
                {
                    "public_id": f"bte{i:07d}",
                    "person_id": f"bench{i % persons:07d}",
                    "status": "detained",
                    "occurred_on": f"2022-01-{1 + i // persons:02d}",
                    "occurred_precision": "day",
                    "date_kind": "began",
                    **common,
                }
                for i in range(3 * persons)
            ),
        )
        batch = ImportBatch.objects.create(user=user, file_names="bench", state="checking")
        ImportFile.objects.create(batch=batch, name="persons.csv", content=people)
        ImportFile.objects.create(batch=batch, name="timeline.csv", content=timeline)
        started = time.monotonic()
        stage_batch(batch)
        checked = time.monotonic() - started
        batch.refresh_from_db()
        self.stdout.write(f"checked {batch.row_count} rows in {checked:.1f} s: {batch.state}")
        batch.state, batch.confirmed_by = ImportBatch.State.QUEUED, user
        batch.save()
        started = time.monotonic()
        apply_batch(batch)
        applied = time.monotonic() - started
        batch.refresh_from_db()
        self.stdout.write(f"applied in {applied:.1f} s: {batch.state} {batch.error}")
