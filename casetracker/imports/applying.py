"""Staging an upload and applying a confirmed import: the two jobs the task worker runs.

Applying is one transaction: every row is checked again against the register as it is then,
and either all of them are written, each save with its history row attributed to the staff
member who confirmed, or none is. Progress goes to the `imports` cache (Redis when configured,
else files on this machine), because rows written inside the open transaction are invisible to
the page that shows it.
"""

import logging
from collections import defaultdict

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from casetracker.cases import models as m
from casetracker.cases.dates import period_end
from casetracker.cases.status import recompute_status
from casetracker.search.indexing import reindex_persons
from casetracker.security.signals import forget_public_caches
from casetracker.staff.history import acting_as

from .checking import MODELS, Checked, Checker, check_rows, row_order
from .models import ImportBatch, ImportRow
from .parsing import FileRefused, iter_rows, read_files

logger = logging.getLogger(__name__)

WRITE_CHUNK = 500  # rows written (and progress reported) at a time
STAGE_BATCH = 2000  # staged rows per INSERT
CITED_FIELD = {
    "persons": "person",
    "detentions": "detention",
    "charges": "charge",
    "timeline": "status_entry",
}
MAX_MESSAGES = 20  # problems listed on a failed import; the preview shows every row


def _progress_key(batch_id: int) -> str:
    return f"import-progress-{batch_id}"


def report_progress(batch_id: int, done: int) -> None:
    caches["imports"].set(_progress_key(batch_id), done, timeout=7 * 24 * 3600)


def rows_done(batch: ImportBatch) -> int:
    if batch.state == ImportBatch.State.DONE:
        return batch.rows_done
    return caches["imports"].get(_progress_key(batch.pk), 0)


# Staging


def stage_batch(batch: ImportBatch) -> None:
    """Read the batch's files, check every row and store it for the preview."""
    files = [(f.name, bytes(f.content)) for f in batch.files.order_by("id")]
    try:
        sheets = read_files(files)
    except FileRefused as refused:
        batch.state = ImportBatch.State.REJECTED
        batch.error = "\n".join(refused.messages)
        batch.save(update_fields=["state", "error"])
        batch.files.all().delete()
        return
    rows = [
        Checked(sheet.kind, sheet.name, line, values) for sheet, line, values in iter_rows(sheets)
    ]
    check_rows(batch.user, rows)
    with transaction.atomic():
        ImportRow.objects.bulk_create(
            (
                ImportRow(
                    batch=batch,
                    kind=row.kind,
                    order=row_order(row.kind),
                    line=row.line,
                    sheet=row.sheet,
                    public_id=row.public_id[:16],
                    values=row.values,
                    action=row.action,
                    messages=row.messages,
                    duplicates=row.duplicates,
                )
                for row in rows
            ),
            batch_size=STAGE_BATCH,
        )
        batch.row_count = len(rows)
        batch.state = ImportBatch.State.STAGED
        batch.save(update_fields=["row_count", "state"])
        batch.files.all().delete()


# Applying


class ImportFailed(Exception):
    pass


def apply_batch(batch: ImportBatch) -> None:
    """Write a confirmed batch, all of it or nothing; the batch says which and why."""
    batch.state = ImportBatch.State.APPLYING
    batch.save(update_fields=["state"])
    report_progress(batch.pk, 0)
    try:
        with transaction.atomic(), acting_as(batch.confirmed_by):
            written = _apply(batch)
    except ImportFailed as failed:
        _fail(batch, str(failed))
    except (DatabaseError, ValidationError) as error:
        logger.exception("Import %s failed in the database", batch.pk)
        _fail(
            batch,
            _("The database refused the import, so nothing was imported: %(error)s")
            % {"error": error},
        )
    else:
        batch.state = ImportBatch.State.DONE
        batch.rows_done = written
        batch.finished_at = timezone.now()
        batch.save(update_fields=["state", "rows_done", "finished_at"])
        report_progress(batch.pk, written)


def _fail(batch: ImportBatch, message: str) -> None:
    batch.state = ImportBatch.State.FAILED
    batch.error = message
    batch.finished_at = timezone.now()
    batch.save(update_fields=["state", "error", "finished_at"])


def staged_rows(batch: ImportBatch) -> tuple[list[Checked], dict]:
    rows, decisions = [], {}
    queryset = batch.rows.order_by("order", "line").values_list(
        "kind", "sheet", "line", "values", "decision"
    )
    for kind, sheet, line, values, decision in queryset.iterator(chunk_size=STAGE_BATCH):
        rows.append(Checked(kind, sheet, line, values))
        if decision:
            decisions[(sheet, line)] = decision
    return rows, decisions


def blocking(rows: list[Checked]) -> list[str]:
    problems = []
    for row in rows:
        for message in row.messages:
            problems.append(f"{row.sheet}, line {row.line}: {message}")
        if row.duplicates and not row.decision:
            problems.append(
                _("%(sheet)s, line %(line)d: a possible duplicate awaits a decision.")
                % {"sheet": row.sheet, "line": row.line}
            )
    return problems


def _apply(batch: ImportBatch) -> int:
    rows, decisions = staged_rows(batch)
    checker = check_rows(batch.confirmed_by, rows, decisions)
    problems = blocking(rows)
    if problems:
        shown = "\n".join(problems[:MAX_MESSAGES])
        more = len(problems) - MAX_MESSAGES
        if more > 0:
            shown += "\n" + _("… and %(n)d more.") % {"n": more}
        raise ImportFailed(
            _("The register changed since the preview, so nothing was imported:") + "\n" + shown
        )
    writer = Writer(checker, batch.confirmed_by)
    done = 0
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        writer.write_chunk(chunk)
        done += len(chunk)
        report_progress(batch.pk, done)
    writer.finish()
    return len(rows)


class Writer:
    """Writes checked rows: new records in bulk, each with its history row; updates one by one.

    Bulk inserts bypass `save()` and its signals, so this does what they would: stamps the
    publication time, dates the timeline entries, reindexes the search keys of the persons
    written, and forgets the public caches once.
    """

    def __init__(self, checker: Checker, user):
        self.checker = checker
        self.user = user
        self.persons_created: list[int] = []
        # public id in the file -> pk written, per kind
        self.written: dict[str, dict[str, int]] = defaultdict(dict)
        self.persons_touched: set[int] = set()

    def write_chunk(self, rows: list[Checked]) -> None:
        """Rows of one kind or several, in file order; a kind's rows are never split oddly
        because each kind comes whole before the next (targets before what points at them)."""
        by_kind: dict[str, list[Checked]] = defaultdict(list)
        for row in rows:
            by_kind[row.kind].append(row)
        for kind, kind_rows in sorted(by_kind.items(), key=lambda item: row_order(item[0])):
            new = [r for r in kind_rows if r.action == "create" and r.decision in ("", "new")]
            self._create(kind, new)
            for row in kind_rows:
                if not (row.action == "create" and row.decision in ("", "new")):
                    self.write(row)

    def _create(self, kind: str, rows: list[Checked]) -> None:
        if not rows:
            return
        model = MODELS[kind]
        objs = []
        for row in rows:
            obj = model(**row.fields)
            if row.public_id:
                obj.public_id = row.public_id
            self._set_refs(obj, row)
            obj._stamp_publication()
            if kind == "timeline":
                obj.occurred_by = period_end(obj.occurred_on, obj.occurred_precision)
            objs.append(obj)
        objs = bulk_create_with_history(objs, model, default_user=self.user)
        names, citations = [], []
        for row, obj in zip(rows, objs, strict=True):
            if row.public_id:
                self.written[kind][row.public_id] = obj.pk
            if kind == "persons":
                self.persons_touched.add(obj.pk)
                self.persons_created.append(obj.pk)
                names += [
                    m.PersonName(
                        person=obj,
                        name=name,
                        kind=m.PersonName.Kind.AS_WRITTEN,
                        publication=obj.publication,
                    )
                    for name in dict.fromkeys(row.names)
                ]
                if row.roles:
                    obj.roles.set(row.roles)
            else:
                self.persons_touched.add(obj.person_id)
            citations += [
                m.Citation(
                    source_id=source_id,
                    locator=locator,
                    confidence=confidence,
                    publication=obj.publication,
                    **{CITED_FIELD[kind]: obj},
                )
                for source_id, locator, confidence in dict.fromkeys(row.citations)
            ]
        for model_, new in ((m.PersonName, names), (m.Citation, citations)):
            for obj in new:
                obj._stamp_publication()
            if new:
                bulk_create_with_history(new, model_, default_user=self.user)

    def finish(self) -> None:
        for start in range(0, len(self.persons_created), WRITE_CHUNK):
            reindex_persons(self.persons_created[start : start + WRITE_CHUNK])
        touched = sorted(self.persons_touched)
        for start in range(0, len(touched), WRITE_CHUNK):
            for person in m.Person.objects.filter(pk__in=touched[start : start + WRITE_CHUNK]):
                recompute_status(person)
        forget_public_caches()

    def write(self, row: Checked) -> None:
        model = MODELS[row.kind]
        if row.kind == "persons" and row.decision not in ("", "new"):
            obj = m.Person.objects.get(public_id=row.decision)
        elif row.action == "update":
            obj = model.objects.get(pk=row.existing_pk)
            changed = [k for k, v in row.fields.items() if getattr(obj, k) != v]
            for name, value in row.fields.items():
                setattr(obj, name, value)
            changed += self._set_refs(obj, row)
            if changed:
                obj.version += 1
                obj.save()
        else:
            obj = model(**row.fields)
            if row.public_id:
                obj.public_id = row.public_id
            self._set_refs(obj, row)
            obj.save()
        if row.public_id:
            self.written[row.kind][row.public_id] = obj.pk
        self.persons_touched.add(obj.pk if row.kind == "persons" else obj.person_id)
        if row.kind == "persons":
            self._names_and_roles(obj, row)
        self._citations(obj, row)

    def _target_pk(self, row: Checked, name: str, public_id: str) -> int:
        checker = self.checker
        if name in ("place", "facility", "citizenship"):
            return checker.places[public_id][0]
        if name == "authority":
            return checker.organisations[public_id]
        kind = {"person": "persons", "detention": "detentions", "charge": "charges"}[name]
        if public_id in self.written[kind]:
            return self.written[kind][public_id]
        return checker.existing[kind][public_id].pk

    def _set_refs(self, obj, row: Checked) -> list[str]:
        changed = []
        for name, public_id in row.refs.items():
            pk = self._target_pk(row, name, public_id)
            if getattr(obj, f"{name}_id") != pk:
                setattr(obj, f"{name}_id", pk)
                changed.append(name)
        if row.kind != "persons":
            # A reference left empty in the file clears it (the person is always given).
            for _column, _target, name in _ref_columns(row.kind):
                if name not in row.refs and getattr(obj, f"{name}_id") is not None:
                    setattr(obj, f"{name}_id", None)
                    changed.append(name)
        elif "citizenship" not in row.refs and obj.citizenship_id is not None:
            obj.citizenship_id = None
            changed.append("citizenship")
        return changed

    def _names_and_roles(self, person: m.Person, row: Checked) -> None:
        # Names and citations are added, never removed: the file cannot carry their kinds,
        # quotes or claims, so dropping one would lose what it cannot give back.
        created = row.action == "create" and row.decision in ("", "new")
        known = set() if created else set(person.names.values_list("name", flat=True))
        names = row.names
        if row.decision not in ("", "new"):
            # The same person under the file's name: that name becomes one of theirs.
            known.add(person.display_name)
            names = [row.fields.get("display_name", ""), *names]
        for name in filter(None, names):
            if name not in known:
                m.PersonName.objects.create(
                    person=person,
                    name=name,
                    kind=m.PersonName.Kind.AS_WRITTEN,
                    publication=person.publication,
                )
                known.add(name)
        if row.decision not in ("", "new"):
            return  # the register's person keeps their roles
        current = set() if created else set(person.roles.values_list("pk", flat=True))
        if current != set(row.roles):
            person.roles.set(row.roles)

    def _citations(self, obj, row: Checked) -> None:
        target = CITED_FIELD[row.kind]
        known = (
            set(
                m.Citation.objects.filter(**{target: obj}).values_list(
                    "source_id", "locator", "confidence"
                )
            )
            if row.action == "update" or row.decision not in ("", "new")
            else set()
        )
        for source_id, locator, confidence in row.citations:
            if (source_id, locator, confidence) in known:
                continue
            m.Citation.objects.create(
                source_id=source_id,
                locator=locator,
                confidence=confidence,
                publication=obj.publication,
                **{target: obj},
            )
            known.add((source_id, locator, confidence))


def _ref_columns(kind: str):
    from .checking import REFERENCES

    return [r for r in REFERENCES[kind] if r[2] != "person"]
