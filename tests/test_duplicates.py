"""Adding a person whose normalised name (and birth year) matches someone: matches first."""

import pytest
from django.urls import reverse

from casetracker.cases import models as m

from .factories import make_person

pytestmark = pytest.mark.django_db


def test_possible_matches_are_shown_before_a_person_is_added(staff_client):
    make_person(display_name="Zhanbolat Mamay", birth_year=1989)
    url = reverse("admin:cases_person_add")
    data = person_add_data(display_name="Mamai Janbolat", birth_year="1989")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "Possible matches" in response.content.decode()
    assert "Zhanbolat Mamay" in response.content.decode()
    assert m.Person.objects.count() == 1
    response = staff_client.post(url, {**data, "save_anyway": "on"})
    assert response.status_code == 302
    assert m.Person.objects.count() == 2


def test_a_different_birth_year_is_not_a_match(staff_client):
    make_person(display_name="Zhanbolat Mamay", birth_year=1989)
    response = staff_client.post(
        reverse("admin:cases_person_add"),
        person_add_data(display_name="Zhanbolat Mamay", birth_year="1960"),
    )
    assert response.status_code == 302


def person_add_data(**kwargs) -> dict:
    data = {
        "display_name": "",
        "publication": "draft",
        "consent": "unknown",
        "risk_level": "medium",
        "gender": "",
    }
    for prefix in ("names", "status_entries", "detentions", "charges", "involvements", "citations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(kwargs)
    return data
