"""Bad input through the staff forms: a clear message on the form, and nothing saved."""

import datetime

import pytest
from django.urls import reverse

from casetracker.cases import models as m

from .factories import make_person, make_source
from .test_admin import _form_data

pytestmark = pytest.mark.django_db

TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()


def post_inline(client, person, prefix: str, row: dict):
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = _form_data(client.get(url))
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data.update({f"{prefix}-0-{key}": value for key, value in row.items()})
    return client.post(url, data)


def entry_row(source, **kwargs) -> dict:
    row = {
        "status": "detained",
        "date_kind": "began",
        "occurred_on": "2022-01-06",
        "occurred_precision": "day",
        "publication": "draft",
        "cite_source": str(source.pk),
        "cite_confidence": "reported",
    }
    row.update(kwargs)
    return row


def detention_row(source, **kwargs) -> dict:
    row = {
        "kind": "police_custody",
        "whereabouts": "not_reported",
        "publication": "draft",
        "cite_source": str(source.pk),
        "cite_confidence": "reported",
    }
    row.update(kwargs)
    return row


def test_a_date_in_the_future_is_refused(staff_client):
    person, source = make_person(), make_source()
    response = post_inline(
        staff_client, person, "status_entries", entry_row(source, occurred_on=TOMORROW)
    )
    assert response.status_code == 200
    assert "A date cannot be in the future." in response.content.decode()
    assert not m.StatusEntry.objects.exists()


def test_a_date_before_the_persons_birth_is_refused(staff_client):
    person, source = make_person(birth_year=1990), make_source()
    row = detention_row(source, started_on="1985-03-01", started_precision="day")
    response = post_inline(staff_client, person, "detentions", row)
    assert response.status_code == 200
    assert "before the person was born (1990)" in response.content.decode()
    assert not m.Detention.objects.exists()


def test_an_end_before_the_start_is_refused(staff_client):
    person, source = make_person(), make_source()
    row = detention_row(
        source,
        started_on="2022-01-10",
        started_precision="day",
        ended_on="2022-01-05",
        ended_precision="day",
    )
    response = post_inline(staff_client, person, "detentions", row)
    assert response.status_code == 200
    assert "A detention cannot end before it starts." in response.content.decode()
    assert not m.Detention.objects.exists()


def test_a_status_outside_the_vocabulary_is_refused(staff_client):
    person, source = make_person(), make_source()
    response = post_inline(
        staff_client, person, "status_entries", entry_row(source, status="on_holiday")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not m.StatusEntry.objects.exists()


def test_a_fact_without_a_source_is_refused_on_its_own_page_too(staff_client):
    person = make_person()
    response = staff_client.post(
        reverse("admin:cases_detention_add"),
        {
            "person": person.pk,
            "kind": "police_custody",
            "whereabouts": "not_reported",
            "publication": "draft",
            "cite_confidence": "reported",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Every fact needs a source" in response.content.decode()
    assert not m.Detention.objects.exists()


def test_a_partial_date_not_on_the_first_of_its_period_is_refused(staff_client):
    person, source = make_person(), make_source()
    row = entry_row(source, occurred_on="2022-01-15", occurred_precision="month")
    response = post_inline(staff_client, person, "status_entries", row)
    assert response.status_code == 200
    assert "stored as the first day of that period" in response.content.decode()
    assert not m.StatusEntry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"occurred_on": TOMORROW}, "A date cannot be in the future."),
        ({"occurred_on": "1980-01-01"}, "before they were born (1990)"),
        ({"status": "on_holiday"}, "Select a valid choice"),
        ({"source": ""}, "This field is required."),
        ({"date_kind": "as_reported", "occurred_on": "", "occurred_precision": ""}, "report"),
    ],
)
def test_the_turn_form_refuses_bad_input(staff_client, changes, message):
    person, source = make_person(birth_year=1990), make_source()
    data = {
        "status": "detained",
        "date_kind": "began",
        "occurred_on": "2022-01-06",
        "occurred_precision": "day",
        "source": source.pk,
        "confidence": "reported",
        "publication": "draft",
        **changes,
    }
    response = staff_client.post(reverse("admin:cases_person_turn", args=[person.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not m.StatusEntry.objects.exists() and not m.Detention.objects.exists()
