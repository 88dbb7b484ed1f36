"""A person's current status, derived from their timeline by one function that every writer calls.

Forms, publication, revert, merge, purge, import and seeding all end by calling
`recompute_status(person)`; nothing else writes `Person.status`, `Person.public_status`, their
entries or `StatusEntry.position`.

Ordering (DESIGN.md, "Dates, status and as of"): entries order by date; where one entry's date
contains the other's (a month and a day in it) and for equal dates, by kind (began before
reported), then by the order they were recorded. Undated entries come first: they say nothing
about when, so any dated entry is more recent knowledge.
"""

import functools
from collections.abc import Iterable

from django.db import transaction

from casetracker.public.tallies import deferred, refresh_persons

from .dates import DateKind, contains
from .models import Person, Publication, StatusEntry

_KIND_RANK = {DateKind.BEGAN: 0, DateKind.AS_REPORTED: 1}


def compare_entries(a: StatusEntry, b: StatusEntry) -> int:
    if a.occurred_on is None or b.occurred_on is None:
        if a.occurred_on is None and b.occurred_on is not None:
            return -1
        if b.occurred_on is None and a.occurred_on is not None:
            return 1
    else:
        pa, pb = (a.occurred_on, a.occurred_precision), (b.occurred_on, b.occurred_precision)
        if not (contains(pa, pb) or contains(pb, pa)):
            return -1 if a.occurred_on < b.occurred_on else 1
    ka, kb = _KIND_RANK[a.date_kind], _KIND_RANK[b.date_kind]
    if ka != kb:
        return ka - kb
    return (a.pk > b.pk) - (a.pk < b.pk)


def order_entries(entries: Iterable[StatusEntry]) -> list[StatusEntry]:
    """A timeline in order, oldest first. Comparison sort from a stable, recorded-order start."""
    return sorted(sorted(entries, key=lambda e: e.pk), key=functools.cmp_to_key(compare_entries))


@transaction.atomic
def recompute_status(person: Person) -> Person:
    """Reorder the person's timeline and store their current status, staff and public.

    Writes only derived columns, with `update_fields`, so no history entry and no version change.
    The precomputed public figures follow in the same transaction (casetracker.public.tallies).
    """
    entries = order_entries(StatusEntry.objects.filter(person=person))
    changed = []
    for position, entry in enumerate(entries, start=1):
        if entry.position != position:
            entry.position = position
            changed.append(entry)
    if changed:
        StatusEntry.objects.bulk_update(changed, ["position"])

    latest = entries[-1] if entries else None
    public = [e for e in entries if e.publication == Publication.PUBLISHED]
    latest_public = public[-1] if public else None

    person.latest_entry = latest
    person.status = latest.status if latest else ""
    person.latest_public_entry = latest_public
    person.public_status = latest_public.status if latest_public else ""
    Person.objects.filter(pk=person.pk).update(
        latest_entry=latest,
        status=person.status,
        latest_public_entry=latest_public,
        public_status=person.public_status,
    )
    refresh_persons([person.pk])
    return person


def recompute_all(persons: Iterable[Person] | None = None) -> int:
    """Recompute every given person (default: all); returns how many. For repairs and tests."""
    count = 0
    with transaction.atomic(), deferred():  # the figures once, set-wise, at the end
        for person in persons if persons is not None else Person.objects.iterator():
            recompute_status(person)
            count += 1
    return count
