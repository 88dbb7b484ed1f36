"""Checking rows against the register: what each row will create, update or why it is refused.

The same check runs twice: when the upload is staged (for the preview) and again inside the
apply job's transaction, against the register as it is then, so a change made in between (a
record deleted, a person merged away) refuses the import instead of writing half of it.

A row's public id decides (a role's slug, for roles): known, it updates that record; unknown, it
creates the record with that id (restoring from an export); retired (a purged or merged-away
person), it is refused; empty, it creates a new record.
"""

import datetime
import decimal
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
from casetracker.exports.fields import CITED_KINDS, LIST_SEPARATOR
from casetracker.search.models import SearchKey
from casetracker.search.normalise import normalise_name
from casetracker.staff.models import PurgeRecord, RetiredPublicId

from .parsing import IMPORTABLE

MODELS: dict[str, type[models.Model]] = {
    "roles": m.Role,
    "places": m.Place,
    "organisations": m.Organisation,
    "sources": m.Source,
    "persons": m.Person,
    "names": m.PersonName,
    "relationships": m.Relationship,
    "affiliations": m.Affiliation,
    "incidents": m.Incident,
    "figures": m.Figure,
    "involvements": m.Involvement,
    "detentions": m.Detention,
    "charges": m.Charge,
    "timeline": m.StatusEntry,
    "interventions": m.Intervention,
    "citations": m.Citation,
}
# The column that identifies a row's record: the public id, or a role's slug (roles have none).
ID_COLUMN = {"roles": "slug"}
# The kind of record each Citation field points at, and back.
CITED_FIELDS = {kind: name for name, kind in CITED_KINDS.items()}
# Kinds whose export has a `sources` column of citation labels, and the Citation field it fills.
LABELLED = {
    "persons": "person",
    "incidents": "incident",
    "detentions": "detention",
    "charges": "charge",
    "timeline": "status_entry",
}
# Columns the exports derive from other records: read, never written back.
DERIVED = {
    "url",
    "person_name",
    "incident_ids",
    "detention_ids",
    "charge_ids",
    "person_ids",
    *(
        f"{p}{n}"
        for p in ("", "person_")
        for n in ("status", "status_on", "status_precision", "status_date_kind", "status_entry_id")
    ),
}
# Columns of those names that are a kind's own field: a timeline entry's status, a source's url.
OWN = {("timeline", "status"), ("sources", "url")}
# A vocabulary the register holds blank where a source states nothing: the motion's charges
# without a stage (the model has no "unknown" stage). An empty cell is taken as that blank.
MAY_BE_BLANK = {("charges", "stage")}


@dataclass(frozen=True)
class Ref:
    """A column naming another record by its public id."""

    column: str
    target: str  # the kind of record it names
    field: str  # the model's foreign key
    required: bool = False
    place_kind: str = ""  # the kind of place it must name (a facility, a country)
    same_person: bool = False  # it must be a record of the row's own person


PERSON = Ref("person_id", "persons", "person", required=True)
REFERENCES: dict[str, list[Ref]] = {
    "roles": [],
    "places": [Ref("parent_id", "places", "parent")],
    "organisations": [
        Ref("country_id", "places", "country", place_kind=m.Place.Kind.COUNTRY),
        Ref("parent_id", "organisations", "parent"),
    ],
    "sources": [Ref("publisher_id", "organisations", "publisher")],
    "persons": [
        Ref("citizenship_id", "places", "citizenship", place_kind=m.Place.Kind.COUNTRY),
        Ref("merged_into_id", "persons", "merged_into"),
    ],
    "names": [PERSON],
    "relationships": [PERSON, Ref("other_id", "persons", "other", required=True)],
    "affiliations": [
        PERSON,
        Ref("organisation_id", "organisations", "organisation", required=True),
    ],
    "incidents": [Ref("parent_id", "incidents", "parent")],
    "figures": [Ref("incident_id", "incidents", "incident", required=True)],
    "involvements": [
        PERSON,
        Ref("incident_id", "incidents", "incident", required=True),
        Ref("perpetrator_id", "organisations", "perpetrator"),
    ],
    "detentions": [
        PERSON,
        Ref("place_id", "places", "place"),
        Ref("facility_id", "places", "facility", place_kind=m.Place.Kind.FACILITY),
        Ref("authority_id", "organisations", "authority"),
    ],
    "charges": [PERSON, Ref("detention_id", "detentions", "detention", same_person=True)],
    "timeline": [
        PERSON,
        Ref("detention_id", "detentions", "detention", same_person=True),
        Ref("charge_id", "charges", "charge", same_person=True),
    ],
    "interventions": [
        Ref("person_id", "persons", "person"),
        Ref("incident_id", "incidents", "incident"),
        Ref("by_id", "organisations", "by"),
    ],
    "citations": [Ref("source_id", "sources", "source", required=True)],
}
# Kinds that belong to one person: an import never moves one of them to another person.
PERSON_FACTS = frozenset(kind for kind, refs in REFERENCES.items() if PERSON in refs)
# Lists of other records in one cell: (column, target kind, many-to-many field).
LISTS = {"persons": ("roles", "roles", "roles"), "incidents": ("place_ids", "places", "places")}
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
        derived = name in DERIVED and (kind, name) not in OWN
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
    # What the apply job writes: model field values, references, lists, names, citations.
    fields: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (kind, public id)
    lists: dict[str, list[str]] = field(default_factory=dict)  # m2m field -> slugs or ids
    names: list[str] = field(default_factory=list)  # other names from a persons row
    citations: list[tuple[str, str, str]] = field(default_factory=list)  # source id, locator, …
    existing_pk: int | None = None

    def refuse(self, message: str) -> None:
        self.messages.append(message)

    @property
    def refused(self) -> bool:
        return bool(self.messages)

    @property
    def creates(self) -> bool:
        """A new record (not an update, nor a person staff said is one the register has)."""
        return self.action == "create" and self.decision in ("", "new")


@dataclass
class Existing:
    pk: int
    publication: str = ""
    # Whose it is: a person's own id, a person fact's person, a citation's "kind id".
    owner: str = ""
    place_kind: str = ""


def _chunks(ids: Iterable[str]):
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _existing(kind: str, ids: set[str]) -> dict[str, Existing]:
    """The register's records of this kind among `ids`, with what the checks need of each."""
    model = MODELS[kind]
    found = {}
    if kind == "roles":
        return {slug: Existing(pk) for slug, pk in m.Role.objects.values_list("slug", "pk")}
    extra = []
    if kind == "persons":
        extra = ["public_id"]
    elif kind in PERSON_FACTS:
        extra = ["person__public_id"]
    elif kind == "places":
        extra = ["kind"]
    elif kind == "citations":
        extra = [f"{name}__public_id" for name in CITED_KINDS]
    for chunk in _chunks(ids):
        rows = model.objects.filter(public_id__in=chunk).values_list(
            "public_id", "pk", "publication", *extra
        )
        for public_id, pk, publication, *more in rows:
            existing = Existing(pk, publication)
            if kind == "places":
                existing.place_kind = more[0]
            elif kind == "citations":
                existing.owner = " ".join(
                    f"{k} {v}" for k, v in zip(CITED_KINDS.values(), more, strict=True) if v
                )
            elif more:
                existing.owner = more[0]
            found[public_id] = existing
    return found


def retired_ids(ids: set[str]) -> set[str]:
    """`casetracker.staff.retired.is_retired` for many ids at once: purged or merged away."""
    retired = set()
    for chunk in _chunks(ids):
        retired |= set(
            RetiredPublicId.objects.filter(public_id__in=chunk).values_list("public_id", flat=True)
        )
        retired |= set(
            PurgeRecord.objects.filter(public_id__in=chunk).values_list("public_id", flat=True)
        )
    return retired


class SourceIndex:
    """Sources by how a citation label names them (their reference, or their title): the
    register's, with the sources of the file (by public id) in their new wording."""

    def __init__(self, file_rows: Iterable["Checked"]):
        keys = {}
        self.pks: dict[str, int] = {}  # the register's sources: public id -> pk
        for pk, public_id, reference, title in m.Source.objects.values_list(
            "pk", "public_id", "reference", "title"
        ):
            keys[public_id] = reference or title
            self.pks[public_id] = pk
        for row in file_rows:
            if row.public_id:
                keys[row.public_id] = row.values.get("reference") or row.values.get("title", "")
        self.by_key: dict[str, list[str]] = defaultdict(list)
        for public_id, key in keys.items():
            self.by_key[key].append(public_id)
        # Longest first, so "Report 2" is tried before "Report".
        self.keys = sorted(self.by_key, key=len, reverse=True)

    def parse(self, text: str) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(source public id, locator, confidence) of each label in a `sources` cell, and
        faults."""
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
        kinds = {row.kind for row in rows}
        # With a names (citations) sheet, a person's names (every fact's citations) come from
        # it, whole; the `other_names` (`sources`) columns are then derived and only read.
        self.names_from_sheet = "names" in kinds
        self.citations_from_sheet = "citations" in kinds
        ids = defaultdict(set)
        refs = defaultdict(set)
        for row in rows:
            row.public_id = row.values.get(ID_COLUMN.get(row.kind, "public_id"), "").strip()
            if row.public_id:
                ids[row.kind].add(row.public_id)
            for ref in REFERENCES[row.kind]:
                if value := row.values.get(ref.column, "").strip():
                    refs[ref.target].add(value)
            if row.kind in LISTS:
                column, target, _f = LISTS[row.kind]
                refs[target].update(_split(row.values.get(column, "")))
            if row.kind == "citations":
                cited = CITED_FIELDS.get(row.values.get("cites", "").strip())
                if cited and (value := row.values.get("cites_id", "").strip()):
                    refs[CITED_KINDS[cited]].add(value)
        self.existing: dict[str, dict[str, Existing]] = {
            kind: _existing(kind, ids[kind] | refs[kind]) for kind in MODELS
        }
        self.merged = self._merged()
        self.retired = retired_ids(ids["persons"] | refs["persons"]) | self.merged
        self.sources: SourceIndex | None = None
        if not self.citations_from_sheet and kinds & set(LABELLED):
            self.sources = SourceIndex(r for r in rows if r.kind == "sources")
            for public_id, pk in self.sources.pks.items():
                self.existing["sources"].setdefault(public_id, Existing(pk))
        # Rows of the file by kind and public id: what a reference may point at besides the
        # register.
        self.in_file: dict[str, dict[str, Checked]] = defaultdict(dict)

    def _merged(self) -> set[str]:
        merged = set()
        for chunk in _chunks(self.existing["persons"]):
            merged |= set(
                m.Person.objects.filter(public_id__in=chunk, merged_into__isnull=False).values_list(
                    "public_id", flat=True
                )
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
        self._cycles()
        self._unique_names([r for r in self.rows if r.kind == "names"])
        self._duplicates(
            [
                r
                for r in self.rows
                if r.kind == "persons"
                and r.action == "create"
                and not r.values.get("merged_into_id", "").strip()
            ]
        )
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
            if row.kind != "roles" and not PUBLIC_ID_RE.match(pid):
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
        identity = {} if row.kind == "roles" else {"public_id": row.public_id or "-"}
        instance = model(**identity, **row.fields)
        exclude = [f.name for f in model._meta.fields if f.name not in row.fields]
        exclude += [n for k, n in MAY_BE_BLANK if k == row.kind and row.fields.get(n) == ""]
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if not any(msg.startswith(f"{name}:") for msg in row.messages):
                    row.refuse(f"{name}: {' '.join(messages)}")
        for message in _rules(row.kind, row.fields):
            row.refuse(message)
        if row.kind != "roles":
            self._publication(row)
        if row.kind in LISTS:
            column, _target, name = LISTS[row.kind]
            row.lists[name] = list(dict.fromkeys(_split(row.values.get(column, ""))))
        if row.kind == "persons" and not self.names_from_sheet:
            row.names = _split(row.values.get("other_names", ""))
        if row.kind in LABELLED and self.sources is not None:
            row.citations, faults = self.sources.parse(row.values.get("sources", ""))
            for fault in faults:
                row.refuse(f"sources: {fault}")

    def _publication(self, row: Checked) -> None:
        published = row.fields.get("publication") == m.Publication.PUBLISHED
        was_published = (
            row.action == "update"
            and self.existing[row.kind][row.public_id].publication == m.Publication.PUBLISHED
        )
        if (published or was_published) and not self.may_publish:
            row.refuse(_("Publishing, and editing a published record, is for publishers."))

    # References: to rows of the file, or to records of the register

    def _references(self, row: Checked) -> None:
        for ref in REFERENCES[row.kind]:
            if ref.column not in row.values:
                continue  # an optional column the file does not have: left as it is
            value = row.values[ref.column].strip()
            if not value:
                if ref.required:
                    row.refuse(
                        _("%(column)s: every %(kind)s row needs one.")
                        % {"column": ref.column, "kind": row.kind}
                    )
                continue
            row.refs[ref.field] = (ref.target, value)
            self._reference(row, ref.column, ref.target, value)
            if ref.place_kind and self._place_kind(value) not in ("", ref.place_kind):
                wrong = {
                    m.Place.Kind.FACILITY: _("%(column)s: %(id)s is not a facility."),
                    m.Place.Kind.COUNTRY: _("%(column)s: %(id)s is not a country."),
                }[ref.place_kind]
                row.refuse(wrong % {"column": ref.column, "id": value})
            person = row.values.get("person_id", "").strip()
            if (
                ref.same_person
                and self._known(ref.target, value)
                and self._owner(ref.target, value) != person
            ):
                row.refuse(
                    _("%(column)s: %(id)s belongs to another person.")
                    % {"column": ref.column, "id": value}
                )
        if row.kind in LISTS:
            column, target, name = LISTS[row.kind]
            for value in row.lists[name]:
                self._reference(row, column, target, value)
        if row.kind == "citations":
            self._cited(row)
        if row.kind == "relationships":
            person, other = row.refs.get("person"), row.refs.get("other")
            if person and person == other:
                row.refuse(_("A relationship links two different persons."))
        if row.kind == "interventions" and not (row.refs.get("person") or row.refs.get("incident")):
            row.refuse(_("An intervention concerns a person or an incident."))
        merged_into = row.values.get("merged_into_id", "").strip()
        if row.kind == "persons" and row.action == "update" and merged_into:
            row.refuse(
                _(
                    "merged_into_id: an import does not merge persons; merge them in the staff "
                    "workspace."
                )
            )
        if row.action == "update" and row.kind in PERSON_FACTS:
            person = self.existing[row.kind][row.public_id].owner
            if person != row.values.get("person_id", "").strip():
                row.refuse(
                    _(
                        "person_id: %(id)s belongs to %(person)s in the register; an import does "
                        "not move facts between persons."
                    )
                    % {"id": row.public_id, "person": person}
                )

    def _reference(self, row: Checked, column: str, target: str, value: str) -> None:
        if target == "persons" and value in self.retired:
            row.refuse(
                _("%(column)s: %(id)s was purged or merged into another person.")
                % {"column": column, "id": value}
            )
        elif not self._known(target, value):
            row.refuse(self._missing(column, value))

    def _cited(self, row: Checked) -> None:
        kind = row.values.get("cites", "").strip()
        value = row.values.get("cites_id", "").strip()
        if kind not in CITED_FIELDS:
            row.refuse(
                _("cites: %(value)r is not one of: %(allowed)s.")
                % {"value": kind, "allowed": ", ".join(CITED_FIELDS)}
            )
            return
        if not value:
            row.refuse(_("cites_id: every citation backs a record."))
            return
        row.refs[CITED_FIELDS[kind]] = (kind, value)
        self._reference(row, "cites_id", kind, value)
        if row.action == "update":
            before = self.existing["citations"][row.public_id].owner
            if before != f"{kind} {value}":
                row.refuse(
                    _(
                        "cites: %(id)s backs %(before)s in the register; an import does not move "
                        "a citation to another record."
                    )
                    % {"id": row.public_id, "before": before}
                )

    def _known(self, kind: str, public_id: str) -> bool:
        return public_id in self.in_file[kind] or public_id in self.existing[kind]

    def _owner(self, kind: str, public_id: str) -> str:
        if public_id in self.in_file[kind]:
            return self.in_file[kind][public_id].values.get("person_id", "").strip()
        return self.existing[kind][public_id].owner

    def _place_kind(self, public_id: str) -> str:
        if public_id in self.in_file["places"]:
            return self.in_file["places"][public_id].values.get("kind", "").strip()
        if public_id in self.existing["places"]:
            return self.existing["places"][public_id].place_kind
        return ""  # refused as missing already

    @staticmethod
    def _missing(column: str, value: str) -> str:
        return _("%(column)s: %(id)s is in neither the file nor the register.") % {
            "column": column,
            "id": value,
        }

    # A record within itself: a place in itself, a person merged into themselves

    def _cycles(self) -> None:
        for kind, refs in REFERENCES.items():
            for ref in refs:
                if ref.target != kind:
                    continue
                for row in self.rows:
                    if row.kind != kind or ref.field not in row.refs:
                        continue
                    seen = {row.public_id}
                    step = row.refs[ref.field][1]
                    while step in self.in_file[kind] and step not in seen:
                        seen.add(step)
                        step = self.in_file[kind][step].refs.get(ref.field, ("", ""))[1]
                    if step == row.public_id:
                        row.refuse(
                            _("%(column)s: %(id)s would be within itself.")
                            % {"column": ref.column, "id": row.public_id}
                        )

    # A person's names: the same name of the same kind once

    def _unique_names(self, rows: list[Checked]) -> None:
        seen: dict[tuple[str, str, str], Checked] = {}
        persons = set()
        for row in rows:
            if "person" not in row.refs:
                continue
            key = (row.refs["person"][1], row.fields.get("name", ""), row.fields.get("kind", ""))
            persons.add(key[0])
            if key in seen:
                row.refuse(
                    _("This person already has this name (line %(line)d).")
                    % {"line": seen[key].line}
                )
            seen[key] = row
        in_file = self.in_file["names"]
        for chunk in _chunks(persons & set(self.existing["persons"])):
            names = m.PersonName.objects.filter(person__public_id__in=chunk).values_list(
                "person__public_id", "name", "kind", "public_id"
            )
            for person, name, kind, public_id in names:
                row = seen.get((person, name, kind))
                if row is not None and row.public_id != public_id and public_id not in in_file:
                    row.refuse(_("This person already has this name (%(id)s).") % {"id": public_id})

    # Possible duplicates: the register's persons with the same normalised name and birth year

    def _duplicates(self, rows: list[Checked]) -> None:
        keyed = defaultdict(list)
        for row in rows:
            for text in {row.fields.get("display_name", ""), *row.names}:
                if key := normalise_name(text):
                    keyed[key].append(row)
        found = defaultdict(dict)
        for chunk in _chunks(keyed):
            hits = SearchKey.objects.filter(
                kind=SearchKey.Kind.PERSON,
                key__in=chunk,
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
    """A cell as the field's value. Text is taken as written (a leading tab or space is data);
    typed values may carry stray spaces."""
    kind = f.get_internal_type()
    if kind in ("CharField", "TextField", "URLField", "SlugField") and not f.choices:
        return text
    text = text.strip()
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
    if kind == "DecimalField":
        if not text:
            return None
        try:
            return decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise ValidationError(_("%(value)r is not a number.") % {"value": text}) from None
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
    if started and ended and ended < started:
        faults.append(
            {
                "detentions": _("A detention cannot end before it starts."),
                "affiliations": _("An affiliation cannot end before it starts."),
                "incidents": _("An incident cannot end before it starts."),
            }[kind]
        )
    if kind == "charges":
        if not fields.get("legal_basis") and not fields.get("wording"):
            faults.append(_("A charge needs its legal basis or its wording."))
        if fields.get("sentence") and fields.get("stage") != m.Charge.Stage.CONVICTED:
            faults.append(_("Only a conviction carries a sentence."))
    as_reported = fields.get("date_kind") == DateKind.AS_REPORTED
    if kind == "timeline" and as_reported and fields.get("occurred_on") is None:
        faults.append(_("An entry dated as reported needs the report's date."))
    if kind == "places":
        latitude, longitude = fields.get("latitude"), fields.get("longitude")
        if latitude is not None and not -90 <= latitude <= 90:
            faults.append(_("Latitude must be between -90 and 90."))
        if longitude is not None and not -180 <= longitude <= 180:
            faults.append(_("Longitude must be between -180 and 180."))
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
        row.lists, row.names, row.citations, row.existing_pk = {}, [], [], None
    checker = Checker(user, rows)
    checker.check(decisions)
    return checker


def row_order(kind: str) -> int:
    return IMPORTABLE.index(kind)
