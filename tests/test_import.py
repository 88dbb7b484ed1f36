"""Imports: staff files in, checked row by row, written all at once or not at all."""

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from casetracker.cases import models as m
from casetracker.imports.applying import apply_batch, report_progress
from casetracker.imports.models import ImportBatch, ImportRow
from casetracker.search.indexing import reindex_persons
from casetracker.staff.retired import retire
from tests.factories import make_citation, make_entry, make_person, make_source
from tests.test_exports_staff import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def upload(client, *files: tuple[str, bytes]):
    payload = [io.BytesIO(content) for _name, content in files]
    for f, (name, _content) in zip(payload, files, strict=True):
        f.name = name
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("admin:imports_importbatch_upload"), {"files": payload})


def last_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def confirm(client, batch: ImportBatch):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("admin:imports_importbatch_confirm", args=[batch.pk]))


def make_register():
    source = make_source(title="Motion", reference="B9-0072/2022")
    person = make_person(display_name="Aigerim Test", birth_year=1980)
    make_citation(source, person=person, locator="para 12")
    entry = make_entry(person)
    make_citation(source, status_entry=entry, locator="para 4")
    return source, person


def test_a_file_is_previewed_and_nothing_is_written_until_confirmed(staff_client):
    make_register()
    persons = export("persons")
    m.Person.objects.all().delete()

    response = upload(staff_client, ("casetracker-persons.csv", persons))

    batch = last_batch()
    assert response.status_code == 302
    assert batch.state == ImportBatch.State.STAGED
    assert list(batch.rows.values_list("action", flat=True)) == ["create"]
    assert not m.Person.objects.exists()
    page = staff_client.get(reverse("admin:imports_importbatch_preview", args=[batch.pk]))
    assert b"import-confirm" in page.content


def test_confirmed_import_restores_records_with_their_ids_and_history(staff_client):
    _source, person = make_register()
    files = [("persons.csv", export("persons")), ("timeline.csv", export("timeline"))]
    public_id = person.public_id
    m.Person.objects.all().delete()

    upload(staff_client, *files)
    confirm(staff_client, last_batch())

    batch = last_batch()
    assert batch.state == ImportBatch.State.DONE, batch.error
    restored = m.Person.objects.get(public_id=public_id)
    assert restored.status == m.Status.DETAINED  # recomputed from the imported timeline
    assert restored.history.get().history_user.username == "admin"
    assert restored.citations.get().locator == "para 12"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_export_import_export_is_identical(staff_client, fmt):
    source, person = make_register()
    person.summary = "=HYPERLINK(1) +and -more @x"
    person.save()
    reindex_persons([person.pk])
    other = make_person(display_name="-Second Person", publication=m.Publication.DRAFT)
    detention = m.Detention.objects.create(person=other, kind="pre_trial_detention", note="+1")
    make_citation(source, detention=detention, locator="")
    m.Charge.objects.create(
        person=other, detention=detention, stage="trial", legal_basis="art. 272"
    )
    kinds = ["persons", "detentions", "charges", "timeline"]
    before = {kind: export(kind, "csv") for kind in kinds}
    if fmt == "csv":
        files = [(f"{kind}.csv", before[kind]) for kind in kinds]
    else:
        files = [("register.xlsx", _workbook({kind: export(kind, "xlsx") for kind in kinds}))]
    m.Person.objects.all().delete()

    upload(staff_client, *files)
    assert last_batch().state == ImportBatch.State.STAGED, last_batch().error
    confirm(staff_client, last_batch())

    assert last_batch().state == ImportBatch.State.DONE, last_batch().error
    assert {kind: export(kind, "csv") for kind in kinds} == before


def _workbook(parts: dict[str, bytes]) -> bytes:
    from openpyxl import load_workbook

    book = Workbook()
    book.remove(book.active)
    for kind, content in parts.items():
        sheet = book.create_sheet(kind)
        for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True):
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_known_public_id_updates_the_record(staff_client):
    _source, person = make_register()
    text = export("persons").decode("utf-8-sig").replace("Aigerim Test", "Aigerim Renamed")

    upload(staff_client, ("persons.csv", text.encode()))
    assert last_batch().rows.get().action == "update"
    confirm(staff_client, last_batch())

    person.refresh_from_db()
    assert person.display_name == "Aigerim Renamed"
    assert person.version == 2


def test_a_retired_public_id_is_refused(staff_client):
    _source, person = make_register()
    persons = export("persons")
    retire(person.public_id, "merged")

    upload(staff_client, ("persons.csv", persons))

    row = last_batch().rows.get()
    assert row.action == "refuse"
    assert "purged or merged" in row.messages[0]
    assert confirm(staff_client, last_batch()).status_code == 302
    assert last_batch().state == ImportBatch.State.STAGED


def test_a_possible_duplicate_is_offered_for_a_decision(staff_client):
    _source, person = make_register()
    header = export("persons").decode("utf-8-sig").splitlines()[0]
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row.update(
        display_name="Aygerim Test",
        birth_year="1980",
        consent="unknown",
        risk_level="low",
        publication="draft",
    )
    text = header + "\r\n" + ",".join(row[c] for c in columns) + "\r\n"

    upload(staff_client, ("persons.csv", text.encode()))
    staged = last_batch().rows.get()
    assert [d["public_id"] for d in staged.duplicates] == [person.public_id]
    assert not confirm(staff_client, last_batch()).url.endswith("done")
    assert last_batch().state == ImportBatch.State.STAGED  # undecided: not confirmed

    staff_client.post(
        reverse("admin:imports_importbatch_decide", args=[last_batch().pk]),
        {f"decision-{staged.pk}": person.public_id},
    )
    confirm(staff_client, last_batch())

    assert last_batch().state == ImportBatch.State.DONE, last_batch().error
    assert m.Person.objects.count() == 1
    assert "Aygerim Test" in person.names.values_list("name", flat=True)


def _edit(kind: str, old: str, new: str) -> bytes:
    # The last occurrence: the columns derived from the person come first.
    head, _sep, tail = export(kind).decode("utf-8-sig").rpartition(old)
    return (head + new + tail).encode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("persons.csv", "Aigerim Тест".encode("cp1251") + b"\r\n", "not UTF-8"),
        ("persons.csv", b"public_id,display_name\r\nabc,x\r\n", "lacks columns"),
        ("notes.csv", b"colour,size\r\nred,1\r\n", "not one of the staff exports"),
        ("book.xlsx", b"PK not really", "not a readable XLSX"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(staff_client, name, content, message):
    response = upload(staff_client, (name, content))

    assert response.status_code == 302
    batch = last_batch()
    assert batch.state == ImportBatch.State.REJECTED
    assert message in batch.error
    page = staff_client.get(response.url)
    assert message.encode() in page.content


def test_an_unknown_column_is_refused(staff_client):
    make_register()
    text = export("persons").decode("utf-8-sig").replace("summary", "favourite_colour", 1)

    upload(staff_client, ("persons.csv", text.encode()))

    assert "favourite_colour" in last_batch().error


@pytest.mark.parametrize(
    ("kind", "old", "new", "message"),
    [
        ("timeline", "2022-01-06", "06/01/2022", "not a date written YYYY-MM-DD"),
        ("timeline", ",detained,", ",jailed,", "'jailed' is not one of"),
        ("persons", ",low,", ",extreme,", "'extreme' is not one of"),
    ],
)
def test_bad_values_refuse_their_row(staff_client, kind, old, new, message):
    make_register()

    upload(staff_client, (f"{kind}.csv", _edit(kind, old, new)))

    row = last_batch().rows.get()
    assert row.action == ImportRow.Action.REFUSE
    assert any(message in text for text in row.messages), row.messages


def test_a_reference_to_a_record_in_neither_file_nor_register_is_refused(staff_client):
    _source, person = make_register()
    timeline = _edit("timeline", person.public_id, "zzzzzzzzzz")

    upload(staff_client, ("timeline.csv", timeline))

    row = last_batch().rows.get()
    assert "person_id: zzzzzzzzzz is in neither the file nor the register." in row.messages


def test_an_upload_over_the_size_limit_is_refused(staff_client, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1

    response = upload(staff_client, ("persons.csv", b"x" * (1024 * 1024 + 1)))

    assert response.status_code == 200
    assert b"imports take at most 1 MB" in response.content
    assert not ImportBatch.objects.exists()


def test_a_failure_while_applying_writes_nothing(staff_client, django_user_model):
    make_register()
    files = [("persons.csv", export("persons")), ("timeline.csv", export("timeline"))]
    m.Person.objects.all().delete()
    upload(staff_client, *files)
    batch = last_batch()
    # The register changes between preview and apply: the source the rows cite disappears.
    m.Source.objects.all().delete()
    batch.state = ImportBatch.State.QUEUED
    batch.confirmed_by = batch.user
    batch.save()

    apply_batch(batch)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert "register changed since the preview" in batch.error
    assert not m.Person.objects.exists()
    assert not m.StatusEntry.objects.exists()


def test_an_editor_without_add_permission_cannot_import(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="x" * 16, is_staff=True)
    client.force_login(user)

    response = client.get(reverse("admin:imports_importbatch_upload"))

    assert response.status_code == 403


def test_progress_shows_rows_done_and_refreshes_while_applying(staff_client):
    make_register()
    upload(staff_client, ("persons.csv", export("persons")))
    batch = last_batch()
    batch.state = ImportBatch.State.APPLYING
    batch.row_count = 100_000
    batch.save()
    report_progress(batch.pk, 40_000)

    page = staff_client.get(reverse("admin:imports_importbatch_preview", args=[batch.pk]))

    assert b"40,000 of 100,000 rows" in page.content
    assert b'<meta http-equiv="refresh" content="3">' in page.content
    assert b"<script" not in page.content.split(b"import-state")[1]


def test_a_preview_shows_why_a_row_is_refused(staff_client):
    _source, person = make_register()
    upload(staff_client, ("timeline.csv", _edit("timeline", person.public_id, "zzzzzzzzzz")))

    page = staff_client.get(reverse("admin:imports_importbatch_preview", args=[last_batch().pk]))

    assert b"zzzzzzzzzz is in neither the file nor the register" in page.content
    assert b"import-confirm" not in page.content


def test_a_row_without_public_id_is_a_new_person_once_staff_say_so(staff_client):
    _source, person = make_register()
    header = export("persons").decode("utf-8-sig").splitlines()[0]
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row.update(display_name="Aigerim Test", consent="unknown", risk_level="low")
    row.update(publication="draft", sources="B9-0072/2022 para 3 (corroborated)")
    text = header + "\r\n" + ",".join(row[c] for c in columns) + "\r\n"
    upload(staff_client, ("persons.csv", text.encode()))

    staff_client.post(
        reverse("admin:imports_importbatch_decide", args=[last_batch().pk]), {"all_new": "1"}
    )
    confirm(staff_client, last_batch())

    assert last_batch().state == ImportBatch.State.DONE, last_batch().error
    new = m.Person.objects.exclude(pk=person.pk).get()
    assert new.public_id != person.public_id
    citation = new.citations.get()
    assert (citation.locator, citation.confidence) == ("para 3", "corroborated")


def test_the_preview_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    make_register()
    upload(staff_client, ("persons.csv", export("persons")), ("timeline.csv", export("timeline")))
    url = reverse("admin:imports_importbatch_preview", args=[last_batch().pk])

    # session, user, the batch, counts by kind and action, undecided duplicates, the page's
    # row count, the page's rows: the same however many rows the batch has.
    with django_assert_num_queries(7):
        response = staff_client.get(url)
    assert response.status_code == 200
