"""The figures page: persons by status, by role and by place, and events over time, as of a date.

DESIGN.md, "Dates, status and as of": the status in effect on D is a person's latest public entry
dated on or before D (its `occurred_by`, the last day of its period, is <= D). Counts as of D
include "as reported" entries; events over time use only entries dated by the event itself
("began") and show "as reported" entries apart. Persons are counted by status and involvements,
never by a role tag.

The page reads the precomputed ledger (`read_figures`: one query, plus one to name the places
and two for the sources' figures), kept right by every write (casetracker.public.tallies).
`compute_figures` computes the same from the register directly: it states the rules in the ORM,
and the tests hold the two equal.

Everything here returns plain values (slugs, ids, numbers), so the default figures can be cached
and labelled in the reader's language at render time.
"""

import datetime

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth

from casetracker.cases import models as m
from casetracker.cases.dates import DateKind, DatePrecision

from .models import FigureCode, Tally

FIGURES_KEY = "public:figures:v1"
FIGURES_TIMEOUT = 300


def known_by(day: datetime.date, prefix: str) -> Q:
    """A (date, precision) pair whose whole period lies on or before `day`.

    "January 2022" is known by 31 January, not by 10 January: a partial date is never read as
    more precise than its source said.
    """
    following = day + datetime.timedelta(days=1)
    return (
        Q(**{f"{prefix}_precision": DatePrecision.DAY, f"{prefix}_on__lte": day})
        | Q(
            **{
                f"{prefix}_precision": DatePrecision.MONTH,
                f"{prefix}_on__lt": following.replace(day=1),
            }
        )
        | Q(
            **{
                f"{prefix}_precision": DatePrecision.YEAR,
                f"{prefix}_on__lt": following.replace(month=1, day=1),
            }
        )
    )


def persons_by_status(as_of: datetime.date | None) -> dict[str, int]:
    """Public persons by the status in effect (now, or on `as_of`)."""
    persons = m.Person.objects.public()
    if as_of is None:
        rows = persons.exclude(public_status="").values("public_status")
        return {r["public_status"]: r["n"] for r in rows.annotate(n=Count("pk"))}
    # The latest public entry dated by D, per person: index statusentry_as_of.
    in_effect = (
        m.StatusEntry.objects.public()
        .filter(person=OuterRef("pk"), occurred_by__lte=as_of)
        .order_by("-position")
        .values("status")[:1]
    )
    rows = (
        persons.annotate(status_then=Subquery(in_effect))
        .exclude(status_then=None)
        .values("status_then")
    )
    return {r["status_then"]: r["n"] for r in rows.annotate(n=Count("pk"))}


def _involvements(as_of: datetime.date | None):
    involvements = m.Involvement.objects.public()
    if as_of is not None:
        # An undated involvement takes its incident's date; undated both, it is left out.
        involvements = involvements.filter(
            Q(occurred_on__isnull=False) & known_by(as_of, "occurred")
            | Q(occurred_on__isnull=True) & known_by(as_of, "incident__started")
        )
    return involvements


def persons_by_role(as_of: datetime.date | None) -> dict[str, int]:
    """Distinct public persons per involvement role (killed, detained, responsible official...)."""
    rows = (
        _involvements(as_of)
        .values_list("role")
        .annotate(n=Count("person", distinct=True))
        .values_list("role", "n")
    )
    return dict(rows)


def persons_by_place(as_of: datetime.date | None) -> list[dict]:
    """Distinct public persons per public place, through their detentions and incidents."""
    places = m.Place.objects.public()
    detentions = m.Detention.objects.public()
    if as_of is not None:
        detentions = detentions.filter(known_by(as_of, "started"))
    held = detentions.filter(place__in=places).values_list("place", "person")
    involved = (
        _involvements(as_of)
        .filter(incident__places__in=places)
        .values_list("incident__places", "person")
    )
    persons_at: dict[int, set[int]] = {}
    for place_id, person_id in [*held, *involved]:
        persons_at.setdefault(place_id, set()).add(person_id)
    return _named_places({pk: len(persons) for pk, persons in persons_at.items()})


def _named_places(counts: dict[int, int]) -> list[dict]:
    """The public places among these, with their counts, most persons first."""
    named = m.Place.objects.public().filter(pk__in=counts).values("pk", "public_id", "name")
    rows = [{"public_id": p["public_id"], "name": p["name"], "n": counts[p["pk"]]} for p in named]
    return sorted(rows, key=lambda r: (-r["n"], r["name"]))


def events_by_month(as_of: datetime.date | None) -> dict[str, list[dict]]:
    """Public status entries per month: dated by the event ("began"), and "as reported" apart.

    Entries known only to the year cannot go in a month; they are counted apart too.
    """
    entries = m.StatusEntry.objects.public().filter(occurred_on__isnull=False)
    if as_of is not None:
        entries = entries.filter(occurred_by__lte=as_of)
    rows = (
        entries.exclude(occurred_precision=DatePrecision.YEAR)
        .annotate(month=TruncMonth("occurred_on"))
        .values_list("date_kind", "month", "status")
        .annotate(n=Count("pk"))
        .order_by("month", "status")
    )
    by_year = (
        entries.filter(occurred_precision=DatePrecision.YEAR)
        .values_list("date_kind", "occurred_on", "status")
        .annotate(n=Count("pk"))
        .order_by("occurred_on", "status")
    )
    result: dict[str, list[dict]] = {"began": [], "as_reported": [], "year_only": []}
    for kind, month, status, n in rows:
        key = "began" if kind == DateKind.BEGAN else "as_reported"
        _add(result[key], month, status, n)
    for _kind, year_start, status, n in by_year:
        _add(result["year_only"], year_start, status, n)
    return result


def _add(periods: list[dict], start: datetime.date, status: str, n: int) -> None:
    if isinstance(start, datetime.datetime):
        start = start.date()
    if not periods or periods[-1]["start"] != start:
        periods.append({"start": start, "total": 0, "by_status": {}})
    periods[-1]["total"] += n
    periods[-1]["by_status"][status] = periods[-1]["by_status"].get(status, 0) + n


def source_figures(as_of: datetime.date | None) -> list[dict]:
    """The counts the sources give (Figure records), each with its as-of date and sources."""
    figures = m.Figure.objects.public().select_related("incident")
    if as_of is not None:
        figures = figures.filter(known_by(as_of, "as_of"))
    citations = (
        m.Citation.objects.public()
        .filter(figure__in=figures)
        .select_related("source")
        .order_by("figure", "id")
    )
    cited: dict[int, list[dict]] = {}
    for citation in citations:
        cited.setdefault(citation.figure_id, []).append(
            {
                "source": str(citation.source),
                "url": citation.source.url,
                "locator": citation.locator,
                "quote": citation.quote,
                "claimed_by": citation.claimed_by,
            }
        )
    return [
        {
            "measure": f.measure,
            "qualifier": f.qualifier,
            "value": f.value,
            "label": f.label,
            "as_of_on": f.as_of_on,
            "as_of_precision": f.as_of_precision,
            "incident_title": f.incident.title,
            "incident_id": f.incident.public_id,
            "citations": cited.get(f.pk, []),
        }
        for f in figures.order_by("incident__started_on", "measure", "id")
    ]


def compute_figures(as_of: datetime.date | None = None) -> dict:
    """The figures computed from the register directly: what `read_figures` must equal."""
    return {
        "by_status": persons_by_status(as_of),
        "by_role": persons_by_role(as_of),
        "by_place": persons_by_place(as_of),
        "events": events_by_month(as_of),
        "source_figures": source_figures(as_of),
    }


def read_figures(as_of: datetime.date | None = None) -> dict:
    """The figures from the precomputed ledger: the sum of its changes (dated by `as_of`)."""
    changes = Tally.objects.all()
    if as_of is not None:
        changes = changes.filter(day__lte=as_of)  # undated changes count only now
    totals = (
        changes.order_by()
        .values_list("figure", "key")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .values_list("figure", "key", "total")
    )
    by_figure: dict[str, list[tuple[str, int]]] = {code: [] for code in FigureCode}
    for figure, key, total in totals:
        by_figure[figure].append((key, total))
    events: dict[str, list[dict]] = {"began": [], "as_reported": [], "year_only": []}
    periods = []
    for key, total in by_figure[FigureCode.EVENTS]:
        kind, period, status = key.split(":")
        start = datetime.date(int(period[:4]), int(period[5:7] or 1), 1)
        periods.append((kind, start, status, total))
    for kind, start, status, total in sorted(periods, key=lambda p: (p[1], p[2])):
        _add(events[kind], start, status, total)
    return {
        "by_status": dict(by_figure[FigureCode.STATUS]),
        "by_role": dict(by_figure[FigureCode.ROLE]),
        "by_place": _named_places({int(k): n for k, n in by_figure[FigureCode.PLACE]}),
        "events": events,
        "source_figures": source_figures(as_of),
    }


def figures(as_of: datetime.date | None = None) -> dict:
    """The figures now (cached, like the home counts) or as of a past date, from the ledger."""
    if as_of is not None:
        return read_figures(as_of)
    return cache.get_or_set(FIGURES_KEY, read_figures, FIGURES_TIMEOUT)
