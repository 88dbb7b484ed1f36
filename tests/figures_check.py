"""The check every figures test ends with: the precomputed figures equal the direct computation.

Counts change only on the days the register's dates end on, so comparing on each of those days
and on the day before each, and now, compares the two everywhere.
"""

import datetime

from casetracker.cases import models as m
from casetracker.cases.dates import period_end
from casetracker.public.figures import compute_figures, read_figures
from casetracker.public.tallies import check


def register_days() -> list[datetime.date]:
    days = set(
        m.StatusEntry.objects.exclude(occurred_by=None).values_list("occurred_by", flat=True)
    )
    for model, prefix in (
        (m.Involvement, "occurred"),
        (m.Incident, "started"),
        (m.Detention, "started"),
    ):
        pairs = model.objects.exclude(**{f"{prefix}_on": None}).values_list(
            f"{prefix}_on", f"{prefix}_precision"
        )
        days |= {period_end(on, precision) for on, precision in pairs}
    return sorted(days | {day - datetime.timedelta(days=1) for day in days})


def assert_figures_exact(*, every: int = 1) -> None:
    """Shares and ledger as a fresh computation gives them, and the page's figures as the direct
    computation gives them, now and as of the register's days (`every` n-th day, for big ones)."""
    assert check() == {"persons": 0, "ledger": 0}
    for day in [None, *register_days()[::every]]:
        assert read_figures(day) == compute_figures(day), f"figures as of {day}"
