"""What the public may see: the one declaration every public door starts from.

Each model's public rows come from its queryset's `public()`; its public fields are listed here.
Public views, exports, serializers, search keys, filters and orderings use these lists and
nothing else. Fields not listed (private notes, consent, risk level, the staff status, internal
keys) never reach a public page, search result, export, feed, sitemap or API response.
"""

from django.db import models

from . import models as m

PUBLIC_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    m.Person: (
        "public_id",
        "display_name",
        "is_unnamed",
        "birth_year",
        "gender",
        "citizenship",
        "occupation",
        "roles",
        "summary",
        "public_status",
        "latest_public_entry",
        "status_verified_on",
        "is_demo",
    ),
    m.PersonName: ("public_id", "person", "name", "kind"),
    m.Relationship: ("public_id", "person", "kind", "other", "note"),
    m.Affiliation: (
        "public_id",
        "person",
        "organisation",
        "position",
        "started_on",
        "started_precision",
        "ended_on",
        "ended_precision",
    ),
    m.Place: (
        "public_id",
        "name",
        "kind",
        "parent",
        "other_names",
        "latitude",
        "longitude",
        # postal_address only where has_public_address is set: see public_postal_address().
    ),
    m.Organisation: (
        "public_id",
        "name",
        "kind",
        "country",
        "parent",
        "other_names",
        "description",
    ),
    m.Source: (
        "public_id",
        "title",
        "kind",
        "reference",
        "publisher",
        "issued_on",
        "issued_precision",
        "date_as_written",
        "description",
        "url",
        "full_text",
    ),
    m.Incident: (
        "public_id",
        "title",
        "kind",
        "started_on",
        "started_precision",
        "ended_on",
        "ended_precision",
        "places",
        "description",
        "parent",
        "is_demo",
    ),
    m.Figure: (
        "public_id",
        "incident",
        "measure",
        "qualifier",
        "value",
        "label",
        "as_of_on",
        "as_of_precision",
    ),
    m.Involvement: (
        "public_id",
        "person",
        "incident",
        "role",
        "occurred_on",
        "occurred_precision",
        "perpetrator",
        "description",
    ),
    m.Detention: (
        "public_id",
        "person",
        "kind",
        "started_on",
        "started_precision",
        "ended_on",
        "ended_precision",
        "place",
        "facility",
        "authority",
        "is_incommunicado",
        "has_torture_alleged",
        "has_lawyer_denied",
        "has_health_concerns",
        "whereabouts",
        "note",
    ),
    m.Charge: (
        "public_id",
        "person",
        "detention",
        "legal_basis",
        "wording",
        "is_politically_motivated",
        "stage",
        "filed_on",
        "filed_precision",
        "stage_on",
        "stage_precision",
        "sentence",
    ),
    m.StatusEntry: (
        "public_id",
        "person",
        "status",
        "occurred_on",
        "occurred_precision",
        "date_kind",
        "note",
        "detention",
        "charge",
    ),
    m.Intervention: (
        "public_id",
        "kind",
        "person",
        "incident",
        "by",
        "description",
        "made_on",
        "made_precision",
    ),
    m.Citation: ("public_id", "source", "locator", "quote", "confidence", "claimed_by"),
}


def public_fields(model: type[models.Model]) -> tuple[str, ...]:
    return PUBLIC_FIELDS[model]


def public_postal_address(place: m.Place | None) -> str:
    """A facility's address for letters, only where staff marked it fit to show."""
    if place is None or not place.has_public_address or not place.is_published:
        return ""
    return place.postal_address


# Where the public pages prefetch a fact's citations (`Prefetch(..., to_attr=CITED)`): a list
# set on each fact. Without to_attr Django gives each fact a manager whose query is a clone of
# the prefetch's own, 200 clones for a person with 200 timeline entries (8 ms at 1M persons).
CITED = "cited"


def public_citations(obj: models.Model):
    """The public citations of one fact, for templates and serializers."""
    citations = getattr(obj, CITED, None)
    if citations is None:
        # get_queryset() is the prefetched result itself where there is one; .all() would
        # clone its query.
        citations = obj.citations.get_queryset()
    return [c for c in citations if c.is_published and _source_public(c.source)]


def _source_public(source: m.Source) -> bool:
    return source.is_published and not source.is_confidential
