"""Reading uploads: CSV files (one per kind) or XLSX workbooks (one sheet per kind).

The column contract is the staff exports' field lists (`casetracker.exports.fields.KINDS` with
`staff=True`): a file must carry exactly those columns, in any order, except the few columns
added to a kind after its first release (`OPTIONAL`), which older exports lack. Cells come back
as the text the export wrote, formula escaping undone with `unescape_formula`.
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from casetracker.exports.fields import KINDS, column_names, unescape_formula

# What can be imported, in the order rows are applied (targets before what points at them).
IMPORTABLE = (
    "roles",
    "places",
    "organisations",
    "sources",
    "persons",
    "names",
    "relationships",
    "affiliations",
    "incidents",
    "figures",
    "involvements",
    "detentions",
    "charges",
    "timeline",
    "interventions",
    "citations",
)
# Columns added to a kind's export after files of it were written: a file may lack them, and
# then they are left as they are (or take their default on a new record).
OPTIONAL = {
    "persons": {"merged_into_id"},
    "timeline": {"is_demo"},
}


class FileRefused(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def expected_columns(kind: str) -> list[str]:
    return column_names(KINDS[kind].columns(True, ""))


@dataclass
class Sheet:
    kind: str
    name: str  # the file's name, or "workbook.xlsx: sheet"
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_files(files: list[tuple[str, bytes]]) -> list[Sheet]:
    """Every sheet of every file, checked for encoding and columns; FileRefused lists all faults."""
    sheets, problems = [], []
    for name, content in files:
        try:
            if name.lower().endswith(".xlsx"):
                sheets += _read_xlsx(name, content)
            else:
                sheets.append(_read_csv(name, content))
        except FileRefused as refused:
            problems += refused.messages
    seen: dict[str, str] = {}
    for sheet in sheets:
        if sheet.kind in seen:
            problems.append(
                _("%(a)s and %(b)s both hold %(kind)s: upload one file per kind.")
                % {"a": seen[sheet.kind], "b": sheet.name, "kind": sheet.kind}
            )
        seen[sheet.kind] = sheet.name
    if not sheets and not problems:
        problems.append(_("The upload holds no rows to import."))
    if problems:
        raise FileRefused(problems)
    return sorted(sheets, key=lambda s: IMPORTABLE.index(s.kind))


def _read_csv(name: str, content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            [
                _(
                    "%(name)s is not UTF-8 text (byte %(pos)d cannot be read). Save it as "
                    '"CSV UTF-8" and upload it again.'
                )
                % {"name": name, "pos": error.start}
            ]
        ) from error
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileRefused(
            [_("%(name)s is not a readable CSV file: %(error)s") % {"name": name, "error": error}]
        ) from error
    return _sheet(name, name, records, lambda cell: unescape_formula(cell))


def _read_xlsx(name: str, content: bytes) -> list[Sheet]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise FileRefused(
            [_("%(name)s is not a readable XLSX workbook.") % {"name": name}]
        ) from error
    sheets, problems = [], []
    try:
        for worksheet in workbook.worksheets:
            records = [list(row) for row in worksheet.iter_rows(values_only=True)]
            if not any(any(c not in (None, "") for c in r) for r in records):
                continue  # an empty sheet says nothing
            try:
                sheets.append(
                    _sheet(f"{name}: {worksheet.title}", worksheet.title, records, _xlsx_text)
                )
            except FileRefused as refused:
                problems += refused.messages
    finally:
        workbook.close()
    if problems:
        raise FileRefused(problems)
    return sheets


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return unescape_formula(str(value))


def _sheet(name: str, hint: str, records: list[list], to_text) -> Sheet:
    if not records:
        raise FileRefused([_("%(name)s is empty.") % {"name": name}])
    header = [to_text(c).strip() for c in records[0]]
    while header and header[-1] == "":
        header.pop()
    kind = _kind(name, hint, header)
    width = len(header)
    sheet = Sheet(kind, name, header)
    for number, record in enumerate(records[1:], start=2):
        cells = [to_text(c) for c in record]
        if not any(c.strip() for c in cells):
            continue
        values = dict(zip(header, cells[:width] + [""] * (width - len(cells)), strict=True))
        if any(c.strip() for c in cells[width:]):
            values["__extra__"] = "1"
        sheet.rows.append((number, values))
    return sheet


def _kind(name: str, hint: str, header: list[str]) -> str:
    """The kind whose columns the header has: all of them, and nothing else."""
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise FileRefused(
            [
                _("%(name)s repeats columns: %(cols)s.")
                % {"name": name, "cols": ", ".join(duplicated)}
            ]
        )
    given = set(header)
    named = [k for k in IMPORTABLE if k in hint.lower()]
    if named:
        kind = named[0]
    else:
        # The kind whose columns the header matches best: most shared, fewest strange.
        kind = max(
            IMPORTABLE,
            key=lambda k: (
                len(given & set(expected_columns(k)))
                - len(given - set(expected_columns(k)))
                - len(set(expected_columns(k)) - given)
            ),
        )
        if not given & set(expected_columns(kind)):
            raise FileRefused(
                [
                    _("%(name)s is not one of the staff exports that can be imported (%(kinds)s).")
                    % {"name": name, "kinds": ", ".join(IMPORTABLE)}
                ]
            )
    expected = expected_columns(kind)
    missing = [c for c in expected if c not in given and c not in OPTIONAL.get(kind, ())]
    unknown = [c for c in header if c not in expected]
    problems = []
    if missing:
        problems.append(
            _("%(name)s (%(kind)s) lacks columns: %(cols)s.")
            % {"name": name, "kind": kind, "cols": ", ".join(missing)}
        )
    if unknown:
        problems.append(
            _("%(name)s (%(kind)s) has columns the %(kind)s export does not write: %(cols)s.")
            % {"name": name, "kind": kind, "cols": ", ".join(unknown)}
        )
    if problems:
        raise FileRefused(problems)
    return kind


def iter_rows(sheets: list[Sheet]) -> Iterator[tuple[Sheet, int, dict[str, str]]]:
    for sheet in sheets:
        for line, values in sheet.rows:
            yield sheet, line, values
