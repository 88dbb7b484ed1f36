"""A whole register out and back in: every kind exported, imported into an empty database, and
exported again, byte for byte; with the checks that keep such an import whole or refused."""

import csv
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from casetracker.cases import models as m
from casetracker.cases.seeding import load_motion
from casetracker.exports import exports
from casetracker.exports.fields import KINDS
from casetracker.imports.models import ImportBatch, ImportRow
from casetracker.imports.parsing import IMPORTABLE, expected_columns
from casetracker.search.models import SearchKey
from tests.factories import make_citation, make_entry, make_person, make_place, make_source
from tests.test_exports_staff import export, make_whole_register

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def export_all(fmt: str = "csv") -> dict[str, bytes]:
    return {kind: export(kind, fmt) for kind in IMPORTABLE}


def upload(client, files: list[tuple[str, bytes]]) -> ImportBatch:
    payload = []
    for name, content in files:
        f = io.BytesIO(content)
        f.name = name
        payload.append(f)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("admin:imports_importbatch_upload"), {"files": payload})
    return ImportBatch.objects.latest("id")


def confirm(client, batch: ImportBatch) -> ImportBatch:
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("admin:imports_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    return batch


def empty_database(client, django_user_model):
    """Every table emptied (`manage.py flush`), then one administrator signed in again."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # TRUNCATE refuses tables with foreign-key checks still deferred in this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert not m.Person.objects.exists() and not m.Role.objects.exists()
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "x" * 16)
    client.force_login(user)
    return user


def import_files(client, files: list[tuple[str, bytes]]) -> ImportBatch:
    batch = upload(client, files)
    assert batch.state == ImportBatch.State.STAGED, batch.error
    refused = list(batch.rows.filter(action=ImportRow.Action.REFUSE).values("sheet", "messages"))
    assert refused == []
    batch = confirm(client, batch)
    assert batch.state == ImportBatch.State.DONE, batch.error
    return batch


def search_keys() -> list[tuple]:
    return sorted(
        SearchKey.objects.values_list(
            "kind",
            "field",
            "text",
            "key",
            "is_public",
            "person__public_id",
            "name__public_id",
            "place__public_id",
            "incident__public_id",
        )
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_whole_register_survives_export_and_import_into_an_empty_database(
    client, django_user_model, fmt
):
    make_whole_register()
    before = export_all("csv")
    sheets_before = {kind: _cells(export(kind, "xlsx")) for kind in IMPORTABLE}
    keys_before = search_keys()
    files = [(f"casetracker-{kind}.{fmt}", export(kind, fmt)) for kind in IMPORTABLE]

    user = empty_database(client, django_user_model)
    import_files(client, files)

    after = export_all("csv")
    for kind in IMPORTABLE:
        assert after[kind] == before[kind], kind
        assert _cells(export(kind, "xlsx")) == sheets_before[kind], kind
    assert search_keys() == keys_before
    # Every imported record has its history row, by the staff member who confirmed.
    for kind in IMPORTABLE:
        model = KINDS[kind].model
        if not hasattr(model, "history"):
            continue  # roles are a vocabulary without history
        records = set(model.objects.values_list("pk", flat=True))
        written = set(model.history.filter(history_user=user).values_list("id", flat=True))
        assert records and records <= written, kind


def test_formula_characters_survive_in_every_kind_of_text(client, django_user_model):
    make_whole_register()
    files = [(f"{kind}.xlsx", export(kind, "xlsx")) for kind in IMPORTABLE]
    empty_database(client, django_user_model)
    import_files(client, files)

    place = m.Place.objects.get(kind=m.Place.Kind.FACILITY)
    assert place.name == "@SUM(A1)SIZO-1"
    assert place.postal_address == "\ttab Box 1\nAlmaty"
    assert place.longitude == Decimal("-0.00001")
    assert m.Organisation.objects.get(kind="security_force").other_names == "'=quoted"
    assert m.Role.objects.get(slug="journalist").name == "=1+1 Journalist"
    person = m.Person.objects.get(birth_year=1980)
    assert person.display_name == "=1+1Aigerim"
    assert person.summary == "-minussummary\nwith lines"
    assert m.Person.objects.get(is_unnamed=True).display_name == "\ttabdaughter, 15"
    citation = m.Citation.objects.get(affiliation__isnull=False)
    assert (citation.locator, citation.quote) == ("\ttab", "'=quoted quoted words")


def test_names_keep_their_kind_and_citations_their_quote_and_claim(client, django_user_model):
    make_whole_register()
    files = [(f"{kind}.csv", export(kind)) for kind in IMPORTABLE]
    empty_database(client, django_user_model)
    import_files(client, files)

    person = m.Person.objects.get(birth_year=1980)
    assert set(person.names.values_list("name", "kind", "publication")) == {
        ("Айгерим", "native_script", "published"),
        ("'=quoted", "alias", "draft"),
    }
    claimed = m.Citation.objects.exclude(claimed_by="")
    assert claimed.exists()
    assert {c.claimed_by for c in claimed} == {"-minusPresident"}
    assert m.Citation.objects.filter(quote__endswith=" quoted words").count() == 12
    merged = m.Person.objects.get(merged_into=person)
    assert merged.display_name == person.display_name
    assert not m.Person.objects.public().filter(pk=merged.pk).exists()
    assert person.status == m.Status.RELEASED  # recomputed from the imported timeline


def test_the_motion_survives_a_round_trip_in_time(client, django_user_model):
    load_motion()
    before = export_all("csv")
    files = [(f"{kind}.csv", content) for kind, content in before.items()]
    empty_database(client, django_user_model)

    started = time.monotonic()
    batch = import_files(client, files)
    elapsed = time.monotonic() - started

    assert batch.rows_done == sum(len(_rows(content)) for content in before.values())
    assert export_all("csv") == before
    assert elapsed < 30


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _cells(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# Checks that keep an import of the other kinds whole or refused


def table(kind: str, *rows: dict, drop: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """A CSV file of `kind` in the staff export's columns (less `drop`), cells as given."""
    columns = [c for c in expected_columns(kind) if c not in drop]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return f"{kind}.csv", out.getvalue().encode()


def messages_of(batch: ImportBatch) -> list[str]:
    return [text for row in batch.rows.order_by("order", "line") for text in row.messages]


def test_a_citation_of_a_record_in_neither_file_nor_register_is_refused(staff_client):
    source = make_source(title="Motion", reference="B9-0072/2022")
    batch = upload(
        staff_client,
        [
            table(
                "citations",
                {"source_id": source.public_id, "cites": "persons", "cites_id": "zzzzzzzz"},
                {"source_id": "yyyyyyyy", "cites": "detentions", "cites_id": "xxxxxxxx"},
                {"source_id": source.public_id, "cites": "planets", "cites_id": "wwwwwwww"},
            )
        ],
    )

    assert messages_of(batch) == [
        "cites_id: zzzzzzzz is in neither the file nor the register.",
        "source_id: yyyyyyyy is in neither the file nor the register.",
        "cites_id: xxxxxxxx is in neither the file nor the register.",
        "cites: 'planets' is not one of: persons, names, relationships, affiliations, "
        "incidents, figures, involvements, detentions, charges, timeline, interventions.",
    ]
    assert set(batch.rows.values_list("action", flat=True)) == {ImportRow.Action.REFUSE}


def test_references_to_rows_of_the_same_upload_are_followed_in_any_file_order(staff_client):
    country = {"public_id": "kz000001", "name": "Kazakhstan", "kind": "country"}
    city = {"public_id": "alm00001", "name": "Almaty", "kind": "city", "parent_id": "kz000001"}
    prison = {"public_id": "sizo0001", "name": "SIZO", "kind": "facility", "parent_id": "alm00001"}
    person = {
        "public_id": "per00001",
        "display_name": "Aigerim Test",
        "citizenship_id": "kz000001",
        "consent": "unknown",
        "risk_level": "low",
        "publication": "draft",
    }
    detention = {
        "public_id": "det00001",
        "person_id": "per00001",
        "kind": "police_custody",
        "facility_id": "sizo0001",
        "whereabouts": "known",
        "publication": "draft",
    }
    files = [
        table("detentions", detention),
        table("persons", person),
        table("places", prison, city, country),  # each place before the one it is in
    ]

    batch = confirm(staff_client, upload(staff_client, files))

    assert batch.state == ImportBatch.State.DONE, batch.error
    prison = m.Place.objects.get(public_id="sizo0001")
    assert prison.parent.parent.public_id == "kz000001"
    assert prison.history.get().parent_id == prison.parent_id  # one history row, complete
    assert m.Detention.objects.get().facility == prison
    assert m.Person.objects.get().citizenship.name == "Kazakhstan"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [
                table(
                    "places",
                    {"public_id": "loop0001", "name": "A", "kind": "city", "parent_id": "loop0002"},
                    {"public_id": "loop0002", "name": "B", "kind": "city", "parent_id": "loop0001"},
                )
            ],
            "parent_id: loop0001 would be within itself.",
        ),
        (
            [
                table("places", {"public_id": "city0001", "name": "Almaty", "kind": "city"}),
                table(
                    "persons",
                    {
                        "display_name": "X",
                        "citizenship_id": "city0001",
                        "consent": "unknown",
                        "risk_level": "low",
                    },
                ),
            ],
            "citizenship_id: city0001 is not a country.",
        ),
        (
            [
                table(
                    "relationships",
                    {"person_id": "{person}", "other_id": "{person}", "kind": "child_of"},
                )
            ],
            "A relationship links two different persons.",
        ),
        (
            [table("interventions", {"kind": "statement", "description": "x"})],
            "An intervention concerns a person or an incident.",
        ),
        (
            [table("names", {"person_id": "{person}", "name": "Айгерим", "kind": "native_script"})],
            "This person already has this name",
        ),
        (
            [
                table(
                    "persons",
                    {
                        "public_id": "{person}",
                        "display_name": "Aigerim Test",
                        "consent": "public_source",
                        "risk_level": "low",
                        "publication": "published",
                        "merged_into_id": "{other}",
                    },
                )
            ],
            "merged_into_id: an import does not merge persons",
        ),
        (
            [
                table(
                    "citations",
                    {
                        "public_id": "{citation}",
                        "source_id": "{source}",
                        "cites": "persons",
                        "cites_id": "{other}",
                    },
                )
            ],
            "an import does not move a citation to another record",
        ),
        (
            [table("places", {"name": "North", "kind": "city", "latitude": "91"})],
            "Latitude must be between -90 and 90.",
        ),
        (
            [
                table(
                    "figures",
                    {"incident_id": "nothing1", "measure": "killed", "value": "many", "label": "x"},
                )
            ],
            "value: 'many' is not a whole number.",
        ),
    ],
)
def test_rows_of_the_other_kinds_are_refused_with_the_reason(staff_client, files, message):
    source = make_source(title="Motion", reference="B9-0072/2022")
    person = make_person(display_name="Aigerim Test")
    other = make_person(display_name="Second Person")
    m.PersonName.objects.create(person=person, name="Айгерим", kind="native_script")
    citation = make_citation(source, person=person)
    ids = {"person": person.public_id, "other": other.public_id, "source": source.public_id}
    ids["citation"] = citation.public_id
    files = [(name, content.decode().format(**ids).encode()) for name, content in files]

    batch = upload(staff_client, files)

    assert batch.state == ImportBatch.State.STAGED, batch.error
    assert any(text.startswith(message) or message in text for text in messages_of(batch)), (
        messages_of(batch)
    )
    assert confirm(staff_client, batch).state == ImportBatch.State.STAGED  # nothing confirmed


def test_an_older_export_without_the_added_columns_still_imports(staff_client):
    person = make_person(display_name="Aigerim Test")
    make_entry(person)
    persons = export("persons").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(persons)))
    timeline = list(csv.DictReader(io.StringIO(export("timeline").decode("utf-8-sig"))))
    rows[0]["display_name"] = "Aigerim Renamed"

    batch = upload(
        staff_client,
        [
            table(
                "persons", *[_without(r, "merged_into_id") for r in rows], drop=("merged_into_id",)
            ),
            table("timeline", *[_without(r, "is_demo") for r in timeline], drop=("is_demo",)),
        ],
    )
    batch = confirm(staff_client, batch)

    assert batch.state == ImportBatch.State.DONE, batch.error
    person.refresh_from_db()
    assert (person.display_name, person.version) == ("Aigerim Renamed", 2)


def _without(row: dict, column: str) -> dict:
    return {k: v for k, v in row.items() if k != column}


def test_a_change_in_the_register_before_applying_writes_nothing_of_any_kind(staff_client):
    country = make_place(name="Kazakhstan", kind=m.Place.Kind.COUNTRY)
    files = [
        table(
            "places",
            {
                "public_id": "alm00001",
                "name": "Almaty",
                "kind": "city",
                "parent_id": country.public_id,
            },
        ),
        table(
            "organisations",
            {
                "public_id": "pol00001",
                "name": "Police",
                "kind": "security_force",
                "country_id": country.public_id,
            },
        ),
        table("names", {"person_id": "per00001", "name": "Айгерим", "kind": "native_script"}),
        table(
            "persons",
            {
                "public_id": "per00001",
                "display_name": "Aigerim Test",
                "consent": "unknown",
                "risk_level": "low",
            },
        ),
    ]
    batch = upload(staff_client, files)
    assert batch.state == ImportBatch.State.STAGED, batch.error
    country.delete()  # the country the rows name disappears between preview and apply

    batch = confirm(staff_client, batch)

    assert batch.state == ImportBatch.State.FAILED
    assert "register changed since the preview" in batch.error
    assert not m.Place.objects.exists()
    assert not m.Organisation.objects.exists()
    assert not m.Person.objects.exists()
    assert not m.PersonName.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_what_copy_writes_imports_back_identical(client, django_user_model):
    # COPY reads on a connection of its own, so the rows are committed here.
    make_whole_register()
    before = {
        kind: b"".join(exports.open_stream(kind, "csv", {}, staff=True)) for kind in IMPORTABLE
    }

    empty_database(client, django_user_model)
    import_files(client, [(f"{kind}.csv", content) for kind, content in before.items()])

    after = {
        kind: b"".join(exports.open_stream(kind, "csv", {}, staff=True)) for kind in IMPORTABLE
    }
    assert after == before
