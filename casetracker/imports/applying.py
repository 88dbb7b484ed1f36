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
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from casetracker.cases import models as m
from casetracker.cases.dates import period_end
from casetracker.cases.status import recompute_status
from casetracker.public.tallies import deferred
from casetracker.search.indexing import reindex_incidents, reindex_persons, reindex_places
from casetracker.security.signals import forget_public_caches
from casetracker.staff.history import acting_as

from .checking import LABELLED, LISTS, MODELS, REFERENCES, Checked, Checker, check_rows, row_order
from .models import ImportBatch, ImportRow
from .parsing import IMPORTABLE, FileRefused, iter_rows, read_files

logger = logging.getLogger(__name__)

WRITE_CHUNK = 500  # rows written (and progress reported) at a time
STAGE_BATCH = 2000  # staged rows per INSERT
# Kinds whose rows change what `recompute_status` derives for their person: the status (the
# timeline and what it drives), and the public figures that follow it (involvements count there,
# and bulk inserts send no signal).
TOUCHES_PERSON = {"detentions", "charges", "timeline", "involvements"}
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
        with transaction.atomic(), acting_as(batch.confirmed_by), deferred():
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
    writer = Writer(
        checker, batch.confirmed_by, progress=lambda done: report_progress(batch.pk, done)
    )
    writer.write(rows)
    writer.finish()
    return len(rows)


class Writer:
    """Writes checked rows, kind by kind in the order of `IMPORTABLE` (targets before what points
    at them): new records in bulk, each with its history row; updates one by one, by `save()`.

    Bulk inserts bypass `save()` and its signals, so this does what they would: stamps the
    publication time, dates the timeline entries, writes the history rows, reindexes the search
    keys of the persons, places and incidents written, and forgets the public caches once.
    """

    def __init__(self, checker: Checker, user, progress=None):
        self.checker = checker
        self.user = user
        self.progress = progress or (lambda done: None)
        self.done = 0
        # public id in the file (a role's slug) -> pk written, per kind
        self.written: dict[str, dict[str, int]] = defaultdict(dict)
        self.created: dict[str, list[int]] = defaultdict(list)  # pks created in bulk, per kind
        self.persons_touched: set[int] = set()  # whose status to recompute
        self.persons_renamed: set[int] = set()  # whose search keys to rebuild

    def write(self, rows: list[Checked]) -> None:
        by_kind: dict[str, list[Checked]] = defaultdict(list)
        for row in rows:
            by_kind[row.kind].append(row)
        for kind in IMPORTABLE:
            if by_kind[kind]:
                self._write_kind(kind, by_kind[kind])

    def _advance(self, rows: int) -> None:
        before = self.done // WRITE_CHUNK
        self.done += rows
        if self.done // WRITE_CHUNK != before:
            self.progress(self.done)

    def _write_kind(self, kind: str, rows: list[Checked]) -> None:
        model = MODELS[kind]
        new = [row for row in rows if row.creates]
        objs = []
        # A reference to a record of the same kind that comes later in the file (a place within
        # a region listed after it) is set once that record exists; its history row waits too.
        pending: list[tuple[models.Model, str, str, str]] = []
        for start in range(0, len(new), WRITE_CHUNK):
            chunk = new[start : start + WRITE_CHUNK]
            built = [self._build(kind, row, pending) for row in chunk]
            model.objects.bulk_create(built)
            for row, obj in zip(chunk, built, strict=True):
                if row.public_id:
                    self.written[kind][row.public_id] = obj.pk
            waiting = {id(obj) for obj, *_rest in pending}
            self._history(model, [obj for obj in built if id(obj) not in waiting])
            objs += built
            self._advance(len(chunk))
        for row in rows:
            if not row.creates:
                self._update(row)
                self._advance(1)
        if pending:
            for obj, name, target, public_id in pending:
                setattr(obj, f"{name}_id", self._pk(target, public_id))
            held = list({id(obj): obj for obj, *_rest in pending}.values())
            fields = sorted({name for _obj, name, *_rest in pending})
            model.objects.bulk_update(held, fields, batch_size=WRITE_CHUNK)
            self._history(model, held)
        self._after_create(kind, new, objs)

    def _build(self, kind: str, row: Checked, pending: list) -> models.Model:
        identity = {"public_id": row.public_id} if row.public_id and kind != "roles" else {}
        obj = MODELS[kind](**identity, **row.fields)
        for name, (target, public_id) in row.refs.items():
            pk = self._pk(target, public_id)
            if pk is None:
                pending.append((obj, name, target, public_id))
            else:
                setattr(obj, f"{name}_id", pk)
        if isinstance(obj, m.Record):
            obj._stamp_publication()
        if kind == "timeline":
            obj.occurred_by = period_end(obj.occurred_on, obj.occurred_precision)
        return obj

    def _history(self, model, objs: list[models.Model]) -> None:
        if objs and hasattr(model, "history"):
            get_history_manager_for_model(model).bulk_history_create(
                objs, batch_size=WRITE_CHUNK, default_user=self.user
            )

    def _pk(self, kind: str, public_id: str) -> int | None:
        if public_id in self.written[kind]:
            return self.written[kind][public_id]
        existing = self.checker.existing[kind].get(public_id)
        return existing.pk if existing is not None else None

    def _after_create(self, kind: str, rows: list[Checked], objs: list[models.Model]) -> None:
        """What new records bring beyond their own row: lists, a persons row's other names,
        the citations of a `sources` cell; and what the finish needs to know."""
        self.created[kind] += [obj.pk for obj in objs]
        names, citations = [], []
        for row, obj in zip(rows, objs, strict=True):
            if kind == "names":
                self.persons_renamed.add(obj.person_id)
            elif kind == "persons":
                self.persons_touched.add(obj.pk)
                names += [
                    m.PersonName(
                        person=obj,
                        name=name,
                        kind=m.PersonName.Kind.AS_WRITTEN,
                        publication=obj.publication,
                    )
                    for name in dict.fromkeys(row.names)
                ]
            elif kind in TOUCHES_PERSON:
                self.persons_touched.add(obj.person_id)
            for name, values in row.lists.items():
                if values:
                    getattr(obj, name).set(self._list_pks(kind, values))
            citations += self._new_citations(kind, obj, row.citations)
        for model, new in ((m.PersonName, names), (m.Citation, citations)):
            for obj in new:
                obj._stamp_publication()
            if new:
                bulk_create_with_history(new, model, batch_size=WRITE_CHUNK, default_user=self.user)

    def _list_pks(self, kind: str, values: list[str]) -> list[int]:
        target = LISTS[kind][1]
        return [self._pk(target, value) for value in values]

    def _new_citations(self, kind: str, obj, labels) -> list[m.Citation]:
        return [
            m.Citation(
                source_id=self._pk("sources", source),
                locator=locator,
                confidence=confidence,
                publication=obj.publication,
                **{LABELLED[kind]: obj},
            )
            for source, locator, confidence in dict.fromkeys(labels)
        ]

    def finish(self) -> None:
        persons = sorted({*self.created["persons"], *self.persons_renamed})
        for start in range(0, len(persons), WRITE_CHUNK):
            reindex_persons(persons[start : start + WRITE_CHUNK])
        for kind, reindex in (("places", reindex_places), ("incidents", reindex_incidents)):
            created = self.created[kind]
            for start in range(0, len(created), WRITE_CHUNK):
                reindex(created[start : start + WRITE_CHUNK])
        touched = sorted(self.persons_touched)
        for start in range(0, len(touched), WRITE_CHUNK):
            for person in m.Person.objects.filter(pk__in=touched[start : start + WRITE_CHUNK]):
                recompute_status(person)
        forget_public_caches()

    def _update(self, row: Checked) -> None:
        """A row naming a record the register has (or a person staff said it has): `save()`."""
        model = MODELS[row.kind]
        same_as = row.kind == "persons" and row.decision not in ("", "new")
        if same_as:
            obj = m.Person.objects.get(public_id=row.decision)
        else:
            obj = model.objects.get(pk=row.existing_pk)
            changed = [k for k, v in row.fields.items() if getattr(obj, k) != v]
            for name, value in row.fields.items():
                setattr(obj, name, value)
            changed += self._set_refs(obj, row)
            if changed:
                if isinstance(obj, m.Record):
                    obj.version += 1
                obj.save()
        if row.public_id:
            self.written[row.kind][row.public_id] = obj.pk
        if row.kind == "persons":
            self.persons_touched.add(obj.pk)
            self._names(obj, row)
        elif row.kind in TOUCHES_PERSON:
            self.persons_touched.add(obj.person_id)
        if not same_as:
            # Lists are set to exactly the file's; the register's person keeps their roles.
            for name, values in row.lists.items():
                wanted = self._list_pks(row.kind, values)
                if set(getattr(obj, name).values_list("pk", flat=True)) != set(wanted):
                    getattr(obj, name).set(wanted)
        if row.kind in LABELLED:
            self._citations(obj, row)

    def _set_refs(self, obj, row: Checked) -> list[str]:
        """References as the file gives them; an empty cell clears one (an absent column, and a
        citation's record, are left alone)."""
        changed = []
        for ref in REFERENCES[row.kind]:
            if ref.column not in row.values:
                continue
            pk = self._pk(*row.refs[ref.field]) if ref.field in row.refs else None
            if getattr(obj, f"{ref.field}_id") != pk:
                setattr(obj, f"{ref.field}_id", pk)
                changed.append(ref.field)
        return changed

    def _names(self, person: m.Person, row: Checked) -> None:
        # Without a names sheet, names from `other_names` are added, never removed: that cell
        # cannot carry a name's kind or publication, so dropping one would lose what it cannot
        # give back.
        same_as = row.decision not in ("", "new")
        if not (row.names or same_as):
            return
        known = set(person.names.values_list("name", flat=True))
        names = row.names
        if same_as:
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

    def _citations(self, obj, row: Checked) -> None:
        """Citations of a `sources` cell on a record the register has: added if new."""
        if not row.citations:
            return
        target = LABELLED[row.kind]
        known = set(
            m.Citation.objects.filter(**{target: obj}).values_list(
                "source_id", "locator", "confidence"
            )
        )
        for citation in self._new_citations(row.kind, obj, row.citations):
            key = (citation.source_id, citation.locator, citation.confidence)
            if key not in known:
                citation.save()
                known.add(key)
