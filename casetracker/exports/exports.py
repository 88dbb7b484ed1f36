"""Exports: a filtered selection, one row generator, rendered as CSV, XLSX, JSON or JSON Lines.

Everything streams with memory flat however many rows: rows come from `.iterator()` in chunks
with their related records prefetched per chunk, and each format yields bytes as it goes. On
PostgreSQL, CSV skips Python altogether: `COPY (SELECT ...) TO STDOUT` with SQL compiled from the
same field list, run by a producer thread into a bounded queue (see `CopyStream`).
"""

import abc
import contextlib
import csv
import io
import json
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .fields import KINDS, Column, Kind, column_names, escape_formula, to_cell, to_text

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "jsonl": "application/jsonl",
}
FORMATS = tuple(CONTENT_TYPES)
BOM = "\ufeff".encode()

CHUNK_BYTES = 64 * 1024  # what each yield (and each queue item of the COPY path) carries
QUEUE_CHUNKS = 8  # the COPY producer runs at most this many chunks ahead of the client
ITERATOR_CHUNK = 2000  # rows per database fetch, with their prefetches
# Above this, an XLSX download is refused with a pointer to CSV (README, "Decisions: Exports").
XLSX_MAX_ROWS = 100_000


class InvalidSelection(Exception):
    def __init__(self, errors):
        super().__init__(str(errors))
        self.errors = errors


class TooLarge(Exception):
    pass


@dataclass
class Selection:
    """Which rows and columns: the list's filters applied to the public (or staff) queryset."""

    kind: Kind
    staff: bool
    columns: list[Column]
    queryset: QuerySet

    @property
    def names(self) -> list[str]:
        return column_names(self.columns)


def select(what: str, params, *, staff: bool = False, base_url: str = "") -> Selection:
    kind = KINDS[what]
    if not (staff or kind.public):
        raise LookupError(f"{what} is a staff export only")
    filterset = kind.filterset(params, queryset=kind.queryset(staff))
    if not filterset.is_valid():
        raise InvalidSelection(filterset.errors)
    queryset = filterset.qs
    if queryset.query.distinct:
        # Multiple-choice filters add DISTINCT, which drags the ORDER BY columns into the SELECT;
        # a subquery of ids selects the same rows and leaves the field list alone.
        ids = queryset.order_by().values("pk")
        queryset = kind.queryset(staff).filter(pk__in=ids).order_by(*queryset.query.order_by)
    # The list's own order, made total with the primary key so every path gives the same rows.
    ordering = list(queryset.query.order_by or kind.ordering or kind.model._meta.ordering)
    queryset = queryset.order_by(*ordering, "pk")
    return Selection(kind, staff, kind.columns(staff, base_url), queryset)


def iter_rows(selection: Selection, chunk_size: int = ITERATOR_CHUNK) -> Iterator[list[Any]]:
    """The one row generator: native values, in column order."""
    queryset = selection.kind.prefetch(selection.queryset, selection.staff)
    for obj in queryset.iterator(chunk_size=chunk_size):
        yield [column.get(obj) for column in selection.columns]


class Stream(abc.ABC):
    """Bytes of one export, with the rows written so far (`progress`) and in all (`rows`)."""

    content_type = ""
    extension = ""

    def __init__(self, selection: Selection, *, bom: bool = True):
        self.selection = selection
        self.bom = bom
        self.progress = 0
        self.rows: int | None = None

    @abc.abstractmethod
    def __iter__(self) -> Iterator[bytes]:
        """Each format writes its bytes here."""

    def _rows(self) -> Iterator[list[Any]]:
        for row in iter_rows(self.selection):
            self.progress += 1
            yield row
        self.rows = self.progress


class CsvStream(Stream):
    content_type = CONTENT_TYPES["csv"]
    extension = "csv"

    def __iter__(self):
        buffer = io.StringIO()
        # RFC 4180's CRLF; Python quotes a cell holding any character of the line terminator,
        # so this also quotes a lone "\r" (with "\n" alone it would not, and break the row).
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.bom:
            buffer.write("\ufeff")
        writer.writerow(self.selection.names)
        for row in self._rows():
            writer.writerow([to_cell(value) for value in row])
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()


def _batched(parts: Iterator[str]) -> Iterator[bytes]:
    batch, size = [], 0
    for part in parts:
        batch.append(part)
        size += len(part)
        if size >= CHUNK_BYTES:
            yield "".join(batch).encode()
            batch, size = [], 0
    yield "".join(batch).encode()


class JsonLinesStream(Stream):
    content_type = CONTENT_TYPES["jsonl"]
    extension = "jsonl"

    def _objects(self) -> Iterator[str]:
        names = self.selection.names
        for row in self._rows():
            obj = dict(zip(names, row, strict=True))
            yield json.dumps(obj, cls=DjangoJSONEncoder, ensure_ascii=False)

    def __iter__(self):
        yield from _batched(line + "\n" for line in self._objects())


class JsonStream(JsonLinesStream):
    """One array, streamed: `[` then the objects then `]`."""

    content_type = CONTENT_TYPES["json"]
    extension = "json"

    def __iter__(self):
        def parts():
            yield "["
            for i, obj in enumerate(self._objects()):
                yield ("\n" if i == 0 else ",\n") + obj
            yield "\n]\n"

        yield from _batched(parts())


class XlsxStream(Stream):
    """openpyxl's write-only workbook, into a temporary file that is then streamed and removed.

    An XLSX file is a zip whose index comes last, so it cannot go out before it is finished.
    """

    content_type = CONTENT_TYPES["xlsx"]
    extension = "xlsx"
    max_rows: int | None = None

    def __iter__(self):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(self.selection.kind.what)
        sheet.append(self.selection.names)
        kinds = [column.kind for column in self.selection.columns]
        for row in self._rows():
            sheet.append([_xlsx_cell(value, kind) for value, kind in zip(row, kinds, strict=True)])
        with tempfile.TemporaryFile() as file:
            workbook.save(file)
            file.seek(0)
            while chunk := file.read(CHUNK_BYTES):
                yield chunk


def _xlsx_cell(value: Any, kind: str) -> Any:
    if kind == "int" and value is not None:
        return value
    # Characters XML cannot carry (NUL and other controls) are dropped after escaping.
    return ILLEGAL_CHARACTERS_RE.sub("", escape_formula(to_text(value)))


class ExportAborted(Exception):
    """Raised inside the COPY producer when its client has gone away."""


_DONE = object()


class _QueueWriter:
    """The file object `copy_expert` writes into, once per row: batches rows into chunks."""

    def __init__(self, stream: "CopyStream"):
        self.stream = stream
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> None:
        if self.stream.stop.is_set():
            raise ExportAborted
        if isinstance(data, str):
            data = data.encode()
        self.parts.append(data)
        self.size += len(data)
        self.stream.progress += 1
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.stream.put(b"".join(self.parts))
            self.parts, self.size = [], 0


class CopyStream(Stream):
    """CSV straight from PostgreSQL's COPY, through a producer thread and a bounded queue.

    `copy_expert` returns only when the whole result is written, so it runs in its own thread
    with its own connection, and the response's generator takes chunks off the queue. When the
    client goes away the generator is closed: it sets `stop`, cancels any running statement, and
    the producer's next write raises, ending COPY; the thread then closes its connection.
    """

    content_type = CONTENT_TYPES["csv"]
    extension = "csv"

    def __init__(self, selection: Selection, *, bom: bool = True, using: str = DEFAULT_DB_ALIAS):
        super().__init__(selection, bom=bom)
        self.using = using
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.backend_pid: int | None = None
        self.connection_closed = False
        self._raw_connection = None

    def __iter__(self):
        self.thread = threading.Thread(target=self._produce, name="export-copy", daemon=True)
        self.thread.start()
        try:
            if self.bom:
                yield BOM
            while True:
                item = self.queue.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.stop.set()
            raw = self._raw_connection
            if self.thread.is_alive() and raw is not None and not raw.closed:
                raw.cancel()  # a statement still running on the server stops now
            self.thread.join(timeout=30)

    def put(self, item) -> None:
        while True:
            if self.stop.is_set():
                raise ExportAborted
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _produce(self) -> None:
        connection = connections[self.using]  # this thread's own connection
        try:
            with connection.cursor() as cursor:
                self._raw_connection = connection.connection
                self.backend_pid = connection.connection.get_backend_pid()
                # The JIT compiler spends seconds on a statement this wide, and an export is
                # bound by the client anyway; the setting dies with this connection.
                cursor.execute("SET jit = off")
                statement = copy_statement(self.selection, cursor)
                writer = _QueueWriter(self)
                cursor.cursor.copy_expert(statement, writer)
                writer.flush()
            self.progress -= 1  # the header line was one write too
            self.rows = self.progress
            self.put(_DONE)
        except ExportAborted:
            pass
        except Exception as error:
            if not self.stop.is_set():
                self._put_nowait(error)
        finally:
            connection.close()
            self.connection_closed = True

    def _put_nowait(self, item) -> None:
        with contextlib.suppress(ExportAborted):
            self.put(item)


def copy_statement(selection: Selection, cursor) -> str:
    """`COPY (SELECT <the field list's SQL> FROM <the filtered queryset>) TO STDOUT`."""
    from .fields import SqlCell

    aliases = {
        f"export_column_{i}": SqlCell(column.sql, column.kind)
        for i, column in enumerate(selection.columns)
    }
    sql, params = selection.queryset.values(**aliases).query.sql_with_params()
    # Model fields and column names collide (public_id), so the SELECT names its columns by
    # placeholder and they are renamed here; the trailing quote keeps _1 apart from _10.
    for i, column in enumerate(selection.columns):
        sql = sql.replace(f'AS "export_column_{i}"', f'AS "{column.name}"')
    select_sql = cursor.mogrify(sql, params).decode()
    return f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"


STREAMS: dict[str, type[Stream]] = {
    "csv": CsvStream,
    "xlsx": XlsxStream,
    "json": JsonStream,
    "jsonl": JsonLinesStream,
}


def uses_copy(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor == "postgresql"


def open_stream(
    what: str,
    fmt: str,
    params,
    *,
    staff: bool = False,
    base_url: str = "",
    bom: bool = True,
    fast: bool = True,
    xlsx_cap: bool = True,
) -> Stream:
    """The export of `what` in `fmt` for these filter parameters, ready to iterate."""
    selection = select(what, params, staff=staff, base_url=base_url)
    if fmt == "csv" and fast and uses_copy():
        return CopyStream(selection, bom=bom)
    if fmt == "xlsx" and xlsx_cap:
        count = selection.queryset.count()
        if count > XLSX_MAX_ROWS:
            raise TooLarge(
                _(
                    "This selection has %(count)d rows; XLSX downloads stop at %(max)d. "
                    "Narrow the filters, or download the same selection as CSV."
                )
                % {"count": count, "max": XLSX_MAX_ROWS}
            )
    return STREAMS[fmt](selection, bom=bom)
