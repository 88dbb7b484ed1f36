"""Demo data: deterministic, labelled, derived columns right, refused on real data, removable."""

import pytest
from django.core.management import CommandError, call_command

from casetracker.cases import demo
from casetracker.cases import models as m
from casetracker.cases.status import recompute_status
from casetracker.search.indexing import reindex_persons
from casetracker.search.models import SearchKey

from .factories import make_citation, make_entry, make_incident, make_person, make_source

PERSONS = 40


def generate(persons: int = PERSONS, *args: str) -> None:
    call_command("generate_demo_data", "--persons", str(persons), "--no-progress", *args)


def fingerprint() -> list[tuple]:
    """The register's content without its primary keys (which a second load does not reuse)."""
    persons = m.Person.objects.order_by("public_id")
    return [
        (
            p.public_id,
            p.display_name,
            p.publication,
            p.consent,
            p.risk_level,
            p.status,
            p.public_status,
            tuple(p.names.order_by("name", "kind").values_list("name", "kind")),
            tuple(
                p.status_entries.order_by("position").values_list(
                    "status", "occurred_on", "occurred_precision", "date_kind", "publication"
                )
            ),
            p.detentions.count(),
            p.charges.count(),
            p.citations.count(),
        )
        for p in persons
    ]


def test_the_same_seed_gives_the_same_register(db):
    generate(PERSONS, "--seed", "7")
    first = fingerprint()
    call_command("remove_demo_data")
    generate(PERSONS, "--seed", "7")
    assert fingerprint() == first
    call_command("remove_demo_data")
    generate(PERSONS, "--seed", "8")
    assert fingerprint() != first


def test_it_refuses_a_database_holding_real_records(db):
    make_person(display_name="Real Person")
    with pytest.raises(CommandError, match="real records"):
        generate()
    assert not m.Person.objects.filter(is_demo=True).exists()


def test_force_adds_demo_data_beside_real_records(db):
    make_person(display_name="Real Person")
    generate(PERSONS, "--force")
    assert m.Person.objects.filter(is_demo=True).count() == PERSONS


def test_it_refuses_to_load_demo_data_twice(db):
    generate()
    with pytest.raises(CommandError, match="already loaded"):
        generate()


def test_every_demo_record_is_labelled_and_has_no_history(db):
    generate()
    assert m.Person.objects.count() == m.Person.objects.filter(is_demo=True).count() == PERSONS
    assert not m.Incident.objects.filter(is_demo=False).exists()
    assert not m.StatusEntry.objects.filter(is_demo=False).exists()
    assert m.Place.objects.count() == demo.demo_places().count()
    assert m.Source.objects.count() == demo.demo_sources().count()
    assert m.Person.history.count() == 0
    assert m.StatusEntry.history.count() == 0


def test_the_demo_register_has_the_variety_it_promises(db):
    generate(400)
    persons = m.Person.objects.all()
    assert persons.filter(publication=m.Publication.DRAFT).exists()
    assert persons.filter(consent=m.Consent.WITHHELD).exists()
    assert persons.filter(risk_level=m.RiskLevel.HIGH).exists()
    names = "".join(m.PersonName.objects.values_list("name", flat=True))
    assert set("әғқңөұүһі") <= set(names.lower())
    assert m.PersonName.objects.filter(name__contains="iyev").exists()
    assert m.PersonName.objects.filter(kind=m.PersonName.Kind.TRANSLITERATION).count() > 400
    # Person no. 7 has the long timeline the benchmarks load.
    assert (
        m.StatusEntry.objects.values("person")
        .annotate(n=m.models.Count("id"))
        .filter(n=demo.LONG_TIMELINE)
        .count()
        == 1
    )
    assert m.Detention.objects.exists() and m.Charge.objects.exists()
    assert m.Citation.objects.filter(status_entry__isnull=False).exists()
    assert m.Involvement.objects.exists()


def test_derived_columns_equal_what_recompute_status_computes(db):
    generate(200)
    written = {
        p.pk: (p.status, p.latest_entry_id, p.public_status, p.latest_public_entry_id)
        for p in m.Person.objects.all()
    }
    positions = dict(m.StatusEntry.objects.values_list("pk", "position"))
    occurred_by = dict(m.StatusEntry.objects.values_list("pk", "occurred_by"))
    for person in m.Person.objects.all():
        recompute_status(person)
        person.refresh_from_db()
        computed = (
            person.status,
            person.latest_entry_id,
            person.public_status,
            person.latest_public_entry_id,
        )
        assert computed == written[person.pk], person.display_name
    assert dict(m.StatusEntry.objects.values_list("pk", "position")) == positions
    for entry in m.StatusEntry.objects.all():
        entry.save()  # save() derives occurred_by
    assert dict(m.StatusEntry.objects.values_list("pk", "occurred_by")) == occurred_by


def test_search_keys_equal_what_reindexing_writes(db):
    generate()

    def keys():
        rows = SearchKey.objects.filter(kind=SearchKey.Kind.PERSON).values_list(
            "person_id", "name_id", "field", "text", "key", "is_public"
        )
        return sorted(rows, key=lambda row: (row[0], row[1] or 0, row[2]))

    written = keys()
    reindex_persons(m.Person.objects.values_list("pk", flat=True))
    assert written == keys()
    assert written


@pytest.mark.postgres
def test_the_search_index_is_left_without_pending_inserts(db):
    """A GIN index's pending list is read through by every lookup until merged: the generator
    merges it, so a fresh demo register searches at its real speed."""
    from django.db import connection

    from casetracker.search import backends

    generate()
    with connection.cursor() as cursor:
        # Removes the pending pages and says how many there were: none left to remove.
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [backends.WORDS_INDEX])
        assert cursor.fetchone()[0] == 0
        make_person(display_name="Aigerim Written Afterwards")
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [backends.WORDS_INDEX])
        assert cursor.fetchone()[0] > 0  # an ordinary insert does go through the pending list


def test_remove_demo_data_removes_all_and_only_demo_records(db):
    source = make_source(title="A real report")
    person = make_person(display_name="Real Person")
    make_entry(person)
    make_citation(source, person=person)
    incident = make_incident(title="A real protest")
    generate(PERSONS, "--force")

    call_command("remove_demo_data")

    assert list(m.Person.objects.all()) == [person]
    assert list(m.Incident.objects.all()) == [incident]
    assert m.StatusEntry.objects.filter(person=person).count() == 1
    assert list(m.Source.objects.all()) == [source]
    assert m.Citation.objects.count() == 1
    assert not m.Place.objects.exists()
    assert not m.PersonName.objects.exists()
    assert not m.Detention.objects.exists()
    assert set(SearchKey.objects.values_list("person_id", "incident_id")) <= {
        (person.pk, None),
        (None, incident.pk),
    }
    assert SearchKey.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.latest_entry is not None
