"""`{% export_links request "persons" %}`: links to the export of exactly what a list shows."""

from django import template
from django.urls import reverse

from casetracker.exports.exports import FORMATS

register = template.Library()

# Query parameters of a list page that are not filters of its selection.
NOT_FILTERS = ("page",)


def export_urls(request, what: str, *, staff: bool = False) -> list[tuple[str, str]]:
    """(format, URL) pairs carrying the page's query string, so the file holds what it shows."""
    query = request.GET.copy()
    for key in NOT_FILTERS:
        query.pop(key, None)
    suffix = f"?{query.urlencode()}" if query else ""
    namespace = "staff-exports" if staff else "exports"
    return [
        (fmt, reverse(f"{namespace}:download", kwargs={"what": what, "fmt": fmt}) + suffix)
        for fmt in FORMATS
    ]


@register.inclusion_tag("exports/_export_links.html")
def export_links(request, what: str, staff: bool = False):
    return {"links": export_urls(request, what, staff=staff)}
