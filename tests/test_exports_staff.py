"""Staff-only exports: the rest of the register (roles, places, organisations, sources, names,
relationships, affiliations, figures, involvements, interventions, citations), through the same
field lists and COPY path as every export, and never public.

`make_whole_register` is the register the import round-trip tests (test_import_register.py)
take out and back in."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import QueryDict

from casetracker.cases import models as m
from casetracker.exports import exports
from casetracker.exports.fields import CITED_KINDS, KINDS

from .factories import (
    make_charge,
    make_citation,
    make_detention,
    make_entry,
    make_incident,
    make_person,
    make_place,
    make_source,
)

pytestmark = pytest.mark.django_db

# Values a spreadsheet would run as formulas, and one already quoted.
FORMULAS = ["=1+1", "+7 701", "-minus", "@SUM(A1)", "\ttab", "'=quoted"]
DAY = datetime.date(2022, 1, 6)
STAFF_ONLY = [what for what, kind in KINDS.items() if not kind.public]


def export(what: str, fmt: str = "csv") -> bytes:
    return b"".join(exports.open_stream(what, fmt, {}, staff=True, fast=False))


def rows_of(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def make_whole_register() -> None:
    """One or more records of every kind, every field set somewhere, formula characters in
    every kind of text; references that point forwards in export order (a place listed before
    the country it is in, a merged person listed before the one they were merged into)."""
    eq, plus, minus, at, tab, quoted = FORMULAS
    role = m.Role.objects.create(slug="journalist", name=eq + " Journalist")
    m.Role.objects.create(slug="official", name="Official")

    city = make_place(name="=Almaty", other_names=f"{plus}\nАлматы")  # before its country
    country = make_place(
        name="Kazakhstan",
        kind=m.Place.Kind.COUNTRY,
        latitude=Decimal("48.01900"),
        longitude=Decimal("66.92370"),
    )
    city.parent = country
    city.save()
    prison = make_place(
        name=at + "SIZO-1",
        kind=m.Place.Kind.FACILITY,
        parent=city,
        latitude=Decimal("-43.25000"),
        longitude=Decimal("-0.00001"),
        postal_address=f"{tab} Box 1\nAlmaty",
        has_public_address=True,
        publication=m.Publication.DRAFT,
    )
    police = m.Organisation.objects.create(
        name=minus + "Police",  # before its ministry
        kind=m.Organisation.Kind.SECURITY_FORCE,
        country=country,
        other_names=quoted,
        description=eq,
        publication=m.Publication.PUBLISHED,
    )
    ministry = m.Organisation.objects.create(
        name="Ministry of Internal Affairs", kind=m.Organisation.Kind.STATE_BODY
    )
    police.parent = ministry
    police.save()

    motion = make_source(
        title="Motion for a resolution",
        kind=m.Source.Kind.MOTION,
        reference="B9-0072/2022",
        publisher=ministry,
        issued_on=datetime.date(2022, 1, 1),
        issued_precision="month",
        date_as_written="01.06.2022",
        url="https://www.europarl.europa.eu/doceo/document/B-9-2022-0072_EN.html",
        full_text=f"{eq}\n{tab}text",
        description=plus,
    )
    secret = make_source(
        title=at + "Testimony",
        kind=m.Source.Kind.TESTIMONY,
        is_confidential=True,
        notes=minus + "private",
        publication=m.Publication.DRAFT,
    )

    # The merged-away record comes first in export order (same name, older).
    merged = make_person(display_name=eq + "Aigerim", publication=m.Publication.DRAFT)
    person = make_person(
        display_name=eq + "Aigerim",
        birth_year=1980,
        gender="female",
        citizenship=country,
        occupation=plus + "journalist",
        summary=minus + "summary\nwith lines",
        private_notes=at + "notes",
        consent=m.Consent.GIVEN,
        status_verified_on=DAY,
    )
    person.roles.add(role)
    merged.merged_into = person
    merged.save()
    unnamed = make_person(
        display_name=tab + "daughter, 15",
        is_unnamed=True,
        consent=m.Consent.WITHHELD,
        risk_level=m.RiskLevel.HIGH,
        publication=m.Publication.DRAFT,
        is_demo=True,
    )
    native = m.PersonName.objects.create(
        person=person, name="Айгерим", kind="native_script", publication="published"
    )
    alias = m.PersonName.objects.create(person=person, name=quoted, kind="alias")
    relationship = m.Relationship.objects.create(
        person=unnamed, kind="child_of", other=person, note=minus
    )
    affiliation = m.Affiliation.objects.create(
        person=person,
        organisation=police,
        position=at + "officer",
        started_on=datetime.date(2010, 1, 1),
        started_precision="year",
        ended_on=datetime.date(2021, 5, 1),
        ended_precision="month",
        publication="published",
    )

    child = make_incident(  # listed before its parent: it starts earlier
        title=eq + "Shooting",
        kind=m.Incident.Kind.SHOOTING,
        started_on=datetime.date(2022, 1, 1),
        started_precision="day",
        ended_on=datetime.date(2022, 1, 2),
        ended_precision="day",
        description=plus,
        private_notes=tab + "notes",
        is_demo=True,
    )
    crackdown = make_incident(
        title="Crackdown",
        kind=m.Incident.Kind.CRACKDOWN,
        started_on=datetime.date(2022, 1, 2),
        started_precision="day",
    )
    child.parent = crackdown
    child.save()
    child.places.set([city, country])
    figure = m.Figure.objects.create(
        incident=crackdown,
        measure="killed",
        qualifier="at_least",
        value=164,
        label=minus + "dead",
        as_of_on=datetime.date(2022, 1, 11),
        as_of_precision="day",
    )
    involvement = m.Involvement.objects.create(
        person=person,
        incident=child,
        role="injured",
        occurred_on=DAY,
        occurred_precision="day",
        perpetrator=police,
        description=at,
        publication="published",
    )

    detention = make_detention(
        person,
        kind=m.Detention.Kind.PRE_TRIAL_DETENTION,
        started_on=DAY,
        started_precision="day",
        ended_on=datetime.date(2022, 3, 1),
        ended_precision="month",
        place=city,
        facility=prison,
        authority=police,
        is_incommunicado=True,
        has_torture_alleged=True,
        has_lawyer_denied=True,
        has_health_concerns=True,
        whereabouts="known",
        note=eq,
    )
    charge = make_charge(
        person,
        detention=detention,
        legal_basis=plus + "art. 272",
        wording=minus,
        is_politically_motivated=True,
        stage=m.Charge.Stage.CONVICTED,
        filed_on=datetime.date(2022, 1, 1),
        filed_precision="year",
        stage_on=datetime.date(2022, 2, 1),
        stage_precision="month",
        sentence=eq + "5 years",
    )
    make_charge(unnamed, legal_basis="", wording=tab, stage="", publication="draft")
    entry = make_entry(person, detention=detention, charge=charge, note=at)
    make_entry(
        person,
        status=m.Status.RELEASED,
        occurred_on=datetime.date(2022, 3, 1),
        occurred_precision="month",
        date_kind="as_reported",
        publication="draft",
        is_demo=True,
    )
    make_entry(unnamed, status=m.Status.WHEREABOUTS_UNKNOWN, occurred_on=None)
    intervention = m.Intervention.objects.create(
        kind="release_call",
        person=person,
        by=ministry,
        description=eq + "named for release in motion B9-0072/2022, para 12",
        made_on=datetime.date(2022, 1, 1),
        made_precision="month",
        publication="published",
    )
    m.Intervention.objects.create(kind="statement", incident=child, description=plus)

    facts = [
        person,
        native,
        alias,
        relationship,
        affiliation,
        child,
        figure,
        involvement,
        detention,
        charge,
        entry,
        intervention,
    ]
    for i, fact in enumerate(facts):
        field = next(f for f, model in m.CITED_MODELS if model == type(fact).__name__)
        make_citation(
            motion if i % 3 else secret,
            locator=FORMULAS[i % len(FORMULAS)],
            quote=FORMULAS[(i + 1) % len(FORMULAS)] + " quoted words",
            confidence=["reported", "corroborated", "confirmed"][i % 3],
            claimed_by=minus + "President" if i % 2 else "",
            publication="draft" if i % 4 == 0 else "published",
            **{field: fact},
        )
    make_citation(motion, person=person, locator="recital 4")  # a second one on one fact


def test_the_register_has_every_kind_and_every_citable_fact():
    make_whole_register()
    for what, kind in KINDS.items():
        assert kind.model.objects.exists(), what
    assert {row["cites"] for row in rows_of(export("citations"))} == set(CITED_KINDS.values())
    assert set(CITED_KINDS) == {name for name, _model in m.CITED_MODELS}


def test_the_other_kinds_are_staff_exports_only(client, staff_client):
    make_whole_register()
    for what in STAFF_ONLY:
        assert staff_client.get(f"/staff/export/{what}.csv").status_code == 200
        assert client.get(f"/export/{what}.csv").status_code == 404
        assert KINDS[what].columns(False, "") == []
        with pytest.raises(LookupError):
            exports.select(what, {}, staff=False)
        with pytest.raises(CommandError, match="staff export only"):
            call_command("export", what, "--output", "-")


def test_a_citation_row_names_its_source_and_the_record_it_backs():
    make_whole_register()
    citation = m.Citation.objects.get(affiliation__isnull=False)
    [row] = [r for r in rows_of(export("citations")) if r["public_id"] == citation.public_id]
    assert row == {
        "public_id": citation.public_id,
        "source_id": citation.source.public_id,
        "cites": "affiliations",
        "cites_id": citation.affiliation.public_id,
        "locator": "'\ttab",
        "quote": "''=quoted quoted words",  # already quoted: one more quote
        "confidence": "corroborated",
        "claimed_by": "",
        "publication": "draft",
    }


@pytest.mark.parametrize("what", STAFF_ONLY)
def test_a_staff_only_export_reads_its_rows_in_one_query(
    staff_client, django_assert_num_queries, what
):
    make_whole_register()
    response = staff_client.get(f"/staff/export/{what}.jsonl")
    # the rows, joined with the records their reference columns name; the export log's count
    with django_assert_num_queries(2):
        body = b"".join(response.streaming_content)
    assert len(body.splitlines()) == KINDS[what].model.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copy_writes_every_staff_export_as_the_general_path():
    # COPY reads on a connection of its own, so the rows are committed here.
    make_whole_register()
    for what in KINDS:
        selection = exports.select(what, QueryDict(), staff=True, base_url="https://x.org")
        general = rows_of(b"".join(exports.CsvStream(selection)))
        fast = rows_of(b"".join(exports.CopyStream(selection)))
        assert len(general) > 0, what
        assert fast == general, what
