"""`manage.py export persons --format csv --output persons.csv --filter status=detained`."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from tqdm import tqdm

from casetracker.exports.exports import FORMATS, InvalidSelection, open_stream
from casetracker.exports.fields import KINDS
from casetracker.exports.models import ExportLog


class Command(BaseCommand):
    help = (
        "Export persons, detentions, charges, timeline entries or incidents, filtered; with "
        "--staff also roles, places, organisations, sources, names, relationships, "
        "affiliations, figures, involvements, interventions and citations."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(KINDS))
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", required=True, help="A file name, or - for stdout.")
        parser.add_argument("--staff", action="store_true", help="Every field and every row.")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A filter of the public list, e.g. status=detained; repeat for more.",
        )
        parser.add_argument(
            "--base-url",
            default=os.environ.get("SITE_URL", "http://localhost:8000"),
            help="Where the site lives, for the url column (default: $SITE_URL).",
        )
        parser.add_argument("--no-bom", action="store_true", help="CSV without a byte-order mark.")

    def handle(self, *args, what, format, output, staff, filter, base_url, no_bom, **options):
        if not (staff or KINDS[what].public):
            raise CommandError(f"{what} is a staff export only: add --staff.")
        params = QueryDict(mutable=True)
        for item in filter:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter takes KEY=VALUE, not {item!r}.")
            params.appendlist(key, value)
        try:
            stream = open_stream(
                what,
                format,
                params,
                staff=staff,
                base_url=base_url.rstrip("/"),
                bom=not no_bom,
                xlsx_cap=False,
            )
        except InvalidSelection as error:
            raise CommandError(f"Invalid filters: {error.errors.as_text()}") from error
        log = None
        if staff:
            log = ExportLog.objects.create(
                what=what, format=format, query=params.urlencode(), via=ExportLog.Via.COMMAND
            )
        show_bar = sys.stderr.isatty() or sys.stdout.isatty()
        total = stream.selection.queryset.count() if show_bar else None
        with (
            tqdm(total=total, unit="rows", disable=not show_bar, file=sys.stderr) as bar,
            _open(output) as out,
        ):
            for chunk in stream:
                out.write(chunk)
                bar.update(stream.progress - bar.n)
        if log is not None:
            ExportLog.objects.filter(pk=log.pk).update(row_count=stream.rows, is_complete=True)
        if output != "-":
            self.stderr.write(f"{stream.rows} rows written to {output}")


def _open(output: str):
    if output == "-":
        return os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    return open(output, "wb")
