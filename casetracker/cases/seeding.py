"""The register's first data set: every fact of motion B9-0072/2022, loaded from `fixtures/`.

`fixtures/motion-b9-0072-2022.json` holds the facts, each keyed by a stable slug
("person:raigul-sadyrbayeva") and backed by citations {locator, quote, confidence, claimed_by};
`fixtures/ep-resolution-kazakhstan-2022.txt` is the motion's text, byte for byte, stored as the
source's full text. `load_motion()` turns them into records.

Rules the loader keeps:

- A record's public id derives from its slug, so public URLs are the same on every install.
- Loading creates what is missing and never changes what exists: staff corrections win. A field
  whose value differs from the fixture is reported, not overwritten.
- Everything seeded is published; persons are "named in a public source" at low risk.
- Every write goes through the ORM's `save()`, one row at a time, so signals (search keys) fire;
  the whole load is one transaction, and ends by recomputing the status of each person it touched.
- The seed load is exempt from per-user history attribution: its history rows carry no user, as
  it is not a staff member's edit.

Confidence. Everything the motion says is recorded as "reported": a motion for a resolution is
tabled by political groups before the vote and restates what others reported ("reportedly shot
dead", "it is being reported"); it is not corroboration, even where it words a fact as its own
finding. Where it reports someone else's claim (the President's "20,000 foreign-trained
terrorists") the citation names who claims it.
"""

import datetime
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import models as m
from .dates import DatePrecision
from .status import recompute_status

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DATA_FILE = FIXTURES_DIR / "motion-b9-0072-2022.json"
ID_NAMESPACE = "b9-0072-2022:"


def seed_public_id(slug: str) -> str:
    """The public id of a seeded record: base32 of sha256("b9-0072-2022:" + slug), 10 chars."""
    number = int.from_bytes(hashlib.sha256((ID_NAMESPACE + slug).encode()).digest(), "big")
    chars = []
    for _ in range(m.PUBLIC_ID_LENGTH):
        number, digit = divmod(number, len(m.PUBLIC_ID_ALPHABET))
        chars.append(m.PUBLIC_ID_ALPHABET[digit])
    return "".join(chars)


def name_slug(person_slug: str, name: str) -> str:
    return f"name:{person_slug.removeprefix('person:')}:{slugify(name)}"


def parse_date(value: str | None) -> tuple[datetime.date | None, str]:
    """'2022-01-08' (day), '2022-01' (month), '2011' (year) or None (unknown)."""
    if not value:
        return None, ""
    parts = [int(p) for p in value.split("-")]
    precision = [DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY][len(parts) - 1]
    return datetime.date(*parts, *[1] * (3 - len(parts))), str(precision)


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    # "<slug> <field>" for each field the register holds differently from the fixture.
    differences: list[str] = field(default_factory=list)

    @property
    def created_count(self) -> int:
        return sum(self.created.values())

    @property
    def present_count(self) -> int:
        return sum(self.present.values())

    def lines(self) -> list[str]:
        lines = [
            f"Motion B9-0072/2022: created {self.created_count}, "
            f"already present {self.present_count}, differing fields {len(self.differences)}."
        ]
        lines += [f"  created {n} {label}" for label, n in sorted(self.created.items())]
        if self.differences:
            lines.append("Differing fields (kept as the register has them):")
            lines += [f"  {difference}" for difference in self.differences]
        return lines


class _Loader:
    def __init__(self, data: dict[str, Any], report: LoadReport):
        self.data = data
        self.report = report
        self.now = timezone.now()
        self.records: dict[str, models.Model] = {}
        self.touched: dict[int, m.Person] = {}

    def ref(self, slug: str | None) -> models.Model | None:
        return self.records[slug] if slug else None

    def ensure(
        self,
        model: type[m.Record],
        slug: str,
        values: dict[str, Any],
        m2m: dict[str, list[models.Model]] | None = None,
    ) -> m.Record:
        """Create the record if missing; otherwise report (never change) what differs."""
        label = "status entries" if model is m.StatusEntry else str(model._meta.verbose_name_plural)
        obj = model.objects.filter(public_id=seed_public_id(slug)).first()
        if obj is None:
            obj = model(
                public_id=seed_public_id(slug),
                publication=m.Publication.PUBLISHED,
                published_at=self.now,
                **values,
            )
            obj.save()
            for name, targets in (m2m or {}).items():
                getattr(obj, name).set(targets)
            self.report.created[label] += 1
            self._touch(obj)
        else:
            self.report.present[label] += 1
            for name, value in values.items():
                attname = model._meta.get_field(name).attname  # "parent_id": no query
                expected = value.pk if isinstance(value, models.Model) else value
                if getattr(obj, attname) != expected:
                    self.report.differences.append(f"{slug} {name}")
            for name, targets in (m2m or {}).items():
                if {t.pk for t in getattr(obj, name).all()} != {t.pk for t in targets}:
                    self.report.differences.append(f"{slug} {name}")
        self.records[slug] = obj
        return obj

    def _touch(self, obj: models.Model) -> None:
        person = obj if isinstance(obj, m.Person) else getattr(obj, "person", None)
        if isinstance(person, m.Person):
            self.touched[person.pk] = person

    def cite(self, target_field: str, slug: str, target: models.Model, cites: list[dict]) -> None:
        for number, cite in enumerate(cites, start=1):
            self.ensure(
                m.Citation,
                f"{slug}#{number}",
                {
                    "source": self.source,
                    "locator": cite["locator"],
                    "quote": cite["quote"],
                    "confidence": cite["confidence"],
                    "claimed_by": cite["claimed_by"],
                    target_field: target,
                },
            )

    def load(self) -> None:
        self.load_places_and_organisations()
        self.load_source()
        roles = self.load_roles()
        self.load_persons(roles)
        self.load_incidents()
        self.load_facts()
        for person in self.touched.values():
            recompute_status(person)

    def load_places_and_organisations(self) -> None:
        for slug, place in self.data["places"].items():
            self.ensure(
                m.Place,
                slug,
                {
                    "name": place["name"],
                    "kind": place["kind"],
                    "parent": self.ref(place.get("parent")),
                },
            )
        for slug, org in self.data["organisations"].items():
            self.ensure(
                m.Organisation,
                slug,
                {
                    "name": org["name"],
                    "kind": org["kind"],
                    "country": self.ref(org["country"]),
                    "other_names": org["other_names"],
                    "description": org["description"],
                },
            )

    def load_source(self) -> None:
        source = self.data["source"]
        # newline="" keeps the text byte for byte, line ends included.
        with open(FIXTURES_DIR / source["full_text_file"], encoding="utf-8", newline="") as f:
            full_text = f.read()
        issued_on, issued_precision = parse_date(source["issued"])
        self.source = self.ensure(
            m.Source,
            source["slug"],
            {
                "title": source["title"],
                "kind": source["kind"],
                "reference": source["reference"],
                "publisher": self.ref(source["publisher"]),
                "issued_on": issued_on,
                "issued_precision": issued_precision,
                "date_as_written": source["date_as_written"],
                "description": source["description"],
                "url": source["url"],
                "full_text": full_text,
            },
        )

    def load_roles(self) -> dict[str, m.Role]:
        roles = {}
        for slug, name in self.data["roles"].items():
            role, created = m.Role.objects.get_or_create(slug=slug, defaults={"name": name})
            if created:
                self.report.created["roles"] += 1
            else:
                self.report.present["roles"] += 1
                if role.name != name:
                    self.report.differences.append(f"role:{slug} name")
            roles[slug] = role
        return roles

    def load_persons(self, roles: dict[str, m.Role]) -> None:
        for slug, p in self.data["persons"].items():
            person = self.ensure(
                m.Person,
                slug,
                {
                    "display_name": p["display_name"],
                    "is_unnamed": p["is_unnamed"],
                    "gender": p["gender"],
                    "occupation": p["occupation"],
                    "summary": p["summary"],
                    "private_notes": p["private_notes"],
                    "consent": m.Consent.PUBLIC_SOURCE,
                    "risk_level": m.RiskLevel.LOW,
                },
                m2m={"roles": [roles[r] for r in p["roles"]]},
            )
            self.cite("person", slug, person, p["cite"])
            for name in p["names"]:
                nslug = name_slug(slug, name["name"])
                person_name = self.ensure(
                    m.PersonName,
                    nslug,
                    {"person": person, "name": name["name"], "kind": name["kind"]},
                )
                self.cite("name", nslug, person_name, name["cite"])

    def load_incidents(self) -> None:
        for slug, i in self.data["incidents"].items():
            started_on, started_precision = parse_date(i["started"])
            ended_on, ended_precision = parse_date(i["ended"])
            incident = self.ensure(
                m.Incident,
                slug,
                {
                    "title": i["title"],
                    "kind": i["kind"],
                    "started_on": started_on,
                    "started_precision": started_precision,
                    "ended_on": ended_on,
                    "ended_precision": ended_precision,
                    "description": i["description"],
                    "parent": self.ref(i["parent"]),
                },
                m2m={"places": [self.records[p] for p in i["places"]]},
            )
            self.cite("incident", slug, incident, i["cite"])
        for slug, f in self.data["figures"].items():
            as_of_on, as_of_precision = parse_date(f["as_of"])
            figure = self.ensure(
                m.Figure,
                slug,
                {
                    "incident": self.ref(f["incident"]),
                    "measure": f["measure"],
                    "qualifier": f["qualifier"],
                    "value": f["value"],
                    "label": f["label"],
                    "as_of_on": as_of_on,
                    "as_of_precision": as_of_precision,
                },
            )
            self.cite("figure", slug, figure, f["cite"])

    def load_facts(self) -> None:
        for slug, i in self.data["involvements"].items():
            occurred_on, occurred_precision = parse_date(i["occurred"])
            involvement = self.ensure(
                m.Involvement,
                slug,
                {
                    "person": self.ref(i["person"]),
                    "incident": self.ref(i["incident"]),
                    "role": i["role"],
                    "occurred_on": occurred_on,
                    "occurred_precision": occurred_precision,
                    "perpetrator": self.ref(i["perpetrator"]),
                    "description": i["description"],
                },
            )
            self.cite("involvement", slug, involvement, i["cite"])
        for slug, d in self.data["detentions"].items():
            started_on, started_precision = parse_date(d["started"])
            ended_on, ended_precision = parse_date(d["ended"])
            detention = self.ensure(
                m.Detention,
                slug,
                {
                    "person": self.ref(d["person"]),
                    "kind": d["kind"],
                    "started_on": started_on,
                    "started_precision": started_precision,
                    "ended_on": ended_on,
                    "ended_precision": ended_precision,
                    "authority": self.ref(d["authority"]),
                    "has_torture_alleged": d["has_torture_alleged"],
                    "has_health_concerns": d["has_health_concerns"],
                    "note": d["note"],
                },
            )
            self.cite("detention", slug, detention, d["cite"])
        for slug, c in self.data["charges"].items():
            charge = self.ensure(
                m.Charge,
                slug,
                {
                    "person": self.ref(c["person"]),
                    "detention": self.ref(c["detention"]),
                    "legal_basis": c["legal_basis"],
                    "wording": c["wording"],
                    "is_politically_motivated": c["is_politically_motivated"],
                    # Blank where the motion states no stage: the model has no "unknown" stage.
                    "stage": c["stage"],
                },
            )
            self.cite("charge", slug, charge, c["cite"])
        for slug, e in self.data["status_entries"].items():
            occurred_on, occurred_precision = parse_date(e["occurred"])
            entry = self.ensure(
                m.StatusEntry,
                slug,
                {
                    "person": self.ref(e["person"]),
                    "status": e["status"],
                    "occurred_on": occurred_on,
                    "occurred_precision": occurred_precision,
                    "date_kind": e["date_kind"],
                    "note": e["note"],
                    "detention": self.ref(e["detention"]),
                    "charge": self.ref(e["charge"]),
                },
            )
            self.cite("status_entry", slug, entry, e["cite"])
        for slug, i in self.data["interventions"].items():
            made_on, made_precision = parse_date(i["made"])
            intervention = self.ensure(
                m.Intervention,
                slug,
                {
                    "kind": i["kind"],
                    "person": self.ref(i["person"]),
                    "incident": self.ref(i["incident"]),
                    "description": i["description"],
                    "made_on": made_on,
                    "made_precision": made_precision,
                },
            )
            self.cite("intervention", slug, intervention, i["cite"])
        for slug, r in self.data["relationships"].items():
            relationship = self.ensure(
                m.Relationship,
                slug,
                {
                    "person": self.ref(r["person"]),
                    "kind": r["kind"],
                    "other": self.ref(r["other"]),
                    "note": r["note"],
                },
            )
            self.cite("relationship", slug, relationship, r["cite"])
        for slug, a in self.data["affiliations"].items():
            affiliation = self.ensure(
                m.Affiliation,
                slug,
                {
                    "person": self.ref(a["person"]),
                    "organisation": self.ref(a["organisation"]),
                    "position": a["position"],
                },
            )
            self.cite("affiliation", slug, affiliation, a["cite"])


def load_motion(*, stdout: TextIO | None = None) -> LoadReport:
    """Load every fact of motion B9-0072/2022; idempotent, and staff edits always win.

    Creates the records the register lacks (by their slug-derived public id), reports fields of
    existing records that differ from the fixture without changing them, and recomputes the
    status of every person it added something to. One transaction: all or nothing. Exempt from
    per-user history attribution (no staff member made these edits). Writes its report to
    `stdout` if given.
    """
    with open(DATA_FILE, encoding="utf-8") as f:
        data = json.load(f)
    report = LoadReport()
    with transaction.atomic():
        _Loader(data, report).load()
    if stdout is not None:
        for line in report.lines():
            stdout.write(line + "\n")
    return report
