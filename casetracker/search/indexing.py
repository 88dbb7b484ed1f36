"""Keeping search keys in step with the register.

Every write path ends here: the signal receivers (`casetracker.search.signals`) for forms and
single saves, `reindex_persons`/`reindex_places`/`reindex_incidents` for bulk paths that bypass
signals (`QuerySet.update`, `bulk_create`, imports), and `rebuild_all` for the
`rebuild_search_keys` command. Each function replaces the keys of the records it is given,
so running it twice changes nothing.

What public search may find is decided here, from the public rules of the domain model: a
person's display name and published names when the person is public (`public_person_q`), a
published place's names, a published incident's title. Private notes are indexed for staff only.

One key per record and normalised key (`distinct`): a person's display name, its Cyrillic form
and its usual transliterations mostly normalise alike, and one key of theirs finds the person as
well as three. At 100,000 demo persons, 442,608 keys were 164,864 distinct ones; a common name's
index entries, and so the time to read them, shrink as much, and the 500 candidates a search
ranks are that many more persons.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from casetracker.cases.models import Incident, Person, Place, Publication

from .models import SearchKey
from .normalise import normalise_name

# Notes can be long; staff search needs their words, not the whole text.
NOTES_MAX_CHARS = 2000


def _key(text: str, **fields) -> SearchKey | None:
    key = normalise_name(text)
    if not key:
        return None
    return SearchKey(text=text, key=key, **fields)


def preference(field: str, is_public: bool, name_id: int | None) -> tuple:
    """Which of a record's keys that normalise alike to keep: a public one (so public search
    finds the record through it, and staff search too), then the name the record is shown by,
    then the first name written. Private notes are kept apart from names (`distinct`)."""
    return (not is_public, SearchKey.FIELD_ORDER[field], name_id or 0)


def distinct(keys: Iterable[SearchKey]) -> list[SearchKey]:
    """One key per record, normalised key and notes-or-name, the preferred one (`preference`).

    Kept in step with migration 0007 and the demo data (casetracker.cases.demo), which choose
    the same key."""
    kept: dict[tuple, SearchKey] = {}
    for key in keys:
        group = (key.kind, key.target_id, key.key, key.field == SearchKey.Field.PRIVATE_NOTES)
        other = kept.get(group)
        if other is None or preference(key.field, key.is_public, key.name_id) < preference(
            other.field, other.is_public, other.name_id
        ):
            kept[group] = key
    return list(kept.values())


def person_keys(person: Person) -> list[SearchKey]:
    """The keys of one person; `person.names` may be prefetched."""
    is_public = person.is_public
    common = {"kind": SearchKey.Kind.PERSON, "person": person}
    keys = [
        _key(person.display_name, field=SearchKey.Field.DISPLAY_NAME, is_public=is_public, **common)
    ]
    for name in person.names.all():
        keys.append(
            _key(
                name.name,
                field=SearchKey.Field.NAME,
                name=name,
                is_public=is_public and name.publication == Publication.PUBLISHED,
                **common,
            )
        )
    if person.private_notes.strip():
        keys.append(
            _key(
                person.private_notes[:NOTES_MAX_CHARS],
                field=SearchKey.Field.PRIVATE_NOTES,
                is_public=False,
                **common,
            )
        )
    return distinct(k for k in keys if k is not None)


def place_keys(place: Place) -> list[SearchKey]:
    is_public = place.publication == Publication.PUBLISHED
    keys = []
    for index, text in enumerate(place.names):
        field = SearchKey.Field.DISPLAY_NAME if index == 0 else SearchKey.Field.OTHER_NAME
        keys.append(
            _key(text, kind=SearchKey.Kind.PLACE, field=field, place=place, is_public=is_public)
        )
    return distinct(k for k in keys if k is not None)


def incident_keys(incident: Incident) -> list[SearchKey]:
    is_public = incident.publication == Publication.PUBLISHED
    common = {"kind": SearchKey.Kind.INCIDENT, "incident": incident}
    keys = [_key(incident.title, field=SearchKey.Field.TITLE, is_public=is_public, **common)]
    if incident.private_notes.strip():
        keys.append(
            _key(
                incident.private_notes[:NOTES_MAX_CHARS],
                field=SearchKey.Field.PRIVATE_NOTES,
                is_public=False,
                **common,
            )
        )
    return [k for k in keys if k is not None]


@transaction.atomic
def reindex_persons(ids: Iterable[int]) -> int:
    """Replace the keys of these persons (deleted ones just lose theirs); returns keys written."""
    ids = list(set(ids))
    # Also keys of names that moved to these persons (a merge saves the names before the person).
    SearchKey.objects.filter(Q(person_id__in=ids) | Q(name__person_id__in=ids)).delete()
    keys = []
    for person in Person.objects.filter(pk__in=ids).prefetch_related("names"):
        keys.extend(person_keys(person))
    SearchKey.objects.bulk_create(keys, batch_size=500)
    return len(keys)


@transaction.atomic
def reindex_places(ids: Iterable[int]) -> int:
    ids = list(set(ids))
    SearchKey.objects.filter(place_id__in=ids).delete()
    keys = []
    for place in Place.objects.filter(pk__in=ids):
        keys.extend(place_keys(place))
    SearchKey.objects.bulk_create(keys, batch_size=500)
    return len(keys)


@transaction.atomic
def reindex_incidents(ids: Iterable[int]) -> int:
    ids = list(set(ids))
    SearchKey.objects.filter(incident_id__in=ids).delete()
    keys = []
    for incident in Incident.objects.filter(pk__in=ids):
        keys.extend(incident_keys(incident))
    SearchKey.objects.bulk_create(keys, batch_size=500)
    return len(keys)


def _chunks(queryset, size: int = 1000):
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@transaction.atomic
def rebuild_all() -> dict[str, int]:
    """Every key from scratch; returns how many keys of each kind were written."""
    SearchKey.objects.all().delete()
    counts = {"person": 0, "place": 0, "incident": 0}
    for chunk in _chunks(Person.objects.all()):
        counts["person"] += reindex_persons(chunk)
    for chunk in _chunks(Place.objects.all()):
        counts["place"] += reindex_places(chunk)
    for chunk in _chunks(Incident.objects.all()):
        counts["incident"] += reindex_incidents(chunk)
    return counts
