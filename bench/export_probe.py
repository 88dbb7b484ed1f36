"""One CSV export of all public persons, in its own process so /usr/bin/time -v sees its peak.

    python bench/export_probe.py export|python|copy

`export`: the site's export stream (the COPY path on PostgreSQL); `python`: the same export
through the Python row generator (fast=False); `copy`: the baseline, PostgreSQL's
`COPY (same SELECT) TO STDOUT WITH CSV` into a counting sink. Prints one JSON line.
"""

import json
import os
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from casetracker.exports.exports import copy_statement, open_stream, select  # noqa: E402


class Sink:
    def __init__(self):
        self.bytes = self.rows = 0
        self.first = None

    def write(self, data) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        self.bytes += len(data)
        self.rows += data.count(b"\n" if isinstance(data, bytes) else "\n")


def main(mode: str) -> None:
    sink = Sink()
    started = time.perf_counter()
    if mode == "copy":
        with connection.cursor() as cursor:
            # As the export's own connection does: the JIT compiler otherwise spends 2.5 s on
            # this statement, which made the baseline 4x slower than the export at 10k.
            cursor.execute("SET jit = off")
            statement = copy_statement(select("persons", QueryDict()), cursor)
            cursor.cursor.copy_expert(statement, sink)
    else:
        for chunk in open_stream("persons", "csv", QueryDict(), fast=mode == "export"):
            sink.write(chunk)
    total = time.perf_counter() - started
    rows = sink.rows - 1  # the header
    print(
        json.dumps(
            {
                "mode": mode,
                "rows": rows,
                "bytes": sink.bytes,
                "seconds": round(total, 3),
                "rows_per_s": round(rows / total),
                "first_byte_ms": round((sink.first - started) * 1000, 2),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
