"""The staff workspace's search: the engine instead of the stock `icontains`, which scans the
table and knows nothing of scripts and spellings."""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When

from casetracker.cases.models import Incident, Person, Place

from . import engine
from .models import SearchKey

KIND_OF_MODEL = {
    Person: SearchKey.Kind.PERSON,
    Place: SearchKey.Kind.PLACE,
    Incident: SearchKey.Kind.INCIDENT,
}
# Changelists and autocomplete show the best matches; staff refine the query for the rest.
ADMIN_RESULT_LIMIT = 200


class NameSearchAdminMixin:
    """For the ModelAdmin of Person (or Place, Incident): search every name in any spelling.

    Staff mode: every record, every name, private notes. Autocomplete lists results by
    relevance; a changelist keeps its own ordering. Keep `search_fields` non-empty: Django shows
    the search box and allows autocomplete only when it is set.
    """

    def get_search_results(self, request, queryset, search_term):
        kind = KIND_OF_MODEL.get(self.model)
        if kind is None or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        if engine.is_too_short(search_term):
            # One letter: as the public site asks for more, list nothing rather than everything.
            return queryset.none(), False
        hits = engine.rank(search_term, public=False, kinds=[kind])[:ADMIN_RESULT_LIMIT]
        ids = [hit.id for hit in hits]
        if not ids:
            return queryset.none(), False
        relevance = Case(
            *(When(pk=pk, then=Value(position)) for position, pk in enumerate(ids)),
            output_field=IntegerField(),
        )
        queryset = queryset.filter(pk__in=ids).annotate(search_relevance=relevance)
        return queryset.order_by("search_relevance"), False


class SearchKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are derived; `rebuild_search_keys` repairs them."""

    list_display = ["key", "text", "kind", "field", "is_public"]
    list_filter = ["kind", "field", "is_public"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(SearchKey, SearchKeyAdmin)
