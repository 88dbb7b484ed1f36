"""The public figures, precomputed: a ledger of changes to each count, day by day.

`Tally` holds, for each figure (persons by status, by role, by place, and status entries per
month), how much each count changed on each day. The count as of D is the sum of the changes
dated on or before D; the count now is the sum of them all, undated ones included (a fact with no
date is counted today and never as of a past date). `PersonTally` holds each public person's own
share of those changes, so that when anything about a person changes, their old share is taken
out and the new one put in, in the same transaction as the write (`casetracker.public.tallies`).
"""

from django.db import models

from casetracker.cases.models import Person


class FigureCode(models.TextChoices):
    # Internal codes, never shown: the figures page labels each figure itself.
    STATUS = "status", "persons by status"
    ROLE = "role", "persons by role"
    PLACE = "place", "persons by place"
    EVENTS = "events", "status entries by month"


class Tally(models.Model):
    """One change of one count on one day (or, with no day, of the count now only).

    Rows are only ever added (several may share a figure, key and day) and folded together
    from time to time (`casetracker.public.tallies.compact`), so concurrent writers never wait
    for one another on a shared count.
    """

    figure = models.CharField(max_length=6, choices=FigureCode.choices)
    # A status or role slug, a place's id, or for events "<kind>:<YYYY-MM or YYYY>:<status>".
    key = models.CharField(max_length=64)
    day = models.DateField(null=True)
    n = models.IntegerField()

    class Meta:
        verbose_name = "figure change"

    def __str__(self) -> str:
        return f"{self.figure} {self.key} {self.day or '-'} {self.n:+d}"


class PersonTally(models.Model):
    """One public person's share of `Tally`: what to take out again when they change."""

    # No database constraint: the rebuild loads a million persons' rows without a per-row check;
    # the ORM cascades like any foreign key, and `rebuild_figures --check` finds an orphan.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    figure = models.CharField(max_length=6, choices=FigureCode.choices)
    key = models.CharField(max_length=64)
    day = models.DateField(null=True)
    n = models.IntegerField()

    class Meta:
        verbose_name = "person's share of the figures"
        indexes = [
            # A person's rows, read and replaced on every write about them
            # (tallies.refresh_persons); dropped and built once by the rebuild.
            models.Index(fields=["person"], name="persontally_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.figure} {self.key} {self.day or '-'} {self.n:+d}"
