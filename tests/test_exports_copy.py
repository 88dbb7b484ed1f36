"""The PostgreSQL COPY path: the same rows as the general path, and nothing left behind.

COPY runs on a connection of its own, which sees committed rows only: these tests commit.
"""

import csv
import datetime
import io
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from casetracker.cases import models as m
from casetracker.exports import exports
from casetracker.exports.models import ExportLog

from .factories import make_citation, make_entry, make_incident, make_person, make_source

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AWKWARD = [
    '=HYPERLINK("http://evil")',
    "+7 701",
    "-1",
    "@cmd",
    "\ttab",
    "\rreturn",
    "'=already quoted",
    "''",
    'a "quoted", comma',
    "two\nlines",
    "Жанар Ахметова; Қасым",
    "",
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def awkward_register():
    """Values that stress quoting, escaping, lists and nulls, in every exported field kind."""
    source = make_source(title="=Title", reference="")
    motion = make_source(title="Motion", reference="B9-0072/2022")
    place = m.Place.objects.create(name="Almaty", kind="city", publication="published")
    incident = make_incident(title="-Protest", description="@all")
    incident.places.add(place)
    role = m.Role.objects.create(slug="journalist", name="Journalist")
    for i, text in enumerate(AWKWARD):
        person = make_person(
            display_name=text or "Unnamed",
            occupation=text,
            summary=text,
            birth_year=1980 + i if i % 2 else None,
            gender="female" if i % 3 else "",
            citizenship=place if i % 2 else None,
        )
        if i % 2:
            person.roles.add(role)
        m.PersonName.objects.create(
            person=person, name=f"{text} alias", kind="alias", publication="published"
        )
        make_citation(source, person=person, locator=text)
        make_citation(motion, person=person, locator="", confidence="confirmed")
        detention = m.Detention.objects.create(
            person=person,
            kind="pre_trial_detention",
            note=text,
            publication="published",
            started_on=datetime.date(2022, 1, 1 + i),
            started_precision="day",
            facility=None,
            is_incommunicado=bool(i % 2),
        )
        m.Charge.objects.create(
            person=person,
            detention=detention,
            wording=text or "x",
            stage="trial",
            publication="published",
        )
        make_entry(
            person,
            note=text,
            detention=detention,
            occurred_on=datetime.date(2022, 1, 1 + i) if i % 4 else None,
            date_kind="began",
        )
        m.Involvement.objects.create(
            person=person, incident=incident, role="detained", publication="published"
        )
    make_person(display_name="Draft person", publication="draft")


def parsed(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))


SELECTIONS = [
    ("persons", ""),
    ("persons", "status=detained&ordering=-status_date"),
    ("persons", "q=a&role=journalist"),
    ("detentions", ""),
    ("detentions", "kind=pre_trial_detention&started_from=2022-01-03"),
    ("charges", ""),
    ("charges", "stage=trial&q=ж"),
    ("timeline", ""),
    ("timeline", "date_kind=began&ordering=-name"),
    ("incidents", ""),
    ("incidents", "kind=protest&ordering=-date"),
]


def test_copy_and_the_general_path_give_identical_rows(awkward_register):
    # One committed data set for every selection: each transactional test costs a flush.
    for staff in (False, True):
        for what, params in SELECTIONS:
            selection = exports.select(
                what, QueryDict(params), staff=staff, base_url="https://register.org"
            )
            general = parsed(exports.CsvStream(selection))
            fast = parsed(exports.CopyStream(selection))
            assert len(general) > 1, (what, params, staff)
            assert fast == general, (what, params, staff)


def test_copy_escapes_formulas_like_the_general_path(awkward_register):
    rows = parsed(exports.CopyStream(exports.select("persons", QueryDict())))
    names = {row[2] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in names
    assert "''=already quoted" in names
    assert "'\ttab" in names


def test_csv_on_postgresql_comes_from_copy_and_is_logged_with_its_rows(
    staff_client, awkward_register
):
    response = staff_client.get("/staff/export/persons.csv")
    assert isinstance(response.export_stream, exports.CopyStream)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = parsed([body])
    assert len(rows) == 1 + m.Person.objects.count()
    log = ExportLog.objects.get()
    assert (log.row_count, log.is_complete) == (len(rows) - 1, True)


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


def test_a_client_going_away_ends_the_producer_and_its_connection(client, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_BYTES", 256)
    monkeypatch.setattr(exports, "QUEUE_CHUNKS", 1)
    now = timezone.now()
    m.Person.objects.bulk_create(
        m.Person(
            display_name=f"Person {i}",
            consent="public_source",
            risk_level="low",
            publication="published",
            published_at=now,
        )
        for i in range(2000)
    )
    response = client.get("/export/persons.csv")
    stream = response.export_stream
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks), next(chunks)
    assert stream.thread.is_alive()  # held back by the full queue, far from the end
    pid = stream.backend_pid
    assert backend_alive(pid)

    response.close()  # what the WSGI server does when the client disconnects

    assert not stream.thread.is_alive()
    assert stream.connection_closed
    assert stream.rows is None  # it never finished
    deadline = time.monotonic() + 5
    while backend_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not backend_alive(pid)


def test_a_client_leaving_before_the_first_chunk_starts_no_thread(client, awkward_register):
    response = client.get("/export/persons.csv")
    response.close()
    assert response.export_stream.thread is None
