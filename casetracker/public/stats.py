"""Counts for public pages, cached: never a full count of the big tables on each request."""

from django.core.cache import cache
from django.db.models import Count

from casetracker.cases.models import DEPRIVED_OF_LIBERTY, Incident, Person, Status

HOME_COUNTS_KEY = "public:home-counts:v1"
HOME_COUNTS_TIMEOUT = 300


def compute_home_counts() -> dict[str, int]:
    by_status = dict(
        Person.objects.public()
        .values_list("public_status")
        .annotate(n=Count("id"))
        .values_list("public_status", "n")
    )
    return {
        "persons": sum(by_status.values()),
        "deprived_of_liberty": sum(by_status.get(s, 0) for s in DEPRIVED_OF_LIBERTY),
        "killed": by_status.get(Status.KILLED, 0) + by_status.get(Status.DIED, 0),
        "incidents": Incident.objects.public().count(),
    }


def home_counts() -> dict[str, int]:
    return cache.get_or_set(HOME_COUNTS_KEY, compute_home_counts, HOME_COUNTS_TIMEOUT)
