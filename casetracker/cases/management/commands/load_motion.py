"""`manage.py load_motion`: load motion B9-0072/2022 into the register, or report what differs."""

from django.core.management.base import BaseCommand

from casetracker.cases.seeding import load_motion


class Command(BaseCommand):
    help = (
        "Load every fact of motion B9-0072/2022 from fixtures/. Creates what is missing; never "
        "overwrites staff edits, lists the fields that differ instead."
    )

    def handle(self, *args, **options):
        load_motion(stdout=self.stdout)
