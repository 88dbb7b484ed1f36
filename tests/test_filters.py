import datetime

import pytest

from casetracker.cases import models as m
from casetracker.public.filters import DetentionFilter, PersonFilter

from .factories import make_entry, make_person

pytestmark = pytest.mark.django_db


def test_filtering_by_place_ignores_draft_detentions():
    almaty = m.Place.objects.create(name="Almaty", kind="city", publication="published")
    public = make_person(display_name="Public Detainee")
    hidden_fact = make_person(display_name="Draft Fact")
    m.Detention.objects.create(
        person=public, kind="police_custody", place=almaty, publication="published"
    )
    m.Detention.objects.create(person=hidden_fact, kind="police_custody", place=almaty)
    found = PersonFilter({"place": almaty.public_id}, queryset=m.Person.objects.public()).qs
    assert list(found) == [public]


def test_filtering_by_status_uses_the_public_status():
    person = make_person()
    make_entry(person, status=m.Status.DETAINED)
    make_entry(
        person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 2, 1), publication="draft"
    )
    assert list(PersonFilter({"status": ["detained"]}, queryset=m.Person.objects.public()).qs) == [
        person
    ]
    assert not PersonFilter(
        {"status": ["released"]}, queryset=m.Person.objects.public()
    ).qs.exists()


def test_name_filter_does_not_match_unpublished_names():
    person = make_person(display_name="Aigerim Test")
    m.PersonName.objects.create(person=person, name="Secretname", kind="alias")
    assert not PersonFilter({"q": "Secretname"}, queryset=m.Person.objects.public()).qs.exists()
    assert PersonFilter({"q": "Aigerim"}, queryset=m.Person.objects.public()).qs.exists()


def test_detention_filter_applies_person_filters_to_the_person():
    detained = make_person(display_name="Detained One")
    make_entry(detained, status=m.Status.DETAINED)
    released = make_person(display_name="Released One")
    make_entry(released, status=m.Status.RELEASED)
    for person in (detained, released):
        m.Detention.objects.create(person=person, kind="police_custody", publication="published")
    result = DetentionFilter(
        {"status": ["detained"], "kind": ["police_custody"]}, queryset=m.Detention.objects.public()
    ).qs
    assert [d.person for d in result] == [detained]


def test_fact_filters_keep_non_public_persons_when_the_queryset_allows_them():
    """Staff exports pass every detention: person filters narrow them, never drop draft persons."""
    draft = make_person(display_name="Draft Person", publication=m.Publication.DRAFT)
    make_entry(draft, status=m.Status.DETAINED)
    m.Detention.objects.create(person=draft, kind="police_custody")
    staff = DetentionFilter({"q": "Draft"}, queryset=m.Detention.objects.all()).qs
    public = DetentionFilter({"q": "Draft"}, queryset=m.Detention.objects.public()).qs
    assert [d.person for d in staff] == [draft]
    assert not public.exists()
