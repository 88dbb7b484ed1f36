import datetime

import pytest
from django import forms
from django.db import connection
from django.test.html import parse_html

from casetracker.cases import models as m
from casetracker.public.filters import DetentionFilter, PersonFilter
from casetracker.public.widgets import MenuSelect

from .factories import make_charge, make_entry, make_person

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


def test_the_charge_filter_matches_any_part_of_the_article_in_any_case():
    charged = make_person(display_name="Charged")
    make_charge(charged, legal_basis="Criminal Code, art. 272")
    other = make_person(display_name="Other")
    make_charge(other, legal_basis="Criminal Code, art. 174")
    drafted = make_person(display_name="Draft charge")
    make_charge(drafted, legal_basis="art. 272", publication="draft")
    for typed in ("art. 272", "ART. 272", " 272 "):
        found = PersonFilter({"charge": typed}, queryset=m.Person.objects.public()).qs
        assert list(found) == [charged], typed


@pytest.mark.postgres
def test_the_charge_filter_can_use_the_trigram_index():
    """The index is built on the very expression Django writes for icontains: if either
    changed, the filter would scan every charge of a million persons again."""
    make_charge(make_person(), legal_basis="Criminal Code, art. 272")
    # The lookup filter_charge makes (casetracker.public.filters).
    charges = m.Charge.objects.filter(legal_basis__icontains="art. 272").values("person")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # a bitmap scan needs a condition
        plan = charges.order_by().explain()
    assert "charge_legal_basis_trgm" in plan, plan


def test_list_menus_written_in_python_read_as_djangos_select():
    choices = [("", "Any"), ("a1", 'Almaty <centre> & "north"'), ("b2", "Shymkent")]
    fast = MenuSelect(choices=choices).render("place", "a1", attrs={"id": "id_place"})
    slow = forms.Select(choices=choices).render("place", "a1", attrs={"id": "id_place"})
    assert parse_html(fast) == parse_html(slow)
    assert "&lt;centre&gt; &amp; &quot;north&quot;" in fast
    none = MenuSelect(choices=choices).render("place", None)
    assert parse_html(none) == parse_html(forms.Select(choices=choices).render("place", None))
    assert none.count("selected") == 1 and '<option value="" selected>' in none
