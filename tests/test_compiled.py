"""Value queries compiled once and run with other ids (casetracker.search.compiled)."""

import datetime

import pytest

from casetracker.cases import models as m
from casetracker.search import compiled

from .factories import make_entry, make_person

pytestmark = pytest.mark.django_db

calls: list[tuple] = []


def names(ids, public):
    calls.append((len(ids), public))
    shown = m.PersonName.objects.filter(person_id__in=ids)
    if public:
        shown = shown.filter(publication=m.Publication.PUBLISHED)
    return shown.order_by("id").values_list("person_id", "name")


def twice(ids):
    """The ids in two places of one statement."""
    return (
        m.PersonName.objects.filter(person_id__in=ids)
        .exclude(person_id__in=ids, name="")
        .order_by("id")
        .values_list("person_id", "name")
    )


def unfiltered(ids):
    return m.PersonName.objects.values_list("person_id", "name")


@pytest.fixture
def persons():
    found = []
    for first in ("Aigul", "Bolat", "Dana"):
        person = make_person(display_name=f"{first} Tests")
        m.PersonName.objects.create(
            person=person,
            name=f"{first} Tests",
            kind=m.PersonName.Kind.TRANSLITERATION,
            publication=m.Publication.PUBLISHED,
            published_at=person.published_at,
        )
        m.PersonName.objects.create(
            person=person,
            name=f"{first} Draftname",
            kind=m.PersonName.Kind.TRANSLITERATION,
            publication=m.Publication.DRAFT,
        )
        found.append(person)
    calls.clear()
    compiled._compile.cache_clear()
    return found


def test_rows_are_the_querysets_rows_for_any_ids_and_count(persons):
    for ids in ([persons[0].pk], [persons[1].pk], [p.pk for p in persons], [persons[2].pk]):
        for public in (True, False):
            assert compiled.rows(names, ids, public) == list(names(ids, public))


def test_each_count_and_option_is_compiled_once(persons):
    for person in persons:
        compiled.rows(names, [person.pk], True)
    compiled.rows(names, [persons[0].pk, persons[1].pk], True)
    compiled.rows(names, [persons[0].pk], False)
    assert calls == [(1, True), (2, True), (1, False)]


def test_the_publication_rule_compiled_in_holds_for_other_ids(persons):
    first, second = persons[0].pk, persons[1].pk
    compiled.rows(names, [first], True)
    shown = [name for _, name in compiled.rows(names, [second], True)]
    assert shown == ["Bolat Tests"]
    assert "Bolat Draftname" in [name for _, name in compiled.rows(names, [second], False)]


def test_ids_used_in_two_places_are_put_in_both(persons):
    ids = [persons[1].pk, persons[2].pk]
    compiled.rows(twice, [persons[0].pk, persons[1].pk])
    assert compiled.rows(twice, ids) == list(twice(ids))
    assert {person_id for person_id, _ in compiled.rows(twice, ids)} == set(ids)


def test_a_query_ignoring_its_ids_is_refused(persons):
    with pytest.raises(ValueError, match="does not filter on the ids"):
        compiled.rows(unfiltered, [persons[0].pk])


def test_no_ids_no_query(persons, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert compiled.rows(names, [], True) == []


def entries(ids):
    return m.StatusEntry.objects.filter(person_id__in=ids).values_list(
        "person_id", "occurred_on", "person__is_unnamed", "published_at"
    )


def test_values_come_converted_as_the_orm_gives_them(persons):
    """Each value as the ORM gives it: on SQLite an aware datetime is text until converted."""
    person = persons[0]
    person.is_unnamed = True
    person.save()
    entry = make_entry(person, occurred_on=datetime.date(2022, 1, 5))
    found = compiled.rows(entries, [person.pk])
    assert found == [(person.pk, datetime.date(2022, 1, 5), True, entry.published_at)]
    assert found[0][3].tzinfo is not None
    assert found == list(entries([person.pk]))
