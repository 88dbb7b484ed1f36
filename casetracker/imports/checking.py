"""Checking rows against the register: what each row will create, update or why it is refused.

The same check runs twice: when the upload is staged (for the preview) and again inside the
apply job's transaction, against the register as it is then, so a change made in between (a
record deleted, a person merged away) refuses the import instead of writing half of it.

A row's public id decides: known, it updates that record; unknown, it creates the record with
that id (restoring from an export); retired (a purged or merged-away person), it is refused;
empty, it creates a new record.
"""

import datetime
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from casetracker.cases import models as m
from casetracker.cases.dates import DateKind, DatePrecision
from casetracker.cases.roles import can_publish
from casetracker.exports.fields import LIST_SEPARATOR
from casetracker.search.models import SearchKey
from casetracker.search.normalise import normalise_name
from casetracker.staff.models import PurgeRecord, RetiredPublicId

from .parsing import IMPORTABLE

MODELS: dict[str, type[m.Record]] = {
    "persons": m.Person,
    "detentions": m.Detention,
    "charges": m.Charge,
    "timeline": m.StatusEntry,
}
# Columns the exports derive from other records: read, never written back.
DERIVED = {
    "url",
    "person_name",
    "incident_ids",
    "detention_ids",
    "charge_ids",
    *(
        f"{p}{n}"
        for p in ("", "person_")
        for n in ("status", "status_on", "status_precision", "status_date_kind", "status_entry_id")
    ),
}
# Columns naming another record by its public id: (column, target, field on the model).
REFERENCES: dict[str, list[tuple[str, str, str]]] = {
    "persons": [("citizenship_id", "place", "citizenship")],
    "detentions": [
        ("person_id", "persons", "person"),
        ("place_id", "place", "place"),
        ("facility_id", "place", "facility"),
        ("authority_id", "organisation", "authority"),
    ],
    "charges": [("person_id", "persons", "person"), ("detention_id", "detentions", "detention")],
    "timeline": [
        ("person_id", "persons", "person"),
        ("detention_id", "detentions", "detention"),
        ("charge_id", "charges", "charge"),
    ],
}
PUBLIC_ID_RE = re.compile(r"^[0-9a-z]{4,16}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CITATION_RE = re.compile(r"(.*?) \((reported|corroborated|confirmed)\)(?:; |$)", re.S)
CHUNK = 900  # ids per IN (...) lookup, under SQLite's variable limit


def plain_fields(kind: str, columns: Iterable[str]) -> list[models.Field]:
    """The model fields a file's columns write directly (same name, editable, not a relation)."""
    return _plain_fields(kind, tuple(columns))


@functools.cache
def _plain_fields(kind: str, columns: tuple[str, ...]) -> list[models.Field]:
    model = MODELS[kind]
    fields = []
    for name in columns:
        derived = name in DERIVED and not (kind == "timeline" and name == "status")
        if derived or name == "public_id":
            continue
        try:
            f = model._meta.get_field(name)
        except Exception:  # noqa: S112 - a special column (names, roles, sources, references)
            continue
        if f.concrete and not f.is_relation and (f.editable or name == "is_demo"):
            fields.append(f)
    return fields


@dataclass
class Checked:
    kind: str
    sheet: str
    line: int
    values: dict[str, str]
    public_id: str = ""
    action: str = ""
    messages: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    decision: str = ""
    # What the apply job writes: model field values, references, names, roles, citations.
    fields: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # model field -> public id
    names: list[str] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    citations: list[tuple[int, str, str]] = field(default_factory=list)
    existing_pk: int | None = None

    def refuse(self, message: str) -> None:
        self.messages.append(message)

    @property
    def refused(self) -> bool:
        return bool(self.messages)


@dataclass
class Existing:
    pk: int
    publication: str
    person: str  # the public id of the record's person (the person's own for persons)


def _lookup(model, ids: set[str], *extra: str) -> dict[str, tuple]:
    found = {}
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        rows = model.objects.filter(public_id__in=ids[i : i + CHUNK]).values_list(
            "public_id", *extra
        )
        found.update({row[0]: row[1:] for row in rows})
    return found


def retired_ids(ids: set[str]) -> set[str]:
    """`casetracker.staff.retired.is_retired` for many ids at once: purged or merged away."""
    retired = set()
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        retired |= set(
            RetiredPublicId.objects.filter(public_id__in=chunk).values_list("public_id", flat=True)
        )
        retired |= set(
            PurgeRecord.objects.filter(public_id__in=chunk).values_list("public_id", flat=True)
        )
    return retired


class SourceIndex:
    """Sources by how a citation label names them: their reference, or their title."""

    def __init__(self):
        self.by_key: dict[str, list[int]] = defaultdict(list)
        for pk, reference, title in m.Source.objects.values_list("pk", "reference", "title"):
            self.by_key[reference or title].append(pk)
        # Longest first, so "Report 2" is tried before "Report".
        self.keys = sorted(self.by_key, key=len, reverse=True)

    def parse(self, text: str) -> tuple[list[tuple[int, str, str]], list[str]]:
        """(source pk, locator, confidence) of each label in a `sources` cell, and faults."""
        citations, faults = [], []
        text = text.strip()
        position = 0
        while position < len(text):
            match = CITATION_RE.match(text, position)
            if not match:
                faults.append(_("cannot read the citation %(text)r") % {"text": text[position:]})
                break
            head, confidence = match.group(1), match.group(2)
            position = match.end()
            key = next((k for k in self.keys if head == k or head.startswith(k + " ")), None)
            if key is None:
                faults.append(
                    _("cites a source the register does not have: %(head)r") % {"head": head}
                )
                continue
            if len(self.by_key[key]) > 1:
                faults.append(
                    _("%(key)r names more than one source in the register") % {"key": key}
                )
                continue
            citations.append((self.by_key[key][0], head[len(key) :].strip(), confidence))
        return citations, faults


class Checker:
    def __init__(self, user, rows: list[Checked]):
        self.user = user
        self.rows = rows
        self.may_publish = can_publish(user)
        ids = defaultdict(set)
        refs = defaultdict(set)
        for row in rows:
            row.public_id = row.values.get("public_id", "").strip()
            if row.public_id:
                ids[row.kind].add(row.public_id)
            for column, target, _f in REFERENCES[row.kind]:
                if value := row.values.get(column, "").strip():
                    refs[target].add(value)
        self.existing: dict[str, dict[str, Existing]] = {}
        for kind, model in MODELS.items():
            wanted = ids[kind] | refs[kind]
            person = "public_id" if kind == "persons" else "person__public_id"
            found = _lookup(model, wanted, "pk", "publication", person)
            self.existing[kind] = {pid: Existing(*v) for pid, v in found.items()}
        self.merged = self._merged()
        self.retired = retired_ids(ids["persons"] | refs["persons"]) | self.merged
        # public id -> (pk, kind) of places, public id -> pk of organisations
        self.places = _lookup(m.Place, refs["place"], "pk", "kind")
        organisations = _lookup(m.Organisation, refs["organisation"], "pk")
        self.organisations = {k: v[0] for k, v in organisations.items()}
        self.roles = dict(m.Role.objects.values_list("slug", "pk"))
        self.sources = SourceIndex()
        # Rows of the file by kind and public id: what a reference may point at besides the
        # register. The person of each detention and charge in the file, for same-person checks.
        self.in_file: dict[str, dict[str, Checked]] = defaultdict(dict)

    def _merged(self) -> set[str]:
        ids = sorted(self.existing["persons"])
        merged = set()
        for i in range(0, len(ids), CHUNK):
            merged |= set(
                m.Person.objects.filter(
                    public_id__in=ids[i : i + CHUNK], merged_into__isnull=False
                ).values_list("public_id", flat=True)
            )
        return merged

    def check(self, decisions: dict[tuple[str, int], str] | None = None) -> list[Checked]:
        decisions = decisions or {}
        for row in self.rows:
            row.decision = decisions.get((row.sheet, row.line), "")
            self._identity(row)
        for row in self.rows:
            self._values(row)
        for row in self.rows:
            self._references(row)
        self._duplicates([r for r in self.rows if r.kind == "persons" and r.action == "create"])
        for row in self.rows:
            if row.refused:
                row.action = "refuse"
        return self.rows

    # Identity: create, update or refuse, from the public id

    def _identity(self, row: Checked) -> None:
        pid = row.public_id
        if row.values.get("__extra__"):
            row.refuse(_("The row has more cells than the header has columns."))
        if not pid:
            row.action = "create"
            return
        if pid in self.in_file[row.kind]:
            row.refuse(
                _("The public id %(id)s appears twice (also on line %(line)d).")
                % {"id": pid, "line": self.in_file[row.kind][pid].line}
            )
            return
        self.in_file[row.kind][pid] = row
        if row.kind == "persons" and pid in self.retired:
            row.refuse(
                _(
                    "%(id)s belonged to a person who was purged or merged into another: ids are "
                    "never reused."
                )
                % {"id": pid}
            )
            return
        existing = self.existing[row.kind].get(pid)
        if existing is None:
            if not PUBLIC_ID_RE.match(pid):
                row.refuse(
                    _("%(id)r is not a public id (4 to 16 lowercase letters and digits).")
                    % {"id": pid}
                )
            row.action = "create"
        else:
            row.action = "update"
            row.existing_pk = existing.pk

    # Values: every plain column converted and checked against the model's vocabularies

    def _values(self, row: Checked) -> None:
        model = MODELS[row.kind]
        action = row.action
        verb = "add" if action == "create" else "change"
        if not self.user.has_perm(f"cases.{verb}_{model._meta.model_name}"):
            row.refuse(_("You may not %(verb)s %(kind)s.") % {"verb": verb, "kind": row.kind})
        for f in plain_fields(row.kind, row.values):
            text = row.values[f.name]
            try:
                row.fields[f.name] = _convert(f, text)
            except ValidationError as error:
                row.refuse(f"{f.name}: {' '.join(error.messages)}")
        # A public id given, so the model does not draw a random one for every checked row.
        instance = model(public_id=row.public_id or "-", **row.fields)
        exclude = [f.name for f in model._meta.fields if f.name not in row.fields]
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if not any(msg.startswith(f"{name}:") for msg in row.messages):
                    row.refuse(f"{name}: {' '.join(messages)}")
        for message in _rules(row.kind, row.fields):
            row.refuse(message)
        published = row.fields.get("publication") == m.Publication.PUBLISHED
        was_published = (
            action == "update"
            and self.existing[row.kind][row.public_id].publication == m.Publication.PUBLISHED
        )
        if (published or was_published) and not self.may_publish:
            row.refuse(_("Publishing, and editing a published record, is for publishers."))
        if row.kind == "persons":
            row.names = _split(row.values.get("other_names", ""))
            for slug in _split(row.values.get("roles", "")):
                if slug in self.roles:
                    row.roles.append(self.roles[slug])
                else:
                    row.refuse(_("roles: %(slug)r is not a role of the register.") % {"slug": slug})
        row.citations, faults = self.sources.parse(row.values.get("sources", ""))
        for fault in faults:
            row.refuse(f"sources: {fault}")

    # References: to rows of the file, or to records of the register

    def _references(self, row: Checked) -> None:
        for column, target, name in REFERENCES[row.kind]:
            value = row.values.get(column, "").strip()
            if not value:
                if column == "person_id":
                    row.refuse(
                        _("person_id: every %(kind)s row needs its person.") % {"kind": row.kind}
                    )
                continue
            row.refs[name] = value
            if target == "place":
                kind = self.places.get(value, (None, None))[1]
                if kind is None:
                    row.refuse(self._missing(column, value))
                elif name == "facility" and kind != m.Place.Kind.FACILITY:
                    row.refuse(_("facility_id: %(id)s is not a facility.") % {"id": value})
                elif name == "citizenship" and kind != m.Place.Kind.COUNTRY:
                    row.refuse(_("citizenship_id: %(id)s is not a country.") % {"id": value})
            elif target == "organisation":
                if value not in self.organisations:
                    row.refuse(self._missing(column, value))
            elif target == "persons" and value in self.retired:
                row.refuse(
                    _("person_id: %(id)s was purged or merged into another person.") % {"id": value}
                )
            elif value not in self.in_file[target] and value not in self.existing[target]:
                row.refuse(self._missing(column, value))
            elif (
                target != "persons"
                and self._person_of(target, value) != row.values.get("person_id", "").strip()
            ):
                row.refuse(
                    _("%(column)s: %(id)s belongs to another person.")
                    % {"column": column, "id": value}
                )
        if row.action == "update" and row.kind != "persons":
            person = self.existing[row.kind][row.public_id].person
            if person != row.values.get("person_id", "").strip():
                row.refuse(
                    _(
                        "person_id: %(id)s belongs to %(person)s in the register; an import does "
                        "not move facts between persons."
                    )
                    % {"id": row.public_id, "person": person}
                )

    def _person_of(self, kind: str, public_id: str) -> str:
        if public_id in self.in_file[kind]:
            return self.in_file[kind][public_id].values.get("person_id", "").strip()
        return self.existing[kind][public_id].person

    @staticmethod
    def _missing(column: str, value: str) -> str:
        return _("%(column)s: %(id)s is in neither the file nor the register.") % {
            "column": column,
            "id": value,
        }

    # Possible duplicates: the register's persons with the same normalised name and birth year

    def _duplicates(self, rows: list[Checked]) -> None:
        keyed = defaultdict(list)
        for row in rows:
            for text in {row.fields.get("display_name", ""), *row.names}:
                if key := normalise_name(text):
                    keyed[key].append(row)
        found = defaultdict(dict)
        keys = sorted(keyed)
        for i in range(0, len(keys), CHUNK):
            hits = SearchKey.objects.filter(
                kind=SearchKey.Kind.PERSON,
                key__in=keys[i : i + CHUNK],
                field__in=[SearchKey.Field.DISPLAY_NAME, SearchKey.Field.NAME],
                person__merged_into__isnull=True,
            ).values_list("key", "person__public_id", "person__display_name", "person__birth_year")
            for key, pid, name, year in hits:
                for row in keyed[key]:
                    mine = row.fields.get("birth_year")
                    if mine is not None and year is not None and mine != year:
                        continue
                    if pid != row.public_id:
                        found[id(row)][pid] = {"public_id": pid, "name": name, "birth_year": year}
        for row in rows:
            row.duplicates = sorted(found[id(row)].values(), key=lambda d: d["public_id"])
            ids = {d["public_id"] for d in row.duplicates}
            if row.decision and row.decision != "new" and row.decision not in ids:
                row.decision = ""  # a stale choice (the candidate went away) is asked again


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _convert(f: models.Field, text: str) -> Any:
    text = text if isinstance(f, models.TextField) else text.strip()
    kind = f.get_internal_type()
    if kind == "BooleanField":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
        raise ValidationError(_("%(value)r is not true or false.") % {"value": text})
    if kind == "DateField":
        if not text:
            return None
        try:
            if not DATE_RE.match(text):
                raise ValueError
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                _("%(value)r is not a date written YYYY-MM-DD.") % {"value": text}
            ) from None
    if kind in ("PositiveSmallIntegerField", "PositiveIntegerField", "IntegerField"):
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise ValidationError(_("%(value)r is not a whole number.") % {"value": text}) from None
    if f.choices and text and text not in _choices(f):
        raise ValidationError(
            _("%(value)r is not one of: %(allowed)s.")
            % {"value": text, "allowed": ", ".join(str(v) for v, _l in f.flatchoices)}
        )
    if f.choices and not text and f.has_default():
        return f.get_default()
    return text


@functools.cache
def _choices(f: models.Field) -> frozenset[str]:
    return frozenset(str(v) for v, _label in f.flatchoices)


def _rules(kind: str, fields: dict[str, Any]) -> list[str]:
    """The model's check constraints, in Python: the database would refuse these rows anyway."""
    faults = []
    for on in [name for name in fields if name.endswith("_on")]:
        prefix = on[:-3]
        day, precision = fields.get(on), fields.get(f"{prefix}_precision", "")
        if f"{prefix}_precision" not in fields:
            continue
        if (day is None) != (precision == ""):
            faults.append(
                _("%(on)s: a date needs its precision, and a precision its date.") % {"on": on}
            )
        elif day and (
            (precision == DatePrecision.MONTH and day.day != 1)
            or (precision == DatePrecision.YEAR and (day.day, day.month) != (1, 1))
        ):
            faults.append(
                _("%(on)s: a date known to the %(p)s is written as the first day of that %(p)s.")
                % {"on": on, "p": precision}
            )
    started, ended = fields.get("started_on"), fields.get("ended_on")
    if kind == "detentions" and started and ended and ended < started:
        faults.append(_("A detention cannot end before it starts."))
    if kind == "charges":
        if not fields.get("legal_basis") and not fields.get("wording"):
            faults.append(_("A charge needs its legal basis or its wording."))
        if fields.get("sentence") and fields.get("stage") != m.Charge.Stage.CONVICTED:
            faults.append(_("Only a conviction carries a sentence."))
    as_reported = fields.get("date_kind") == DateKind.AS_REPORTED
    if kind == "timeline" and as_reported and fields.get("occurred_on") is None:
        faults.append(_("An entry dated as reported needs the report's date."))
    if kind == "persons":
        year = fields.get("birth_year")
        if year is not None and not 1900 <= year <= 2100:
            faults.append(_("A birth year must be between 1900 and 2100."))
        if fields.get("publication") == m.Publication.PUBLISHED and not (
            fields.get("consent") in m.PUBLISHABLE_CONSENT
            and fields.get("risk_level") in m.ACCEPTABLE_RISK
        ):
            faults.append(
                _(
                    "A person can be published only with consent given or named in a public "
                    "source, and a risk level that is not high."
                )
            )
    return faults


def check_rows(user, rows: list[Checked], decisions=None) -> Checker:
    """Check every row (in place) against the register as it is now; the checker keeps what it
    looked up, for the apply job."""
    for row in rows:
        row.messages, row.duplicates, row.fields, row.refs = [], [], {}, {}
        row.names, row.roles, row.citations, row.existing_pk = [], [], [], None
    checker = Checker(user, rows)
    checker.check(decisions)
    return checker


def row_order(kind: str) -> int:
    return IMPORTABLE.index(kind)
