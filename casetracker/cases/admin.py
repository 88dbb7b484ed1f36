"""The staff workspace: the Django admin, made for recording cases and their sources.

Every fact is entered with its source: inline rows carry a source, locator, quote and confidence
(the record's first citation); further citations are added on the record's own page. Fields the
timeline drives (a person's current status) are read-only here. No changelist runs a query per
row: each declares `list_select_related` for what it shows.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models as db_models
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import models as m
from .status import recompute_status

# Citations


class CitedFactForm(forms.ModelForm):
    """A fact's form with its first citation: every new fact must say where it comes from."""

    cite_source = forms.ModelChoiceField(
        label=_("source"),
        queryset=m.Source.objects.all(),
        required=False,
        widget=AutocompleteSelect(m.Citation._meta.get_field("source"), admin.site),
    )
    cite_locator = forms.CharField(label=_("locator"), max_length=100, required=False)
    cite_quote = forms.CharField(
        label=_("quoted words"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cite_confidence = forms.ChoiceField(
        label=_("confidence"), choices=m.Confidence.choices, initial=m.Confidence.REPORTED
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_citation = None
        if self.instance.pk:
            # Prefetched by the admin's queryset: no query per inline row.
            citations = list(self.instance.citations.all())
            self.first_citation = citations[0] if citations else None
        if self.first_citation:
            self.initial.update(
                cite_source=self.first_citation.source_id,
                cite_locator=self.first_citation.locator,
                cite_quote=self.first_citation.quote,
                cite_confidence=self.first_citation.confidence,
            )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("cite_source") and not self.first_citation:
            self.add_error("cite_source", _("Every fact needs a source: choose one."))
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=commit)
        if commit:
            self.save_citation()
        else:
            save_m2m = self.save_m2m

            def save_m2m_and_citation():
                save_m2m()
                self.save_citation()

            self.save_m2m = save_m2m_and_citation
        return instance

    def save_citation(self) -> None:
        source = self.cleaned_data.get("cite_source")
        if source is None:
            return
        citation = self.first_citation or m.Citation(
            **{cited_field(type(self.instance)): self.instance}
        )
        citation.source = source
        citation.locator = self.cleaned_data.get("cite_locator", "")
        citation.quote = self.cleaned_data.get("cite_quote", "")
        citation.confidence = self.cleaned_data.get("cite_confidence") or m.Confidence.REPORTED
        if citation.pk is None:
            # A new fact's citation follows the fact's publication.
            citation.publication = self.instance.publication
        citation.save()


def cited_field(model: type) -> str:
    return next(field for field, name in m.CITED_MODELS if name == model.__name__)


CITATION_FIELDS = ["source", "locator", "quote", "confidence", "claimed_by", "publication"]


class CitationInline(admin.StackedInline):
    model = m.Citation
    fields = CITATION_FIELDS
    autocomplete_fields = ["source"]
    extra = 0
    verbose_name_plural = _("citations (the first one is also edited with the fact)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


# Shared admin behaviour


@admin.action(description=_("Publish selected records"))
def publish(modeladmin, request, queryset):
    with transaction.atomic():
        for obj in queryset:
            obj.publish()
            obj.save()
            after_fact_saved(obj)


@admin.action(description=_("Unpublish selected records"))
def unpublish(modeladmin, request, queryset):
    with transaction.atomic():
        for obj in queryset:
            obj.unpublish()
            obj.save()
            after_fact_saved(obj)


def after_fact_saved(obj) -> None:
    """Keep a person's derived status right after any change to their timeline or publication."""
    if isinstance(obj, m.Person):
        recompute_status(obj)
    elif isinstance(obj, m.StatusEntry):
        recompute_status(obj.person)


class RecordAdmin(SimpleHistoryAdmin):
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["public_id", "published_at", "version", "created_at", "updated_at"]
    actions = [publish, unpublish]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        after_fact_saved(obj)

    def delete_model(self, request, obj):
        person = getattr(obj, "person", None) if isinstance(obj, m.StatusEntry) else None
        super().delete_model(request, obj)
        if person is not None:
            recompute_status(person)

    def delete_queryset(self, request, queryset):
        persons = (
            list(m.Person.objects.filter(status_entries__in=queryset).distinct())
            if queryset.model is m.StatusEntry
            else []
        )
        super().delete_queryset(request, queryset)
        for person in persons:
            recompute_status(person)


class CitedRecordAdmin(RecordAdmin):
    """A fact's own page: its fields, then all its citations."""

    inlines = [CitationInline]


def admin_link(obj, label=None) -> str:
    if obj is None:
        return "–"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


# Places, organisations, sources, roles


@admin.register(m.Place)
class PlaceAdmin(RecordAdmin):
    list_display = ["name", "kind", "parent", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["parent"]
    search_fields = ["name", "other_names"]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "parent", "other_names"]}),
        (_("Location"), {"fields": ["latitude", "longitude"]}),
        (_("Letters"), {"fields": ["postal_address", "has_public_address"]}),
        (
            _("Record"),
            {"fields": ["publication", *RecordAdmin.readonly_fields]},
        ),
    ]


@admin.register(m.Organisation)
class OrganisationAdmin(RecordAdmin):
    list_display = ["name", "kind", "country", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["country"]
    search_fields = ["name", "other_names"]
    autocomplete_fields = ["country", "parent"]


@admin.register(m.Source)
class SourceAdmin(RecordAdmin):
    list_display = ["title", "reference", "kind", "issued_on", "is_confidential", "publication"]
    list_filter = ["kind", "is_confidential", "publication"]
    list_select_related = ["publisher"]
    search_fields = ["title", "reference"]
    autocomplete_fields = ["publisher"]


@admin.register(m.Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# Persons and the facts edited with them


class PersonFactInline(admin.StackedInline):
    form = CitedFactForm
    extra = 0
    show_change_link = True
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations")


class NameInline(PersonFactInline):
    model = m.PersonName
    fields = ["name", "kind", "publication", "cite_source", "cite_locator", "cite_quote"]
    classes = []


class StatusEntryInline(PersonFactInline):
    model = m.StatusEntry
    fields = [
        ("status", "date_kind"),
        ("occurred_on", "occurred_precision"),
        "note",
        ("detention", "charge"),
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["detention", "charge"]
    classes = []


class DetentionInline(PersonFactInline):
    model = m.Detention
    fields = [
        "kind",
        ("started_on", "started_precision"),
        ("ended_on", "ended_precision"),
        ("place", "facility", "authority"),
        ("is_incommunicado", "has_torture_alleged", "has_lawyer_denied", "has_health_concerns"),
        "whereabouts",
        "note",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["place", "facility", "authority"]


class ChargeInline(PersonFactInline):
    model = m.Charge
    fields = [
        ("legal_basis", "stage", "is_politically_motivated"),
        "wording",
        ("filed_on", "filed_precision"),
        ("stage_on", "stage_precision"),
        "sentence",
        "detention",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["detention"]


class InvolvementInline(PersonFactInline):
    model = m.Involvement
    fields = [
        ("incident", "role"),
        ("occurred_on", "occurred_precision"),
        "perpetrator",
        "description",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["incident", "perpetrator"]


class PlaceListFilter(admin.SimpleListFilter):
    """Persons detained at a place, or involved in an incident there."""

    title = _("place")
    parameter_name = "place"

    def lookups(self, request, model_admin):
        return m.Place.objects.exclude(kind=m.Place.Kind.FACILITY).values_list("public_id", "name")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        place = Q(public_id=self.value())
        ids = m.Person.objects.filter(
            Q(detentions__place__in=m.Place.objects.filter(place))
            | Q(detentions__facility__parent__in=m.Place.objects.filter(place))
            | Q(involvements__incident__places__in=m.Place.objects.filter(place))
        ).values("pk")
        return queryset.filter(pk__in=ids)


@admin.register(m.Person)
class PersonAdmin(RecordAdmin):
    list_display = [
        "display_name",
        "status_display",
        "public_status_display",
        "publication",
        "consent",
        "risk_level",
        "updated_at",
    ]
    list_filter = [
        "status",
        "roles",
        PlaceListFilter,
        "publication",
        "consent",
        "risk_level",
        "is_unnamed",
    ]
    search_fields = ["display_name", "names__name"]
    autocomplete_fields = ["citizenship"]
    filter_horizontal = ["roles"]
    readonly_fields = [
        "status_display",
        "public_status_display",
        *RecordAdmin.readonly_fields,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "display_name",
                    "is_unnamed",
                    ("birth_year", "gender"),
                    ("citizenship", "occupation"),
                    "roles",
                    "summary",
                    "private_notes",
                ]
            },
        ),
        (
            _("Current status (derived from the timeline)"),
            {"fields": ["status_display", "public_status_display", "status_verified_on"]},
        ),
        (
            _("Publication and privacy"),
            {"fields": [("publication", "consent", "risk_level"), *RecordAdmin.readonly_fields]},
        ),
    ]
    inlines = [
        NameInline,
        StatusEntryInline,
        DetentionInline,
        ChargeInline,
        InvolvementInline,
        CitationInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("latest_entry", "latest_public_entry")

    @admin.display(description=_("current status"), ordering="status")
    def status_display(self, person):
        return _status_with_date(person.status, person.latest_entry)

    @admin.display(description=_("public status"), ordering="public_status")
    def public_status_display(self, person):
        return _status_with_date(person.public_status, person.latest_public_entry)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_status(form.instance)


def _status_with_date(status: str, entry: m.StatusEntry | None) -> str:
    if not status or entry is None:
        return "–"
    label = m.Status(status).label
    kind = entry.get_date_kind_display()
    return f"{label} ({kind} {entry.date_display})"


@admin.register(m.PersonName)
class PersonNameAdmin(CitedRecordAdmin):
    list_display = ["name", "kind", "person", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person"]
    search_fields = ["name"]
    autocomplete_fields = ["person"]


@admin.register(m.StatusEntry)
class StatusEntryAdmin(CitedRecordAdmin):
    list_display = ["person", "status", "date_kind", "date_display", "publication"]
    list_filter = ["status", "date_kind", "publication"]
    list_select_related = ["person"]
    search_fields = ["person__display_name", "note"]
    autocomplete_fields = ["person", "detention", "charge"]
    readonly_fields = ["position", *RecordAdmin.readonly_fields]

    @admin.display(description=_("date"), ordering="occurred_on")
    def date_display(self, entry):
        return entry.date_display


@admin.register(m.Detention)
class DetentionAdmin(CitedRecordAdmin):
    list_display = ["person", "kind", "started_on", "ended_on", "place", "publication"]
    list_filter = ["kind", "whereabouts", "has_torture_alleged", "publication"]
    list_select_related = ["person", "place"]
    search_fields = ["person__display_name", "note"]
    autocomplete_fields = ["person", "place", "facility", "authority"]


@admin.register(m.Charge)
class ChargeAdmin(CitedRecordAdmin):
    list_display = ["person", "legal_basis", "stage", "filed_on", "publication"]
    list_filter = ["stage", "is_politically_motivated", "publication"]
    list_select_related = ["person"]
    search_fields = ["person__display_name", "legal_basis", "wording"]
    autocomplete_fields = ["person", "detention"]


@admin.register(m.Relationship)
class RelationshipAdmin(CitedRecordAdmin):
    list_display = ["person", "kind", "other", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person", "other"]
    search_fields = ["person__display_name", "other__display_name"]
    autocomplete_fields = ["person", "other"]


@admin.register(m.Affiliation)
class AffiliationAdmin(CitedRecordAdmin):
    list_display = ["person", "position", "organisation", "publication"]
    list_filter = ["publication"]
    list_select_related = ["person", "organisation"]
    search_fields = ["person__display_name", "organisation__name", "position"]
    autocomplete_fields = ["person", "organisation"]


@admin.register(m.Involvement)
class InvolvementAdmin(CitedRecordAdmin):
    list_display = ["person", "role", "incident", "perpetrator", "publication"]
    list_filter = ["role", "publication"]
    list_select_related = ["person", "incident", "perpetrator"]
    search_fields = ["person__display_name", "incident__title"]
    autocomplete_fields = ["person", "incident", "perpetrator"]


# Incidents


class FigureInline(admin.StackedInline):
    model = m.Figure
    form = CitedFactForm
    extra = 0
    show_change_link = True
    fields = [
        ("measure", "qualifier", "value"),
        "label",
        ("as_of_on", "as_of_precision"),
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations")


@admin.register(m.Incident)
class IncidentAdmin(CitedRecordAdmin):
    list_display = ["title", "kind", "started_on", "parent", "publication"]
    list_filter = ["kind", "publication", "places"]
    list_select_related = ["parent"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["parent", "places"]
    inlines = [FigureInline, CitationInline]


@admin.register(m.Figure)
class FigureAdmin(CitedRecordAdmin):
    list_display = ["label", "qualifier", "value", "as_of_on", "incident", "publication"]
    list_filter = ["measure", "publication"]
    list_select_related = ["incident"]
    search_fields = ["label", "incident__title"]
    autocomplete_fields = ["incident"]


@admin.register(m.Intervention)
class InterventionAdmin(CitedRecordAdmin):
    list_display = ["description", "kind", "person", "incident", "by", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person", "incident", "by"]
    search_fields = ["description", "person__display_name", "incident__title"]
    autocomplete_fields = ["person", "incident", "by"]


@admin.register(m.Citation)
class CitationAdmin(RecordAdmin):
    list_display = ["source", "locator", "confidence", "cited_fact", "publication"]
    list_filter = ["confidence", "publication", "source"]
    list_select_related = ["source"]
    search_fields = ["quote", "locator", "source__title", "source__reference"]
    autocomplete_fields = ["source"] + [field for field, _model in m.CITED_MODELS]

    @admin.display(description=_("backs"))
    def cited_fact(self, citation):
        # Built from the foreign key's id alone: no query per row.
        for field, model_name in m.CITED_MODELS:
            pk = getattr(citation, f"{field}_id")
            if pk is not None:
                model = getattr(m, model_name)
                url = reverse(f"admin:cases_{model._meta.model_name}_change", args=[pk])
                return format_html('<a href="{}">{} #{}</a>', url, model._meta.verbose_name, pk)
        return "–"
