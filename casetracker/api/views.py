"""The read-only JSON API of the public register.

Every queryset starts from `public()`; related records come with select_related or a prefetch of
their own public rows, so a page costs the same few queries whatever it holds. Records are looked
up by public id: a non-public record answers exactly like a missing one (404).
"""

import copy
import re

import django_filters
from csp.constants import SELF, UNSAFE_INLINE
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers, viewsets

from casetracker.cases import models as m
from casetracker.public import filters
from casetracker.search import engine
from casetracker.search.models import SearchKey

from . import serializers as s
from .pagination import MAX_SEARCH_OFFSET, KeysetPagination, RankedPagination

# Public ids are Crockford base32 (casetracker.cases.models.PUBLIC_ID_ALPHABET).
PUBLIC_ID = re.compile("[0-9a-z]{1,16}")


def public_citations():
    """Published citations of public sources; the cited fact's own rule is its queryset's."""
    return Prefetch(
        "citations",
        queryset=m.Citation.objects.public().select_related("source"),
        to_attr="public_citations",
    )


# The API's filters are the public lists' own, less their `ordering`: pages are keyset pages in
# public-id order (or rank order for a name search), which a sort key would break.


def without_distinct(filterset_class):
    """Drop the DISTINCT that multiple-choice filters add by default, where it cannot matter.

    `?status=released` on a million persons was a SELECT DISTINCT over every matching row
    before the LIMIT (about a second on PostgreSQL); a filter on the row's own column cannot
    repeat a row, so the page is again an index range scan (tens of milliseconds).
    """
    for name, found in list(filterset_class.base_filters.items()):
        own_column = "__" not in (found.field_name or "")
        if (
            isinstance(found, django_filters.MultipleChoiceFilter)
            and own_column
            and not (found.method)
        ):
            found = copy.deepcopy(found)
            found.distinct = False
            filterset_class.base_filters[name] = found
    return filterset_class


@extend_schema_field(OpenApiTypes.STR)
class RoleFilter(django_filters.ModelChoiceFilter):
    """The lists' role filter, typed for the schema: a role slug."""


def role_filter() -> RoleFilter:
    base = filters.PersonFilter.base_filters["role"]
    return RoleFilter(
        label=base.label, field_name="roles", queryset=m.Role.objects.all(), to_field_name="slug"
    )


@without_distinct
class PersonFilter(filters.PersonFilter):
    ordering = None
    role = role_filter()

    def filter_name(self, queryset, name, value):
        """The register's search, public mode, in its rank order."""
        hits = engine.rank(value, public=True, kinds=[SearchKey.Kind.PERSON])
        ranked = [hit.id for hit in hits][: MAX_SEARCH_OFFSET + 1]
        if not ranked:
            return queryset.none()
        order = Case(
            *(When(pk=pk, then=Value(i)) for i, pk in enumerate(ranked)),
            output_field=IntegerField(),
        )
        return queryset.filter(pk__in=ranked).annotate(search_rank=order).order_by("search_rank")


@without_distinct
class IncidentFilter(filters.IncidentFilter):
    ordering = None


@without_distinct
class DetentionFilter(filters.DetentionFilter):
    ordering = None
    role = role_filter()


@without_distinct
class ChargeFilter(filters.ChargeFilter):
    ordering = None
    role = role_filter()


@without_distinct
class StatusEntryFilter(filters.StatusEntryFilter):
    ordering = None
    role = role_filter()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description=_("No public record has this id (or the cursor is not valid).")
)
BAD_FILTER = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=_("A filter value is not valid: each parameter with its messages."),
)
TOO_MANY = OpenApiResponse(
    description=_("Too many requests from this client: retry after Retry-After seconds.")
)


def list_schema(summary, serializer, **kwargs):
    return extend_schema(
        summary=summary,
        responses={200: serializer(many=True), 400: BAD_FILTER, 404: NOT_FOUND, 429: TOO_MANY},
        **kwargs,
    )


def detail_schema(summary, serializer):
    return extend_schema(
        summary=summary, responses={200: serializer, 404: NOT_FOUND, 429: TOO_MANY}
    )


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "public_id"
    # Every path segment, dots included (DRF's default stops at a dot, and `/api/persons/x.html/`
    # fell through to the site's HTML 404).
    lookup_value_regex = "[^/]+"
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]

    def get_object(self):
        # Any address under the resource reaches this view, so every miss is the same JSON 404.
        # What cannot be a public id (a NUL byte PostgreSQL refuses, a slash-free oddity) is
        # looked up as the empty id: missing by construction, answered exactly like a miss.
        if not PUBLIC_ID.fullmatch(self.kwargs[self.lookup_field]):
            self.kwargs[self.lookup_field] = ""
        return super().get_object()


@extend_schema_view(
    list=list_schema(
        _("Public persons"),
        s.PersonSerializer,
        description=_(
            "With `q`, the register's name search (any script, any order, any common spelling), "
            "best match first; otherwise in public-id order."
        ),
    ),
    retrieve=detail_schema(_("One public person"), s.PersonSerializer),
)
class PersonViewSet(PublicViewSet):
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self):
        return (
            m.Person.objects.public()
            .select_related("citizenship", "latest_public_entry")
            .prefetch_related(
                "roles",
                Prefetch("names", queryset=m.PersonName.objects.public(), to_attr="public_names"),
                public_citations(),
            )
        )

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            searching = self.request is not None and self.request.query_params.get("q", "").strip()
            self._paginator = RankedPagination() if searching else KeysetPagination()
        return self._paginator


@extend_schema_view(
    list=list_schema(_("Public incidents"), s.IncidentSerializer),
    retrieve=detail_schema(_("One public incident"), s.IncidentSerializer),
)
class IncidentViewSet(PublicViewSet):
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        return (
            m.Incident.objects.public()
            .select_related("parent")
            .prefetch_related(
                Prefetch("places", queryset=m.Place.objects.public(), to_attr="public_places"),
                public_citations(),
            )
        )


@extend_schema_view(
    list=list_schema(_("Public detentions"), s.DetentionSerializer),
    retrieve=detail_schema(_("One public detention"), s.DetentionSerializer),
)
class DetentionViewSet(PublicViewSet):
    serializer_class = s.DetentionSerializer
    filterset_class = DetentionFilter

    def get_queryset(self):
        return (
            m.Detention.objects.public()
            .select_related("person", "place", "facility", "authority")
            .prefetch_related(public_citations())
        )


@extend_schema_view(
    list=list_schema(_("Public charges"), s.ChargeSerializer),
    retrieve=detail_schema(_("One public charge"), s.ChargeSerializer),
)
class ChargeViewSet(PublicViewSet):
    serializer_class = s.ChargeSerializer
    filterset_class = ChargeFilter

    def get_queryset(self):
        return (
            m.Charge.objects.public()
            .select_related("person", "detention")
            .prefetch_related(public_citations())
        )


@extend_schema_view(
    list=list_schema(_("Public status timeline entries"), s.StatusEntrySerializer),
    retrieve=detail_schema(_("One public status timeline entry"), s.StatusEntrySerializer),
)
class StatusEntryViewSet(PublicViewSet):
    serializer_class = s.StatusEntrySerializer
    filterset_class = StatusEntryFilter

    def get_queryset(self):
        return (
            m.StatusEntry.objects.public()
            .select_related("person", "detention", "charge")
            .prefetch_related(public_citations())
        )


@extend_schema_view(
    list=list_schema(_("Public sources"), s.SourceListSerializer),
    retrieve=detail_schema(_("One public source"), s.SourceSerializer),
)
class SourceViewSet(PublicViewSet):
    filter_backends = []

    def get_queryset(self):
        return m.Source.objects.public().select_related("publisher")

    def get_serializer_class(self):
        return s.SourceListSerializer if self.action == "list" else s.SourceSerializer


# The documentation page: Swagger UI from drf-spectacular-sidecar, served by the app. Its own
# inline <style> and the inline styles Swagger UI sets need 'unsafe-inline' styles, and it draws
# icons as data: images; both are allowed on this page alone, every other page keeps the policy.
DOCS_CSP = {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]}


class DocsView(SpectacularSwaggerSplitView):
    """The split Swagger view, whose start-up script is a static file of this app."""

    title = _("Casetracker API")

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if "script" in request.GET:
            raise Http404  # the start-up script is static/api/swagger-init.js, not a template
        self.url_self = static("api/swagger-init.js")
        return super().get(request, *args, **kwargs)
