import csv
import datetime
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import RequestFactory
from openpyxl import load_workbook

from casetracker.cases import models as m
from casetracker.cases.public import PUBLIC_FIELDS
from casetracker.exports import exports
from casetracker.exports.fields import KINDS
from casetracker.exports.models import ExportLog
from casetracker.exports.templatetags.exports import export_links, export_urls

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

MARKER = "zqxmarker"
WHATS = ["persons", "detentions", "charges", "timeline", "incidents"]
FORMATS = ["csv", "xlsx", "json", "jsonl"]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "jsonl": "application/jsonl",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Exports are rationed per client (casetracker.security); each test starts a new window.
    cache.clear()


@pytest.fixture(autouse=True)
def _general_path(monkeypatch):
    # CSV on PostgreSQL comes from COPY on a connection of its own, which cannot see a test's
    # uncommitted rows; here every format takes the general path. test_exports_copy.py runs COPY
    # in committed transactions and proves it gives the same rows.
    monkeypatch.setattr(exports, "uses_copy", lambda using="default": False)


@pytest.fixture
def register():
    """One of each public record; beside it, a marker in everything that is not public."""
    motion = make_source(title="Motion", reference="B9-0072/2022")
    secret = make_source(title=f"Secret {MARKER}", is_confidential=True)
    draft_source = make_source(title=f"Draft {MARKER}", publication=m.Publication.DRAFT)
    city = make_place(name="Almaty")
    draft_place = make_place(name=f"Place {MARKER}", publication=m.Publication.DRAFT)

    person = make_person(
        display_name="Aigerim Test", private_notes=f"notes {MARKER}", citizenship=draft_place
    )
    m.PersonName.objects.create(
        person=person, name="Айгерим", kind="native_script", publication="published"
    )
    m.PersonName.objects.create(person=person, name=f"Name {MARKER}", kind="alias")
    make_citation(motion, person=person, locator="recital 17")
    make_citation(secret, person=person, locator=f"p. {MARKER}")
    make_citation(draft_source, person=person)
    make_citation(motion, person=person, locator=f"para {MARKER}", publication="draft")

    detention = make_detention(
        person, place=city, started_on=datetime.date(2022, 1, 6), started_precision="day"
    )
    make_citation(motion, detention=detention, locator="para 12", confidence="corroborated")
    make_detention(person, kind="pre_trial_detention", note=f"draft {MARKER}", publication="draft")
    charge = make_charge(person, detention=detention)
    make_charge(person, wording=f"draft {MARKER}", publication="draft")
    entry = make_entry(
        person,
        status=m.Status.PRE_TRIAL_DETENTION,
        detention=detention,
        date_kind="as_reported",
        occurred_on=datetime.date(2022, 1, 18),
    )
    make_citation(motion, status_entry=entry, locator="para 12")
    make_entry(
        person,
        status=m.Status.RELEASED,
        occurred_on=datetime.date(2022, 2, 1),
        note=f"draft {MARKER}",
        publication="draft",
    )

    hidden = make_person(display_name=f"Hidden {MARKER}", publication="draft")
    make_detention(hidden, note=f"hidden {MARKER}", publication="published")
    make_charge(hidden, wording=f"hidden {MARKER}")
    make_entry(hidden, note=f"hidden {MARKER}")
    withheld = make_person(
        display_name=f"Withheld {MARKER}", consent=m.Consent.WITHHELD, publication="draft"
    )
    make_entry(withheld, note=f"withheld {MARKER}")

    incident = make_incident(title="Protest in Almaty", private_notes=f"notes {MARKER}")
    incident.places.add(city, draft_place)
    m.Involvement.objects.create(
        person=person, incident=incident, role="detained", publication="published"
    )
    m.Involvement.objects.create(
        person=hidden, incident=incident, role="detained", publication="published"
    )
    make_citation(motion, incident=incident, locator="recital 4")
    make_incident(title=f"Draft incident {MARKER}", publication="draft")
    return {
        "person": person,
        "detention": detention,
        "charge": charge,
        "entry": entry,
        "incident": incident,
        "city": city,
    }


def read(response) -> tuple[list[str], list[dict]]:
    """The header and rows of any export format, as strings where the file holds strings."""
    body = b"".join(response.streaming_content)
    fmt = response["Content-Disposition"].rsplit(".", 1)[1].rstrip('"')
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = [
            [cell if cell is not None else "" for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    if fmt == "json":
        objects = json.loads(body)
    else:
        objects = [json.loads(line) for line in body.decode().splitlines()]
    return (list(objects[0]) if objects else []), objects


def text_of(response) -> str:
    header, rows = read(response)
    return json.dumps([header, rows], ensure_ascii=False, default=str)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("what", WHATS)
def test_every_export_answers_with_its_public_rows_only(client, register, what, fmt):
    response = client.get(f"/export/{what}.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    assert f'.{fmt}"' in response["Content-Disposition"]
    header, rows = read(response)
    assert header == [c.name for c in KINDS[what].columns(False, "")]
    expected = {
        "persons": "person",
        "detentions": "detention",
        "charges": "charge",
        "timeline": "entry",
        "incidents": "incident",
    }[what]
    assert [row["public_id"] for row in rows] == [register[expected].public_id]
    assert MARKER not in json.dumps(rows, ensure_ascii=False, default=str)


def test_a_person_row_carries_ids_status_and_sources(client, register):
    person, incident = register["person"], register["incident"]
    _header, [row] = read(client.get("/export/persons.csv"))
    assert row["url"] == f"http://testserver/en/people/{person.public_id}/"
    assert row["status"] == "pre_trial_detention"
    assert row["status_on"] == "2022-01-18"
    assert row["status_date_kind"] == "as_reported"
    assert row["status_entry_id"] == register["entry"].public_id
    assert row["incident_ids"] == incident.public_id
    assert row["detention_ids"] == register["detention"].public_id
    assert row["charge_ids"] == register["charge"].public_id
    assert row["other_names"] == "Айгерим"
    assert row["citizenship_id"] == ""  # the place is a draft
    assert row["sources"] == "B9-0072/2022 recital 17 (reported)"


def test_a_fact_row_carries_its_person_and_related_ids(client, register):
    person = register["person"]
    _header, [row] = read(client.get("/export/detentions.json"))
    assert row["person_id"] == person.public_id
    assert row["url"] == (
        f"http://testserver/en/people/{person.public_id}/#{register['detention'].public_id}"
    )
    assert row["person_status"] == "pre_trial_detention"
    assert row["person_status_date_kind"] == "as_reported"
    assert row["place_id"] == register["city"].public_id
    assert row["charge_ids"] == register["charge"].public_id
    assert row["started_on"] == "2022-01-06"
    assert row["sources"] == "B9-0072/2022 para 12 (corroborated)"
    _header, [row] = read(client.get("/export/incidents.jsonl"))
    assert row["person_ids"] == person.public_id
    assert row["place_ids"] == register["city"].public_id


def test_column_names_and_values_are_english_slugs_in_any_language(client, register):
    english = read(client.get("/export/timeline.csv"))
    russian = read(client.get("/export/timeline.csv", HTTP_ACCEPT_LANGUAGE="ru"))
    assert english == russian
    assert english[1][0]["status"] == "pre_trial_detention"


def test_public_exports_read_only_public_fields():
    for kind in KINDS.values():
        for column in kind.columns(False, ""):
            for model, name in column.reads:
                assert name in PUBLIC_FIELDS[model], (kind.what, column.name, model, name)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("/export/persons.csv?status=released", []),
        ("/export/persons.csv?status=pre_trial_detention", ["person"]),
        ("/export/persons.json?q=aigerim", ["person"]),
        ("/export/persons.json?q=nobody", []),
        ("/export/detentions.csv?kind=imprisonment", []),
        ("/export/detentions.csv?kind=police_custody", ["detention"]),
        ("/export/charges.jsonl?stage=convicted", []),
        ("/export/timeline.csv?entry_status=pre_trial_detention", ["entry"]),
        ("/export/timeline.csv?date_kind=began", []),
        ("/export/timeline.csv?status=released", []),
        ("/export/incidents.csv?q=almaty", ["incident"]),
        ("/export/incidents.csv?kind=shooting", []),
    ],
)
def test_filters_narrow_the_rows(client, register, url, kept):
    response = client.get(url)
    assert response.status_code == 200
    assert [r["public_id"] for r in read(response)[1]] == [register[k].public_id for k in kept]


def test_filters_by_place_and_incident_follow_the_list(client, register):
    city, incident = register["city"], register["incident"]
    assert len(read(client.get(f"/export/persons.csv?place={city.public_id}"))[1]) == 1
    assert len(read(client.get(f"/export/charges.csv?incident={incident.public_id}"))[1]) == 1
    assert read(client.get("/export/charges.csv?incident=nothing"))[1] == []


def test_an_invalid_filter_is_refused_with_the_reason(client, register):
    response = client.get("/export/persons.csv?status_from=yesterday")
    assert response.status_code == 400
    assert b"status_from" in response.content


def test_csv_starts_with_a_byte_order_mark_and_keeps_cyrillic(client, register):
    make_person(display_name="Жанар Ахметова")
    body = b"".join(client.get("/export/persons.csv").streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "Жанар Ахметова" in body.decode("utf-8-sig")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_escaped_in_spreadsheets(client, fmt):
    for name in ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "'=quoted"]:
        make_person(display_name=name, occupation="plain")
    _header, rows = read(client.get(f"/export/persons.{fmt}?ordering=name"))
    assert sorted(r["display_name"] for r in rows) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tTab", "''=quoted"]
    )
    assert {r["occupation"] for r in rows} == {"plain"}


def test_json_is_not_escaped(client):
    make_person(display_name="=1+1")
    assert read(client.get("/export/persons.json"))[1][0]["display_name"] == "=1+1"


def test_large_xlsx_selection_points_to_csv(client, register, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 0)
    response = client.get("/export/persons.xlsx")
    assert response.status_code == 413
    assert b"CSV" in response.content


def test_staff_export_needs_a_signed_in_staff_member(client, register, django_user_model):
    response = client.get("/staff/export/persons.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    user = django_user_model.objects.create_user("editor", password="x" * 16)
    client.force_login(user)
    assert client.get("/staff/export/persons.csv").status_code == 302
    assert not ExportLog.objects.exists()


def test_staff_export_has_every_field_is_not_cached_and_is_logged(staff_client, register):
    response = staff_client.get("/staff/export/persons.csv?q=test")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    log = ExportLog.objects.get()
    assert (log.user.username, log.what, log.format, log.query) == (
        "admin",
        "persons",
        "csv",
        "q=test",
    )
    assert not log.is_complete
    header, rows = read(response)
    assert {"private_notes", "consent", "risk_level", "publication"} <= set(header)
    assert rows[0]["private_notes"] == f"notes {MARKER}"
    assert rows[0]["status"] == "released"  # the staff status: the latest of all entries
    log.refresh_from_db()
    assert (log.row_count, log.is_complete) == (1, True)


def test_staff_export_includes_draft_rows(staff_client, register):
    for fmt in FORMATS:
        assert MARKER in text_of(staff_client.get(f"/staff/export/timeline.{fmt}"))
    assert ExportLog.objects.count() == len(FORMATS)


def test_export_command_writes_the_filtered_selection(register, tmp_path):
    output = tmp_path / "persons.csv"
    call_command(
        "export",
        "persons",
        "--format",
        "csv",
        "--output",
        str(output),
        "--filter",
        "status=pre_trial_detention",
        "--base-url",
        "https://register.org",
    )
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8-sig"))))
    assert [r["public_id"] for r in rows] == [register["person"].public_id]
    assert rows[0]["url"].startswith("https://register.org/en/people/")
    assert not ExportLog.objects.exists()


def test_export_command_staff_is_logged(register, tmp_path):
    output = tmp_path / "timeline.jsonl"
    call_command("export", "timeline", "--format", "jsonl", "--output", str(output), "--staff")
    assert MARKER in output.read_text()
    log = ExportLog.objects.get()
    assert (log.via, log.row_count, log.is_complete) == ("command", 4, True)


def test_export_links_carry_the_list_query_without_the_page():
    request = RequestFactory().get("/en/people/", {"status": "detained", "page": "3"})
    assert export_urls(request, "persons") == [
        (fmt, f"/export/persons.{fmt}?status=detained") for fmt in FORMATS
    ]
    html = export_links(request, "persons")
    assert html["links"][0] == ("csv", "/export/persons.csv?status=detained")


@pytest.mark.parametrize(
    ("what", "queries"),
    [
        # the persons with citizenship and latest public entry; their public names, roles,
        # involvements with incidents, detentions, charges, citations with sources
        ("persons", 7),
        # the detentions with person, entry, places and authority; their citations, charges
        ("detentions", 3),
        # the charges with person, entry and detention; their citations
        ("charges", 2),
        # the entries with person, entry, detention and charge; their citations
        ("timeline", 2),
        # the incidents with parent; their places, involvements with persons, citations
        ("incidents", 4),
    ],
)
def test_an_export_runs_a_fixed_number_of_queries(
    client, register, django_assert_num_queries, what, queries
):
    make_person(display_name="Second Person")
    response = client.get(f"/export/{what}.jsonl")
    with django_assert_num_queries(queries):
        b"".join(response.streaming_content)


def test_the_export_log_is_read_only_in_the_admin(staff_client, register):
    b"".join(staff_client.get("/staff/export/charges.json").streaming_content)
    log = ExportLog.objects.get()
    assert staff_client.get("/admin/exports/exportlog/").status_code == 200
    assert staff_client.get("/admin/exports/exportlog/add/").status_code == 403
    page = staff_client.get(f"/admin/exports/exportlog/{log.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
