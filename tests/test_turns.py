"""Recording a case's turns from the staff workspace: one form, one transaction, one status."""

import datetime

import pytest
from django.urls import reverse

from casetracker.cases import models as m

from .factories import make_entry, make_person, make_source

pytestmark = pytest.mark.django_db


def turn_data(source, **kwargs) -> dict:
    data = {
        "status": "pre_trial_detention",
        "date_kind": "began",
        "occurred_on": "2022-01-10",
        "occurred_precision": "day",
        "note": "",
        "source": str(source.pk),
        "locator": "para 12",
        "quote": "placed in pre-trial detention",
        "confidence": "reported",
        "publication": "published",
        "charge_stage": "",
    }
    data.update(kwargs)
    return data


def turn_url(person) -> str:
    return reverse("admin:cases_person_turn", args=[person.pk])


def test_the_person_page_links_to_the_turn_form(staff_client):
    person = make_person()
    page = staff_client.get(reverse("admin:cases_person_change", args=[person.pk]))
    assert turn_url(person) in page.content.decode()
    assert staff_client.get(turn_url(person)).status_code == 200


def test_a_deprivation_of_liberty_opens_a_detention_of_its_kind_with_the_entry(staff_client):
    person, source = make_person(), make_source()
    response = staff_client.post(turn_url(person), turn_data(source))
    assert response.status_code == 302, response.content.decode()[:2000]
    detention = person.detentions.get()
    assert detention.kind == m.Detention.Kind.PRE_TRIAL_DETENTION
    assert (detention.started_on, detention.ended_on) == (datetime.date(2022, 1, 10), None)
    entry = person.status_entries.get()
    assert entry.detention == detention
    assert entry.citations.get().locator == "para 12"
    assert detention.citations.get().source == source
    person.refresh_from_db()
    assert person.status == person.public_status == m.Status.PRE_TRIAL_DETENTION


def test_an_as_reported_turn_opens_a_detention_without_guessing_its_start(staff_client):
    person, source = make_person(), make_source()
    staff_client.post(
        turn_url(person), turn_data(source, status="imprisoned", date_kind="as_reported")
    )
    detention = person.detentions.get()
    assert detention.kind == m.Detention.Kind.IMPRISONMENT
    assert detention.started_on is None


def test_a_release_closes_the_open_detention(staff_client):
    person, source = make_person(), make_source()
    detention = m.Detention.objects.create(
        person=person, kind="police_custody", started_on="2022-01-06", started_precision="day"
    )
    response = staff_client.post(
        turn_url(person), turn_data(source, status="released", occurred_on="2022-01-20")
    )
    assert response.status_code == 302
    detention.refresh_from_db()
    assert detention.ended_on == datetime.date(2022, 1, 20)
    assert detention.version == 2
    assert person.status_entries.get().detention == detention
    person.refresh_from_db()
    assert person.status == m.Status.RELEASED


def test_a_change_of_kind_ends_one_detention_and_opens_the_next(staff_client):
    person, source = make_person(), make_source()
    custody = m.Detention.objects.create(
        person=person, kind="unknown", started_on="2022-01-06", started_precision="day"
    )
    staff_client.post(turn_url(person), turn_data(source, occurred_on="2022-01-08"))
    custody.refresh_from_db()
    assert custody.ended_on == datetime.date(2022, 1, 8)
    assert person.detentions.filter(ended_on=None).get().kind == "pre_trial_detention"


def test_a_turn_moves_a_charge_in_the_same_transaction(staff_client):
    person, source = make_person(), make_source()
    charge = m.Charge.objects.create(person=person, legal_basis="art. 272", stage="investigation")
    response = staff_client.post(
        turn_url(person),
        turn_data(source, charge=str(charge.pk), charge_stage="trial", status="imprisoned"),
    )
    assert response.status_code == 302
    charge.refresh_from_db()
    assert (charge.stage, charge.stage_on) == ("trial", datetime.date(2022, 1, 10))
    assert person.status_entries.get().charge == charge


def test_a_refused_turn_writes_nothing(staff_client):
    person, source = make_person(), make_source()
    m.Detention.objects.create(
        person=person, kind="police_custody", started_on="2022-01-15", started_precision="day"
    )
    response = staff_client.post(
        turn_url(person), turn_data(source, status="released", occurred_on="2022-01-10")
    )
    assert response.status_code == 200
    assert "before the detention it ends began" in response.content.decode()
    assert not person.status_entries.exists()
    assert person.detentions.get().ended_on is None


def test_the_turn_driven_fields_are_read_only_elsewhere(staff_client):
    person = make_person()
    detention = m.Detention.objects.create(person=person, kind="police_custody")
    charge = m.Charge.objects.create(person=person, legal_basis="art. 272", stage="investigation")
    page = staff_client.get(reverse("admin:cases_detention_change", args=[detention.pk]))
    assert page.context["adminform"].form.fields["ended_on"].disabled
    page = staff_client.get(reverse("admin:cases_charge_change", args=[charge.pk]))
    assert page.context["adminform"].form.fields["stage"].disabled
    page = staff_client.get(reverse("admin:cases_person_change", args=[person.pk]))
    assert "status" not in page.context["adminform"].form.fields


def bulk_data(persons, source, **kwargs) -> dict:
    data = turn_data(source, **{"status": "released", "occurred_on": "2022-01-20", **kwargs})
    data.update(
        action="record_turn_for_selected",
        apply_turn="yes",
        _selected_action=[str(p.pk) for p in persons],
    )
    return data


def test_a_bulk_turn_shows_its_form_then_applies_to_every_selected_person(staff_client):
    persons = [make_person(display_name=f"Person {i}") for i in range(3)]
    for person in persons:
        make_entry(person, status="detained")
    source = make_source()
    url = reverse("admin:cases_person_changelist")
    first = staff_client.post(
        url,
        {"action": "record_turn_for_selected", "_selected_action": [p.pk for p in persons]},
    )
    assert first.status_code == 200
    assert "Record the turn for all" in first.content.decode()
    response = staff_client.post(url, bulk_data(persons, source))
    assert response.status_code == 302, response.content.decode()[:3000]
    for person in persons:
        person.refresh_from_db()
        assert person.status == m.Status.RELEASED


def test_a_bulk_turn_is_all_or_nothing(staff_client):
    persons = [make_person(display_name=f"Person {i}") for i in range(3)]
    # The last person's detention began after the release date: their turn is refused.
    m.Detention.objects.create(
        person=persons[0], kind="police_custody", started_on="2022-01-06", started_precision="day"
    )
    m.Detention.objects.create(
        person=persons[2], kind="police_custody", started_on="2022-01-25", started_precision="day"
    )
    response = staff_client.post(
        reverse("admin:cases_person_changelist"), bulk_data(persons, make_source())
    )
    assert response.status_code == 200
    assert "Nothing was recorded" in response.content.decode()
    assert not m.StatusEntry.objects.exists()
    assert not m.Detention.objects.exclude(ended_on=None).exists()


def test_a_bulk_turn_moves_each_persons_charge_by_its_legal_basis(staff_client):
    persons = [make_person(display_name=f"Person {i}") for i in range(2)]
    for person in persons:
        m.Charge.objects.create(person=person, legal_basis="art. 272", stage="investigation")
    response = staff_client.post(
        reverse("admin:cases_person_changelist"),
        bulk_data(
            persons,
            make_source(),
            status="pre_trial_detention",
            legal_basis="art. 272",
            charge_stage="trial",
        ),
    )
    assert response.status_code == 302
    assert set(m.Charge.objects.values_list("stage", flat=True)) == {"trial"}


def test_the_changelist_lists_published_cases_not_verified_for_n_days_oldest_first(staff_client):
    today = datetime.date.today()
    make_person(display_name="Fresh", status_verified_on=today)
    make_person(display_name="Old", status_verified_on=today - datetime.timedelta(days=400))
    make_person(display_name="Older", status_verified_on=today - datetime.timedelta(days=500))
    make_person(display_name="Never")
    make_person(display_name="Draft", publication="draft")
    response = staff_client.get(reverse("admin:cases_person_changelist"), {"not_verified_for": 90})
    names = [p.display_name for p in response.context["cl"].result_list]
    assert names == ["Never", "Older", "Old"]


def test_mark_verified_today_stamps_the_selected_persons(staff_client):
    person = make_person(status_verified_on=datetime.date(2022, 1, 1))
    response = staff_client.post(
        reverse("admin:cases_person_changelist"),
        {"action": "mark_verified_today", "_selected_action": [person.pk]},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status_verified_on == datetime.date.today()
    assert person.version == 2
